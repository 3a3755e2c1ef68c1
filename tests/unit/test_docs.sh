#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The documentation against the code, without root:
# - rules/migration.md: at least ten cases; each edgefw example passes
#   `edgefw check`, and each packet noted under it (<!-- explain: ARGS =>
#   ACTION[:RULE] -->) gets that decision from `edgefw explain`;
# - every complete ruleset (a yaml block starting "version: 1") in
#   README.md and the guides (rules/*.md but the language's own README,
#   user/json.md, the Prometheus guide) passes `edgefw check`;
# - edgefw.rules(5) has every key of the language (the keys the parser
#   accepts, read from its sources);
# - VERSION, scripts/debian/changelog and both programs' --version agree;
# - the bash completion offers every command and every option;
# - `make install` into a scratch directory: the examples pass `edgefw
#   check` where they are installed, and every file the package needs is
#   there.
# efw-timeout: 180
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2
EDGEFW=${EDGEFW:-$PWD/build/edgefw}
EDGEFWD=${EDGEFWD:-$(dirname "$EDGEFW")/edgefwd}
MAN5=build/man/edgefw.rules.5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/efw-docs.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT

n=0
fails=0
ok() { echo "ok $((n += 1)) - $1"; }
not_ok() {
	echo "not ok $((n += 1)) - $1"
	fails=$((fails + 1))
	shift
	for l in "$@"; do printf '# %s\n' "$l"; done
}
check() { # DESC CMD...
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d" "${out:0:2000}"; fi
}

if [[ ! -x $EDGEFW || ! -f $MAN5 ]]; then
	echo "1..0 # SKIP $EDGEFW or $MAN5 not built (make)"
	exit 0
fi

# --- The migration guide and every complete ruleset in the docs.
docs_check() {
	/usr/bin/python3 - "$EDGEFW" "$tmp" "$@" <<'PY'
import json, re, subprocess, sys
edgefw, tmp, files = sys.argv[1], sys.argv[2], sys.argv[3:]
bad, cases, explained, checked = [], 0, 0, 0
for path in files:
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"```yaml\n(.*?)```(.*?)(?=```|\Z)", text, re.S):
        body, after = m.group(1), m.group(2)
        if not body.startswith("version: 1"):
            continue
        line = text[:m.start()].count("\n") + 2
        f = f"{tmp}/doc-{checked}.yaml"
        open(f, "w").write(body)
        checked += 1
        r = subprocess.run([edgefw, "check", f], capture_output=True, text=True)
        if r.returncode:
            bad.append(f"{path}:{line}: edgefw check: {r.stderr.strip()}")
            continue
        if path.endswith("migration.md"):
            cases += 1
        for args, want in re.findall(r"<!-- explain: (.*?) => (\S+) -->", after):
            explained += 1
            r = subprocess.run([edgefw, "explain", f] + args.split() + ["--json"],
                               capture_output=True, text=True)
            try:
                d = json.loads(r.stdout)["decision"]
                got = d["action"] + (":" + d["rule"] if d.get("rule") else "")
            except Exception:
                got = "error: " + r.stderr.strip()
            if got != want and not (":" not in want and got.split(":")[0] == want):
                bad.append(f"{path}:{line}: explain {args}: want {want}, got {got}")
print(json.dumps({"checked": checked, "cases": cases, "explained": explained, "bad": bad}))
PY
}
# List files named relative to a ruleset are those of the examples.
cp -r rules/lists "$tmp/lists"
res=$(docs_check rules/migration.md)
cases=$(jq -r .cases <<<"$res")
if [[ $cases -ge 10 ]]; then ok "migration guide: $cases cases"; else not_ok "migration guide: at least 10 cases" "$res"; fi
if [[ $(jq '.bad | length' <<<"$res") -eq 0 && $(jq .explained <<<"$res") -ge 20 ]]; then
	ok "migration guide: every edgefw example checks, $(jq .explained <<<"$res") packets explained as documented"
else
	not_ok "migration guide: every edgefw example checks and explains as documented" "$(jq -r '.bad[]' <<<"$res")"
