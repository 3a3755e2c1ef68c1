#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Interfaces at scale (issue 22), for make bench: edgefwd follows "hb*" in
# a namespace of its own while bursts of 1, 100 and 1,000 veth pairs
# appear. Per scale and load mode, interleaved in one run:
#   - total attach time: from the first link notification of the burst
#     (one ip -batch that creates and sets up the pairs; the notification's
#     arrival in a listener of the namespace,
#     tests/tools/first_link_event.py) until the daemon's status reports
#     every one attached; the time ip itself took is given too, from its
#     start;
#   - the daemon's CPU seconds (user + system, /proc/PID/stat) over it,
#     the verifier's work included (it runs in the daemon's bpf() calls);
#   - time to enforce a new interface while the burst's N are attached:
#     100 veths created one at a time (20 with --quick), each probed with
#     a blocked frame every 0.2 ms from the moment `ip` returns until the
#     drop rule's counter moves (tests/tools/enforce_time.py): p50, p99, max;
# with 10 rules, and time to enforce again with 100k source prefixes and
# 10k multi-field rules loaded.
# Then the control socket: status and reload round trips (10 each, one
# after the other, each on a new connection) with no other client, and
# while 1,000 clients hold idle connections (reconnecting those the daemon
# closes) and 10 send junk (tests/tools/ctl_abuse.py).
# Modes: "shared" (one program per hook, verified once: this issue) and
# "per-attach" (EDGEFW_LOAD_PER_ATTACH=1: a program loaded and verified for
# every attachment, as before). per-attach at 1,000 interfaces takes about
# 5 minutes of CPU here and runs with --full only.
# Writes build/bench/ifaces.json (ifaces-quick.json with --quick).
#
# --modes shared leaves per-attach out (a quicker look at this issue's
# figures alone; no ratio to the old load).
#
#   scripts/bench_ifaces.sh [--quick] [--full] [--build DIR] [--only attach|control]
#                           [--modes "shared per-attach"]
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=$REPO/build
QUICK=0
FULL=0
ONLY=""
MODES=(shared per-attach)
while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--full) FULL=1; shift ;;
	--build) BUILD=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--modes) read -r -a MODES <<<"$2"; shift 2 ;;
	*) echo "usage: $0 [--quick] [--full] [--build DIR] [--only attach|control] [--modes \"shared per-attach\"]" >&2; exit 1 ;;
	esac
