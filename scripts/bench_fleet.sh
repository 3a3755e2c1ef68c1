#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Fleet propagation (issue 18), for make bench: the time from `edgefw
# publish` to every host enforcing the new revision (the last host's status
# key saying so, followed with one etcdctl watch that costs the hosts next to
# no CPU; each host's own `edgefw status` and `edgefw fleet status` confirm
# it once after, untimed: scripts/lib/etcd_fleet.sh), with
# a 3-member etcd cluster (TLS) and 5, 10 and 20 edge hosts (FLEET_HOSTS),
# all namespaces of this machine (scripts/lib/etcd_cluster.sh,
# scripts/lib/etcd_fleet.sh). Two kinds of update, REPS times each, in turn:
#   rules1k  a ruleset of 1,000 rules (/32 source, TCP, a port), a few
#            bytes different each time;
#   list100k 100,000 prefixes in a list file, every prefix different each
#            time (no chunk reused: the whole bundle travels).
# Hosts started for a size take the group's manifest in force then (the
# last 100k list: a 1-rule ruleset), and their maps are sized for it: the
# first 1,000-rule update grows them (new maps, programs loaded and
# verified again: about 2 s of CPU a host; 15 hosts at once on 2 vCPUs
# took 10-24 s). So before the measured runs of a size that started
# hosts, one update of each kind goes to all of them: printed as "first
# after start", kept in the JSON, left out of the medians, which are the
# steady state (a host that has seen both kinds before).
# Prints a table (median and max per size and kind, publish's own time
# apart) and what it predicts for 1,000 hosts (see the end of this file
# for the model and etcd's documented figures it uses).
# All hosts share this machine's CPUs: each host compiles and loads its copy
# in turn, so the growth with N here is mostly that CPU time, which a real
# fleet (one machine per host) does in parallel.
#
# --logs DIR keeps every host's edgefwd log there (DIR/hI.log, with a
# wall-clock time on each line) and notes each publish's time and revision
# in DIR/publishes, to tell afterwards what a slow host was doing.
#
#   scripts/bench_fleet.sh [--build DIR] [--hosts "5 10 20"] [--reps N] [--json FILE] [--logs DIR]
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=$REPO/build
HOSTS_LIST=${FLEET_HOSTS:-5 10 20}
REPS=3
JSON=""
LOGS=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--hosts) HOSTS_LIST=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	--logs) LOGS=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--hosts \"5 10 20\"] [--reps N] [--json FILE] [--logs DIR]" >&2; exit 1 ;;
	esac
done
export EDGEFW=$BUILD/edgefw EDGEFWD=$BUILD/edgefwd
if [[ -n $LOGS ]]; then
	mkdir -p "$LOGS" && : >"$LOGS/publishes" || exit 1
	export EDGEFW_LOG_TIME=1 # edgefwd stamps each line of its log
fi
[[ $(id -u) -eq 0 ]] || { echo "bench_fleet: needs root" >&2; exit 1; }
[[ -x $EDGEFW && -x $EDGEFWD ]] || { echo "bench_fleet: $EDGEFW or $EDGEFWD not built (make)" >&2; exit 1; }
[[ -x /usr/bin/etcd ]] || { echo "bench_fleet: etcd-server not installed (scripts/deps.sh)" >&2; exit 1; }
out=$("$EDGEFW" publish 2>&1) || true
if [[ $out == *"unknown command 'publish'"* ]]; then
	echo "bench_fleet: skipped: this edgefw has no 'publish' (issue 18 not built)"
	exit 0
fi
# Ascending: each size starts the hosts the previous one did not.
HOSTS_LIST=$(tr ' ' '\n' <<<"$HOSTS_LIST" | sed '/^$/d' | sort -n -u | tr '\n' ' ')
MAX=0
for n in $HOSTS_LIST; do
	[[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 60 ]] || { echo "bench_fleet: host count $n not in 1..60" >&2; exit 1; }
	((n > MAX)) && MAX=$n
done

# shellcheck source=SCRIPTDIR/lib/topology.sh
source "$REPO/scripts/lib/topology.sh"
# shellcheck source=SCRIPTDIR/lib/etcd_cluster.sh
source "$REPO/scripts/lib/etcd_cluster.sh"
# shellcheck source=SCRIPTDIR/lib/etcd_fleet.sh
source "$REPO/scripts/lib/etcd_fleet.sh"
efw_init fleetbench
efw_etcd_init
efw_fleet_init "bench-$EFW_ID"
efw_ensure_bpffs
PUB=$EFW_TMP/pub
mkdir -p "$PUB"
TIMEOUT_S=120

