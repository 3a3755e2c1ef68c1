# shellcheck shell=bash
# Variables here are used by the scripts sourcing this file:
# shellcheck disable=SC2034
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Helpers for the tests of edgefwd, the daemon. Sourced by
# tests/netns/test_daemon*.sh after (or instead of) tests/lib/netns.sh:
#
#   source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
#   efw_daemon_prereqs
#   efw_topology_up ...
#   efw_daemon_config "$EFW_TMP/a.yaml" --iface "$EFW_IF_EDGE_IN:xdp" <<EOF
#   defaults: {xdp: drop}
#   rules: [...]
#   EOF
#   efw_daemon_start "$EFW_TMP/a.yaml" || tap_bail ...
#   efw_daemon_reload            # edgefw reload --socket, through the daemon
#   efw_daemon_stop              # SIGTERM, waits, EFW_DAEMON_RC = its exit
#
# The daemon always runs in the edge namespace, in the foreground (no fork),
# started through efw_bg_in_ns, so efw_cleanup knows its pid too. Its control
# socket lives in $EFW_TMP ($EFW_DAEMON_SOCK), never under /run/edgefw, and
# metrics are off unless a test asks for them: nothing outlives the test.
# The EXIT/INT/TERM traps are replaced by ones that stop every daemon
# (SIGTERM, then SIGKILL after EFW_DAEMON_STOP_TIMEOUT seconds) BEFORE
# efw_cleanup detaches and deletes the namespaces. A test that sets its own
# traps must call efw_daemon_cleanup before efw_cleanup.
#
# Files of the Nth daemon started: $EFW_TMP/edgefwd-N.out (stdout: the drop
# log when it goes to "-") and $EFW_TMP/edgefwd-N.out.err (stderr: its log).
# EFW_DAEMON_OUT and EFW_DAEMON_ERR name those of the last one started.

if ! declare -F tap_done >/dev/null; then
	# shellcheck source=SCRIPTDIR/netns.sh
	source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"
fi

# By default next to $EDGEFW (build/edgefwd, or the same build directory
# when EDGEFW points into another one); the test helpers likewise.
EDGEFWD=${EDGEFWD:-$(dirname "$EDGEFW")/edgefwd}
EFW_TOOLS=${EFW_TOOLS:-$(dirname "$EDGEFW")/tests/tools}
UDPFLOOD=${UDPFLOOD:-$EFW_TOOLS/udpflood}
UDPSINK=${UDPSINK:-$EFW_TOOLS/udpsink}
# Where the configs written by efw_daemon_config put the control socket.
EFW_DAEMON_SOCK=$EFW_TMP/edgefwd.sock
# The last daemon started: its pid ("" once stopped), its files, and the
# exit status of the last one stopped or that exited ("" while unknown).
EFW_DAEMON_PID=""
EFW_DAEMON_OUT=""
EFW_DAEMON_ERR=""
EFW_DAEMON_RC=""
EFW_DAEMON_N=0
# Every daemon pid ever started by this test.
EFW_DAEMON_PIDS=()
EFW_DAEMON_STOP_TIMEOUT=${EFW_DAEMON_STOP_TIMEOUT:-10}
EFW_DAEMON_START_TIMEOUT=${EFW_DAEMON_START_TIMEOUT:-20}

# Stops every daemon this test started: SIGTERM, then SIGKILL. Idempotent.
efw_daemon_cleanup() {
	local pid
	for pid in "${EFW_DAEMON_PIDS[@]}"; do
		efw_pid_alive "$pid" && kill -CONT "$pid" 2>/dev/null
		efw_pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${EFW_DAEMON_PIDS[@]}"; do
		if ! efw_wait_pid "$pid" "$EFW_DAEMON_STOP_TIMEOUT"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	EFW_DAEMON_PIDS=()
	EFW_DAEMON_PID=""
	return 0
}