fi
others=()
for f in README.md rules/*.md user/json.md user/integrations/prometheus/prometheus.md; do
	[[ $f == *migration.md || $f == rules/README.md ]] || others+=("$f")
done
res=$(docs_check "${others[@]}")
if [[ $(jq '.bad | length' <<<"$res") -eq 0 && $(jq .checked <<<"$res") -ge 3 ]]; then
	ok "the other docs: $(jq .checked <<<"$res") complete rulesets check"
else
	not_ok "the other docs: every complete ruleset checks" "$(jq -r '.bad[]' <<<"$res")" "$res"
fi

# --- edgefw.rules(5): every key the parser accepts.
mapfile -t keys < <(/usr/bin/python3 -c '
import re, sys
for f in sys.argv[1:]:
    for body in re.findall(r"keys\[[0-9]*\]\s*=\s*\{(.*?)\}", open(f).read(), re.S):
        print("\n".join(re.findall(r"\"([a-z0-9-]+)\"", body)))' user/compiler/*.c | sort -u)
missing=()
for k in "${keys[@]}"; do
	grep -q -- "\\\\fB${k//-/\\\\-}\\\\fR" "$MAN5" || missing+=("$k")
done
if [[ ${#keys[@]} -ge 30 && ${#missing[@]} -eq 0 ]]; then
	ok "edgefw.rules(5) has all ${#keys[@]} keys of the language"
else
	not_ok "edgefw.rules(5) has every key of the language (${#keys[@]} found in the parser)" "missing: ${missing[*]}"
fi
check "edgefw.rules(5) renders without errors" bash -c "man -l '$MAN5' >/dev/null"
check "edgefw.rules(5) is the one generated from rules/README.md now" \
	bash -c "scripts/md2man.py --name edgefw.rules --section 5 --version \$(cat VERSION) --title 'the edgefw rule language' --see-also 'edgefw(8), edgefwd(8), /usr/share/doc/edgefw/examples/' rules/README.md | sed 1,2d | diff - <(sed 1,2d '$MAN5')"

# --- One version everywhere.
v=$(cat VERSION)
dv=$(sed -n '1s/^edgefw (\([^)]*\)).*/\1/p' scripts/debian/changelog)
check "scripts/debian/changelog's version is VERSION ($v)" test "$dv" = "$v"
check "edgefw --version says $v" grep -qx "edgefw $v" <("$EDGEFW" --version | head -1)
check "edgefwd --version says $v" grep -qx "edgefwd $v" <("$EDGEFWD" --version | head -1)
check "CHANGELOG.md has an entry for $v" grep -q "^## $v " CHANGELOG.md

# --- Completion: every command, every option.
complete_words() { # WORDS...: what completion offers for the last word
	bash -c 'source user/cli/edgefw.bash
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _edgefw; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
mapfile -t cmds < <("$EDGEFW" help | sed -n 's/^  \([a-z]\+\) .*/\1/p')
offered=$(complete_words edgefw "")
missing=()
for c in "${cmds[@]}"; do grep -qx "$c" <<<"$offered" || missing+=("$c"); done
if [[ ${#cmds[@]} -ge 9 && ${#missing[@]} -eq 0 ]]; then
	ok "completion offers all ${#cmds[@]} commands"
else
	not_ok "completion offers every command of edgefw help" "missing: ${missing[*]}"
fi
missing=()
for c in "${cmds[@]}"; do
	[[ $c == help ]] && continue
	offered=$(complete_words edgefw "$c" --)
	# Options: those in the usage line and those the help lines start with.
	for o in $("$EDGEFW" help "$c" | sed -n '1p; /^ *--/p' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qx -- "$o" <<<"$offered" || missing+=("$c $o")
	done
done
if [[ ${#missing[@]} -eq 0 ]]; then ok "completion offers every option of every command"; else
	not_ok "completion offers every option of every command" "missing: ${missing[*]}"; fi

# --- make install: what the package ships, and examples that check there.
dest=$tmp/root
if out=$(make --no-print-directory install DESTDIR="$dest" PREFIX=/usr 2>&1); then
	ok "make install DESTDIR=... PREFIX=/usr"
	missing=()
	for f in usr/sbin/edgefw usr/sbin/edgefwd usr/share/man/man8/edgefw.8 \
		usr/share/man/man8/edgefwd.8 usr/share/man/man5/edgefw.rules.5 \
		usr/share/man/man7/edgefw-json.7 \
		usr/lib/systemd/system/edgefwd.service etc/edgefw/edgefwd.yaml \
		usr/share/bash-completion/completions/edgefw etc/logrotate.d/edgefw \
		usr/share/doc/edgefw/examples/edge-blocklist.yaml \
		usr/share/edgefw/prometheus/edgefw.rules.yml \
		usr/share/edgefw/prometheus/edgefw-dashboard.json; do
		[[ -e $dest/$f ]] || missing+=("$f")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then ok "it installs programs, man pages (8, 5), unit, config, completion, logrotate, examples"
	else not_ok "it installs everything" "missing: ${missing[*]}"; fi
	check "the unit runs /usr/sbin/edgefwd" grep -q '^ExecStart=/usr/sbin/edgefwd ' "$dest/usr/lib/systemd/system/edgefwd.service"
	check "the config is root's alone (0600)" test "$(stat -c %a "$dest/etc/edgefw/edgefwd.yaml")" = 600
	bad=()
	for f in "$dest"/usr/share/doc/edgefw/examples/*.yaml; do
		(cd / && "$EDGEFW" check "$f" >/dev/null 2>&1) || bad+=("${f##*/}")
	done
	if [[ ${#bad[@]} -eq 0 ]]; then ok "every installed example passes edgefw check where it is installed"
	else not_ok "every installed example passes edgefw check" "failing: ${bad[*]}"; fi
else
	not_ok "make install DESTDIR=... PREFIX=/usr" "$out"
fi

echo "1..$n"
[[ $fails -eq 0 ]]
