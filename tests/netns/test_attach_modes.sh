#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# XDP attach modes and what surrounds them, with real traffic through the
# client -> edge -> server topology:
#   - --mode native and --mode generic on the edge's client-facing veth:
#     status --json, `ip -d link` (xdp vs xdpgeneric, program id) and the
#     verdicts agree; detach in between;
#   - --mode auto gives native on a veth, without a fallback warning;
#   - 20 reloads, alternating two rulesets that both allow a flow, while
#     that flow runs: not one allowed packet lost, not one blocked packet
#     through, counters of the rules in both rulesets kept;
#   - a second instance on the server-facing link: independent counters,
#     and detaching one leaves the other's pins and enforcement;
#   - a foreign XDP program already on the interface: edgefw either coexists
#     with it (libxdp's dispatcher) or fails with a clear error; either way
#     the foreign program stays and edgefw's exit code and status agree.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs

PINGS=3
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
IN=$EFW_IF_EDGE_IN
OUT=$EFW_IF_EDGE_OUT
INST=$EFW_INSTANCE
INST2=$INST-2
EFW_INSTANCES+=("$INST2")
FOREIGN_OBJ=/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o
FOREIGN_LOADED=0
# The continuous flows of the reload part.
FLOW_COUNT=400
FLOW_INTERVAL=0.02
BAD_FLOW_COUNT=100
BAD_FLOW_INTERVAL=0.05
RELOADS=20

# What efw_cleanup does not know about: the second instance sits on OUT
# (efw_cleanup only detaches from IN) and the foreign XDP program may have
# left libxdp dispatcher pins. Then the shared cleanup.
# shellcheck disable=SC2317 # called from the traps
at_cleanup() {
	if [[ -n ${EFW_ID:-} && -e /run/netns/$E ]]; then
		if [[ -d $EFW_PIN_ROOT/$INST2 ]]; then
			in_ns "$E" timeout 10 "$EDGEFW" --instance "$INST2" detach "$OUT" >/dev/null 2>&1 || true
		fi
		if [[ $FOREIGN_LOADED -eq 1 ]]; then
			if command -v xdp-loader >/dev/null; then
				in_ns "$E" timeout 10 xdp-loader unload -a "$IN" >/dev/null 2>&1 || true
			fi
			in_ns "$E" ip link set dev "$IN" xdp off >/dev/null 2>&1 || true
			in_ns "$E" ip link set dev "$IN" xdpgeneric off >/dev/null 2>&1 || true
		fi
	fi
	efw_cleanup
}
trap at_cleanup EXIT
trap 'at_cleanup; trap - EXIT; exit 130' INT
trap 'at_cleanup; trap - EXIT; exit 143' TERM

# Ruleset A lets the flow pass through a rule of its own (so its packets are
# counted by name) and drops the blocked source; B adds an unrelated rule
# first, which moves the other two to other positions.
RULES_A=$EFW_TMP/a.yaml
RULES_B=$EFW_TMP/b.yaml
cat >"$RULES_A" <<EOF
version: 1
rules:
  - name: pass-flow
    src: $EFW_CLIENT4/32
    proto: icmp
    action: pass
  - name: drop-bad-v4
    src: 10.200.1.64/28
    action: drop
EOF
cat >"$RULES_B" <<EOF
version: 1
rules:
  - name: drop-discard
    proto: udp
    dport: 9
    action: drop
  - name: pass-flow
    src: $EFW_CLIENT4/32
    proto: icmp
    action: pass
  - name: drop-bad-v4
    src: 10.200.1.64/28
    action: drop
EOF

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

