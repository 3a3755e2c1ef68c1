#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A change of daemon.source taken by a reload, without restarting edgefwd
# (issue 18): the 3-member etcd cluster of scripts/lib/etcd_cluster.sh and
# two edge hosts (host 1 with real traffic, host 2 plain).
#   1. Host 1 starts with a wrong endpoint (nothing listens there): it
#      enforces nothing from etcd. Its config fixed and SIGHUP: it follows
#      the group without a restart and enforces R0 (.77 dropped).
#   2. Host 1 moved to another group (SIGHUP): R0 stays in force (traffic)
#      while the new group has no manifest; its status key leaves the old
#      group for the new one; a publish to the new group (.66 dropped) is
#      enforced. Host 2, on the old group, is untouched.
#   3. Host 1 back to a file of its own (no source): the etcd source stops
#      (its status key goes) and the file's rules are in force.
#   4. Host 1 on the new group's source again: it enforces its revision.
# efw-timeout: 300
# shellcheck disable=SC2317 # functions called through tap_check, efw_wait_for
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"
# shellcheck source=SCRIPTDIR/../../scripts/lib/etcd_cluster.sh
source "$EFW_REPO/scripts/lib/etcd_cluster.sh"
# shellcheck source=SCRIPTDIR/../../scripts/lib/etcd_fleet.sh
source "$EFW_REPO/scripts/lib/etcd_fleet.sh"

CONVERGE_S=${EFW_FLEET_CONVERGE_S:-60}

efw_test_prereqs
for t in "$EFW_ETCD" "$EFW_ETCDCTL"; do
	command -v "$t" >/dev/null || tap_bail "etcd installed" "missing $t (scripts/deps.sh)"
done
[[ -x $EDGEFWD ]] || tap_bail "edgefwd built" "$EDGEFWD not found (make all)"
efw_etcd_init
efw_fleet_init "src-$EFW_ID"
G1=$EFW_FLEET_GROUP
G2=src2-$EFW_ID
PUB=$EFW_TMP/pub
mkdir -p "$PUB"
head_yaml() { printf 'version: 1\ndefaults:\n  xdp: pass\n  non-ip: pass\n'; }
{ head_yaml; printf 'rules:\n  - name: drop-77\n    src: 10.200.1.77/32\n    action: drop\n'; } >"$PUB/r0.yaml"
{ head_yaml; printf 'rules:\n  - name: drop-66\n    src: 10.200.1.66/32\n    action: drop\n'; } >"$PUB/g2.yaml"

# traffic_is WANT: "77" (.77 dropped), "66" (.66 dropped) or "open".
traffic_is() {
	local g b66 b77
	g=$(efw_fleet_ping 1 "$EFW_FLEET_CLIENT_GOOD")
	b66=$(efw_fleet_ping 1 "$EFW_FLEET_CLIENT_BAD")
	b77=$(efw_fleet_ping 1 "$EFW_FLEET_CLIENT_BAD2")
	echo "host 1: .2 $g/2, .66 $b66/2, .77 $b77/2 answered (want $1)"
	case $1 in
	77) [[ $g == 2 && $b66 == 2 && $b77 == 0 ]] ;;
	66) [[ $g == 2 && $b66 == 0 && $b77 == 2 ]] ;;
	open) [[ $g == 2 && $b66 == 2 && $b77 == 2 ]] ;;
	*) return 1 ;;
	esac
}
# status_key GROUP: host 1's status key in GROUP ("" when there is none).
status_key() {
	efw_etcd_ctl get "${EFW_FLEET_PREFIX}groups/$1/hosts/h1" --print-value-only 2>/dev/null
}
has_key() { [[ -n $(status_key "$1") ]]; }
no_key() { [[ -z $(status_key "$1") ]]; }
# reload_host1 WHY: SIGHUP, then waits for the reload's line in the log.
reload_host1() {
	local n
	n=$(grep -c 'reloading' "${EFW_FLEET_LOG[1]}" || true)
	kill -HUP "${EFW_FLEET_PID[1]}"
	reloaded() { (($(grep -c 'reloading' "${EFW_FLEET_LOG[1]}" || true) > n)); }
	efw_wait_for 10 reloaded && sleep 0.5
}
fail_diag() { tail -n 12 "${EFW_FLEET_LOG[1]}" | tap_diag; }
# converge REV WHY HOST: HOST reports REV (its status key and its own status).
converge() {
	if efw_fleet_wait_converged "$1" "$CONVERGE_S" "$3"; then
		tap_ok "$2 after $EFW_FLEET_WAIT_MS ms"
	else
		tap_fail "$2 within $CONVERGE_S s" "${EFW_FLEET_LAST_STATUS:-}"
		fail_diag
	fi
}

