#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Stateful filtering with real traffic. The edge host denies inbound by
# default at XDP and tc-ingress on its server-facing link and allows only
# replies (`state: [established, related]`) and one service; tc-egress
# records its own connections. From the edge: a name resolved through a DNS
# server of its own in the server namespace, TCP and UDP out, ping out (v4
# and v6), and ICMP "fragmentation needed" / "packet too big" about its own
# datagrams delivered (while one about a flow it never had is not). From
# the server: an unsolicited SYN, datagram and echo request dropped; the
# service reached. Then the same scenario with nftables
# (`ct state established,related accept` in an inet input chain) instead of
# edgefw: the same flows must pass and the same be dropped. Last, a TCP
# connection under edgefwd keeps transferring across a reload and a daemon
# restart.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_test_prereqs
PY=/usr/bin/python3
HELPER=$EFW_REPO/tests/netns/ct_helper.py
command -v nft >/dev/null || tap_bail "nft installed" "missing: nft (nftables)"
$PY -c 'import scapy' 2>/dev/null || tap_bail "scapy for $PY" "missing: python3-scapy"

E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
OUT=$EFW_IF_EDGE_OUT
INST=$EFW_INSTANCE
SVC=2222

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

RULES=$EFW_TMP/stateful.yaml
cat >"$RULES" <<EOF
version: 1
defaults: {xdp: drop, tc-ingress: drop, tc-egress: pass, non-ip: pass}
rules:
  - name: replies
    hooks: [xdp, tc-ingress]
    state: [established, related]
    action: pass
  - name: service
    hooks: [xdp, tc-ingress]
    proto: tcp
    dport: $SVC
    state: new
    track: true
    action: pass
EOF

# Servers in the server namespace: DNS, UDP echo and TCP echo, v4 and v6.
for a in "$EFW_SERVER4" "$EFW_SERVER6"; do
	efw_bg_in_ns "$S" "$EFW_TMP/dns-$a.out" $PY "$HELPER" dns-server "$a" 53
	efw_bg_in_ns "$S" "$EFW_TMP/uecho-$a.out" $PY "$HELPER" udp-echo "$a" 7007
done
efw_bg_in_ns "$S" "$EFW_TMP/techo.out" socat TCP6-LISTEN:7200,ipv6only=0,reuseaddr,fork EXEC:cat
efw_wait_for 5 efw_listening "$S" u 53 || tap_bail "DNS server in $S" "$(cat "$EFW_TMP"/dns-*.err)"
efw_wait_for 5 efw_listening "$S" t 7200 || tap_bail "TCP echo server in $S" "$(cat "$EFW_TMP/techo.out.err")"

# tcp_in DST PORT: a connection from the server to a one-shot listener in
# the edge; 0 when the token arrived.
tcp_in() {
	local dst=$1 port=$2 fam=4 token="in-$RANDOM" pid ok=1
	efw_is_v6 "$dst" && fam=6
	efw_bg_in_ns "$E" "$EFW_TMP/tin-$port.rx" socat -u "TCP$fam-LISTEN:$port,bind=$(efw_sockaddr "$dst"),reuseaddr" STDOUT
	pid=$EFW_BG_PID
	efw_wait_for 3 efw_listening "$E" t "$port" || { efw_stop_pid "$pid"; return 2; }
	printf '%s\n' "$token" | in_ns "$S" timeout 5 socat -u STDIN \
		"TCP$fam:$(efw_sockaddr "$dst"):$port,connect-timeout=2" 2>/dev/null || true
	efw_wait_pid "$pid" 2 || true
	efw_stop_pid "$pid"
	grep -qxF -- "$token" "$EFW_TMP/tin-$port.rx" && ok=0
	return $ok
}

# udp_in DST PORT: a datagram from the server to a receiver in the edge.
udp_in() {
	local dst=$1 port=$2 n
	udp_receiver_start "$E" "$dst" "$port" || return 2
	send_udp "$S" "$EFW_SERVER4" "$dst" "$port" 1 uin 2>/dev/null ||
		send_udp "$S" "$EFW_SERVER6" "$dst" "$port" 1 uin 2>/dev/null || true
	sleep 0.5
	n=$(udp_received "$port" uin)
	udp_receiver_stop "$port"
	[[ $n -ge 1 ]]
}

# icmp_delivered SRC DST SPORT DPORT: an ICMP error from the server about
# DST:SPORT -> SRC:DPORT; 0 when the edge's stack counted it.
icmp_delivered() {
	local src=$1 dst=$2 before after file=snmp group=Icmp field=InDestUnreachs
	if efw_is_v6 "$dst"; then file=snmp6 group="" field=Icmp6InPktTooBigs; fi
	before=$(efw_snmp "$E" $file "$group" $field)
	in_ns "$S" $PY "$HELPER" icmp-error "$src" "$dst" "$3" "$4" >/dev/null 2>&1 || return 2
	sleep 0.3
	after=$(efw_snmp "$E" $file "$group" $field)
	[[ $after -gt $before ]]
}

