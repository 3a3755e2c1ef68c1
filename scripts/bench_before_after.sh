#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The existing per-packet scenarios (microbench: 10 rules, blocklists of
# 1k to 100k prefixes with and without 10k multi-field rules, FireHOL
# level 1, IPv6) on an earlier commit and on this tree, in the same run:
# the earlier commit's microbench is built from `git archive` under
# build/before/REV, then the two binaries run in turn, PAIRS times, the
# first of each pair alternating so that neither always runs on a warmer
# or a cooler machine. Each run is one repetition of every scenario
# (`--no-classbench --reps 1`).
#
# Per scenario and program (edgefw xdp, edgefw tc), printed and written
# as JSON: the median ns/packet of each side, the median of the per-pair
# ratios now/before, and the same ratio after dividing each side by its
# own parse-only figure (it cancels a drift of the machine within a pair).
# A row is "slower" when both ratios exceed 1 + LIMIT (default 0.10).
#
# Default REV: 68d0381, main just before the classifier of issue 12
# (decision trees and forests) was merged into it. Needs root (BPF).
#
#   scripts/bench_before_after.sh [--rev REV] [--pairs N] [--limit F]
#                                 [--lists DIR] [--json FILE]
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
REV=68d0381
PAIRS=5
LIMIT=0.10
LISTS=$REPO/../shared/data/lists
OUT=$REPO/build/bench/before-after.json
usage() {
	echo "usage: $0 [--rev REV] [--pairs N] [--limit F] [--lists DIR] [--json FILE]" >&2
	exit 1
}
while [[ $# -gt 0 ]]; do
	case $1 in
	--rev) REV=$2; shift 2 ;;
	--pairs) PAIRS=$2; shift 2 ;;
	--limit) LIMIT=$2; shift 2 ;;
	--lists) LISTS=$2; shift 2 ;;
	--json) OUT=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ $PAIRS =~ ^[1-9][0-9]*$ ]] || usage
[[ $(id -u) -eq 0 ]] || { echo "bench_before_after: needs root (BPF_PROG_TEST_RUN)" >&2; exit 1; }
NOW_BIN=$REPO/build/tests/bench/microbench
[[ -x $NOW_BIN ]] || { echo "bench_before_after: $NOW_BIN not built (make bench builds it)" >&2; exit 1; }
if [[ ! -r $LISTS/firehol_level1.netset ]]; then
	echo "bench_before_after: $LISTS/firehol_level1.netset not found: the FireHOL row is left out by both sides" >&2
fi

# The earlier commit, built once and kept (a commit does not change).
SHA=$(git -C "$REPO" rev-parse --verify --quiet "$REV^{commit}") ||
	{ echo "bench_before_after: $REV is not a commit of $REPO (a shallow clone? fetch its history)" >&2; exit 1; }
SRC=$REPO/build/before/${SHA:0:12}
BEFORE_BIN=$SRC/build/tests/bench/microbench
if [[ ! -x $BEFORE_BIN ]]; then
	echo "# building microbench of ${SHA:0:12} under $SRC"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	git -C "$REPO" archive "$SHA" | tar -x -C "$SRC"
	make -C "$SRC" -j"$(nproc)" build/tests/bench/microbench >"$SRC.log" 2>&1 ||
		{ echo "bench_before_after: building ${SHA:0:12} failed, see $SRC.log" >&2; exit 1; }
fi

WORK=$(mktemp -d /tmp/efw-ba.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Copies: a rebuild of this tree during the run must not swap the binary.
cp "$NOW_BIN" "$WORK/microbench-now"
cp "$BEFORE_BIN" "$WORK/microbench-before"
mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf

# One run of one side, from its own tree (build/edgefw is found relative
# to it): its JSON, its console output kept for a failure.
run_side() {
	local side=$1 dir=$2 pair=$3
	(cd "$dir" && "$WORK/microbench-$side" --no-classbench --reps 1 --lists "$LISTS" \
		--json "$WORK/$side-$pair.json" --reload-json "$WORK/reload-$side-$pair.json") \
		>"$WORK/$side-$pair.log" 2>&1 ||
		{ echo "bench_before_after: the $side microbench failed (pair $pair):" >&2
		  tail -20 "$WORK/$side-$pair.log" >&2; exit 1; }
}

for ((p = 1; p <= PAIRS; p++)); do
	echo "# pair $p of $PAIRS"
	if ((p % 2)); then
		run_side before "$SRC" "$p"
		run_side now "$REPO" "$p"
	else
		run_side now "$REPO" "$p"
		run_side before "$SRC" "$p"
	fi
done

mkdir -p "$(dirname "$OUT")"
/usr/bin/python3 "$REPO/scripts/lib/before_after.py" --dir "$WORK" --pairs "$PAIRS" \
	--limit "$LIMIT" --rev "${SHA:0:12}" --head "$(git -C "$REPO" describe --always --dirty)" \
	--json "$OUT"