done
EDGEFWD=$BUILD/edgefwd
ENFORCE=$REPO/tests/tools/enforce_time.py
FIRST_EVENT=$REPO/tests/tools/first_link_event.py
[[ -x $EDGEFWD ]] || { echo "bench_ifaces: $EDGEFWD not built (make)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "bench_ifaces: needs root" >&2; exit 1; }
if ((QUICK)); then
	SCALES=(1 100)
	EVENTS=20
	OUT=$BUILD/bench/ifaces-quick.json
else
	SCALES=(1 100 1000)
	EVENTS=100
	OUT=$BUILD/bench/ifaces.json
fi
mkdir -p "$BUILD/bench"
ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=efw-bif-$ID
INST=t-bif-$ID
TMP=$(mktemp -d "/tmp/efw-bif-$ID.XXXXXX")
SOCK=$TMP/edgefwd.sock
DPID=""

cleanup() {
	if [[ -n $DPID ]]; then
		kill -TERM "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "/sys/fs/bpf/edgefw/$INST" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# rules FILE SIZE: the config; SIZE "small" (10 rules) or "big" (100k
# source prefixes in one rule, then 10k rules of destination /32, protocol
# and port). The probe's rule comes first, so it owns counter slot 0.
rules() {
	/usr/bin/python3 - "$1" "$2" "$INST" "$SOCK" <<'EOF'
import sys
path, size, inst, sock = sys.argv[1:5]
out = ["version: 1", "interfaces:", '  - name: "hb*"', "    hooks: [xdp]",
       "daemon:", "  instance: %s" % inst, '  control-socket: "%s"' % sock,
       '  metrics: "off"', "defaults:", "  xdp: pass", "  non-ip: pass", "rules:",
       "  - {name: probe-drop, src: 10.9.9.9/32, action: drop}"]
if size == "big":
    pre = ["%d.%d.%d.0/24" % (100 + i // 65536, (i // 256) % 256, i % 256)
           for i in range(100000)]
    out.append("  - name: blocklist")
    out.append("    src: [%s]" % ", ".join(pre))
    out.append("    action: drop")
    for i in range(9999):
        out.append("  - {name: svc%d, dst: 198.18.%d.%d/32, proto: tcp, dport: %d, action: pass}"
                   % (i, i // 250, i % 250 + 1, 1024 + i % 30000))
else:
    for i in range(9):
        out.append("  - {name: svc%d, dst: 198.18.0.%d/32, proto: tcp, dport: %d, action: pass}"
                   % (i, i + 1, 8000 + i))
open(path, "w").write("\n".join(out) + "\n")
EOF
}

status() { printf '%s\n' '{"command":"status"}' | timeout 10 socat -t 5 - "UNIX-CONNECT:$SOCK" 2>/dev/null; }
attached() { status | jq -r '.attachments.attached // -1' 2>/dev/null || echo -1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
now_ms() { echo $((${EPOCHREALTIME//[.,]/} / 1000)); }

# start MODE CONFIG
start() {
	local mode=$1 env=() i
	[[ $mode == per-attach ]] && env=(EDGEFW_LOAD_PER_ATTACH=1)
	ip netns add "$NS"
	env "${env[@]}" nsenter --net="/run/netns/$NS" "$EDGEFWD" --config "$2" --foreground \
		>"$TMP/edgefwd.out" 2>"$TMP/edgefwd.err" &
	DPID=$!
	for ((i = 0; i < 600; i++)); do
		status | jq -e .ok >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench_ifaces: edgefwd did not start: $(tail -n 3 "$TMP/edgefwd.err")" >&2
	exit 1
}

stop() {
	kill -TERM "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=""
	ip netns del "$NS"
	rm -rf "/sys/fs/bpf/edgefw/$INST" 2>/dev/null || true
}

# burst N: prints "total_ms ip_ms cpu_s" for N pairs appearing at once.
burst() {
	local n=$1 i t0 t1 t2 c0 c1 hz lpid first
	hz=$(getconf CLK_TCK)
	: >"$TMP/add"
	for ((i = 0; i < n; i++)); do echo "link add hb$i group 9 type veth peer name pb$i"; done >>"$TMP/add"
	for ((i = 0; i < n; i++)); do echo "link set hb$i up"; echo "link set pb$i up"; done >>"$TMP/add"
	rm -f "$TMP/listening"
	nsenter --net="/run/netns/$NS" /usr/bin/python3 "$FIRST_EVENT" "$TMP/listening" >"$TMP/first" &
	lpid=$!
	for ((i = 0; i < 500; i++)); do
		[[ -s $TMP/listening ]] && break
		sleep 0.01
	done
	c0=$(cpu_ticks "$DPID")
	t0=$(now_ms)
	ip -n "$NS" -batch "$TMP/add"
	t1=$(now_ms)
	wait "$lpid" || { echo "bench_ifaces: no link notification seen" >&2; exit 1; }
	first=$(cat "$TMP/first")
	for ((i = 0; i < 60000; i++)); do
		[[ $(attached) -ge $n ]] && break
		sleep 0.02
	done
	t2=$(now_ms)
	c1=$(cpu_ticks "$DPID")
	echo "$((t2 - first)) $((t1 - t0)) $(echo "scale=2; ($c1 - $c0) / $hz" | bc)"
}

# unburst: the pairs of burst go, and the daemon forgets them.
unburst() {
	local i
	ip -n "$NS" link del group 9
	for ((i = 0; i < 3000; i++)); do
		[[ $(attached) -le 0 ]] && break
		sleep 0.02
	done
}

# enforce: new interfaces (hbe0, hbe1...) beside any the burst left.
enforce() {
	nsenter --net="/run/netns/$NS" /usr/bin/python3 "$ENFORCE" --instance "$INST" \
		--prefix hbe --events "$EVENTS"
}

rules "$TMP/small.yaml" small
rules "$TMP/big.yaml" big
echo "bench_ifaces: interfaces at scale (issue 22), $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %6s %12s %10s %8s %24s\n' mode ifaces "attach ms" "ip -batch" "CPU s" "enforce p50/p99/max ms"
rows=()
[[ $ONLY == control ]] && SCALES=()
for n in "${SCALES[@]}"; do
	for mode in "${MODES[@]}"; do
		if [[ $mode == per-attach && $n -ge 1000 && $FULL -eq 0 ]]; then
			printf '%-10s %6s %12s\n' "$mode" "$n" "(--full)"
			continue
		fi
		start "$mode" "$TMP/small.yaml"
		read -r total ipms cpu < <(burst "$n")
		# A new interface's time to enforce with the burst's N attached.
		enf=$(enforce)
		unburst
		loads=$(status | jq -r '.attachments.program_loads')
		stop
		printf '%-10s %6s %12s %10s %8s %24s\n' "$mode" "$n" "$total" "$ipms" "$cpu" \
			"$(jq -r 'if .p50_ms then "\(.p50_ms)/\(.p99_ms)/\(.max_ms)" else "missed \(.missed)" end' <<<"$enf")"
		rows+=("$(jq -nc --arg mode "$mode" --argjson n "$n" --argjson total "$total" \
			--argjson ipms "$ipms" --argjson cpu "$cpu" --argjson enf "$enf" \
			--argjson loads "${loads:-0}" --arg rules "10 rules" \
			'{mode:$mode, interfaces:$n, rules:$rules, attach_ms:$total, ip_batch_ms:$ipms,
			  cpu_s:$cpu, program_loads:$loads, enforce:$enf}')")
	done
done
for mode in "${MODES[@]}"; do
	[[ $ONLY == control ]] && break
	start "$mode" "$TMP/big.yaml"
	enf=$(enforce)
	stop
	printf '%-10s %6s %12s %10s %8s %24s  (100k prefixes + 10k rules)\n' "$mode" 1 "" "" "" \
		"$(jq -r '"\(.p50_ms)/\(.p99_ms)/\(.max_ms)"' <<<"$enf")"
	rows+=("$(jq -nc --arg mode "$mode" --argjson enf "$enf" \
		'{mode:$mode, interfaces:1, rules:"100k prefixes + 10k rules", enforce:$enf}')")
done
# The control socket, quiet and under abuse (the abusers need more than
# the default 1,024 descriptors).
ABUSE=$REPO/tests/tools/ctl_abuse.py
[[ $ONLY == attach ]] || {
	start shared "$TMP/small.yaml"
	# shellcheck disable=SC2034 # read through ${!w} below
	quiet=$(/usr/bin/python3 "$ABUSE" "$SOCK" --latency 10)
	(ulimit -n 8192 && exec /usr/bin/python3 "$ABUSE" "$SOCK" --idle 1000 --garbage 10 --seconds 25) \
		>"$TMP/abuse.out" 2>&1 &
	apid=$!
	sleep 3
	# shellcheck disable=SC2034 # read through ${!w} below
	busy=$(/usr/bin/python3 "$ABUSE" "$SOCK" --latency 10)
	wait "$apid" || true
	stop
	for w in quiet busy; do
		j=${!w}
		printf 'control socket, %-46s status %s/%s ms, reload %s/%s ms (median/max)\n' \
			"$([[ $w == quiet ]] && echo "no other client:" || echo "1,000 idle + 10 junk clients:")" \
			"$(jq -r .status.median_ms <<<"$j")" "$(jq -r .status.max_ms <<<"$j")" \
			"$(jq -r .reload.median_ms <<<"$j")" "$(jq -r .reload.max_ms <<<"$j")"
		rows+=("$(jq -c --arg w "$w" '{control_socket:$w} + .' <<<"$j")")
	done
	echo "abusers: $(cat "$TMP/abuse.out")"
}
[[ -z $ONLY ]] || OUT=${OUT%.json}-$ONLY.json
printf '%s\n' "${rows[@]}" | jq -s --arg date "$(date -u +%FT%TZ)" \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{date:$date, loadavg:$load, rows:.}' >"$OUT"
echo "bench_ifaces: wrote $OUT"
