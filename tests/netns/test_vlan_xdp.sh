#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# VLAN tags XDP does not see in the frame. A tc filter on the client's veth
# (vlan_push.bpf.c) tags UDP to port 7300 with VLAN 100 in skb->vlan_tci, as
# a VLAN interface would; with the veth's tx VLAN offload on, the tag
# travels beside the frame (as after a NIC's rx VLAN offload). edgefw's
# native XDP program then reads it through the XDP metadata kfunc (veth
# gives it back since kernel 6.8); generic XDP cannot, and attach says so
# with how to turn the offload off. With the offload off the tag is in the
# frame and every mode sees it. Verdicts are read from the rule counters:
# the edge has no VLAN interface, so nothing answers tagged frames.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
for t in ethtool tc bpftool; do
	command -v "$t" >/dev/null || tap_bail "$t installed" "missing: $t"
done

COUNT=5
PORT=7300
C=$EFW_NS_CLIENT
INST=$EFW_INSTANCE
VID=100
PUSH_OBJ=$EFW_REPO/build/tests/netns/vlan_push.bpf.o
[[ -f $PUSH_OBJ ]] || tap_bail "test BPF objects built" "$PUSH_OBJ not found (make test-build)"
RULES=$EFW_TMP/vlan.yaml
RULES_NOVLAN=$EFW_TMP/novlan.yaml
cat >"$RULES" <<EOF
version: 1
rules:
  - {name: drop-vlan-$VID, vlan: $VID, hooks: xdp, action: drop}
  - {name: untagged, vlan: none, proto: udp, dport: $PORT, hooks: xdp, action: pass}
EOF
cat >"$RULES_NOVLAN" <<EOF
version: 1
rules:
  - {name: drop-nothing, src: 192.0.2.1, action: drop}
EOF

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tag_up() {
	in_ns "$C" tc qdisc add dev "$EFW_IF_CLIENT" clsact &&
		in_ns "$C" tc filter add dev "$EFW_IF_CLIENT" egress bpf da obj "$PUSH_OBJ" sec tc
}
tap_check "the client tags UDP to port $PORT with VLAN $VID (tc bpf, skb->vlan_tci)" tag_up
tap_bail_if_failed "cannot tag the client's traffic"

