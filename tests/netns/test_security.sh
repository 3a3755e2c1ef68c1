#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A local unprivileged user against the pin tree, the control socket and
# the daemon's files, on a bpffs mounted mode 1777 as many guides mount it.
# The test runs in a mount namespace of its own with a fresh bpffs on
# /sys/fs/bpf (nothing it plants is seen by the host or other tests), as
# user nobody for the attacks. Every attempt is refused or detected, and
# the rules in force stay.
# shellcheck disable=SC2119 # helpers with an optional argument
set -euo pipefail

# A private mount namespace first, before anything is set up: the bpffs
# mounted below replaces /sys/fs/bpf for this test only.
if [[ ${EFW_SECURITY_NS:-} != 1 && $(id -u) -eq 0 ]]; then
	export EFW_SECURITY_NS=1
	exec unshare --mount --propagation private -- "$0" "$@"
fi

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs
command -v setpriv >/dev/null || tap_bail "test tools installed" "missing: setpriv"

mount -t bpf -o mode=1777 bpf /sys/fs/bpf || tap_bail "a fresh bpffs, mode 1777, in this mount namespace"
tap_ok "a fresh bpffs, mode 1777, on /sys/fs/bpf in a mount namespace of the test's own"

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
IN=$EFW_IF_EDGE_IN
RULES=$EFW_TMP/rules.yaml
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
ROOT_DIR=$EFW_PIN_ROOT
TRAP_DIR=$EFW_TMP/nobody-owned
mkdir -p "$TRAP_DIR"
chmod 0777 "$EFW_TMP" "$TRAP_DIR"

cat >"$RULES" <<EOF
version: 1
defaults:
  xdp: pass
  non-ip: pass
rules:
  - name: drop-bad
    src: $EFW_CLIENT4_BAD/32
    action: drop
EOF
chmod 0644 "$RULES"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

as_nobody() { "${NOBODY[@]}" "$@"; }
attach() {
	rc=0
	out=$(efw_edgefw --instance "$EFW_INSTANCE" attach "$IN" --rules "$RULES" 2>&1) || rc=$?
}
# "none", or the id of the XDP program on IN.
prog() { efw_xdp_prog_id "$IN"; }

# --- The pin root created first by nobody.
as_nobody mkdir "$ROOT_DIR"
attach
if [[ $rc -ne 0 && $out == *"is not edgefw's"* && $out == *"uid 65534"* ]]; then
	tap_ok "a pin root nobody created is refused (exit $rc), saying whose it is"
else
	tap_fail "a pin root nobody created is refused, saying whose it is" "exit $rc" "$out"
fi
tap_is "... nothing attached, nothing pinned in it" "$(prog) $(find "$ROOT_DIR" -mindepth 1 | wc -l)" "none 0"
rmdir "$ROOT_DIR"

# --- A symlink planted as the pin root.
as_nobody ln -s "$TRAP_DIR" "$ROOT_DIR"
attach
if [[ $rc -ne 0 && $out == *"symlink"* ]]; then
	tap_ok "a symlink planted as the pin root is refused (exit $rc)"
else
	tap_fail "a symlink planted as the pin root is refused" "exit $rc" "$out"
fi
tap_is "... nothing attached, nothing pinned where it points" "$(prog) $(find "$TRAP_DIR" -mindepth 1 | wc -l)" "none 0"
rm -f "$ROOT_DIR"

# --- An ordinary non-root attach creates nothing.
before=$(find /sys/fs/bpf -mindepth 1 | sort)
rc=0
out=$(as_nobody nsenter --net="/run/netns/$E" "$EDGEFW" --instance "$EFW_INSTANCE" attach "$IN" \
	--rules "$RULES" 2>&1) || rc=$?
tap_check "a non-root attach fails (exit $rc)" test "$rc" -ne 0
tap_is "... and creates nothing under /sys/fs/bpf" "$(find /sys/fs/bpf -mindepth 1 | sort)" "$before"

# --- Root's attach: a safe tree inside the world-writable bpffs.
attach
tap_is "root's attach works (exit 0)" "$rc" 0
if [[ $out == *"writable by every user"* ]]; then
	tap_ok "... and warns that the bpffs is world-writable"
else
	tap_fail "... and warns that the bpffs is world-writable" "$out"
fi
tap_is "the pin root and the instance are root's, mode 0700" \
	"$(stat -c '%U %a' "$ROOT_DIR") $(stat -c '%U %a' "$ROOT_DIR/$EFW_INSTANCE")" "root 700 root 700"
# Every pin, the global-data maps (data_active, data_bss) among them.
odd=$(find "$ROOT_DIR/$EFW_INSTANCE" -mindepth 1 ! \( -user root -perm 0600 \) -printf '%f %u %m\n')
tap_is "every pin is root's, mode 0600, data_bss among them" \
	"$odd|$(stat -c '%U %a' "$ROOT_DIR/$EFW_INSTANCE/data_bss" 2>&1)" "|root 600"
id0=$(prog)
in_ns "$E" ip neigh replace "$EFW_CLIENT4_BAD" lladdr \
	"$(in_ns "$C" ip -br link show dev "$EFW_IF_CLIENT" | awk '{ print $3 }')" dev "$IN" nud permanent
verdicts() {
	echo "good $(send_ping "$C" "$EFW_CLIENT4" "$EFW_EDGE_IN4" 2 || echo error)" \
		"bad $(send_ping "$C" "$EFW_CLIENT4_BAD" "$EFW_EDGE_IN4" 2 || echo error)"
}
tap_is "the rules are enforced" "$(verdicts)" "good 2 bad 0"

