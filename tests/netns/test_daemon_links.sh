#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefwd follows the interfaces of its namespace. The config asks for XDP
# and tc-egress on every interface named "lk<id>*"; dummy (or, without them
# in the kernel, ifb) interfaces and a veth pair into the client namespace come and go in the edge namespace:
#   - one matching at start is attached (both hooks), one not matching never;
#   - one created after start is attached; deleted, it is forgotten (no
#     error); recreated with the same name (new ifindex), attached again;
#   - renamed out of the pattern it is detached and forgotten; one renamed
#     into the pattern is attached;
#   - real traffic: a veth created after start filters (a blocked source
#     gets no ping reply, an allowed one does), deleted and recreated it
#     filters again, renamed out of the pattern it no longer filters;
#   - ENOBUFS: with the daemon stopped (SIGSTOP), ~2000 dummy (or ifb) interfaces
#     not matching are created and set up and down twice (10,000
#     notifications: more than the daemon's 8 MiB socket buffer holds),
#     then a few matching are created; after SIGCONT
#     the matching ones end attached (the daemon resyncs) and the others
#     not; all deleted, they are all forgotten.
# shellcheck disable=SC2119 # helpers with an optional argument
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
CONF=$EFW_TMP/edgefwd.yaml
# Names within IFNAMSIZ-1: "lk" + 6 + suffix (matching), "nm" + 6 + suffix.
P=lk$EFW_ID
N=nm$EFW_ID
BULK=${EFW_LINKS_BULK:-2000}
BULK_MATCH=5
# Up and down changes per bulk interface: each is one more RTM_NEWLINK, cheaper
# than an interface, so the burst overruns the 8 MiB buffer (a
# notification's skb takes at least 1.3 KiB of it).
BULK_TOGGLES=4
GROUP=77
WAIT=10
# The veth for real traffic: edge end $P-v... names: edge "${P}v", client
# "cv$EFW_ID"; its own subnet, an allowed and a blocked client address.
VE=${P}v
VC=cv$EFW_ID
NET=10.200.5
EDGE_V4=$NET.1
GOOD_V4=$NET.2
BAD_V4=$NET.66

efw_daemon_config "$CONF" --iface "$P*:xdp,tc-egress" <<EOF
defaults:
  xdp: pass
  non-ip: pass
rules:
  - name: drop-bad
    src: [$BAD_V4/32, $EFW_CLIENT4_BAD/32]
    action: drop
EOF

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

ipe() { in_ns "$E" ip "$@"; }
# Dummy interfaces when the kernel has them, else ifb (XDP generic and tc
# work on either).
LT=dummy
if ! ipe link add "${N}probe" type dummy 2>/dev/null; then
	LT=ifb
fi
ipe link del "${N}probe" 2>/dev/null || true
tap_diag "interfaces for the churn: type $LT"
ifindex() { ipe -o link show dev "$1" 2>/dev/null | cut -d: -f1; }
# The (interface, hook) pairs status --json lists (attached or not) among
# ours, as "IF HOOK attached ifindex" lines, sorted.
ours() {
	jq -r --arg p "$P" --arg n "$N" \
		'.attachments[]? | select((.interface | startswith($p)) or (.interface | startswith($n))) |
			"\(.interface) \(.hook) \(.attached) \(.ifindex)"' <<<"$(efw_status_json)" 2>/dev/null | sort
}
# rows IF: status rows of IF as "hook attached" pairs, sorted, on one line.
rows() {
	jq -r --arg i "$1" '[.attachments[]? | select(.interface == $i) | "\(.hook)=\(.attached)"] | sort | join(" ")' \
		<<<"$(efw_status_json)" 2>/dev/null || echo invalid-json
}
# Attached by both hooks, with the interface's current ifindex.
both_attached() {
	local idx
	idx=$(ifindex "$1") || return 1
	[[ -n $idx ]] || return 1
	[[ $(rows "$1") == "tc-egress=true xdp=true" ]] || return 1
	[[ $(jq -r --arg i "$1" '[.attachments[]? | select(.interface == $i) | .ifindex] | unique | join(" ")' \
		<<<"$(efw_status_json)" 2>/dev/null) == "$idx" ]]
}
not_listed() { [[ -z $(rows "$1") ]]; }
# The kernel's view: an XDP program on IF.
has_xdp() { [[ $(efw_xdp_prog_id "$1") != none ]]; }
# wait_check DESC PRED IF: polls PRED IF for up to WAIT seconds.
wait_check() {
	local desc=$1
	shift
	if efw_wait_for "$WAIT" "$@"; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "status rows of $2: $(rows "$2")" "all ours:" "$(ours)"
		efw_daemon_diag 8
	fi
}
errors() { efw_daemon_log_count 'error'; }

