#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefwd dies (kill -9) and a new one adopts what it left: the daemon
# attaches XDP to the edge's client-facing link with a config that drops a
# blocked flow ($EFW_CLIENT4_BAD -> server port 7001) and passes an allowed
# one ($EFW_CLIENT4 -> server port 7000); both flows run at a steady rate for
# the whole test. After kill -9 the program stays attached and keeps
# dropping; a new daemon on the same config adopts the pins: the same XDP
# program id before and after (no detach, no reattach), and says so in its
# log. A restart on a config that no longer compiles is refused (exit 1,
# FILE:LINE:COL error) and leaves the rules in force. Across everything the
# server receives not one blocked packet and every allowed one.
# shellcheck disable=SC2119 # helpers with an optional argument
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs tools

PPS=${EFW_RESTART_PPS:-2000}
PORT_OK=7000
PORT_BAD=7001
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
IN=$EFW_IF_EDGE_IN
CONF=$EFW_TMP/edgefwd.yaml

write_conf() {
	efw_daemon_config "$CONF" <<EOF
defaults:
  xdp: pass
  non-ip: pass
rules:
  - name: drop-blocked
    src: $EFW_CLIENT4_BAD/32
    action: drop
  - name: pass-allowed
    src: $EFW_CLIENT4/32
    proto: udp
    dport: $PORT_OK
    action: pass
EOF
}
write_conf

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
mac_s=$(in_ns "$S" ip -br link show dev "$EFW_IF_SERVER" | awk '{ print $3 }')
tap_check "static neighbours, no IPv6 on the client link" eval "
	efw_static_neigh &&
	in_ns $E ip neigh replace $EFW_SERVER4 lladdr $mac_s dev $EFW_IF_EDGE_OUT nud permanent"

# prog_id IF from status --json, or "missing".
status_prog() {
	jq -r --arg i "$IN" 'first(.attachments[]? | select(.interface == $i and .hook == "xdp" and .attached) | .prog_id) // "missing"' \
		<<<"$(efw_status_json)" 2>/dev/null || echo invalid-json
}
# "<status prog id> <ip link prog id>"
prog_ids() { echo "$(status_prog) $(efw_xdp_prog_id "$IN")"; }
delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($2 - $1)); else echo "n/a ($1 -> $2)"; fi
}
blocked_count() { efw_rule_counter "$(efw_stats_json)" drop-blocked; }

# --- 1. The first daemon.
if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started and answers on its control socket"
else
	rc=$?
	efw_daemon_diag
	tap_bail "edgefwd started (exit ${EFW_DAEMON_RC:-none}, start rc $rc)"
fi
ERR1=$EFW_DAEMON_ERR
ids0=$(prog_ids)
id0=${ids0%% *}
if [[ $id0 =~ ^[0-9]+$ && $ids0 == "$id0 $id0" ]]; then
	tap_ok "XDP program $id0 on $IN (status --json and ip link agree)"
else
	tap_bail "an XDP program on $IN (status --json and ip link agree)" "got: $ids0"
fi

efw_sink_start "$S" "$EFW_SERVER4" "$PORT_OK" || tap_bail "udpsink on $EFW_SERVER4:$PORT_OK"
efw_sink_start "$S" "$EFW_SERVER4" "$PORT_BAD" || tap_bail "udpsink on $EFW_SERVER4:$PORT_BAD"
efw_flood_start "$C" ok "$EFW_CLIENT4" "$EFW_SERVER4" "$PORT_OK" "$PPS" 100
efw_flood_start "$C" bad "$EFW_CLIENT4_BAD" "$EFW_SERVER4" "$PORT_BAD" "$PPS" 100
sleep 1

# --- 2. kill -9: the program stays and keeps dropping.
efw_daemon_kill9 || true
tap_is "kill -9 ends the daemon" "$EFW_DAEMON_RC" 137
tap_is "after kill -9: the same program still attached (status, ip link)" "$(prog_ids)" "$id0 $id0"
b0=$(blocked_count)
sleep 1
b1=$(blocked_count)
d=$(delta "$b0" "$b1")
if [[ $d =~ ^[0-9]+$ && $d -ge $((PPS / 2)) ]]; then
	tap_ok "without a daemon drop-blocked still counts the blocked flow (+$d in 1 s)"
else
	tap_fail "without a daemon drop-blocked still counts the blocked flow" "delta over 1 s: $d"
fi

# --- 3. A new daemon adopts: same program id, logged.
if efw_daemon_start "$CONF"; then
	tap_ok "a new edgefwd on the same config starts"
else
	rc=$?
	efw_daemon_diag
	tap_fail "a new edgefwd on the same config starts (exit ${EFW_DAEMON_RC:-none}, start rc $rc)"
fi
ERR2=$EFW_DAEMON_ERR
tap_is "the new daemon adopted: same XDP program id (no detach, no reattach)" "$(prog_ids)" "$id0 $id0"
if grep -qiE 'adopt' "$ERR2"; then
	tap_ok "the new daemon logs the adoption"
	tap_diag "$(grep -iE 'adopt' "$ERR2" | head -n 3)"
else
	tap_fail "the new daemon logs the adoption (a line with 'adopt')" "$(cat "$ERR2")"
fi
if grep -qiE 'detached from|detaching' "$ERR2"; then
	tap_fail "the adopting daemon detached nothing" "$(grep -iE 'detached from|detaching' "$ERR2")"
else
	tap_ok "the adopting daemon detached nothing"
