# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Variables here are used by the scripts sourcing this file:
# shellcheck disable=SC2034
#
# The client -> edge -> server namespace topology shared by `make demo`
# (scripts/demo.sh) and the namespace tests (tests/lib/netns.sh), plus the
# traffic helpers both use. Sourced, never executed.
#
#   client (EFW_NS_CLIENT)          edge (EFW_NS_EDGE)           server (EFW_NS_SERVER)
#   EFW_IF_CLIENT -------------- EFW_IF_EDGE_IN  EFW_IF_EDGE_OUT -------------- EFW_IF_SERVER
#   10.200.1.2, .66 /24          10.200.1.1/24    10.200.2.1/24           10.200.2.2/24
#   fd00:200:1::2, ::42 /64      fd00:200:1::1/64 fd00:200:2::1/64        fd00:200:2::2/64
#
# Everything lives in namespaces named efw-<role>-<id>; the host's links,
# routes and sysctls are never touched. Commands run in a namespace through
# nsenter --net only: `ip netns exec` would remount /sys and hide bpffs pins.
#
# Usage: source it, call efw_init PREFIX (names, temp dir, traps), then
# efw_topology_up. efw_cleanup runs on EXIT/INT/TERM.

[[ -n ${EFW_TOPOLOGY_SH:-} ]] && return 0
EFW_TOPOLOGY_SH=1

EFW_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EDGEFW=${EDGEFW:-$EFW_REPO/build/edgefw}
EFW_RULES_DEMO=$EFW_REPO/rules/demo.yaml
EFW_PIN_ROOT=/sys/fs/bpf/edgefw

EFW_CLIENT4=10.200.1.2
EFW_CLIENT4_BAD=10.200.1.66
EFW_CLIENT6=fd00:200:1::2
EFW_CLIENT6_BAD=fd00:200:1::42
EFW_EDGE_IN4=10.200.1.1
EFW_EDGE_IN6=fd00:200:1::1
EFW_EDGE_OUT4=10.200.2.1
EFW_EDGE_OUT6=fd00:200:2::1
EFW_SERVER4=10.200.2.2
EFW_SERVER6=fd00:200:2::2
# Routed by the client towards the edge, which has no route for it.
EFW_SINKHOLE_NET4=10.200.9.0/24
EFW_SINKHOLE4=10.200.9.1

# Background processes started through efw_bg_in_ns, killed by efw_cleanup.
EFW_BG_PIDS=()
# Every edgefw instance name a script used: cleanup detaches and unpins them.
EFW_INSTANCES=()
declare -A EFW_UDP_RX_PID=()
EFW_TCP_CONNECT_TIMEOUT=${EFW_TCP_CONNECT_TIMEOUT:-2}

efw_log() { printf '%s\n' "$*" >&2; }

# Runs a command; on failure prints it with its output to stderr.
efw_try() {
	local out
	if ! out=$("$@" 2>&1); then
		efw_log "failed: $*"
		[[ -n $out ]] && efw_log "$out"
		return 1
	fi
	[[ -z $out ]] || printf '%s\n' "$out"
}

in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# efw_init PREFIX: picks an id no existing namespace uses and derives every
# name from it, creates a private temp dir and registers the cleanup trap.
# The edgefw instance is PREFIX-<id>.
efw_init() {
	local prefix=$1 try
	for try in 1 2 3 4 5 6 7 8; do
		EFW_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
		[[ -e /run/netns/efw-edge-$EFW_ID ]] || break
		[[ $try -lt 8 ]] || { efw_log "efw_init: no free namespace id"; return 1; }
	done
	EFW_NS_CLIENT=efw-client-$EFW_ID
	EFW_NS_EDGE=efw-edge-$EFW_ID
	EFW_NS_SERVER=efw-server-$EFW_ID
	# Interface names stay within IFNAMSIZ-1 = 15: "efw" + 6 + role <= 11.
	EFW_IF_CLIENT=efw${EFW_ID}c
	EFW_IF_EDGE_IN=efw${EFW_ID}ei
	EFW_IF_EDGE_OUT=efw${EFW_ID}eo
	EFW_IF_SERVER=efw${EFW_ID}s
	EFW_INSTANCE=$prefix-$EFW_ID
	EFW_INSTANCES=("$EFW_INSTANCE")
	EFW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/efw-$EFW_ID.XXXXXX")
	trap efw_cleanup EXIT
	# Exit with the conventional status; the EXIT trap then finds nothing left.
	trap 'efw_cleanup; trap - EXIT; exit 130' INT
	trap 'efw_cleanup; trap - EXIT; exit 143' TERM
}

