#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The read-only commands, as an operator runs them: exit codes, messages on
# stderr with FILE:LINE:COL, and --json output that parses. Needs no root.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
EDGEFW=${EDGEFW:-build/edgefw}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; printf '# %s\n' "$@"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else fail "$desc" "command failed: $*"; fi; }
# jq_true FILTER JSON: the filter holds for the JSON text.
jq_true() { jq -e "$1" >/dev/null <<<"$2"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'version: 1\nrules:\n  - name: a\n    src: 10.0.0.0/8\n    dport: 90-80\n    proto: tcp\n    action: drop\n' >"$tmp/bad.yaml"

out=$("$EDGEFW" check rules/demo.yaml 2>&1); rc=$?
check "check accepts the demo ruleset (exit 0)" test "$rc" -eq 0
check "check prints a one-line summary" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
out=$("$EDGEFW" check "$tmp/bad.yaml" 2>&1); rc=$?
check "check rejects an inverted port range (exit 1)" test "$rc" -eq 1
check "the error says FILE:LINE:COL and what is wrong" \
	grep -q "bad.yaml:5:12: error: .*90-80 is inverted" <<<"$out"
out=$("$EDGEFW" check "$tmp/missing.yaml" 2>&1); rc=$?
check "check on a missing file exits 1 naming it" test "$rc" -eq 1 -a -n "$(grep missing.yaml <<<"$out")"

for f in rules/*.yaml; do
	"$EDGEFW" check "$f" >/dev/null 2>&1; rc=$?
	check "example $f is valid" test "$rc" -eq 0
done

out=$("$EDGEFW" compile rules/demo.yaml --json 2>/dev/null); rc=$?
check "compile --json exits 0" test "$rc" -eq 0
check "compile --json reports rules, fields and tables" \
	jq_true '.rules == 3 and ([.chained_fields[].field] == ["src", "dst"]) and .tables.ipv4_src_prefixes >= 1 and .memory_bytes > 0' "$out"
out=$("$EDGEFW" compile rules/demo.yaml 2>/dev/null)
check "compile prints the chained fields" grep -q "chained fields" <<<"$out"

out=$("$EDGEFW" explain rules/demo.yaml --src 10.200.1.66 --dst 10.200.2.2 --proto udp --dport 53 --json 2>/dev/null); rc=$?
check "explain --json exits 0" test "$rc" -eq 0
check "explain finds the rule that drops a blocked source" \
	jq_true '[.. | strings] | any(. == "drop-bad-v4")' "$out"
out=$("$EDGEFW" explain rules/demo.yaml --src 10.200.1.2 --dst 10.200.2.2 --proto udp --dport 53 2>/dev/null)
check "explain says the default decides an allowed packet" grep -qi "default" <<<"$out"
"$EDGEFW" explain rules/demo.yaml --src 10.200.1.2 --proto udp >/dev/null 2>&1; rc=$?
check "explain without --dst is bad input (exit 1)" test "$rc" -eq 1

"$EDGEFW" frobnicate >/dev/null 2>&1; rc=$?
check "an unknown command exits 1" test "$rc" -eq 1
check "help lists every command" bash -c "'$EDGEFW' help | grep -q compile && '$EDGEFW' help | grep -q explain"
# -h and --help after every command `edgefw help` lists, help included:
# its usage on stdout, exit 0.
no_help=()
for c in $("$EDGEFW" help | awk '/^  [a-z]/ { print $1 }' | sort -u); do
	for h in -h --help; do
		"$EDGEFW" "$c" "$h" 2>/dev/null | grep -q . || no_help+=("$c $h")
	done
done
check "every command answers -h and --help (${no_help[*]:-all do})" test "${#no_help[@]}" -eq 0

echo "1..$n"
[[ $failed -eq 0 ]]
