#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Reproducible builds: the tree copied to two directories of different
# names and depths, built there with the same flags, gives byte-identical
# edgefw and edgefwd (the embedded BPF object included), and neither
# binary names the directory it was built in. Also: the default flags
# harden (BIND_NOW, RELRO, fortified calls) and flags from the environment
# are honoured. Two builds of the programs take a few minutes on a busy
# machine: EFW_SKIP_SLOW_BUILD_TESTS=1 skips this (the package build's own
# unit tests do).
# efw-timeout: 900
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2
if [[ ${EFW_SKIP_SLOW_BUILD_TESTS:-0} == 1 ]]; then
	echo "1..0 # SKIP EFW_SKIP_SLOW_BUILD_TESTS=1"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/efw-repro.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT

n=0
fails=0
ok() { echo "ok $((n += 1)) - $1"; }
not_ok() {
	echo "not ok $((n += 1)) - $1"
	fails=$((fails + 1))
	shift
	for l in "$@"; do printf '%s\n' "$l" | tail -30 | sed 's/^/# /'; done
}

a=$tmp/a/edgefw
b=$tmp/somewhere/much/deeper/edgefw-other-name
built=1
# One snapshot of the tree, copied: the same sources in both places.
mkdir -p "$a" "$b"
tar -c --exclude=./build --exclude=./.git --exclude='./*.deb' . | tar -x -C "$a"
(cd "$a" && tar -c .) | tar -x -C "$b"
for d in "$a" "$b"; do
	# Extra flags from the environment, as a distribution passes them.
	if ! out=$(env -u CFLAGS -u CPPFLAGS -u LDFLAGS \
		CPPFLAGS="-D_FORTIFY_SOURCE=2 -DEFW_REPRO_MARK=1" \
		make -C "$d" --no-print-directory -j2 build/edgefw build/edgefwd 2>&1); then
		not_ok "build in $d" "$out"
		built=0
	fi
done
if [[ $built -eq 1 ]]; then
	ok "built twice, in $a and $b"
	for p in edgefw edgefwd; do
		sa=$(sha256sum <"$a/build/$p")
		sb=$(sha256sum <"$b/build/$p")
		if [[ $sa == "$sb" ]]; then ok "$p is byte-identical (${sa:0:16})"
		else not_ok "$p is byte-identical" "$sa" "$sb"; fi
	done
	sa=$(sha256sum <"$a/build/kern/edgefw.bpf.o")
	sb=$(sha256sum <"$b/build/kern/edgefw.bpf.o")
	if [[ $sa == "$sb" ]]; then ok "the BPF object is byte-identical"
	else not_ok "the BPF object is byte-identical" "$sa" "$sb"; fi
	if grep -qa -- "$tmp" "$b/build/edgefw" "$b/build/edgefwd" "$b/build/kern/edgefw.bpf.o"; then
		not_ok "no build directory in the binaries" "$(grep -a -o -- "${tmp}[^ ]*" "$b/build/edgefw" | sort -u | head)"
	else
		ok "no build directory in the binaries"
	fi
	if grep -q -- '-DEFW_REPRO_MARK=1' <(make -C "$a" --no-print-directory -n -B \
		CPPFLAGS="-DEFW_REPRO_MARK=1" build/user/common/log.o 2>&1); then
		ok "CPPFLAGS from the environment reach the compiler"
	else
		not_ok "CPPFLAGS from the environment reach the compiler"
	fi
	dyn=$(readelf -d "$a/build/edgefw")
	if grep -q BIND_NOW <<<"$dyn" && readelf -l "$a/build/edgefw" | grep -q GNU_RELRO; then
		ok "hardened by default: full RELRO and BIND_NOW"
	else
		not_ok "hardened by default: full RELRO and BIND_NOW" "$dyn"
	fi
	chk=$(nm -D "$a/build/edgefw" | grep -c '__[a-z]*_chk')
	if [[ $chk -gt 0 ]]; then
		ok "fortified calls (_FORTIFY_SOURCE): $chk checked functions"
	else
		not_ok "fortified calls (_FORTIFY_SOURCE)"
	fi
fi
echo "1..$n"
[[ $fails -eq 0 ]]
