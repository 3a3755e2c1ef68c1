#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Formats edgefw's C with clang-format and .clang-format.
#   scripts/format.sh            rewrite the files in place
#   scripts/format.sh --check    change nothing; list the files that are
#                                not formatted and fail (make check)
# Optional arguments after the mode: the files to look at (default: every
# .c and .h tracked under kern/, user/ and tests/).
set -eu
cd "$(dirname "$0")/.."
mode=apply
if [ "${1:-}" = --check ]; then
	mode=check
	shift
fi
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
	echo "format.sh: $CLANG_FORMAT not found: run scripts/deps.sh" >&2
	exit 2
fi
if [ $# -eq 0 ]; then
	# File names without blanks: word splitting is what is wanted.
	# shellcheck disable=SC2046
	set -- $(git ls-files 'kern/*.[ch]' 'user/*.[ch]' 'tests/*.[ch]')
fi
if [ "$mode" = apply ]; then
	"$CLANG_FORMAT" -i --style=file "$@"
	exit 0
fi
bad=0
for f in "$@"; do
	if ! "$CLANG_FORMAT" --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (scripts/format.sh $f)"
		bad=$((bad + 1))
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "format.sh: $bad file(s) not formatted: run scripts/format.sh" >&2
	exit 1
fi
echo "format.sh: $# files formatted"
