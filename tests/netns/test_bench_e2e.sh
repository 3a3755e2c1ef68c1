#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The end-to-end benchmark (scripts/bench_e2e.sh) in its smallest form
# (--smoke: one repetition of 1 s, small scenarios): it runs, and its output
# has every row, the ratios to parse-only, the in-situ BPF cost, and marks
# rows as it should (a forced spread between repetitions, a forced
# disagreement with a previous run). Its figures are not checked: they are
# `make bench`'s, as ratios, never a pass/fail.
# efw-timeout: 900
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs

REPORT=$EFW_REPO/scripts/bench_e2e_report.py
OUT=$EFW_TMP/e2e.json
CB_DIR=$EFW_REPO/../shared/data/classbench
for t in ethtool bpftool xdp-filter nft taskset; do
	command -v "$t" >/dev/null || tap_bail "$t installed" "scripts/deps.sh installs it"
done

rc=0
"$EFW_REPO/scripts/bench_e2e.sh" --smoke --json "$OUT" >"$EFW_TMP/out" 2>"$EFW_TMP/err" || rc=$?
tap_is "bench_e2e.sh --smoke exits 0" "$rc" 0
tap_bail_if_failed "$(tail -n 20 "$EFW_TMP/err")"
tap_check "it wrote $OUT" jq -e '.results | length > 0' "$OUT"
tap_bail_if_failed "no results"

# --- every row --------------------------------------------------------------

scenarios=(list1k p1000_r100)
if [[ -r $CB_DIR/fw1_1k ]]; then
	scenarios+=(fw1_1k)
else
	tap_check "without ../shared/data the ClassBench scenario is skipped with a message" \
		grep -q "fw1_1k: .* is absent" "$EFW_TMP/out"
fi
missing=()
for sc in "${scenarios[@]}"; do
	rcv=(xdp_drop parse_drop edgefw_xdp naive xdp_filter)
	[[ $sc == list1k ]] && rcv+=(nft_set)
	for mode in sat rate; do
		for r in "${rcv[@]}"; do
			jq -e --arg s "$sc" --arg m "$mode" --arg r "$r" \
				'.results[] | select(.scenario == $s and .mode == $m and .receiver == $r) |
				 select(.napi_ns_per_packet > 0 and .ratio_to_parse > 0 and .rx_pps > 0)' \
				"$OUT" >/dev/null || missing+=("$sc/$mode/$r")
		done
	done
done
tap_is "every scenario, mode and receiver has a row with figures and a ratio" "${missing[*]}" ""

got=$(jq '[.results[] | select(.receiver == "parse_drop") | .ratio_to_parse] | unique' -c "$OUT")
tap_is "parse-only is the ratios' base (1 in every scenario and mode)" "$got" "[1]"
got=$(jq '[.results[] | select(.receiver != "nft_set") | select((.bpf_ns_per_run // 0) <= 0)] | length' "$OUT")
tap_is "every XDP row has its in-situ BPF cost (run_time_ns / run_cnt)" "$got" 0
got=$(jq '[.results[] | select(.mode == "rate") | .target_pps] | unique | map(select(. <= 0)) | length' "$OUT")
tap_is "the fixed-rate rows have a positive offered rate" "$got" 0
# The generator paces in its program (kern/trafficgen.bpf.c): a pacing
# between calls held 9-20% of the rate on a machine where a call costs
# 330 us. 75%, not the report's 90% mark, leaves room for a loaded CI.
got=$(jq -c '[.results[] | select(.mode == "rate" and .offered_pps < 0.75 * .target_pps) |
	{scenario, receiver, target_pps, offered_pps}]' "$OUT")
tap_is "the generator held each fixed rate (offered at least 75% of it)" "$got" "[]"
tap_check "the table has its header and the unstable count" \
	grep -q '^| receiver | receiver ns/packet | x parse-only | spread |' "$EFW_TMP/out"
tap_check "it says how many rows are unstable" grep -qE '^[0-9]+ of [0-9]+ rows unstable' "$EFW_TMP/out"
tap_check "it names the machine (CPU model) and its load" \
	grep -qE '^End to end: .+, load average [0-9.]+' "$EFW_TMP/out"
id=$(sed -n 's/^bench_e2e: .* namespaces efw-client-\([0-9a-f]*\) and .*/\1/p' "$EFW_TMP/err")
if [[ -n $id && ! -e /run/netns/efw-client-$id && ! -e /run/netns/efw-edge-$id ]]; then
	tap_ok "its namespaces (id $id) are gone"
else
	tap_fail "its namespaces are gone" "id '$id'"
fi

# --- marking ----------------------------------------------------------------

jq -c '.samples[]' "$OUT" >"$EFW_TMP/samples"
# Two repetitions of every row, the second 50% slower: a 50% spread.
jq -c '., (.rep = 2 | .napi_ns_per_packet *= 1.5)' "$EFW_TMP/samples" >"$EFW_TMP/spread"
/usr/bin/python3 "$REPORT" report "$EFW_TMP/spread" --json "$EFW_TMP/spread.json" >"$EFW_TMP/spread.out"
got=$(jq '[.results[] | select(.unstable | not)] | length' "$EFW_TMP/spread.json")
tap_is "a 50% spread between repetitions marks every row unstable" "$got" 0
tap_check "the table shows the mark" grep -q '| unstable' "$EFW_TMP/spread.out"
jq -c '., (.rep = 2)' "$EFW_TMP/samples" >"$EFW_TMP/steady"
/usr/bin/python3 "$REPORT" report "$EFW_TMP/steady" --json "$EFW_TMP/steady.json" >/dev/null
got=$(jq '[.results[] | select(.unstable)] | length' "$EFW_TMP/steady.json")
tap_is "equal repetitions mark no row unstable" "$got" 0

# A previous run 30% faster on every row: every XDP row disagrees.
jq '.results |= map(.napi_ns_per_packet /= 1.3)' "$OUT" >"$EFW_TMP/prev.json"
/usr/bin/python3 "$REPORT" report "$EFW_TMP/samples" --json "$EFW_TMP/cmp.json" \
	--compare "$EFW_TMP/prev.json" >"$EFW_TMP/cmp.out"
got=$(jq '[.results[] | select(.disagrees_with_prev | not)] | length' "$EFW_TMP/cmp.json")
tap_is "--compare with a run 30% apart marks every row" "$got" 0
tap_check "and says that XDP rows disagree with the previous run" \
	grep -qE '^[0-9]+ XDP rows disagree with the previous run by more than 10%' "$EFW_TMP/cmp.out"
/usr/bin/python3 "$REPORT" report "$EFW_TMP/samples" --compare "$OUT" >"$EFW_TMP/same.out"
tap_check "--compare with itself says every XDP row agrees" \
	grep -q '^every XDP row agrees with the previous run within 10%' "$EFW_TMP/same.out"

tap_done
