#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefwd in the edge namespace, driven as an operator would: it attaches
# where `interfaces` says and filters as the rules say; tells systemd it is
# ready (READY=1; RELOADING=1 then READY=1 around a SIGHUP); reloads on
# SIGHUP and through `edgefw reload --socket` (a good file changes verdicts
# and keeps the counters of kept rules, a bad one changes nothing and
# reports FILE:LINE:COL); refuses a reload of another file; serves its
# control socket (0600) to root only; on SIGTERM leaves filtering in place
# (on-exit: keep), is adopted by the next run, and with on-exit: detach
# removes everything; and refuses a bad config at start without attaching.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

# shellcheck disable=SC2119 # takes no arguments
efw_daemon_prereqs
command -v setpriv >/dev/null || tap_bail "test tools installed" "missing: setpriv"
PY=/usr/bin/python3
[[ -x $PY ]] || tap_bail "test tools installed" "missing: $PY"

PINGS=3
UDPS=2
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
INST=$EFW_INSTANCE
IN=$EFW_IF_EDGE_IN
SOCK=$EFW_DAEMON_SOCK
CFG=$EFW_TMP/edgefwd.yaml
EFW_INSTANCES+=("$INST-bad")

# --- Config files (tests/lib/daemon.sh writes the interfaces and daemon
# sections: $IN xdp, control socket $SOCK, metrics off). write_cfg FILE
# RULES [ON_EXIT] [INSTANCE]: replaced atomically, so a reload never reads
# half a file.
RULES_A='  - name: drop-bad
    src: 10.200.1.66/32
    action: drop
  - name: drop-7001
    proto: udp
    dport: 7001
    action: drop'
RULES_B='  - name: drop-bad
    src: 10.200.1.66/32
    action: drop
  - name: drop-7002
    proto: udp
    dport: 7002
    action: drop'
# A with an inverted port range: rejected at "    dport: 90-80", column 12.
RULES_BAD="$RULES_A
  - name: inverted
    proto: tcp
    dport: 90-80
    action: drop"

write_cfg() {
	efw_daemon_config "$1" --on-exit "${3:-keep}" --instance "${4:-$INST}" <<<"rules:
$2"
}
# bad_line FILE: the line the inverted range is on.
bad_line() { grep -n 'dport: 90-80' "$1" | cut -d: -f1; }