yn() { if "$@" >/dev/null 2>&1; then echo pass; else echo drop; fi; }

# The scenario; BASE offsets the ports so the two runs share no flow.
# Prints one "check=pass|drop" line each.
scenario() {
	local b=$1 p
	echo "dns-v4=$(yn in_ns "$E" $PY "$HELPER" dns-query "$EFW_SERVER4" 53 host.test)"
	echo "dns-v6=$(yn in_ns "$E" $PY "$HELPER" dns-query "$EFW_SERVER6" 53 host.test)"
	echo "tcp-out-v4=$(yn tcp_transfer "$E" "$EFW_EDGE_OUT4" "$EFW_SERVER4" $((b + 1)))"
	echo "tcp-out-v6=$(yn tcp_transfer "$E" "$EFW_EDGE_OUT6" "$EFW_SERVER6" $((b + 2)))"
	echo "udp-out-v4=$(yn in_ns "$E" $PY "$HELPER" udp-ask "$EFW_EDGE_OUT4" $((b + 3)) "$EFW_SERVER4" 7007)"
	echo "udp-out-v6=$(yn in_ns "$E" $PY "$HELPER" udp-ask "$EFW_EDGE_OUT6" $((b + 4)) "$EFW_SERVER6" 7007)"
	p=$(send_ping "$E" "$EFW_EDGE_OUT4" "$EFW_SERVER4" 3 || echo 0)
	echo "ping-out-v4=$([[ $p == 3 ]] && echo pass || echo drop)"
	p=$(send_ping "$E" "$EFW_EDGE_OUT6" "$EFW_SERVER6" 3 || echo 0)
	echo "ping-out-v6=$([[ $p == 3 ]] && echo pass || echo drop)"
	# ICMP errors about a datagram the edge sent (udp-out above) and about
	# one it never sent.
	echo "frag-needed-v4=$(yn icmp_delivered "$EFW_SERVER4" "$EFW_EDGE_OUT4" $((b + 3)) 7007)"
	echo "too-big-v6=$(yn icmp_delivered "$EFW_SERVER6" "$EFW_EDGE_OUT6" $((b + 4)) 7007)"
	echo "stray-too-big-v6=$(yn icmp_delivered "$EFW_SERVER6" "$EFW_EDGE_OUT6" $((b + 9)) 7007)"
	echo "syn-in-v4=$(yn tcp_in "$EFW_EDGE_OUT4" $((b + 5)))"
	echo "syn-in-v6=$(yn tcp_in "$EFW_EDGE_OUT6" $((b + 6)))"
	echo "udp-in-v4=$(yn udp_in "$EFW_EDGE_OUT4" $((b + 7)))"
	p=$(send_ping "$S" "$EFW_SERVER4" "$EFW_EDGE_OUT4" 2 || echo 0)
	echo "ping-in-v4=$([[ $p == 2 ]] && echo pass || echo drop)"
	p=$(send_ping "$S" "$EFW_SERVER6" "$EFW_EDGE_OUT6" 2 || echo 0)
	echo "ping-in-v6=$([[ $p == 2 ]] && echo pass || echo drop)"
	echo "service-v4=$(yn tcp_in "$EFW_EDGE_OUT4" "$SVC")"
}

WANT="dns-v4=pass
dns-v6=pass
tcp-out-v4=pass
tcp-out-v6=pass
udp-out-v4=pass
udp-out-v6=pass
ping-out-v4=pass
ping-out-v6=pass
frag-needed-v4=pass
too-big-v6=pass
stray-too-big-v6=drop
syn-in-v4=drop
syn-in-v6=drop
udp-in-v4=drop
ping-in-v4=drop
ping-in-v6=drop
service-v4=pass"

# --- edgefw.
tap_check "attach $OUT at xdp, tc-ingress and tc-egress with state rules" \
	efw_edgefw --instance "$INST" attach "$OUT" --rules "$RULES" --hook xdp --hook tc-ingress --hook tc-egress \
	--conntrack-size 8192
tap_bail_if_failed "cannot attach"
got_efw=$(scenario 20000)
tap_is "edgefw: replies to the edge's own traffic pass, unsolicited traffic is dropped" "$got_efw" "$WANT"
st=$(efw_edgefw --instance "$INST" stats --json 2>/dev/null) || st='{}'
tap_check "stats --json counts packets by connection state and flows" jq -e '
	.conntrack.established > 0 and .conntrack.related >= 2 and .conntrack.new > 0
	and .conntrack.invalid >= 1 and .conntrack.created > 0 and .conntrack.capacity > 0
	and .conntrack.flows + .conntrack.flows_unconfirmed > 0' <<<"$st"