# --- 1. At start: one matching, one not.
tap_check "create ${P}0 (matching) and ${N}0 (not) before the daemon" eval \
	"ipe link add ${P}0 type $LT && ipe link add ${N}0 type $LT"
if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started and answers on its control socket"
else
	rc=$?
	efw_daemon_diag
	tap_bail "edgefwd started (exit ${EFW_DAEMON_RC:-none}, start rc $rc)"
fi
wait_check "${P}0, there at start, is attached (xdp and tc-egress)" both_attached "${P}0"
tap_is "${N}0 is not attached" "$(rows "${N}0")" ""
tap_is "the topology's own links are not attached" \
	"$(jq -c '[.attachments[]?.interface | select(startswith("efw"))]' <<<"$(efw_status_json)" 2>/dev/null)" "[]"
err0=$(errors)

# --- 2. Created after start, deleted, recreated.
ipe link add "${P}1" type $LT
wait_check "${P}1, created after start, gets attached" both_attached "${P}1"
tap_check "the kernel shows an XDP program on ${P}1" has_xdp "${P}1"
idx1=$(ifindex "${P}1")
ipe link del "${P}1"
wait_check "${P}1 deleted: forgotten (status no longer lists it)" not_listed "${P}1"
if efw_daemon_wait_log "^edgefwd: ${P}1 .*is gone" 5; then
	tap_ok "the daemon logged that ${P}1 is gone"
else
	tap_fail "the daemon logged that ${P}1 is gone" "$(tail -n 5 "$EFW_DAEMON_ERR")"
fi
ipe link add "${P}1" type $LT
idx2=$(ifindex "${P}1")
tap_check "recreated ${P}1 has a new ifindex ($idx1 -> $idx2)" test "$idx1" != "$idx2"
wait_check "${P}1 recreated: attached again, with its new ifindex" both_attached "${P}1"

# --- 3. Renames.
ipe link set dev "${P}0" name "${N}r0"
wait_check "${P}0 renamed ${N}r0 (out of the pattern): no longer listed" not_listed "${P}0"
tap_is "${N}r0 is not listed either" "$(rows "${N}r0")" ""
tap_is "no XDP program left on ${N}r0" "$(efw_xdp_prog_id "${N}r0")" none
tap_is "no tc filter left on ${N}r0's egress" \
	"$(in_ns "$E" tc filter show dev "${N}r0" egress 2>/dev/null | grep -c bpf || true)" 0
ipe link set dev "${N}0" name "${P}r"
wait_check "${N}0 renamed ${P}r (into the pattern): attached" both_attached "${P}r"
ipe link add "${N}1" type $LT
sleep 1
tap_is "${N}1, created after start, not matching: never attached" "$(rows "${N}1") $(efw_xdp_prog_id "${N}1")" " none"
tap_is "no error logged by the churn" "$(($(errors) - err0))" 0

# --- 4. Real traffic through a veth created after start.
# veth_up: the pair, addresses, up; waits for the carrier.
veth_up() {
	ipe link add "$VE" type veth peer name "$VC" netns "$C" &&
		ipe addr add "$EDGE_V4/24" dev "$VE" &&
		in_ns "$C" ip addr add "$GOOD_V4/24" dev "$VC" &&
		in_ns "$C" ip addr add "$BAD_V4/24" dev "$VC" &&
		in_ns "$C" sysctl -qw "net.ipv6.conf.$VC.disable_ipv6=1" &&
		ipe link set "$VE" up && in_ns "$C" ip link set "$VC" up &&
		efw_wait_for 3 efw_link_is_up "$E" "$VE"
}
pings() { send_ping "$C" "$1" "$EDGE_V4" 3 || echo error; }
tap_check "a veth $VE (edge) <-> $VC (client) created after start" veth_up
wait_check "$VE gets attached" both_attached "$VE"
tap_is "through $VE: allowed ping answered, blocked ping not" \
	"$(pings "$GOOD_V4") $(pings "$BAD_V4")" "3 0"
