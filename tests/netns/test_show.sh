#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefw show: the ruleset in force, read from the instance, round trips.
# For every example in rules/ and the ClassBench sets (converted as
# tests/tools/classbench does; skipped with a message when
# ../shared/data/classbench is absent): reload it, then `show --full` is
# YAML that `edgefw check` accepts and that has the ruleset hash status
# shows, which is also the hash `check` gives the original file; the
# summary (`show`) passes check too, and `show --json` has the documented
# keys. The rules file is then edited on disk: show still prints what is
# in force. Consistency: a copy that is not the active generation's is
# refused, not shown.
# ClassBench round trips up to 10k rules, each compiled three times:
# efw-timeout: 400
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
INST=$EFW_INSTANCE
CLASSBENCH=$EFW_REPO/build/tests/tools/classbench
CB_DIR=$EFW_REPO/../shared/data/classbench
CB_SETS=(acl1_1k fw1_1k ipc1_1k acl1_10k fw1_10k ipc1_10k)

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
# vlan-edge.yaml redirects to scrub0.
in_ns "$EFW_NS_EDGE" ip link add scrub0 type veth peer name scrub0p
in_ns "$EFW_NS_EDGE" ip link set scrub0 up
out=$(efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$EFW_RULES_DEMO" 2>&1) ||
	tap_bail "attach demo.yaml" "$out"
tap_ok "attached demo.yaml ($EFW_ID)"

file_hash() { "$EDGEFW" check "$1" --json 2>/dev/null | jq -r '.ruleset_hash // "none"'; }
status_hash() { efw_edgefw --instance "$INST" status --json 2>/dev/null | jq -r '.ruleset_hash // "none"'; }

# round_trip LABEL FILE
round_trip() {
	local label=$1 f=$2 want got out
	if ! out=$(efw_edgefw --instance "$INST" reload "$f" 2>&1); then
		tap_fail "$label: reload" "$out"
		return
	fi
	want=$(file_hash "$f")
	tap_is "$label: status shows the hash check gives the file" "$(status_hash)" "$want"
	efw_edgefw --instance "$INST" show --full >"$EFW_TMP/full.yaml" 2>"$EFW_TMP/err" ||
		tap_diag "show --full: $(cat "$EFW_TMP/err")"
	got=$(file_hash "$EFW_TMP/full.yaml")
	tap_is "$label: show --full passes check with the same hash" "$got" "$want"
	efw_edgefw --instance "$INST" show >"$EFW_TMP/summary.yaml" 2>/dev/null || true
	tap_check "$label: the summary passes check" "$EDGEFW" check "$EFW_TMP/summary.yaml"
	# A summary that does not say it is one is the ruleset.
	if ! grep -q '^# SUMMARY' "$EFW_TMP/summary.yaml"; then
		tap_is "$label: a summary not marked as one compiles to the hash" \
			"$(file_hash "$EFW_TMP/summary.yaml")" "$want"
	fi
}

for f in "$EFW_REPO"/rules/*.yaml; do
	round_trip "${f##*/}" "$f"
done