cnt=$(efw_edgefw --instance "$INST" conntrack count --json 2>/dev/null) || cnt='{}'
tap_check "conntrack count --json: flows by state, capacities from --conntrack-size 8192" jq -e '
	.flows > 0 and .flows == .confirmed + .unconfirmed and .capacity == 8192
	and .unconfirmed_capacity == 2048' <<<"$cnt"
lst=$(efw_edgefw --instance "$INST" conntrack list --json --addr "$EFW_SERVER4" --proto udp 2>/dev/null) || lst='[]'
tap_check "conntrack list --addr --proto: the edge's DNS and UDP flows, recorded at tc-egress" jq -e \
	--arg e "$EFW_EDGE_OUT4" --arg s "$EFW_SERVER4" '
	length >= 2 and all(.[]; .src == $e and .dst == $s and .proto == "udp" and .hook == "tc-egress")
	and any(.[]; .dport == 53 and .replied)' <<<"$lst"
out=$(efw_edgefw --instance "$INST" conntrack flush --proto icmp 2>&1) || true
tap_check "conntrack flush --proto icmp removes the echo flows" grep -qE "^removed [1-9][0-9]* flows" <<<"$out"
tap_check "detach $OUT" efw_edgefw --instance "$INST" detach "$OUT"

# --- nftables as the reference, on the same edge.
# shellcheck disable=SC2034 # used in the eval below
NFT="table inet efwct$EFW_ID {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		tcp dport $SVC ct state new accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept
	}
}"
tap_check "nftables: the same policy in an inet input chain" eval 'in_ns "$E" nft -f - <<<"$NFT"'
got_nft=$(scenario 30000)
in_ns "$E" nft delete table inet "efwct$EFW_ID" 2>/dev/null || true
tap_is "nftables passes and drops the same flows as edgefw" "$got_nft" "$got_efw"

# --- A connection across a reload and an edgefwd restart.
efw_daemon_config "$EFW_TMP/d.yaml" --iface "$OUT:xdp,tc-ingress,tc-egress" \
	--daemon-line "conntrack-size: 4096" <<EOF
defaults: {xdp: drop, tc-ingress: drop, tc-egress: pass, non-ip: pass}
rules:
  - name: replies
    hooks: [xdp, tc-ingress]
    state: [established, related]
    action: pass
EOF
efw_daemon_start "$EFW_TMP/d.yaml" || tap_bail "edgefwd starts" "$(cat "$EFW_DAEMON_ERR")"
tap_ok "edgefwd enforces the stateful rules on $OUT"
tap_is "edgefwd created the instance with daemon.conntrack-size's table" \
	"$(efw_edgefw --instance "$INST" conntrack count --json 2>/dev/null | jq -r '"\(.capacity) \(.unconfirmed_capacity)"')" \
	"4096 1024"
efw_bg_in_ns "$E" "$EFW_TMP/stream.out" $PY "$HELPER" tcp-stream "$EFW_EDGE_OUT4" "$EFW_SERVER4" 7200 12 "$EFW_TMP/stream.count"
STREAM=$EFW_BG_PID
lines() { cat "$EFW_TMP/stream.count" 2>/dev/null || echo 0; }
grew() { local n; n=$(lines); [[ $n -gt $1 ]]; }
efw_wait_for 5 grew 5 || true
n0=$(lines)
tap_check "a TCP connection from the edge transfers under edgefwd ($n0 lines)" test "$n0" -gt 5
printf '  - name: extra\n    hooks: xdp\n    proto: udp\n    dport: 9\n    action: drop\n' >>"$EFW_TMP/d.yaml"
tap_check "reload through edgefwd" efw_daemon_reload
efw_wait_for 5 grew $((n0 + 10)) || true
n1=$(lines)
tap_check "the connection goes on after the reload ($n0 -> $n1 lines)" test "$n1" -gt $((n0 + 10))
efw_daemon_stop
efw_daemon_start "$EFW_TMP/d.yaml" || tap_bail "edgefwd restarts" "$(cat "$EFW_DAEMON_ERR")"
efw_wait_for 5 grew $((n1 + 10)) || true
n2=$(lines)
tap_check "the connection goes on after edgefwd restarted and adopted the table ($n1 -> $n2 lines)" \
	test "$n2" -gt $((n1 + 10))
rc=0
efw_wait_pid "$STREAM" 15 || true
wait "$STREAM" || rc=$?
tap_is "the connection never stalled (client exit status)" "$rc" 0
efw_daemon_stop

tap_done
