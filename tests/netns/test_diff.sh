#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefw reload --dry-run and diff against real traffic. A ruleset is
# attached at XDP; four hand-made changes of known effect (a port widened,
# a rule moved above one it now shadows, an address added to a list file,
# a reorder that changes nothing) are each dry-run against the rules in
# force: the verdict changes must be exactly the expected ones. Then the
# change is really reloaded and every example packet the dry run printed
# is sent (crafted frames, tests/tools/flowsend): the rule (or default)
# the dry run named as the new outcome counts it. Last, the tables: OLD's
# memory as the instance recorded it, equal to compile's estimate, and the
# change.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
INST=$EFW_INSTANCE
FLOWSEND=$EFW_REPO/build/tests/tools/flowsend
[[ -x $FLOWSEND ]] || tap_bail "test tools built" "$FLOWSEND not found (make test-build)"
FRAMES=5

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
EDGE_MAC=$(in_ns "$EFW_NS_EDGE" ip -j link show dev "$EFW_IF_EDGE_IN" | jq -r '.[0].address')

D=$EFW_TMP
echo 192.0.2.66 >"$D/bad.txt"
cat >"$D/a.yaml" <<'YAML'
version: 1
sets:
  bad: {files: [bad.txt]}
rules:
  - {name: allow-admin-ssh, src: 10.1.0.0/16, proto: tcp, dport: 22, action: pass}
  - {name: block-ssh, proto: tcp, dport: 22, action: drop}
  - {name: drop-bad, src: $bad, action: drop}
  - {name: web, proto: tcp, dport: 80, action: pass}
  - {name: dns, proto: udp, dport: 53, action: pass}
YAML
sed 's/dport: 80, action/dport: 80-81, action/' "$D/a.yaml" >"$D/widen.yaml"
awk '/allow-admin-ssh/ { held = $0; next } { print } /block-ssh/ { print held }' \
	"$D/a.yaml" >"$D/moved.yaml"
awk '/name: web/ { held = $0; next } { print } /name: dns/ { print held }' \
	"$D/a.yaml" >"$D/noop.yaml"

out=$(efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$D/a.yaml" 2>&1) ||
	tap_bail "attach a.yaml" "$out"
tap_ok "attached a.yaml at XDP ($EFW_ID)"

# --- Without root and without an instance: files and standard input.
out=$(cd "$D" && "$EDGEFW" diff a.yaml - <widen.yaml 2>&1) || true
tap_check "diff FILE - prints the widened port's packet as documented" grep -qF \
	"tcp 203.0.113.9:1234 -> 198.51.100.1:81: pass (default) -> pass (rule web)" <<<"$out"

counter() { # NAME: the rule's packets, or the xdp default's for "default"
	if [[ $1 == default ]]; then
		jq -r '[.defaults[] | select(.hook == "xdp") | .packets] | add // 0' <<<"$2"
	else
		jq -r --arg n "$1" '[.rules[] | select(.name == $n) | .packets] | add // 0' <<<"$2"
	fi
}
stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null; }

