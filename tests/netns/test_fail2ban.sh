#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# fail2ban end to end (issue 16): the Debian fail2ban, started by this test
# with its own configuration (a copy of /etc/fail2ban with only our jail),
# watches a log in which one address fails to log in over ssh N times,
# calls the edgefw action (user/integrations/fail2ban/edgefw.conf), and
# from then on that address's packets are dropped while another address's
# pass; `fail2ban-client unbanip` lets it through again.
# shellcheck disable=SC2119
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
efw_daemon_prereqs tools

if ! command -v fail2ban-server >/dev/null || ! command -v fail2ban-client >/dev/null; then
	echo "1..0 # SKIP fail2ban is not installed (scripts/deps.sh installs it)"
	exit 0
fi

C=$EFW_NS_CLIENT
S=$EFW_NS_SERVER
INST=$EFW_INSTANCE
EFW_INSTANCES+=("$INST")
RULES=$EFW_TMP/rules.yaml
F2B=$EFW_TMP/fail2ban
LOG=$EFW_TMP/auth.log
BAD=$EFW_CLIENT4_BAD
GOOD=$EFW_CLIENT4
EDGEFW_ABS=$(readlink -f "$EDGEFW")

f2b() { timeout 20 fail2ban-client -c "$F2B" "$@"; }
stop_f2b() { f2b stop >/dev/null 2>&1 || true; }
trap 'stop_f2b; efw_daemon_cleanup; efw_cleanup' EXIT

cat >"$RULES" <<'EOF'
version: 1
defaults: {xdp: pass, non-ip: pass}
sets:
  f2b: {dynamic: true, type: address, size: 10000}
rules:
  - name: drop-banned
    src: $f2b
    action: drop
EOF

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "static neighbours" efw_static_neigh
tap_check "attach with dynamic set f2b" efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$RULES"
tap_bail_if_failed "cannot attach"

# fail2ban's own tree, with only our jail and our action.
cp -r /etc/fail2ban "$F2B"
rm -f "$F2B"/jail.d/* "$F2B"/jail.local "$F2B"/fail2ban.local
cp user/integrations/fail2ban/edgefw.conf "$F2B/action.d/edgefw.conf"
cat >"$F2B/fail2ban.local" <<EOF
[Definition]
logtarget = $EFW_TMP/fail2ban.log
socket = $EFW_TMP/fail2ban.sock
pidfile = $EFW_TMP/fail2ban.pid
dbfile = :memory:
EOF
cat >"$F2B/jail.local" <<EOF
[DEFAULT]
enabled = false

[edgefw-test]
enabled = true
filter = sshd
backend = polling
logpath = $LOG
maxretry = 3
findtime = 600
bantime = 120
action = edgefw[edgefw="$EDGEFW_ABS", instance=$INST, set=f2b]
EOF
: >"$LOG"
out=$(f2b -x start 2>&1) && rc=0 || rc=$?
tap_is "fail2ban started with the edgefw action ($out)" "$rc" 0
tap_bail_if_failed "fail2ban did not start: $(tail -n 20 "$EFW_TMP/fail2ban.log" 2>/dev/null)"

udp_in() { efw_snmp "$S" snmp Udp InDatagrams; }
# sent_from SRC: 100 datagrams from SRC; prints how many were delivered.
sent_from() {
	local a b
	a=$(udp_in)
	in_ns "$C" "$UDPFLOOD" --src "$1" --dst "$EFW_SERVER4" --port 7000 --pps 500 --count 100 >/dev/null 2>&1 || true
	sleep 0.3
	b=$(udp_in)
	echo $((b - a))
}
efw_bg_in_ns "$S" "$EFW_TMP/sink" "$UDPSINK" --port 7000 --seconds 120
sleep 0.5
tap_is "before any failed login, $BAD passes" "$(sent_from "$BAD")" 100

for i in 1 2 3 4; do
	printf '%s edge sshd[%d]: Failed password for root from %s port %d ssh2\n' \
		"$(date '+%b %e %H:%M:%S')" $((4000 + i)) "$BAD" $((50000 + i)) >>"$LOG"
done
banned() { f2b status edgefw-test 2>/dev/null | grep -q "Banned IP list:.*$BAD"; }
tap_check "fail2ban bans $BAD after 4 failed logins" efw_wait_for 20 banned
out=$(efw_edgefw --instance "$INST" set list f2b --json 2>/dev/null) || true
tap_check "the action put $BAD into set f2b, with a timeout (bantime + 60 s)" \
	jq -e --arg a "$BAD/32" '.list | any(.prefix == $a and .expires_in_ms > 120000 and .expires_in_ms <= 180000)' <<<"$out"
tap_is "$BAD's packets are dropped" "$(sent_from "$BAD")" 0
tap_is "$GOOD's packets pass" "$(sent_from "$GOOD")" 100
out=$(f2b set edgefw-test unbanip "$BAD" 2>&1) && rc=0 || rc=$?
tap_is "fail2ban-client unbanip exits 0 ($out)" "$rc" 0
gone() { ! efw_edgefw --instance "$INST" set list f2b 2>/dev/null | grep -q "^$BAD/32"; }
tap_check "the unban removed it from the set" efw_wait_for 10 gone
tap_is "$BAD passes again" "$(sent_from "$BAD")" 100
tap_check "fail2ban logged no action error" bash -c "! grep -E 'ERROR.*(edgefw|action)' '$EFW_TMP/fail2ban.log'"
stop_f2b
tap_done