# --- nobody against the tree.
tries=()
as_nobody mv "$ROOT_DIR" /sys/fs/bpf/moved 2>/dev/null && tries+=("renamed the pin root")
as_nobody mv "$ROOT_DIR/$EFW_INSTANCE" "$ROOT_DIR/x" 2>/dev/null && tries+=("renamed the instance")
as_nobody mkdir "$ROOT_DIR/planted" 2>/dev/null && tries+=("created a directory in the pin root")
as_nobody ln -s "$TRAP_DIR" "$ROOT_DIR/planted" 2>/dev/null && tries+=("planted a symlink in the pin root")
as_nobody ls "$ROOT_DIR/$EFW_INSTANCE" >/dev/null 2>&1 && tries+=("listed the instance's pins")
as_nobody bpftool map show pinned "$ROOT_DIR/$EFW_INSTANCE/data_active" >/dev/null 2>&1 &&
	tries+=("opened the pinned map data_active")
as_nobody bpftool map show pinned "$ROOT_DIR/$EFW_INSTANCE/data_bss" >/dev/null 2>&1 &&
	tries+=("opened the pinned map data_bss")
as_nobody bpftool map dump pinned "$ROOT_DIR/$EFW_INSTANCE/rule_stats" >/dev/null 2>&1 &&
	tries+=("read the pinned counters")
if [[ ${#tries[@]} -eq 0 ]]; then
	tap_ok "nobody cannot rename, plant, list or open anything in the pin tree"
else
	tap_fail "nobody cannot rename, plant, list or open anything in the pin tree" "${tries[@]}"
fi
rc=0
out=$(as_nobody nsenter --net="/run/netns/$E" "$EDGEFW" --instance "$EFW_INSTANCE" status 2>&1) || rc=$?
tap_check "nobody's edgefw status fails (exit $rc) with a clear message" \
	test "$rc" -ne 0 -a -n "$out"
tap_is "the same program is attached, the rules still enforced" "$(prog) $(verdicts)" "$id0 good 2 bad 0"

# --- The daemon's files: never written through a symlink nobody planted.
efw_edgefw --instance "$EFW_INSTANCE" detach "$IN" >/dev/null
VICTIM=$EFW_TMP/victim
echo original >"$VICTIM"
chmod 0644 "$VICTIM"
PIDFILE=$EFW_TMP/edgefwd.pid
as_nobody ln -s "$VICTIM" "$PIDFILE"
efw_daemon_config "$EFW_TMP/edgefwd.yaml" --drop-log "$EFW_TMP/drops.log" <<EOF
defaults:
  xdp: pass
  non-ip: pass
rules:
  - name: drop-bad
    src: $EFW_CLIENT4_BAD/32
    action: drop
    log: true
EOF
as_nobody ln -s "$VICTIM" "$EFW_TMP/drops.log"
if efw_daemon_start "$EFW_TMP/edgefwd.yaml" --pid-file "$PIDFILE"; then
	tap_ok "edgefwd starts with symlinks planted at its pid file and drop log"
else
	efw_daemon_diag
	tap_bail "edgefwd starts with symlinks planted at its pid file and drop log (exit ${EFW_DAEMON_RC:-?})"
fi
send_ping "$C" "$EFW_CLIENT4_BAD" "$EFW_EDGE_IN4" 1 >/dev/null || true
tap_is "... the file they point to is untouched" "$(cat "$VICTIM")" original
if [[ -f $PIDFILE && ! -L $PIDFILE ]]; then
	tap_ok "... the pid file is a fresh regular file, not the symlink"
else
	tap_fail "... the pid file is a fresh regular file, not the symlink" "$(ls -l "$PIDFILE" 2>&1)"
fi
if grep -qE 'drop.log' "$EFW_DAEMON_ERR"; then
	tap_ok "... the drop log symlink is refused and logged"
else
	tap_fail "... the drop log symlink is refused and logged" "$(tail -n 5 "$EFW_DAEMON_ERR")"
fi
tap_is "the daemon's rules are enforced all the same" "$(verdicts)" "good 2 bad 0"
efw_daemon_stop TERM || true

# --- A symlink at the control socket's lock: refused, retried, then bound.
as_nobody ln -s "$VICTIM" "$EFW_DAEMON_SOCK.lock"
EFW_DAEMON_START_TIMEOUT=3 efw_daemon_start "$EFW_TMP/edgefwd.yaml" || true
if efw_daemon_alive && efw_daemon_wait_log 'control_socket is not available' 5; then
	tap_ok "a symlink at the socket's lock: the socket is refused and retried, the daemon runs"
else
	tap_fail "a symlink at the socket's lock: the socket is refused and retried, the daemon runs" \
		"$(tail -n 5 "$EFW_DAEMON_ERR")"
fi
tap_is "... the file it points to is untouched" "$(cat "$VICTIM")" original
tap_is "... the rules are enforced meanwhile" "$(verdicts)" "good 2 bad 0"
rm -f "$EFW_DAEMON_SOCK.lock"
if efw_wait_for 10 efw_daemon_ready; then
	tap_ok "once the planted lock is gone the socket is bound"
else
	tap_fail "once the planted lock is gone the socket is bound" "$(tail -n 5 "$EFW_DAEMON_ERR")"
fi

# --- nobody on the control socket.
rc=0
out=$(printf '%s\n' '{"command":"reload"}' | as_nobody timeout 5 socat -t 3 - "UNIX-CONNECT:$EFW_DAEMON_SOCK" 2>&1) || rc=$?
if [[ $out != *'"ok":true'* ]]; then
	tap_ok "nobody cannot use the control socket"
else
	tap_fail "nobody cannot use the control socket" "$out"
fi
tap_is "... no reload happened" "$(efw_daemon_status | jq -r .reloads_ok)" 0
efw_daemon_stop TERM || true
tap_done
