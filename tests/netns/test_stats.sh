#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Per-interface counters and `stats --watch`: XDP on the edge's
# client-facing link and tc-egress on its server-facing link, each with a
# row of its own; the XDP row counts exactly the blocked and allowed
# traffic sent; --watch prints rates as JSON lines while a flood runs,
# stops after --count refreshes or on a signal, and refuses bad intervals.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs

PINGS=4
UDPS=3
UDP_PORT=7002
# Whole Ethernet frames as XDP sees them (see test_e2e_drop.sh).
FRAME_ICMP4=$((14 + 20 + 8 + 56))
FRAME_UDP4=$((14 + 20 + 8 + 32))
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
INST=$EFW_INSTANCE
IN=$EFW_IF_EDGE_IN
OUT=$EFW_IF_EDGE_OUT

RULES=$EFW_TMP/rules.yaml
printf 'version: 1\nrules:\n  - name: drop-bad\n    src: %s/32\n    action: drop\n' \
	"$EFW_CLIENT4_BAD" >"$RULES"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

# Only the traffic sent may reach the edge's client-facing ingress: static
# neighbours on both ends (no ARP) and no IPv6 on the client (no ND, MLD,
# router solicitations), so the passed counter can be compared exactly.
mac() { in_ns "$1" ip -br link show dev "$2" | awk '{ print $3 }'; }
mac_in=$(mac "$E" "$IN")
mac_c=$(mac "$C" "$EFW_IF_CLIENT")
tap_check "static neighbours, no IPv6 on the client link" eval "
	in_ns $C ip neigh replace $EFW_EDGE_IN4 lladdr $mac_in dev $EFW_IF_CLIENT nud permanent &&
	in_ns $E ip neigh replace $EFW_CLIENT4 lladdr $mac_c dev $IN nud permanent &&
	in_ns $E ip neigh replace $EFW_CLIENT4_BAD lladdr $mac_c dev $IN nud permanent &&
	in_ns $C sysctl -qw net.ipv6.conf.$EFW_IF_CLIENT.disable_ipv6=1"

tap_check "attach $IN (xdp)" efw_edgefw --instance "$INST" attach "$IN" --rules "$RULES"
tap_bail_if_failed "cannot attach"
tap_check "attach $OUT --hook tc-egress" \
	efw_edgefw --instance "$INST" attach "$OUT" --rules "$RULES" --hook tc-egress

stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null; }
# iface JSON IF HOOK DECISION FIELD: one counter of an interface row.
iface() {
	jq -r --arg i "$2" --arg h "$3" --arg d "$4" --arg f "$5" \
		'first(.interfaces[]? | select(.interface == $i and .hook == $h) | .[$d][$f]) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($2 - $1)); else echo "n/a ($1 -> $2)"; fi
}
# counts JSON0 JSON1 IF HOOK DECISION: "packets bytes" added between reads.
counts() {
	echo "$(delta "$(iface "$1" "$3" "$4" "$5" packets)" "$(iface "$2" "$3" "$4" "$5" packets)")" \
		"$(delta "$(iface "$1" "$3" "$4" "$5" bytes)" "$(iface "$2" "$3" "$4" "$5" bytes)")"
}

s0=$(stats) || s0=none
# shellcheck disable=SC2016 # jq program
tap_check "stats --json: one row per attachment, old keys kept" jq -e --arg in "$IN" --arg out "$OUT" '
	(.interfaces | length) == 2
	and any(.interfaces[]; .interface == $in and .hook == "xdp")
	and any(.interfaces[]; .interface == $out and .hook == "tc-egress")
	and all(.interfaces[]; all(.passed, .dropped, .redirected;
		(.packets | type) == "number" and (.bytes | type) == "number"))
	and (.rules | type) == "array" and (.defaults | type) == "array"
	and (.reasons | type) == "object"' <<<"$s0"
tap_is "a new attachment's counters start at zero" \
	"$(iface "$s0" "$IN" xdp dropped packets) $(iface "$s0" "$OUT" tc-egress dropped packets)" "0 0"

# --- Traffic: blocked and allowed ICMP and UDP from the client.
got=$(send_ping "$C" "$EFW_CLIENT4" "$EFW_SERVER4" "$PINGS") || got=error
tap_is "allowed ping $EFW_CLIENT4 -> $EFW_SERVER4" "$got" "$PINGS"
got=$(send_ping "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4" "$PINGS") || got=error
tap_is "blocked ping $EFW_CLIENT4_BAD -> $EFW_SERVER4 gets no reply" "$got" 0
udp_ok=0
if udp_receiver_start "$EFW_NS_SERVER" "$EFW_SERVER4" "$UDP_PORT"; then
	send_udp "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4" "$UDP_PORT" "$UDPS" bad || true
	send_udp "$C" "$EFW_CLIENT4" "$EFW_SERVER4" "$UDP_PORT" "$UDPS" good || true
	udp_wait_received "$UDP_PORT" good "$UDPS" 3 || true
	tap_is "allowed UDP arrives, blocked UDP does not" \
		"$(udp_received "$UDP_PORT" good) $(udp_received "$UDP_PORT" bad)" "$UDPS 0"
	udp_ok=1
	udp_receiver_stop "$UDP_PORT"