fi
tap_is "status --json: $IN xdp attached" "$(efw_attached_list "$(efw_status_json)")" "[\"$IN xdp\"]"
b2=$(blocked_count)
sleep 0.5
d=$(delta "$b2" "$(blocked_count)")
if [[ $d =~ ^[0-9]+$ && $d -gt 0 ]]; then
	tap_ok "drop-blocked keeps counting under the new daemon (+$d in 0.5 s)"
else
	tap_fail "drop-blocked keeps counting under the new daemon" "delta: $d"
fi

# --- 4. kill -9 again, then a restart on a broken config is refused.
efw_daemon_kill9 || true
hash0=$(jq -r '.ruleset_hash // "?"' <<<"$(efw_status_json)" 2>/dev/null)
cp "$CONF" "$CONF.good"
# A prefix length past 32 in drop-blocked's src.
sed -i "s|src: $EFW_CLIENT4_BAD/32|src: $EFW_CLIENT4_BAD/33|" "$CONF"
bad_line=$(grep -n "/33" "$CONF" | cut -d: -f1)
rc=0
efw_daemon_start "$CONF" || rc=$?
ERR3=$EFW_DAEMON_ERR
if [[ $rc -eq 1 ]]; then
	tap_is "edgefwd on a broken config exits 1" "$EFW_DAEMON_RC" 1
else
	tap_fail "edgefwd on a broken config exits 1" "start rc $rc (0: it started; 2: still running)"
	efw_daemon_stop KILL 5 || true
fi
bad_col=$(awk -v l="$bad_line" 'NR == l { print index($0, "src: ") + 5 }' "$CONF")
# The position of the bad value, in the compiler's form (as edgefw check):
# "FILE:LINE:COL: error: ...".
if grep -qF "$CONF:$bad_line:$bad_col: error: " "$ERR3"; then
	tap_ok "the error is reported as $CONF:$bad_line:$bad_col: error: ..."
	tap_diag "$(grep -F "$CONF:$bad_line:" "$ERR3")"
else
	tap_fail "the error is reported as $CONF:$bad_line:$bad_col: error: ..." "$(cat "$ERR3")"
fi
tap_is "the refused start left the program in place" "$(prog_ids)" "$id0 $id0"
tap_is "the refused start left the ruleset in force (same hash)" \
	"$(jq -r '.ruleset_hash // "?"' <<<"$(efw_status_json)" 2>/dev/null)" "$hash0"
b3=$(blocked_count)
sleep 0.5
d=$(delta "$b3" "$(blocked_count)")
if [[ $d =~ ^[0-9]+$ && $d -gt 0 ]]; then
	tap_ok "after the refused start drop-blocked still counts (+$d in 0.5 s)"
else
	tap_fail "after the refused start drop-blocked still counts" "delta: $d"
fi

# --- 5. The good config back: a third daemon adopts again.
mv -f "$CONF.good" "$CONF"
if efw_daemon_start "$CONF"; then
	tap_ok "a third edgefwd on the repaired config starts"
else
	rc=$?
	efw_daemon_diag
	tap_fail "a third edgefwd on the repaired config starts (exit ${EFW_DAEMON_RC:-none}, start rc $rc)"
fi
tap_is "the third daemon adopted the same program" "$(prog_ids)" "$id0 $id0"
sleep 0.5

# --- 6. The totals.
ok_alive=no bad_alive=no
efw_flood_alive ok && ok_alive=yes
efw_flood_alive bad && bad_alive=yes
tap_is "both floods ran through the whole test" "$ok_alive $bad_alive" "yes yes"
sent_ok=$(efw_flood_stop ok)
sent_bad=$(efw_flood_stop bad)
sleep 0.5
efw_sink_stop "$PORT_OK"
efw_sink_stop "$PORT_BAD"
s_end=$(efw_stats_json)
recv_ok=$(efw_sink_field "$PORT_OK" received)
recv_bad=$(efw_sink_field "$PORT_BAD" received)
tap_diag "allowed: sent $sent_ok received $recv_ok (overflow $(efw_sink_field "$PORT_OK" overflow));" \
	"blocked: sent $sent_bad received $recv_bad; drop-blocked $(efw_rule_counter "$s_end" drop-blocked)," \
	"pass-allowed $(efw_rule_counter "$s_end" pass-allowed)"
tap_is "the server received 0 blocked packets during the whole run" "$recv_bad" 0
if [[ $sent_ok =~ ^[0-9]+$ && $sent_ok -gt 0 ]]; then
	tap_is "every allowed packet arrived (sent = received)" "$recv_ok" "$sent_ok"
else
	tap_fail "every allowed packet arrived" "sent: $sent_ok" "$(cat "$EFW_TMP/flood-ok.out.err")"
fi
tap_is "no socket overflow at the server" "$(efw_sink_field "$PORT_OK" overflow)" 0
tap_is "drop-blocked counted every blocked packet, across the three daemons" \
	"$(efw_rule_counter "$s_end" drop-blocked)" "$sent_bad"
tap_is "pass-allowed counted every allowed packet, across the three daemons" \
	"$(efw_rule_counter "$s_end" pass-allowed)" "$sent_ok"
for f in "$ERR1" "$ERR2" "$EFW_DAEMON_ERR"; do
	if grep -q 'error' "$f"; then
		tap_diag "errors in ${f##*/}:" "$(grep 'error' "$f" | head -n 5)"
	fi
done

efw_daemon_stop TERM || true
tap_is "SIGTERM stops the third daemon with exit 0" "$EFW_DAEMON_RC" 0
tap_is "on-exit keep: the program stays after SIGTERM" "$(prog_ids)" "$id0 $id0"
tap_done
