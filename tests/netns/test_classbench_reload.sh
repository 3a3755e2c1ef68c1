#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Big ClassBench-shaped rulesets under traffic: a generated set (5,000 rules
# shaped like acl1_10k; with EFW_TEST_FULL=1, 50,000 shaped like fw1_10k)
# is attached at XDP on the edge, then the rules are reloaded four times,
# between that set (A) and the same rules in another order (B: the second
# half of the body first, the wide rules of the tail last), while crafted
# frames of a few dozen flows go through (tests/tools/flowsend).
#
# Every rule keeps its name (and action) in both, so no counter is ever
# reset: each packet must be counted by the rule that wins it in A or the
# one that wins it in B (the flows are chosen so that no two share a
# winner), never by another rule or the default. A half-applied ruleset
# (new address tables with the old chain, say) would count a packet
# elsewhere or not at all; counters lost across a reload would come up
# short. Each flow's winners come from the lines' own matcher
# (build/tests/tools/classbench flows), and a few are checked against
# `edgefw explain`.
#
# When `edgefw check` refuses a set (today: the 50k one, over the rule
# limit), the test is skipped with the compiler's message.
#
# Environment: EFW_TEST_FULL=1 for the big tier; EFW_CB_RELOAD_SEED and
# EFW_CB_RELOAD_RULES to choose another seed set (a name in
# ../shared/data/classbench) and size.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs

CLASSBENCH=$EFW_REPO/build/tests/tools/classbench
FLOWSEND=$EFW_REPO/build/tests/tools/flowsend
CB_DIR=$EFW_REPO/../shared/data/classbench
if [[ ${EFW_TEST_FULL:-0} == 1 ]]; then
	SEED_SET=${EFW_CB_RELOAD_SEED:-fw1_10k}
	N=${EFW_CB_RELOAD_RULES:-50000}
	LIMIT=600 # seconds for one compilation
else
	SEED_SET=${EFW_CB_RELOAD_SEED:-acl1_10k}
	N=${EFW_CB_RELOAD_RULES:-5000}
	LIMIT=60
fi
RELOADS=4
PPS=2000
INST=$EFW_INSTANCE

for tool in "$CLASSBENCH" "$FLOWSEND"; do
	[[ -x $tool ]] || tap_bail "test tools built" "$tool not found (make test-build)"
done
if [[ ! -r $CB_DIR/$SEED_SET ]]; then
	echo "1..0 # SKIP $CB_DIR/$SEED_SET is absent (the shared ClassBench sets)"
	exit 0
fi

# --- The sets: G, N lines shaped like the seed; A = G; B = G's body halves
# swapped, its last 5% (the wide rules ClassBench puts last) still last.
G=$EFW_TMP/g.cb
T=$((N - N / 20))
H=$((T / 2))
A_LINES="1-$N"
B_LINES="$((H + 1))-$T,1-$H,$((T + 1))-$N"
"$CLASSBENCH" generate "$CB_DIR/$SEED_SET" -n "$N" --seed 12 >"$G"
for s in A B; do
	lines=${s}_LINES
	"$CLASSBENCH" convert "$G" --lines "${!lines}" --pass-percent 50 --seed 12 \
		--skip-catch-all >"$EFW_TMP/$s.yaml" 2>/dev/null
done

