#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The before/after comparison of `make bench` (scripts/lib/before_after.py)
# on made-up microbench results, without root or BPF: a row is SLOWER only
# when the raw and the parse-normalised ratios both pass the limit, the
# ratios are medians over the pairs, and a scenario one side lacks is left
# out instead of compared with nothing.
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/efw-bacmp.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT

n=0
fails=0
ok() { echo "ok $((n += 1)) - $1"; }
not_ok() {
	echo "not ok $((n += 1)) - $1"
	fails=$((fails + 1))
	shift
	for l in "$@"; do printf '# %s\n' "$l"; done
}

# side FILE PARSE XDP TC [RULESET]: one microbench result file.
side() {
	local f=$1 parse=$2 xdp=$3 tc=$4 rs=${5:-100k prefixes}
	cat >"$f" <<-EOF
	[
	 {"program": "parse-only", "ruleset": "$rs", "median_ns": $parse},
	 {"program": "edgefw xdp", "ruleset": "$rs", "median_ns": $xdp},
	 {"program": "edgefw tc", "ruleset": "$rs", "median_ns": $tc}
	]
	EOF
}

row() { # JSON PROGRAM FIELD
	$PY -c 'import json,sys
rows = json.load(open(sys.argv[1]))["rows"]
print([r[sys.argv[3]] for r in rows if r["program"] == sys.argv[2]][0])' "$@"
}

compare() { # DIR PAIRS
	$PY scripts/lib/before_after.py --dir "$1" --pairs "$2" --limit 0.10 \
		--rev old --head new --json "$1/out.json" >"$1/out.txt" 2>&1
}

# xdp 20% slower on an unchanged machine; tc 5% slower.
d=$tmp/a
mkdir -p "$d"
for p in 1 2 3; do
	side "$d/before-$p.json" 20 50 60
	side "$d/now-$p.json" 20 60 63
done
if compare "$d" 3; then
	if [[ $(row "$d/out.json" "edgefw xdp" slower) == True ]]; then
		ok "a program 20% slower is marked SLOWER"
	else
		not_ok "a program 20% slower is marked SLOWER" "$(cat "$d/out.txt")"
	fi
	if [[ $(row "$d/out.json" "edgefw tc" slower) == False ]]; then
		ok "a program 5% slower is not"
	else
		not_ok "a program 5% slower is not" "$(cat "$d/out.txt")"
	fi
	if grep -q '1 of 2 edgefw rows slower' "$d/out.txt"; then
		ok "the summary counts the slower rows"
	else
		not_ok "the summary counts the slower rows" "$(cat "$d/out.txt")"
	fi
else
	not_ok "the comparison runs" "$(cat "$d/out.txt")"
fi

# The machine twice as slow during the 'now' runs: raw ratio 2, the
# normalised one 1: not slower.
d=$tmp/b
mkdir -p "$d"
for p in 1 2; do
	side "$d/before-$p.json" 20 50 60
	side "$d/now-$p.json" 40 100 120
done
if compare "$d" 2; then
	if [[ $(row "$d/out.json" "edgefw xdp" ratio) == 2.0 &&
	      $(row "$d/out.json" "edgefw xdp" ratio_parse_normalised) == 1.0 &&
	      $(row "$d/out.json" "edgefw xdp" slower) == False ]]; then
		ok "a slower machine alone is not a regression"
	else
		not_ok "a slower machine alone is not a regression" "$(cat "$d/out.txt")"
	fi
else
	not_ok "the comparison runs (slow machine)" "$(cat "$d/out.txt")"
fi

# Medians: one outlier pair of three does not decide.
d=$tmp/c
mkdir -p "$d"
side "$d/before-1.json" 20 50 60
side "$d/now-1.json" 20 100 60
for p in 2 3; do
	side "$d/before-$p.json" 20 50 60
	side "$d/now-$p.json" 20 51 60
done
if compare "$d" 3; then
	if [[ $(row "$d/out.json" "edgefw xdp" ratio) == 1.02 &&
	      $(row "$d/out.json" "edgefw xdp" ratio_max) == 2.0 &&
	      $(row "$d/out.json" "edgefw xdp" slower) == False ]]; then
		ok "one outlier pair of three does not make a row slower"
	else
		not_ok "one outlier pair of three does not make a row slower" "$(cat "$d/out.txt")"
	fi
else
	not_ok "the comparison runs (outlier)" "$(cat "$d/out.txt")"
fi

# A scenario only the new side has (FireHOL without the list, say) is
# not compared.
d=$tmp/d
mkdir -p "$d"
side "$d/before-1.json" 20 50 60
$PY - "$d/now-1.json" <<-'EOF'
import json, sys
rows = [{"program": p, "ruleset": rs, "median_ns": ns}
        for rs in ("100k prefixes", "firehol_level1")
        for p, ns in (("parse-only", 20), ("edgefw xdp", 50), ("edgefw tc", 60))]
json.dump(rows, open(sys.argv[1], "w"))
EOF
if compare "$d" 1 && ! grep -q firehol "$d/out.json"; then
	ok "a scenario one side lacks is left out"
else
	not_ok "a scenario one side lacks is left out" "$(cat "$d/out.txt")"
fi

echo "1..$n"
[[ $fails -eq 0 ]]
