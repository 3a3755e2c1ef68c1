#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The attachment slots (kern/ifslot.h): interfaces whose indexes share an
# entry of the direct table (index modulo EDGEFW_IFSLOT_DIRECT, 16384)
# each count in their own row. Veth pairs with chosen indexes in the edge
# namespace, one XDP attachment each:
#   - A (index 20) takes the direct entry, B (16404 = 20 + 16384) collides
#     with it and goes to the hash, C (16384, a multiple: entry 0 is the
#     hash's count) always goes to the hash;
#   - every interface's dropped counter equals exactly the blocked pings
#     sent through it (a different number for each), so a packet counted
#     in another interface's row or in the spare row fails;
#   - A detached, B keeps counting (from the hash); D (32788 = 20 + 2 *
#     16384) attached then takes the free direct entry, B and D both count
#     right; B detached leaves the hash, attached again it goes back
#     there (D holds the entry);
#   - D detached, B detached and attached once more takes the free
#     direct entry, and counts right.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
command -v bpftool >/dev/null || tap_bail "bpftool installed" "bpftool not found"

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
INST=$EFW_INSTANCE
# Name suffix and index of each edge interface.
declare -A IDX=([a]=20 [b]=16404 [c]=16384 [d]=32788)
# Subnet (10.77.N.0/24) of each pair; the client's end sends from .2.
declare -A NET=([a]=1 [b]=2 [c]=3 [d]=4)

RULES=$EFW_TMP/rules.yaml
printf 'version: 1\nrules:\n  - name: drop-clients\n    src: 10.77.0.0/16\n    action: drop\n' \
	>"$RULES"

ifname() { echo "efw${EFW_ID}$1"; }
peername() { echo "efw${EFW_ID}p$1"; }

# pair X: the edge end with its chosen index, the peer in the client
# namespace, addresses, no IPv6 on the client's end.
pair() {
	local e p n=${NET[$1]}
	e=$(ifname "$1")
	p=$(peername "$1")
	in_ns "$E" ip link add name "$e" index "${IDX[$1]}" type veth peer name "$p" netns "$C" &&
		in_ns "$E" ip addr add "10.77.$n.1/24" dev "$e" &&
		in_ns "$C" sysctl -qw "net.ipv6.conf.$p.disable_ipv6=1" &&
		in_ns "$C" ip addr add "10.77.$n.2/24" dev "$p" &&
		in_ns "$E" ip link set "$e" up && in_ns "$C" ip link set "$p" up &&
		efw_wait_for 3 efw_link_is_up "$E" "$e"
}

for ns in "$C" "$E"; do
	ip netns add "$ns" || tap_bail "namespace $ns"
	in_ns "$ns" ip link set lo up
done
for x in a b c; do
	pair "$x" || tap_bail "veth $(ifname "$x") with index ${IDX[$x]}"
done
got=$(in_ns "$E" cat "/sys/class/net/$(ifname b)/ifindex" 2>/dev/null ||
	in_ns "$E" ip -o link show dev "$(ifname b)" | cut -d: -f1)
tap_is "an interface made with index ${IDX[b]} has it" "$got" "${IDX[b]}"

stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null || echo '{}'; }
# dropped JSON X: the dropped packets of X's xdp row.
dropped() {
	jq -r --arg i "$(ifname "$2")" \
		'first(.interfaces[]? | select(.interface == $i and .hook == "xdp") | .dropped.packets) // "missing"' \
		<<<"$1" 2>/dev/null || echo invalid-json
}
# blocked X K: K pings through X, none answered.
blocked() {
	local got
	got=$(send_ping "$C" "10.77.${NET[$1]}.2" "10.77.${NET[$1]}.1" "$2") || got=error
	[[ $got == 0 ]] || efw_log "ping through $(ifname "$1"): $got answered"
}
# sends_count "X:K ...": K blocked pings through each X, then each X's
# dropped counter grew by exactly its K.
sends_count() {
	local s0 s1 xk x k want="" have=""
	s0=$(stats)
	for xk in $1; do
		blocked "${xk%%:*}" "${xk#*:}"
	done
	s1=$(stats)
	for xk in $1; do
		x=${xk%%:*} k=${xk#*:}
		want+="$x:$k "
		if [[ $(dropped "$s0" "$x") =~ ^[0-9]+$ && $(dropped "$s1" "$x") =~ ^[0-9]+$ ]]; then
			have+="$x:$(($(dropped "$s1" "$x") - $(dropped "$s0" "$x"))) "
		else
			have+="$x:$(dropped "$s1" "$x") "
		fi
	done
	tap_is "$2" "$have" "$want"
}
hash_entries() {
	bpftool -j map dump pinned "$EFW_PIN_ROOT/$INST/ifslot_hash" 2>/dev/null | jq length 2>/dev/null ||
		echo unreadable
}

tap_check "attach $(ifname a) (index ${IDX[a]})" \
	efw_edgefw --instance "$INST" attach "$(ifname a)" --rules "$RULES"
tap_bail_if_failed "cannot attach"
for x in b c; do
	tap_check "attach $(ifname $x) (index ${IDX[$x]})" \
		efw_edgefw --instance "$INST" attach "$(ifname $x)" --rules "$RULES"
done
tap_is "the colliding index and the multiple of 16384 are in the hash" "$(hash_entries)" 2
sends_count "a:1 b:2 c:3" \
	"each interface counts its own drops: direct ${IDX[a]}, colliding ${IDX[b]}, multiple ${IDX[c]}"

tap_check "detach $(ifname a)" efw_edgefw --instance "$INST" detach "$(ifname a)"
sends_count "b:2 c:1" "the colliding interface counts from the hash with the direct entry free"

pair d || tap_fail "veth $(ifname d) with index ${IDX[d]}"
tap_check "attach $(ifname d) (index ${IDX[d]}): takes the free direct entry" \
	efw_edgefw --instance "$INST" attach "$(ifname d)" --rules "$RULES"
tap_is "the hash holds the other two still" "$(hash_entries)" 2
sends_count "b:1 c:2 d:3" "a newcomer in the freed entry and the hashed ones count apart"

tap_check "detach $(ifname b)" efw_edgefw --instance "$INST" detach "$(ifname b)"
tap_is "a detached hashed interface leaves the hash" "$(hash_entries)" 1
tap_check "attach $(ifname b) again" \
	efw_edgefw --instance "$INST" attach "$(ifname b)" --rules "$RULES"
sends_count "b:3 c:1 d:2" "attached again, each still counts in its own row"

tap_check "detach $(ifname d)" efw_edgefw --instance "$INST" detach "$(ifname d)"
tap_check "detach $(ifname b)" efw_edgefw --instance "$INST" detach "$(ifname b)"
tap_check "attach $(ifname b) once more" \
	efw_edgefw --instance "$INST" attach "$(ifname b)" --rules "$RULES"
tap_is "it took the free direct entry: only the multiple is hashed" "$(hash_entries)" 1
sends_count "b:2 c:1" "direct now, it counts in its own row still"

for x in b c; do
	tap_check "detach $(ifname $x)" efw_edgefw --instance "$INST" detach "$(ifname $x)"
done
tap_check "no pins left under $EFW_PIN_ROOT/$INST" test ! -e "$EFW_PIN_ROOT/$INST"

tap_done