efw_ensure_bpffs() {
	# Root only (mode 0700), never the world-writable default a bare mount
	# gives: a local user could plant pins there (issue 23).
	mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf
}

# Polls COMMAND every 20 ms until it succeeds or TIMEOUT seconds pass.
efw_wait_for() {
	local timeout=$1 start
	shift
	start=${EPOCHREALTIME//[.,]/}
	until "$@" >/dev/null 2>&1; do
		((${EPOCHREALTIME//[.,]/} - start < timeout * 1000000)) || return 1
		sleep 0.02
	done
}

efw_topology_up() {
	local ns ifc
	for ns in "$EFW_NS_CLIENT" "$EFW_NS_EDGE" "$EFW_NS_SERVER"; do
		efw_try ip netns add "$ns" || return 1
		efw_try in_ns "$ns" ip link set lo up || return 1
		# Skip duplicate address detection (also for link-local addresses of
		# links created later) so IPv6 is usable at once; namespace-local.
		efw_try in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
	done
	# Both veth ends are created directly inside their namespaces.
	efw_try in_ns "$EFW_NS_EDGE" ip link add "$EFW_IF_EDGE_IN" type veth \
		peer name "$EFW_IF_CLIENT" netns "$EFW_NS_CLIENT" || return 1
	efw_try in_ns "$EFW_NS_EDGE" ip link add "$EFW_IF_EDGE_OUT" type veth \
		peer name "$EFW_IF_SERVER" netns "$EFW_NS_SERVER" || return 1

	local c=(in_ns "$EFW_NS_CLIENT" ip) e=(in_ns "$EFW_NS_EDGE" ip) s=(in_ns "$EFW_NS_SERVER" ip)
	efw_try "${c[@]}" addr add "$EFW_CLIENT4/24" dev "$EFW_IF_CLIENT" &&
		efw_try "${c[@]}" addr add "$EFW_CLIENT4_BAD/24" dev "$EFW_IF_CLIENT" &&
		efw_try "${c[@]}" -6 addr add "$EFW_CLIENT6/64" dev "$EFW_IF_CLIENT" nodad &&
		efw_try "${c[@]}" -6 addr add "$EFW_CLIENT6_BAD/64" dev "$EFW_IF_CLIENT" nodad &&
		efw_try "${e[@]}" addr add "$EFW_EDGE_IN4/24" dev "$EFW_IF_EDGE_IN" &&
		efw_try "${e[@]}" -6 addr add "$EFW_EDGE_IN6/64" dev "$EFW_IF_EDGE_IN" nodad &&
		efw_try "${e[@]}" addr add "$EFW_EDGE_OUT4/24" dev "$EFW_IF_EDGE_OUT" &&
		efw_try "${e[@]}" -6 addr add "$EFW_EDGE_OUT6/64" dev "$EFW_IF_EDGE_OUT" nodad &&
		efw_try "${s[@]}" addr add "$EFW_SERVER4/24" dev "$EFW_IF_SERVER" &&
		efw_try "${s[@]}" -6 addr add "$EFW_SERVER6/64" dev "$EFW_IF_SERVER" nodad ||
		return 1

	efw_try "${c[@]}" link set "$EFW_IF_CLIENT" up &&
		efw_try "${e[@]}" link set "$EFW_IF_EDGE_IN" up &&
		efw_try "${e[@]}" link set "$EFW_IF_EDGE_OUT" up &&
		efw_try "${s[@]}" link set "$EFW_IF_SERVER" up || return 1

	efw_try "${c[@]}" route add default via "$EFW_EDGE_IN4" &&
		efw_try "${c[@]}" -6 route add default via "$EFW_EDGE_IN6" &&
		efw_try "${c[@]}" route add "$EFW_SINKHOLE_NET4" via "$EFW_EDGE_IN4" &&
		efw_try "${s[@]}" route add default via "$EFW_EDGE_OUT4" &&
		efw_try "${s[@]}" -6 route add default via "$EFW_EDGE_OUT6" || return 1

	# Routing only inside the edge namespace.
	efw_try in_ns "$EFW_NS_EDGE" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return 1

	# A veth reports carrier only once both ends are up; wait for it.
	for ifc in "$EFW_NS_CLIENT:$EFW_IF_CLIENT" "$EFW_NS_EDGE:$EFW_IF_EDGE_IN" \
		"$EFW_NS_EDGE:$EFW_IF_EDGE_OUT" "$EFW_NS_SERVER:$EFW_IF_SERVER"; do
		if ! efw_wait_for 3 efw_link_is_up "${ifc%%:*}" "${ifc#*:}"; then
			efw_log "link ${ifc#*:} in ${ifc%%:*} did not come up"
			return 1
		fi
	done
}

# /sys/class/net would show the host's links (nsenter keeps the host's /sys
# mount), so ask rtnetlink inside the namespace instead.
efw_link_is_up() {
	in_ns "$1" ip -o link show dev "$2" | grep -q 'state UP'
}

# efw_bg_in_ns NS OUTFILE CMD...: starts CMD in NS in the background, stdout
# to OUTFILE and stderr to OUTFILE.err. nsenter execs CMD, so the recorded
# pid is CMD itself. Sets EFW_BG_PID.
efw_bg_in_ns() {
	local ns=$1 out=$2
	shift 2
	nsenter --net="/run/netns/$ns" -- "$@" </dev/null >"$out" 2>"$out.err" &
	EFW_BG_PID=$!
	EFW_BG_PIDS+=("$EFW_BG_PID")
}

# Running and not a zombie (a zombie child still answers kill -0).
efw_pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# Stops one process: TERM, up to 1 s of grace, then KILL; reaps our children.
efw_stop_pid() {
	local pid=$1
	if efw_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		efw_wait_pid "$pid" 1 || kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# Waits up to TIMEOUT seconds for a pid to exit on its own.
efw_wait_pid() { efw_wait_for "$2" efw_pid_gone "$1"; }
efw_pid_gone() { ! efw_pid_alive "$1"; }

efw_is_v6() { [[ $1 == *:* ]]; }

# socat address syntax: IPv6 literals in brackets.
efw_sockaddr() { if efw_is_v6 "$1"; then printf '[%s]' "$1"; else printf '%s' "$1"; fi; }

# Is something in NS listening on PROTO (t|u) PORT?
efw_listening() {
	[[ -n $(in_ns "$1" ss -Hln"$2" "sport = :$3" 2>/dev/null) ]]
}

# send_ping NS SRC DST COUNT: prints how many of COUNT echo requests were
# answered. Returns 2 (message on stderr) when ping itself failed.
send_ping() {
	local ns=$1 src=$2 dst=$3 count=$4 out rc=0 sent recv
	out=$(in_ns "$ns" timeout $((count + 5)) \
		ping -n -q -c "$count" -i 0.2 -W 1 -I "$src" "$dst" 2>&1) || rc=$?
	sent=$(sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p' <<<"$out")
	recv=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' <<<"$out")
	if [[ $rc -gt 1 || -z $sent || -z $recv || $sent -ne $count ]]; then
		efw_log "ping $src -> $dst failed (rc $rc): $out"
		return 2
	fi
	printf '%s\n' "$recv"
}

# udp_receiver_start NS ADDR PORT: records every datagram to ADDR:PORT in NS
# as one line of $EFW_TMP/udp-PORT.rx (senders end payloads with a newline).
udp_receiver_start() {
	local ns=$1 addr=$2 port=$3 fam=4
	efw_is_v6 "$addr" && fam=6
	: >"$EFW_TMP/udp-$port.rx"
	efw_bg_in_ns "$ns" "$EFW_TMP/udp-$port.rx" \
		socat -u "UDP$fam-RECV:$port,bind=$(efw_sockaddr "$addr")" STDOUT
	EFW_UDP_RX_PID[$port]=$EFW_BG_PID
	if ! efw_wait_for 3 efw_listening "$ns" u "$port"; then
		efw_log "UDP receiver on $addr:$port did not start: $(cat "$EFW_TMP/udp-$port.rx.err")"
		return 1
	fi
}

# udp_received PORT [TAG]: datagrams received so far (those whose payload
# starts with TAG when given).
udp_received() {
	local n
	n=$(grep -c -- "^${2:-}" "$EFW_TMP/udp-$1.rx" 2>/dev/null) || true
	printf '%s\n' "${n:-0}"
}

# udp_wait_received PORT TAG N TIMEOUT: waits until N datagrams with TAG arrived.
udp_wait_received() {
	efw_wait_for "$4" efw_udp_has "$1" "$2" "$3"
}
efw_udp_has() { [[ $(udp_received "$1" "$2") -ge $3 ]]; }

udp_receiver_stop() {
	[[ -n ${EFW_UDP_RX_PID[$1]:-} ]] || return 0
	efw_stop_pid "${EFW_UDP_RX_PID[$1]}"
	unset "EFW_UDP_RX_PID[$1]"
}

# send_udp NS SRC DST PORT COUNT [TAG]: sends COUNT datagrams, one socat
# each, with a 32-byte payload "TAG-<seq>" padded and newline-terminated
# (IPv4 frame 74 bytes, IPv6 frame 94 bytes).
send_udp() {
	local ns=$1 src=$2 dst=$3 port=$4 count=$5 tag=${6:-efw-udp} fam=4 i failed=0
	efw_is_v6 "$dst" && fam=6
	for ((i = 1; i <= count; i++)); do
		# One printf = one write = one read by socat = one datagram.
		printf '%-31.31s\n' "$tag-$i" |
			in_ns "$ns" timeout 5 socat -u STDIN \
				"UDP$fam-SENDTO:$(efw_sockaddr "$dst"):$port,bind=$(efw_sockaddr "$src")" ||
			failed=$((failed + 1))
	done
	[[ $failed -eq 0 ]] || { efw_log "send_udp: $failed of $count sends failed"; return 1; }
}

# tcp_transfer NS SRC DST PORT: a one-shot socat listener on DST:PORT in the
# server namespace records what it receives; a client in NS bound to SRC
# sends a token. Returns 0 iff the token arrived, 1 when it did not, 2 when
# the listener could not even start (so "blocked" is never mistaken for a
# broken test). Connecting gives up after EFW_TCP_CONNECT_TIMEOUT seconds.
tcp_transfer() {
	local ns=$1 src=$2 dst=$3 port=$4 fam=4 out token pid ok=1
	efw_is_v6 "$dst" && fam=6
	out=$EFW_TMP/tcp-$port.rx
	token="efw-tcp-$src-$RANDOM"
	efw_bg_in_ns "$EFW_NS_SERVER" "$out" \
		socat -u "TCP$fam-LISTEN:$port,bind=$(efw_sockaddr "$dst"),reuseaddr" STDOUT
	pid=$EFW_BG_PID
	if ! efw_wait_for 3 efw_listening "$EFW_NS_SERVER" t "$port"; then
		efw_log "TCP listener on $dst:$port did not start: $(cat "$out.err")"
		efw_stop_pid "$pid"
		return 2
	fi
	printf '%s\n' "$token" |
		in_ns "$ns" timeout $((EFW_TCP_CONNECT_TIMEOUT + 3)) socat -u STDIN \
			"TCP$fam:$(efw_sockaddr "$dst"):$port,bind=$(efw_sockaddr "$src"),connect-timeout=$EFW_TCP_CONNECT_TIMEOUT" \
			2>>"$EFW_TMP/tcp-$port.client.err" || true
	# After a delivered transfer the listener sees EOF and exits by itself.
	efw_wait_pid "$pid" 2 || true
	efw_stop_pid "$pid"
	grep -qxF -- "$token" "$out" && ok=0
	return "$ok"
}

# efw_snmp NS FILE GROUP FIELD: one counter from /proc/net/snmp (FILE=snmp,
# "Tcp" "OutSegs") or /proc/net/snmp6 (FILE=snmp6, "" "Icmp6InDestUnreachs"),
# as seen from NS (/proc/net follows the reader's network namespace).
efw_snmp() {
	local ns=$1 file=$2 group=$3 field=$4
	if [[ $file == snmp6 ]]; then
		# shellcheck disable=SC2016 # awk program, not shell
		in_ns "$ns" awk -v f="$field" '$1 == f { print $2 }' /proc/net/snmp6
	else
		# shellcheck disable=SC2016
		in_ns "$ns" awk -v g="$group:" -v f="$field" '
			$1 == g && !hdr { for (i = 2; i <= NF; i++) if ($i == f) col = i; hdr = 1; next }
			$1 == g && hdr { print $col; exit }' /proc/net/snmp
	fi
}

# TCP segments the client namespace has sent: OutSegs + RetransSegs (SYN
# retries only show in the latter).
efw_client_tcp_segs() {
	local out retr
	out=$(efw_snmp "$EFW_NS_CLIENT" snmp Tcp OutSegs) &&
		retr=$(efw_snmp "$EFW_NS_CLIENT" snmp Tcp RetransSegs) &&
		printf '%s\n' $((out + retr))
}

# Runs edgefw inside the edge namespace (interfaces live there; pins are on
# the host's bpffs, visible because only the network namespace changes).
efw_edgefw() {
	in_ns "$EFW_NS_EDGE" timeout 30 "$EDGEFW" "$@"
}

# Idempotent: every step tolerates what is already gone, so it can run
# twice (explicitly, then from the EXIT trap).
efw_cleanup() {
	local pid ns inst
	for pid in "${EFW_BG_PIDS[@]}"; do
		efw_stop_pid "$pid"
	done
	EFW_BG_PIDS=()
	EFW_UDP_RX_PID=()
	[[ -n ${EFW_ID:-} ]] || return 0
	# Anything else still running inside our namespaces.
	for ns in "$EFW_NS_CLIENT" "$EFW_NS_EDGE" "$EFW_NS_SERVER"; do
		[[ -e /run/netns/$ns ]] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			efw_stop_pid "$pid"
		done
	done
	# Detach through edgefw while the interface still exists, so libxdp
	# removes its dispatcher properly; then drop whatever pins remain.
	for inst in "${EFW_INSTANCES[@]}"; do
		if [[ -d $EFW_PIN_ROOT/$inst && -x $EDGEFW && -e /run/netns/$EFW_NS_EDGE ]]; then
			in_ns "$EFW_NS_EDGE" timeout 10 "$EDGEFW" --instance "$inst" \
				detach "$EFW_IF_EDGE_IN" >/dev/null 2>&1 || true
		fi
	done
	for ns in "$EFW_NS_CLIENT" "$EFW_NS_EDGE" "$EFW_NS_SERVER"; do
		[[ -e /run/netns/$ns ]] && { ip netns del "$ns" 2>/dev/null || true; }
	done
	for inst in "${EFW_INSTANCES[@]}"; do
		# Never empty: "$EFW_PIN_ROOT/" would be every instance.
		[[ -n $inst && -d $EFW_PIN_ROOT/$inst ]] && rm -rf -- "${EFW_PIN_ROOT:?}/$inst"
		# A daemon killed with -9 leaves its (unlocked) owner file.
		[[ -n $inst ]] && rm -f -- "/run/edgefw/$inst.owner"
		# The copies `edgefw show` reads, when the pins went without edgefw.
		[[ -n $inst ]] && rm -f -- "/run/edgefw/$inst.gen0.yaml" "/run/edgefw/$inst.gen1.yaml"
	done
	[[ -n ${EFW_TMP:-} && -d $EFW_TMP ]] && rm -rf -- "$EFW_TMP"
	return 0
}
