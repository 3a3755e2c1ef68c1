#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `make demo`: builds a client -> edge -> server topology out of network
# namespaces, enforces rules/demo.yaml with edgefw (XDP) on the edge host,
# sends allowed and blocked flows of each kind and shows what happened to
# them, then the counters; then the same rules under the daemon edgefwd,
# with its drop log, metrics and a reload. Everything is removed at the
# end, also on Ctrl-C.
# Exit status 0 only when every flow behaved as expected.
#
# Host changes: none, except mounting bpffs on /sys/fs/bpf when it is not.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/topology.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/topology.sh"

die() {
	echo "demo: $*" >&2
	exit 2
}

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, XDP, bpffs): sudo make demo"
for tool in ip nsenter ping socat ss jq timeout mountpoint; do
	command -v "$tool" >/dev/null || die "missing $tool (make deps installs it)"
done
[[ -x $EDGEFW ]] || die "$EDGEFW not built (make)"
EDGEFWD=${EDGEFWD:-$(dirname "$EDGEFW")/edgefwd}
[[ -x $EDGEFWD ]] || die "$EDGEFWD not built (make)"
command -v curl >/dev/null || die "missing curl (make deps installs it)"
efw_ensure_bpffs || die "cannot mount bpffs on /sys/fs/bpf"

efw_init demo
trap 'echo; echo "demo: interrupted, removing everything"; efw_cleanup; trap - EXIT; exit 130' INT
C=$EFW_NS_CLIENT
COUNT=5

if [[ ${LC_ALL:-${LC_CTYPE:-${LANG:-}}} =~ [Uu][Tt][Ff]-?8 ]]; then
	GOOD="✔" BAD="✘"
else
	GOOD="ok" BAD="XX"
fi
flows=0
unexpected=0

# report FLOW WHAT EXPECTED ACTUAL OK(0|1)
report() {
	local mark=$GOOD
	flows=$((flows + 1))
	if [[ $5 -ne 0 ]]; then
		mark=$BAD
		unexpected=$((unexpected + 1))
	fi
	printf '  %s %-40s %-10s %-11s %s\n' "$mark" "$1" "$2" "$3" "$4"
}

header() {
	echo
	echo "== $* =="
}

table_head() {
	printf '  %*s %-40s %-10s %-11s %s\n' "${#GOOD}" "" flow traffic expected actual
}

# ping_flow SRC DST COUNT delivered|dropped
ping_flow() {
	local src=$1 dst=$2 n=$3 expect=$4 got actual ok=1 proto=ICMP
	efw_is_v6 "$dst" && proto=ICMPv6
	got=$(send_ping "$C" "$src" "$dst" "$n" 2>/dev/null) || got=""
	if [[ -z $got ]]; then
		actual="ping failed"
	elif [[ $expect == delivered ]]; then
		actual="delivered $got/$n"
		[[ $got -eq $n ]] && ok=0
	else
		actual="dropped $((n - got))/$n"
		[[ $got -eq 0 ]] && ok=0
	fi
	report "$src -> $dst" "$proto x$n" "$expect" "$actual" "$ok"
}

# udp_flow SRC DST PORT delivered|dropped: a receiver on DST:PORT must be
# running. A dropped flow is followed by one allowed marker datagram: once
# it is in, any blocked one that got through would be in as well.
udp_flow() {
	local src=$1 dst=$2 port=$3 expect=$4 tag got actual ok=1 allowed
	tag="demo-$RANDOM"
	if ! send_udp "$C" "$src" "$dst" "$port" "$COUNT" "$tag" 2>/dev/null; then
		actual="could not send"
	elif [[ $expect == delivered ]]; then
		udp_wait_received "$port" "$tag" "$COUNT" 3 || true
		got=$(udp_received "$port" "$tag")
		actual="delivered $got/$COUNT"
		[[ $got -eq $COUNT ]] && ok=0
	else
		allowed=$EFW_CLIENT4
		efw_is_v6 "$dst" && allowed=$EFW_CLIENT6
		send_udp "$C" "$allowed" "$dst" "$port" 1 "$tag-marker" 2>/dev/null || true
		if udp_wait_received "$port" "$tag-marker" 1 3; then
			got=$(udp_received "$port" "$tag-[0-9]")
			actual="dropped $((COUNT - got))/$COUNT"
			[[ $got -eq 0 ]] && ok=0
		else
			actual="marker datagram lost"
		fi
	fi
	report "$src -> $(efw_sockaddr "$dst"):$port" "UDP x$COUNT" "$expect" "$actual" "$ok"
}

