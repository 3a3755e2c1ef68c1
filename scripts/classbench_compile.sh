#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What the compiler does with ClassBench sets, one `edgefw compile --json`
# each: wall and CPU time, peak RSS, the map memory it estimates, or its
# refusal. The shared sets, then sets generated from each 10k seed.
#
#   scripts/classbench_compile.sh [--sizes N,N...] [--timeout S] [--rss-cap GIB]
#
# --sizes: generated set sizes (default 10000,50000; 0: none). --timeout:
# seconds per compilation (default 900). --rss-cap: address-space limit in
# GiB for the compiler (default 12), so that a set it cannot hold does not
# take the machine down; an allocation over it shows as its refusal.
# Builds nothing: uses build/edgefw and build/tests/tools/classbench.
set -euo pipefail

usage() {
	echo "usage: scripts/classbench_compile.sh [--sizes N,N...] [--timeout S] [--rss-cap GIB]" >&2
	exit 2
}

SIZES=10000,50000
TIMEOUT=900
CAP=12
while [[ $# -gt 0 ]]; do
	case $1 in
	--sizes) [[ $# -ge 2 ]] || usage; SIZES=$2; shift 2 ;;
	--timeout) [[ $# -ge 2 ]] || usage; TIMEOUT=$2; shift 2 ;;
	--rss-cap) [[ $# -ge 2 ]] || usage; CAP=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ && $TIMEOUT =~ ^[1-9][0-9]*$ && $CAP =~ ^[1-9][0-9]*$ ]] || usage

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
EDGEFW=${EDGEFW:-$REPO/build/edgefw}
CLASSBENCH=$REPO/build/tests/tools/classbench
DIR=$REPO/../shared/data/classbench
for f in "$EDGEFW" "$CLASSBENCH"; do
	[[ -x $f ]] || { echo "classbench_compile: $f is missing: make all build/tests/tools/classbench" >&2; exit 1; }
done
if [[ ! -d $DIR ]]; then
	echo "classbench_compile: $DIR is absent (the shared ClassBench sets); nothing to do" >&2
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/efw-cbc.XXXXXX")
trap 'rm -rf -- "$TMP"' EXIT

# One row: NAME SOURCE_FILE.
row() {
	local name=$1 src=$2 out rc=0 wall cpu rss msg est
	"$CLASSBENCH" convert "$src" >"$TMP/r.yaml" 2>/dev/null
	out=$( (ulimit -v $((CAP << 20)) && /usr/bin/time -f 'TIME %e %U %S %M' \
		timeout "$TIMEOUT" "$EDGEFW" compile --json "$TMP/r.yaml") 2>"$TMP/err") || rc=$?
	read -r _ wall user sys rss < <(grep '^TIME' "$TMP/err" | tail -n 1)
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
	if [[ $rc -eq 0 ]]; then
		est=$(jq -r '.memory_bytes / 1048576 | . * 10 | round / 10' <<<"$out")
		msg="accepted, estimate $est MiB per generation"
	elif [[ $rc -eq 124 ]]; then
		msg="no answer within ${TIMEOUT}s"
	else
		msg="refused: $(grep -m1 'error:' "$TMP/err" | sed 's/^.*error: //')"
	fi
	printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$(grep -c . "$src")" "$wall" "$cpu" \
		"$((rss / 1024))" "$msg"
}

echo "| set | lines | wall s | CPU s | peak RSS MiB | result |"
echo "|---|---:|---:|---:|---:|---|"
for s in acl1_1k fw1_1k ipc1_1k acl1_10k fw1_10k ipc1_10k; do
	[[ -r $DIR/$s ]] && row "$s" "$DIR/$s"
done
IFS=, read -ra sizes <<<"$SIZES"
for n in "${sizes[@]}"; do
	[[ $n -gt 0 ]] || continue
	for s in acl1_10k fw1_10k ipc1_10k; do
		[[ -r $DIR/$s ]] || continue
		"$CLASSBENCH" generate "$DIR/$s" -n "$n" --seed 1 >"$TMP/g.cb"
		row "generated $n like ${s%_10k} (seed 1)" "$TMP/g.cb"
	done
done
echo
echo "Each line one rule (tests/lib/classbench.h), all drop; \`edgefw compile --json\` under /usr/bin/time, address space capped at $CAP GiB, ${TIMEOUT} s at most; $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)."
