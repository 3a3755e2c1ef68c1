#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# End-to-end benchmark: what a receiver costs per packet on a veth, for
# edgefw and the alternatives, measured so that it repeats.
#
#   scripts/bench_e2e.sh [--quick | --smoke] [--seconds S] [--reps N]
#                        [--same-cpu] [--json FILE] [--compare PREV.json]
#
#   generator ns (efw-client-ID)              receiver ns (efw-edge-ID)
#   efwIDc  ------------------- veth -------------------  efwIDei 10.201.0.1/24
#   build/tests/bench/trafficgen, CPU 0        threaded NAPI, CPU 1
#
# The generator (tests/bench/trafficgen.c) cycles through a scenario's flows
# (60-byte frames) with XDP live frames where the kernel allows it, else
# through an AF_PACKET socket (then each frame is an skb the receiving veth
# copies for XDP: every receiver pays that). The receiving veth polls in a
# NAPI thread pinned to CPU 1 (nice -20, so that the other work on a shared
# machine does not starve it), so everything the receiver does per packet
# is that thread's CPU time, read exactly from /proc/PID/schedstat:
# "receiver ns/packet". CPU 1's busy time from /proc/stat over the same
# window is given too ("CPU 1 ns/packet"); it includes whatever else ran
# there.
#
# --same-cpu: the generator on CPU 1 too. A frame is then in the
# receiver's cache when its XDP runs (a NIC's DMA does not put it there),
# so every receiver's cost and parse-only's are lower; but no frame moves
# between vCPUs, whose cost a guest's host changes as it moves them. On an
# AMD EPYC guest that was not enough for the benchmark to repeat: 29 of 32
# rows unstable across CPUs, 21 and 20 of 32 on one, where the 1,000-prefix
# rows of two runs agreed within 5% and the large tables' did not
# (kern/DESIGN.md, "Every packet a first one").
# "CPU 1 ns/packet" then counts the generator as well.
#
# Two modes per scenario, each receiver measured in both:
#   sat   the generator as fast as it can: the ring overflows; the frames
#         refused at the generator (a full ring) and dropped at the ring
#         are reported as "ring loss".
#   rate  a fixed offered rate: 50% of the slowest XDP receiver's capacity
#         (the packets per second it took at saturation, median, in this
#         run). Ring loss above 1% there marks the row "ring overflowed".
#
# With the kernel's BPF statistics on for the run (`e2eprep stats-hold`:
# BPF_ENABLE_STATS, what kernel.bpf_stats_enabled=1 does, but counted per
# holder so that concurrent runs cannot turn it off under each other), every
# XDP receiver's program also gets its in-situ cost from the kernel's own
# statistics: run_time_ns / run_cnt of the attached program over the same
# window ("BPF ns/run"; bpftool prog show). The statistics add the same two
# clock reads to every program's run.
#
# Scenarios:
#   list1k     1,000 source prefixes (every /24 from 100.64.0.0), UDP from
#              the first host of each: all dropped.
#   p100k_r10k the micro benchmark's 100k prefixes + 10k service rules
#              (tests/bench/scengen.c through e2eprep; --quick: 10k + 1k,
#              --smoke: 1k + 100), flows that every receiver drops.
#   fw1_10k    ClassBench fw1_10k (--quick, --smoke: fw1_1k) converted as
#              tests/tools/classbench does (each line a drop rule, the
#              catch-all left out), flows aimed at rules of its second half.
#              Skipped with a message when ../shared/data is absent or
#              `edgefw check` refuses the set.
# Receivers (scripts/lib/e2e_receivers.sh): the empty XDP_DROP (reference
# row), parse-only drop (the floor: edgefw's parser, then drop), edgefw,
# the naive classifier, xdp-filter (the flows' source addresses as exact
# denies: the most it expresses of these rules), nftables' set (list1k).
#
# Every receiver is measured --reps times (default 5; --quick 3; --smoke
# 1), the repetitions interleaved across receivers. Each row gives the
# median, the spread ((max - min) / median) and is marked unstable when the
# spread is over 10%; --compare PREV.json marks rows whose median moved
# more than 10% from PREV's (scripts/bench_e2e_report.py). Figures are
# ratios to parse-only in the same scenario, mode and run.
#
# Builds nothing: uses build/edgefw, build/tests/bench/{trafficgen,e2eprep}
# and build/tests/tools/classbench (`make bench` builds them). Needs root.
set -euo pipefail

