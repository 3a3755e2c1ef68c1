#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# CrowdSec end to end (issue 16): a real CrowdSec local API (Debian's
# crowdsec, `crowdsec -no-cs`, its own config and database in the test's
# directory, no Central API) runs in the edge namespace; edgefwd follows its
# decisions stream as a registered bouncer (daemon.crowdsec). `cscli
# decisions add --ip A --duration 1m` makes A's flow drop within the poll
# interval, with the decision's duration as the entry's timeout; the local
# API is restarted while edgefwd runs: the ban stays in force and the stream
# resumes (a decision deleted after the restart lets A pass).
# shellcheck disable=SC2119
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
efw_daemon_prereqs tools

if ! command -v crowdsec >/dev/null || ! command -v cscli >/dev/null; then
	echo "1..0 # SKIP crowdsec is not installed (scripts/deps.sh installs it)"
	exit 0
fi

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
A=$EFW_CLIENT4
B=$EFW_CLIENT4_BAD
CS=$EFW_TMP/crowdsec
PORT=$((20000 + RANDOM % 20000))
KEY=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
CONF=$EFW_TMP/edgefwd.yaml

mkdir -p "$CS/data" "$CS/notifications"
: >"$CS/acquis.yaml"
cat >"$CS/config.yaml" <<EOF
common:
  daemonize: false
  log_media: file
  log_level: info
  log_dir: $CS/
  working_dir: .
config_paths:
  config_dir: $CS/
  data_dir: $CS/data/
  simulation_path: /etc/crowdsec/simulation.yaml
  hub_dir: /var/lib/crowdsec/hub/
  index_path: /var/lib/crowdsec/hub/.index.json
  notification_dir: $CS/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service:
  acquisition_path: $CS/acquis.yaml
db_config:
  log_level: info
  type: sqlite
  use_wal: false
  db_path: $CS/data/crowdsec.db
api:
  client:
    credentials_path: $CS/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: 127.0.0.1:$PORT
    profiles_path: /etc/crowdsec/profiles.yaml
    trusted_ips: [127.0.0.1]
prometheus:
  enabled: false
EOF
cscli_() { in_ns "$E" timeout 30 cscli -c "$CS/config.yaml" "$@"; }
lapi_up() { in_ns "$E" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; }
LAPI_PID=""
lapi_start() {
	efw_bg_in_ns "$E" "$EFW_TMP/lapi.out" crowdsec -c "$CS/config.yaml" -no-cs
	LAPI_PID=$EFW_BG_PID
	efw_wait_for 20 lapi_up
}
lapi_stop() {
	[[ -n $LAPI_PID ]] && efw_stop_pid "$LAPI_PID"
	LAPI_PID=""
}

efw_daemon_config "$CONF" <<EOF
defaults: {xdp: pass, non-ip: pass}
sets:
  crowdsec: {dynamic: true, size: 10000}
rules:
  - name: drop-crowdsec
    src: \$crowdsec
    action: drop
EOF
# The daemon section is written by efw_daemon_config; the bouncer's part
# goes under it.
sed -i "/^daemon:/a\\  crowdsec: {url: \"http://127.0.0.1:$PORT\", key: \"$KEY\", set: crowdsec, interval: 1s}" "$CONF"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "static neighbours, loopback up in the edge namespace" eval "efw_static_neigh && in_ns $E ip link set lo up"
tap_check "a machine and the bouncer registered with the local API" eval "
	cscli_ machines add efwtest --auto --force &&
	cscli_ bouncers add edgefwd-test -k '$KEY'"
# Not through tap_check: its command runs in a subshell, and LAPI_PID must stay.
if lapi_start; then tap_ok "the CrowdSec local API started on 127.0.0.1:$PORT"; else tap_fail "the CrowdSec local API started"; fi
tap_bail_if_failed "no local API: $(tail -n 5 "$CS/crowdsec.log" 2>/dev/null)"
if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started with daemon.crowdsec"
else
	efw_daemon_diag
	tap_bail "edgefwd started"
fi

udp_in() { efw_snmp "$S" snmp Udp InDatagrams; }
delivered_in() {
	local a b
	sleep 0.1
	a=$(udp_in)
	sleep "$1"
	b=$(udp_in)
	echo $((b - a))
}
efw_bg_in_ns "$S" "$EFW_TMP/sink" "$UDPSINK" --port 7000 --seconds 90
efw_bg_in_ns "$C" "$EFW_TMP/flood" "$UDPFLOOD" --src "$A" --dst "$EFW_SERVER4" --port 7000 --pps 500 --seconds 88
sleep 1
tap_check "the flow is delivered before any decision" test "$(delivered_in 1)" -gt 250

t0=${EPOCHREALTIME//[.,]/}
tap_check "cscli decisions add --ip $A --duration 1m" cscli_ decisions add --ip "$A" --duration 1m
in_set() { efw_edgefw --instance "$EFW_INSTANCE" set list crowdsec 2>/dev/null | grep -q "^$1/32"; }
tap_check "edgefwd applies it within the 1 s poll interval (5 s allowed on this machine)" efw_wait_for 5 in_set "$A"
t1=${EPOCHREALTIME//[.,]/}
tap_diag "decision to set entry: $(((t1 - t0) / 1000)) ms, cscli included"
tap_is "from then on the flow is dropped" "$(delivered_in 1)" 0
out=$(efw_edgefw --instance "$EFW_INSTANCE" set list crowdsec --json 2>/dev/null) || true
tap_check "the entry carries the decision's duration (at most 1 min)" \
	jq -e --arg a "$A/32" '.list | any(.prefix == $a and .expires_in_ms > 40000 and .expires_in_ms <= 60000)' <<<"$out"
tap_check "edgefwd logged the ban" efw_daemon_wait_log "crowdsec: 1 bans applied to set 'crowdsec'" 3

lapi_stop
tap_check "it is down" bash -c "! nsenter --net=/run/netns/$E bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT' 2>/dev/null"
tap_check "with the local API down, edgefwd says so" efw_daemon_wait_log "crowdsec: the local API at 127.0.0.1:$PORT does not answer" 5
[[ $EFW_TAP_LAST -eq 0 ]] || efw_daemon_diag 10
tap_is "and the ban stays in force" "$(delivered_in 1)" 0
if lapi_start; then tap_ok "the local API restarted"; else tap_fail "the local API restarted"; fi
tap_check "edgefwd sees it answer again" efw_daemon_wait_log "answers again; the decisions stream resumes" 5
tap_is "the ban is still in force after the restart" "$(delivered_in 1)" 0
tap_check "a ban decided after the restart reaches the set too" eval "
	cscli_ decisions add --ip $B --duration 2m >/dev/null && efw_wait_for 5 in_set $B"
tap_check "cscli decisions delete --ip $A" cscli_ decisions delete --ip "$A"
gone() { ! in_set "$1"; }
tap_check "edgefwd lifts it within the poll interval" efw_wait_for 5 gone "$A"
tap_check "and the flow is delivered again" test "$(delivered_in 1)" -gt 250
tap_check "edgefwd is still running" efw_daemon_alive
lapi_stop
tap_done
