#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# End-to-end benchmark: packets per second a receiver drops on a veth, and
# the receiver's CPU time per packet, for edgefw and the alternatives.
#
#   scripts/bench_e2e.sh [--quick] [--seconds S] [--reps N] [--json FILE]
#
#   generator ns (efw-client-ID)              receiver ns (efw-edge-ID)
#   efwIDc  ------------------- veth -------------------  efwIDei 10.201.0.1/24
#   build/tests/bench/trafficgen, CPU 0        threaded NAPI, CPU 1
#
# The generator (tests/bench/trafficgen.c) sends 60-byte UDP frames through
# XDP live frames straight into the receiving veth's ring, 3-4 Mpps from one
# CPU: more than the ring takes, so frames overflow it in every run. The
# receiver's veth runs its NAPI poll in a kernel thread pinned to the other
# CPU, so everything the receiver does per packet (XDP, the skb, tc,
# netfilter, the stack) is that thread's CPU time, read exactly from
# /proc/PID/schedstat: the receiver's CPU time per packet is the number to
# compare. The packets per second it drops are reported too, but on this
# kernel (6.18) the veth's NAPI thread sleeps for milliseconds at a time
# while its ring overflows (it is busy 35-65% of the time whatever the
# receiver costs per packet), so they measure the veth's wake-ups as much as
# the filter; the table also gives what one CPU could drop at the measured
# cost per packet (1 / ns per packet).
#
# Every receiver gets the same 1,000 source prefixes (100.64.0.0/24,
# 100.64.1.0/24, ... every /24 from 100.64.0.0 to 100.67.231.0) as drops.
# "hit": the generator's sources walk all 1,000 prefixes, so everything is
# dropped (linear rules pay for the average position, 500). "miss" (not with
# --quick): sources in 100.80.0.0/14, outside every prefix, so the filter
# passes everything to the stack, which drops it for want of a UDP socket.
#
# ClassBench: edgefw XDP holding fw1_10k (--quick: fw1_1k), every line but
# the last (which matches everything) as a drop rule, and edgefw holding its
# first 10 rules, get the generator's flows instead (trafficgen --flows):
# "hit" packets aimed inside rules of the set's second half that the second
# half wins, "miss" TCP and UDP packets no rule matches (build/tests/tools/
# classbench flows). Skipped with the compiler's message when `edgefw check`
# refuses the set (or says nothing within EFW_BENCH_CB_TIMEOUT, default 600
# seconds), or when the shared sets are absent.
#
# Every receiver is measured --reps times (default 3; --quick: once, hit
# only, 1 s), the repetitions interleaved across receivers so that a slow
# moment of the machine does not land on one of them; each figure reported
# is the median of its repetitions.
#
# Builds nothing: uses build/edgefw, build/tests/bench/trafficgen and
# build/kern/bench.bpf.o (`make bench` builds them first). Needs root.
# Namespaces, links, edgefw pins and libxdp dispatchers are removed by the
# EXIT/INT/TERM trap; nftables and iptables state lives in the namespace.
set -euo pipefail

usage() {
	echo "usage: scripts/bench_e2e.sh [--quick] [--seconds S] [--reps N] [--json FILE]" >&2
	exit 2
}

QUICK=0
SECONDS_PER_RUN=
REPS=
JSON_OUT=
while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--seconds) [[ $# -ge 2 ]] || usage; SECONDS_PER_RUN=$2; shift 2 ;;
	--reps) [[ $# -ge 2 ]] || usage; REPS=$2; shift 2 ;;
	--json) [[ $# -ge 2 ]] || usage; JSON_OUT=$2; shift 2 ;;
	*) usage ;;
	esac
done
if [[ -z $SECONDS_PER_RUN ]]; then
	SECONDS_PER_RUN=3
	[[ $QUICK -eq 1 ]] && SECONDS_PER_RUN=1
fi
if [[ -z $REPS ]]; then
	REPS=3
	[[ $QUICK -eq 1 ]] && REPS=1
fi
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]?$ && $REPS =~ ^[1-9]$ ]] || usage

