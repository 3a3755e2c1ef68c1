#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefw on the tc hooks, with real traffic: a tc-ingress drop on the edge's
# client-facing link, a tc-egress drop on its server-facing link (traffic
# leaving the edge), another tool's filter left alone by attach and detach,
# reload (a new ruleset changes verdicts, a bad one changes nothing, two at
# once leave one of them in force), status, and detach (twice).
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
command -v tc >/dev/null || tap_bail "tc installed" "missing: tc (iproute2)"

PINGS=3
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
INST=$EFW_INSTANCE
IN=$EFW_IF_EDGE_IN
OUT=$EFW_IF_EDGE_OUT
EFW_INSTANCES+=("$INST-none")

# Ruleset A drops the blocked IPv4 source as it enters the edge (tc-ingress)
# and the blocked IPv6 source as it leaves towards the server (tc-egress);
# B keeps only the second rule.
RULES_A=$EFW_TMP/a.yaml
RULES_B=$EFW_TMP/b.yaml
RULES_BAD=$EFW_TMP/bad.yaml
cat >"$RULES_A" <<EOF
version: 1
rules:
  - name: drop-bad-in
    src: 10.200.1.64/28
    hooks: tc-ingress
    action: drop
  - name: drop-bad6-out
    src: fd00:200:1::40/124
    hooks: tc-egress
    action: drop
EOF
cat >"$RULES_B" <<EOF
version: 1
rules:
  - name: drop-bad6-out
    src: fd00:200:1::40/124
    hooks: tc-egress
    action: drop
EOF
printf 'version: 1\nrules:\n  - name: a\n    src: 10.0.0.0/8\n    dport: 90-80\n    proto: tcp\n    action: drop\n' >"$RULES_BAD"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null; }
status() { efw_edgefw --instance "$INST" status --json 2>/dev/null; }
counter() {
	jq -r --arg n "$2" 'first(.rules[]? | select(.name == $n) | .packets) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($2 - $1)); else echo "n/a ($1 -> $2)"; fi
}
ping_count() { send_ping "$C" "$1" "$2" "$PINGS" || echo error; }
# shellcheck disable=SC2317 # called through the checks below
# tc_show IF DIR: the tc filters on a hook of an edge interface.
tc_show() { in_ns "$E" tc filter show dev "$1" "$2"; }
# grep reads everything (no -q): an early exit would SIGPIPE tc under pipefail.
# shellcheck disable=SC2317 # called through tap_check
foreign_present() { tc_show "$IN" ingress | grep 'pref 1 bpf .*bytecode' >/dev/null; }
# shellcheck disable=SC2317
# libbpf names the filter "PROG:[ID]", PROG cut to the kernel's 15 characters.
ours_present() { tc_show "$1" "$2" | grep -E "pref 3807 bpf .*handle 0xedf edgefw_tc_${2:0:5}[a-z]*:\[[0-9]+\] direct-action" >/dev/null; }
# shellcheck disable=SC2317
clsact_present() { in_ns "$E" tc qdisc show dev "$1" | grep -q '^qdisc clsact'; }

got=$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")
tap_is "without edgefw: $EFW_CLIENT4_BAD reaches $EFW_SERVER4" "$got" "$PINGS"
tap_bail_if_failed "the topology does not forward IPv4"

# --- Another tool's filter on the client-facing ingress, before ours (pref
# 1). Classic BPF "ret #0" never classifies, so packets go on to ours.
tap_check "a foreign clsact qdisc and filter (pref 1) on $IN ingress" \
	eval "in_ns $E tc qdisc add dev $IN clsact && in_ns $E tc filter add dev $IN ingress pref 1 bpf bytecode '1,6 0 0 0'"

