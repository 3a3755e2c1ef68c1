#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefwd's read-only control group (daemon.control-group): the socket
# becomes root:GROUP 0660; a member (nobody:nogroup here) gets `status` but
# not `reload`, which is refused and logged with its uid; root's reload is
# logged with its pid and uid; a reload that drops the setting makes the
# socket root's again (0600), and a group the host does not have is an
# error in the log that leaves the socket root-only and the daemon running.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

# shellcheck disable=SC2119 # takes no arguments
efw_daemon_prereqs
command -v setpriv >/dev/null || tap_bail "test tools installed" "missing: setpriv"
getent group nogroup >/dev/null || tap_bail "group nogroup exists" "getent group nogroup found nothing"

SOCK=$EFW_DAEMON_SOCK
CFG=$EFW_TMP/edgefwd.yaml
RULES='rules:
  - {name: drop-7001, proto: udp, dport: 7001, action: drop}'

write_cfg() {
	local extra=()
	[[ -z ${1:-} ]] || extra=(--daemon-line "control-group: $1")
	efw_daemon_config "$CFG" --no-interfaces "${extra[@]}" <<<"$RULES"
}
# as_nobody COMMAND: the daemon's answer to {"command": COMMAND} sent by
# nobody:nogroup (empty when it could not connect).
as_nobody() {
	printf '{"command":"%s"}\n' "$1" |
		timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
			socat -t 5 - "UNIX-CONNECT:$SOCK" 2>/dev/null || true
}
sock_mode() { stat -c '%a %U:%G' "$SOCK" 2>/dev/null || echo missing; }
reloads_ok() { efw_daemon_status | jq -r .reloads_ok 2>/dev/null || echo "no status"; }

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
chmod 0711 "$EFW_TMP" # let nobody reach the socket itself

write_cfg nogroup
if efw_daemon_start "$CFG"; then
	tap_ok "edgefwd starts with control-group: nogroup"
else
	efw_daemon_diag 30
	tap_bail "edgefwd starts with control-group: nogroup"
fi
tap_is "the socket is root:nogroup 0660" "$(sock_mode)" "660 root:nogroup"
tap_is "a member's status: ok" "$(as_nobody status | jq -r .ok 2>&1)" true
ok0=$(reloads_ok)
tap_is "a member's reload: refused, exit 2" \
	"$(as_nobody reload | jq -r '"\(.exit) \(.message)"' 2>&1)" \
	"2 permission denied: 'reload' is for root only; members of group nogroup may use status"
tap_is "... and nothing was reloaded" "$(reloads_ok)" "$ok0"
tap_check "the refusal is logged with the member's uid" \
	grep -qE "warning: control socket: refused 'reload' from pid [0-9]+ uid 65534" "$EFW_DAEMON_ERR"

# Root's reload, without the group: logged with root's pid and uid, and
# the socket is root's alone again.
write_cfg ""
rc=0
out=$(efw_daemon_reload 2>&1) || rc=$?
tap_is "root's reload through the socket: exit 0" "$rc" 0
[[ $rc -eq 0 ]] || tap_diag "$out"
tap_check "root's reload is logged with its pid and uid" \
	grep -qE "control socket: 'reload' from pid [0-9]+ uid 0$" "$EFW_DAEMON_ERR"
tap_is "without control-group the socket is root:root 0600" "$(sock_mode)" "600 root:root"
tap_is "nobody cannot connect any more" "$(as_nobody status)" ""

# A group this host does not have: logged, the socket stays root's.
write_cfg efw-no-such-group
rc=0
out=$(efw_daemon_reload 2>&1) || rc=$?
tap_is "a reload naming a group that does not exist: exit 0 (the rules are fine)" "$rc" 0
tap_check "the daemon logs that the group does not exist" \
	grep -q "daemon.control-group: no such group 'efw-no-such-group': the control socket stays root only" "$EFW_DAEMON_ERR"
tap_is "the socket stays root:root 0600" "$(sock_mode)" "600 root:root"
tap_is "the daemon still answers root" "$(efw_daemon_status | jq -r .ok 2>&1)" true

rc=timeout
! efw_daemon_stop TERM 10 || rc=$EFW_DAEMON_RC
tap_is "SIGTERM: edgefwd exits 0" "$rc" 0
[[ $EFW_TAP_LAST -eq 0 ]] || efw_daemon_diag 30

tap_done
