# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Variables here are used by the scripts sourcing this file:
# shellcheck disable=SC2034
#
# A fleet of edge hosts for the fleet tests and benchmark: N namespaces on
# the etcd bridge (scripts/lib/etcd_cluster.sh), each running edgefwd with
# an instance of its own and a local config whose rules come from etcd.
# Sourced after topology.sh and etcd_cluster.sh, after efw_etcd_init.
#
#   host i (efw-fh<i>-<id>): 10.77.0.<10+i> on the bridge (efw<id>h<i>);
#     edgefwd instance $EFW_INSTANCE-h<i>, group $EFW_FLEET_GROUP, host h<i>,
#     files in $EFW_FLEET_DIR/h<i>/ (config, control socket, state dir, log)
#   a traffic host also has a client (efw-fc<i>-<id>) and a server
#     (efw-fs<i>-<id>) namespace, addressed like scripts/lib/topology.sh:
#     client 10.200.1.2 (allowed), .66 and .77 (blocked by some rulesets)
#     -> edge efw<id>i<i> 10.200.1.1 | 10.200.2.1 efw<id>o<i> -> server 10.200.2.2
#   another host attaches to efw<id>i<i>, one end of a veth whose other end
#     (efw<id>p<i>) stays in the same namespace: no traffic, but the same
#     XDP attachment, maps and reloads as the traffic hosts.
#
# Functions: efw_fleet_init GROUP, efw_fleet_host_up I [traffic],
# efw_fleet_start I, efw_fleet_kill I [SIG], efw_fleet_publish FILE,
# efw_fleet_status, efw_fleet_host_status I, efw_fleet_wait_converged,
# efw_fleet_ping I SRC, efw_fleet_cleanup (run by etcd_cluster.sh's traps).

[[ -n ${EFW_ETCD_FLEET_SH:-} ]] && return 0
EFW_ETCD_FLEET_SH=1

EDGEFWD=${EDGEFWD:-$(dirname "$EDGEFW")/edgefwd}
EFW_FLEET_PREFIX=/edgefw/v1/
EFW_FLEET_CLIENT_GOOD=10.200.1.2
EFW_FLEET_CLIENT_BAD=10.200.1.66
EFW_FLEET_CLIENT_BAD2=10.200.1.77
EFW_FLEET_SERVER=10.200.2.2
EFW_FLEET_HOSTS=()
declare -A EFW_FLEET_PID=() EFW_FLEET_TRAFFIC=()

# efw_fleet_init GROUP: the group name and the fleet's directory.
efw_fleet_init() {
	EFW_FLEET_GROUP=$1
	EFW_FLEET_DIR=$EFW_TMP/fleet
	mkdir -p "$EFW_FLEET_DIR" && chmod 0700 "$EFW_FLEET_DIR"
}

efw_fleet_ns() { printf 'efw-fh%s-%s\n' "$1" "$EFW_ID"; }
efw_fleet_inst() { printf '%s-h%s\n' "$EFW_INSTANCE" "$1"; }
efw_fleet_if() { printf 'efw%si%s\n' "$EFW_ID" "$1"; }
efw_fleet_sock() { printf '%s/h%s/ctl.sock\n' "$EFW_FLEET_DIR" "$1"; }

# The TLS options of edgefw publish / fleet status.
efw_fleet_tls_args() {
	printf '%s\n' --etcd "$EFW_ETCD_ENDPOINTS" --group "$EFW_FLEET_GROUP" \
		--prefix "$EFW_FLEET_PREFIX" --cacert "$EFW_ETCD_PKI/ca.pem" \
		--cert "$EFW_ETCD_PKI/client.pem" --key "$EFW_ETCD_PKI/client-key.pem"
}

