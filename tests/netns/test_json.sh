#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The JSON vocabulary (user/json.md) against the real outputs: each
# command's --json has exactly the top-level keys of its example in
# user/json.md, the envelope (schema, command, time in ISO 8601 UTC,
# edgefw_version), counts and rates named apart, status of an instance
# that does not exist ({"exists": false}, exit 0), errors as one JSON
# object on stdout, and valid UTF-8 with an interface whose name is not.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
INST=$EFW_INSTANCE
V=$(cat "$EFW_REPO/VERSION")
DOC=$EFW_REPO/user/json.md

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

doc_keys() { efw_doc_keys "$1" "$DOC"; }
keys_of() { jq -c 'keys' <<<"$1" 2>/dev/null || echo "not JSON: ${1:0:200}"; }
envelope_ok() { # JSON COMMAND
	jq -e --arg c "$2" --arg v "$V" '.schema == 1 and .command == $c and .edgefw_version == $v
		and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))' \
		<<<"$1" >/dev/null 2>&1
}
same_keys() { # NAME JSON
	tap_is "$1 --json has the documented keys" "$(keys_of "$2")" "$(doc_keys "$1")"
}

# --- Not attached yet: status is an answer, not an error.
rc=0
out=$(efw_edgefw --instance "$INST" status --json 2>/dev/null) || rc=$?
tap_is "status --json of an instance that does not exist: exit 0" "$rc" 0
tap_check "... exists false, loaded false, nulls where nothing applies" jq -e '
	.exists == false and .loaded == false and .ruleset_hash == null and .loaded_at == null
	and .generation == null and .attachments == [] and .managed_by == null' <<<"$out"
same_keys status "$out"
out_text_rc=0
efw_edgefw --instance "$INST" status >/dev/null 2>&1 || out_text_rc=$?
tap_is "... and without --json it is an error (exit 1)" "$out_text_rc" 1

# --- check, compile, explain, errors (no root needed, no instance).
out=$("$EDGEFW" check "$EFW_RULES_DEMO" --json 2>/dev/null)
same_keys check "$out"
tap_check "check --json: ok, exit 0, rules" jq -e '.ok == true and .exit == 0 and .rules == 3' <<<"$out"
tap_check "check --json: envelope" envelope_ok "$out" check
rc=0
out=$(printf 'version: 1\nrules:\n  - {name: x, dport: 22, action: drop}\n' |
	"$EDGEFW" check - --json 2>/dev/null) || rc=$?
tap_is "check - --json with an error: exit 1" "$rc" 1
same_keys error "$out"
tap_check "... one JSON object: ok false, exit 1, the error in message and diagnostics" jq -e '
	.ok == false and .exit == 1 and (.message | test("^<stdin>:3:15: error: dport needs"))
	and (.diagnostics | length) == 1' <<<"$out"
tap_check "... and the same diagnostic as an object in findings" jq -e '
	.findings == [{"file": "<stdin>", "line": 3, "column": 15, "severity": "error",
		"message": (.diagnostics[0] | sub("^<stdin>:3:15: error: "; ""))}]' <<<"$out"
out=$("$EDGEFW" compile "$EFW_RULES_DEMO" --json 2>/dev/null)
same_keys compile "$out"
tap_check "compile --json: envelope" envelope_ok "$out" compile
out=$("$EDGEFW" explain "$EFW_RULES_DEMO" --src "$EFW_CLIENT4_BAD" --dst "$EFW_SERVER4" \
	--proto tcp --dport 443 --json 2>/dev/null)
same_keys explain "$out"
tap_check "explain --json: envelope" envelope_ok "$out" explain
rc=0
out=$(efw_edgefw --instance "$INST" stats --json --bogus 2>/dev/null) || rc=$?
tap_check "a usage error with --json: one JSON error object, exit 1" \
	jq -e '.ok == false and .exit == 1 and (.message | test("^usage: edgefw stats"))' <<<"$out"

# --- Attached, on an interface whose name is not UTF-8.
BAD=$'efw\xff'"${EFW_ID:0:6}"
in_ns "$EFW_NS_EDGE" ip link add name "$BAD" type veth peer name "efwp${EFW_ID:0:6}" ||
	tap_bail "a veth named with a byte that is not UTF-8"