# --- A foreign filter where edgefw's would go (egress, pref 3807, handle
# 0xedf): attaching both tc hooks fails with the kernel's message, leaves
# that filter alone and takes back the ingress filter it had added.
EFW_INSTANCES+=("$INST-r")
in_ns "$E" tc filter add dev "$IN" egress pref 3807 handle 0xedf bpf bytecode '1,6 0 0 0' || true
rc=0
out=$(efw_edgefw --instance "$INST-r" attach "$IN" --rules "$RULES_A" --hook tc-ingress --hook tc-egress 2>&1) || rc=$?
tap_is "attach over a foreign filter at edgefw's pref and handle exits 2" "$rc" 2
tap_check "the error carries the kernel's extended ack" grep -q "$IN egress: File exists: Filter already exists" <<<"$out"
tap_check "the foreign filter at pref 3807 on $IN egress is untouched" \
	eval "tc_show $IN egress | grep -q 'pref 3807 bpf .*bytecode'"
tap_check "the ingress filter that attach had added is gone again" eval "! ours_present $IN ingress"
tap_check "the failed attach left no pins" test ! -e "$EFW_PIN_ROOT/$INST-r"
in_ns "$E" tc filter del dev "$IN" egress pref 3807 handle 0xedf bpf 2>/dev/null || true

# --- Attach: tc-ingress and XDP on the client side; tc-egress and tc-ingress
# (two --hook at once) on the server side, whose clsact edgefw creates.
tap_check "attach $IN --hook tc-ingress --hook xdp" \
	efw_edgefw --instance "$INST" attach "$IN" --rules "$RULES_A" --hook tc-ingress --hook xdp
tap_bail_if_failed "cannot attach to tc"
tap_check "attach $OUT --hook tc-egress --hook tc-ingress" \
	efw_edgefw --instance "$INST" attach "$OUT" --rules "$RULES_A" --hook tc-egress --hook tc-ingress
tap_check "edgefw's direct-action filter on $IN ingress" ours_present "$IN" ingress
tap_check "edgefw's direct-action filter on $OUT egress" ours_present "$OUT" egress
tap_check "edgefw created clsact on $OUT" clsact_present "$OUT"
tap_check "the foreign filter on $IN ingress is still there" foreign_present
hashA=$(status | jq -r .ruleset_hash) || hashA=none

# --- Verdicts.
s0=$(stats) || s0=none
tap_is "allowed ping $EFW_CLIENT4 -> $EFW_SERVER4" "$(ping_count "$EFW_CLIENT4" "$EFW_SERVER4")" "$PINGS"
tap_is "tc-ingress drop: $EFW_CLIENT4_BAD -> $EFW_SERVER4 gets no reply" \
	"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0
tap_is "allowed ping $EFW_CLIENT6 -> $EFW_SERVER6" "$(ping_count "$EFW_CLIENT6" "$EFW_SERVER6")" "$PINGS"
tap_is "tc-egress drop: $EFW_CLIENT6_BAD -> $EFW_SERVER6 gets no reply" \
	"$(ping_count "$EFW_CLIENT6_BAD" "$EFW_SERVER6")" 0
s1=$(stats) || s1=none
tap_is "drop-bad-in counted each echo request at tc-ingress" \
	"$(delta "$(counter "$s0" drop-bad-in)" "$(counter "$s1" drop-bad-in)")" "$PINGS"
tap_is "drop-bad6-out counted each echo request leaving through $OUT" \
	"$(delta "$(counter "$s0" drop-bad6-out)" "$(counter "$s1" drop-bad6-out)")" "$PINGS"

# --- Status.
st=$(status) || st=none
# shellcheck disable=SC2016 # jq program
tap_check "status --json lists the four attachments, all attached" jq -e \
	--arg in "$IN" --arg out "$OUT" --arg i "$INST" '
	.instance == $i and .loaded == true and (.generation | type) == "number"
	and (.ruleset_hash | test("^[0-9a-f]{16}$")) and (.loaded_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))
	and ([.attachments[] | "\(.interface) \(.hook) \(.mode | sub("^(native|generic)$"; "xdp-mode")) \(.attached)"] | sort)
		== (["\($in) xdp xdp-mode true", "\($in) tc-ingress tc true", "\($out) tc-egress tc true", "\($out) tc-ingress tc true"] | sort)
	and all(.attachments[]; .prog_id > 0)' <<<"$st"