usage() {
	echo "usage: scripts/bench_e2e.sh [--quick | --smoke] [--seconds S] [--reps N] [--same-cpu] [--json FILE] [--compare PREV.json]" >&2
	exit 2
}

SIZE=full
SECONDS_PER_RUN=
REPS=
JSON_OUT=
COMPARE=
GEN_CPU=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) SIZE=quick; shift ;;
	--smoke) SIZE=smoke; shift ;;
	--seconds) [[ $# -ge 2 ]] || usage; SECONDS_PER_RUN=$2; shift 2 ;;
	--reps) [[ $# -ge 2 ]] || usage; REPS=$2; shift 2 ;;
	--json) [[ $# -ge 2 ]] || usage; JSON_OUT=$2; shift 2 ;;
	--compare) [[ $# -ge 2 ]] || usage; COMPARE=$2; shift 2 ;;
	--same-cpu) GEN_CPU=1; shift ;;
	*) usage ;;
	esac
done
case $SIZE in
full) : "${SECONDS_PER_RUN:=3}" "${REPS:=5}"; WARMUP=1; P_PREFIXES=100000; P_RULES=10000; CB_SET=fw1_10k ;;
quick) : "${SECONDS_PER_RUN:=2}" "${REPS:=3}"; WARMUP=1; P_PREFIXES=10000; P_RULES=1000; CB_SET=fw1_1k ;;
smoke) : "${SECONDS_PER_RUN:=1}" "${REPS:=1}"; WARMUP=0.5; P_PREFIXES=1000; P_RULES=100; CB_SET=fw1_1k ;;
esac
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]?$ && $REPS =~ ^[1-9]$ ]] || usage
[[ -z $COMPARE || -r $COMPARE ]] || { echo "bench_e2e: $COMPARE is not readable" >&2; exit 2; }

# shellcheck source=SCRIPTDIR/lib/topology.sh
source "$(dirname "$(readlink -f "$0")")/lib/topology.sh"
# shellcheck source=SCRIPTDIR/lib/e2e_receivers.sh
source "$EFW_REPO/scripts/lib/e2e_receivers.sh"

TRAFFICGEN=$EFW_REPO/build/tests/bench/trafficgen
E2EPREP=$EFW_REPO/build/tests/bench/e2eprep
CLASSBENCH=$EFW_REPO/build/tests/tools/classbench
REPORT=$EFW_REPO/scripts/bench_e2e_report.py
CB_FILE=$EFW_REPO/../shared/data/classbench/$CB_SET
CB_TIMEOUT=${EFW_BENCH_CB_TIMEOUT:-600}
N_FLOWS=4096
RX_ADDR=10.201.0.1