trap 'efw_daemon_cleanup; efw_cleanup' EXIT
trap 'efw_daemon_cleanup; efw_cleanup; trap - EXIT; exit 130' INT
trap 'efw_daemon_cleanup; efw_cleanup; trap - EXIT; exit 143' TERM

# efw_test_prereqs plus the daemon binary; with "tools", also udpflood and
# udpsink (make BUILD=... test-build builds them).
efw_daemon_prereqs() {
	local t
	efw_test_prereqs
	[[ -x $EDGEFWD ]] || tap_bail "edgefwd binary built" "$EDGEFWD not found (make all)"
	if [[ ${1:-} == tools ]]; then
		for t in "$UDPFLOOD" "$UDPSINK"; do
			[[ -x $t ]] || tap_bail "test tools built" "$t not found (make test-build)"
		done
	fi
}

# efw_daemon_config FILE [OPTIONS] <BODY: writes a daemon config file, with
# `version: 1`, an `interfaces` section, a `daemon` section and then BODY
# read from stdin (defaults, sets, rules: anything but those three). The
# file is replaced atomically (written next to it, then renamed), so a
# daemon reloading at any moment sees the old or the new file.
# Options:
#   --iface PATTERN[:HOOKS[:MODE]]  an `interfaces` entry; HOOKS comma
#                        separated (xdp,tc-egress); repeatable; default one
#                        entry "$EFW_IF_EDGE_IN:xdp"
#   --no-interfaces      no `interfaces` section at all
#   --socket PATH        daemon.control-socket (default $EFW_DAEMON_SOCK)
#   --instance NAME      daemon.instance (default $EFW_INSTANCE)
#   --metrics VALUE      daemon.metrics (default off)
#   --drop-log VALUE     daemon.drop-log (default: not written, i.e. "-")
#   --log-rate N         daemon.log-rate (default: not written)
#   --on-exit keep|detach daemon.on-exit (default: not written, i.e. keep)
#   --daemon-line LINE   one more raw line in the daemon section ("key: v")
efw_daemon_config() {
	local file=$1 tmp ifaces=() no_ifaces=0 sock=$EFW_DAEMON_SOCK inst=$EFW_INSTANCE
	local metrics=off droplog="" lograte="" onexit="" extra=() spec pat hooks mode
	shift
	while [[ $# -gt 0 ]]; do
		case $1 in
		--iface) ifaces+=("$2"); shift 2 ;;
		--no-interfaces) no_ifaces=1; shift ;;
		--socket) sock=$2; shift 2 ;;
		--instance) inst=$2; shift 2 ;;
		--metrics) metrics=$2; shift 2 ;;
		--drop-log) droplog=$2; shift 2 ;;
		--log-rate) lograte=$2; shift 2 ;;
		--on-exit) onexit=$2; shift 2 ;;
		--daemon-line) extra+=("$2"); shift 2 ;;
		*) efw_log "efw_daemon_config: unknown option $1"; return 1 ;;
		esac
	done
	[[ ${#ifaces[@]} -gt 0 || $no_ifaces -eq 1 ]] || ifaces=("$EFW_IF_EDGE_IN:xdp")
	tmp=$file.tmp.$$
	{
		echo "version: 1"
		if [[ $no_ifaces -eq 0 ]]; then
			echo "interfaces:"
			for spec in "${ifaces[@]}"; do
				IFS=: read -r pat hooks mode <<<"$spec"
				echo "  - name: \"$pat\""
				[[ -z $hooks ]] || echo "    hooks: [${hooks//,/, }]"
				[[ -z $mode ]] || echo "    mode: $mode"
			done
		fi
		echo "daemon:"
		echo "  instance: $inst"
		echo "  control-socket: \"$sock\""
		echo "  metrics: \"$metrics\""
		[[ -z $droplog ]] || echo "  drop-log: \"$droplog\""
		[[ -z $lograte ]] || echo "  log-rate: $lograte"
		[[ -z $onexit ]] || echo "  on-exit: $onexit"
		for spec in "${extra[@]}"; do
			echo "  $spec"
		done
		cat
	} >"$tmp" || return 1
	mv -f -- "$tmp" "$file"
}

# efw_daemon_start CONFIG [EDGEFWD ARGS...]: starts edgefwd --config CONFIG
# --foreground in the edge namespace and waits (EFW_DAEMON_START_TIMEOUT
# seconds) until its control socket answers a status request. The socket
# is the config's daemon.control-socket: EFW_DAEMON_SOCK, unless
# EFW_DAEMON_SOCK was changed before the call.
# Returns 0 when ready; 1 when the daemon exited first (EFW_DAEMON_RC holds
# its status, EFW_DAEMON_PID is emptied); 2 on timeout (left running).
efw_daemon_start() {
	local config=$1 start
	shift
	EFW_DAEMON_N=$((EFW_DAEMON_N + 1))
	EFW_DAEMON_OUT=$EFW_TMP/edgefwd-$EFW_DAEMON_N.out
	EFW_DAEMON_ERR=$EFW_DAEMON_OUT.err
	EFW_DAEMON_RC=""
	efw_bg_in_ns "$EFW_NS_EDGE" "$EFW_DAEMON_OUT" "$EDGEFWD" --config "$config" --foreground "$@"
	EFW_DAEMON_PID=$EFW_BG_PID
	EFW_DAEMON_PIDS+=("$EFW_DAEMON_PID")
	start=${EPOCHREALTIME//[.,]/}
	while :; do
		if ! efw_pid_alive "$EFW_DAEMON_PID"; then
			EFW_DAEMON_RC=0
			wait "$EFW_DAEMON_PID" 2>/dev/null || EFW_DAEMON_RC=$?
			EFW_DAEMON_PID=""
			return 1
		fi
		efw_daemon_ready && return 0
		((${EPOCHREALTIME//[.,]/} - start < EFW_DAEMON_START_TIMEOUT * 1000000)) || return 2
		sleep 0.05
	done
}

# Does the control socket answer {"command":"status"} with "ok": true?
efw_daemon_ready() {
	[[ -S $EFW_DAEMON_SOCK ]] || return 1
	efw_daemon_request '{"command":"status"}' 2>/dev/null | jq -e '.ok == true' >/dev/null 2>&1
}

# efw_daemon_request JSON: sends one request on the control socket and
# prints the response (one JSON object). Fails when nobody answers.
efw_daemon_request() {
	local out
	out=$(printf '%s\n' "$1" | timeout 10 socat -t 5 - "UNIX-CONNECT:$EFW_DAEMON_SOCK" 2>&1) || {
		efw_log "control request $1 failed: $out"
		return 1
	}
	[[ -n $out ]] || return 1
	printf '%s\n' "$out"
}

# The daemon's own status (control socket), JSON on stdout.
efw_daemon_status() { efw_daemon_request '{"command":"status"}'; }

# efw_daemon_reload [FILE]: `edgefw --instance I reload [FILE] --socket S`
# (through the daemon); prints edgefw's stdout and stderr, returns its exit.
efw_daemon_reload() {
	in_ns "$EFW_NS_EDGE" timeout 30 "$EDGEFW" --instance "$EFW_INSTANCE" reload "$@" \
		--socket "$EFW_DAEMON_SOCK" 2>&1
}

# efw_daemon_signal SIG: signals the running daemon (HUP, STOP, CONT...).
efw_daemon_signal() {
	[[ -n $EFW_DAEMON_PID ]] || return 1
	kill "-$1" "$EFW_DAEMON_PID"
}

efw_daemon_alive() { [[ -n $EFW_DAEMON_PID ]] && efw_pid_alive "$EFW_DAEMON_PID"; }

# efw_daemon_stop [SIG] [TIMEOUT]: signals the daemon (default TERM) and
# waits for it; EFW_DAEMON_RC gets its exit status (128+N for a signal).
# Returns 1 (and kills it) when it did not exit within TIMEOUT seconds.
efw_daemon_stop() {
	local sig=${1:-TERM} timeout=${2:-$EFW_DAEMON_STOP_TIMEOUT} pid=$EFW_DAEMON_PID ok=0
	[[ -n $pid ]] || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	if ! efw_wait_pid "$pid" "$timeout"; then
		ok=1
		kill -KILL "$pid" 2>/dev/null || true
	fi
	EFW_DAEMON_RC=0
	wait "$pid" 2>/dev/null || EFW_DAEMON_RC=$?
	EFW_DAEMON_PID=""
	return "$ok"
}

# kill -9: nothing of the daemon's own cleanup runs.
efw_daemon_kill9() { efw_daemon_stop KILL 5; }

# efw_daemon_log_count ERE [FILE]: lines of the daemon's stderr matching ERE.
efw_daemon_log_count() {
	local n
	n=$(grep -cE -- "$1" "${2:-$EFW_DAEMON_ERR}" 2>/dev/null) || true
	printf '%s\n' "${n:-0}"
}

# efw_daemon_wait_log ERE TIMEOUT [N]: waits until at least N (default 1)
# lines of the current daemon's stderr match ERE.
efw_daemon_wait_log() {
	efw_wait_for "$2" efw_daemon_has_log "$1" "${3:-1}"
}
efw_daemon_has_log() { [[ $(efw_daemon_log_count "$1") -ge $2 ]]; }

# efw_daemon_diag [N] [FILE]: the last N (default 20) lines of the daemon's
# stderr as TAP diagnostics.
efw_daemon_diag() {
	local f=${2:-$EFW_DAEMON_ERR}
	[[ -n $f && -s $f ]] || { tap_diag "(no daemon log at ${f:-?})"; return 0; }
	tap_diag "edgefwd stderr ($f):"
	tail -n "${1:-20}" "$f" | tap_diag
}

# efw_status_json [INSTANCE]: `edgefw status --json` (from the pins), or "none".
efw_status_json() { efw_edgefw --instance "${1:-$EFW_INSTANCE}" status --json 2>/dev/null || echo none; }
# efw_stats_json [INSTANCE]: `edgefw stats --json`, or "none".
efw_stats_json() { efw_edgefw --instance "${1:-$EFW_INSTANCE}" stats --json 2>/dev/null || echo none; }

# efw_attached_list STATUS_JSON: the attached (interface, hook) pairs as a
# sorted JSON array of "IF HOOK" strings.
efw_attached_list() {
	jq -c '[.attachments[]? | select(.attached) | "\(.interface) \(.hook)"] | sort' <<<"$1" 2>/dev/null ||
		echo invalid-json
}

# efw_xdp_prog_id IF: the id of the XDP program on IF in the edge namespace
# (ip -d link), or "none".
efw_xdp_prog_id() {
	local id
	id=$(in_ns "$EFW_NS_EDGE" ip -d link show dev "$1" 2>/dev/null |
		sed -n 's/.*prog\/xdp id \([0-9]\+\).*/\1/p' | head -n 1)
	printf '%s\n' "${id:-none}"
}

# efw_rule_counter STATS_JSON RULE [FIELD]: a rule counter, or "missing".
efw_rule_counter() {
	jq -r --arg n "$2" --arg f "${3:-packets}" \
		'first(.rules[]? | select(.name == $n) | .[$f]) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}

# efw_default_counter STATS_JSON HOOK [FIELD]: the default policy counter of HOOK.
efw_default_counter() {
	jq -r --arg h "$2" --arg f "${3:-packets}" \
		'first(.defaults[]? | select(.hook == $h) | .[$f]) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}

# efw_static_neigh: static neighbours between the client and the edge's
# client-facing interface and no IPv6 on the client link, so only the
# traffic a test sends crosses it (no ARP, ND, MLD).
efw_static_neigh() {
	local mac_in mac_c
	mac_in=$(in_ns "$EFW_NS_EDGE" ip -br link show dev "$EFW_IF_EDGE_IN" | awk '{ print $3 }') &&
		mac_c=$(in_ns "$EFW_NS_CLIENT" ip -br link show dev "$EFW_IF_CLIENT" | awk '{ print $3 }') &&
		in_ns "$EFW_NS_CLIENT" ip neigh replace "$EFW_EDGE_IN4" lladdr "$mac_in" dev "$EFW_IF_CLIENT" nud permanent &&
		in_ns "$EFW_NS_EDGE" ip neigh replace "$EFW_CLIENT4" lladdr "$mac_c" dev "$EFW_IF_EDGE_IN" nud permanent &&
		in_ns "$EFW_NS_EDGE" ip neigh replace "$EFW_CLIENT4_BAD" lladdr "$mac_c" dev "$EFW_IF_EDGE_IN" nud permanent &&
		in_ns "$EFW_NS_CLIENT" sysctl -qw "net.ipv6.conf.$EFW_IF_CLIENT.disable_ipv6=1"
}

# --- Traffic with udpflood and udpsink (tests/tools).
declare -A EFW_SINK_PID=() EFW_FLOOD_PID=()

# efw_sink_start NS ADDR PORT [UDPSINK ARGS...]: udpsink bound to ADDR:PORT
# in NS until stopped; output in $EFW_TMP/sink-PORT.out. Waits until bound.
efw_sink_start() {
	local ns=$1 addr=$2 port=$3
	shift 3
	efw_bg_in_ns "$ns" "$EFW_TMP/sink-$port.out" "$UDPSINK" --port "$port" --bind "$addr" "$@"
	EFW_SINK_PID[$port]=$EFW_BG_PID
	if ! efw_wait_for 3 efw_listening "$ns" u "$port"; then
		efw_log "udpsink on $addr:$port did not start: $(cat "$EFW_TMP/sink-$port.out.err")"
		return 1
	fi
}

# efw_sink_stop PORT: SIGTERM; udpsink prints its counts and exits.
efw_sink_stop() {
	[[ -n ${EFW_SINK_PID[$1]:-} ]] || return 0
	efw_stop_pid "${EFW_SINK_PID[$1]}"
	unset "EFW_SINK_PID[$1]"
}

# efw_sink_field PORT FIELD: received, overflow, max_seq or unique from a
# stopped sink's report, or "missing".
efw_sink_field() {
	local v
	v=$(awk -v f="$2" '$1 == f { print $2 }' "$EFW_TMP/sink-$1.out" 2>/dev/null)
	printf '%s\n' "${v:-missing}"
}

# efw_flood_start NS NAME SRC DST PORT PPS [SECONDS]: udpflood from SRC to
# DST:PORT in NS, PPS datagrams per second for SECONDS (default 110) or
# until efw_flood_stop NAME; output in $EFW_TMP/flood-NAME.out.
efw_flood_start() {
	local ns=$1 name=$2 src=$3 dst=$4 port=$5 pps=$6 secs=${7:-110}
	efw_bg_in_ns "$ns" "$EFW_TMP/flood-$name.out" "$UDPFLOOD" --src "$src" --dst "$dst" \
		--port "$port" --pps "$pps" --seconds "$secs"
	EFW_FLOOD_PID[$name]=$EFW_BG_PID
}

efw_flood_alive() { [[ -n ${EFW_FLOOD_PID[$1]:-} ]] && efw_pid_alive "${EFW_FLOOD_PID[$1]}"; }

# efw_flood_stop NAME: SIGTERM (or waits for the end of its SECONDS when it
# already stopped); prints the number of datagrams sent, or "missing".
efw_flood_stop() {
	local v
	if [[ -n ${EFW_FLOOD_PID[$1]:-} ]]; then
		efw_stop_pid "${EFW_FLOOD_PID[$1]}"
		unset "EFW_FLOOD_PID[$1]"
	fi
	v=$(grep -E '^[0-9]+$' "$EFW_TMP/flood-$1.out" 2>/dev/null | tail -n 1)
	printf '%s\n' "${v:-missing}"
}