# gen_rules1k SEED: 1,000 rules, each /32 source, TCP, one port.
gen_rules1k() {
	{
		printf 'version: 1\ndefaults:\n  xdp: pass\n  non-ip: pass\nrules:\n'
		awk -v s="$1" 'BEGIN { for (k = 0; k < 1000; k++)
			printf "  - name: r%d\n    src: 30.%d.%d.%d/32\n    proto: tcp\n    dport: %d\n    action: drop\n",
				k, s % 200, int(k / 250), k % 250 + 1, 1000 + (k + s) % 60000 }'
	} >"$PUB/rules1k.yaml"
	echo "$PUB/rules1k.yaml"
}

# gen_list100k SEED: 100,000 prefixes, all different from SEED-1's.
gen_list100k() {
	# shellcheck disable=SC2016 # $bl is YAML
	printf 'version: 1\ndefaults:\n  xdp: pass\n  non-ip: pass\nsets:\n  bl: {files: [big.list]}\nrules:\n  - name: drop-bl\n    src: $bl\n    action: drop\n' >"$PUB/list100k.yaml"
	awk -v s="$1" 'BEGIN { for (k = 0; k < 100000; k++) {
		a = 20 + (s % 8) * 8 + int(k / 65536); b = int(k / 256) % 256; c = k % 256
		printf "%d.%d.%d.0/24\n", a, b, c } }' >"$PUB/big.list"
	echo "$PUB/list100k.yaml"
}

