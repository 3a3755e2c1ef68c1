#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Lockout safety: `edgefw reload --confirm DURATION` rolls the rules back
# unless `edgefw confirm` follows, with real traffic through the edge host.
# Rules "open" let the client's good address in; rules "locked" drop it
# (what a remote operator locking themselves out would load).
#
# Without a daemon: the rollback happens although the command's whole
# session is killed right after it (an SSH session cut by the new rules);
# confirm keeps the rules; a reload without --confirm is refused while a
# change awaits confirmation; a second --confirm keeps the first rollback
# point; no rollback copy, no --confirm.
# Through edgefwd, owning the instance: the same, the daemon holding it;
# a window survives edgefwd's kill -9 and restart (rollback at the same
# deadline, or a confirm after the restart keeps the rules).
# efw-timeout: 300
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_test_prereqs
efw_daemon_prereqs

C=$EFW_NS_CLIENT
INST=$EFW_INSTANCE

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

rules_body() { # NAME DROP-GOOD(0|1)
	echo "defaults: {xdp: pass}"
	echo "rules:"
	echo "  - {name: drop-bad-v4, src: $EFW_CLIENT4_BAD/32, action: drop}"
	[[ $2 -eq 0 ]] || echo "  - {name: $1, src: $EFW_CLIENT4/32, action: drop}"
	echo "  - {name: marker-$1, dst: 192.0.2.1/32, action: drop}"
}
mkrules() { { echo "version: 1"; rules_body "$2" "$3"; } >"$1"; }
OPEN=$EFW_TMP/open.yaml
LOCKED=$EFW_TMP/locked.yaml
LOCKED2=$EFW_TMP/locked2.yaml
mkrules "$OPEN" open 0
mkrules "$LOCKED" locked 1
mkrules "$LOCKED2" locked-again 1

good_pings() { send_ping "$C" "$EFW_CLIENT4" "$EFW_SERVER4" 3 || echo error; }
reachable() { [[ $(good_pings) -ge 1 ]]; }
locked_out() { [[ $(good_pings) -eq 0 ]]; }
active_hash() { efw_status_json | jq -r '.ruleset_hash // "none"'; }
guard_gone() { ! efw_pid_alive "$1"; }
# For efw_wait_for, which polls fast: a status costs a process, so pause.
hash_is() { [[ $(active_hash) == "$1" ]] || { sleep 0.3; return 1; }; }
confirm_file=/run/edgefw/$INST.confirm.json
no_confirm_file() { [[ ! -e $confirm_file ]]; }

# reload_in_session FILE DURATION: runs `edgefw reload FILE --confirm
# DURATION` in a session of its own, as over SSH, and right after it
# returns kills the whole session (SIGKILL to its process group, the shell
# included). Sets GUARD (the pid the command printed) and RC.
reload_in_session() {
	rm -f "$EFW_TMP/sess.pid" "$EFW_TMP/reload.rc"
	setsid bash -c 'echo $$ >"$1/sess.pid"; shift
		"$@" >"$EFW_TMP_R/reload.out" 2>&1; echo $? >"$EFW_TMP_R/reload.rc"; sleep 60' \
		_ "$EFW_TMP" nsenter --net="/run/netns/$EFW_NS_EDGE" -- \
		"$EDGEFW" --instance "$INST" reload "$1" --confirm "$2" </dev/null >/dev/null 2>&1 &
	local bg=$!
	efw_wait_for 30 test -s "$EFW_TMP/reload.rc" || true
	kill -KILL -- "-$(cat "$EFW_TMP/sess.pid")" 2>/dev/null || true
	wait "$bg" 2>/dev/null || true
	RC=$(cat "$EFW_TMP/reload.rc" 2>/dev/null || echo none)
	GUARD=$(sed -n 's/.*(guard pid \([0-9]*\)).*/\1/p' "$EFW_TMP/reload.out")
}
export EFW_TMP_R=$EFW_TMP

