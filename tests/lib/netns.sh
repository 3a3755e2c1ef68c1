# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Sourced by tests/netns/test_*.sh. Brings in the shared topology and traffic
# helpers (scripts/lib/topology.sh: in_ns, efw_topology_up, send_ping,
# send_udp, tcp_transfer, udp_receiver_*, efw_cleanup), picks names unique
# to this run (namespaces efw-<role>-<id>, edgefw instance t-<id> in
# EFW_INSTANCE), registers the cleanup on EXIT/INT/TERM and adds TAP output.
#
# Each test prints TAP to stdout ("ok N - desc", "not ok N - desc",
# "ok N - desc # SKIP reason", diagnostics as "# ..."). tests/run.sh counts
# those lines, so any other output of a test must go to stderr or be
# prefixed with "# " (tap_diag).

# shellcheck source=SCRIPTDIR/../../scripts/lib/topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/topology.sh"

EFW_TAP_N=0
EFW_TAP_FAILED=0
EFW_TAP_PLANNED=""

# Prints text (or stdin) as TAP diagnostics.
tap_diag() {
	if [[ $# -gt 0 ]]; then
		printf '%s\n' "$@" | sed 's/^/# /'
	else
		sed 's/^/# /'
	fi
}

tap_plan() {
	EFW_TAP_PLANNED=$1
	echo "1..$1"
}

tap_ok() {
	EFW_TAP_N=$((EFW_TAP_N + 1))
	EFW_TAP_LAST=0
	echo "ok $EFW_TAP_N - $1"
}

# tap_fail DESC [DETAILS...]: details become diagnostics.
tap_fail() {
	EFW_TAP_N=$((EFW_TAP_N + 1))
	EFW_TAP_FAILED=$((EFW_TAP_FAILED + 1))
	EFW_TAP_LAST=1
	echo "not ok $EFW_TAP_N - $1"
	shift
	[[ $# -eq 0 ]] || tap_diag "$@"
	return 0
}

tap_skip() {
	EFW_TAP_N=$((EFW_TAP_N + 1))
	EFW_TAP_LAST=0
	echo "ok $EFW_TAP_N - $1 # SKIP ${2:-}"
}

# The checks below return 0 even when they fail, so a test under set -e
# goes on; EFW_TAP_LAST is 0 when the last check passed, 1 when it failed.
EFW_TAP_LAST=0

# tap_check DESC CMD...: ok when CMD succeeds; its output only shows (as
# diagnostics) when it fails.
tap_check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [[ $rc -eq 0 ]]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $* (exit $rc)" ${out:+"$out"}
	fi
}

# tap_is DESC GOT WANT: string equality, showing both on failure.
tap_is() {
	if [[ $2 == "$3" ]]; then
		tap_ok "$1"
	else
		tap_fail "$1" "got:      $2" "expected: $3"
	fi
}

# tap_bail DESC [DETAILS...]: a failure that makes the rest pointless.
tap_bail() {
	tap_fail "$@"
	echo "Bail out! $1"
	exit 1
}

# tap_bail_if_failed REASON: stops the test when the last check failed.
tap_bail_if_failed() {
	[[ $EFW_TAP_LAST -eq 0 ]] && return 0
	echo "Bail out! $1"
	exit 1
}

# Ends the test: trailing plan when none was given, status 1 on failure.
tap_done() {
	if [[ -z $EFW_TAP_PLANNED ]]; then
		echo "1..$EFW_TAP_N"
	elif [[ $EFW_TAP_PLANNED -ne $EFW_TAP_N ]]; then
		tap_diag "planned $EFW_TAP_PLANNED tests but ran $EFW_TAP_N"
		exit 1
	fi
	[[ $EFW_TAP_FAILED -eq 0 ]] || exit 1
	exit 0
}

# What every namespace test needs before it starts: root, the tools, bpffs.
# Missing root skips the whole test; anything else is a failure.
efw_test_prereqs() {
	local tool missing=()
	if [[ $(id -u) -ne 0 ]]; then
		echo "1..0 # SKIP namespace tests need root"
		exit 0
	fi
	for tool in ip nsenter ping socat ss jq timeout mountpoint; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	[[ ${#missing[@]} -eq 0 ]] || tap_bail "test tools installed" "missing: ${missing[*]}"
	[[ -x $EDGEFW ]] || tap_bail "edgefw binary built" "$EDGEFW not found (make all)"
	efw_ensure_bpffs || tap_bail "bpffs mounted at /sys/fs/bpf"
}

# efw_doc_keys NAME [DOC]: the top-level keys, sorted, of the example under
# <!-- json: NAME --> in DOC (user/json.md), as `jq -c keys` prints them.
efw_doc_keys() {
	awk -v n="$1" '$0 == "<!-- json: " n " -->" { f = 1; next }
		f && /^```json/ { g = 1; next } g && /^```/ { exit } g { print }' \
		"${2:-$EFW_REPO/user/json.md}" | jq -c 'keys' 2>/dev/null || echo "no example for $1"
}

efw_init t