ipe link del "$VE"
wait_check "$VE deleted: forgotten" not_listed "$VE"
tap_check "the veth recreated with the same name" veth_up
wait_check "$VE recreated: attached again" both_attached "$VE"
tap_is "through the recreated $VE: allowed ping answered, blocked ping not" \
	"$(pings "$GOOD_V4") $(pings "$BAD_V4")" "3 0"
tap_check "$VE renamed ${N}v (out of the pattern)" eval \
	"ipe link set dev $VE down && ipe link set dev $VE name ${N}v && ipe link set dev ${N}v up &&
	efw_wait_for 3 efw_link_is_up $E ${N}v"
wait_check "${N}v is no longer listed" not_listed "$VE"
tap_is "through ${N}v (detached): the blocked ping is answered now" "$(pings "$BAD_V4")" 3

# --- 5. ENOBUFS: a burst of link events while the daemon cannot read.
efw_daemon_signal STOP
{
	for ((i = 0; i < BULK; i++)); do echo "link add ${N}b$i group $GROUP type $LT"; done
	updown=(up down)
	for ((a = 0; a < BULK_TOGGLES; a++)); do
		for ((i = 0; i < BULK; i++)); do echo "link set dev ${N}b$i ${updown[a & 1]}"; done
	done
	for ((i = 0; i < BULK_MATCH; i++)); do echo "link add ${P}z$i group $GROUP type $LT"; done
} >"$EFW_TMP/bulk-add"
t0=${EPOCHREALTIME//[.,]/}
rc=0
ipe -batch "$EFW_TMP/bulk-add" || rc=$?
tap_is "created $BULK + $BULK_MATCH dummy interfaces (ip -batch) while the daemon was stopped" "$rc" 0
efw_daemon_signal CONT
# shellcheck disable=SC2317 # called through efw_wait_for
all_z_attached() {
	local i
	for ((i = 0; i < BULK_MATCH; i++)); do both_attached "${P}z$i" || return 1; done
}
if efw_wait_for 30 all_z_attached; then
	t=$(((${EPOCHREALTIME//[.,]/} - t0) / 1000))
	tap_ok "after SIGCONT the $BULK_MATCH matching ones end attached (${t} ms after the burst began)"
else
	tap_fail "after SIGCONT the $BULK_MATCH matching ones end attached" "$(ours | grep "${P}z" || true)"
	efw_daemon_diag 10
fi
n=$(jq -r --arg n "${N}b" '[.attachments[]? | select(.interface | startswith($n))] | length' \
	<<<"$(efw_status_json)" 2>/dev/null || echo invalid-json)
tap_is "none of the $BULK not matching is attached" "$n" 0
if grep -qiE 'resync|ENOBUFS|No buffer space' "$EFW_DAEMON_ERR"; then
	tap_ok "the daemon logged a resync"
	tap_diag "$(grep -iE 'resync|ENOBUFS|No buffer space' "$EFW_DAEMON_ERR" | head -n 3)"
else
	tap_fail "the daemon logged a resync (a line with resync / ENOBUFS)" \
		"(did its netlink socket overflow? $((BULK * (1 + BULK_TOGGLES))) + $BULK_MATCH RTM_NEWLINK while stopped)"
	efw_daemon_diag 10
fi
tap_check "the daemon is still alive and answers" efw_daemon_ready
# One request for all (a link group): deleting them one by one costs an RCU
# grace period each, tens of seconds for 2000.
rc=0
ipe link del group "$GROUP" || rc=$?
tap_is "deleted them all" "$rc" 0
# shellcheck disable=SC2317 # called through efw_wait_for
none_z_listed() { ! ours | grep -q "${P}z"; }
if efw_wait_for 30 none_z_listed; then
	tap_ok "all ${P}z* forgotten"
else
	tap_fail "all ${P}z* forgotten" "$(ours | grep "${P}z" || true)"
	efw_daemon_diag 10
fi
tap_is "still attached at the end: ${P}1 and ${P}r, both hooks" \
	"$(ours | cut -d' ' -f1-3 | paste -sd, -)" \
	"${P}1 tc-egress true,${P}1 xdp true,${P}r tc-egress true,${P}r xdp true"
tap_is "no error logged" "$(errors)" 0
[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "$(grep error "$EFW_DAEMON_ERR" | head -n 10)"

efw_daemon_stop TERM || true
tap_is "SIGTERM stops the daemon with exit 0" "$EFW_DAEMON_RC" 0
tap_done