in_ns "$EFW_NS_EDGE" ip link set "$BAD" up
out=$(efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$EFW_RULES_DEMO" --json 2>/dev/null) ||
	tap_bail "attach $EFW_IF_EDGE_IN" "$out"
same_keys attach "$out"
tap_check "attach --json: envelope" envelope_ok "$out" attach
tap_check "attach --json: ok, the interface, the file, its rules, xdp attached" jq -e \
	--arg i "$EFW_IF_EDGE_IN" --arg f "$EFW_RULES_DEMO" '
	.ok == true and .exit == 0 and .interface == $i and .file == $f and .rules > 0
	and .hooks == [{"hook": "xdp", "result": "attached"}] and (.message | test("attached to"))' <<<"$out"
out=$(efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$EFW_RULES_DEMO" --json 2>/dev/null)
tap_check "attach --json again: xdp only reloaded" jq -e \
	'.ok == true and .hooks == [{"hook": "xdp", "result": "reloaded"}]' <<<"$out"
out=$(efw_edgefw --instance "$INST" attach "$BAD" --rules "$EFW_RULES_DEMO" --hook tc-ingress 2>&1) ||
	tap_bail "attach to the interface with the non-UTF-8 name" "$out"
send_ping "$EFW_NS_CLIENT" "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 2 >/dev/null || true

out=$(efw_edgefw --instance "$INST" status --json 2>/dev/null)
same_keys status "$out"
tap_check "status --json: envelope" envelope_ok "$out" status
tap_check "status --json is valid UTF-8 (iconv) and JSON" bash -c 'iconv -f UTF-8 -t UTF-8 >/dev/null && jq -e . >/dev/null' <<<"$out"
tap_check "... the name's bad byte is U+FFFD" jq -e --arg n "efw"$'\xef\xbf\xbd'"${EFW_ID:0:6}" \
	'any(.attachments[]; .interface == $n and .hook == "tc-ingress")' <<<"$out"
tap_check "... loaded_at is ISO 8601 UTC" jq -e '.loaded_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")' <<<"$out"

out=$(efw_edgefw --instance "$INST" stats --json 2>/dev/null)
same_keys stats "$out"
tap_check "stats --json: envelope" envelope_ok "$out" stats
tap_check "stats --json is valid UTF-8 and JSON" bash -c 'iconv -f UTF-8 -t UTF-8 >/dev/null && jq -e . >/dev/null' <<<"$out"
tap_check "stats --json: counts are integers named packets and bytes, everywhere" jq -e '
	([.rules[], .defaults[], .reasons[], (.interfaces[] | .passed, .dropped, .redirected)]
	 | all((.packets | type) == "number" and .packets == (.packets | floor)
	       and (.bytes | type) == "number" and (has("packets_per_second") | not)))
	and any(.interfaces[]; has("interface") and (has("ifname") | not))
	and first(.rules[] | select(.name == "drop-bad-v4") | .packets) >= 2' <<<"$out"

out=$(efw_edgefw --instance "$INST" stats --json --watch 0.3 --count 2 2>/dev/null)
tap_is "stats --watch --json: one line per refresh" "$(wc -l <<<"$out")" 2
line=$(head -1 <<<"$out")
same_keys watch "$line"
tap_check "stats --watch --json: envelope" envelope_ok "$line" stats
tap_check "stats --watch --json: rates named packets_per_second and bytes_per_second, no counts" jq -e '
	.seconds > 0 and
	([.rules[], .defaults[], .reasons[], (.interfaces[] | .passed, .dropped, .redirected)]
	 | all(has("packets_per_second") and has("bytes_per_second") and (has("packets") | not)))' <<<"$line"
watch_text=$(efw_edgefw --instance "$INST" stats --watch 0.3 --count 1 2>/dev/null)
plain_utc() { [[ $watch_text != *$'\033'* && $watch_text =~ (^|$'\n')instance\ [^,]*,\ [0-9-]+T[0-9:]+Z,\ per\ second ]]; }
tap_check "stats --watch to a pipe: plain lines, no terminal control, UTC time" plain_utc

# --- reload and confirm (no daemon: edgefw itself and its guard).
out=$(efw_edgefw --instance "$INST" reload "$EFW_RULES_DEMO" --json 2>/dev/null)
same_keys reload "$out"
tap_check "reload --json: envelope" envelope_ok "$out" reload
tap_check "reload --json: ok, via edgefw, the file, rules and version, no rollback" jq -e --arg f "$EFW_RULES_DEMO" '
	.ok == true and .exit == 0 and .via == "edgefw" and .file == $f and .rules > 0
	and .version >= 2 and (.generation == 0 or .generation == 1) and .rollback_at == null
	and (.message | test("reloaded"))' <<<"$out"
out=$(efw_edgefw --instance "$INST" reload "$EFW_RULES_DEMO" --confirm 60s --json 2>/dev/null)
same_keys reload "$out"
tap_check "reload --confirm --json: rollback_at in ISO 8601 UTC" \
	jq -e '.ok == true and (.rollback_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))' <<<"$out"
out=$(efw_edgefw --instance "$INST" confirm --json 2>/dev/null)
same_keys confirm "$out"
tap_check "confirm --json: envelope" envelope_ok "$out" confirm
tap_check "confirm --json: ok, via edgefw" jq -e '.ok == true and .via == "edgefw" and (.message | test("confirmed"))' <<<"$out"
rc=0
out=$(efw_edgefw --instance "$INST" confirm --json 2>/dev/null) || rc=$?
tap_check "confirm --json with nothing pending: the error object, exit 1" \
	jq -e --argjson rc "$rc" '$rc == 1 and .ok == false and .exit == 1 and (.message | test("nothing awaits confirmation"))' <<<"$out"

# --- Exit codes as documented (CLI polish of issue 17).
rc=0
out=$(efw_edgefw --instance "$INST" attach "$EFW_IF_EDGE_IN" --rules "$EFW_RULES_DEMO" \
	--hook tc-egress --mode native 2>&1) || rc=$?
tap_is "attach --mode with only tc hooks: exit 1, as in a config" "$rc" 1
tap_check "... saying --mode is for xdp" grep -q -- "--mode applies to the xdp hook only" <<<"$out"
printf 'version: 1\nrules:\n  - {name: r, dst: 192.0.2.1, action: redirect, to: efwnosuch0}\n' >"$EFW_TMP/redir.yaml"
rc=0
out=$(efw_edgefw --instance "$INST" reload "$EFW_TMP/redir.yaml" 2>&1) || rc=$?
tap_is "a redirect to an interface that does not exist: exit 1 (bad input)" "$rc" 1
tap_check "... naming the rule and the interface" grep -q "rule 'r' redirects to 'efwnosuch0'" <<<"$out"

out=$(efw_edgefw --instance "$INST" detach "$BAD" --json 2>/dev/null)
same_keys detach "$out"
tap_check "detach --json: envelope" envelope_ok "$out" detach
tap_check "detach --json: the name as UTF-8, tc-ingress detached, the instance stays" jq -e \
	--arg n "efw"$'\xef\xbf\xbd'"${EFW_ID:0:6}" '
	.ok == true and .interface == $n and .hooks == [{"hook": "tc-ingress", "result": "detached"}]
	and .instance_removed == false' <<<"$out"
rc=0
out=$(efw_edgefw --instance "$INST" detach "$BAD" --json 2>/dev/null) || rc=$?
tap_check "detach --json of what is not attached: the error object, exit 1" \
	jq -e --argjson rc "$rc" '$rc == 1 and .ok == false and .exit == 1 and .command == "detach"' <<<"$out"
out=$(efw_edgefw --instance "$INST" detach "$EFW_IF_EDGE_IN" --json 2>/dev/null)
tap_check "detach --json of the last attachment: instance_removed" jq -e \
	'.ok == true and .hooks == [{"hook": "xdp", "result": "detached"}] and .instance_removed == true' <<<"$out"
tap_done
