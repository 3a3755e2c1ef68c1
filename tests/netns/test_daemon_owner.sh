#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# One owner per instance. A daemon owns its instance for its whole life:
# a second edgefwd for it (same config, another config, the default
# instance name) exits non-zero having changed nothing (version, program,
# verdicts); `edgefw attach` and `detach` on it refuse, and with --force the
# daemon logs the change and puts its own ruleset and attachments back;
# `ip netns exec edgefw attach` refuses (a private bpffs) with the nsenter
# hint; a metrics address that cannot be bound yet does not stop the
# daemon, which binds it once the address appears.
# shellcheck disable=SC2119 # helpers with an optional argument
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
IN=$EFW_IF_EDGE_IN
OUT=$EFW_IF_EDGE_OUT
CONF=$EFW_TMP/edgefwd.yaml
OTHER=$EFW_TMP/other.yaml
PASSALL=$EFW_TMP/passall.yaml
# An address the edge namespace does not have yet, for the metrics.
METRICS_ADDR=10.213.0.1
METRICS_PORT=9471

# write_conf [efw_daemon_config OPTIONS]: the daemon's config, dropping the
# bad source and passing the rest.
write_conf() {
	efw_daemon_config "$CONF" "$@" <<EOF
defaults:
  xdp: pass
  non-ip: pass
rules:
  - name: drop-bad
    src: $EFW_CLIENT4_BAD/32
    action: drop
EOF
}
write_conf
# Another file for the same instance: passes everything, attaches elsewhere.
efw_daemon_config "$OTHER" --iface "$OUT:xdp" --socket "$EFW_TMP/other.sock" <<EOF
defaults:
  xdp: pass
rules:
  - name: pass-all
    action: pass
EOF
cat >"$PASSALL" <<EOF
version: 1
defaults:
  xdp: pass
rules:
  - name: pass-all
    action: pass
EOF

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

version() { jq -r '.version // "?"' <<<"$(efw_status_json)" 2>/dev/null || echo "?"; }
good_pings() { send_ping "$C" "$EFW_CLIENT4" "$EFW_EDGE_IN4" 3 || echo error; }
bad_pings() { send_ping "$C" "$EFW_CLIENT4_BAD" "$EFW_EDGE_IN4" 3 || echo error; }
verdicts() { echo "good $(good_pings) bad $(bad_pings)"; }
# edgefw in the edge namespace: its exit in rc, its output in out.
edgefw_rc() {
	rc=0
	out=$(efw_edgefw --instance "$EFW_INSTANCE" "$@" 2>&1) || rc=$?
}

if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started"
else
	efw_daemon_diag
	tap_bail "edgefwd started (exit ${EFW_DAEMON_RC:-none})"
fi
PID_A=$EFW_DAEMON_PID
ERR_A=$EFW_DAEMON_ERR
in_ns "$E" ip neigh replace "$EFW_CLIENT4_BAD" lladdr \
	"$(in_ns "$C" ip -br link show dev "$EFW_IF_CLIENT" | awk '{ print $3 }')" \
	dev "$IN" nud permanent
tap_is "the daemon's rules: good source answered, bad source dropped" "$(verdicts)" "good 3 bad 0"
v0=$(version)
id0=$(efw_xdp_prog_id "$IN")
tap_check "a ruleset version and an XDP program on $IN" test "$v0" != "?" -a "$id0" != none
tap_is "edgefw status names the owning daemon" \
	"$(jq -r '.managed_by.pid // "none"' <<<"$(efw_status_json)")" "$PID_A"

# --- A second daemon on the same config: refused before touching anything.
rc=0
out=$(in_ns "$E" timeout 20 "$EDGEFWD" --config "$CONF" --foreground 2>&1) || rc=$?
if [[ $rc -ne 0 && $out == *"already owned by edgefwd pid $PID_A"* ]]; then
	tap_ok "a second edgefwd on the same config exits $rc, naming the owner (pid $PID_A)"
else
	tap_fail "a second edgefwd on the same config exits non-zero, naming the owner" "exit $rc" "$out"
fi
tap_is "... the ruleset version did not move" "$(version)" "$v0"
tap_is "... the same XDP program is on $IN" "$(efw_xdp_prog_id "$IN")" "$id0"

# --- Another config for the same instance.
rc=0
out=$(in_ns "$E" timeout 20 "$EDGEFWD" --config "$OTHER" --foreground 2>&1) || rc=$?
if [[ $rc -ne 0 && $out == *"already owned"* ]]; then
	tap_ok "a second edgefwd with another config for the instance exits $rc"
else
	tap_fail "a second edgefwd with another config for the instance exits non-zero" "exit $rc" "$out"
fi
tap_is "... the version did not move" "$(version)" "$v0"
tap_is "... nothing attached to $OUT" "$(efw_xdp_prog_id "$OUT")" none
tap_is "... the verdicts did not change" "$(verdicts)" "good 3 bad 0"
tap_is "... the first daemon still answers" "$(efw_daemon_status | jq -r .pid)" "$PID_A"
if [[ -S $EFW_TMP/other.sock ]]; then
	tap_fail "... and left no socket of its own"
else
	tap_ok "... and left no socket of its own"
fi

# --- attach/detach on a daemon-owned instance.
edgefw_rc attach "$OUT" --rules "$PASSALL"
if [[ $rc -eq 1 && $out == *"managed by edgefwd"* ]]; then
	tap_ok "edgefw attach on the daemon's instance refuses (exit 1)"
