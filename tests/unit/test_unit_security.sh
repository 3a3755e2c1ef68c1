#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The exposure of user/daemon/edgefwd.service as systemd rates it
# (`systemd-analyze security --offline=true`, which reads the file without
# a running systemd): at most 2.5 (nftables.service: 9.5). Also: systemd
# understands every line of the file (no "Unknown key" or "Failed to
# parse" while reading it), and the system-call allow list still has what
# edgefwd needs and lacks what it must not have.
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2
unit=user/daemon/edgefwd.service
max=2.5

if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP no systemd-analyze"
	exit 0
fi
if ! systemd-analyze --help 2>&1 | grep -q -- '--offline'; then
	echo "1..0 # SKIP systemd-analyze $(systemd-analyze --version | head -1) has no --offline"
	exit 0
fi

echo "1..3"
out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>"${TMPDIR:-/tmp}/efw-unit-sec.$$")
err=$(cat "${TMPDIR:-/tmp}/efw-unit-sec.$$")
rm -f "${TMPDIR:-/tmp}/efw-unit-sec.$$"
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
if [[ -n $level ]] && awk -v l="$level" -v m="$max" 'BEGIN { exit !(l <= m) }'; then
	echo "ok 1 - $unit: exposure level $level <= $max"
else
	echo "not ok 1 - $unit: exposure level ${level:-unknown} <= $max"
	grep '✗' <<<"$out" | sed 's/^/# /'
fi

if grep -qiE 'unknown (key|section|lvalue)|failed to parse|invalid' <<<"$err"; then
	echo "not ok 2 - systemd reads every line of $unit"
	sed 's/^/# /' <<<"$err"
else
	echo "ok 2 - systemd reads every line of $unit"
fi

# What tests/tools/unit_sandbox.py computes the way systemd does: bpf(2)
# in, mount(2), setrlimit(2), reboot(2) and the module calls out.
allowed=$(/usr/bin/python3 tests/tools/unit_sandbox.py "$unit" --print 2>&1)
missing="" present=""
for c in bpf socket sendmsg recvmsg epoll_wait accept4 openat2 fstat; do
	grep -qx "$c" <<<"$allowed" || missing+=" $c"
done
for c in mount umount2 setrlimit reboot init_module finit_module kexec_load ptrace pivot_root; do
	! grep -qx "$c" <<<"$allowed" || present+=" $c"
done
if [[ -z $missing && -z $present ]]; then
	echo "ok 3 - the allow list has bpf and the I/O edgefwd does; no mount, setrlimit, reboot, modules, ptrace"
else
	echo "not ok 3 - the allow list has bpf and the I/O edgefwd does; no mount, setrlimit, reboot, modules, ptrace"
	echo "# missing:${missing:- none}; present:${present:- none}"
fi
