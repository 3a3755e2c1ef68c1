#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A real Prometheus (Debian's) scraping edgefwd in the test namespace, with
# the shipped rules (user/integrations/prometheus/edgefw.rules.yml) loaded:
# - through its HTTP API, rate(edgefw_rule_packets_total{rule=...}[10s])
#   follows the traffic sent (crafted frames at 200/s, then 400/s, then
#   none), within a tolerance for scrape timing;
# - the shipped rules load and evaluate (health ok), the recording rules
#   give data, and the alerts are quiet on a healthy edge;
# - every query of the shipped dashboard returns data.
# Bounded: about a minute (1 s scrapes and evaluations).
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs
if ! command -v prometheus >/dev/null; then
	echo "1..0 # SKIP prometheus is not installed (scripts/deps.sh installs Debian's)"
	exit 0
fi
FLOWSEND=$EFW_TOOLS/flowsend
[[ -x $FLOWSEND ]] || tap_bail "test tools built" "$FLOWSEND not found (make test-build)"
PROM_DIR=$EFW_REPO/user/integrations/prometheus
# Both listen on the edge namespace's own loopback: no port is shared
# with the host or another test.
METRICS=127.0.0.1:9469
PROM=127.0.0.1:9090

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
EDGE_MAC=$(in_ns "$EFW_NS_EDGE" ip -j link show dev "$EFW_IF_EDGE_IN" | jq -r '.[0].address')

efw_daemon_config "$EFW_TMP/edgefwd.yaml" --metrics "$METRICS" <<'YAML'
rules:
  - {name: drop-scan, src: 10.99.0.0/16, proto: tcp, action: drop}
  - {name: pass-web, proto: tcp, dport: 80, action: pass}
YAML
efw_daemon_start "$EFW_TMP/edgefwd.yaml" || tap_bail "edgefwd starts" "$(cat "$EFW_DAEMON_ERR")"
tap_ok "edgefwd serves metrics on $METRICS in the edge namespace ($EFW_ID)"

cat >"$EFW_TMP/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$PROM_DIR/edgefw.rules.yml"]
scrape_configs:
  - job_name: edgefw
    static_configs: [{targets: ["$METRICS"]}]
YAML
efw_bg_in_ns "$EFW_NS_EDGE" "$EFW_TMP/prometheus.out" prometheus \
	--config.file="$EFW_TMP/prometheus.yml" --storage.tsdb.path="$EFW_TMP/tsdb" \
	--web.listen-address="$PROM" --log.level=warn
PROM_PID=$EFW_BG_PID

api() { # PATH [curl args]
	local path=$1
	shift
	in_ns "$EFW_NS_EDGE" curl -s -m 5 "$@" "http://$PROM$path"
}
query() { api /api/v1/query --data-urlencode "query=$1"; }
value() { query "$1" | jq -r '.data.result[0].value[1] // "none"' 2>/dev/null || echo none; }
ready() { [[ $(api /-/ready 2>/dev/null) == *Ready* ]]; }
scraping() { [[ $(value 'up{job="edgefw"}') == 1 ]]; }

if efw_wait_for 30 ready && efw_wait_for 30 scraping; then
	tap_ok "prometheus $(prometheus --version 2>&1 | awk 'NR == 1 { print $3 }') is up and scrapes edgefwd"
else
	tap_bail "prometheus is up and scrapes edgefwd" "$(tail -5 "$EFW_TMP/prometheus.out.err")"
fi

rules=$(api /api/v1/rules)
tap_check "the shipped rules are loaded, every one healthy" jq -e '
	[.data.groups[].rules[]] | length == 9 and all(.health == "ok")' <<<"$rules"

# send PPS SECONDS: crafted TCP SYNs from 10.99.0.7 (drop-scan's) into the edge.
send() {
	echo "6 10.99.0.7 198.51.100.1 40000 22" >"$EFW_TMP/flows"
	efw_bg_in_ns "$EFW_NS_CLIENT" "$EFW_TMP/sent" "$FLOWSEND" --dev "$EFW_IF_CLIENT" \
		--dst-mac "$EDGE_MAC" --flows "$EFW_TMP/flows" --pps "$1" --seconds "$2"
	SENDER=$EFW_BG_PID
}
RATE='rate(edgefw_rule_packets_total{job="edgefw", rule="drop-scan"}[10s])'
near() { # GOT WANT: within 30% (scrapes are 1 s apart, the window 10 s)
	awk -v g="$1" -v w="$2" 'BEGIN { exit !(g != "none" && g >= w * 0.7 && g <= w * 1.3) }'
}
for pps in 200 400; do
	send "$pps" 16
	sleep 13
	got=$(value "$RATE")
	if near "$got" "$pps"; then
		tap_ok "at $pps frames/s, $RATE is $got"
	else
		tap_fail "at $pps frames/s, the rule's rate follows" "got $got" \
			"edgefw stats: $(efw_stats_json | jq -c '.rules')"
	fi
	efw_wait_pid "$SENDER" 10 || true
done
sleep 11
got=$(value "$RATE")
tap_check "after the traffic stops, the rate falls to 0 ($got)" \
	awk -v g="$got" 'BEGIN { exit !(g != "none" && g < 1) }'
tap_is "pass-web saw none of it" "$(value 'edgefw_rule_packets_total{rule="pass-web"}')" 0

# --- Alerts quiet on a healthy edge; the recording rules have data.
tap_is "no shipped alert fires" "$(api /api/v1/alerts | jq -c '[.data.alerts[] | select(.state == "firing") | .labels.alertname]')" "[]"
tap_check "edgefw:rule_drops:rate5m has drop-scan" \
	jq -e '[.data.result[].metric.rule] | index("drop-scan") != null' <<<"$(query 'edgefw:rule_drops:rate5m')"

# --- Every query of the shipped dashboard returns data.
while read -r expr; do
	n=$(query "$expr" | jq -r '.data.result | length' 2>/dev/null || echo 0)
	tap_check "dashboard query returns data ($n series): $expr" test "$n" -gt 0
done < <(jq -r '.panels[].targets[].expr' "$PROM_DIR/edgefw-dashboard.json")

efw_stop_pid "$PROM_PID"
tap_done
