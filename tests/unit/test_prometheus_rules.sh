#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The shipped Prometheus rules and dashboard (user/integrations/prometheus),
# without root: `promtool check rules`, `promtool test rules` (alerts for
# instance down, scrape failing, reload failures, drops per rule over the
# threshold, interfaces not attached; the recording rules' values), and a
# dashboard whose every panel has a query promtool parses. That each query
# returns data from a real Prometheus scraping edgefwd is
# tests/netns/test_prometheus.sh.
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../../user/integrations/prometheus" || exit 2
if ! command -v promtool >/dev/null; then
	echo "1..0 # SKIP promtool is not installed (scripts/deps.sh installs Debian's prometheus)"
	exit 0
fi
n=0
fails=0
check() { # DESC CMD...
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "ok $((n += 1)) - $d"
	else
		echo "not ok $((n += 1)) - $d"
		printf '# %s\n' "${out:0:3000}"
		fails=$((fails + 1))
	fi
}

check "promtool check rules edgefw.rules.yml" promtool check rules edgefw.rules.yml
check "promtool test rules edgefw.rules.test.yml" promtool test rules edgefw.rules.test.yml
for alert in EdgefwScrapeFailing EdgefwInstanceDown EdgefwReloadFailing \
	EdgefwRuleDropsHigh EdgefwInterfaceNotAttached; do
	check "alert $alert is shipped and unit-tested" \
		bash -c 'grep -q "alert: $1\$" edgefw.rules.yml && grep -q "alertname: $1\$" edgefw.rules.test.yml' _ "$alert"
done
exprs=$(jq -r '.panels[].targets[].expr' edgefw-dashboard.json 2>&1)
check "the dashboard is JSON with a query in every panel" \
	jq -e '(.panels | length) > 0 and all(.panels[]; (.targets | length) > 0 and all(.targets[]; .expr | length > 0))' \
	edgefw-dashboard.json
# promtool has no "check expression": a rule file made of the queries does.
{
	echo "groups: [{name: dashboard, rules: ["
	i=0
	while read -r e; do
		printf '  {record: "dashboard:q%d", expr: %s},\n' "$i" "$(jq -Rn --arg e "$e" '$e')"
		i=$((i + 1))
	done <<<"$exprs"
	echo "]}]"
} >"${TMPDIR:-/tmp}/efw-dash-$$.yml"
check "every dashboard query parses" promtool check rules "${TMPDIR:-/tmp}/efw-dash-$$.yml"
rm -f "${TMPDIR:-/tmp}/efw-dash-$$.yml"
echo "1..$n"
[[ $fails -eq 0 ]]