if ! efw_etcd_up >"$EFW_TMP/setup.log" 2>&1; then
	tap_bail "3-member etcd cluster with TLS in namespaces" "$(cat "$EFW_TMP/setup.log")"
fi
if ! { efw_fleet_host_up 1 traffic && efw_fleet_host_up 2; } >"$EFW_TMP/setup.log" 2>&1; then
	tap_bail "edge hosts up" "$(cat "$EFW_TMP/setup.log")"
fi
tap_ok "etcd cluster and 2 edge hosts ($EFW_ID)"
if ! efw_fleet_publish "$PUB/r0.yaml" || [[ ! ${EFW_FLEET_REV:-} =~ ^[0-9]+$ ]]; then
	tap_bail "publish R0" "$EFW_FLEET_PUB_OUT"
fi
REV_0=$EFW_FLEET_REV
CONF1=$EFW_FLEET_DIR/h1/edgefwd.yaml
GOOD_CONF=$(cat "$CONF1")

# --- 1. A wrong endpoint, fixed by a reload.
sed -i "s|endpoints: \[.*\]|endpoints: [https://$EFW_ETCD_NET.99:2379]|" "$CONF1"
efw_fleet_start 1
efw_fleet_start 2
converge "$REV_0" "host 2 enforces R0" 2
sleep 2
tap_check "host 1 with a wrong endpoint enforces nothing (open)" traffic_is open
tap_check "host 1 with a wrong endpoint has no status key" no_key "$G1"
printf '%s\n' "$GOOD_CONF" >"$CONF1"
reload_host1 || tap_fail "host 1 reloads on SIGHUP"
tap_check "host 1 still running after the reload" efw_fleet_alive 1
converge "$REV_0" "endpoint fixed by a reload: host 1 enforces R0 (no restart)" 1
tap_check "host 1 enforces R0 (real traffic)" traffic_is 77

# --- 2. Another group. R0 stays until the new group gives a bundle.
sed -i "s|group: $G1|group: $G2|" "$CONF1"
reload_host1 || tap_fail "host 1 reloads on SIGHUP"
tap_check "group changed, the new one without a manifest: R0 still enforced" traffic_is 77
tap_check "host 1's status key is in the new group" efw_wait_for 15 has_key "$G2"
tap_check "host 1's status key left the old group" efw_wait_for 15 no_key "$G1"
tap_is "host 1's own status names the new group" \
	"$(efw_fleet_local_status 1 | jq -r '.source.group')" "$G2"
EFW_FLEET_GROUP=$G2
if ! efw_fleet_publish "$PUB/g2.yaml" || [[ ! ${EFW_FLEET_REV:-} =~ ^[0-9]+$ ]]; then
	tap_fail "publish to the new group" "$EFW_FLEET_PUB_OUT"
fi
REV_G2=$EFW_FLEET_REV
converge "$REV_G2" "host 1 enforces the new group's revision" 1
tap_check "host 1 enforces the new group's rules (real traffic)" traffic_is 66
EFW_FLEET_GROUP=$G1
tap_check "host 2, on the old group, still reports R0" efw_fleet_enforces 2 "$REV_0"

# --- 3. Back to a file of its own.
{
	sed '/^daemon:/,$d' "$CONF1"
	printf 'defaults:\n  xdp: pass\n  non-ip: pass\n'
	printf 'rules:\n  - name: drop-2\n    src: 10.200.1.2/32\n    action: drop\n'
	sed -n '/^daemon:/,/^  source:/p' "$CONF1" | sed '$d'
} >"$CONF1.new" && mv "$CONF1.new" "$CONF1"
reload_host1 || tap_fail "host 1 reloads on SIGHUP"
only2_dropped() {
	local g
	g=$(efw_fleet_ping 1 "$EFW_FLEET_CLIENT_GOOD")
	echo "host 1: .2 $g/2 answered (want 0)"
	[[ $g == 0 ]]
}
tap_check "source removed: the file's own rules in force (real traffic)" only2_dropped
tap_check "source removed: host 1's status key is gone" efw_wait_for 15 no_key "$G2"

# --- 4. From a file of rules to a source again: the file's rules stay in
# force until the source gives its bundle, then that bundle is.
sed "s|group: $G1|group: $G2|" <<<"$GOOD_CONF" >"$CONF1"
reload_host1 || tap_fail "host 1 reloads on SIGHUP"
EFW_FLEET_GROUP=$G2
converge "$REV_G2" "a source again: host 1 enforces the group's revision" 1
EFW_FLEET_GROUP=$G1
tap_check "a source again: host 1 enforces the group's rules (real traffic)" traffic_is 66
tap_check "host 1 still running" efw_fleet_alive 1
tap_done