say() { printf 'bench_e2e: %s %s\n' "$(date +%T)" "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
	say "needs root (namespaces, XDP); skipped"
	exit 0
fi
for f in "$EDGEFW" "$TRAFFICGEN" "$E2EPREP" "$CLASSBENCH"; do
	[[ -x $f ]] || { say "$f is missing: run make bench"; exit 1; }
done
for t in ethtool jq bpftool taskset /usr/bin/python3; do
	command -v "$t" >/dev/null || { say "$t is not installed (scripts/deps.sh)"; exit 1; }
done
for t in xdp-filter nft; do
	command -v "$t" >/dev/null || say "$t is not installed (scripts/deps.sh): its row is skipped"
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
say "namespaces $GEN_NS and $RX_NS"

e2e_cleanup() {
	if [[ -e /run/netns/$RX_NS ]]; then
		in_ns "$RX_NS" xdp-filter unload "$RX_IF" >/dev/null 2>&1 || true
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
# GRO gives the receiving veth NAPI without XDP (nftables' row); without
# TSO on the sending end every skb takes the NAPI path, not netif_rx on the
# generator's CPU.
efw_try in_ns "$RX_NS" ethtool -K "$RX_IF" gro on
efw_try in_ns "$GEN_NS" ethtool -K "$GEN_IF" tso off
# Threaded NAPI (a sysfs knob: `ip netns exec` mounts the namespace's /sys
# in a private mount namespace, which is all this write needs).
ip netns exec "$RX_NS" sh -c "echo 1 > /sys/class/net/$RX_IF/threaded"
efw_wait_for 3 efw_link_is_up "$RX_NS" "$RX_IF" || { say "link did not come up"; exit 1; }
RX_MAC=$(in_ns "$RX_NS" ip -j link show dev "$RX_IF" | jq -r '.[0].address')
# A process in the receiver's namespace, for its /proc/PID/net/dev.
efw_bg_in_ns "$RX_NS" "$EFW_TMP/sleeper.out" sleep 100000
RX_SLEEPER=$EFW_BG_PID
efw_bg_in_ns "$GEN_NS" "$EFW_TMP/sleeper-gen.out" sleep 100000
GEN_SLEEPER=$EFW_BG_PID
efw_bg_in_ns "$RX_NS" "$EFW_TMP/stats.out" "$E2EPREP" stats-hold
efw_wait_for 5 grep -q holding "$EFW_TMP/stats.out" ||
	{ say "BPF statistics: $(cat "$EFW_TMP/stats.out.err")"; exit 1; }

# --- scenarios ------------------------------------------------------------

SKIPPED=()
SCENARIOS=()

prepare_list1k() {
	local d=$EFW_TMP/list1k i
	mkdir -p "$d"
	for ((i = 0; i < 1000; i++)); do
		printf '100.%d.%d.0/24\n' $((64 + i / 256)) $((i % 256))
	done >"$d/prefixes"
	sed 's#\.0/24$#.1#; s#^#17 #; s#$# '"$RX_ADDR"' 40000 9#' "$d/prefixes" >"$d/flows"
	{
		echo 'version: 1'
		echo 'defaults: {xdp: pass, tc-ingress: pass}'
		echo 'sets:'
		echo '  blocklist:'
		echo '    addresses:'
		sed 's/^/      - /' "$d/prefixes"
		echo 'rules:'
		echo '  - name: drop-blocklisted'
		# shellcheck disable=SC2016 # a YAML set reference, not shell
		echo '    src: $blocklist'
		echo '    action: drop'
	} >"$d/rules.yaml"
	e2e_nft_table "$d/prefixes" >"$d/nft"
	SCENARIOS+=("list1k|1,000 source prefixes|list|$d")
}

prepare_prefixes() {
	local name=p${P_PREFIXES}_r${P_RULES} d
	d=$EFW_TMP/$name
	mkdir -p "$d"
	"$E2EPREP" scenario --prefixes "$P_PREFIXES" --rules "$P_RULES" -n "$N_FLOWS" \
		--yaml "$d/rules.yaml" --flows "$d/flows"
	SCENARIOS+=("$name|$P_PREFIXES prefixes + $P_RULES rules|generated|$d")
}

prepare_classbench() {
	local d=$EFW_TMP/$CB_SET out msg lines
	if [[ ! -r $CB_FILE ]]; then
		SKIPPED+=("$CB_SET: $CB_FILE is absent (the shared ClassBench sets, ../shared/data)")
		return 0
	fi
	mkdir -p "$d"
	lines=$(grep -c . "$CB_FILE")
	"$CLASSBENCH" convert "$CB_FILE" --skip-catch-all >"$d/rules.yaml" 2>/dev/null
	say "checking $CB_SET with edgefw check (at most ${CB_TIMEOUT}s)"
	if ! out=$(timeout "$CB_TIMEOUT" "$EDGEFW" check "$d/rules.yaml" 2>&1 >/dev/null); then
		msg=$(grep -m1 'error:' <<<"$out" | sed 's/^.*error: //')
		SKIPPED+=("$CB_SET: refused by edgefw check (${msg:-no answer within ${CB_TIMEOUT}s})")
		return 0
	fi
	"$CLASSBENCH" flows "$CB_FILE" --range "1-$lines" --skip-catch-all --late \
		-n "$N_FLOWS" >"$d/flows"
	SCENARIOS+=("$CB_SET|ClassBench $CB_SET|classbench|$d")
}

prepare_list1k
prepare_prefixes
prepare_classbench

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
# One snapshot of every counter, as "key=value" words. First, in one awk
# reading three files within microseconds: the NAPI thread's CPU ns, CPU
# 1's busy and steal ticks, and the veth's received and dropped packets
# (through a process in the receiver's namespace: /proc/PID/net/dev), and
# what the sending veth dropped for a full ring (its tx drops). Then
# the receiver's drop counter and what it saw, and the attached program's
# BPF stats (slower: ethtool, bpftool).
snapshot() {
	local napi=$1 counter=$2 id=$3 run_ns=0 run_cnt=0 d seen
	awk -v i="$RX_IF:" -v g="$GEN_IF:" -v t="$(date +%s%N)" '
		FILENAME ~ /schedstat/ { printf "napi_ns=%s ", $1 }
		FILENAME == "/proc/stat" && $1 == "cpu1" { printf "busy=%d steal=%d ", $2 + $3 + $4 + $7 + $8, $9 }
		FILENAME ~ /net\/dev/ && $1 == i { printf "rx=%s rxdrop=%s ", $3, $5 }
		FILENAME ~ /net\/dev/ && $1 == g { printf "txdrop=%s ", $13 }
		END { printf "t=%s ", t }' "/proc/$napi/schedstat" /proc/stat "/proc/$RX_SLEEPER/net/dev" \
		"/proc/$GEN_SLEEPER/net/dev"
	read -r d seen < <($counter)
	if [[ -n $id ]]; then
		read -r run_ns run_cnt < <(bpftool prog show id "$id" --json |
			jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"')
	fi
	echo "dropped=$d seen=$seen run_ns=$run_ns run_cnt=$run_cnt"
}

SAMPLES=$EFW_TMP/samples.jsonl
: >"$SAMPLES"

# measure SCENARIO RECEIVER COUNTER MODE PPS REP: one window of traffic.
measure() {
	local sc=$1 name=$2 counter=$3 mode=$4 pps=$5 rep=$6 napi id gen_pid a b gen
	local -a rate=()
	[[ $mode == rate ]] && rate=(--pps "$pps")
	napi=$(napi_pid) || { say "$name: no NAPI thread for $RX_IF"; return 1; }
	taskset -p 2 "$napi" >/dev/null
	renice -n -20 -p "$napi" >/dev/null
	id=$(xdp_prog_id)
	efw_bg_in_ns "$GEN_NS" "$EFW_TMP/gen.out" taskset -c "$GEN_CPU" "$TRAFFICGEN" \
		--dev "$GEN_IF" --dst-mac "$RX_MAC" --dst "$RX_ADDR" --src-base 0.0.0.0 \
		--flows "$SC_FLOWS" --seconds 600 "${rate[@]}"
	gen_pid=$EFW_BG_PID
	sleep "$WARMUP"
	a=$(snapshot "$napi" "$counter" "$id")
	sleep "$SECONDS_PER_RUN"
	b=$(snapshot "$napi" "$counter" "$id")
	kill -TERM "$gen_pid" 2>/dev/null || true
	if ! wait "$gen_pid"; then
		say "$name: the generator failed: $(cat "$EFW_TMP/gen.out.err")"
		return 1
	fi
	gen=$(cat "$EFW_TMP/gen.out")
	/usr/bin/python3 "$REPORT" sample --scenario "$sc" --receiver "$name" --mode "$mode" \
		--rep "$rep" --target-pps "$pps" --hz "$(getconf CLK_TCK)" \
		--before "$a" --after "$b" --generator "$gen" >>"$SAMPLES"
	say "$(tail -n1 "$SAMPLES" | jq -r '"\(.scenario) \(.receiver) \(.mode): \(.rx_pps | round) pps, receiver \(.napi_ns_per_packet | round) ns/packet, BPF \(.bpf_ns_per_run // 0 | round) ns/run, ring loss \(.ring_loss * 1000 | round / 10)%, dropped \(.dropped_fraction * 1000 | round / 10)%"')"
}

# run_phase SCENARIO MODE PPS: every receiver, REPS times, interleaved.
run_phase() {
	local sc=$1 mode=$2 pps=$3 rep r name label needs setup teardown counter
	for ((rep = 1; rep <= REPS; rep++)); do
		for r in "${E2E_RECEIVERS[@]}"; do
			IFS="|" read -r name label needs setup teardown counter _ <<<"$r"
			[[ $name == nft_set && -z $SC_NFT ]] && continue
			if ! command -v "$needs" >/dev/null; then
				[[ $rep -eq 1 ]] && SKIPPED+=("$sc $name: $needs is not installed")
				continue
			fi
			if ! $setup; then
				SKIPPED+=("$sc $name $mode, repetition $rep: setup failed (see above)")
				$teardown >/dev/null 2>&1 || true
				continue
			fi
			measure "$sc" "$name" "$counter" "$mode" "$pps" "$rep" ||
				SKIPPED+=("$sc $name $mode, repetition $rep: measurement failed (see above)")
			$teardown || true
		done
	done
}

for s in "${SCENARIOS[@]}"; do
	IFS='|' read -r sc label SC_KIND dir <<<"$s"
	SC_YAML=$dir/rules.yaml
	SC_FLOWS=$dir/flows
	SC_NFT=
	[[ -e $dir/nft ]] && SC_NFT=$dir/nft
	say "scenario $sc ($label): saturation"
	run_phase "$sc" sat 0
	if ! pps=$(/usr/bin/python3 "$REPORT" rate "$SAMPLES" --scenario "$sc"); then
		SKIPPED+=("$sc: fixed rate (no XDP receiver was measured at saturation)")
		continue
	fi
	say "scenario $sc: fixed rate, $pps pps"
	run_phase "$sc" rate "$pps"
done

# --- report -----------------------------------------------------------------

meta=$(jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" \
	--arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	--argjson ncpu "$(nproc)" --argjson seconds "$SECONDS_PER_RUN" --argjson reps "$REPS" \
	--arg size "$SIZE" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--arg generator "$(jq -r '.generator_mode' "$SAMPLES" | sort -u | paste -sd, -) on CPU $GEN_CPU" \
	'{date: $date, kernel: $kernel, cpu: $cpu, cpus: $ncpu, seconds: $seconds,
	  reps: $reps, size: $size, loadavg: $load, generator: $generator, frame_bytes: 60}')
skipped_json=$(printf '%s\n' "${SKIPPED[@]}" | jq -R . | jq -s 'map(select(length > 0))')
args=(report "$SAMPLES" --meta "$meta" --skipped "$skipped_json")
if [[ -n $JSON_OUT ]]; then
	# The raw samples too, to report again (--compare) without rerunning.
	mkdir -p "$(dirname "$JSON_OUT")"
	cp "$SAMPLES" "${JSON_OUT%.json}.samples.jsonl"
	args+=(--json "$JSON_OUT")
fi
[[ -n $COMPARE ]] && args+=(--compare "$COMPARE")
/usr/bin/python3 "$REPORT" "${args[@]}"