# --- Without a daemon.
out=$(efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$OPEN" 2>&1) ||
	tap_bail "attach the open rules" "$out"
tap_check "open rules: the client's good address gets through" reachable
tap_bail_if_failed "the topology does not forward"
HASH_OPEN=$(active_hash)
tap_check "attach recorded a rollback copy" test -s "/run/edgefw/$INST.applied.json"

for bad in 0s soon 25h; do
	rc=0
	out=$(efw_edgefw --instance "$INST" reload "$LOCKED" --confirm "$bad" 2>&1) || rc=$?
	tap_is "--confirm $bad is refused (exit 1)" "$rc" 1
done
tap_is "and nothing changed" "$(active_hash)" "$HASH_OPEN"

# Windows of 12 s: status and a ping must fit in them on a loaded machine.
reload_in_session "$LOCKED" 12s
tap_is "reload --confirm 12s exits 0" "$RC" 0
tap_check "it says when it rolls back" grep -q "rolls back at .*Z unless 'edgefw --instance $INST confirm'" "$EFW_TMP/reload.out"
HASH_LOCKED=$(active_hash)
tap_check "the locked rules are in force" test "$HASH_LOCKED" != "$HASH_OPEN"
tap_check "the client is locked out" locked_out
tap_check "the guard ($GUARD) outlived the killed session" efw_pid_alive "$GUARD"
tap_check "status shows the change awaiting confirmation" \
	grep -q "^confirm    a change awaits confirmation: it rolls back to ${HASH_OPEN} at .*Z" \
	<(efw_edgefw --instance "$INST" status 2>&1)
tap_check "status --json too" jq -e '.confirmation.pending == true and (.confirmation.rollback_at | test("Z$"))' \
	<(efw_status_json)
tap_check "without confirm, the rules roll back within 25 s" \
	efw_wait_for 25 hash_is "$HASH_OPEN"
tap_check "the client gets through again" reachable
tap_check "the guard is gone" efw_wait_for 5 guard_gone "$GUARD"
tap_check "nothing awaits confirmation" no_confirm_file
rc=0
out=$(efw_edgefw --instance "$INST" confirm 2>&1) || rc=$?
tap_is "confirm after the rollback: exit 1" "$rc" 1
tap_check "it says nothing awaits confirmation" grep -q "nothing awaits confirmation" <<<"$out"

# Confirmed: the rules stay past the deadline.
reload_in_session "$LOCKED" 10s
tap_is "reload --confirm 10s exits 0" "$RC" 0
out=$(efw_edgefw --instance "$INST" confirm 2>&1); rc=$?
tap_is "confirm exits 0" "$rc" 0
tap_check "confirm says so" grep -q "confirmed" <<<"$out"
tap_check "the guard ends once confirmed" efw_wait_for 5 guard_gone "$GUARD"
sleep 11
tap_is "past the deadline, the confirmed rules stay" "$(active_hash)" "$HASH_LOCKED"

# Back to open, then: a pending change refuses plain reloads, and a second
# --confirm keeps the first rollback point.
out=$(efw_edgefw --instance "$INST" reload "$OPEN" 2>&1) || tap_fail "reload open" "$out"
tap_check "open again" reachable
reload_in_session "$LOCKED" 60s
FIRST_GUARD=$GUARD
rc=0
out=$(efw_edgefw --instance "$INST" reload "$LOCKED2" 2>&1) || rc=$?
tap_is "a reload without --confirm while one awaits confirmation: exit 1" "$rc" 1
tap_check "it says what to do" grep -q "awaits confirmation until .*edgefw --instance $INST confirm" <<<"$out"
reload_in_session "$LOCKED2" 4s
tap_is "a second reload --confirm exits 0" "$RC" 0
tap_check "the first guard steps down" efw_wait_for 5 guard_gone "$FIRST_GUARD"
tap_check "the rollback goes to the last confirmed rules (open), not the first unconfirmed" \
	efw_wait_for 15 hash_is "$HASH_OPEN"
tap_check "the client gets through again" reachable
efw_wait_for 5 guard_gone "$GUARD" || true

# A second reload --confirm that fails to switch in (a redirect to an
# interface that does not exist) leaves the first change's rollback armed.
printf 'version: 1\nrules:\n  - {name: r, dst: 192.0.2.1, action: redirect, to: efwnosuch0}\n' >"$EFW_TMP/redir.yaml"
reload_in_session "$LOCKED" 12s
FIRST_GUARD=$GUARD
reload_in_session "$EFW_TMP/redir.yaml" 60s
tap_is "a second reload --confirm that cannot switch in: exit 1" "$RC" 1
tap_is "... the unconfirmed rules stay in force meanwhile" "$(active_hash)" "$HASH_LOCKED"
tap_check "... and still roll back at the first deadline" efw_wait_for 30 hash_is "$HASH_OPEN"
efw_wait_for 5 guard_gone "$FIRST_GUARD" || true
efw_wait_for 5 guard_gone "$GUARD" || true
tap_check "... the guards are gone" bash -c "! kill -0 $FIRST_GUARD 2>/dev/null"

# A rollback copy someone else owns is not trusted: refused, nothing changed.
applied=/run/edgefw/$INST.applied.json
chown 65534 "$applied"
rc=0
out=$(efw_edgefw --instance "$INST" reload "$LOCKED" --confirm 5s 2>&1) || rc=$?
tap_is "a rollback copy owned by nobody is not used: --confirm refused (exit 1)" "$rc" 1
tap_check "it says the copy is unreadable" grep -q "the copy is unreadable" <<<"$out"
tap_is "and nothing changed" "$(active_hash)" "$HASH_OPEN"

# No copy of the rules in force: --confirm is refused and changes nothing.
rm -f "$applied"
rc=0
out=$(efw_edgefw --instance "$INST" reload "$LOCKED" --confirm 5s 2>&1) || rc=$?
tap_is "without a rollback copy, --confirm is refused (exit 1)" "$rc" 1
tap_check "it says why and what to do" grep -q "no copy to roll back to.*reload them once without --confirm" <<<"$out"
tap_is "and nothing changed" "$(active_hash)" "$HASH_OPEN"
out=$(efw_edgefw --instance "$INST" detach "$EFW_IF_EDGE_IN" 2>&1) || tap_fail "detach" "$out"
tap_check "the last detach forgets the instance's records" \
	test ! -e "/run/edgefw/$INST.applied.json" -a ! -e "$confirm_file"

# --- Through edgefwd, which owns the instance.
CONF=$EFW_TMP/edgefwd.yaml
daemon_conf() { rules_body "$1" "$2" | efw_daemon_config "$CONF"; }
daemon_field() { efw_daemon_status | jq -r "$1"; }
daemon_conf open 0
efw_daemon_start "$CONF" || tap_bail "edgefwd starts" "$(cat "$EFW_DAEMON_ERR" 2>/dev/null)"
tap_check "edgefwd: the client gets through" reachable
HASH_OPEN=$(active_hash)
daemon_conf locked 1
# Windows of 10 s: a status and a ping must fit in them on a loaded machine.
out=$(efw_edgefw --instance "$INST" reload --confirm 10s 2>&1); rc=$?
tap_is "edgefwd: reload --confirm 10s (no --socket: the owner's) exits 0" "$rc" 0
tap_check "edgefwd says when it rolls back" grep -q "rolls back at .*Z" <<<"$out"
tap_check "edgefwd: the client is locked out" locked_out
tap_is "edgefwd: status shows the pending confirmation" "$(daemon_field .confirmation.pending)" true
rc=0
out=$(efw_edgefw --instance "$INST" reload 2>&1) || rc=$?
tap_is "edgefwd: a plain reload while one awaits confirmation: exit 1" "$rc" 1
tap_check "edgefwd: without confirm, the rules roll back within 25 s" \
	efw_wait_for 25 hash_is "$HASH_OPEN"
tap_check "edgefwd: the client gets through again" reachable
tap_is "edgefwd: one rollback counted" "$(daemon_field .confirmation.rollbacks_total)" 1
tap_check "edgefwd logs the rollback and the config left unconfirmed" \
	grep -q "rolled back: .*still holds the unconfirmed rules" "$EFW_DAEMON_ERR"

out=$(efw_edgefw --instance "$INST" reload --confirm 10s 2>&1); rc=$?
tap_is "edgefwd: reload --confirm again exits 0" "$rc" 0
out=$(efw_edgefw --instance "$INST" confirm 2>&1); rc=$?
tap_is "edgefwd: confirm (through the owner) exits 0" "$rc" 0
tap_check "edgefwd: confirm says so" grep -q "confirmed" <<<"$out"
sleep 12
tap_check "edgefwd: past the deadline, the confirmed rules stay (locked out)" locked_out
tap_is "edgefwd: nothing pending" "$(daemon_field .confirmation.pending)" false
tap_is "edgefwd: one confirmation counted" "$(daemon_field .confirmation.confirmed_total)" 1
rc=0
out=$(efw_edgefw --instance "$INST" confirm 2>&1) || rc=$?
tap_is "edgefwd: confirm with nothing pending: exit 1" "$rc" 1
tap_check "edgefwd is still running" efw_daemon_alive

# --- The window outlives edgefwd: kill -9 during it, start it again.
rec=/run/edgefw/$INST.edgefwd-confirm.json
restart_daemon() {
	efw_daemon_kill9
	efw_daemon_start "$CONF" || tap_bail "edgefwd starts again" "$(cat "$EFW_DAEMON_ERR" 2>/dev/null)"
}
epoch_of() { date -u -d "$1" +%s; }
daemon_conf open 0
if ! efw_edgefw --instance "$INST" reload --confirm 30s >/dev/null 2>&1 ||
	! efw_edgefw --instance "$INST" confirm >/dev/null 2>&1; then
	tap_bail "edgefwd: back to the open rules, confirmed"
fi
tap_check "edgefwd: no record once confirmed" test ! -e "$rec"
daemon_conf locked 1
out=$(efw_edgefw --instance "$INST" reload --confirm 12s 2>&1); rc=$?
tap_is "edgefwd: reload --confirm 12s exits 0" "$rc" 0
AT=$(daemon_field .confirmation.rollback_at)
tap_check "edgefwd: the window is recorded on disk" test -s "$rec"
tap_check "... root's alone (0600)" bash -c "[[ \$(stat -c '%U %a' '$rec') == 'root 600' ]]"
restart_daemon
tap_is "edgefwd after kill -9: the change still awaits confirmation" "$(daemon_field .confirmation.pending)" true
tap_is "... with the same deadline" "$(daemon_field .confirmation.rollback_at)" "$AT"
tap_check "... the unconfirmed rules still in force (locked out)" locked_out
tap_check "edgefwd after kill -9: rolls back by the deadline (within 30 s)" \
	efw_wait_for 30 hash_is "$HASH_OPEN"
now=$(date -u +%s)
tap_check "... not before it ($(date -u -d "@$now" +%TZ) >= $AT)" test "$now" -ge "$(epoch_of "$AT")"
tap_check "edgefwd after kill -9: the client gets through again" reachable
tap_check "... the record is gone" test ! -e "$rec"
tap_is "... one rollback counted by this edgefwd" "$(daemon_field .confirmation.rollbacks_total)" 1

out=$(efw_edgefw --instance "$INST" reload --confirm 12s 2>&1); rc=$?
tap_is "edgefwd: reload --confirm 12s again exits 0" "$rc" 0
AT=$(daemon_field .confirmation.rollback_at)
restart_daemon
tap_is "edgefwd after a second kill -9: pending again" "$(daemon_field .confirmation.pending)" true
out=$(efw_edgefw --instance "$INST" confirm 2>&1); rc=$?
tap_is "edgefwd after kill -9: confirm exits 0" "$rc" 0
tap_check "... the record is gone" test ! -e "$rec"
now=$(date -u +%s)
at_s=$(epoch_of "$AT" 2>/dev/null || echo 0)
sleep $((at_s > now ? at_s - now + 3 : 3))
tap_check "edgefwd: past the deadline, the confirmed rules stay (locked out)" locked_out
tap_is "edgefwd: nothing pending" "$(daemon_field .confirmation.pending)" false
restart_daemon
tap_is "edgefwd restarted after the confirm: nothing pending" "$(daemon_field .confirmation.pending)" false

tap_done