# tcp_flow SRC DST PORT delivered|dropped
tcp_flow() {
	local src=$1 dst=$2 port=$3 expect=$4 actual ok=1 rc=0
	tcp_transfer "$C" "$src" "$dst" "$port" 2>/dev/null || rc=$?
	if [[ $rc -eq 0 ]]; then
		actual="connected, data delivered"
		[[ $expect == delivered ]] && ok=0
	elif [[ $rc -eq 1 ]]; then
		actual="no connection (${EFW_TCP_CONNECT_TIMEOUT}s)"
		[[ $expect == dropped ]] && ok=0
	else
		actual="listener did not start"
	fi
	report "$src -> $(efw_sockaddr "$dst"):$port" "TCP" "$expect" "$actual" "$ok"
}

# sink_flow N with|without: without edgefw the edge answers "net
# unreachable" (it has no route); with it the packets vanish silently.
sink_flow() {
	local n=$1 mode=$2 u0 u1 got errs actual ok=1 expect
	u0=$(efw_snmp "$C" snmp Icmp InDestUnreachs)
	got=$(send_ping "$C" "$EFW_CLIENT4" "$EFW_SINKHOLE4" "$n" 2>/dev/null) || got=""
	u1=$(efw_snmp "$C" snmp Icmp InDestUnreachs)
	errs=$((u1 - u0))
	if [[ $mode == without ]]; then
		expect=unreachable
		actual="$errs ICMP unreachable from $EFW_EDGE_IN4"
		[[ $errs -ge 1 ]] && ok=0
	else
		expect=dropped
		if [[ $errs -gt 0 ]]; then
			actual="$errs ICMP unreachable from $EFW_EDGE_IN4"
		else
			actual="dropped $((n - ${got:-0}))/$n silently"
			[[ $got == 0 ]] && ok=0
		fi
	fi
	report "$EFW_CLIENT4 -> $EFW_SINKHOLE4 (sinkhole)" "ICMP x$n" "$expect" "$actual" "$ok"
}

echo "edgefw demo: XDP filtering on an edge host, in network namespaces ($EFW_ID)"

header "Topology"
cat <<EOF
   client                       edge                                   server
   $(printf '%-28s %-38s %s' "$EFW_NS_CLIENT" "$EFW_NS_EDGE" "$EFW_NS_SERVER")
  +--------------------------+  +------------------------------------+  +--------------------+
  | $(printf '%-24s' "$EFW_IF_CLIENT") |  | $(printf '%-16s %17s' "$EFW_IF_EDGE_IN" "$EFW_IF_EDGE_OUT") |  | $(printf '%-18s' "$EFW_IF_SERVER") |
  | $(printf '%-15s %-8s' "$EFW_CLIENT4" allowed) |->| $(printf '%-16s %17s' "$EFW_EDGE_IN4" "$EFW_EDGE_OUT4") |->| $(printf '%-18s' "$EFW_SERVER4") |
  | $(printf '%-15s %-8s' "$EFW_CLIENT4_BAD" blocked) |  | $(printf '%-16s %17s' "$EFW_EDGE_IN6" "$EFW_EDGE_OUT6") |  | $(printf '%-18s' "$EFW_SERVER6") |
  | $(printf '%-15s %-8s' "$EFW_CLIENT6" allowed) |  | $(printf '%-34s' "^ XDP edgefw (ingress)") |  +--------------------+
  | $(printf '%-15s %-8s' "$EFW_CLIENT6_BAD" blocked) |  | $(printf '%-34s' "no route to $EFW_SINKHOLE_NET4") |
  +--------------------------+  +------------------------------------+
  The client routes everything, the sinkhole $EFW_SINKHOLE_NET4 included, via the edge.
EOF

if ! out=$(efw_topology_up 2>&1); then
	echo "$out" >&2
	die "could not build the topology"
fi

header "Without edgefw"
table_head
ping_flow "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 1 delivered
ping_flow "$EFW_CLIENT6_BAD" "$EFW_SERVER6" 1 delivered
sink_flow 1 without
baseline_bad=$unexpected

header "Rules (rules/demo.yaml)"
sed -e 's/[[:space:]]*#.*//' -e '/^[[:space:]]*$/d' -e 's/^/  /' "$EFW_RULES_DEMO"
(cd "$EFW_REPO" && "$EDGEFW" check rules/demo.yaml 2>&1) | sed 's/^/  /'