# efw_fleet_host_up I [traffic]: the host's namespaces, links and config.
efw_fleet_host_up() {
	local i=$1 ns d
	ns=$(efw_fleet_ns "$i")
	d=$EFW_FLEET_DIR/h$i
	mkdir -p "$d" || return 1
	efw_etcd_ns_add "$ns" &&
		efw_etcd_join "$ns" "efw${EFW_ID}h$i" "$EFW_ETCD_NET.$((10 + i))" || return 1
	EFW_FLEET_HOSTS+=("$i")
	if [[ ${2:-} == traffic ]]; then
		efw_fleet_traffic_up "$i" || return 1
	else
		efw_try in_ns "$ns" ip link add "$(efw_fleet_if "$i")" type veth peer name "efw${EFW_ID}p$i" &&
			efw_try in_ns "$ns" ip link set "efw${EFW_ID}p$i" up &&
			efw_try in_ns "$ns" ip link set "$(efw_fleet_if "$i")" up || return 1
	fi
	efw_fleet_config "$i" >"$d/edgefwd.yaml"
}

# efw_fleet_config I: host I's local file: interfaces and daemon only.
efw_fleet_config() {
	local i=$1 p=$EFW_ETCD_PKI ep
	ep=${EFW_ETCD_ENDPOINTS//,/, }
	cat <<EOF
version: 1
interfaces:
  - name: "$(efw_fleet_if "$i")"
    hooks: [xdp]
daemon:
  instance: $(efw_fleet_inst "$i")
  control-socket: "$(efw_fleet_sock "$i")"
  metrics: "off"
  source:
    etcd:
      endpoints: [$ep]
      prefix: $EFW_FLEET_PREFIX
      group: $EFW_FLEET_GROUP
      host: h$i
      tls: {ca: "$p/ca.pem", cert: "$p/client.pem", key: "$p/client-key.pem"}
      state-dir: "$EFW_FLEET_DIR/h$i/state"
EOF
}

# efw_fleet_traffic_up I: client -> host I -> server namespaces.
efw_fleet_traffic_up() {
	local i=$1 ns c s in out cl sv a
	ns=$(efw_fleet_ns "$i")
	c=efw-fc$i-$EFW_ID s=efw-fs$i-$EFW_ID
	in=$(efw_fleet_if "$i") out=efw${EFW_ID}o$i cl=efw${EFW_ID}c$i sv=efw${EFW_ID}s$i
	efw_etcd_ns_add "$c" && efw_etcd_ns_add "$s" || return 1
	EFW_FLEET_TRAFFIC[$i]="$c $s"
	efw_try in_ns "$ns" ip link add "$in" type veth peer name "$cl" netns "$c" &&
		efw_try in_ns "$ns" ip link add "$out" type veth peer name "$sv" netns "$s" || return 1
	for a in "$EFW_FLEET_CLIENT_GOOD" "$EFW_FLEET_CLIENT_BAD" "$EFW_FLEET_CLIENT_BAD2"; do
		efw_try in_ns "$c" ip addr add "$a/24" dev "$cl" || return 1
	done
	efw_try in_ns "$ns" ip addr add 10.200.1.1/24 dev "$in" &&
		efw_try in_ns "$ns" ip addr add 10.200.2.1/24 dev "$out" &&
		efw_try in_ns "$s" ip addr add "$EFW_FLEET_SERVER/24" dev "$sv" &&
		efw_try in_ns "$c" ip link set "$cl" up && efw_try in_ns "$s" ip link set "$sv" up &&
		efw_try in_ns "$ns" ip link set "$in" up && efw_try in_ns "$ns" ip link set "$out" up &&
		efw_try in_ns "$c" ip route add default via 10.200.1.1 &&
		efw_try in_ns "$s" ip route add default via 10.200.2.1 &&
		efw_try in_ns "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
	efw_wait_for 5 efw_link_is_up "$c" "$cl" && efw_wait_for 5 efw_link_is_up "$s" "$sv"
}

# efw_fleet_ping I SRC: how many of 2 pings from SRC (client of host I) to
# the server came back; "error" when ping itself failed.
efw_fleet_ping() {
	local c
	c=${EFW_FLEET_TRAFFIC[$1]%% *}
	send_ping "$c" "$2" "$EFW_FLEET_SERVER" 2 2>/dev/null || echo error
}

# efw_fleet_start I [EDGEFWD ARGS]: starts host I's edgefwd in the
# foreground (log in $EFW_FLEET_DIR/hI/edgefwd.N.err); does not wait.
efw_fleet_start() {
	local i=$1 ns n
	shift
	ns=$(efw_fleet_ns "$i")
	n=$(find "$EFW_FLEET_DIR/h$i" -maxdepth 1 -name 'edgefwd.*.out' | wc -l)
	efw_bg_in_ns "$ns" "$EFW_FLEET_DIR/h$i/edgefwd.$((n + 1)).out" "$EDGEFWD" \
		--config "$EFW_FLEET_DIR/h$i/edgefwd.yaml" --foreground "$@"
	EFW_FLEET_PID[$i]=$EFW_BG_PID
	EFW_FLEET_LOG[$i]=$EFW_FLEET_DIR/h$i/edgefwd.$((n + 1)).out.err
}
declare -A EFW_FLEET_LOG=()

efw_fleet_alive() { [[ -n ${EFW_FLEET_PID[$1]:-} ]] && efw_pid_alive "${EFW_FLEET_PID[$1]}"; }

# efw_fleet_kill I [SIG]: signals host I's edgefwd (default TERM), waits
# up to 10 s, then SIGKILL.
efw_fleet_kill() {
	local pid=${EFW_FLEET_PID[$1]:-}
	[[ -n $pid ]] || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null || true
	efw_wait_pid "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "EFW_FLEET_PID[$1]"
}

# efw_fleet_publish FILE [MORE ARGS]: `edgefw publish --json` from the hub.
# EFW_FLEET_PUB_OUT gets its output, EFW_FLEET_REV the published revision
# (empty when none); returns publish's exit status.
efw_fleet_publish() {
	local f=$1 rc=0 tls
	shift
	mapfile -t tls < <(efw_fleet_tls_args)
	# stdout is the JSON; stderr (warnings, errors) only for diagnostics.
	EFW_FLEET_PUB_OUT=$(in_hub timeout 60 "$EDGEFW" publish "$f" "${tls[@]}" --json "$@" \
		2>"$EFW_FLEET_DIR/publish.err") || rc=$?
	EFW_FLEET_REV=$(jq -r '.revision // empty' <<<"$EFW_FLEET_PUB_OUT" 2>/dev/null | tail -n 1) || true
	[[ $rc -eq 0 ]] || EFW_FLEET_PUB_OUT+=$'\n'$(tail -n 5 "$EFW_FLEET_DIR/publish.err")
	return "$rc"
}

# efw_fleet_status: `edgefw fleet status --json` from the hub.
efw_fleet_status() {
	local tls
	mapfile -t tls < <(efw_fleet_tls_args)
	in_hub timeout 30 "$EDGEFW" fleet status "${tls[@]}" --json
}

# efw_fleet_host_status I: host I's `edgefw --instance I status --json`.
efw_fleet_host_status() {
	in_ns "$(efw_fleet_ns "$1")" timeout 30 "$EDGEFW" --instance "$(efw_fleet_inst "$1")" status --json
}

# efw_fleet_all_report STATUS REV N: N hosts report enforcing REV.
efw_fleet_all_report() {
	jq -e --argjson r "$2" --argjson n "$3" \
		'[.hosts[]? | select(.applied_revision == $r and .state == "enforcing")] | length == $n' \
		<<<"$1" >/dev/null 2>&1
}

# efw_fleet_daemon_status I: the status host I's edgefwd gives on its
# control socket (it has the "source" object too).
efw_fleet_daemon_status() {
	printf '{"command":"status"}\n' | timeout 10 socat -t 5 - "UNIX-CONNECT:$(efw_fleet_sock "$1")"
}

# efw_fleet_local_status I: host I's `edgefw status --json` when it has the
# "source" object, else its daemon's status on the control socket.
efw_fleet_local_status() {
	local st
	st=$(efw_fleet_host_status "$1" 2>/dev/null) || st=""
	if jq -e '.source' >/dev/null 2>&1 <<<"$st"; then
		printf '%s\n' "$st"
	else
		efw_fleet_daemon_status "$1"
	fi
}

# efw_fleet_enforces I REV: host I's own status says it applied REV.
efw_fleet_enforces() {
	efw_fleet_local_status "$1" 2>/dev/null |
		jq -e --argjson r "$2" '.source.applied_revision == $r' >/dev/null 2>&1
}

# efw_fleet_wait_converged REV TIMEOUT [HOST...]: waits until every host
# (default: all started) reports enforcing REV in its status key, then checks
# once each host's own status (its pins) and the fleet status. The waiting
# costs the hosts next to no CPU: one etcdctl watch of the hosts' status
# keys, read by this shell (efw_fleet_watch_reports), not a status command
# per host and poll. EFW_FLEET_WAIT_MS: milliseconds from the call to the
# last host's report. Should a host's own status disagree with its key, it
# polls as before and the time is that of both agreeing. Returns 1 on
# timeout (EFW_FLEET_LAST_STATUS holds the last fleet status seen).
efw_fleet_wait_converged() {
	local rev=$1 timeout=$2 start i ok
	shift 2
	local hosts=("$@")
	[[ ${#hosts[@]} -gt 0 ]] || hosts=("${EFW_FLEET_HOSTS[@]}")
	start=${EPOCHREALTIME//[.,]/}
	EFW_FLEET_WAIT_MS=""
	if efw_fleet_watch_reports "$rev" "$timeout" "${hosts[@]}"; then
		EFW_FLEET_WAIT_MS=$(((${EPOCHREALTIME//[.,]/} - start) / 1000))
		ok=1
		for i in "${hosts[@]}"; do
			efw_fleet_enforces "$i" "$rev" || { ok=0; break; }
		done
		EFW_FLEET_LAST_STATUS=$(efw_fleet_status 2>&1) || true
		[[ $ok -eq 1 ]] && efw_fleet_hosts_report "$EFW_FLEET_LAST_STATUS" "$rev" "${hosts[@]}" &&
			return 0
		EFW_FLEET_WAIT_MS=""
	fi
	while :; do
		EFW_FLEET_LAST_STATUS=$(efw_fleet_status 2>&1) || true
		if efw_fleet_hosts_report "$EFW_FLEET_LAST_STATUS" "$rev" "${hosts[@]}"; then
			ok=1
			for i in "${hosts[@]}"; do
				efw_fleet_enforces "$i" "$rev" || { ok=0; break; }
			done
			if [[ $ok -eq 1 ]]; then
				EFW_FLEET_WAIT_MS=$(((${EPOCHREALTIME//[.,]/} - start) / 1000))
				return 0
			fi
		fi
		((${EPOCHREALTIME//[.,]/} - start < timeout * 1000000)) || return 1
		sleep 0.1
	done
}

# efw_fleet_status_note VALUE: notes the host of a status key's value
# (JSON on one line, as edgefwd writes it) in _EFW_FLEET_OK when it says
# enforcing _EFW_FLEET_REV, else takes it out.
efw_fleet_status_note() {
	local v=$1 h
	[[ $v =~ \"host\":\"([^\"]*)\" ]] || return 0
	h=${BASH_REMATCH[1]}
	if [[ $v == *"\"applied_revision\":$_EFW_FLEET_REV,"* && $v == *'"state":"enforcing"'* ]]; then
		_EFW_FLEET_OK[$h]=1
	else
		unset "_EFW_FLEET_OK[$h]"
	fi
}

# efw_fleet_all_noted HOST...: every host is in _EFW_FLEET_OK.
efw_fleet_all_noted() {
	local i
	for i in "$@"; do
		[[ -n ${_EFW_FLEET_OK[h$i]:-} ]] || return 1
	done
}

# efw_fleet_watch_reports REV TIMEOUT HOST...: reads the hosts' status keys
# once (one range), then follows their changes with one etcdctl watch from
# the revision after it, until every host's key says enforcing REV.
# Returns 1 on timeout or when the watch fails (the caller polls then).
efw_fleet_watch_reports() {
	local rev=$1 timeout=$2 keys from v line kind key deadline left fd pid ok=1
	shift 2
	keys=${EFW_FLEET_PREFIX}groups/$EFW_FLEET_GROUP/hosts/
	_EFW_FLEET_REV=$rev
	declare -gA _EFW_FLEET_OK=()
	_EFW_FLEET_OK=()
	deadline=$((${EPOCHREALTIME//[.,]/} + timeout * 1000000))
	from=""
	while IFS= read -r v; do
		if [[ -z $from ]]; then from=$v; else efw_fleet_status_note "$v"; fi
	done < <(efw_etcd_ctl get --prefix "$keys" -w json 2>/dev/null |
		jq -r '.header.revision, (.kvs[]?.value | @base64d)' 2>/dev/null)
	[[ $from =~ ^[0-9]+$ ]] || return 1
	efw_fleet_all_noted "$@" && return 0
	# exec: $! is timeout's pid, which passes the kill on to etcdctl.
	exec {fd}< <(exec nsenter --net="/run/netns/$EFW_NS_HUB" -- env ETCDCTL_API=3 \
		timeout "$timeout" "$EFW_ETCDCTL" --endpoints="$EFW_ETCD_ENDPOINTS" \
		--cacert="$EFW_ETCD_PKI/ca.pem" --cert="$EFW_ETCD_PKI/client.pem" \
		--key="$EFW_ETCD_PKI/client-key.pem" --dial-timeout=3s \
		watch --prefix "$keys" --rev=$((from + 1)) 2>/dev/null)
	pid=$!
	while ! efw_fleet_all_noted "$@"; do
		left=$(((deadline - ${EPOCHREALTIME//[.,]/}) / 1000000))
		((left > 0)) || { ok=0; break; }
		# Three lines an event: PUT or DELETE, the key, the value.
		if ! { IFS= read -r -t "$left" -u "$fd" kind && IFS= read -r -t "$left" -u "$fd" key &&
			IFS= read -r -t "$left" -u "$fd" line; }; then
			ok=0
			break
		fi
		[[ $kind == PUT && $key == "$keys"* ]] && efw_fleet_status_note "$line"
		[[ $kind == DELETE ]] && unset "_EFW_FLEET_OK[${key#"$keys"}]"
	done
	kill "$pid" 2>/dev/null || true
	exec {fd}<&-
	wait "$pid" 2>/dev/null || true
	[[ $ok -eq 1 ]]
}

# efw_fleet_hosts_report STATUS REV HOST...: each named host reports REV.
efw_fleet_hosts_report() {
	local st=$1 rev=$2 i
	shift 2
	for i in "$@"; do
		jq -e --arg h "h$i" --argjson r "$rev" \
			'any(.hosts[]?; .host == $h and .applied_revision == $r and .state == "enforcing")' \
			<<<"$st" >/dev/null 2>&1 || return 1
	done
}

# Idempotent: stops every edgefwd, detaches and unpins every host's
# instance, deletes the hosts' namespaces (and their clients' and servers').
efw_fleet_cleanup() {
	local i ns inst pid n
	for i in "${!EFW_FLEET_PID[@]}"; do
		kill -TERM "${EFW_FLEET_PID[$i]}" 2>/dev/null || true
	done
	for i in "${!EFW_FLEET_PID[@]}"; do
		efw_wait_pid "${EFW_FLEET_PID[$i]}" 3 || kill -KILL "${EFW_FLEET_PID[$i]}" 2>/dev/null || true
		wait "${EFW_FLEET_PID[$i]}" 2>/dev/null || true
		unset "EFW_FLEET_PID[$i]"
	done
	# No `edgefw detach`: deleting a namespace deletes its links and their
	# XDP programs with them, and cleanup must be quick (a test's timeout
	# gives it 10 s).
	for i in "${EFW_FLEET_HOSTS[@]}"; do
		ns=$(efw_fleet_ns "$i")
		inst=$(efw_fleet_inst "$i")
		for n in "$ns" ${EFW_FLEET_TRAFFIC[$i]:-}; do
			[[ -e /run/netns/$n ]] || continue
			for pid in $(ip netns pids "$n" 2>/dev/null); do
				efw_stop_pid "$pid"
			done
			ip netns del "$n" 2>/dev/null || true
		done
		[[ -n $inst && -d $EFW_PIN_ROOT/$inst ]] && rm -rf -- "${EFW_PIN_ROOT:?}/$inst"
		rm -f -- "/run/edgefw/$inst.owner" "/run/edgefw/$inst.gen0.yaml" "/run/edgefw/$inst.gen1.yaml"
	done
	EFW_FLEET_HOSTS=()
	return 0
}
