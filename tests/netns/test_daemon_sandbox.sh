#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefwd under the limits of user/daemon/edgefwd.service, on a machine
# where systemd is not there to apply them: the daemon tests
# (test_daemon.sh: attach, reloads by SIGHUP and the control socket,
# refusals, on-exit keep and detach; test_daemon_observe.sh: metrics over
# TCP, the drop log and its ring buffer, rotation) run again with every
# edgefwd started through tests/tools/unit_sandbox.py, which installs the
# unit's system-call allow list (a call outside it kills the daemon, which
# those tests then see), its address families, MemoryDenyWriteExecute, its
# capability bounding set and no-new-privileges. Their results are
# reported here, prefixed with "sandbox:".
#
# What this does not cover (it needs systemd as PID 1 to set up): the
# unit's mount namespace (ProtectSystem=strict, ReadWritePaths=,
# PrivateTmp=, ProtectProc=, ProcSubset=...), IPAddressDeny= (cgroup BPF),
# RestrictNamespaces=. SECURITY.md lists them.
#
# Two daemon tests in a row: tests/run.sh gives it this long.
# efw-timeout: 420
set -uo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
unit=$root/user/daemon/edgefwd.service
build=${EDGEFW:+$(dirname "$EDGEFW")}
build=${build:-$root/build}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}
[[ -x /usr/bin/python3 ]] || skip_all "no /usr/bin/python3"
command -v systemd-analyze >/dev/null || skip_all "no systemd-analyze (systemd) to expand the unit's system-call groups"
[[ -x $build/edgefwd ]] || skip_all "$build/edgefwd not built (make all)"
# grep -q would stop reading early: under pipefail ldconfig's SIGPIPE then
# made the check fail now and then, and the whole test skip.
ldconfig -p | grep 'libseccomp\.so\.2' >/dev/null || skip_all "no libseccomp.so.2"
if [[ $(ps -p 1 -o comm= 2>/dev/null) == systemd ]]; then
	echo "# systemd is PID 1 here: the unit itself could be run; this test still uses the harness"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/efw-sandbox.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT
# The harness must accept the unit before anything runs under it.
if ! /usr/bin/python3 "$root/tests/tools/unit_sandbox.py" "$unit" --print >"$tmp/allowed" 2>"$tmp/err"; then
	echo "1..1"
	echo "not ok 1 - sandbox: the unit's system-call filter is read"
	sed 's/^/# /' "$tmp/err"
	exit 1
fi
echo "# $(wc -l <"$tmp/allowed") system calls allowed by $unit"
cat >"$tmp/edgefwd" <<EOF
#!/bin/sh
exec /usr/bin/python3 '$root/tests/tools/unit_sandbox.py' '$unit' -- '$build/edgefwd' "\$@"
EOF
chmod +x "$tmp/edgefwd"

export EDGEFWD=$tmp/edgefwd
export EFW_TOOLS=$build/tests/tools
export UDPFLOOD=$EFW_TOOLS/udpflood UDPSINK=$EFW_TOOLS/udpsink
rc=0
for t in test_daemon.sh test_daemon_observe.sh; do
	echo "# --- $t under the sandbox"
	# The inner test's plan and results become ours; its number of
	# results is checked by the runner against the sum of the plans.
	"$root/tests/netns/$t" 2>&1 | sed -E 's/^(not ok|ok) ([0-9]+) - /\1 \2 - sandbox: /'
	[[ ${PIPESTATUS[0]} -eq 0 ]] || rc=1
done
exit "$rc"