# --- Helpers.
stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null; }
status() { efw_edgefw --instance "$INST" status --json 2>/dev/null; }
hash() { status | jq -r '.ruleset_hash // "none"' 2>/dev/null || echo none; }
counter() {
	jq -r --arg n "$2" 'first(.rules[]? | select(.name == $n) | .packets) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
ping_count() { send_ping "$C" "$1" "$EFW_SERVER4" "$PINGS" || echo error; }
# reload_counts: "ok failed version" from the daemon's status.
reload_counts() {
	efw_daemon_status 2>/dev/null | jq -r '"\(.reloads_ok) \(.reloads_failed) \(.version)"' 2>/dev/null || echo "no status"
}
# shellcheck disable=SC2317 # called through tap_check and eval
xdp_on_in() { in_ns "$E" ip -o link show dev "$IN" | grep -qE ' xdp(generic|drv)? '; }
# UDP receivers on the server for the two ports the rules decide on.
# udp_verdicts TAG: sends UDPS datagrams from the allowed client address to
# 7001 and 7002; prints "received-on-7001 received-on-7002".
udp_verdicts() {
	local tag=$1 p
	for p in 7001 7002; do
		send_udp "$C" "$EFW_CLIENT4" "$EFW_SERVER4" "$p" "$UDPS" "$tag" >/dev/null 2>&1 || true
	done
	# Whatever passes arrives within milliseconds; give it a second.
	efw_wait_for 1 eval "[[ \$(udp_received 7001 $tag-) -ge $UDPS && \$(udp_received 7002 $tag-) -ge $UDPS ]]" || true
	echo "$(udp_received 7001 "$tag-") $(udp_received 7002 "$tag-")"
}
# Expected udp_verdicts outputs.
V_A="0 $UDPS"   # 7001 dropped, 7002 passes
V_B="$UDPS 0"   # 7001 passes, 7002 dropped
V_NONE="$UDPS $UDPS"

# d_stop SIGNAL: signals the daemon and waits for it; D_RC gets its exit
# status ("timeout" when it did not stop within 10 s, and was killed). Not
# in a subshell: only this shell can wait for the daemon.
d_stop() { if efw_daemon_stop "$1" 10; then D_RC=$EFW_DAEMON_RC; else D_RC=timeout; fi; }
# has_error FILE LOG: LOG has an error line with FILE:LINE:COL (LINE the
# inverted range's, column 12).
has_error() { grep -F -- "$1:$(bad_line "$1"):12: " "$2" | grep -q error; }
d_diag() { efw_daemon_diag 30; }

# A python3 listener for sd_notify: each datagram becomes one line
# (its assignments separated by spaces).
NOTIFY_SOCK=$EFW_TMP/notify.sock
NOTIFY_LOG=$EFW_TMP/notify.log
notify_listener() {
	efw_bg_in_ns "$E" "$NOTIFY_LOG" "$PY" -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("#listening", flush=True)
while True:
    m = s.recv(65536).decode(errors="replace")
    print(" ".join(m.split()), flush=True)
' "$NOTIFY_SOCK"
	efw_wait_for 3 grep -q '^#listening' "$NOTIFY_LOG"
}
# notify_seq WORD...: the notifications arrived in this order (each WORD
# such as READY=1 found in a datagram after the one matching the word
# before it).
# shellcheck disable=SC2317 # called through efw_wait_for
notify_seq() {
	awk -v seq="$*" 'BEGIN { n = split(seq, w, " "); i = 1 }
		i <= n { for (f = 1; f <= NF; f++) if ($f == w[i]) { i++; break } }
		END { exit !(i > n) }' "$NOTIFY_LOG"
}

# ======================================================================
if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
for p in 7001 7002; do
	udp_receiver_start "$S" "$EFW_SERVER4" "$p" || tap_bail "UDP receiver on $EFW_SERVER4:$p"
done
tap_is "without edgefwd both UDP ports are reached" "$(udp_verdicts pre)" "$V_NONE"

# --- Start, with NOTIFY_SOCKET.
notify_listener || tap_bail "sd_notify listener (python3) on $NOTIFY_SOCK"
write_cfg "$CFG" "$RULES_A"
rc=0
NOTIFY_SOCKET=$NOTIFY_SOCK efw_daemon_start "$CFG" || rc=$?
if [[ $rc -eq 0 ]]; then
	tap_ok "edgefwd --foreground starts and answers on $SOCK"
else
	tap_fail "edgefwd --foreground starts and answers on $SOCK" \
		"efw_daemon_start returned $rc (exit ${EFW_DAEMON_RC:-?})" "$(cat "$EFW_DAEMON_ERR")"
	tap_bail_if_failed "the daemon does not start"
fi
if efw_wait_for 5 notify_seq READY=1; then
	tap_ok "READY=1 sent to NOTIFY_SOCKET"
else
	tap_fail "READY=1 sent to NOTIFY_SOCKET" "notifications:" "$(cat "$NOTIFY_LOG")"
fi
# shellcheck disable=SC2016 # jq program
tap_check "status --json: $IN xdp attached, a ruleset loaded" jq -e --arg in "$IN" '
	.loaded == true and
	([.attachments[] | select(.interface == $in and .hook == "xdp" and .attached == true and .prog_id > 0)] | length) == 1
	and (.attachments | length) == 1' <<<"$(status)"
tap_check "XDP program on $IN" xdp_on_in
tap_is "control socket $SOCK has mode 0600" "$(stat -c %a "$SOCK" 2>&1)" 600

# --- Verdicts of ruleset A.
tap_is "allowed ping $EFW_CLIENT4 is answered" "$(ping_count "$EFW_CLIENT4")" "$PINGS"
tap_is "blocked source $EFW_CLIENT4_BAD gets no reply" "$(ping_count "$EFW_CLIENT4_BAD")" 0
tap_is "UDP: 7001 dropped, 7002 passes (rules A)" "$(udp_verdicts a)" "$V_A"
s1=$(stats) || s1=none
tap_is "drop-bad counted the blocked pings" "$(counter "$s1" drop-bad)" "$PINGS"
tap_is "drop-7001 counted the blocked datagrams" "$(counter "$s1" drop-7001)" "$UDPS"

# --- SIGHUP with a good, changed file (B): new verdicts, kept counter.
hashA=$(hash)
write_cfg "$CFG" "$RULES_B"
efw_daemon_signal HUP
# shellcheck disable=SC2317 # called through efw_wait_for
hash_changed() { [[ $(hash) != "$1" ]]; }
if efw_wait_for 5 hash_changed "$hashA"; then
	tap_ok "SIGHUP: the changed file is in force"
else
	tap_fail "SIGHUP: the changed file is in force" "hash still $hashA" "$(cat "$EFW_DAEMON_ERR")"
fi
hashB=$(hash)
if efw_wait_for 5 notify_seq READY=1 RELOADING=1 READY=1; then
	tap_ok "SIGHUP: RELOADING=1 then READY=1 sent"
else
	tap_fail "SIGHUP: RELOADING=1 then READY=1 sent" "notifications:" "$(cat "$NOTIFY_LOG")"
fi
tap_is "UDP: 7001 passes, 7002 dropped (rules B)" "$(udp_verdicts b)" "$V_B"
tap_is "blocked source still gets no reply" "$(ping_count "$EFW_CLIENT4_BAD")" 0
s2=$(stats) || s2=none
tap_is "drop-bad kept its counter across the SIGHUP reload" "$(counter "$s2" drop-bad)" $((2 * PINGS))
tap_is "drop-7002 counts from zero, drop-7001 is gone" \
	"$(counter "$s2" drop-7002) $(counter "$s2" drop-7001)" "$UDPS missing"

# --- SIGHUP with a bad file: rules B stay, the error is logged, alive.
counts0=$(reload_counts)
write_cfg "$CFG" "$RULES_BAD"
line=$(bad_line "$CFG")
efw_daemon_signal HUP
if efw_wait_for 5 has_error "$CFG" "$EFW_DAEMON_ERR"; then
	tap_ok "SIGHUP with a bad file: the daemon logs $(basename "$CFG"):$line:12: error"
else
	tap_fail "SIGHUP with a bad file: the daemon logs $(basename "$CFG"):$line:12: error" "$(cat "$EFW_DAEMON_ERR")"
fi
sleep 0.2
tap_check "the daemon is still running" efw_daemon_alive
tap_is "the ruleset in force is still B" "$(hash)" "$hashB"
tap_is "UDP after the bad SIGHUP: still rules B" "$(udp_verdicts hb)" "$V_B"
counts1=$(reload_counts)
read -r ok0 fail0 ver0 <<<"$counts0"
[[ $fail0 =~ ^[0-9]+$ ]] && fail0=$((fail0 + 1))
tap_is "status: reloads_failed +1, reloads_ok and version unchanged" "$counts1" "$ok0 $fail0 $ver0"
# The compiler's diagnostics are logged as lines, never as a JSON blob.
tap_check "the daemon's stderr lines all start with 'edgefwd: '" eval "! grep -qv '^edgefwd: ' '$EFW_DAEMON_ERR'"

# --- edgefw reload --socket: good, bad, another file.
write_cfg "$CFG" "$RULES_A"
rc=0
out=$(efw_edgefw --instance "$INST" reload --socket "$SOCK" 2>&1) || rc=$?
tap_is "edgefw reload --socket (good file) exits 0" "$rc" 0
[[ $rc -eq 0 ]] || tap_diag "$out"
tap_is "after reload --socket: the ruleset is A again" "$(hash)" "$hashA"
tap_is "UDP: 7001 dropped, 7002 passes (rules A via reload)" "$(udp_verdicts ra)" "$V_A"

write_cfg "$CFG" "$RULES_BAD"
line=$(bad_line "$CFG")
rc=0
out=$(efw_edgefw --instance "$INST" reload --socket "$SOCK" 2>"$EFW_TMP/reload.err") || rc=$?
tap_is "edgefw reload --socket (bad file) exits 1" "$rc" 1
tap_check "its stderr has the compiler's FILE:LINE:COL error" \
	grep -q "^$CFG:$line:12: error: " "$EFW_TMP/reload.err"
[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "stdout: $out" "stderr: $(cat "$EFW_TMP/reload.err")"
tap_is "after the bad reload: the ruleset is still A" "$(hash)" "$hashA"
tap_is "UDP after the bad reload: still rules A" "$(udp_verdicts rbad)" "$V_A"
tap_check "the daemon is still running" efw_daemon_alive

write_cfg "$CFG" "$RULES_A"
OTHER=$EFW_TMP/other.yaml
write_cfg "$OTHER" "$RULES_B"
rc=0
out=$(efw_edgefw --instance "$INST" reload "$OTHER" --socket "$SOCK" 2>&1) || rc=$?
tap_is "reload of a FILE other than the daemon's config exits 1" "$rc" 1
tap_check "the refusal names the daemon's config file" grep -qF "$CFG" <<<"$out"
[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "$out"
tap_is "after the refused reload: the ruleset is still A" "$(hash)" "$hashA"
rc=0
out=$(efw_edgefw --instance "$INST" reload "$CFG" --socket "$SOCK" 2>&1) || rc=$?
tap_is "reload naming the daemon's own config file exits 0" "$rc" 0
[[ $rc -eq 0 ]] || tap_diag "$out"

# --- The control socket is for root only.
chmod 0711 "$EFW_TMP" # let nobody reach the socket itself
as_nobody() {
	printf '%s\n' '{"command":"reload"}' |
		timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
			socat -t 5 - "UNIX-CONNECT:$SOCK" 2>&1
}
# The same request, by a client that still reads the response when its
# write fails (the daemon may answer a non-root peer and close before the
# request is written: EPIPE, or ECONNRESET after the response). stdout: the
# response; stderr: what went wrong.
as_nobody_reader() {
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
try:
    s.sendall(b"{\"command\":\"reload\"}\n")
except OSError as e:
    print("send: %s" % e, file=sys.stderr)
data = b""
while True:
    try:
        b = s.recv(65536)
    except OSError as e:
        print("recv: %s" % e, file=sys.stderr)
        break
    if not b:
        break
    data += b
sys.stdout.write(data.decode(errors="replace"))
' "$SOCK"
}
write_cfg "$CFG" "$RULES_B" # what a reload would now switch to
counts0=$(reload_counts)
rc=0
out=$(as_nobody) || rc=$?
if [[ $rc -ne 0 ]] && grep -qi "permission denied" <<<"$out"; then
	tap_ok "nobody cannot connect to the 0600 socket (filesystem)"
else
	tap_fail "nobody cannot connect to the 0600 socket (filesystem)" "exit $rc" "$out"
fi
chmod 0666 "$SOCK"
rc=0
out=$(as_nobody_reader 2>"$EFW_TMP/nobody.err") || rc=$?
# shellcheck disable=SC2016 # jq program
if jq -e '.ok == false and .exit == 2 and (.message | test("permission denied"))' <<<"$out" >/dev/null 2>&1; then
	tap_ok "socket made 0666: the daemon answers nobody with ok:false, permission denied"
else
	tap_fail "socket made 0666: the daemon answers nobody with ok:false, permission denied" \
		"exit $rc" "response: $out" "$(cat "$EFW_TMP/nobody.err")"
fi
tap_is "nobody's request reloaded nothing (ruleset A still in force)" "$(hash)" "$hashA"
tap_is "status: reload counters and version unchanged" "$(reload_counts)" "$counts0"
chmod 0600 "$SOCK" 2>/dev/null || true
chmod 0700 "$EFW_TMP"
write_cfg "$CFG" "$RULES_A"

# --- SIGTERM with on-exit: keep: filtering stays.
s3=$(stats) || s3=none
prog_before=$(efw_xdp_prog_id "$IN")
d_stop TERM
tap_is "SIGTERM (on-exit: keep): edgefwd exits 0" "$D_RC" 0
[[ $EFW_TAP_LAST -eq 0 ]] || d_diag
tap_check "the XDP program stays on $IN" xdp_on_in
tap_check "the pins stay" test -d "$EFW_PIN_ROOT/$INST"
tap_check "the control socket file is removed" test ! -e "$SOCK"
tap_is "without the daemon, 7001 is still dropped (rules A)" "$(udp_verdicts k)" "$V_A"
tap_is "without the daemon, the blocked source still gets no reply" "$(ping_count "$EFW_CLIENT4_BAD")" 0

# --- Start again: adopts the instance; then on-exit: detach.
write_cfg "$CFG" "$RULES_A" detach
rc=0
efw_daemon_start "$CFG" || rc=$?
if [[ $rc -eq 0 ]]; then
	tap_ok "edgefwd starts again on the pins left behind"
else
	tap_fail "edgefwd starts again on the pins left behind" \
		"efw_daemon_start returned $rc (exit ${EFW_DAEMON_RC:-?})" "$(cat "$EFW_DAEMON_ERR")"
fi
prog_after=$(efw_xdp_prog_id "$IN")
if [[ $prog_before =~ ^[0-9]+$ && $prog_after == "$prog_before" ]]; then
	tap_ok "adopted: the same XDP program stays on $IN (id $prog_before, not re-attached)"
else
	tap_fail "adopted: the same XDP program stays on $IN (not re-attached)" \
		"before the restart: $prog_before" "after: $prog_after"
fi
s4=$(stats) || s4=none
want=$(counter "$s3" drop-bad)
[[ $want =~ ^[0-9]+$ ]] && want=$((want + PINGS))
tap_is "adopted: drop-bad kept its counter across the restart" "$(counter "$s4" drop-bad)" "$want"
# shellcheck disable=SC2016
tap_check "status --json: $IN xdp attached" jq -e --arg in "$IN" \
	'any(.attachments[]; .interface == $in and .hook == "xdp" and .attached == true)' <<<"$(status)"
tap_is "the adopting daemon filters (rules A)" "$(udp_verdicts ad)" "$V_A"
d_stop TERM
tap_is "SIGTERM (on-exit: detach): edgefwd exits 0" "$D_RC" 0
[[ $EFW_TAP_LAST -eq 0 ]] || d_diag
tap_check "no XDP program left on $IN" eval "! xdp_on_in"
tap_check "the pins are gone" test ! -e "$EFW_PIN_ROOT/$INST"
tap_check "the control socket file is removed" test ! -e "$SOCK"
tap_is "after detach: both UDP ports are reached" "$(udp_verdicts dt)" "$V_NONE"
tap_is "after detach: $EFW_CLIENT4_BAD is answered" "$(ping_count "$EFW_CLIENT4_BAD")" "$PINGS"

# --- A bad config at start: exit 1, FILE:LINE:COL, nothing attached.
BADCFG=$EFW_TMP/bad-start.yaml
write_cfg "$BADCFG" "$RULES_BAD" keep "$INST-bad"
line=$(bad_line "$BADCFG")
for fg in --foreground ""; do
	rc=0
	# shellcheck disable=SC2086 # $fg: one word or none
	in_ns "$E" timeout 20 "$EDGEFWD" --config "$BADCFG" $fg >"$EFW_TMP/bad.out" 2>"$EFW_TMP/bad.err" || rc=$?
	tap_is "bad config at start (${fg:-forking}): exit 1" "$rc" 1
	tap_check "its stderr has $(basename "$BADCFG"):$line:12: error" \
		has_error "$BADCFG" "$EFW_TMP/bad.err"
	[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "$(cat "$EFW_TMP/bad.err")"
	tap_check "nothing attached: no pins for $INST-bad, no XDP on $IN, no socket" \
		eval "test ! -e '$EFW_PIN_ROOT/$INST-bad' && ! xdp_on_in && test ! -e '$SOCK'"
done

tap_done