table=$(efw_edgefw --instance "$INST" status 2>&1) || true
# shellcheck disable=SC2317 # called through tap_check
table_lists() { grep -q "^$IN .*tc-ingress .* attached" <<<"$table" && grep -q "^$OUT .*tc-egress .* attached" <<<"$table"; }
tap_check "status (table) lists $IN tc-ingress and $OUT tc-egress as attached" table_lists

# --- Reload: a bad file changes nothing.
rc=0
out=$(efw_edgefw --instance "$INST" reload "$RULES_BAD" 2>&1) || rc=$?
tap_is "reload of a bad file exits 1" "$rc" 1
tap_check "reload prints the compiler's FILE:LINE:COL error" grep -q "bad.yaml:5:12: error:" <<<"$out"
tap_is "after the bad reload, the ruleset is unchanged" "$(status | jq -r .ruleset_hash)" "$hashA"
tap_is "after the bad reload, $EFW_CLIENT4_BAD is still dropped" \
	"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0

# --- Reloads whose kernel calls fail (fault injection): a failure before
# the switch changes nothing; the failed switch leaves b.yaml's entries in
# the inactive generation, and the next reload's first delete of those
# fails, before the switch too.
verA=$(status | jq -r .version) || verA=none
for fault in switch purge_delete; do
	rc=0
	out=$(EDGEFW_FAULT=$fault efw_edgefw --instance "$INST" reload "$RULES_B" 2>&1) || rc=$?
	tap_is "a reload whose first $fault fails exits 2" "$rc" 2
	tap_check "it says what failed" grep -qE "cannot (switch|remove the leftovers)" <<<"$out"
	tap_is "after it, status shows the same ruleset and version" \
		"$(status | jq -r '"\(.ruleset_hash) \(.version)"')" "$hashA $verA"
	tap_is "after it, $EFW_CLIENT4_BAD is still dropped" \
		"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0
done

# --- Reload B: the IPv4 source passes, the IPv6 rule keeps its counter.
# Waiting for packets in flight fails after the switch: a warning, the
# reload stands, the old entries stay until the next reload removes them.
rc=0
out=$(EDGEFW_FAULT=sync_create efw_edgefw --instance "$INST" reload "$RULES_B" 2>&1) || rc=$?
tap_is "reload b.yaml exits 0" "$rc" 0
tap_check "a failure after the switch is a warning" \
	grep -q "warning: the new ruleset is in force, but cannot wait" <<<"$out"
tap_is "status shows b.yaml's ruleset as the next version" \
	"$(status | jq -r '.version')" "$((verA + 1))"
tap_check "reload summary: 1 removed, 1 kept, generation" \
	grep -qE "0 added, 1 removed, 1 kept .*generation [01]" <<<"$out"
tap_is "after reload b.yaml, $EFW_CLIENT4_BAD reaches $EFW_SERVER4" \
	"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" "$PINGS"
tap_is "after reload b.yaml, $EFW_CLIENT6_BAD is still dropped leaving $OUT" \
	"$(ping_count "$EFW_CLIENT6_BAD" "$EFW_SERVER6")" 0
s2=$(stats) || s2=none
tap_is "drop-bad6-out kept its counter across the reload" \
	"$(delta "$(counter "$s0" drop-bad6-out)" "$(counter "$s2" drop-bad6-out)")" $((2 * PINGS))
hashB=$(status | jq -r .ruleset_hash) || hashB=none
tap_check "the two rulesets have different hashes" test "$hashA" != "$hashB"

