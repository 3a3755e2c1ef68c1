#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# End to end: edgefw attached (XDP) on the edge host's client-facing link
# with rules/demo.yaml. Traffic from the blocked sources must not get
# through, the allowed one must, and the per-rule counters must match what
# was sent exactly. Then detach must restore connectivity and remove pins.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs

PINGS=5
UDPS=5
SINK_PINGS=3
# Full Ethernet frames as XDP sees them: ping's default 56-byte payload
# + ICMP 8 + IP header + Ethernet 14; send_udp's 32-byte payload + UDP 8.
FRAME_ICMP4=$((14 + 20 + 8 + 56))
FRAME_ICMP6=$((14 + 40 + 8 + 56))
FRAME_UDP4=$((14 + 20 + 8 + 32))
UDP_PORT=7001
C=$EFW_NS_CLIENT
INST=$EFW_INSTANCE

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

# --- Without the firewall the blocked sources get through and the sinkhole
# answers "unreachable": the checks below then prove edgefw made the change.
got=$(send_ping "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 1) || got=error
tap_is "without edgefw: $EFW_CLIENT4_BAD reaches $EFW_SERVER4" "$got" 1
tap_bail_if_failed "the topology does not forward IPv4"
got=$(send_ping "$C" "$EFW_CLIENT6_BAD" "$EFW_SERVER6" 1) || got=error
tap_is "without edgefw: $EFW_CLIENT6_BAD reaches $EFW_SERVER6" "$got" 1
tap_bail_if_failed "the topology does not forward IPv6"
unreach0=$(efw_snmp "$C" snmp Icmp InDestUnreachs)
send_ping "$C" "$EFW_CLIENT4" "$EFW_SINKHOLE4" 1 >/dev/null || true
unreach1=$(efw_snmp "$C" snmp Icmp InDestUnreachs)
tap_check "without edgefw: $EFW_SINKHOLE4 gets ICMP unreachable from the edge" \
	test $((unreach1 - unreach0)) -ge 1

# --- Bad input: an interface that does not exist.
bad_if=efw${EFW_ID}no
EFW_INSTANCES+=("$INST-x")
rc=0
out=$(efw_edgefw --instance "$INST-x" attach "$bad_if" --rules "$EFW_RULES_DEMO" 2>&1) || rc=$?
if [[ $rc -eq 1 || $rc -eq 2 ]]; then
	tap_ok "attach to missing interface $bad_if fails (exit $rc)"
else
	tap_fail "attach to missing interface $bad_if fails with exit 1 or 2" "exit $rc" "$out"
fi
if grep -qF -- "$bad_if" <<<"$out"; then
	tap_ok "attach failure message names $bad_if"
else
	tap_fail "attach failure message names $bad_if" "output: $out"
fi
tap_check "failed attach leaves no pins" test ! -e "$EFW_PIN_ROOT/$INST-x"

# ip link shows "xdp", "xdpgeneric", ... after the MTU while a program is on.
# shellcheck disable=SC2317 # called through tap_check
xdp_attached() {
	in_ns "$EFW_NS_EDGE" ip -o link show dev "$EFW_IF_EDGE_IN" | grep -qE ' xdp(generic|drv|offload)? '
}

# --- Attach.
if ! out=$(efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$EFW_RULES_DEMO" 2>&1); then
	tap_bail "attach $EFW_IF_EDGE_IN --rules rules/demo.yaml" "$out"
fi
tap_ok "attach $EFW_IF_EDGE_IN --rules rules/demo.yaml"
tap_check "XDP program on $EFW_IF_EDGE_IN" xdp_attached
tap_check "pins under $EFW_PIN_ROOT/$INST" test -d "$EFW_PIN_ROOT/$INST"

# JSON on stdout only: a note on stderr must not break parsing.
stats() {
	local out
	out=$(efw_edgefw --instance "$INST" stats --json 2>"$EFW_TMP/stats.err") ||
		{ cat "$EFW_TMP/stats.err"; return 1; }
	printf '%s\n' "$out"
}
# counter JSON RULE FIELD: a rule's counter, or "missing".
counter() {
	jq -r --arg n "$2" --arg f "$3" \
		'first(.rules[]? | select(.name == $n) | .[$f]) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
default_pass() {
	jq -r 'first(.defaults[]? | select(.hook == "xdp") | .packets) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
# delta OLD NEW: NEW - OLD when both are counters.
delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($2 - $1)); else echo "n/a ($1 -> $2)"; fi
}

s0=$(stats) || tap_fail "stats --json" "$s0"
# shellcheck disable=SC2016 # jq program
tap_check "stats --json has the documented shape" jq -e --arg i "$INST" '
	.instance == $i
	and ([.rules[].name] | sort) == ["drop-bad-v4", "drop-bad-v6", "drop-to-sinkhole"]
	and all(.rules[]; .action == "drop" and (.packets | type) == "number" and (.bytes | type) == "number")
	and any(.defaults[]; .hook == "xdp" and .action == "pass")
	and (.reasons | keys | sort) == (["default_pass", "default_drop", "non_ip", "nd",
		"malformed_l2", "malformed_l3", "malformed_ext", "malformed_l4", "ext_overflow",
		"fragment_policy", "no_ruleset", "redirect_fail", "encap_overflow",
		"read_fail"] | sort)' <<<"$s0"
tap_is "counters start at zero" \
	"$(counter "$s0" drop-bad-v4 packets) $(counter "$s0" drop-bad-v6 packets) $(counter "$s0" drop-to-sinkhole packets)" \
	"0 0 0"

# --- ICMP, both families.
got=$(send_ping "$C" "$EFW_CLIENT4" "$EFW_SERVER4" "$PINGS") || got=error
tap_is "allowed ping $EFW_CLIENT4 -> $EFW_SERVER4" "$got" "$PINGS"
got=$(send_ping "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4" "$PINGS") || got=error
tap_is "blocked ping $EFW_CLIENT4_BAD -> $EFW_SERVER4 gets no reply" "$got" 0
got=$(send_ping "$C" "$EFW_CLIENT6" "$EFW_SERVER6" "$PINGS") || got=error
tap_is "allowed ping $EFW_CLIENT6 -> $EFW_SERVER6" "$got" "$PINGS"
got=$(send_ping "$C" "$EFW_CLIENT6_BAD" "$EFW_SERVER6" "$PINGS") || got=error
tap_is "blocked ping $EFW_CLIENT6_BAD -> $EFW_SERVER6 gets no reply" "$got" 0

# --- UDP. The blocked datagrams are followed by an allowed marker on the
# same path: once the marker is in, a blocked datagram that got through
# would be in too, so no fixed wait is needed.
udp_ok=0
if udp_receiver_start "$EFW_NS_SERVER" "$EFW_SERVER4" "$UDP_PORT"; then
	udp_ok=1
	send_udp "$C" "$EFW_CLIENT4" "$EFW_SERVER4" "$UDP_PORT" "$UDPS" good || true
	udp_wait_received "$UDP_PORT" good "$UDPS" 3 || true
	tap_is "allowed UDP $EFW_CLIENT4 -> $EFW_SERVER4:$UDP_PORT arrives" \
		"$(udp_received "$UDP_PORT" good)" "$UDPS"
	bad_sent=0
	send_udp "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4" "$UDP_PORT" "$UDPS" bad 2>/dev/null || bad_sent=1
	send_udp "$C" "$EFW_CLIENT4" "$EFW_SERVER4" "$UDP_PORT" 1 marker || true
	if [[ $bad_sent -ne 0 ]]; then
		tap_fail "blocked UDP $EFW_CLIENT4_BAD -> $EFW_SERVER4:$UDP_PORT does not arrive" \
			"socat could not send from $EFW_CLIENT4_BAD"
	elif udp_wait_received "$UDP_PORT" marker 1 3; then
		tap_is "blocked UDP $EFW_CLIENT4_BAD -> $EFW_SERVER4:$UDP_PORT does not arrive" \
			"$(udp_received "$UDP_PORT" bad)" 0
	else
		tap_fail "blocked UDP $EFW_CLIENT4_BAD -> $EFW_SERVER4:$UDP_PORT does not arrive" \
			"the allowed marker datagram sent after them did not arrive either"
	fi
	udp_receiver_stop "$UDP_PORT"
else
	tap_fail "UDP receiver on $EFW_SERVER4:$UDP_PORT"
fi

# --- Counters: exactly what the blocked sources sent (ARP and neighbour
# discovery are passed by policy and never counted against a rule).
s1=$(stats) || tap_fail "stats --json" "$s1"
v4_udp=$((udp_ok ? UDPS : 0))
tap_is "drop-bad-v4 packets = $PINGS ICMP + $v4_udp UDP" \
	"$(delta "$(counter "$s0" drop-bad-v4 packets)" "$(counter "$s1" drop-bad-v4 packets)")" \
	$((PINGS + v4_udp))
tap_is "drop-bad-v4 bytes = whole frames ($PINGS x $FRAME_ICMP4 + $v4_udp x $FRAME_UDP4)" \
	"$(delta "$(counter "$s0" drop-bad-v4 bytes)" "$(counter "$s1" drop-bad-v4 bytes)")" \
	$((PINGS * FRAME_ICMP4 + v4_udp * FRAME_UDP4))
tap_is "drop-bad-v6 packets = $PINGS echo requests" \
	"$(delta "$(counter "$s0" drop-bad-v6 packets)" "$(counter "$s1" drop-bad-v6 packets)")" "$PINGS"
tap_is "drop-bad-v6 bytes = $PINGS x $FRAME_ICMP6" \
	"$(delta "$(counter "$s0" drop-bad-v6 bytes)" "$(counter "$s1" drop-bad-v6 bytes)")" \
	$((PINGS * FRAME_ICMP6))
allowed=$((2 * PINGS + v4_udp + v4_udp / UDPS))
got=$(delta "$(default_pass "$s0")" "$(default_pass "$s1")")
if [[ $got =~ ^[0-9]+$ && $got -ge $allowed ]]; then
	tap_ok "xdp default pass counted the allowed traffic ($got >= $allowed)"
else
	tap_fail "xdp default pass counted the allowed traffic" "got: $got" "expected: >= $allowed"
fi

# --- Sinkhole: dropped silently, no ICMP unreachable from the edge.
unreach0=$(efw_snmp "$C" snmp Icmp InDestUnreachs)
got=$(send_ping "$C" "$EFW_CLIENT4" "$EFW_SINKHOLE4" "$SINK_PINGS") || got=error
unreach1=$(efw_snmp "$C" snmp Icmp InDestUnreachs)
tap_is "ping to sinkhole $EFW_SINKHOLE4 is dropped silently (replies, unreachables)" \
	"$got $((unreach1 - unreach0))" "0 0"
s2=$(stats) || tap_fail "stats --json" "$s2"
tap_is "drop-to-sinkhole packets, bytes" \
	"$(delta "$(counter "$s1" drop-to-sinkhole packets)" "$(counter "$s2" drop-to-sinkhole packets)") $(delta "$(counter "$s1" drop-to-sinkhole bytes)" "$(counter "$s2" drop-to-sinkhole bytes)")" \
	"$SINK_PINGS $((SINK_PINGS * FRAME_ICMP4))"

# --- TCP. The blocked SYN and its retries are counted by the client's
# kernel (OutSegs + RetransSegs), so the rule counter can be compared
# exactly even though the number of retries depends on timing.
tap_check "allowed TCP $EFW_CLIENT4 -> $EFW_SERVER4:8080" \
	tcp_transfer "$C" "$EFW_CLIENT4" "$EFW_SERVER4" 8080
tap_check "allowed TCP $EFW_CLIENT6 -> [$EFW_SERVER6]:8080" \
	tcp_transfer "$C" "$EFW_CLIENT6" "$EFW_SERVER6" 8080

# shellcheck disable=SC2317 # called through efw_wait_for
client_tcp_idle() { [[ -z $(in_ns "$C" ss -Htan state connected exclude time-wait) ]]; }

# blocked_tcp SRC DST RULE: the connection fails and RULE counted every
# segment the client sent meanwhile.
blocked_tcp() {
	local src=$1 dst=$2 rule=$3 before after segs0 segs1 d rc
	# Closing handshakes of the allowed connections must not fall into the window.
	efw_wait_for 3 client_tcp_idle || true
	before=$(stats) || true
	segs0=$(efw_client_tcp_segs)
	rc=0
	tcp_transfer "$C" "$src" "$dst" 8081 2>/dev/null || rc=$?
	case $rc in
	0) tap_fail "blocked TCP $src -> $dst:8081 fails" "the data arrived" ;;
	1) tap_ok "blocked TCP $src -> $dst:8081 fails" ;;
	*) tap_fail "blocked TCP $src -> $dst:8081 fails" "the TCP listener did not start" ;;
	esac
	segs1=$(efw_client_tcp_segs)
	after=$(stats) || true
	d=$(delta "$(counter "$before" "$rule" packets)" "$(counter "$after" "$rule" packets)")
	if [[ $((segs1 - segs0)) -ge 1 && $d == $((segs1 - segs0)) ]]; then
		tap_ok "$rule counted each of the $d SYNs"
	else
		tap_fail "$rule counted each SYN" "rule delta: $d" "segments the client sent: $((segs1 - segs0))"
	fi
}
blocked_tcp "$EFW_CLIENT4_BAD" "$EFW_SERVER4" drop-bad-v4
blocked_tcp "$EFW_CLIENT6_BAD" "$EFW_SERVER6" drop-bad-v6

# --- Detach.
tap_check "detach $EFW_IF_EDGE_IN" efw_edgefw --instance "$INST" detach "$EFW_IF_EDGE_IN"
tap_check "no XDP program left on $EFW_IF_EDGE_IN" eval '! xdp_attached'
tap_check "no pins left under $EFW_PIN_ROOT/$INST" test ! -e "$EFW_PIN_ROOT/$INST"
got=$(send_ping "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 3) || got=error
tap_is "after detach $EFW_CLIENT4_BAD reaches $EFW_SERVER4" "$got" 3
got=$(send_ping "$C" "$EFW_CLIENT6_BAD" "$EFW_SERVER6" 3) || got=error
tap_is "after detach $EFW_CLIENT6_BAD reaches $EFW_SERVER6" "$got" 3

tap_done
