#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs clang-tidy (.clang-tidy's checks) on edgefw's userspace C and fails
# on any finding.
#   scripts/tidy.sh [--build DIR] [FILE...]   default: every .c of user/
# Needs the build's generated headers (make first).
set -eu
cd "$(dirname "$0")/.."
build=build
if [ "${1:-}" = --build ]; then
	build=$2
	shift 2
fi
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
if ! command -v "$CLANG_TIDY" >/dev/null 2>&1; then
	echo "tidy.sh: $CLANG_TIDY not found: run scripts/deps.sh" >&2
	exit 2
fi
if [ $# -eq 0 ]; then
	# File names without blanks: word splitting is what is wanted.
	# shellcheck disable=SC2046
	set -- $(git ls-files 'user/*.c')
fi
incs="-Ikern -I$build/kern"
for d in user/*/; do
	incs="$incs -I${d%/}"
done
pc=$(pkg-config --cflags libbpf libxdp libmnl yaml-0.1 json-c libmicrohttpd libsystemd 2>/dev/null || true)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bad=0
for f in "$@"; do
	# shellcheck disable=SC2086 # flag lists
	if ! "$CLANG_TIDY" --quiet "$f" -- -std=c11 -D_GNU_SOURCE \
		-DEDGEFW_VERSION="\"$(cat VERSION)\"" $incs $pc >"$out" 2>&1; then
		grep -E 'warning:|error:' "$out" | grep -v 'warnings generated' || cat "$out"
		bad=$((bad + 1))
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "tidy.sh: findings in $bad file(s)" >&2
	exit 1
fi
echo "tidy.sh: $# files, no finding"
