#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make check`: the static checks, each failing on any finding. Runs them
# all and reports every one that failed (exit 1), so one run shows all
# there is to fix.
#   objdeps    cycles between objects, layer violations (scripts/objdeps.py)
# Usage: scripts/check.sh [--build DIR]
set -u
build=build
if [ "${1:-}" = --build ]; then
	build=$2
fi
cd "$(dirname "$0")/.." || exit 2
failed=""

run() {
	name=$1
	shift
	echo "== check: $name"
	if ! "$@"; then
		failed="$failed $name"
	fi
}

run objdeps scripts/objdeps.py --build "$build"

if [ -n "$failed" ]; then
	echo "make check: failed:$failed" >&2
	exit 1
fi
echo "make check: all passed"
