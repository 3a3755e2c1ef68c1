# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Variables here are used by the scripts sourcing this file:
# shellcheck disable=SC2034
#
# A 3-member etcd v3 cluster (Debian 12's etcd-server 3.4) for the fleet
# tests and benchmark, each member in a network namespace of its own on one
# bridge, with TLS everywhere and client certificates required. Sourced
# after scripts/lib/topology.sh and efw_init (it uses EFW_ID and EFW_TMP).
#
#   hub (efw-ehub-<id>): bridge efw<id>br, 10.77.0.254/24; etcdctl and
#                        `edgefw publish` run here (efw_etcd_ctl, in_hub)
#   member i (efw-etcd<i>-<id>): 10.77.0.<i>/24, client port 2379,
#                        peer port 2380, data in $EFW_TMP/etcd/m<i>
#   other namespaces join the bridge with efw_etcd_join NS IFNAME ADDR
#
# Certificates ($EFW_ETCD_PKI): ca.pem; server.pem (every member's IP, used
# for clients and peers); client.pem (CN efw-client). Members require a
# client certificate signed by the CA on both ports.
#
# Functions: efw_etcd_init, efw_etcd_up, efw_etcd_stop_member I,
# efw_etcd_start_member I, efw_etcd_stop_all, efw_etcd_start_all,
# efw_etcd_compact, efw_etcd_ctl ARGS (etcdctl v3 with the TLS options),
# efw_etcd_healthy, efw_etcd_cleanup. efw_etcd_init replaces the
# EXIT/INT/TERM traps with ones that run efw_fleet_cleanup (when defined),
# efw_etcd_cleanup and efw_cleanup, in that order.

[[ -n ${EFW_ETCD_CLUSTER_SH:-} ]] && return 0
EFW_ETCD_CLUSTER_SH=1

EFW_ETCD=${EFW_ETCD:-/usr/bin/etcd}
EFW_ETCDCTL=${EFW_ETCDCTL:-/usr/bin/etcdctl}
EFW_ETCD_NET=10.77.0
EFW_ETCD_HUB_ADDR=$EFW_ETCD_NET.254
EFW_ETCD_MEMBERS=3
# A loaded 2-vCPU machine: a slower heartbeat and election than etcd's
# defaults (100 ms, 1 s) so a busy member is not voted out by mistake.
EFW_ETCD_HEARTBEAT_MS=${EFW_ETCD_HEARTBEAT_MS:-250}
EFW_ETCD_ELECTION_MS=${EFW_ETCD_ELECTION_MS:-2500}
declare -A EFW_ETCD_PID=()

# Names derived from EFW_ID; a private PKI and data directories in EFW_TMP.
efw_etcd_init() {
	local i
	EFW_NS_HUB=efw-ehub-$EFW_ID
	EFW_ETCD_BRIDGE=efw${EFW_ID}br
	EFW_ETCD_DIR=$EFW_TMP/etcd
	EFW_ETCD_PKI=$EFW_ETCD_DIR/pki
	EFW_ETCD_NS=()
	EFW_ETCD_ENDPOINTS=""
	for ((i = 1; i <= EFW_ETCD_MEMBERS; i++)); do
		EFW_ETCD_NS[i]=efw-etcd$i-$EFW_ID
		EFW_ETCD_ENDPOINTS+=${EFW_ETCD_ENDPOINTS:+,}https://$EFW_ETCD_NET.$i:2379
	done
	# Every namespace this run joins to the bridge (members, hosts...).
	EFW_ETCD_JOINED=()
	mkdir -p "$EFW_ETCD_PKI" || return 1
	trap 'efw_etcd_all_cleanup' EXIT
	trap 'efw_etcd_all_cleanup; trap - EXIT; exit 130' INT
	trap 'efw_etcd_all_cleanup; trap - EXIT; exit 143' TERM
}

efw_etcd_all_cleanup() {
	if declare -F efw_fleet_cleanup >/dev/null; then efw_fleet_cleanup; fi
	efw_etcd_cleanup
	if declare -F efw_daemon_cleanup >/dev/null; then efw_daemon_cleanup; fi
	efw_cleanup
}

in_hub() { in_ns "$EFW_NS_HUB" "$@"; }