else
	tap_fail "UDP receiver on $EFW_SERVER4:$UDP_PORT"
fi
u=$((udp_ok ? UDPS : 0))
want="$((PINGS + u)) $((PINGS * FRAME_ICMP4 + u * FRAME_UDP4))"

s1=$(stats) || s1=none
tap_is "$IN xdp dropped: $PINGS ICMP + $u UDP (packets, bytes of whole frames)" \
	"$(counts "$s0" "$s1" "$IN" xdp dropped)" "$want"
tap_is "$IN xdp passed: $PINGS ICMP + $u UDP (packets, bytes of whole frames)" \
	"$(counts "$s0" "$s1" "$IN" xdp passed)" "$want"
tap_is "$IN xdp redirected nothing" "$(iface "$s1" "$IN" xdp redirected packets)" 0
# tc-egress on the server side sees what XDP let through (and the edge's
# own ARP), never the blocked source.
got=$(delta "$(iface "$s0" "$OUT" tc-egress passed packets)" "$(iface "$s1" "$OUT" tc-egress passed packets)")
if [[ $got =~ ^[0-9]+$ && $got -ge $((PINGS + u)) ]]; then
	tap_ok "$OUT tc-egress passed the forwarded traffic ($got >= $((PINGS + u)))"
else
	tap_fail "$OUT tc-egress passed the forwarded traffic" "got: $got" "expected: >= $((PINGS + u))"
fi
tap_is "$OUT tc-egress dropped nothing" "$(iface "$s1" "$OUT" tc-egress dropped packets)" 0

table=$(efw_edgefw --instance "$INST" stats 2>&1) || table="failed: $table"
if grep -qE "^$IN +xdp +" <<<"$table" && grep -qE "^$OUT +tc-egress +" <<<"$table"; then
	tap_ok "the table has a row for $IN xdp and one for $OUT tc-egress"
else
	tap_fail "the table has a row for $IN xdp and one for $OUT tc-egress" "$table"
fi

# --- --watch: rates while a flood from the blocked source runs (bounded by
# timeout whatever happens to this script).
efw_bg_in_ns "$C" "$EFW_TMP/flood" timeout 5 ping -q -i 0.01 -I "$EFW_CLIENT4_BAD" "$EFW_SERVER4"
flood=$EFW_BG_PID
sleep 0.3
rc=0
efw_edgefw --instance "$INST" stats --watch 0.5 --count 3 --json >"$EFW_TMP/watch" 2>"$EFW_TMP/watch.err" || rc=$?
efw_stop_pid "$flood"
tap_is "stats --watch 0.5 --count 3 --json exits 0 after 3 lines" \
	"$rc $(wc -l <"$EFW_TMP/watch")" "0 3"
n=0
while IFS= read -r line; do
	# shellcheck disable=SC2016 # jq program
	jq -e --arg in "$IN" '
		.seconds > 0.3 and (.interfaces | length) == 2
		and first(.interfaces[] | select(.interface == $in and .hook == "xdp") | .dropped.packets_per_second) > 0
		and first(.rules[] | select(.name == "drop-bad") | .packets_per_second) > 0
		and (.reasons.default_pass | has("packets_per_second") and has("bytes_per_second"))' <<<"$line" >/dev/null 2>&1 &&
		n=$((n + 1))
done <"$EFW_TMP/watch"
if [[ $n -eq 3 ]]; then
	tap_ok "each line is JSON with a non-zero drop rate on $IN xdp and drop-bad"
else
	tap_fail "each line is JSON with a non-zero drop rate on $IN xdp and drop-bad" \
		"$n of 3 lines passed" "$(cat "$EFW_TMP/watch" "$EFW_TMP/watch.err")"
fi

# --- --watch stops cleanly on SIGINT and SIGTERM, after printing rates.
# shellcheck disable=SC2317 # called through efw_wait_for
refreshed() { grep -q '^INTERFACE' "$1"; }
for sig in INT TERM; do
	efw_bg_in_ns "$E" "$EFW_TMP/watch-$sig" "$EDGEFW" --instance "$INST" stats --watch 0.2
	pid=$EFW_BG_PID
	efw_wait_for 5 refreshed "$EFW_TMP/watch-$sig" || true
	kill "-$sig" "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	printed=no
	refreshed "$EFW_TMP/watch-$sig" && printed=yes
	tap_is "stats --watch 0.2 stops on SIG$sig (exit, printed rates)" "$rc $printed" "0 yes"
done

# --- Bad intervals.
for bad in 0 -1 abc; do
	rc=0
	out=$(efw_edgefw --instance "$INST" stats --watch "$bad" --count 1 2>&1) || rc=$?
	tap_is "stats --watch $bad exits 1" "$rc" 1
done
tap_check "the error says what --watch takes" grep -q -- "--watch takes a number of seconds" <<<"$out"

# --- Detach: the last one removes the pins.
tap_check "detach $IN" efw_edgefw --instance "$INST" detach "$IN"
tap_check "detach $OUT" efw_edgefw --instance "$INST" detach "$OUT"
tap_check "no pins left under $EFW_PIN_ROOT/$INST" test ! -e "$EFW_PIN_ROOT/$INST"

tap_done