else
	tap_fail "edgefw attach on the daemon's instance refuses (exit 1)" "exit $rc: $out"
fi
tap_is "... nothing attached to $OUT, version unchanged" "$(efw_xdp_prog_id "$OUT") $(version)" "none $v0"
edgefw_rc detach "$IN"
if [[ $rc -eq 1 && $out == *"managed by edgefwd"* ]]; then
	tap_ok "edgefw detach on the daemon's instance refuses (exit 1)"
else
	tap_fail "edgefw detach on the daemon's instance refuses (exit 1)" "exit $rc: $out"
fi
tap_is "... the program stays on $IN" "$(efw_xdp_prog_id "$IN")" "$id0"

# --- A foreign ruleset (forced) is undone by the daemon.
edgefw_rc attach "$IN" --rules "$PASSALL" --force
tap_is "edgefw attach --force replaces the ruleset anyway (exit 0)" "$rc" 0
if efw_daemon_wait_log 'behind edgefwd.s back' 5; then
	tap_ok "the daemon logs the forced change"
else
	tap_fail "the daemon logs the forced change" "$(tail -n 5 "$ERR_A")"
fi
if efw_daemon_wait_log 'changed without edgefwd' 5; then
	tap_ok "the daemon detects the foreign ruleset"
else
	tap_fail "the daemon detects the foreign ruleset" "$(tail -n 5 "$ERR_A")"
fi
restored() { [[ $(version) =~ ^[0-9]+$ && $(version) -ge $((v0 + 2)) ]]; }
efw_wait_for 5 restored || true
tap_is "its own ruleset is back (version $v0 -> forced -> restored)" "$(version)" "$((v0 + 2))"
tap_is "... the verdicts are the daemon's again" "$(verdicts)" "good 3 bad 0"
tap_is "... status counts one foreign change" "$(efw_daemon_status | jq -r .foreign_changes)" 1
edgefw_rc detach "$IN" --force
tap_is "edgefw detach --force detaches anyway (exit 0)" "$rc" 0
reattached() { [[ $(efw_xdp_prog_id "$IN") != none ]]; }
if efw_wait_for 8 reattached; then
	tap_ok "the daemon attaches to $IN again"
else
	tap_fail "the daemon attaches to $IN again" "$(tail -n 5 "$ERR_A")"
fi
tap_is "... the verdicts are the daemon's" "$(verdicts)" "good 3 bad 0"

# --- ip netns exec: a private bpffs is refused.
rc=0
out=$(ip netns exec "$E" timeout 20 "$EDGEFW" --instance "$EFW_INSTANCE-x" attach "$OUT" \
	--rules "$PASSALL" 2>&1) || rc=$?
if [[ $rc -ne 0 && $out == *"nsenter --net="* ]]; then
	tap_ok "ip netns exec edgefw attach refuses with the nsenter hint (exit $rc)"
else
	tap_fail "ip netns exec edgefw attach refuses with the nsenter hint" "exit $rc" "$out"
fi
tap_is "... nothing attached to $OUT, no pins" \
	"$(efw_xdp_prog_id "$OUT") $([[ -e $EFW_PIN_ROOT/$EFW_INSTANCE-x ]] && echo pins || echo no-pins)" \
	"none no-pins"

# --- A metrics address that is not there yet.
efw_daemon_stop TERM || true
tap_is "the first daemon stops (exit 0)" "$EFW_DAEMON_RC" 0
write_conf --metrics "$METRICS_ADDR:$METRICS_PORT"
if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd starts with an unbindable metrics address"
else
	efw_daemon_diag
	tap_bail "edgefwd starts with an unbindable metrics address (exit ${EFW_DAEMON_RC:-none})"
fi
tap_is "... it enforces its rules" "$(verdicts)" "good 3 bad 0"
tap_is "... its status says metrics are being retried" \
	"$(efw_daemon_status | jq -r '.parts.metrics.state')" retrying
n=$(efw_daemon_log_count 'metrics is not available')
if [[ $n -ge 1 ]]; then
	tap_ok "... and logs it ($n attempts so far)"
else
	tap_fail "... and logs it" "$(tail -n 5 "$EFW_DAEMON_ERR")"
fi
in_ns "$E" ip addr add "$METRICS_ADDR/32" dev lo
scrape() { in_ns "$E" curl -sf --max-time 2 "http://$METRICS_ADDR:$METRICS_PORT/metrics" 2>/dev/null; }
scraped() { scrape | grep -q '^edgefw_instance_up 1'; }
if efw_wait_for 12 scraped; then
	tap_ok "once the address exists the metrics are served"
else
	tap_fail "once the address exists the metrics are served" "$(tail -n 5 "$EFW_DAEMON_ERR")"
fi
fails=$(scrape | sed -n 's/^edgefw_component_failures_total{component="metrics"} \([0-9]*\)$/\1/p')
if [[ $fails =~ ^[0-9]+$ && $fails -ge 1 ]]; then
	tap_ok "the metrics count the failed attempts ($fails)"
else
	tap_fail "the metrics count the failed attempts" "got: '$fails'"
fi
tap_is "... status says metrics are up" "$(efw_daemon_status | jq -r '.parts.metrics.state')" up
efw_daemon_stop TERM || true
tap_is "SIGTERM stops it (exit 0)" "$EFW_DAEMON_RC" 0
tap_done
