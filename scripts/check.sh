#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make check`: the static checks, each failing on any finding. Runs them
# all and names every one that failed (exit 1), so one run shows all there
# is to fix:
#   objdeps     cycles between objects; a layer using a higher one or a
#               sibling (scripts/objdeps.py, from nm)
#   format      C not formatted as .clang-format says (scripts/format.sh)
#   tidy        clang-tidy's findings, .clang-tidy's checks (scripts/tidy.sh)
#   shell       every shell script, with shellcheck
#   duplicates  long blocks duplicated by the change (scripts/dupcheck.py)
# Usage: scripts/check.sh [--build DIR] [--base REV] [--only NAME]
set -u
build=build
base=
only=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--base REV] [--only NAME]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.." || exit 2
failed=""

run() {
	name=$1
	shift
	if [ -n "$only" ] && [ "$only" != "$name" ]; then
		return 0
	fi
	echo "== check: $name"
	if ! "$@"; then
		failed="$failed $name"
	fi
}

# Every shell script: *.sh, and files whose first line names a shell.
shell_scripts() {
	git ls-files | while read -r f; do
		case $f in
		*.sh) echo "$f" ;;
		*.md | *.c | *.h | *.py | *.yaml | *.json) ;;
		*) [ -f "$f" ] && head -n1 "$f" | grep -qE '^#!.*/(env )?(ba|da)?sh( |$)' && echo "$f" ;;
		esac
	done
}

shellcheck_all() {
	if ! command -v shellcheck >/dev/null 2>&1; then
		echo "shellcheck not found: run scripts/deps.sh" >&2
		return 2
	fi
	# File names without blanks: word splitting is what is wanted.
	# shellcheck disable=SC2046
	shellcheck -x -f gcc $(shell_scripts)
}

run objdeps scripts/objdeps.py --build "$build"
run format scripts/format.sh --check
run tidy scripts/tidy.sh --build "$build"
run shell shellcheck_all
if [ -n "$base" ]; then
	run duplicates scripts/dupcheck.py --base "$base"
else
	run duplicates scripts/dupcheck.py
fi

if [ -n "$failed" ]; then
	echo "make check: failed:$failed" >&2
	exit 1
fi
echo "make check: all passed"
