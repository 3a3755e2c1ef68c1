#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The per-rule tables follow the rule count (issue 20): a 10-rule instance
# holds 64 counter slots; two reloads under traffic to 210 and then 610
# rules grow them (new per-CPU counters, the old ones' totals carried into
# rule_carry once no program writes them), and every rule's counters stay
# exact by name across both growths; a reload back to fewer rules keeps
# the slots and the counters; a rule name new to the instance starts from
# zero even in a slot a removed rule counted in.
# efw-timeout: 240
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
efw_daemon_prereqs tools
command -v bpftool >/dev/null || tap_bail "bpftool installed" "missing: bpftool"

C=$EFW_NS_CLIENT
S=$EFW_NS_SERVER
IN=$EFW_IF_EDGE_IN
INST=$EFW_INSTANCE
PIN=/sys/fs/bpf/edgefw/$INST
A=$EFW_CLIENT4     # passes on 7000 (pass-a)
B=$EFW_CLIENT4_BAD # dropped on 7001 (drop-b)
EFW_INSTANCES+=("$INST")

# rules FILE N PREFIX [PASS_NAME]: drop-b, the pass rule (pass-a unless
# PASS_NAME is given; none when it is empty), then N filler rules named
# PREFIX0..
rules() {
	local i pass=${4-pass-a}
	{
		cat <<EOF
version: 1
defaults: {xdp: pass, non-ip: pass}
rules:
  - name: drop-b
    src: $B/32
    proto: udp
    dport: 7001
    action: drop
EOF
		[[ -z $pass ]] || printf '  - name: %s\n    src: %s/32\n    proto: udp\n    dport: 7000\n    action: pass\n' \
			"$pass" "$A"
		for ((i = 0; i < $2; i++)); do
			printf '  - name: %s%d\n    dst: 192.0.2.%d/32\n    proto: tcp\n    dport: %d\n    action: drop\n' \
				"$3" "$i" $((i % 250 + 1)) $((10000 + i))
		done
	} >"$1"
}
rules "$EFW_TMP/r10.yaml" 8 f
rules "$EFW_TMP/r210.yaml" 208 g
rules "$EFW_TMP/r610.yaml" 608 h
rules "$EFW_TMP/back.yaml" 8 k ""
rules "$EFW_TMP/fresh.yaml" 8 k fresh

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "static neighbours" efw_static_neigh
tap_check "attach $IN (xdp) with 10 rules" \
	efw_edgefw --instance "$INST" attach "$IN" --rules "$EFW_TMP/r10.yaml"
tap_bail_if_failed "cannot attach"

stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null; }
counter() {
	jq -r --arg n "$2" 'first(.rules[]? | select(.name == $n) | .packets) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
slots() { bpftool map show pinned "$PIN/rule_carry" -j 2>/dev/null | jq -r '.max_entries // empty'; }
map_id() { bpftool map show pinned "$PIN/$1" -j 2>/dev/null | jq -r '.id // empty'; }
tap_is "10 rules: 64 counter slots" "$(slots)" 64

efw_sink_start "$S" "$EFW_SERVER4" 7000 || tap_fail "sink 7000"
efw_sink_start "$S" "$EFW_SERVER4" 7001 || tap_fail "sink 7001"
efw_flood_start "$C" pass "$A" "$EFW_SERVER4" 7000 1000 60
efw_flood_start "$C" blocked "$B" "$EFW_SERVER4" 7001 1000 60
sleep 1
# grow FILE SLOTS: a reload under traffic that grows the per-rule tables.
grow() {
	local out rc=0 id
	id=$(map_id rule_stats)
	out=$(efw_edgefw --instance "$INST" reload "$1" 2>&1) || rc=$?
	tap_is "reload to $(basename "$1" .yaml) exits 0" "$rc" 0
	[[ $rc -eq 0 ]] || tap_diag "$(tail -n 5 <<<"$out")"
	tap_check "it says the rule slots grew" grep -q "rule slots $3 -> $2" <<<"$out"
	tap_is "the per-rule tables hold $2 slots" "$(slots)" "$2"
	tap_check "rule_stats is a new map ($id -> $(map_id rule_stats))" test "$(map_id rule_stats)" != "$id"
	sleep 1
}
# 10 in force + 208 new names = 218: an eighth more, rounded to 64 -> 256.
grow "$EFW_TMP/r210.yaml" 256 64
# 210 in force + 608 new = 818 -> 960 (more than twice 256).
grow "$EFW_TMP/r610.yaml" 960 256
sent_pass=$(efw_flood_stop pass)
sent_blocked=$(efw_flood_stop blocked)
sleep 0.5
efw_sink_stop 7000
efw_sink_stop 7001
s1=$(stats) || s1=none
tap_check "the senders ran ($sent_pass, $sent_blocked sent)" \
	test "$sent_pass" -gt 1000 -a "$sent_blocked" -gt 1000
tap_is "not one packet of B passed" "$(efw_sink_field 7001 received)" 0
tap_is "drop-b counted every packet across both growths" "$(counter "$s1" drop-b)" "$sent_blocked"
tap_is "pass-a counted every packet across both growths" "$(counter "$s1" pass-a)" "$sent_pass"
tap_check "the rules of the first growth are still there (g0 counted $(counter "$s1" g0))" \
	test "$(counter "$s1" g0)" = missing -a "$(counter "$s1" h0)" = 0

# Back to 9 rules without pass-a: fits, keeps the slots and drop-b's
# count. Then a new name takes the lowest free slot, pass-a's (slot 1,
# counted in both the carry and the per-CPU counters): it starts from 0.
rc=0
out=$(efw_edgefw --instance "$INST" reload "$EFW_TMP/back.yaml" 2>&1) || rc=$?
tap_is "reload back to 9 rules exits 0" "$rc" 0
tap_check "it does not grow" bash -c "! grep -q 'grew ' <<<'$out'"
tap_is "the slots stay" "$(slots)" 960
s2=$(stats) || s2=none
tap_is "drop-b keeps its count" "$(counter "$s2" drop-b)" "$sent_blocked"
zero=$(jq -r '[.rules[] | select(.name | startswith("k")) | .packets] | add' <<<"$s2" 2>/dev/null) || zero=invalid
tap_is "the new names start from zero" "$zero" 0
rc=0
out=$(efw_edgefw --instance "$INST" reload "$EFW_TMP/fresh.yaml" 2>&1) || rc=$?
tap_is "reload with a new name 'fresh' exits 0" "$rc" 0
s3=$(stats) || s3=none
gen=$(efw_edgefw --instance "$INST" status --json 2>/dev/null | jq -r .generation) || gen=0
# rule_meta's entry of slot 1 in the generation in force (EDGEFW_RULE_KEY):
# the name's first five bytes, in hex.
name1=$(bpftool map lookup pinned "$PIN/rule_meta" key $((2 + gen)) 0 0 0 -j 2>/dev/null |
	jq -r '.value[:5] | map(ltrimstr("0x")) | join("")' 2>/dev/null) || name1=missing
tap_is "'fresh' took pass-a's slot (1)" "$name1" 6672657368
tap_is "... and starts from zero" "$(counter "$s3" fresh)" 0
tap_is "drop-b still keeps its count" "$(counter "$s3" drop-b)" "$sent_blocked"
tap_check "detach" efw_edgefw --instance "$INST" detach "$IN"
tap_check "no pin is left" test ! -e "$PIN"
tap_done