# --- Helpers. JSON goes to stdout only; notes on stderr are dropped.
stats() { efw_edgefw --instance "${1:-$INST}" stats --json 2>/dev/null || echo none; }
status() { efw_edgefw --instance "${1:-$INST}" status --json 2>/dev/null || echo none; }
# counter JSON RULE [FIELD]: a rule's counter, or "missing".
counter() {
	jq -r --arg n "$2" --arg f "${3:-packets}" \
		'first(.rules[]? | select(.name == $n) | .[$f]) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($2 - $1)); else echo "n/a ($1 -> $2)"; fi
}
rule_names() { jq -c '[.rules[]?.name] | sort' <<<"$1" 2>/dev/null || echo invalid-json; }
ping_count() { send_ping "$1" "$2" "$3" "$PINGS" || echo error; }
# xdp_state IF: "<mode keyword> <prog id> <prog name>" from `ip -d link show`
# ("xdp" native, "xdpgeneric" generic), or "none".
xdp_state() {
	local out mode id
	out=$(in_ns "$E" ip -d link show dev "$1" 2>/dev/null) || { echo none; return; }
	mode=$(sed -n '1s/.* mtu [0-9]\+ \(xdp[a-z]*\) .*/\1/p' <<<"$out")
	id=$(sed -n 's/.*prog\/xdp id \([0-9]\+\) name \([^ ]\+\).*/\1 \2/p' <<<"$out" | head -n 1)
	# Native mode on veth loads edgefw_xdp_vlan, the same program reading
	# offloaded VLAN tags (test_vlan_xdp.sh tells them apart).
	id=${id/%edgefw_xdp_vlan/edgefw_xdp}
	if [[ -z $mode ]]; then echo none; else echo "$mode ${id:-?}"; fi
}
# att_field JSON IF FIELD: a field of the XDP attachment on IF in status --json.
att_field() {
	jq -r --arg i "$2" --arg f "$3" \
		'first(.attachments[]? | select(.interface == $i and .hook == "xdp") | .[$f]) // "missing"' \
		<<<"$1" 2>/dev/null || echo invalid-json
}
# shellcheck disable=SC2317 # called through tap_check
pins_of() { test -d "$EFW_PIN_ROOT/$1" && [[ -n $(ls -A "$EFW_PIN_ROOT/$1") ]]; }

got=$(ping_count "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4")
tap_is "without edgefw: $EFW_CLIENT4_BAD reaches $EFW_SERVER4" "$got" "$PINGS"
tap_bail_if_failed "the topology does not forward IPv4"

# --- 1. --mode native, then --mode generic: status, ip link and verdicts agree.
# try_mode MODE IPWORD: attach, check, detach.
try_mode() {
	local mode=$1 word=$2 rc=0 out st s0 s1 id
	out=$(efw_edgefw --instance "$INST" attach "$IN" --rules "$EFW_RULES_DEMO" --mode "$mode" 2>&1) || rc=$?
	tap_is "attach $IN --mode $mode exits 0" "$rc" 0
	if [[ $rc -ne 0 ]]; then
		tap_diag "$out"
		return 0
	fi
	st=$(status)
	id=$(att_field "$st" "$IN" prog_id)
	tap_is "--mode $mode: status --json reports mode $mode, attached" \
		"$(att_field "$st" "$IN" mode) $(att_field "$st" "$IN" attached)" "$mode true"
	tap_is "--mode $mode: ip -d link shows $word with the program of status ($id)" \
		"$(xdp_state "$IN")" "$word $id edgefw_xdp"
	s0=$(stats)
	tap_is "--mode $mode: allowed ping $EFW_CLIENT4 -> $EFW_SERVER4" \
		"$(ping_count "$C" "$EFW_CLIENT4" "$EFW_SERVER4")" "$PINGS"
	tap_is "--mode $mode: blocked ping $EFW_CLIENT4_BAD -> $EFW_SERVER4 gets no reply" \
		"$(ping_count "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0
	s1=$(stats)
	tap_is "--mode $mode: drop-bad-v4 counted each blocked echo request" \
		"$(delta "$(counter "$s0" drop-bad-v4)" "$(counter "$s1" drop-bad-v4)")" "$PINGS"
	tap_check "--mode $mode: detach $IN" efw_edgefw --instance "$INST" detach "$IN"
	tap_is "--mode $mode: no XDP program left on $IN" "$(xdp_state "$IN")" none
	tap_check "--mode $mode: pins removed" test ! -e "$EFW_PIN_ROOT/$INST"
}
try_mode native xdp
try_mode generic xdpgeneric