# shellcheck source=SCRIPTDIR/lib/topology.sh
source "$(dirname "$(readlink -f "$0")")/lib/topology.sh"

TRAFFICGEN=$EFW_REPO/build/tests/bench/trafficgen
BENCH_OBJ=$EFW_REPO/build/kern/bench.bpf.o
CLASSBENCH=$EFW_REPO/build/tests/tools/classbench
CB_SET=fw1_10k
[[ $QUICK -eq 1 ]] && CB_SET=fw1_1k
CB_FILE=$EFW_REPO/../shared/data/classbench/$CB_SET
CB_TIMEOUT=${EFW_BENCH_CB_TIMEOUT:-600}
CB_FLOWS=4096
N_PREFIXES=1000
HIT_BASE=100.64.0.0
MISS_BASE=100.80.0.0
RX_ADDR=10.201.0.1
# Warm-up before the measured window: the ring fills, NAPI settles.
WARMUP=1

say() { printf 'bench_e2e: %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
	say "needs root (namespaces, XDP); skipped"
	exit 0
fi
for f in "$EDGEFW" "$TRAFFICGEN" "$BENCH_OBJ"; do
	[[ -e $f ]] || { say "$f is missing: run make bench"; exit 1; }
done
for t in xdp-loader ethtool jq nft iptables-legacy-restore taskset; do
	command -v "$t" >/dev/null || say "$t is not installed (scripts/deps.sh): the rows needing it are skipped"
done
if [[ $(nproc) -lt 2 ]]; then
	say "needs 2 CPUs (generator and receiver on their own); skipped"
	exit 0
fi

efw_init bench-e2e
GEN_NS=$EFW_NS_CLIENT
RX_NS=$EFW_NS_EDGE
GEN_IF=$EFW_IF_CLIENT
RX_IF=$EFW_IF_EDGE_IN

# libxdp pins its dispatcher under /sys/fs/bpf/xdp: unload through it while
# the interface exists, then let efw_cleanup do the rest.
e2e_cleanup() {
	if [[ -e /run/netns/$RX_NS ]] && command -v xdp-loader >/dev/null; then
		in_ns "$RX_NS" xdp-loader unload "$RX_IF" --all >/dev/null 2>&1 || true
	fi
	efw_cleanup
}
trap e2e_cleanup EXIT
trap 'e2e_cleanup; trap - EXIT; exit 130' INT
trap 'e2e_cleanup; trap - EXIT; exit 143' TERM

efw_ensure_bpffs

# --- topology -------------------------------------------------------------

efw_try ip netns add "$GEN_NS"
efw_try ip netns add "$RX_NS"
efw_try in_ns "$RX_NS" ip link add "$RX_IF" type veth peer name "$GEN_IF" netns "$GEN_NS"
efw_try in_ns "$RX_NS" ip link set lo up
efw_try in_ns "$RX_NS" ip addr add "$RX_ADDR/24" dev "$RX_IF"
efw_try in_ns "$GEN_NS" ip link set "$GEN_IF" up
efw_try in_ns "$RX_NS" ip link set "$RX_IF" up
# A veth accepts XDP frames (ndo_xdp_xmit) only while the receiving end
# has NAPI, which it has with an XDP program or with GRO on: GRO keeps it
# for the receivers without XDP.
efw_try in_ns "$RX_NS" ethtool -K "$RX_IF" gro on
# Threaded NAPI (a sysfs knob: `ip netns exec` mounts the namespace's /sys
# in a private mount namespace, which is all this write needs).
ip netns exec "$RX_NS" sh -c "echo 1 > /sys/class/net/$RX_IF/threaded"
efw_wait_for 3 efw_link_is_up "$RX_NS" "$RX_IF" || { say "link did not come up"; exit 1; }
RX_MAC=$(in_ns "$RX_NS" ip -j link show dev "$RX_IF" | jq -r '.[0].address')

# --- rulesets -------------------------------------------------------------

prefixes() {
	local i
	for ((i = 0; i < N_PREFIXES; i++)); do
		printf '100.%d.%d.0/24\n' $((64 + i / 256)) $((i % 256))
	done
}
prefixes >"$EFW_TMP/prefixes"

{
	echo 'version: 1'
	echo 'defaults: {xdp: pass, tc-ingress: pass}'
	echo 'sets:'
	echo '  blocklist:'
	echo '    addresses:'
	sed 's/^/      - /' "$EFW_TMP/prefixes"
	echo 'rules:'
	echo '  - name: drop-blocklisted'
	echo '    direction: ingress'
	# shellcheck disable=SC2016 # a YAML set reference, not shell
	echo '    src: $blocklist'
	echo '    action: drop'
} >"$EFW_TMP/edgefw.yaml"

nft_table() { # nft_table set|linear
	echo "table netdev e2e {"
	# One named counter, bumped only by the rule that drops.
	echo "  counter dropped {}"
	if [[ $1 == set ]]; then
		echo "  set blocklist { type ipv4_addr; flags interval; elements = {"
		sed 's/$/,/' "$EFW_TMP/prefixes"
		echo "  } }"
	fi
	echo "  chain ingress {"
	echo "    type filter hook ingress device \"$RX_IF\" priority 0; policy accept;"
	if [[ $1 == set ]]; then
		echo "    ip saddr @blocklist counter name dropped drop"
	else
		sed 's/^\(.*\)$/    ip saddr \1 counter name dropped drop/' "$EFW_TMP/prefixes"
	fi
	echo "  }"
	echo "}"
}
nft_table set >"$EFW_TMP/nft-set.nft"
nft_table linear >"$EFW_TMP/nft-linear.nft"

{
	echo '*raw'
	echo ':PREROUTING ACCEPT [0:0]'
	echo ':OUTPUT ACCEPT [0:0]'
	sed 's/^\(.*\)$/-A PREROUTING -s \1 -j DROP/' "$EFW_TMP/prefixes"
	echo 'COMMIT'
} >"$EFW_TMP/iptables.rules"

# --- receivers: setup, teardown, and their drop counter --------------------

xdp_drops() {
	in_ns "$RX_NS" ethtool -S "$RX_IF" | awk '/xdp_drops:/ { s += $2 } END { print s + 0 }'
}
udp_noports() { efw_snmp "$RX_NS" snmp Udp NoPorts; }
nft_dropped() {
	in_ns "$RX_NS" nft -j list counter netdev e2e dropped |
		jq '[.nftables[] | select(.counter) | .counter.packets] | add'
}
ipt_dropped() {
	in_ns "$RX_NS" iptables-legacy -t raw -nvxL PREROUTING |
		awk 'NR > 2 { s += $1 } END { print s + 0 }'
}
edgefw_dropped() {
	efw_edgefw --instance "$EFW_INSTANCE" stats --json |
		jq '[.rules[] | select(.action == "drop") | .packets] | add // 0'
}

setup_none() { :; }
teardown_none() { :; }
setup_xdpdrop() { efw_try in_ns "$RX_NS" xdp-loader load -m native -n bench_xdp_drop "$RX_IF" "$BENCH_OBJ" >/dev/null; }
teardown_xdpdrop() { efw_try in_ns "$RX_NS" xdp-loader unload "$RX_IF" --all >/dev/null; }
setup_efw_xdp() { efw_try efw_edgefw --instance "$EFW_INSTANCE" attach "$RX_IF" --rules "$EFW_TMP/edgefw.yaml" --hook xdp --mode native >/dev/null; }
setup_efw_tc() { efw_try efw_edgefw --instance "$EFW_INSTANCE" attach "$RX_IF" --rules "$EFW_TMP/edgefw.yaml" --hook tc-ingress >/dev/null; }
teardown_efw() { efw_try efw_edgefw --instance "$EFW_INSTANCE" detach "$RX_IF" >/dev/null; }
setup_nft_set() { efw_try in_ns "$RX_NS" nft -f "$EFW_TMP/nft-set.nft"; }
setup_nft_linear() { efw_try in_ns "$RX_NS" nft -f "$EFW_TMP/nft-linear.nft"; }
teardown_nft() { efw_try in_ns "$RX_NS" nft delete table netdev e2e; }
setup_ipt() { efw_try in_ns "$RX_NS" iptables-legacy-restore "$EFW_TMP/iptables.rules"; }
teardown_ipt() { efw_try in_ns "$RX_NS" iptables-legacy -t raw -F PREROUTING; }
setup_efw_cb() { efw_try efw_edgefw --instance "$EFW_INSTANCE" attach "$RX_IF" --rules "$EFW_TMP/cb.yaml" --hook xdp --mode native >/dev/null; }
setup_efw_cb10() { efw_try efw_edgefw --instance "$EFW_INSTANCE" attach "$RX_IF" --rules "$EFW_TMP/cb10.yaml" --hook xdp --mode native >/dev/null; }

# Each receiver: NAME|LABEL|NEEDS|SETUP|TEARDOWN|COUNTER[|TRAFFIC], where
# TRAFFIC "cb" means the ClassBench flows, else the source prefixes.
RECEIVERS=(
	"none|no filter (stack drops: no UDP socket)|ethtool|setup_none|teardown_none|udp_noports"
	"xdp_drop|empty XDP_DROP|xdp-loader|setup_xdpdrop|teardown_xdpdrop|xdp_drops"
	"edgefw_xdp|edgefw XDP native|ethtool|setup_efw_xdp|teardown_efw|xdp_drops"
	"edgefw_tc|edgefw tc ingress|ethtool|setup_efw_tc|teardown_efw|edgefw_dropped"
	"nft_set|nftables netdev ingress, set|nft|setup_nft_set|teardown_nft|nft_dropped"
	"nft_linear|nftables netdev ingress, 1,000 rules|nft|setup_nft_linear|teardown_nft|nft_dropped"
	"iptables|iptables (legacy) raw PREROUTING, 1,000 rules|iptables-legacy-restore|setup_ipt|teardown_ipt|ipt_dropped"
)

# --- measuring --------------------------------------------------------------

# The receiving veth's NAPI thread ("napi/IFNAME-ID", the name cut to 15
# characters). Attaching or removing XDP recreates it, so look it up anew.
napi_pid() {
	local want="napi/$RX_IF-" pid comm
	want=${want:0:15}
	for pid in $(ps -eo pid= -o comm= | awk '$2 ~ /^napi\// { print $1 }'); do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		[[ $comm == "$want"* ]] && { echo "$pid"; return 0; }
	done
	return 1
}
sched_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
# CPU 1's busy and steal time (USER_HZ ticks) from /proc/stat: whether the
# NAPI thread had that CPU to itself, and what the hypervisor took.
cpu1_ticks() {
	awk '$1 == "cpu1" { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat
}
rx_stats() { in_ns "$RX_NS" ip -j -s link show dev "$RX_IF" | jq -r '.[0].stats64.rx | "\(.packets) \(.dropped)"'; }
now_ns() { echo $((${EPOCHREALTIME//[.,]/} * 1000)); }

RESULTS=()

# measure NAME LABEL VARIANT COUNTER TRAFFIC: one bounded run of the
# generator.
measure() {
	local name=$1 label=$2 variant=$3 counter=$4 traffic=$5 base napi gen_pid
	local t0 t1 rx0 rx1 dr0 dr1 c0 c1 s0 s1 b0 b1 st0 st1 out
	local -a gen_src
	base=$HIT_BASE
	[[ $variant == miss ]] && base=$MISS_BASE
	gen_src=(--src-base "$base" --prefixes "$N_PREFIXES")
	[[ $traffic == cb ]] && gen_src=(--src-base "$base" --flows "$EFW_TMP/cb-$variant.flows")
	napi=$(napi_pid) || { say "$name: no NAPI thread for $RX_IF"; return 1; }
	taskset -p 2 "$napi" >/dev/null
	efw_bg_in_ns "$GEN_NS" "$EFW_TMP/gen.out" taskset -c 0 "$TRAFFICGEN" \
		--dev "$GEN_IF" --dst-mac "$RX_MAC" --dst "$RX_ADDR" "${gen_src[@]}" \
		--seconds $((WARMUP + SECONDS_PER_RUN + 1))
	gen_pid=$EFW_BG_PID
	sleep "$WARMUP"
	read -r rx0 dr0 < <(rx_stats)
	c0=$($counter)
	s0=$(sched_ns "$napi")
	read -r b0 st0 < <(cpu1_ticks)
	t0=$(now_ns)
	sleep "$SECONDS_PER_RUN"
	read -r rx1 dr1 < <(rx_stats)
	c1=$($counter)
	s1=$(sched_ns "$napi")
	read -r b1 st1 < <(cpu1_ticks)
	t1=$(now_ns)
	if ! wait "$gen_pid"; then
		say "$name: the generator failed: $(cat "$EFW_TMP/gen.out.err")"
		return 1
	fi
	out=$(awk -v name="$name" -v label="$label" -v variant="$variant" \
		-v dt=$((t1 - t0)) -v rx=$((rx1 - rx0)) -v ovf=$((dr1 - dr0)) \
		-v drop=$((c1 - c0)) -v cpu=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" \
		-v busy=$((b1 - b0)) -v steal=$((st1 - st0)) 'BEGIN {
		s = dt / 1e9
		printf "{\"name\":\"%s\",\"label\":\"%s\",\"traffic\":\"%s\",", name, label, variant
		printf "\"seconds\":%.3f,\"offered_pps\":%.0f,\"received_pps\":%.0f,", s, (rx + ovf) / s, rx / s
		printf "\"dropped_pps\":%.0f,\"receiver_cpu\":%.3f,", drop / s, cpu / dt
		printf "\"cpu1_busy\":%.3f,\"cpu1_steal\":%.3f,", busy / hz / s, steal / hz / s
		printf "\"receiver_ns_per_packet\":%.1f}\n", rx ? cpu / rx : 0
	}')
	RESULTS+=("$out")
	say "$(jq -r '"\(.name) \(.traffic): received \(.received_pps) pps, dropped \(.dropped_pps) pps, receiver CPU \(.receiver_cpu) (CPU 1 busy \(.cpu1_busy), steal \(.cpu1_steal)), \(.receiver_ns_per_packet) ns/packet"' <<<"$out")"
}

SKIPPED=()

# The ClassBench receivers, when the set is there and compiles.
cb_prepare() {
	local out msg lines
	if [[ ! -x $CLASSBENCH ]]; then
		SKIPPED+=("edgefw with $CB_SET ($CLASSBENCH is missing: make bench builds it)")
		return 0
	fi
	if [[ ! -r $CB_FILE ]]; then
		SKIPPED+=("edgefw with $CB_SET ($CB_FILE is absent: the shared ClassBench sets)")
		return 0
	fi
	lines=$(grep -c . "$CB_FILE")
	"$CLASSBENCH" convert "$CB_FILE" --skip-catch-all >"$EFW_TMP/cb.yaml" 2>/dev/null
	"$CLASSBENCH" convert "$CB_FILE" --skip-catch-all --lines 1-10 >"$EFW_TMP/cb10.yaml" 2>/dev/null
	say "checking $CB_SET with edgefw check (at most ${CB_TIMEOUT}s)"
	if ! out=$(timeout "$CB_TIMEOUT" "$EDGEFW" check "$EFW_TMP/cb.yaml" 2>&1 >/dev/null); then
		msg=$(grep -m1 'error:' <<<"$out" | sed 's/^.*error: //')
		SKIPPED+=("edgefw with $CB_SET (refused: ${msg:-no answer within ${CB_TIMEOUT}s})")
		return 0
	fi
	"$CLASSBENCH" flows "$CB_FILE" --range "1-$lines" --skip-catch-all --late \
		-n "$CB_FLOWS" >"$EFW_TMP/cb-hit.flows"
	"$CLASSBENCH" flows "$CB_FILE" --range "1-$lines" --skip-catch-all --miss \
		-n "$CB_FLOWS" >"$EFW_TMP/cb-miss.flows"
	RECEIVERS+=(
		"edgefw_xdp_cb10|edgefw XDP native, first 10 rules of $CB_SET (ClassBench flows)|ethtool|setup_efw_cb10|teardown_efw|xdp_drops|cb"
		"edgefw_xdp_cb|edgefw XDP native, $CB_SET (ClassBench flows)|ethtool|setup_efw_cb|teardown_efw|xdp_drops|cb"
	)
}
cb_prepare

VARIANTS=(hit)
[[ $QUICK -eq 1 ]] || VARIANTS+=(miss)
for ((rep = 1; rep <= REPS; rep++)); do
for variant in "${VARIANTS[@]}"; do
	for r in "${RECEIVERS[@]}"; do
		IFS='|' read -r name label needs setup teardown counter traffic <<<"$r"
		# The miss variant is about filters passing traffic: XDP_DROP
		# drops everything and "none" is the same as its hit run.
		[[ $variant == miss && ($name == xdp_drop || $name == none) ]] && continue
		if ! command -v "$needs" >/dev/null; then
			[[ $rep -eq 1 ]] && SKIPPED+=("$name ($needs not installed)")
			continue
		fi
		if ! $setup; then
			SKIPPED+=("$name $variant, repetition $rep (setup failed, see above)")
			$teardown >/dev/null 2>&1 || true
			continue
		fi
		measure "$name" "$label" "$variant" "$counter" "$traffic" ||
			SKIPPED+=("$name $variant, repetition $rep (measurement failed, see above)")
		$teardown
	done
done
done

# --- report -----------------------------------------------------------------

json=$(printf '%s\n' "${RESULTS[@]}" | jq -s \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" \
	--arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	--argjson ncpu "$(nproc)" --argjson seconds "$SECONDS_PER_RUN" \
	--argjson prefixes "$N_PREFIXES" --argjson reps "$REPS" '
	def median: sort | .[length / 2 | floor];
	# One row per receiver and traffic, in the order first measured, each
	# field the median of its repetitions.
	to_entries | group_by([.value.name, .value.traffic]) |
	map(.[0].key as $first | map(.value) | . as $g |
		$g[0] + {reps: length, first: $first} +
		(reduce ("offered_pps", "received_pps", "dropped_pps", "receiver_cpu",
			"cpu1_busy", "cpu1_steal", "receiver_ns_per_packet") as $k
			({}; .[$k] = ($g | map(.[$k]) | median)))) |
	sort_by(.first) | map(del(.first)) |
	(map(select(.name == "xdp_drop" and .traffic == "hit")) | first | .receiver_ns_per_packet // null) as $base |
	{date: $date, kernel: $kernel, cpu: $cpu, cpus: $ncpu, seconds: $seconds,
	 prefixes: $prefixes, frame_bytes: 60, reps: $reps,
	 results: map(. + {ratio_to_xdp_drop:
		(if $base and $base > 0 then ((.receiver_ns_per_packet / $base * 100 | round) / 100) else null end)})}')
if [[ -n $JSON_OUT ]]; then
	mkdir -p "$(dirname "$JSON_OUT")"
	printf '%s\n' "$json" >"$JSON_OUT"
fi

echo
echo "End to end: veth between namespaces, 60-byte UDP frames, $N_PREFIXES source prefixes, ${SECONDS_PER_RUN} s per run, median of $REPS"
echo
echo "| receiver | traffic | offered Mpps | dropped Mpps (measured) | receiver busy | receiver ns/packet | ratio to XDP_DROP | Mpps at one busy CPU |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
# shellcheck disable=SC2016 # jq program, not shell
jq -r 'def r2: . * 100 | round / 100;
	.results[] | "| \(.label) | \(.traffic) | \(.offered_pps / 1e6 | r2) | \(.dropped_pps / 1e6 | r2) | \(.receiver_cpu * 100 | round)% | \(.receiver_ns_per_packet | round) | \(.ratio_to_xdp_drop // "-") | \(if .receiver_ns_per_packet > 0 then (1000 / .receiver_ns_per_packet | r2) else "-" end) |"' <<<"$json"
for s in "${SKIPPED[@]}"; do
	echo "skipped: $s"
done
