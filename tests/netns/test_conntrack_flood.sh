#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A SYN flood from spoofed sources against a service whose rule records new
# flows (`track: true`, the worst case: every SYN makes an entry), while
# the edge host's own TCP connection transfers: the connection must never
# stall, and neither connection table may hold more than its size.
#
# The flood: tests/tools/synflood writes whole frames to the edge's MAC on
# an AF_PACKET socket past the qdisc, 256 per sendmmsg (150,000 a second on
# the project machine with edgefw on the receiving veth; one sendto per SYN
# through the IP stack made ~39,000, which limited the test, not edgefw).
# `stats --watch --json` during the flood shows the table's rates and use.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
PY=/usr/bin/python3
HELPER=$EFW_REPO/tests/netns/ct_helper.py
SYNFLOOD=${SYNFLOOD:-$(dirname "$EDGEFW")/tests/tools/synflood}
[[ -x $SYNFLOOD ]] || tap_bail "synflood built" "$SYNFLOOD not found (make test-build)"

E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
OUT=$EFW_IF_EDGE_OUT
INST=$EFW_INSTANCE
FLOOD_SECS=${EFW_FLOOD_SECS:-8}
CT_SIZE=16384

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

cat >"$EFW_TMP/rules.yaml" <<EOF
version: 1
defaults: {xdp: drop, tc-ingress: drop, tc-egress: pass, non-ip: pass}
rules:
  - name: replies
    hooks: [xdp, tc-ingress]
    state: [established, related]
    action: pass
  - name: service
    hooks: [xdp, tc-ingress]
    proto: tcp
    dport: 2222
    state: new
    track: true
    action: pass
EOF
tap_check "attach $OUT (xdp, tc-egress) with a $CT_SIZE-flow table" \
	efw_edgefw --instance "$INST" attach "$OUT" --rules "$EFW_TMP/rules.yaml" \
	--hook xdp --hook tc-egress --conntrack-size "$CT_SIZE"
tap_bail_if_failed "cannot attach"

efw_bg_in_ns "$S" "$EFW_TMP/techo.out" socat TCP4-LISTEN:7200,reuseaddr,fork EXEC:cat
efw_wait_for 5 efw_listening "$S" t 7200 || tap_bail "TCP echo server" "$(cat "$EFW_TMP/techo.out.err")"
efw_bg_in_ns "$E" "$EFW_TMP/stream.out" $PY "$HELPER" tcp-stream "$EFW_EDGE_OUT4" "$EFW_SERVER4" 7200 \
	$((FLOOD_SECS + 8)) "$EFW_TMP/stream.count"
STREAM=$EFW_BG_PID
lines() { cat "$EFW_TMP/stream.count" 2>/dev/null || echo 0; }
grew() { local n; n=$(lines); [[ $n -gt $1 ]]; }
efw_wait_for 5 grew 10 || true
n0=$(lines)
tap_check "the edge's own connection transfers before the flood ($n0 lines)" test "$n0" -gt 10

mac=$(in_ns "$E" ip -j link show dev "$OUT" | jq -r '.[0].address')
st0=$(efw_edgefw --instance "$INST" stats --json 2>/dev/null) || st0='{}'
efw_bg_in_ns "$E" "$EFW_TMP/watch.out" "$EDGEFW" --instance "$INST" stats --json \
	--watch 1 --count $((FLOOD_SECS - 1))
WATCH=$EFW_BG_PID
sent=$(in_ns "$S" "$SYNFLOOD" --dst "$EFW_EDGE_OUT4" --port 2222 --seconds "$FLOOD_SECS" \
	--dev "$EFW_IF_SERVER" --dst-mac "$mac" 2>"$EFW_TMP/flood.err") || sent=0
n1=$(lines)
st1=$(efw_edgefw --instance "$INST" stats --json 2>/dev/null) || st1='{}'
wait "$WATCH" || true
created=$(($(jq -r '.conntrack.created // 0' <<<"$st1") - $(jq -r '.conntrack.created // 0' <<<"$st0")))
tap_diag "flood: $sent spoofed SYNs in $FLOOD_SECS s ($((sent / FLOOD_SECS)) per second), $created flows recorded ($((created / FLOOD_SECS)) per second)"
[[ -s $EFW_TMP/flood.err ]] && tap_diag "generator: $(head -c 300 "$EFW_TMP/flood.err")"
peak=$(jq -s 'map(.conntrack.flows_per_second.created) | max // 0' "$EFW_TMP/watch.out" 2>/dev/null) || peak=0
tap_diag "stats --watch: at most $peak flows created per second in a 1 s refresh"
# shellcheck disable=SC2016 # jq program
tap_check "stats --watch --json during the flood: flows created per second, entries within the sizes" jq -s -e \
	--argjson c "$CT_SIZE" 'length >= 2 and any(.[]; .conntrack.flows_per_second.created > 0)
	and all(.[]; .conntrack.flows <= $c and .conntrack.flows_unconfirmed <= $c / 4
		and .conntrack.capacity == $c)' "$EFW_TMP/watch.out"
tap_check "the flood reached the tracker: more flows recorded than the main table holds ($created)" \
	test "$created" -gt "$CT_SIZE"
tap_check "the connection kept transferring during the flood ($n0 -> $n1 lines)" test "$n1" -gt $((n0 + 10))
cnt=$(efw_edgefw --instance "$INST" conntrack count --json 2>/dev/null) || cnt='{}'
# shellcheck disable=SC2016 # jq program
tap_check "neither table holds more than its size" jq -e --argjson c "$CT_SIZE" '
	.capacity == $c and .unconfirmed_capacity == $c / 4
	and .confirmed <= .capacity and .unconfirmed <= .unconfirmed_capacity' <<<"$cnt"
lst=$(efw_edgefw --instance "$INST" conntrack list --json --port 7200 2>/dev/null) || lst='[]'
tap_check "the connection is still a confirmed, established flow" jq -e '
	length == 1 and .[0].confirmed and .[0].state == "established"' <<<"$lst"
rc=0
efw_wait_pid "$STREAM" 20 || true
wait "$STREAM" || rc=$?
tap_is "the connection never stalled 3 s (client exit status)" "$rc" 0
tap_done