# --- Two reloads at once: each succeeds or fails with a message, and the
# instance ends with exactly one of the two rulesets.
efw_bg_in_ns "$E" "$EFW_TMP/r1.out" timeout 30 "$EDGEFW" --instance "$INST" reload "$RULES_A"
p1=$EFW_BG_PID
efw_bg_in_ns "$E" "$EFW_TMP/r2.out" timeout 30 "$EDGEFW" --instance "$INST" reload "$RULES_B"
p2=$EFW_BG_PID
rc1=0 rc2=0
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
if [[ $rc1 -eq 0 && $rc2 -eq 0 ]]; then
	tap_ok "two concurrent reloads both succeed"
elif [[ ($rc1 -eq 0 && -s $EFW_TMP/r2.out.err) || ($rc2 -eq 0 && -s $EFW_TMP/r1.out.err) ]]; then
	tap_ok "two concurrent reloads: one succeeds, the other fails with a message"
else
	tap_fail "two concurrent reloads" "exits $rc1 $rc2" "$(cat "$EFW_TMP"/r[12].out.err)"
fi
s3=$(stats) || s3=none
names=$(jq -c '[.rules[].name] | sort' <<<"$s3" 2>/dev/null) || names=invalid
hash=$(status | jq -r .ruleset_hash) || hash=none
got=$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")
if [[ $hash == "$hashA" && $names == '["drop-bad-in","drop-bad6-out"]' && $got == 0 ]] ||
	[[ $hash == "$hashB" && $names == '["drop-bad6-out"]' && $got == "$PINGS" ]]; then
	tap_ok "after concurrent reloads, one whole ruleset is in force (stats, status and traffic agree)"
else
	tap_fail "after concurrent reloads, one whole ruleset is in force" \
		"hash $hash (a $hashA, b $hashB)" "rules $names" "$EFW_CLIENT4_BAD replies $got"
fi

# --- Reload without an instance.
rc=0
out=$(efw_edgefw --instance "$INST-none" reload "$RULES_A" 2>&1) || rc=$?
tap_is "reload of a missing instance exits 1" "$rc" 1
tap_check "its message names the instance and says to attach" \
	grep -q "no edgefw instance '$INST-none'.*attach" <<<"$out"

# --- Detach.
tap_check "detach $IN" efw_edgefw --instance "$INST" detach "$IN"
tap_check "edgefw's filter is gone from $IN ingress" eval "! ours_present $IN ingress"
tap_check "no XDP program left on $IN" eval "! in_ns $E ip -o link show dev $IN | grep -qE ' xdp(generic|drv)? '"
tap_check "the foreign filter on $IN ingress is untouched" foreign_present
tap_check "the clsact qdisc on $IN stays" clsact_present "$IN"
rc=0
out=$(efw_edgefw --instance "$INST" detach "$IN" 2>&1) || rc=$?
tap_is "detach $IN again exits 1" "$rc" 1
tap_check "its message says it is not attached to $IN" grep -q "not attached to $IN" <<<"$out"
tap_check "pins stay while $OUT is attached" test -d "$EFW_PIN_ROOT/$INST"
# Someone removes edgefw's filter by hand: status notices, detach copes.
in_ns "$E" tc filter del dev "$OUT" ingress pref 3807 handle 0xedf bpf 2>/dev/null || true
tap_is "status --json shows $OUT tc-ingress removed by hand as not attached" \
	"$(status | jq -c --arg out "$OUT" '[.attachments[] | select(.interface == $out) | "\(.hook) \(.attached)"] | sort')" \
	'["tc-egress true","tc-ingress false"]'
tap_check "detach $OUT (every hook)" efw_edgefw --instance "$INST" detach "$OUT"
tap_check "no edgefw filter left on $OUT" eval "! ours_present $OUT egress && ! ours_present $OUT ingress"
tap_check "the last detach removed the pins" test ! -e "$EFW_PIN_ROOT/$INST"
tap_is "after detach $EFW_CLIENT6_BAD reaches $EFW_SERVER6" \
	"$(ping_count "$EFW_CLIENT6_BAD" "$EFW_SERVER6")" "$PINGS"

tap_done