header "Attach"
echo "  edge# edgefw --instance $EFW_INSTANCE attach $EFW_IF_EDGE_IN --rules rules/demo.yaml"
if ! out=$(efw_edgefw --instance "$EFW_INSTANCE" attach "$EFW_IF_EDGE_IN" --rules "$EFW_RULES_DEMO" 2>&1); then
	printf '%s\n' "$out" | sed 's/^/  /'
	echo
	echo "demo: FAILED: edgefw attach failed" >&2
	exit 1
fi
[[ -z $out ]] || printf '%s\n' "$out" | sed 's/^/  /'

header "With edgefw"
udp_receiver_start "$EFW_NS_SERVER" "$EFW_SERVER4" 7001 || die "UDP receiver did not start"
udp_receiver_start "$EFW_NS_SERVER" "$EFW_SERVER6" 7002 || die "UDP receiver did not start"
table_head
ping_flow "$EFW_CLIENT4" "$EFW_SERVER4" "$COUNT" delivered
ping_flow "$EFW_CLIENT4_BAD" "$EFW_SERVER4" "$COUNT" dropped
ping_flow "$EFW_CLIENT6" "$EFW_SERVER6" "$COUNT" delivered
ping_flow "$EFW_CLIENT6_BAD" "$EFW_SERVER6" "$COUNT" dropped
udp_flow "$EFW_CLIENT4" "$EFW_SERVER4" 7001 delivered
udp_flow "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 7001 dropped
udp_flow "$EFW_CLIENT6" "$EFW_SERVER6" 7002 delivered
udp_flow "$EFW_CLIENT6_BAD" "$EFW_SERVER6" 7002 dropped
tcp_flow "$EFW_CLIENT4" "$EFW_SERVER4" 8080 delivered
tcp_flow "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 8081 dropped
tcp_flow "$EFW_CLIENT6" "$EFW_SERVER6" 8080 delivered
tcp_flow "$EFW_CLIENT6_BAD" "$EFW_SERVER6" 8081 dropped
sink_flow 3 with

