#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What a change will do, on ClassBench sets (issue 24), for make
# bench: `edgefw diff OLD NEW` and `edgefw reload --dry-run NEW` (OLD in
# force in an instance attached to a veth in a namespace of its
# own; needs root, skipped otherwise) where NEW is OLD with one port
# widened (the rule at a fifth of the set's dport by 100), a rule added
# (after the rule at a hundredth) and the middle rule moved to position
# 11: on a 10k set rules 2000, 100 and 5000. A set of fewer than
# MIN_RULES rules is skipped, said so. Wall and CPU seconds (user + system),
# medians of --reps runs interleaved, as ratios to `edgefw check OLD` in the
# same run. With --before BIN (an edgefw built from another commit) the
# same rows for it, interleaved too, so that the two compare under the
# same load. Prints a table and the load average; writes
# build/bench/diff.json.
#
#   scripts/bench_diff.sh [--reps N] [--before BIN] [--sets acl1_10k,fw1_10k]
set -eEuo pipefail
# A failure says where, never a silent exit.
trap 'echo "bench_diff: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
EDGEFW=$REPO/build/edgefw
CLASSBENCH=$REPO/build/tests/tools/classbench
DIR=$REPO/../shared/data/classbench
REPS=3
BEFORE=""
SETS=acl1_10k,fw1_10k
MIN_RULES=40 # positions 11 and the moved one apart, a fifth and a hundredth distinct
usage() {
	echo "usage: scripts/bench_diff.sh [--reps N] [--before BIN] [--sets A,B]" >&2
	exit 2
}
while [[ $# -gt 0 ]]; do
	case $1 in
	--reps) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage; REPS=$2; shift 2 ;;
	--before) [[ $# -ge 2 && -x $2 ]] || usage; BEFORE=$(readlink -f "$2"); shift 2 ;;
	--sets) [[ $# -ge 2 ]] || usage; SETS=$2; shift 2 ;;
	*) usage ;;
	esac
done
for f in "$EDGEFW" "$CLASSBENCH"; do
	[[ -x $f ]] || { echo "bench_diff: $f is missing: make all build/tests/tools/classbench" >&2; exit 1; }
done
if [[ ! -d $DIR ]]; then
	echo "bench_diff: $DIR is absent (the shared ClassBench sets); nothing to do" >&2
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/efw-bdiff.XXXXXX")
NS=efw-bdiff-$$
INST=bdiff-$$
ACTIVE=0
cleanup() {
	if [[ $ACTIVE == 1 ]]; then
		nsenter --net="/run/netns/$NS" "$EDGEFW" --instance "$INST" detach dum0 >/dev/null 2>&1 || true
		ip netns del "$NS" 2>/dev/null || true
	fi
	rm -rf -- "$TMP"
}
trap cleanup EXIT

# NEW from OLD (N rules): rule N/2 moved to 11, rule N/5's dport widened
# by 100, a rule added after rule N/100 (1 at least).
make_new() {
	local src=$1 n=$2 mv=$(($2 / 2)) wd=$(($2 / 5)) ad=$(($2 / 100))
	((ad >= 1)) || ad=1
	"$CLASSBENCH" convert "$src" --lines "1-10,$mv-$mv,11-$((mv - 1)),$((mv + 1))-$n" \
		2>"$TMP/convert.err" |
		awk -v wd="name: cb$wd," -v ad="name: cb$ad," '
		index($0, wd) && match($0, /dport: [0-9]+,/) {
			lo = substr($0, RSTART + 7, RLENGTH - 8)
			$0 = substr($0, 1, RSTART - 1) "dport: " lo "-" (lo + 100) "," substr($0, RSTART + RLENGTH)
		}
		{ print }
		index($0, ad) { print "  - {name: added1, src: 10.1.2.0/24, proto: tcp, dport: 8443, action: drop}" }'
}

# One timed run: "WALL CPU" on stdout; the command's output is dropped,
# its exit status checked.
timed() {
	/usr/bin/time -o "$TMP/time" -f "%e %U %S" "$@" >/dev/null 2>&1 ||
		{ echo "bench_diff: failed: $*" >&2; exit 1; }
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$TMP/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A WALL CPU
record() { # KEY "WALL CPU" (what timed prints)
	local wall cpu
	read -r wall cpu <<<"$2"
	WALL[$1]+="$wall "
	CPU[$1]+="$cpu "
}

if [[ $(id -u) == 0 ]] && ip netns add "$NS" 2>/dev/null; then
	ACTIVE=1
	ip -n "$NS" link add dum0 type veth peer name dum1 && ip -n "$NS" link set dum0 up && ip -n "$NS" link set dum1 up
fi

bins=("after:$EDGEFW")
[[ -n $BEFORE ]] && bins+=("before:$BEFORE")
IFS=, read -r -a sets <<<"$SETS"
for s in "${sets[@]}"; do
	[[ -r $DIR/$s ]] || { echo "bench_diff: $DIR/$s is absent, skipped" >&2; continue; }
	n=$(grep -c '^@' "$DIR/$s" || true)
	if ((n < MIN_RULES)); then
		echo "bench_diff: $s has $n rules, fewer than the $MIN_RULES the changes need: skipped" >&2
		continue
	fi
	"$CLASSBENCH" convert "$DIR/$s" >"$TMP/$s.old.yaml" 2>"$TMP/convert.err" ||
		{ echo "bench_diff: cannot convert $s: $(cat "$TMP/convert.err")" >&2; exit 1; }
	make_new "$DIR/$s" "$n" >"$TMP/$s.new.yaml" ||
		{ echo "bench_diff: cannot make $s's changed set: $(cat "$TMP/convert.err")" >&2; exit 1; }
	if [[ $ACTIVE == 1 ]]; then
		nsenter --net="/run/netns/$NS" "$EDGEFW" --instance "$INST" attach dum0 \
			--rules "$TMP/$s.old.yaml" >/dev/null 2>&1 ||
			nsenter --net="/run/netns/$NS" "$EDGEFW" --instance "$INST" reload \
				"$TMP/$s.old.yaml" >/dev/null 2>&1 ||
			{ echo "bench_diff: cannot load $s in instance $INST" >&2; exit 1; }
	fi
	for ((r = 0; r < REPS; r++)); do
		record "$s check" "$(timed "$EDGEFW" check "$TMP/$s.old.yaml")"
		for b in "${bins[@]}"; do
			record "$s diff ${b%%:*}" "$(timed "${b#*:}" diff "$TMP/$s.old.yaml" "$TMP/$s.new.yaml")"
			if [[ $ACTIVE == 1 ]]; then
				record "$s dry-run ${b%%:*}" "$(timed "${b#*:}" --instance "$INST" reload --dry-run "$TMP/$s.new.yaml")"
			fi
		done
	done
done

mkdir -p "$REPO/build/bench"
load=$(cut -d' ' -f1-3 /proc/loadavg)
printf '\nedgefw diff / reload --dry-run on ClassBench sets (medians of %d, load average %s, %s CPUs)\n' \
	"$REPS" "$load" "$(nproc)"
printf '| set | command | wall s | CPU s | wall / check | CPU / check |\n|---|---|---|---|---|---|\n'
json="["
for s in "${sets[@]}"; do
	[[ -n ${WALL["$s check"]:-} ]] || continue
	cw=$(tr ' ' '\n' <<<"${WALL["$s check"]}" | grep . | median)
	cc=$(tr ' ' '\n' <<<"${CPU["$s check"]}" | grep . | median)
	for key in "$s check" "$s diff after" "$s diff before" "$s dry-run after" "$s dry-run before"; do
		[[ -n ${WALL[$key]:-} ]] || continue
		w=$(tr ' ' '\n' <<<"${WALL[$key]}" | grep . | median)
		c=$(tr ' ' '\n' <<<"${CPU[$key]}" | grep . | median)
		rw=$(awk -v a="$w" -v b="$cw" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		rc=$(awk -v a="$c" -v b="$cc" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		printf '| %s | %s | %s | %s | %s | %s |\n' "$s" "${key#"$s "}" "$w" "$c" "$rw" "$rc"
		json+=$(printf '{"set": "%s", "command": "%s", "wall_s": %s, "cpu_s": %s, "wall_ratio_check": %s, "cpu_ratio_check": %s},' \
			"$s" "${key#"$s "}" "$w" "$c" "$rw" "$rc")
	done
done
json="${json%,}]"
printf '{"load_average": "%s", "reps": %d, "rows": %s}\n' "$load" "$REPS" "$json" >"$REPO/build/bench/diff.json"
[[ $ACTIVE == 1 ]] || echo "(reload --dry-run rows need root and ip netns: skipped)"