# --- 2. --mode auto: native on a veth, no fallback warning.
rc=0
efw_edgefw --instance "$INST" attach "$IN" --rules "$RULES_A" --mode auto \
	>"$EFW_TMP/auto.out" 2>"$EFW_TMP/auto.err" || rc=$?
tap_is "attach $IN --mode auto exits 0" "$rc" 0
tap_bail_if_failed "cannot attach: $(cat "$EFW_TMP/auto.err")"
if grep -qiE 'warning|fall(ing)? ?back|generic' "$EFW_TMP/auto.err"; then
	tap_fail "--mode auto: no fallback warning on stderr" "$(cat "$EFW_TMP/auto.err")"
else
	tap_ok "--mode auto: no fallback warning on stderr"
fi
st=$(status)
tap_is "--mode auto: status --json reports native" "$(att_field "$st" "$IN" mode)" native
tap_is "--mode auto: ip -d link shows native xdp" \
	"$(xdp_state "$IN")" "xdp $(att_field "$st" "$IN" prog_id) edgefw_xdp"
hashA=$(jq -r '.ruleset_hash // "none"' <<<"$st" 2>/dev/null) || hashA=none

# --- 3. Reloads while traffic flows.
rc=0
efw_edgefw --instance "$INST" reload "$RULES_B" >/dev/null 2>&1 || rc=$?
tap_is "reload b.yaml exits 0" "$rc" 0
hashB=$(status | jq -r '.ruleset_hash // "none"' 2>/dev/null) || hashB=none
tap_check "the two rulesets have different hashes ($hashA, $hashB)" \
	test "$hashA" != "$hashB" -a "$hashA" != none -a "$hashB" != none
# Neighbours resolved before the flows start.
send_ping "$C" "$EFW_CLIENT4" "$EFW_SERVER4" 1 >/dev/null || true

s0=$(stats)
flow_secs=$(awk -v c="$FLOW_COUNT" -v i="$FLOW_INTERVAL" 'BEGIN { printf "%d", c * i + 20 }')
efw_bg_in_ns "$C" "$EFW_TMP/flow.out" timeout "$flow_secs" \
	ping -n -q -c "$FLOW_COUNT" -i "$FLOW_INTERVAL" -W 2 -I "$EFW_CLIENT4" "$EFW_SERVER4"
flow_pid=$EFW_BG_PID
efw_bg_in_ns "$C" "$EFW_TMP/bad.out" timeout "$flow_secs" \
	ping -n -q -c "$BAD_FLOW_COUNT" -i "$BAD_FLOW_INTERVAL" -W 1 -I "$EFW_CLIENT4_BAD" "$EFW_SERVER4"
bad_pid=$EFW_BG_PID
sleep 0.5
reload_fail=0
reload_out=""
for ((i = 1; i <= RELOADS; i++)); do
	if ((i % 2)); then f=$RULES_A; else f=$RULES_B; fi
	rc=0
	reload_out=$(efw_edgefw --instance "$INST" reload "$f" 2>&1) || rc=$?
	if [[ $rc -ne 0 ]]; then
		reload_fail=$((reload_fail + 1))
		tap_diag "reload $i ($f) exited $rc: $reload_out"
	fi
	sleep 0.1
done
tap_is "$RELOADS reloads alternating a.yaml and b.yaml all exit 0" "$reload_fail" 0
tap_check "the last reload (a -> b) reports 1 added, 0 removed, 2 kept" \
	grep -qE "1 added, 0 removed, 2 kept" <<<"$reload_out"
if efw_pid_alive "$flow_pid"; then
	tap_ok "the flow was still running after the last reload"
