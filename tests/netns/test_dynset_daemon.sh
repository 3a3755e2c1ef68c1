#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Dynamic sets under edgefwd (issue 16): `edgefw set` goes through the
# daemon owning the instance (which logs who asked), an entry drops a
# running flow within 100 ms, and the entries stay in force across a
# daemon reload, a daemon stop (on-exit: keep) while nothing runs, and the
# next daemon's start; `set del` through the new daemon lets the flow pass.
# A daemon that no longer answers refuses changes unless --force.
# shellcheck disable=SC2119
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
efw_daemon_prereqs tools

C=$EFW_NS_CLIENT
S=$EFW_NS_SERVER
CONF=$EFW_TMP/edgefwd.yaml
A=$EFW_CLIENT4

DROPLOG=$EFW_TMP/drops.log
write_conf() { # [extra rule text]
	efw_daemon_config "$CONF" --drop-log "$DROPLOG" <<EOF
defaults: {xdp: pass, non-ip: pass}
sets:
  ban: {dynamic: true, timeout: 10m, size: 1000}
rules:
  - name: drop-banned
    src: \$ban
    action: drop
    log: true
${1:-}
EOF
}
write_conf

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "static neighbours" efw_static_neigh
if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started"
else
	efw_daemon_diag
	tap_bail "edgefwd started"
fi

udp_in() { efw_snmp "$S" snmp Udp InDatagrams; }
# delivered_in SECONDS: datagrams delivered during that time, starting 100 ms from now.
delivered_in() {
	local a b
	sleep 0.1
	a=$(udp_in)
	sleep "$1"
	b=$(udp_in)
	echo $((b - a))
}
efw_bg_in_ns "$S" "$EFW_TMP/sink" "$UDPSINK" --port 7000 --seconds 60
efw_bg_in_ns "$C" "$EFW_TMP/flood" "$UDPFLOOD" --src "$A" --dst "$EFW_SERVER4" --port 7000 --pps 500 --seconds 58
sleep 1
tap_check "the flow is delivered before any ban" test "$(delivered_in 1)" -gt 250

out=$(efw_edgefw --instance "$EFW_INSTANCE" set add ban "$A" --timeout 1h 2>&1) && rc=0 || rc=$?
tap_is "set add through edgefwd exits 0 ($out)" "$rc" 0
tap_check "edgefwd logged the request with the peer" \
	efw_daemon_wait_log "control socket: set-add ban \\(1 entries\\) for pid [0-9]+ uid 0" 3
tap_is "from 100 ms after set add, nothing of the flow is delivered" "$(delivered_in 1)" 0
# The drop log names the dynamic set that decided (issue 16).
tap_check "the drop log names the set: \"sets\":[{\"set\":\"ban\",\"field\":\"src\",\"in\":true}]" \
	grep -q '"rule":"drop-banned".*"sets":\[{"set":"ban","field":"src","in":true}\]' "$DROPLOG"

write_conf "  - name: extra
    proto: tcp
    dport: 9
    action: drop"
out=$(efw_daemon_reload 2>&1) && rc=0 || rc=$?
tap_is "a daemon reload keeping the set succeeds" "$rc" 0
tap_is "the entry stays in force across the reload" "$(delivered_in 1)" 0

efw_daemon_stop TERM
tap_is "edgefwd stopped (on-exit keep)" "${EFW_DAEMON_RC:-}" 0
tap_is "with no daemon running the entry stays in force" "$(delivered_in 1)" 0
if efw_daemon_start "$CONF"; then
	tap_ok "a new edgefwd started on the pins"
else
	efw_daemon_diag
	tap_bail "a new edgefwd started"
fi
tap_is "the entry stays in force across the restart" "$(delivered_in 1)" 0
out=$(efw_edgefw --instance "$EFW_INSTANCE" set list ban --json 2>/dev/null) || true
tap_check "set list shows the entry with the time it has left (under 1 h)" \
	jq -e --arg a "$A/32" '.list | any(.prefix == $a and .expires_in_ms > 3500000 and .expires_in_ms <= 3600000)' <<<"$out"

efw_daemon_signal STOP
out=$(efw_edgefw --instance "$EFW_INSTANCE" set del ban "$A" 2>&1) && rc=0 || rc=$?
tap_check "a daemon that does not answer: set del refuses (exit 2) and names --force" \
	bash -c "[[ $rc -eq 2 ]] && grep -q -- '--force' <<<\"\$1\"" _ "$out"
tap_is "and the entry is still in force" "$(delivered_in 1)" 0
# The request it had already received runs when it resumes; the client
# said so instead of claiming nothing happened.
efw_daemon_signal CONT
tap_check "once resumed, edgefwd applies the request it had received" \
	efw_daemon_wait_log "control socket: set-del ban \\(1 entries\\)" 5
tap_check "the flow is delivered again" test "$(delivered_in 1)" -gt 250
out=$(efw_edgefw --instance "$EFW_INSTANCE" set add ban "$A" 2>&1) && rc=0 || rc=$?
tap_is "set add through the resumed edgefwd exits 0 ($out)" "$rc" 0
out=$(efw_edgefw --instance "$EFW_INSTANCE" set flush ban 2>&1) && rc=0 || rc=$?
tap_is "set flush through edgefwd exits 0 ($out)" "$rc" 0
tap_check "the flow is delivered after the flush" test "$(delivered_in 1)" -gt 250

tap_done
