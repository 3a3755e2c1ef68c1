#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# edgefwd reloads under a flood: the daemon holds XDP on the edge's
# client-facing link while udpflood sends one marked UDP flow (client ->
# server port 7000) at a few thousand packets per second, and 100 reloads
# alternate two configs: A passes the flow by the rule mark-a (mark-b, the
# same match with drop, comes second and never matches), B has mark-b first
# (drop) and mark-a after it. Half the reloads are SIGHUP after the config
# file was replaced atomically (mv), half `edgefw reload --socket`. Every
# reload must succeed, and the counters must add up exactly:
#   sent = mark-a + mark-b (every packet decided by exactly one of them,
#          counters kept by name across all reloads),
#   received by the server = mark-a (no socket overflow),
#   the XDP default policy never counted the flow,
#   the ruleset version advanced by 100.
# shellcheck disable=SC2119 # helpers with an optional argument
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs tools

RELOADS=${EFW_FLOOD_RELOADS:-100}
PPS=${EFW_FLOOD_PPS:-3000}
PORT=7000
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
IN=$EFW_IF_EDGE_IN
CONF=$EFW_TMP/edgefwd.yaml
CONF_A=$EFW_TMP/a.yaml
CONF_B=$EFW_TMP/b.yaml

# rule NAME ACTION: the marked flow, nothing else.
rule() {
	cat <<EOF
  - name: $1
    src: $EFW_CLIENT4/32
    dst: $EFW_SERVER4/32
    proto: udp
    dport: $PORT
    action: $2
EOF
}
# Default drop for every other IP packet at XDP; ARP and the like pass.
body() {
	printf 'defaults:\n  xdp: drop\n  non-ip: pass\nrules:\n'
	rule "$1" "$2"
	rule "$3" "$4"
}
body mark-a pass mark-b drop | efw_daemon_config "$CONF_A"
body mark-b drop mark-a pass | efw_daemon_config "$CONF_B"
cp "$CONF_A" "$CONF"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

# Only the flood crosses IN: static neighbours, no IPv6 on the client link;
# the edge knows the server statically too (nothing waits for ARP).
mac_s=$(in_ns "$S" ip -br link show dev "$EFW_IF_SERVER" | awk '{ print $3 }')
tap_check "static neighbours, no IPv6 on the client link" eval "
	efw_static_neigh &&
	in_ns $E ip neigh replace $EFW_SERVER4 lladdr $mac_s dev $EFW_IF_EDGE_OUT nud permanent"

if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started with config A and answers on its control socket"
else
	rc=$?
	efw_daemon_diag
	tap_bail "edgefwd started with config A (exit ${EFW_DAEMON_RC:-none}, start rc $rc)"
fi
st=$(efw_status_json)
h0=$(jq -r '.ruleset_hash // "?"' <<<"$st" 2>/dev/null)
tap_is "status --json: $IN xdp attached" "$(efw_attached_list "$st")" "[\"$IN xdp\"]"

# The daemon's own status: reload counters and version.
dstatus() { efw_daemon_status 2>/dev/null || echo '{}'; }
dfield() { jq -r --arg f "$2" '.[$f] // "missing"' <<<"$1" 2>/dev/null || echo invalid-json; }
# Successful (re)loads the daemon logged so far: "ruleset version N in force".
VERSION_RE='ruleset version [0-9]+ in force'
d0=$(dstatus)
log0=$(efw_daemon_log_count "$VERSION_RE")
tap_diag "daemon status at start: $(jq -c . <<<"$d0" 2>/dev/null || echo "$d0")"

efw_sink_start "$S" "$EFW_SERVER4" "$PORT" --out "$EFW_TMP/seq.txt" ||
	tap_bail "udpsink on $EFW_SERVER4:$PORT"
s0=$(efw_stats_json)
efw_flood_start "$C" flow "$EFW_CLIENT4" "$EFW_SERVER4" "$PORT" "$PPS" 100
sleep 0.5