# dry_run LABEL FILE EXPECTED: the dry run's groups ("FROM -> TO" per line,
# sorted) must be EXPECTED; then the real reload, and the replay.
case_run() {
	local label=$1 file=$2 want=$3 out groups before after flow who n
	out=$(efw_edgefw --instance "$INST" reload --dry-run "$file" --json 2>/dev/null) || true
	groups=$(jq -r '.verdict_changes.groups[] |
		"\(.from.action) (\(.from.rule // "default")) -> \(.to.action) (\(.to.rule // "default"))"' \
		<<<"$out" 2>/dev/null | sort)
	tap_is "$label: the dry run's verdict changes" "$groups" "$want"
	tap_check "$label: the dry run is complete (within its budget)" \
		jq -e '.verdict_changes.complete == true' <<<"$out"
	jq -c '.verdict_changes.groups[] | .to as $to | .examples[] |
		({"tcp": 6, "udp": 17, "sctp": 132}[.protocol] // .protocol) as $p |
		{flow: "\($p) \(.src) \(.dst) \(.sport) \(.dport)", to: ($to.rule // "default")}' \
		<<<"$out" >"$D/examples" 2>/dev/null || true
	out=$(efw_edgefw --instance "$INST" reload "$file" 2>&1) || tap_fail "$label: reload" "$out"
	n=0
	while read -r ex; do
		flow=$(jq -r .flow <<<"$ex")
		who=$(jq -r .to <<<"$ex")
		echo "$flow" >"$D/flow"
		before=$(counter "$who" "$(stats)")
		in_ns "$EFW_NS_CLIENT" "$FLOWSEND" --dev "$EFW_IF_CLIENT" --dst-mac "$EDGE_MAC" \
			--flows "$D/flow" --count "$FRAMES" --pps 1000 >/dev/null 2>&1 || true
		after=$(counter "$who" "$(stats)")
		tap_is "$label: after the reload, '$flow' is counted by $who" \
			"$((after - before))" "$FRAMES"
		n=$((n + 1))
	done <"$D/examples"
	[[ -z $want ]] || tap_check "$label: examples were replayed" test "$n" -gt 0
}

case_run "port widened" "$D/widen.yaml" "pass (default) -> pass (web)"
efw_edgefw --instance "$INST" reload "$D/a.yaml" >/dev/null 2>&1
case_run "rule moved above one it now shadows" "$D/moved.yaml" \
	"pass (allow-admin-ssh) -> drop (block-ssh)"
efw_edgefw --instance "$INST" reload "$D/a.yaml" >/dev/null 2>&1
# The rules file is the same: only the list file it names gained an entry.
printf '192.0.2.66\n192.0.2.77\n' >"$D/bad.txt"
case_run "an address added to a list file" "$D/a.yaml" "pass (web) -> drop (drop-bad)"
out=$(efw_edgefw --instance "$INST" reload --dry-run "$D/a.yaml" 2>&1) || true
tap_check "the same file again: no verdict change, said so" grep -q "^verdicts: no verdict change" <<<"$out"
efw_edgefw --instance "$INST" reload "$D/a.yaml" >/dev/null 2>&1
case_run "a reorder that changes nothing" "$D/noop.yaml" ""
out=$(efw_edgefw --instance "$INST" reload --dry-run "$D/a.yaml" 2>&1) || true
tap_check "... its text says 'no verdict change' and names the move" \
	bash -c 'grep -q "^verdicts: no verdict change" <<<"$1" && grep -qE "(web|dns): moved" <<<"$1"' _ "$out"

# --- diff @active, and the JSON keys.
out=$(efw_edgefw --instance "$INST" diff @active "$D/widen.yaml" --json 2>/dev/null) || true
doc=$(awk '$0 == "<!-- json: diff -->" { f = 1; next } f && /^```json/ { g = 1; next }
	g && /^```/ { exit } g { print }' "$EFW_REPO/user/json.md" | jq -c keys)
tap_is "diff --json has the documented keys" "$(jq -c keys <<<"$out")" "$doc"
tap_check "diff @active names the instance's generation" \
	jq -e '(.old | test("^@active \\(instance ")) and .rules.changed[0].name == "web"
		and .rules.changed[0].fields == ["dport"] and .counters.kept == 5' <<<"$out"
doc=$(awk '$0 == "<!-- json: diff -->" { f = 1; next } f && /^```json/ { g = 1; next }
	g && /^```/ { exit } g { print }' "$EFW_REPO/user/json.md" |
	jq -c '[(.tables | keys), (.tables.old | keys), (.tables.change | keys)]')
tap_is "diff --json's tables have the documented keys" \
	"$(jq -c '[(.tables | keys), (.tables.old | keys), (.tables.change | keys)]' <<<"$out")" "$doc"

# --- Memory: OLD's is the compiler's estimate the instance recorded when
# it loaded the ruleset in force (not compiled again), equal to what
# `edgefw compile` estimates for the same rules; the change is NEW's minus
# it. noop.yaml is in force; big.yaml adds 300 rules.
mem_of() { "$EDGEFW" compile "$1" --json 2>/dev/null | jq -r '.memory_bytes // empty'; }
{
	cat "$D/noop.yaml"
	for i in $(seq 1 300); do
		echo "  - {name: big$i, src: 10.$((100 + i / 200)).$((i % 200)).0/24, dst: 172.16.$((i % 97)).0/24, proto: tcp, dport: $((1000 + i)), action: drop}"
	done
} >"$D/big.yaml"
m_small=$(mem_of "$D/noop.yaml")
m_big=$(mem_of "$D/big.yaml")
tap_check "compile estimates both rulesets' memory, and they differ" \
	bash -c '[[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $1 != "$2" ]]' _ "$m_small" "$m_big"
out=$(efw_edgefw --instance "$INST" reload --dry-run "$D/big.yaml" --json 2>/dev/null) || true
tap_is "dry run: OLD's memory is the estimate recorded at load, as compile gives it" \
	"$(jq -r '"\(.tables.old.source) \(.tables.old.memory_bytes)"' <<<"$out" 2>/dev/null)" \
	"instance $m_small"
tap_is "dry run: NEW's memory is compile's estimate" \
	"$(jq -r .tables.new.memory_bytes <<<"$out" 2>/dev/null)" "$m_big"
tap_is "dry run: the memory change is NEW's minus OLD's" \
	"$(jq -r .tables.change.memory_bytes <<<"$out" 2>/dev/null)" "$((m_big - m_small))"
tap_is "dry run: the change of every table figure is NEW's minus OLD's" \
	"$(jq -c '.tables as $t | [$t.change | keys[] | . as $k | $t.new[$k] - $t.old[$k] == $t.change[$k]] | all' \
		<<<"$out" 2>/dev/null)" true
out=$(efw_edgefw --instance "$INST" reload --dry-run "$D/big.yaml" 2>&1) || true
tap_check "dry run text: 'memory OLD KiB -> NEW KiB'" grep -qF \
	"memory $(((m_small + 1023) / 1024)) KiB -> $(((m_big + 1023) / 1024)) KiB (+" <<<"$out"
# The record follows the generation: after the reload, big.yaml's is OLD.
out=$(efw_edgefw --instance "$INST" reload "$D/big.yaml" 2>&1) || tap_fail "reload big.yaml" "$out"
out=$(efw_edgefw --instance "$INST" diff @active "$D/noop.yaml" --json 2>/dev/null) || true
tap_is "after the reload, diff @active: OLD's memory is big.yaml's, the change negative" \
	"$(jq -r '"\(.tables.old.memory_bytes) \(.tables.change.memory_bytes)"' <<<"$out" 2>/dev/null)" \
	"$m_big $((m_small - m_big))"
# A rule bound to a hook makes the tables depend on the interfaces (a
# context per interface and hook): against @active the file is compiled
# for the instance's interfaces, so the same rules change nothing.
sed 's/^\(  - {name: dns,.*\)action: pass}/\1hooks: [xdp], action: pass}/' "$D/a.yaml" >"$D/hooked.yaml"
out=$(efw_edgefw --instance "$INST" reload "$D/hooked.yaml" 2>&1) || tap_fail "reload hooked.yaml" "$out"
out=$(efw_edgefw --instance "$INST" reload --dry-run "$D/hooked.yaml" --json 2>/dev/null) || true
tap_check "hooked rules against themselves: no table or memory change" \
	jq -e '.tables.old.memory_bytes > 0 and ([.tables.change[]] | all(. == 0))' <<<"$out"
tap_check "... which compiled for no interface would differ (the check above can tell)" \
	bash -c '[[ $1 =~ ^[0-9]+$ && $1 != "$2" ]]' _ "$(mem_of "$D/hooked.yaml")" \
	"$(jq -r .tables.old.memory_bytes <<<"$out" 2>/dev/null)"
tap_done