# Both must compile before anything else: the compiler gets LIMIT seconds
# and 4 GiB of address space, so a set it cannot hold costs little.
check() {
	# Its messages (stderr) are the output; its summary line is not.
	# shellcheck disable=SC2069
	(ulimit -v $((4 << 20)) && timeout "$LIMIT" "$EDGEFW" check "$1") 2>&1 >/dev/null
}
for s in A B; do
	start=${EPOCHREALTIME//[.,]/}
	if ! out=$(check "$EFW_TMP/$s.yaml"); then
		msg=$(grep -m1 'error:' <<<"$out" | sed 's/^.*error: //')
		echo "1..0 # SKIP the compiler refuses the $N-rule set shaped like $SEED_SET: ${msg:-no answer within ${LIMIT}s}"
		exit 0
	fi
	tap_ok "edgefw check accepts set $s: $N rules shaped like $SEED_SET ($((( ${EPOCHREALTIME//[.,]/} - start) / 1000)) ms)"
done

# --- Flows: aimed inside rules, winners in A and in B, no winner shared
# between flows, none decided by the default.
"$CLASSBENCH" flows "$G" --range "$A_LINES" --range "$B_LINES" -n 400 --seed 7 \
	--distinct --skip-catch-all 2>/dev/null | awk '$6 != "-" && $7 != "-"' >"$EFW_TMP/all.flows"
# (awk counts: `| head` would end awk with SIGPIPE, fatal under pipefail)
{
	awk '$6 == $7 && n++ < 8' "$EFW_TMP/all.flows"
	awk '$6 != $7 && n++ < 24' "$EFW_TMP/all.flows"
} >"$EFW_TMP/flows"
kept=$(awk '$6 == $7' "$EFW_TMP/flows" | wc -l)
switching=$(awk '$6 != $7' "$EFW_TMP/flows" | wc -l)
if [[ $kept -lt 1 || $switching -lt 2 ]]; then
	tap_bail "flows with the same winner in A and B and flows whose winner changes" \
		"found $kept and $switching in $(wc -l <"$EFW_TMP/all.flows") candidates"
fi
tap_ok "$kept flows won by the same rule in A and B, $switching whose winner changes"

# The matcher that chose them agrees with edgefw's reference matcher.
explained=0
while read -r proto src dst sport dport wa wb; do
	for s in A B; do
		want=$wa
		[[ $s == B ]] && want=$wb
		got=$("$EDGEFW" explain "$EFW_TMP/$s.yaml" --src "$src" --dst "$dst" --proto "$proto" \
			--sport "$sport" --dport "$dport" --json 2>/dev/null | jq -r '.decision.rule // "-"')
		[[ $got == "$want" ]] || tap_fail "edgefw explain agrees on the winner in $s" \
			"flow $proto $src -> $dst $sport/$dport: explain says $got, classbench flows $want"
		explained=$((explained + 1))
	done
done < <(head -n 1 "$EFW_TMP/flows"; awk '$6 != $7' "$EFW_TMP/flows" | head -n 1)
tap_ok "edgefw explain names the same winners for $explained flow/ruleset pairs"

# --- Topology, with IPv6 off on the client so that nothing but the flows
# reaches the rules (ARP is not IP: the rules never see it).
if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
in_ns "$EFW_NS_CLIENT" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
EDGE_MAC=$(in_ns "$EFW_NS_EDGE" ip -j link show dev "$EFW_IF_EDGE_IN" | jq -r '.[0].address')
tap_ok "topology client -> edge ($EFW_ID)"

edgefw_long() { in_ns "$EFW_NS_EDGE" timeout "$LIMIT" "$EDGEFW" --instance "$INST" "$@"; }
start=${EPOCHREALTIME//[.,]/}
if ! out=$(edgefw_long attach "$EFW_IF_EDGE_IN" --rules "$EFW_TMP/A.yaml" --hook xdp 2>&1); then
	tap_bail "attach set A at XDP" "$out"
fi
tap_ok "attach set A ($N rules) at XDP on $EFW_IF_EDGE_IN ($((( ${EPOCHREALTIME//[.,]/} - start) / 1000)) ms)"
# The instance says which structures hold the rules and how full its
# arrays are: a set of this shape needs the decision trees.
st=$(efw_edgefw --instance "$INST" status --json 2>&1)
if jq -e --argjson n "$N" '.rules > $n - 10 and .structures.tree_rules > 0 and
	.structures.chain_rules + .structures.tree_rules == .rules and
	([.structures.cells, .structures.classes, .structures.tree_nodes,
	  .structures.tree_leaf_entries] | all(.used <= .capacity and .capacity > 0))' \
	<<<"$st" >/dev/null 2>&1; then
	tap_ok "status: $(jq -r '"\(.structures.chain_rules) rules in the chain, \(.structures.tree_rules) in trees, \(.structures.tree_nodes.used) of \(.structures.tree_nodes.capacity) tree nodes"' <<<"$st")"
else
	tap_fail "status --json says which structures hold set A's $N rules, within capacity" "$st"
fi

# "name packets" per rule, and the default's packets as "-default".
counters() {
	efw_edgefw --instance "$INST" stats --json |
		jq -r '(.rules[] | "\(.name) \(.packets)"), "-default \([.defaults[].packets] | add)"'
}
counters >"$EFW_TMP/before"

# --- Traffic, and the reloads under it.
efw_bg_in_ns "$EFW_NS_CLIENT" "$EFW_TMP/sent" "$FLOWSEND" --dev "$EFW_IF_CLIENT" \
	--dst-mac "$EDGE_MAC" --flows "$EFW_TMP/flows" --pps "$PPS"
SENDER=$EFW_BG_PID
sleep 1
for ((k = 1; k <= RELOADS; k++)); do
	s=B
	((k % 2)) || s=A
	start=${EPOCHREALTIME//[.,]/}
	if out=$(edgefw_long reload "$EFW_TMP/$s.yaml" 2>&1); then
		tap_ok "reload to set $s under traffic ($k of $RELOADS, $((( ${EPOCHREALTIME//[.,]/} - start) / 1000)) ms)"
	else
		tap_fail "reload to set $s under traffic ($k of $RELOADS)" "$out"
	fi
	sleep 0.5
done
sleep 0.5
efw_stop_pid "$SENDER"
sleep 0.2
counters >"$EFW_TMP/after"
total=$(awk '{ s += $2 } END { print s + 0 }' "$EFW_TMP/sent")
tap_check "the sender sent every flow ($total frames)" test "$total" -gt $((PPS * 2))

# --- Every packet counted by its flow's winner in A or in B.
# shellcheck disable=SC2016 # awk programs
report=$(awk '
	FILENAME == ARGV[1] { before[$1] = $2; next }
	FILENAME == ARGV[2] { delta[$1] = $2 - before[$1]; next }
	FILENAME == ARGV[3] { sent[FNR - 1] = $2; next }
	{
		i = FNR - 1; a = $6; b = $7
		got = delta[a] + (a != b ? delta[b] : 0)
		mine[a] = 1; mine[b] = 1
		if (got != sent[i]) { bad++; printf "flow %d (%s %s -> %s, %s/%s): sent %d, counted %d by %s, %d by %s\n", i, $1, $2, $3, $4, $5, sent[i], delta[a], a, delta[b], b }
		if (a == b) { kept += sent[i]; keptc += delta[a] } else { ina += delta[a]; inb += delta[b] }
	}
	END {
		for (r in delta) if (!(r in mine) && delta[r] != 0) { stray++; printf "%s counted %d packets of no flow\n", r, delta[r] }
		printf "SUMMARY %d %d %d %d %d %d\n", bad, stray, kept, keptc, ina, inb
	}' "$EFW_TMP/before" "$EFW_TMP/after" "$EFW_TMP/sent" "$EFW_TMP/flows")
read -r _ bad stray kept_sent kept_counted in_a in_b < <(grep '^SUMMARY' <<<"$report")
details=$(grep -v '^SUMMARY' <<<"$report" | head -n 20 || true)
if [[ ${bad:-1} -eq 0 ]]; then
	tap_ok "every packet of every flow was counted by its winner in A or in B ($total packets, $RELOADS reloads)"
else
	tap_fail "every packet of every flow was counted by its winner in A or in B" "$details"
fi
if [[ ${stray:-1} -eq 0 ]]; then
	tap_ok "no packet was counted by another rule or by the default"
else
	tap_fail "no packet was counted by another rule or by the default" "$details"
fi
tap_check "the rules in both sets kept counting by name across the reloads: $kept_counted of their flows' $kept_sent packets" \
	test "${kept_sent:-0}" -gt 0 -a "${kept_counted:-0}" -eq "${kept_sent:-0}"
tap_check "the reloads moved the other flows between their A and B winners both ways ($in_a in A, $in_b in B)" \
	test "${in_a:-0}" -gt 0 -a "${in_b:-0}" -gt 0

tap_check "detach $EFW_IF_EDGE_IN" efw_edgefw --instance "$INST" detach "$EFW_IF_EDGE_IN"
tap_done