else
	tap_fail "the flow was still running after the last reload" \
		"the reloads took too long: the test did not exercise reloads under traffic"
fi
efw_wait_pid "$flow_pid" "$flow_secs" || true
efw_wait_pid "$bad_pid" "$flow_secs" || true
flow_rc=0
wait "$flow_pid" || flow_rc=$?
# ping exits 1 when nothing was answered: expected for the blocked flow.
wait "$bad_pid" || true
# ping_summary FILE: "<transmitted> <received>".
ping_summary() {
	local t r
	t=$(sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p' "$1")
	r=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' "$1")
	echo "${t:-?} ${r:-?}"
}
tap_is "allowed flow ($FLOW_COUNT pings every ${FLOW_INTERVAL}s) lost nothing across the reloads" \
	"$(ping_summary "$EFW_TMP/flow.out") (exit $flow_rc)" "$FLOW_COUNT $FLOW_COUNT (exit 0)"
[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "$(cat "$EFW_TMP/flow.out" "$EFW_TMP/flow.out.err")"
tap_is "blocked flow ($BAD_FLOW_COUNT pings from $EFW_CLIENT4_BAD) got nothing through across the reloads" \
	"$(ping_summary "$EFW_TMP/bad.out")" "$BAD_FLOW_COUNT 0"
s1=$(stats)
tap_is "stats --json lists the rules of the last ruleset (b.yaml)" \
	"$(rule_names "$s1")" '["drop-bad-v4","drop-discard","pass-flow"]'
tap_is "status --json shows b.yaml's hash" "$(status | jq -r '.ruleset_hash // "none"' 2>/dev/null)" "$hashB"
tap_is "pass-flow kept its counter across the reloads: every allowed packet counted" \
	"$(delta "$(counter "$s0" pass-flow)" "$(counter "$s1" pass-flow)")" "$FLOW_COUNT"
tap_is "pass-flow bytes: $FLOW_COUNT whole frames of 98 bytes" \
	"$(delta "$(counter "$s0" pass-flow bytes)" "$(counter "$s1" pass-flow bytes)")" $((FLOW_COUNT * 98))
tap_is "drop-bad-v4 kept its counter across the reloads: every blocked packet counted" \
	"$(delta "$(counter "$s0" drop-bad-v4)" "$(counter "$s1" drop-bad-v4)")" "$BAD_FLOW_COUNT"

# --- 4. A second instance on the server-facing link, same rule names.
rc=0
out=$(efw_edgefw --instance "$INST2" attach "$OUT" --rules "$EFW_RULES_DEMO" 2>&1) || rc=$?
tap_is "attach a second instance ($INST2) on $OUT exits 0" "$rc" 0
[[ $rc -eq 0 ]] || tap_diag "$out"
tap_check "both instances have pins" eval "pins_of $INST && pins_of $INST2"
st1=$(status)
st2=$(status "$INST2")
tap_is "status of $INST lists only $IN" \
	"$(jq -c '[.attachments[]? | "\(.interface) \(.hook) \(.attached)"]' <<<"$st1" 2>/dev/null)" \
	"[\"$IN xdp true\"]"
tap_is "status of $INST2 lists only $OUT" \
	"$(jq -c '[.attachments[]? | "\(.interface) \(.hook) \(.attached)"]' <<<"$st2" 2>/dev/null)" \
	"[\"$OUT xdp true\"]"
tap_check "the two instances run different programs" \
	test "$(att_field "$st1" "$IN" prog_id)" != "$(att_field "$st2" "$OUT" prog_id)"
a0=$(stats) b0=$(stats "$INST2")
tap_is "blocked ping $EFW_CLIENT4_BAD -> $EFW_SERVER4 (first instance) gets no reply" \
	"$(ping_count "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0
tap_is "server -> sinkhole $EFW_SINKHOLE4 (second instance) gets no reply" \
	"$(ping_count "$S" "$EFW_SERVER4" "$EFW_SINKHOLE4")" 0
a1=$(stats) b1=$(stats "$INST2")
tap_is "$INST counted its drops only (drop-bad-v4)" \
	"$(delta "$(counter "$a0" drop-bad-v4)" "$(counter "$a1" drop-bad-v4)")" "$PINGS"
tap_is "$INST2 counted its drops only (drop-to-sinkhole $PINGS, drop-bad-v4 0)" \
	"$(delta "$(counter "$b0" drop-to-sinkhole)" "$(counter "$b1" drop-to-sinkhole)") $(delta "$(counter "$b0" drop-bad-v4)" "$(counter "$b1" drop-bad-v4)")" \
	"$PINGS 0"
tap_is "$INST2's stats name their instance" "$(jq -r .instance <<<"$b1" 2>/dev/null)" "$INST2"

tap_check "detach the first instance from $IN" efw_edgefw --instance "$INST" detach "$IN"
tap_check "the first instance's pins are gone" test ! -e "$EFW_PIN_ROOT/$INST"
tap_check "the second instance's pins stay" pins_of "$INST2"
tap_is "the second instance is still attached to $OUT" \
	"$(att_field "$(status "$INST2")" "$OUT" attached) $(xdp_state "$OUT" | cut -d' ' -f1,3)" "true xdp edgefw_xdp"
tap_is "after detaching the first, $EFW_CLIENT4_BAD reaches $EFW_SERVER4" \
	"$(ping_count "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" "$PINGS"
b2=$(stats "$INST2")
tap_is "server -> sinkhole is still dropped by the second instance" \
	"$(ping_count "$S" "$EFW_SERVER4" "$EFW_SINKHOLE4")" 0
b3=$(stats "$INST2")
tap_is "the second instance still counts (drop-to-sinkhole +$PINGS, total $((2 * PINGS)))" \
	"$(delta "$(counter "$b2" drop-to-sinkhole)" "$(counter "$b3" drop-to-sinkhole)") $(delta "$(counter "$b0" drop-to-sinkhole)" "$(counter "$b3" drop-to-sinkhole)")" \
	"$PINGS $((2 * PINGS))"
tap_check "detach the second instance from $OUT" efw_edgefw --instance "$INST2" detach "$OUT"
tap_check "the second instance's pins are gone" test ! -e "$EFW_PIN_ROOT/$INST2"
tap_is "no XDP program left on $IN or $OUT" "$(xdp_state "$IN") $(xdp_state "$OUT")" "none none"

# --- 5. A foreign XDP program already on IN.
loader=""
if command -v xdp-loader >/dev/null && [[ -r $FOREIGN_OBJ ]] &&
	in_ns "$E" timeout 10 xdp-loader load -m native "$IN" "$FOREIGN_OBJ" >"$EFW_TMP/foreign.out" 2>&1; then
	loader=xdp-loader
elif [[ -r $FOREIGN_OBJ ]] &&
	in_ns "$E" ip link set dev "$IN" xdpdrv obj "$FOREIGN_OBJ" sec xdp >>"$EFW_TMP/foreign.out" 2>&1; then
	loader="ip link"
fi
[[ -z $loader ]] || FOREIGN_LOADED=1
foreign=$(xdp_state "$IN")
fid=$(cut -d' ' -f2 <<<"$foreign")
if [[ -n $loader && $foreign == "xdp "*" xdpfilt_alw_all" ]]; then
	tap_ok "a foreign program (xdpfilt_alw_all, id $fid) is on $IN in native mode ($loader)"
elif [[ -n $loader && $foreign == "xdp "*" xdp_dispatcher" ]]; then
	tap_ok "a foreign program (xdpfilt_alw_all) is on $IN behind libxdp's dispatcher ($loader)"
else
	tap_bail "a foreign XDP program on $IN" "ip -d link: $foreign" "$(cat "$EFW_TMP/foreign.out")"
fi

# foreign_present: xdpfilt_alw_all is still on IN, directly or in a dispatcher.
# shellcheck disable=SC2317 # called through tap_check
foreign_present() {
	[[ $(xdp_state "$IN") == *" $fid xdpfilt_alw_all" ]] && return 0
	command -v xdp-loader >/dev/null &&
		in_ns "$E" xdp-loader status "$IN" 2>/dev/null | grep -q 'xdpfilt_alw_all'
}

# foreign_case DESC [--mode M]: edgefw attach over the foreign program.
foreign_case() {
	local desc=$1 rc=0 out st
	shift
	out=$(efw_edgefw --instance "$INST" attach "$IN" --rules "$EFW_RULES_DEMO" "$@" 2>&1) || rc=$?
	if [[ $rc -eq 0 ]]; then
		# Coexistence through libxdp's dispatcher.
		tap_ok "$desc: attach succeeded (coexisting through libxdp's dispatcher)"
		tap_check "$desc: the foreign program is still on $IN" foreign_present
		st=$(status)
		tap_is "$desc: status --json shows edgefw attached to $IN" "$(att_field "$st" "$IN" attached)" true
		tap_is "$desc: blocked ping $EFW_CLIENT4_BAD -> $EFW_SERVER4 gets no reply" \
			"$(ping_count "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0
		tap_check "$desc: detach $IN" efw_edgefw --instance "$INST" detach "$IN"
		tap_check "$desc: after detach the foreign program is still on $IN" foreign_present
		tap_check "$desc: after detach the pins are gone" test ! -e "$EFW_PIN_ROOT/$INST"
	else
		if [[ $rc -eq 1 || $rc -eq 2 ]]; then
			tap_ok "$desc: attach refused with exit $rc"
		else
			tap_fail "$desc: attach refused with exit 1 or 2" "exit $rc" "$out"
		fi
		if grep -q "error: .*$IN" <<<"$out"; then
			tap_ok "$desc: the error names $IN"
		else
			tap_fail "$desc: the error names $IN" "$out"
		fi
		tap_diag "$desc: edgefw said:" "$out"
		tap_is "$desc: the foreign program is still on $IN, same id, same mode" \
			"$(xdp_state "$IN")" "$foreign"
		tap_check "$desc: no pins left for $INST" test ! -e "$EFW_PIN_ROOT/$INST"
		rc=0
		out=$(efw_edgefw --instance "$INST" status --json 2>/dev/null) || rc=$?
		# user/json.md: a missing instance is an answer with --json, exit 0.
		tap_is "$desc: status --json says no instance exists (exit 0)" \
			"$rc $(jq -r '"\(.exists) \(.loaded)"' <<<"$out" 2>/dev/null)" "0 false false"
		rc=0
		efw_edgefw --instance "$INST" status >/dev/null 2>&1 || rc=$?
		tap_is "$desc: status (text) says no instance is loaded (exit 1)" "$rc" 1
		tap_is "$desc: traffic goes through the foreign program only ($EFW_CLIENT4_BAD reaches $EFW_SERVER4)" \
			"$(ping_count "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" "$PINGS"
	fi
}
foreign_case "foreign program, default mode"
foreign_case "foreign program, --mode native" --mode native
foreign_case "foreign program, --mode generic" --mode generic

# Remove the foreign program the way it was loaded.
if [[ $loader == xdp-loader ]]; then
	in_ns "$E" timeout 10 xdp-loader unload -a "$IN" >/dev/null 2>&1 || true
fi
in_ns "$E" ip link set dev "$IN" xdp off >/dev/null 2>&1 || true
tap_is "the foreign program removed, no XDP program left on $IN" "$(xdp_state "$IN")" none
FOREIGN_LOADED=0
tap_is "without any XDP program, $EFW_CLIENT4_BAD reaches $EFW_SERVER4" \
	"$(ping_count "$C" "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" "$PINGS"

tap_done
