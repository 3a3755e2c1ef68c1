#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs one libFuzzer target for a bounded time and reports one TAP result:
# ok when it ran the whole time without a crash, leak, sanitizer report or
# slow input.
#
#   tests/fuzz/run_target.sh build/fuzz/fuzz_NAME
#
# The target works on a copy of tests/fuzz/corpus/NAME in a temporary
# directory, so nothing is written into the repository. A crashing input is
# kept in ${TMPDIR:-/tmp}/efw-fuzz-NAME-crash.XXXXXX and its path printed.
# A target that cannot run here (fuzz_packet without root) exits with
# status 77 before fuzzing, saying why with "skipped": reported as skipped,
# with its reason. libFuzzer's own error status is 77 too unless told
# otherwise: it is set to 1 here, so a crash, leak or out-of-memory found
# by the fuzzer can never pass for a skip.
# Environment: EFW_FUZZ_SECONDS (default 12; `make fuzz` runs longer).
set -uo pipefail

[[ $# -eq 1 && -x $1 ]] || {
	echo "usage: tests/fuzz/run_target.sh build/fuzz/fuzz_NAME" >&2
	exit 2
}
cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2

target=$1
name=${target##*/fuzz_}
seconds=${EFW_FUZZ_SECONDS:-12}
seeds=tests/fuzz/corpus/$name
work=$(mktemp -d "${TMPDIR:-/tmp}/efw-fuzz-$name.XXXXXX") || exit 2
trap 'rm -rf -- "$work"' EXIT

echo "1..1"
mkdir -p "$work/corpus" "$work/artifacts"
if [[ -d $seeds ]]; then
	cp -- "$seeds"/* "$work/corpus/" 2>/dev/null
else
	echo "# no seed corpus in $seeds: starting from nothing"
fi
echo "# fuzzing $name for ${seconds}s on $(find "$work/corpus" -type f | wc -l) seeds"

# -timeout: an input slower than this is a failure (a hang), not a wait.
"$target" -max_total_time="$seconds" -timeout=10 -error_exitcode=1 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")

why=$(grep -m1 -i 'skipped' "$work/log")
if [[ $rc -eq 77 && -n $why ]]; then
	echo "ok 1 - $name # SKIP $why"
	exit 0
fi
if [[ $rc -eq 0 ]]; then
	echo "ok 1 - $name: ${runs:-?} inputs in ${seconds}s without a crash"
	exit 0
fi
sed 's/^/# /' "$work/log" | grep -v '^# #[0-9]*	' | tail -n 40
for a in "$work"/artifacts/*; do
	[[ -f $a ]] || continue
	kept=$(mktemp "${TMPDIR:-/tmp}/efw-fuzz-$name-crash.XXXXXX") || break
	cp -- "$a" "$kept"
	echo "# input kept in $kept (replay: $target $kept)"
done
echo "not ok 1 - $name: the fuzzer failed (exit $rc) after ${runs:-?} inputs"
exit 1
