#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The shipped logrotate snippet (scripts/etc/edgefw.logrotate, installed
# as /etc/logrotate.d/edgefw) run by logrotate(8) itself against edgefwd's
# drop log: the old file is rotated, edgefwd gets SIGUSR1 through the pid
# file and writes the next logged drop to a new file, and the rules are
# not reloaded (reload counters and ruleset version unchanged). Also the
# metrics of issue 17: edgefw_build_info, the reload-duration histogram,
# capacity and use.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs
command -v logrotate >/dev/null || tap_bail "test tools installed" "missing: logrotate (scripts/deps.sh)"
command -v curl >/dev/null || tap_bail "test tools installed" "missing: curl"

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
CFG=$EFW_TMP/edgefwd.yaml
DROPLOG=$EFW_TMP/drops.log
PIDFILE=$EFW_TMP/edgefwd.pid
PORT=$((20000 + RANDOM % 40000))
URL=http://127.0.0.1:$PORT
V=$(cat "$EFW_REPO/VERSION")

scrape() { in_ns "$E" curl -sf --max-time 5 "$URL/metrics" 2>/dev/null || echo "scrape failed"; }
sample() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print "missing" }' <<<"$1"; }
send_logged() { # TAG
	printf '%-31.31s\n' "$1" | in_ns "$C" timeout 5 socat -u STDIN \
		"UDP4-SENDTO:$EFW_SERVER4:7001,bind=$EFW_CLIENT4_BAD:40001,reuseaddr"
}
has_line() { [[ -f $1 ]] && grep -q "\"rule\":\"log-7001\"" "$1"; }

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

efw_daemon_config "$CFG" --metrics "127.0.0.1:$PORT" --drop-log "$DROPLOG" <<'EOF_RULES'
rules:
  - {name: log-7001, proto: udp, dport: 7001, action: drop, log: true}
EOF_RULES
efw_daemon_start "$CFG" --pid-file "$PIDFILE" || tap_bail "edgefwd starts" "$(cat "$EFW_DAEMON_ERR" 2>/dev/null)"
efw_wait_for 10 test -s "$PIDFILE" || tap_bail "edgefwd writes its pid file"
send_logged first || true
tap_check "a logged drop is in $(basename "$DROPLOG")" efw_wait_for 5 has_line "$DROPLOG"

m0=$(scrape)
tap_is "edgefw_build_info{version=\"$V\"} 1" "$(sample "$m0" "edgefw_build_info{version=\"$V\"}")" 1
tap_check "the reload-duration histogram is there" grep -q '^edgefw_reload_duration_seconds_bucket{le="+Inf"} ' <<<"$m0"
# cap_and_use RESOURCE: both samples there and above 0.
cap_and_use() {
	local c u
	c=$(sample "$m0" "edgefw_capacity{resource=\"$1\"}")
	u=$(sample "$m0" "edgefw_usage{resource=\"$1\"}")
	[[ $c =~ ^[1-9][0-9]*$ && $u =~ ^[1-9][0-9]*$ && $u -le $c ]]
}
for r in cells classes; do
	tap_check "edgefw_capacity and edgefw_usage of $r: from the instance and the tables in force" cap_and_use "$r"
done
tap_is "one rule used" "$(sample "$m0" 'edgefw_usage{resource="rules"}')" 1
ok0=$(sample "$m0" 'edgefw_reloads_total{result="success"}')
v0=$(sample "$m0" edgefw_ruleset_version)

# The shipped snippet, pointed at this test's log and pid file.
sed -e "s|/var/log/edgefw/\*.log|$DROPLOG|" -e "s|/run/edgefwd.pid|$PIDFILE|" \
	"$EFW_REPO/scripts/etc/edgefw.logrotate" >"$EFW_TMP/logrotate.conf"
# On a machine run by systemd the snippet would ask systemctl; here (PID 1
# is not systemd, or the unit is not running) it uses the pid file.
if [[ -d /run/systemd/system ]] && systemctl -q is-active edgefwd.service 2>/dev/null; then
	tap_skip "logrotate with the shipped snippet" "an edgefwd.service runs on this machine"
else
	out=$(logrotate -f -s "$EFW_TMP/logrotate.state" "$EFW_TMP/logrotate.conf" 2>&1) ||
		tap_fail "logrotate -f with the shipped snippet" "$out"
	tap_check "logrotate rotated the drop log (delaycompress: $(basename "$DROPLOG").1)" \
		has_line "$DROPLOG.1"
	tap_check "edgefwd logged the SIGUSR1 reopen" efw_daemon_wait_log "SIGUSR1: reopening the drop log" 5
	send_logged second || true
	tap_check "the next logged drop goes to a new $(basename "$DROPLOG")" efw_wait_for 5 has_line "$DROPLOG"
	tap_is "... and not to the rotated file" "$(grep -c log-7001 "$DROPLOG.1")" 1
	m1=$(scrape)
	tap_is "SIGUSR1 reloaded nothing: reloads and ruleset version unchanged" \
		"$(sample "$m1" 'edgefw_reloads_total{result="success"}') $(sample "$m1" edgefw_ruleset_version)" \
		"$ok0 $v0"
fi
tap_check "edgefwd still runs" efw_daemon_alive
tap_done