# --- 100 reloads, alternating B and A, by SIGHUP and by edgefw reload.
ok_count() {
	local v
	v=$(dfield "$(dstatus)" reloads_ok)
	if [[ $v =~ ^[0-9]+$ ]]; then echo "$v"; else efw_daemon_log_count "$VERSION_RE"; fi
}
# shellcheck disable=SC2317 # called through efw_wait_for
ok_reached() { [[ $(ok_count) -ge $1 ]]; }
ok_base=$(ok_count)
fail_hup=0 fail_cli=0 n_hup=0 n_cli=0
start=${EPOCHREALTIME//[.,]/}
for ((i = 1; i <= RELOADS; i++)); do
	if ((i % 2)); then src=$CONF_B; else src=$CONF_A; fi
	cp "$src" "$CONF.new" && mv -f "$CONF.new" "$CONF"
	if ((((i - 1) / 2) % 2 == 0)); then
		n_hup=$((n_hup + 1))
		efw_daemon_signal HUP || true
		if ! efw_wait_for 10 ok_reached $((ok_base + i)); then
			fail_hup=$((fail_hup + 1))
			[[ $fail_hup -gt 3 ]] || tap_diag "reload $i (SIGHUP, ${src##*/}): no success within 10 s"
			# Resynchronise on what the daemon says, not to count one failure twice.
			ok_base=$(($(ok_count) - i))
		fi
	else
		n_cli=$((n_cli + 1))
		rc=0
		if ((i % 4 == 0)); then
			out=$(efw_daemon_reload "$CONF") || rc=$?
		else
			out=$(efw_daemon_reload) || rc=$?
		fi
		if [[ $rc -ne 0 ]] || ! ok_reached $((ok_base + i)); then
			fail_cli=$((fail_cli + 1))
			[[ $fail_cli -gt 3 ]] || tap_diag "reload $i (edgefw reload, ${src##*/}) exited $rc: $out"
			ok_base=$(($(ok_count) - i))
		fi
	fi
done
secs=$(((${EPOCHREALTIME//[.,]/} - start) / 1000))
tap_diag "$RELOADS reloads took $((secs / 1000)).$(printf '%03d' $((secs % 1000))) s"
tap_is "$n_hup reloads by SIGHUP (config replaced with mv) all succeeded" "$fail_hup" 0
tap_is "$n_cli reloads by edgefw reload --socket all succeeded (exit 0)" "$fail_cli" 0
[[ $((fail_hup + fail_cli)) -eq 0 ]] || efw_daemon_diag 15

if efw_flood_alive flow; then
	tap_ok "the flood was still running after the last reload"
else
	tap_fail "the flood was still running after the last reload" "$(cat "$EFW_TMP/flood-flow.out.err")"
fi
sleep 0.3
sent=$(efw_flood_stop flow)
# Let the last packets land, then read the counters and the sink.
sleep 0.5
efw_sink_stop "$PORT"
s1=$(efw_stats_json)
d1=$(dstatus)
log1=$(efw_daemon_log_count "$VERSION_RE")

delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($2 - $1)); else echo "n/a ($1 -> $2)"; fi
}
a=$(delta "$(efw_rule_counter "$s0" mark-a)" "$(efw_rule_counter "$s1" mark-a)")
b=$(delta "$(efw_rule_counter "$s0" mark-b)" "$(efw_rule_counter "$s1" mark-b)")
recv=$(efw_sink_field "$PORT" received)
ovfl=$(efw_sink_field "$PORT" overflow)
uniq=$(efw_sink_field "$PORT" unique)
tap_diag "sent $sent, mark-a $a, mark-b $b, received $recv (unique $uniq), overflow $ovfl"
if [[ $sent =~ ^[0-9]+$ && $sent -ge $((PPS * 2)) ]]; then
	tap_ok "udpflood sent $sent datagrams"
else
	tap_fail "udpflood sent at least $((PPS * 2)) datagrams" "sent: $sent" "$(cat "$EFW_TMP/flood-flow.out.err")"
fi
if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then
	tap_is "sent = mark-a + mark-b (every packet decided by one of the two rules)" "$sent" $((a + b))
else
	tap_fail "sent = mark-a + mark-b" "mark-a: $a" "mark-b: $b"
fi
[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "edge-in link counters:" \
	"$(in_ns "$E" ip -s link show dev "$IN" 2>&1)"
if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ && $a -gt 0 && $b -gt 0 ]]; then
	tap_ok "both rules decided part of the flood (A and B were both in force)"
else
	tap_fail "both rules decided part of the flood" "mark-a: $a" "mark-b: $b"
fi
tap_is "the server received exactly mark-a's packets" "$recv" "$a"
tap_is "no socket overflow at the server, no duplicate" "$ovfl $uniq" "0 $recv"
tap_is "the XDP default policy counted none of the flow" \
	"$(delta "$(efw_default_counter "$s0" xdp)" "$(efw_default_counter "$s1" xdp)")" 0
tap_is "stats --json lists exactly mark-a and mark-b" \
	"$(jq -c '[.rules[]?.name] | sort' <<<"$s1" 2>/dev/null)" '["mark-a","mark-b"]'

# --- The version in force advanced by one per reload.
v0=$(dfield "$d0" version) v1=$(dfield "$d1" version)
if [[ $v0 =~ ^[0-9]+$ && $v1 =~ ^[0-9]+$ ]]; then
	tap_is "the daemon's status: version advanced by $RELOADS ($v0 -> $v1)" "$((v1 - v0))" "$RELOADS"
else
	tap_fail "the daemon's status has a version" "before: $v0" "after: $v1"
fi
sv=$(jq -r '.version // "missing"' <<<"$(efw_status_json)" 2>/dev/null)
if [[ $sv =~ ^[0-9]+$ ]]; then
	tap_is "edgefw status --json: version = the daemon's ($sv)" "$sv" "$v1"
else
	tap_diag "edgefw status --json shows no version field"
fi
tap_is "the daemon logged $RELOADS more 'ruleset version N in force' lines" \
	"$((log1 - log0))" "$RELOADS"
r_ok0=$(dfield "$d0" reloads_ok) r_ok1=$(dfield "$d1" reloads_ok)
tap_is "the daemon's status: reloads_ok +$RELOADS, reloads_failed 0" \
	"$(delta "$r_ok0" "$r_ok1") $(dfield "$d1" reloads_failed)" "$RELOADS 0"
# The last reload (number $RELOADS, even) loaded A again: the hash in force
# is the one at the start.
h1=$(jq -r '.ruleset_hash // "?"' <<<"$(efw_status_json)" 2>/dev/null)
tap_is "the ruleset in force at the end is A's, as at the start" "$h1" "$h0"

n_err=$(efw_daemon_log_count 'error')
tap_is "the daemon logged no error" "$n_err" 0
[[ $n_err -eq 0 ]] || efw_daemon_diag 10

efw_daemon_stop TERM || true
tap_is "SIGTERM stops the daemon with exit 0" "$EFW_DAEMON_RC" 0
tap_done