# --- show --json: the documented keys and what they say.
{
	printf 'version: 1\nsets:\n  many:\n    addresses:\n'
	for i in $(seq 1 20); do printf '      - 198.51.100.%d\n' "$i"; done
	printf 'rules:\n  - {name: many-out, src: $many, action: drop}\n'
} >"$EFW_TMP/many.yaml"
efw_edgefw --instance "$INST" reload "$EFW_TMP/many.yaml" >/dev/null 2>&1
out=$(efw_edgefw --instance "$INST" show --json 2>/dev/null)
doc=$(awk '$0 == "<!-- json: show -->" { f = 1; next } f && /^```json/ { g = 1; next }
	g && /^```/ { exit } g { print }' "$EFW_REPO/user/json.md" | jq -c keys)
tap_is "show --json has the documented keys" "$(jq -c keys <<<"$out")" "$doc"
tap_check "show --json: a summarised set says how many entries and shows the first 5" jq -e '
	.full == false and .rules == 1
	and .sets == [{"name": "many", "type": "address", "entries": 20, "first":
		["198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32", "198.51.100.4/32", "198.51.100.5/32"]}]
	and (.yaml | test("# ... and 15 more of 20 entries"))' <<<"$out"
tap_is "show --json --full: every entry" \
	"$(efw_edgefw --instance "$INST" show --json --full 2>/dev/null | jq '[.full, (.sets[0].first | length)]' -c)" '[true,20]'

tap_is "show --json: the hash is status's" "$(jq -r .ruleset_hash <<<"$out")" "$(status_hash)"

# --- A summary that cut a set says plainly it does not reproduce the hash,
# and indeed does not; one that cut nothing is the ruleset.
tap_is "show --json: a summary that cut a set does not reproduce the hash" \
	"$(jq -c '[.reproduces_hash, .full]' <<<"$out")" '[false,false]'
efw_edgefw --instance "$INST" show >"$EFW_TMP/cut.yaml" 2>/dev/null
tap_check "show: the summary says it is one, and not the hash's text" \
	grep -q "^# SUMMARY, not the ruleset: .* does NOT compile to that hash" "$EFW_TMP/cut.yaml"
tap_check "... and it does compile to another hash" \
	bash -c '[[ $1 != "$2" && $1 != none ]]' _ "$(file_hash "$EFW_TMP/cut.yaml")" "$(status_hash)"
sed -i '/198\.51\.100\.[4-9]$/d; /198\.51\.100\.[12][0-9]$/d' "$EFW_TMP/many.yaml"
efw_edgefw --instance "$INST" reload "$EFW_TMP/many.yaml" >/dev/null 2>&1
tap_is "show --json: a summary that cut nothing reproduces the hash" \
	"$(efw_edgefw --instance "$INST" show --json 2>/dev/null | jq -c '[.reproduces_hash, .sets[0].entries]')" '[true,3]'
efw_edgefw --instance "$INST" show >"$EFW_TMP/uncut.yaml" 2>/dev/null
tap_is "show: ... and its text compiles to the hash in force" "$(file_hash "$EFW_TMP/uncut.yaml")" "$(status_hash)"

# --- The file changes on disk after the reload: show prints what is in force.
cp "$EFW_REPO/rules/demo.yaml" "$EFW_TMP/edited.yaml"
efw_edgefw --instance "$INST" reload "$EFW_TMP/edited.yaml" >/dev/null 2>&1
printf '  - {name: added-later, proto: udp, dport: 9, action: drop}\n' >>"$EFW_TMP/edited.yaml"
out=$(efw_edgefw --instance "$INST" show --full 2>/dev/null)
tap_check "after the file is edited, show has no rule the file gained" \
	bash -c '! grep -q added-later <<<"$1"' _ "$out"
printf '%s\n' "$out" >"$EFW_TMP/shown.yaml"
tap_is "... and still the hash in force" "$(file_hash "$EFW_TMP/shown.yaml")" "$(status_hash)"

# --- A copy that is not the active generation's is refused.
gen=$(efw_edgefw --instance "$INST" status --json | jq -r .generation)
cp "/run/edgefw/$INST.gen$gen.yaml" "$EFW_TMP/saved"
sed 's/action: drop/action: pass/' "$EFW_TMP/saved" >"/run/edgefw/$INST.gen$gen.yaml"
rc=0
out=$(efw_edgefw --instance "$INST" show 2>&1) || rc=$?
tap_is "a copy that does not hash to the generation in force is refused (exit 2)" "$rc" 2
tap_check "... saying so" grep -q "another ruleset's" <<<"$out"
cp "$EFW_TMP/saved" "/run/edgefw/$INST.gen$gen.yaml"

# --- ClassBench sets.
if [[ ! -d $CB_DIR ]]; then
	tap_skip "ClassBench round trips" "$CB_DIR is absent (the shared ClassBench sets)"
else
	for s in "${CB_SETS[@]}"; do
		if [[ ! -r $CB_DIR/$s ]]; then
			tap_skip "ClassBench $s" "$CB_DIR/$s is absent"
			continue
		fi
		"$CLASSBENCH" convert "$CB_DIR/$s" >"$EFW_TMP/cb.yaml" 2>/dev/null
		round_trip "ClassBench $s" "$EFW_TMP/cb.yaml"
	done
fi

# --- Detach removes the copies with the instance.
efw_edgefw --instance "$INST" detach "$EFW_IF_EDGE_IN" >/dev/null 2>&1 || true
tap_check "detaching the last interface removes the copies" \
	bash -c '! ls /run/edgefw/"$1".gen*.yaml 2>/dev/null | grep -q .' _ "$INST"
tap_done