# efw_etcd_ctl ARGS...: etcdctl (API v3) from the hub, against every member,
# with the client certificate.
efw_etcd_ctl() {
	in_hub env ETCDCTL_API=3 timeout 30 "$EFW_ETCDCTL" --endpoints="$EFW_ETCD_ENDPOINTS" \
		--cacert="$EFW_ETCD_PKI/ca.pem" --cert="$EFW_ETCD_PKI/client.pem" \
		--key="$EFW_ETCD_PKI/client-key.pem" --dial-timeout=3s --command-timeout=20s "$@"
}

# efw_etcd_pki: a CA, one server certificate for every member's IP (client
# and peer traffic: serverAuth and clientAuth), one client certificate.
efw_etcd_pki() {
	local d=$EFW_ETCD_PKI i san="IP:127.0.0.1"
	for ((i = 1; i <= EFW_ETCD_MEMBERS; i++)); do
		san+=",IP:$EFW_ETCD_NET.$i"
	done
	efw_try openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=edgefw-test-ca-$EFW_ID" \
		-keyout "$d/ca-key.pem" -out "$d/ca.pem" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null || return 1
	efw_etcd_cert server "/CN=etcd-$EFW_ID" "subjectAltName=$san" \
		"extendedKeyUsage=serverAuth,clientAuth" || return 1
	efw_etcd_cert client "/CN=efw-client" "extendedKeyUsage=clientAuth" || return 1
	chmod 0600 "$d"/*-key.pem
}

# efw_etcd_cert NAME SUBJECT EXT...: NAME.pem and NAME-key.pem signed by the CA.
efw_etcd_cert() {
	local d=$EFW_ETCD_PKI name=$1 subj=$2 ext
	shift 2
	: >"$d/$name.ext"
	for ext in "$@"; do
		printf '%s\n' "$ext" >>"$d/$name.ext"
	done
	efw_try openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$d/$name-key.pem" \
		-out "$d/$name.csr" >/dev/null &&
		efw_try openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" \
			-CAcreateserial -days 2 -extfile "$d/$name.ext" -out "$d/$name.pem" >/dev/null
}

# efw_etcd_join NS IFNAME ADDR: a veth from NS (named IFNAME there) to the
# bridge (IFNAME with a "b" suffix in the hub), ADDR/24 in NS. NS exists.
efw_etcd_join() {
	local ns=$1 ifn=$2 addr=$3
	efw_try in_ns "$ns" ip link add "$ifn" type veth peer name "${ifn}b" netns "$EFW_NS_HUB" &&
		efw_try in_ns "$ns" ip addr add "$addr/24" dev "$ifn" &&
		efw_try in_ns "$ns" ip link set "$ifn" up &&
		efw_try in_hub ip link set "${ifn}b" master "$EFW_ETCD_BRIDGE" &&
		efw_try in_hub ip link set "${ifn}b" up || return 1
	EFW_ETCD_JOINED+=("$ns")
}

# efw_etcd_link_set IFNAME up|down: cuts (or restores) one namespace's link
# to the bridge, from the hub side: a partition.
efw_etcd_link_set() { in_hub ip link set "${1}b" "$2"; }

efw_etcd_ns_add() {
	efw_try ip netns add "$1" && efw_try in_ns "$1" ip link set lo up
}

# efw_etcd_up: namespaces, bridge, certificates, three members; waits until
# the cluster answers (endpoint health on every member).
efw_etcd_up() {
	local i
	efw_etcd_pki || return 1
	efw_etcd_ns_add "$EFW_NS_HUB" || return 1
	efw_try in_hub ip link add "$EFW_ETCD_BRIDGE" type bridge &&
		efw_try in_hub ip addr add "$EFW_ETCD_HUB_ADDR/24" dev "$EFW_ETCD_BRIDGE" &&
		efw_try in_hub ip link set "$EFW_ETCD_BRIDGE" up || return 1
	for ((i = 1; i <= EFW_ETCD_MEMBERS; i++)); do
		efw_etcd_ns_add "${EFW_ETCD_NS[i]}" &&
			efw_etcd_join "${EFW_ETCD_NS[i]}" "efw${EFW_ID}m$i" "$EFW_ETCD_NET.$i" || return 1
	done
	for ((i = 1; i <= EFW_ETCD_MEMBERS; i++)); do
		efw_etcd_start_member "$i" || return 1
	done
	if ! efw_wait_for 60 efw_etcd_healthy; then
		efw_log "etcd cluster not healthy after 60 s: $(efw_etcd_ctl endpoint health 2>&1)"
		tail -n 5 "$EFW_ETCD_DIR"/m*.log >&2
		return 1
	fi
}

efw_etcd_healthy() { efw_etcd_ctl endpoint health >/dev/null 2>&1; }

# efw_etcd_start_member I: starts member I (its data dir survives a stop, so
# a restart rejoins with the same identity). Log in $EFW_ETCD_DIR/mI.log.
efw_etcd_start_member() {
	local i=$1 ip=$EFW_ETCD_NET.$1 cluster="" j p=$EFW_ETCD_PKI
	for ((j = 1; j <= EFW_ETCD_MEMBERS; j++)); do
		cluster+=${cluster:+,}m$j=https://$EFW_ETCD_NET.$j:2380
	done
	efw_bg_in_ns "${EFW_ETCD_NS[i]}" "$EFW_ETCD_DIR/m$i.log" "$EFW_ETCD" --name "m$i" \
		--data-dir "$EFW_ETCD_DIR/m$i" \
		--listen-client-urls "https://$ip:2379" --advertise-client-urls "https://$ip:2379" \
		--listen-peer-urls "https://$ip:2380" --initial-advertise-peer-urls "https://$ip:2380" \
		--initial-cluster "$cluster" --initial-cluster-token "efw-$EFW_ID" \
		--initial-cluster-state new \
		--cert-file "$p/server.pem" --key-file "$p/server-key.pem" \
		--client-cert-auth --trusted-ca-file "$p/ca.pem" \
		--peer-cert-file "$p/server.pem" --peer-key-file "$p/server-key.pem" \
		--peer-client-cert-auth --peer-trusted-ca-file "$p/ca.pem" \
		--heartbeat-interval "$EFW_ETCD_HEARTBEAT_MS" --election-timeout "$EFW_ETCD_ELECTION_MS" \
		--logger zap --log-outputs stderr --log-level warn
	EFW_ETCD_PID[$i]=$EFW_BG_PID
	efw_wait_for 10 efw_listening "${EFW_ETCD_NS[i]}" t 2379 || {
		efw_log "etcd member $i did not listen: $(tail -n 5 "$EFW_ETCD_DIR/m$i.log.err")"
		return 1
	}
}

# efw_etcd_stop_member I: SIGTERM (a clean stop), then waits.
efw_etcd_stop_member() {
	[[ -n ${EFW_ETCD_PID[$1]:-} ]] || return 0
	efw_stop_pid "${EFW_ETCD_PID[$1]}"
	unset "EFW_ETCD_PID[$1]"
}

efw_etcd_stop_all() {
	local i
	for ((i = 1; i <= EFW_ETCD_MEMBERS; i++)); do
		efw_etcd_stop_member "$i"
	done
}

# efw_etcd_start_all: restarts every stopped member and waits for health.
efw_etcd_start_all() {
	local i
	for ((i = 1; i <= EFW_ETCD_MEMBERS; i++)); do
		[[ -n ${EFW_ETCD_PID[$i]:-} ]] || efw_etcd_start_member "$i" || return 1
	done
	efw_wait_for 60 efw_etcd_healthy || {
		efw_log "etcd not healthy after restart: $(efw_etcd_ctl endpoint health 2>&1)"
		return 1
	}
}

# efw_etcd_revision: the cluster's current revision.
efw_etcd_revision() {
	efw_etcd_ctl endpoint status --write-out=json 2>/dev/null |
		jq -r '[.[].Status.header.revision] | max'
}

# efw_etcd_compact: compacts the key space at the current revision
# (physically), so watches from any older revision are cancelled.
efw_etcd_compact() {
	local rev
	rev=$(efw_etcd_revision) || rev=""
	if [[ ! $rev =~ ^[0-9]+$ ]]; then
		efw_log "efw_etcd_compact: no revision from the cluster"
		return 1
	fi
	efw_try efw_etcd_ctl compact "$rev" --physical >/dev/null
	EFW_ETCD_COMPACTED=$rev
}

# Idempotent: stops every member, deletes every namespace it created (the
# members', the hub, and those joined to the bridge that are named efw-*-ID).
efw_etcd_cleanup() {
	local ns pid
	[[ -n ${EFW_NS_HUB:-} ]] || return 0
	efw_etcd_stop_all
	for ns in "${EFW_ETCD_NS[@]}" "$EFW_NS_HUB"; do
		[[ -e /run/netns/$ns ]] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			efw_stop_pid "$pid"
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}
