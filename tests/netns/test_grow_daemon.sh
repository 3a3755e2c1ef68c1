#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Growth through edgefwd (issue 20): the daemon attaches a 10-rule ruleset
# at XDP on the client side and at tc-egress on the server side; a reload
# through its control socket to 100,000 prefixes + 10,000 rules grows the
# maps and swaps both hooks' programs under traffic without passing a
# packet either hook must drop; both attachments stay recorded and
# attached, and the daemon reloads again afterwards.
# efw-timeout: 400
# shellcheck disable=SC2119 # efw_daemon_reload and _diag without arguments
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
efw_daemon_prereqs tools

C=$EFW_NS_CLIENT
S=$EFW_NS_SERVER
INST=$EFW_INSTANCE
CONF=$EFW_TMP/edgefwd.yaml
A=$EFW_CLIENT4
B=$EFW_CLIENT4_BAD
IFACES=(--iface "$EFW_IF_EDGE_IN:xdp" --iface "$EFW_IF_EDGE_OUT:tc-egress")

rules_head() {
	cat <<EOF
defaults: {xdp: pass, tc-egress: pass, non-ip: pass}
rules:
  - name: drop-blocked
    src: $B/32
    proto: udp
    dport: 7001
    hooks: xdp
    action: drop
  - name: drop-egress
    src: $A/32
    proto: udp
    dport: 7003
    hooks: tc-egress
    action: drop
EOF
}
small() {
	rules_head
	for i in $(seq 1 8); do
		printf '  - name: f%d\n    dst: 192.0.2.%d/32\n    proto: tcp\n    dport: %d\n    action: drop\n' "$i" "$i" $((8000 + i))
	done
}
/usr/bin/python3 - "$EFW_TMP" <<'EOF'
import random, sys
d = sys.argv[1]
rnd = random.Random(21)
with open(d + "/block.txt", "w") as f:
    for _ in range(100000):
        ln = 32 if rnd.random() < 0.6 else rnd.choice([16, 20, 24, 28])
        a = rnd.getrandbits(32) & ((0xffffffff << (32 - ln)) & 0xffffffff)
        if a >> 24 in (0, 10, 100, 127, 192, 198):
            a = (a & 0x00ffffff) | (45 << 24)
        f.write("%d.%d.%d.%d/%d\n" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, ln))
with open(d + "/svc.yaml", "w") as f:
    f.write("  - name: blocklist\n    src: $block\n    action: drop\n")
    for i in range(10000):
        a = rnd.getrandbits(20)
        f.write("  - name: s%d\n    dst: 172.%d.%d.%d/32\n    proto: %s\n    dport: %d\n    action: %s\n" % (
            i, 16 + (a >> 16), a >> 8 & 255, a & 255, rnd.choice(["tcp", "udp"]),
            rnd.choice([22, 25, 53, 80, 443, 8080]), rnd.choice(["pass", "drop"])))
EOF
small | efw_daemon_config "$CONF" "${IFACES[@]}"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "static neighbours" efw_static_neigh
if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started with 10 rules at xdp and tc-egress"
else
	efw_daemon_diag
	tap_bail "edgefwd started"
fi

status() { efw_edgefw --instance "$INST" status --json 2>/dev/null; }
attached() { status | jq -e '[.attachments[] | select(.attached)] | length == 2' >/dev/null; }
tap_check "both hooks attached" efw_wait_for 10 attached
ids0=$(status | jq -c '[.attachments[].prog_id] | sort') || ids0=none

efw_sink_start "$S" "$EFW_SERVER4" 7000 || tap_fail "sink 7000"
efw_sink_start "$S" "$EFW_SERVER4" 7001 || tap_fail "sink 7001"
efw_sink_start "$S" "$EFW_SERVER4" 7003 || tap_fail "sink 7003"
efw_flood_start "$C" pass "$A" "$EFW_SERVER4" 7000 500 60
efw_flood_start "$C" xdp "$B" "$EFW_SERVER4" 7001 1000 60
efw_flood_start "$C" egress "$A" "$EFW_SERVER4" 7003 1000 60
sleep 1
{
	small
	cat "$EFW_TMP/svc.yaml"
	printf 'sets:\n  block: {files: [block.txt]}\n'
} | efw_daemon_config "$CONF" "${IFACES[@]}"
rc=0
out=$(efw_daemon_reload) || rc=$?
tap_is "reload through edgefwd to 100k prefixes + 10k rules exits 0" "$rc" 0
[[ $rc -eq 0 ]] || tap_diag "$(tail -n 5 <<<"$out")"
tap_check "edgefwd says the maps grew" efw_daemon_wait_log "grew /sys/fs/bpf/edgefw/$INST for the new ruleset" 5
sleep 1
sent_pass=$(efw_flood_stop pass)
sent_xdp=$(efw_flood_stop xdp)
sent_egress=$(efw_flood_stop egress)
sleep 0.5
efw_sink_stop 7000
efw_sink_stop 7001
efw_sink_stop 7003
tap_check "the senders ran ($sent_pass, $sent_xdp, $sent_egress sent)" \
	test "$sent_xdp" -gt 500 -a "$sent_egress" -gt 500 -a "$sent_pass" -gt 250
tap_is "not one packet the XDP rule drops passed ($sent_xdp sent)" "$(efw_sink_field 7001 received)" 0
tap_is "not one packet the tc-egress rule drops passed ($sent_egress sent)" "$(efw_sink_field 7003 received)" 0
tap_check "the allowed flow kept flowing ($(efw_sink_field 7000 received) of $sent_pass)" \
	test "$(efw_sink_field 7000 received)" -gt $((sent_pass / 2))

st=$(status) || st=none
# shellcheck disable=SC2016 # jq program
tap_check "status: 10011 rules, both hooks attached with new programs" jq -e --argjson old "$ids0" '
	.rules == 10011 and ([.attachments[] | select(.attached)] | length == 2) and
	([.attachments[].prog_id] | sort) != $old' <<<"$st"
small | efw_daemon_config "$CONF" "${IFACES[@]}"
rc=0
out=$(efw_daemon_reload) || rc=$?
tap_is "a later reload through edgefwd exits 0" "$rc" 0
tap_check "both hooks still attached" attached
efw_daemon_stop
tap_done
