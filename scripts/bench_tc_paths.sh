#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Attach, replace and detach times at tc per interface, for the three ways
# (tests/bench/tc/tcpaths.c): edgefw's old hand-built rtnetlink requests,
# libbpf's bpf_tc_* (what tc_attach.c uses) and tcx links, interleaved in
# one run over N veth pairs (one end each) in a namespace of their own.
# Root. (veth: this kernel has no dummy module.)
#
#   scripts/bench_tc_paths.sh [--ifaces N] [--rounds R] [--build DIR]
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=$REPO/build
IFACES=100
ROUNDS=7
while [[ $# -gt 0 ]]; do
	case $1 in
	--ifaces) IFACES=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	*) echo "usage: $0 [--ifaces N] [--rounds R] [--build DIR]" >&2; exit 2 ;;
	esac
done
BIN=$BUILD/tests/bench/tcpaths
[[ -x $BIN ]] || { echo "bench_tc_paths: $BIN missing: run 'make $BIN'" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/lib/topology.sh
source "$REPO/scripts/lib/topology.sh"
efw_ensure_bpffs
NS=efw-tcp-$$
PINS=/sys/fs/bpf/efw-tcpaths-$$
cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$PINS"
}
trap cleanup EXIT
ip netns add "$NS"
mkdir -m 0700 "$PINS"
for ((i = 0; i < IFACES; i++)); do
	echo "link add tb$i type veth peer name tp$i"
	echo "link set tb$i up"
done | nsenter --net="/run/netns/$NS" ip -batch -
echo "load: $(uptime)"
nsenter --net="/run/netns/$NS" "$BIN" --prefix tb --ifaces "$IFACES" --rounds "$ROUNDS" --pin-dir "$PINS"