# measure KIND SEED: publish one update, wait for every running host.
# Prints "total_ms publish_ms revision" (it runs in a subshell).
measure() {
	local f t0 t1
	f=$("gen_$1" "$2")
	t0=${EPOCHREALTIME//[.,]/}
	efw_fleet_publish "$f" || { echo "bench_fleet: publish failed: $EFW_FLEET_PUB_OUT" >&2; return 1; }
	t1=${EPOCHREALTIME//[.,]/}
	[[ -z $LOGS ]] || echo "$1 seed $2: publish from $t0 us to $t1 us, revision $EFW_FLEET_REV" >>"$LOGS/publishes"
	if ! efw_fleet_wait_converged "$EFW_FLEET_REV" "$TIMEOUT_S" "${RUNNING[@]}"; then
		echo "bench_fleet: not every host enforced $EFW_FLEET_REV within $TIMEOUT_S s" >&2
		echo "$EFW_FLEET_LAST_STATUS" >&2
		return 1
	fi
	echo "$(((t1 - t0) / 1000 + EFW_FLEET_WAIT_MS)) $(((t1 - t0) / 1000)) $EFW_FLEET_REV"
}

# keep_logs: each host's edgefwd logs into $LOGS (when asked).
keep_logs() {
	local i
	[[ -n $LOGS ]] || return 0
	for i in "${RUNNING[@]}"; do
		cat "$EFW_FLEET_DIR/h$i"/edgefwd.*.out.err >"$LOGS/h$i.log" 2>/dev/null || true
	done
	echo "bench_fleet: hosts' logs in $LOGS"
}

echo "bench_fleet: etcd cluster and $MAX host namespaces ($EFW_ID); load: $(uptime | sed 's/.*load/load/')"
efw_etcd_up
for ((i = 1; i <= MAX; i++)); do
	efw_fleet_host_up "$i"
done
f=$(gen_rules1k 0)
efw_fleet_publish "$f" || { echo "bench_fleet: publish failed: $EFW_FLEET_PUB_OUT" >&2; exit 1; }

declare -A RES=()
RUNNING=()
seed=1
for n in $HOSTS_LIST; do
	for ((i = ${#RUNNING[@]} + 1; i <= n; i++)); do
		efw_fleet_start "$i"
		RUNNING+=("$i")
	done
	efw_fleet_wait_converged "$EFW_FLEET_REV" "$TIMEOUT_S" "${RUNNING[@]}" ||
		{ echo "bench_fleet: $n hosts did not start" >&2; keep_logs; exit 1; }
	for kind in rules1k list100k; do
		read -r tot pub EFW_FLEET_REV < <(measure "$kind" "$seed") || { keep_logs; exit 1; }
		seed=$((seed + 1))
		RES[$n,$kind,first]=$tot
		echo "  $n hosts, $kind, first after start: ${tot} ms (publish ${pub} ms; maps may grow; not in the median)"
	done
	for ((r = 1; r <= REPS; r++)); do
		for kind in rules1k list100k; do
			read -r tot pub EFW_FLEET_REV < <(measure "$kind" "$seed") || { keep_logs; exit 1; }
			seed=$((seed + 1))
			RES[$n,$kind]+="$tot "
			RES[$n,$kind,pub]+="$pub "
			echo "  $n hosts, $kind, run $r: ${tot} ms (publish ${pub} ms)"
		done
	done
done
keep_logs

# --- Summary.
med() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
maxv() { tr ' ' '\n' | sed '/^$/d' | sort -n | tail -n 1; }
# bundle_bytes KIND: bytes and 512 KiB chunks of the last bundle of KIND.
bundle_stats() {
	local f bytes=0 chunks=0 sz
	case $1 in
	rules1k) f=("$PUB/rules1k.yaml") ;;
	list100k) f=("$PUB/list100k.yaml" "$PUB/big.list") ;;
	esac
	for x in "${f[@]}"; do
		sz=$(stat -c %s "$x")
		bytes=$((bytes + sz))
		chunks=$((chunks + (sz + 524287) / 524288))
	done
	echo "$bytes $chunks"
}

echo
echo "Fleet: publish -> all hosts enforcing (ms; median and max of $REPS; publish alone in brackets;"
echo "x: the median as a ratio to the smallest fleet's, same run; first: the first update after the"
echo "size's hosts started, maps growing, not in the median)"
printf '%-6s | %-46s | %-46s\n' hosts "1,000-rule update" "100k-prefix list"
rows=()
for n in $HOSTS_LIST; do
	line=$(printf '%-6s' "$n")
	for kind in rules1k list100k; do
		m=$(med <<<"${RES[$n,$kind]}")
		x=$(maxv <<<"${RES[$n,$kind]}")
		p=$(med <<<"${RES[$n,$kind,pub]}")
		b=$(med <<<"${RES[${HOSTS_LIST%% *},$kind]}")
		line+=$(printf ' | %-46s' "$m (max $x) [$p] x$(awk -v m="$m" -v b="$b" 'BEGIN { printf "%.2f", b ? m / b : 0 }') first ${RES[$n,$kind,first]}")
		rows+=("{\"hosts\":$n,\"kind\":\"$kind\",\"median_ms\":$m,\"max_ms\":$x,\"publish_median_ms\":$p,\"runs_ms\":[$(sed 's/ *$//; s/ /,/g' <<<"${RES[$n,$kind]}")],\"first_after_start_ms\":${RES[$n,$kind,first]}}")
	done
	echo "$line"
done
echo "load after: $(uptime | sed 's/.*load/load/')"

# Prediction for 1,000 hosts.
# (1) This machine's trend: a least-squares line through the medians,
#     extended to 1,000 hosts. Every host here shares the same 2 vCPUs, so
#     this is the cost of 1,000 hosts compiling on one machine: an upper
#     bound, not a fleet.
# (2) A fleet (a machine per host): each host's own work stays that of the
#     smallest run here, per host, and what grows is etcd's: one watch event,
#     the chunk reads and one status write per host. etcd's documentation
#     gives (a) "a three member etcd cluster finishes a request in less than
#     one millisecond under light load, and can complete more than 30,000
#     requests per second under heavy load" (etcd op-guide, Performance,
#     https://etcd.io/docs/v3.4/op-guide/performance/), and (b) the watch
#     memory benchmark (https://etcd.io/docs/v3.4/benchmarks/etcd-3-watch-memory-benchmark/):
#     etcd aims at O(10k) clients and O(100K) watch streams; about 17 kB
#     per client connection, 18 kB per stream and 350 bytes per watching.
#     It documents no time from a write to the last of N watchers being
#     notified, nor a read bandwidth: the prediction counts requests at the
#     documented 30,000/s and states the bytes etcd must send, without
#     turning them into time.
echo
echo "Prediction for 1,000 hosts:"
first=${HOSTS_LIST%% *}
for kind in rules1k list100k; do
	pts=""
	for n in $HOSTS_LIST; do
		pts+="$n $(med <<<"${RES[$n,$kind]}")"$'\n'
	done
	fit=$(awk 'NF == 2 { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
		END { if (n < 2 || n * sxx == sx * sx) { print "none"; exit }
			b = (n * sxy - sx * sy) / (n * sxx - sx * sx); a = (sy - b * sx) / n
			printf "%.1f %.1f %.0f", a, b, a + 1000 * b }' <<<"$pts")
	read -r bytes chunks < <(bundle_stats "$kind")
	base=$(med <<<"${RES[$first,$kind]}")
	reqs=$((1000 * (chunks + 3)))
	etcd_ms=$((reqs * 1000 / 30000))
	echo "  $kind ($bytes bytes, $chunks chunks):"
	if [[ $fit != none ]]; then
		read -r a b p <<<"$fit"
		echo "    this machine's trend: $a ms + $b ms/host -> $p ms at 1,000 hosts on 2 shared vCPUs (upper bound)"
	fi
	echo "    a fleet: ~$base ms (one host's work, measured with $first hosts) + $reqs etcd requests at the documented 30,000/s = $etcd_ms ms -> ~$((base + etcd_ms)) ms; etcd sends $((bytes * 1000 / 1048576)) MiB in all; 1,000 watch streams are ~35 MB of etcd memory by the documented 17 kB + 18 kB each"
done
if [[ -n $JSON ]]; then
	mkdir -p "$(dirname "$JSON")"
	printf '{"hosts":[%s],"reps":%s,"results":[%s]}\n' "$(sed 's/ *$//; s/ /,/g' <<<"$HOSTS_LIST")" "$REPS" \
		"$(IFS=,; echo "${rows[*]}")" | jq . >"$JSON"
	echo "wrote $JSON"
fi