txvlan() { in_ns "$C" ethtool -K "$EFW_IF_CLIENT" txvlan "$1" >/dev/null; }
# counted RULE: the rule's packets so far.
counted() {
	efw_edgefw --instance "$INST" stats --json 2>/dev/null |
		jq -r --arg n "$1" 'first(.rules[]? | select(.name == $n) | .packets) // "missing"'
}
# sent_as: sends COUNT tagged datagrams; prints what the vlan rule and the
# untagged rule counted, "TAGGED UNTAGGED".
sent_as() {
	local v0 u0 v1 u1
	v0=$(counted "drop-vlan-$VID") u0=$(counted untagged)
	send_udp "$C" "$EFW_CLIENT4" "$EFW_SERVER4" "$PORT" "$COUNT" vlan >/dev/null || echo "send failed"
	v1=$(counted "drop-vlan-$VID") u1=$(counted untagged)
	echo "$((v1 - v0)) $((u1 - u0))"
}
prog_name() {
	local id
	id=$(efw_edgefw --instance "$INST" status --json 2>/dev/null |
		jq -r --arg i "$EFW_IF_EDGE_IN" 'first(.attachments[] | select(.interface == $i and .hook == "xdp") | .prog_id)')
	bpftool prog show id "$id" 2>/dev/null | sed -n 's/.* name \([^ ]*\) .*/\1/p'
}
attach() { efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$1" --mode "$2" 2>&1; }
detach() { efw_edgefw --instance "$INST" detach "$EFW_IF_EDGE_IN" >/dev/null 2>&1 || true; }
# shellcheck disable=SC2317 # called through tap_check
no_warning() { ! grep -q 'strips VLAN tags' <<<"$1"; }

tap_check "the client's veth offloads tags (txvlan on)" txvlan on

# --- Native XDP: the device-bound program reads the offloaded tag.
out=$(attach "$RULES" native) || tap_bail "attach --mode native" "$out"
tap_is "native XDP on veth loads the program that reads stripped tags" "$(prog_name)" edgefw_xdp_vlan
tap_check "no rx VLAN offload warning where the tag can be read" no_warning "$out"
tap_is "native XDP, tag beside the frame: every datagram matches vlan: $VID" "$(sent_as)" "$COUNT 0"
txvlan off
tap_is "native XDP, tag in the frame: every datagram matches vlan: $VID" "$(sent_as)" "$COUNT 0"
txvlan on
detach

# --- A reload that adds vlan: rules switches a native attachment to the
# program that reads stripped tags, in place; one that removes them, back.
out=$(attach "$RULES_NOVLAN" native) || tap_bail "attach --mode native" "$out"
tap_is "native XDP without vlan: rules: the shared program" "$(prog_name)" edgefw_xdp
rc=0
out=$(efw_edgefw --instance "$INST" reload "$RULES" 2>&1) || rc=$?
tap_is "reload adding vlan: rules exits 0" "$rc" 0
tap_is "... and switches the interface to the program that reads stripped tags" \
	"$(prog_name)" edgefw_xdp_vlan
tap_check "... without the rx VLAN offload warning" no_warning "$out"
tap_is "... which reads the tag beside the frame: every datagram matches vlan: $VID" \
	"$(sent_as)" "$COUNT 0"
rc=0
out=$(efw_edgefw --instance "$INST" reload "$RULES_NOVLAN" 2>&1) || rc=$?
tap_is "reload removing vlan: rules exits 0" "$rc" 0
tap_is "... and switches the interface back to the shared program" "$(prog_name)" edgefw_xdp
hook_prog() { in_ns "$EFW_NS_EDGE" ip -j link show dev "$EFW_IF_EDGE_IN" | jq -r '.[0].xdp.prog.id // 0'; }
rec_prog() {
	efw_edgefw --instance "$INST" status --json 2>/dev/null |
		jq -r --arg i "$EFW_IF_EDGE_IN" 'first(.attachments[] | select(.interface == $i and .hook == "xdp") | .prog_id)'
}
tap_is "... the one on the hook, as recorded" "$(hook_prog)" "$(rec_prog)"
detach
tap_is "detach removes it" "$(hook_prog)" 0

# --- Generic XDP cannot read an offloaded tag: attach warns, naming the fix.
out=$(attach "$RULES" generic) || tap_bail "attach --mode generic" "$out"
tap_check "generic XDP with vlan: rules warns about rx VLAN offload, naming the fix" \
	grep -q "warning: $EFW_IF_EDGE_IN strips VLAN tags on receive.*ethtool -K $EFW_IF_EDGE_IN rxvlan off" <<<"$out"
tap_is "generic XDP loads the plain program" "$(prog_name)" edgefw_xdp
tap_is "generic XDP, tag beside the frame: seen as untagged (what the warning says)" "$(sent_as)" "0 $COUNT"
txvlan off
tap_is "generic XDP, tag in the frame: every datagram matches vlan: $VID" "$(sent_as)" "$COUNT 0"
txvlan on
rc=0
out=$(efw_edgefw --instance "$INST" reload "$RULES_NOVLAN" 2>&1) || rc=$?
tap_is "reload to a ruleset without vlan: rules exits 0" "$rc" 0
tap_check "... and does not warn" no_warning "$out"
rc=0
out=$(efw_edgefw --instance "$INST" reload "$RULES" 2>&1) || rc=$?
tap_is "reload back to vlan: rules exits 0" "$rc" 0
tap_check "... and warns again" grep -q "strips VLAN tags" <<<"$out"
detach
tap_check "detach removed the pins" test ! -e "$EFW_PIN_ROOT/$INST"

tap_done
