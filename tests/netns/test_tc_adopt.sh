#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefwd's tc attachments (libbpf's bpf_tc_*) across a kill -9: the
# filter stays and keeps dropping; a new daemon adopts it from the pins
# (the same program id on the hook, nothing detached or reattached) and
# status shows it attached; after the daemon stops (on-exit: keep),
# `edgefw detach` removes edgefw's filter and only it: another tool's
# filter on the same hook stays.
# shellcheck disable=SC2119 # helpers with an optional argument
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs
command -v tc >/dev/null || tap_bail "tc installed" "missing: tc (iproute2)"

PINGS=3
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
IN=$EFW_IF_EDGE_IN
CONF=$EFW_TMP/edgefwd.yaml
efw_daemon_config "$CONF" --iface "$IN:tc-ingress" <<EOF
rules:
  - name: drop-blocked
    src: $EFW_CLIENT4_BAD/32
    hooks: tc-ingress
    action: drop
EOF

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "a foreign filter on $IN ingress (pref 1)" eval "
	in_ns $E tc qdisc add dev $IN clsact &&
	in_ns $E tc filter add dev $IN ingress pref 1 bpf bytecode '1,6 0 0 0'"

ping_count() { send_ping "$C" "$1" "$2" "$PINGS" || echo error; }
# "<prog id in status --json> <prog id of the filter at pref 3807>"
status_prog() {
	jq -r --arg i "$IN" 'first(.attachments[]? | select(.interface == $i and .hook == "tc-ingress" and .attached) | .prog_id) // "missing"' \
		<<<"$(efw_status_json)" 2>/dev/null || echo invalid-json
}
tc_prog() {
	in_ns "$E" tc filter show dev "$IN" ingress |
		sed -nE 's/.*pref 3807 bpf .*handle 0xedf .* id ([0-9]+) .*/\1/p' | head -n 1
}
prog_ids() { echo "$(status_prog) $(tc_prog)"; }
# shellcheck disable=SC2317 # called through tap_check and efw_wait_for
foreign_present() { in_ns "$E" tc filter show dev "$IN" ingress | grep 'pref 1 bpf .*bytecode' >/dev/null; }
# shellcheck disable=SC2317
attached() { [[ $(status_prog) =~ ^[0-9]+$ ]]; }

if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started"
else
	efw_daemon_diag
	tap_bail "edgefwd started (exit ${EFW_DAEMON_RC:-none})"
fi
efw_wait_for 20 attached || true
ids0=$(prog_ids)
id0=${ids0%% *}
if [[ $id0 =~ ^[0-9]+$ && $ids0 == "$id0 $id0" ]]; then
	tap_ok "edgefw's filter on $IN ingress runs program $id0 (status --json and tc agree)"
else
	tap_bail "edgefw's filter on $IN ingress (status --json and tc agree)" "got: $ids0"
fi
tap_is "$EFW_CLIENT4_BAD is dropped" "$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0

efw_daemon_kill9 || true
tap_is "kill -9 ends the daemon" "$EFW_DAEMON_RC" 137
tap_is "after kill -9, the same filter and program" "$(prog_ids)" "$id0 $id0"
tap_is "after kill -9, $EFW_CLIENT4_BAD is still dropped" "$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0

if efw_daemon_start "$CONF"; then
	tap_ok "a new edgefwd on the same config starts"
else
	efw_daemon_diag
	tap_fail "a new edgefwd on the same config starts (exit ${EFW_DAEMON_RC:-none})"
fi
tap_is "the new daemon adopted: the same program id (status --json, tc)" "$(prog_ids)" "$id0 $id0"
tap_is "it detached nothing" "$(efw_daemon_log_count 'detached from|detaching')" 0
tap_is "status --json: $IN tc-ingress attached" "$(efw_attached_list "$(efw_status_json)")" "[\"$IN tc-ingress\"]"
tap_check "the foreign filter is still there" foreign_present

efw_daemon_stop TERM || true
tap_is "SIGTERM stops the daemon with exit 0" "$EFW_DAEMON_RC" 0
tap_is "the filter stays after the daemon (on-exit: keep)" "$(tc_prog)" "$id0"
tap_check "detach $IN" efw_edgefw --instance "$EFW_INSTANCE" detach "$IN"
tap_is "edgefw's filter is gone" "$(tc_prog)" ""
tap_check "the foreign filter on the same hook stays" foreign_present
tap_is "after detach, $EFW_CLIENT4_BAD reaches $EFW_SERVER4" \
	"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" "$PINGS"

tap_done
