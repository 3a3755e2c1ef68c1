#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Rules from standard input, without root: `edgefw check -` and `compile
# -` say what they say of the same file; `check --json` gives each
# diagnostic as an object (file, line, column, severity, message).
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2
EDGEFW=${EDGEFW:-$PWD/build/edgefw}
if [[ ! -x $EDGEFW ]]; then
	echo "1..0 # SKIP $EDGEFW not built (make)"
	exit 0
fi
n=0
fails=0
is() { # DESC GOT WANT
	if [[ $2 == "$3" ]]; then
		echo "ok $((n += 1)) - $1"
	else
		echo "not ok $((n += 1)) - $1"
		printf '# got:  %s\n# want: %s\n' "${2:0:1000}" "${3:0:1000}"
		fails=$((fails + 1))
	fi
}

for f in rules/demo.yaml rules/web-server.yaml; do
	want=$("$EDGEFW" check "$f" 2>&1 | sed "s|^$f|F|")
	got=$("$EDGEFW" check - <"$f" 2>&1 | sed "s|^-|F|")
	is "check - of $f says what check of the file says" "$got" "$want"
	want=$("$EDGEFW" compile "$f" 2>&1 | sed "s|^$f|F|")
	got=$("$EDGEFW" compile - <"$f" 2>&1 | sed "s|^-|F|")
	is "compile - of $f prints what compile of the file prints" "$got" "$want"
done

rules='version: 1
sets:
  unused: {addresses: [10.0.0.0/8]}
rules:
  - {name: a, src: 10.1.2.3/8, action: drop}
'
out=$(printf '%s' "$rules" | "$EDGEFW" check - --json 2>/dev/null)
is "check - --json: ok with two warnings, as objects with their positions" \
	"$(jq -c '[.ok, .exit, [.findings[] | [.file, .line, .column, .severity]]]' <<<"$out")" \
	'[true,0,[["<stdin>",5,20,"warning"],["<stdin>",3,3,"warning"]]]'
is "... each object's message is its diagnostics line's" \
	"$(jq -r '[range(0; .findings | length) as $i | .diagnostics[$i] == "\(.findings[$i].file):\(.findings[$i].line):\(.findings[$i].column): \(.findings[$i].severity): \(.findings[$i].message)"] | all' <<<"$out")" true
rc=0
out=$(printf 'version: 1\nrules: [{name: a, action: maybe}]\n' | "$EDGEFW" check - --json 2>/dev/null) || rc=$?
is "check - --json of a bad ruleset: exit 1, the error as an object" \
	"$rc $(jq -c '[.ok, (.findings | map([.line, .severity]))]' <<<"$out")" '1 [false,[[2,"error"]]]'

echo "1..$n"
[[ $fails -eq 0 ]]