header "Counters (edge# edgefw --instance $EFW_INSTANCE stats)"
efw_edgefw --instance "$EFW_INSTANCE" stats 2>&1 | sed 's/^./  &/' || true
# Each drop rule must have counted at least what was sent to it above: ICMP
# + UDP (+ at least one TCP SYN) per blocked source, the sinkhole pings.
json=$(efw_edgefw --instance "$EFW_INSTANCE" stats --json 2>/dev/null) || json='{}'
echo
for want in "drop-bad-v4 $((2 * COUNT + 1))" "drop-bad-v6 $((2 * COUNT + 1))" "drop-to-sinkhole 3"; do
	rule=${want% *}
	min=${want#* }
	got=$(jq -r --arg n "$rule" 'first(.rules[]? | select(.name == $n) | .packets) // "missing"' <<<"$json" 2>/dev/null) || got=invalid
	if [[ $got =~ ^[0-9]+$ && $got -ge $min ]]; then
		report "counter $rule" "" ">= $min" "$got" 0
	else
		report "counter $rule" "" ">= $min" "$got" 1
	fi
done

header "Detach"
echo "  edge# edgefw --instance $EFW_INSTANCE detach $EFW_IF_EDGE_IN"
if out=$(efw_edgefw --instance "$EFW_INSTANCE" detach "$EFW_IF_EDGE_IN" 2>&1); then
	[[ -z $out ]] || printf '%s\n' "$out" | sed 's/^/  /'
	report "detach, pins removed" "" ok \
		"$([[ -e $EFW_PIN_ROOT/$EFW_INSTANCE ]] && echo "pins left" || echo removed)" \
		"$([[ -e $EFW_PIN_ROOT/$EFW_INSTANCE ]] && echo 1 || echo 0)"
else
	printf '%s\n' "$out" | sed 's/^/  /'
	report "detach" "" ok failed 1
fi

header "The daemon (edgefwd)"
# The demo's rules plus where to attach and the daemon's settings; its
# socket, drop log and metrics stay inside the demo's namespace and files.
CONFIG=$EFW_TMP/edgefwd.yaml
METRICS=127.0.0.1:9469
{
	sed -e 's/^    action: drop$/    action: drop\n    log: true/' "$EFW_RULES_DEMO"
	cat <<EOF
interfaces:
  - name: "$EFW_IF_EDGE_IN"
    hooks: [xdp]
daemon:
  instance: $EFW_INSTANCE
  control-socket: $EFW_TMP/edgefwd.sock
  metrics: $METRICS
  drop-log: $EFW_TMP/drops.log
  log-rate: 5
  on-exit: detach
EOF
} >"$CONFIG"
echo "  config: rules/demo.yaml with 'log: true' on the drop rules, plus:"
sed -n '/^interfaces:/,$p' "$CONFIG" | sed 's/^/    /'
echo "  edge# edgefwd --config edgefwd.yaml >edgefwd.log 2>&1"
# It returns once the daemon is ready; the daemon keeps writing its log.
if in_ns "$EFW_NS_EDGE" timeout 30 "$EDGEFWD" --config "$CONFIG" \
	--pid-file "$EFW_TMP/edgefwd.pid" >"$EFW_TMP/edgefwd.log" 2>&1; then
	sed 's/^/  /' "$EFW_TMP/edgefwd.log"
	report "edgefwd starts, attaches and is ready" "" ready ready 0
else
	sed 's/^/  /' "$EFW_TMP/edgefwd.log"
	report "edgefwd starts, attaches and is ready" "" ready failed 1
fi
daemon_pid=$(cat "$EFW_TMP/edgefwd.pid" 2>/dev/null) || daemon_pid=""

table_head
ping_flow "$EFW_CLIENT4" "$EFW_SERVER4" 3 delivered
ping_flow "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 3 dropped
ping_flow "$EFW_CLIENT6_BAD" "$EFW_SERVER6" 2 dropped

drop_lines() { jq -s 'length' "$EFW_TMP/drops.log" 2>/dev/null; }
echo
echo "  drop log ($EFW_TMP/drops.log, one JSON object per line):"
efw_wait_for 3 eval '[[ $(drop_lines) -ge 5 ]]' || true
sed 's/^/    /' "$EFW_TMP/drops.log" 2>/dev/null || true
lines=$(drop_lines) || lines=invalid
report "drop log lines for 5 dropped pings" "" 5 "${lines:-none}" \
	"$([[ $lines == 5 ]] && echo 0 || echo 1)"

echo
echo "  edge# curl -s http://$METRICS/metrics | grep edgefw_rule_packets_total"
metrics=$(in_ns "$EFW_NS_EDGE" curl -sf "http://$METRICS/metrics" 2>/dev/null) || metrics=""
grep '^edgefw_rule_packets_total' <<<"$metrics" | sed 's/^/    /' || true
got=$(awk '/^edgefw_rule_packets_total\{rule="drop-bad-v4"/ { print $2 }' <<<"$metrics")
report "metrics: drop-bad-v4 packets" "" ">= 3" "${got:-missing}" \
	"$([[ ${got:-0} =~ ^[0-9]+$ && ${got:-0} -ge 3 ]] && echo 0 || echo 1)"

echo
echo "  edge# edgefw --instance $EFW_INSTANCE reload --socket edgefwd.sock"
if out=$(efw_edgefw --instance "$EFW_INSTANCE" reload --socket "$EFW_TMP/edgefwd.sock" 2>&1); then
	printf '%s\n' "$out" | sed 's/^/  /'
	report "reload through the daemon" "" ok ok 0
else
	printf '%s\n' "$out" | sed 's/^/  /'
	report "reload through the daemon" "" ok failed 1
fi
ping_flow "$EFW_CLIENT4_BAD" "$EFW_SERVER4" 2 dropped

echo
echo "  edge# kill -TERM edgefwd   (on-exit: detach)"
if [[ -n $daemon_pid ]] && kill -TERM "$daemon_pid" 2>/dev/null &&
	efw_wait_for 10 efw_pid_gone "$daemon_pid"; then
	gone=$([[ -e $EFW_PIN_ROOT/$EFW_INSTANCE ]] && echo "pins left" || echo removed)
else
	gone="still running"
fi
report "edgefwd stops, detaches, pins removed" "" removed "$gone" \
	"$([[ $gone == removed ]] && echo 0 || echo 1)"

efw_cleanup
echo
if [[ $unexpected -eq 0 ]]; then
	echo "demo: all $flows checks behaved as expected; namespaces removed"
	exit 0
fi
if [[ $baseline_bad -gt 0 ]]; then
	echo "demo: FAILED: the topology itself does not behave as expected (see \"Without edgefw\")" >&2
fi
echo "demo: FAILED: $unexpected of $flows checks did not behave as expected (marked $BAD)" >&2
exit 1
