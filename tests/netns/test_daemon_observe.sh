#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What edgefwd lets an operator see: its Prometheus metrics (rule counters
# equal to the traffic sent and to `edgefw stats --json`, the attachment,
# the ruleset version, reloads counted by result, 404/405 elsewhere, bound
# to loopback only) and its drop log (one JSON line per logged packet with
# the right fields; a flood is cut to log-rate lines per second and the
# rest counted as suppressed; a rule without `log` writes nothing; SIGHUP
# reopens the file after a rotation, and never through a symbolic link).
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

# shellcheck disable=SC2119 # takes no arguments
efw_daemon_prereqs
command -v curl >/dev/null || tap_bail "test tools installed" "missing: curl"
UDPFLOOD=${UDPFLOOD:-$(dirname "$EDGEFWD")/tests/tools/udpflood}
[[ -x $UDPFLOOD ]] || tap_bail "udpflood built" "$UDPFLOOD not found (make test-build)"

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
INST=$EFW_INSTANCE
IN=$EFW_IF_EDGE_IN
CFG=$EFW_TMP/edgefwd.yaml
DROPLOG=$EFW_TMP/drop.log
RATE=5
FLOOD_SECONDS=3
FLOOD_PPS=4000
SLOW=3     # logged packets sent one by one
QUIET=4    # packets of the rule without log
GOOD=5     # packets of the pass rule
SPORT=40001
FRAME=$((14 + 20 + 8 + 32)) # Ethernet + IPv4 + UDP + the 32-byte payload
# A fresh namespace listens on nothing: any port is free there.
PORT=$((20000 + RANDOM % 40000))
URL=http://127.0.0.1:$PORT

RULES='rules:
  - name: log-7001
    src: 10.200.1.66/32
    proto: udp
    dport: 7001
    action: drop
    log: true
  - name: quiet-7003
    proto: udp
    dport: 7003
    action: drop
  - name: pass-7002
    proto: udp
    dport: 7002
    action: pass'
write_cfg() {
	efw_daemon_config "$CFG" --metrics "127.0.0.1:$PORT" --drop-log "$DROPLOG" \
		--log-rate "$RATE" <<<"$1"
}

# --- Helpers.
scrape() { in_ns "$E" curl -sf --max-time 5 "$URL/metrics" 2>/dev/null || echo "scrape failed"; }
# metric TEXT NAME [LABEL=VALUE...]: the value of the first sample of NAME
# carrying those labels (others may be there too), or "missing".
metric() {
	local text=$1 name=$2
	shift 2
	# shellcheck disable=SC2016 # awk program
	awk -v name="$name" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		/^#/ || NF < 2 { next }
		{
			sample = $0; sub(/[ \t]+[^ \t]+$/, "", sample)
			base = sample; sub(/\{.*/, "", base)
			if (base != name) next
			labels = sample; if (!sub(/^[^{]*\{/, ",", labels)) labels = ""
			for (i = 1; i <= n; i++) {
				eq = index(w[i], "=")
				pat = "," substr(w[i], 1, eq - 1) "=\"" substr(w[i], eq + 1) "\""
				if (index(labels, pat) == 0) next
			}
			printf "%.0f\n", $NF + 0; found = 1; exit
		}
		END { if (!found) print "missing" }' <<<"$text"
}
stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null || echo none; }
rule_stat() { efw_rule_counter "$1" "$2" "${3:-packets}"; }
lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }
# send_from SRC SPORT PORT COUNT TAG [GAP]: COUNT datagrams from SRC:SPORT
# to the server's PORT, GAP seconds apart.
send_from() {
	local src=$1 sport=$2 port=$3 count=$4 tag=$5 gap=${6:-0} i
	for ((i = 1; i <= count; i++)); do
		printf '%-31.31s\n' "$tag-$i" |
			in_ns "$C" timeout 5 socat -u STDIN \
				"UDP4-SENDTO:$EFW_SERVER4:$port,bind=$src:$sport,reuseaddr" || return 1
		[[ $gap == 0 ]] || sleep "$gap"
	done
}
num() { [[ $1 =~ ^[0-9]+$ ]]; }

# ======================================================================
if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

write_cfg "$RULES"
rc=0
efw_daemon_start "$CFG" || rc=$?
if [[ $rc -ne 0 ]]; then
	tap_fail "edgefwd starts with metrics on 127.0.0.1:$PORT and a drop log file" \
		"efw_daemon_start returned $rc (exit ${EFW_DAEMON_RC:-?})" "$(cat "$EFW_DAEMON_ERR")"
	tap_bail_if_failed "the daemon does not start"
fi
tap_ok "edgefwd starts with metrics on 127.0.0.1:$PORT and a drop log file"

# --- First scrape.
hdrs=$(in_ns "$E" curl -s -o /dev/null -D - --max-time 5 "$URL/metrics" 2>&1) || true
# shellcheck disable=SC2016 # expanded by eval
tap_check "GET /metrics: 200, text/plain version 0.0.4" eval \
	'grep -q "^HTTP/1\.[01] 200" <<<"$hdrs" && grep -qi "^content-type: text/plain; version=0.0.4" <<<"$hdrs"'
[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "$hdrs"
m0=$(scrape)
tap_is "edgefw_interface_attached{interface=$IN,hook=xdp} is 1" \
	"$(metric "$m0" edgefw_interface_attached "interface=$IN" hook=xdp)" 1
v0=$(metric "$m0" edgefw_ruleset_version)
if num "$v0" && [[ $v0 -ge 1 ]]; then
	tap_ok "edgefw_ruleset_version is set ($v0)"
else
	tap_fail "edgefw_ruleset_version is set" "got: $v0"
fi
tap_is "edgefw_ruleset_rules is 3" "$(metric "$m0" edgefw_ruleset_rules)" 3
tap_is "edgefw_drop_log_suppressed_total{rule=log-7001} is there, 0" \
	"$(metric "$m0" edgefw_drop_log_suppressed_total rule=log-7001)" 0

# --- Known traffic: SLOW logged drops, QUIET silent drops, GOOD passes.
udp_receiver_start "$S" "$EFW_SERVER4" 7002 || tap_bail "UDP receiver on $EFW_SERVER4:7002"
send_from "$EFW_CLIENT4_BAD" "$SPORT" 7001 "$SLOW" slow 0.3 || tap_fail "send the logged datagrams"
send_from "$EFW_CLIENT4_BAD" "$SPORT" 7003 "$QUIET" quiet || tap_fail "send the quiet datagrams"
send_from "$EFW_CLIENT4" "$SPORT" 7002 "$GOOD" good || tap_fail "send the allowed datagrams"
udp_wait_received 7002 good "$GOOD" 3 || true
tap_is "the allowed datagrams arrive" "$(udp_received 7002 good)" "$GOOD"
efw_wait_for 3 eval "[[ \$(lines '$DROPLOG') -ge $SLOW ]]" || true
sleep 0.5 # anything more would be a bug; give it the chance to show
m1=$(scrape)
s1=$(stats)
for r in "log-7001 drop $SLOW" "quiet-7003 drop $QUIET" "pass-7002 pass $GOOD"; do
	read -r name action want <<<"$r"
	got=$(metric "$m1" edgefw_rule_packets_total "rule=$name" "action=$action")
	tap_is "edgefw_rule_packets_total{rule=$name,action=$action} = $want = stats --json" \
		"$got $(rule_stat "$s1" "$name")" "$want $want"
	tap_is "edgefw_rule_bytes_total{rule=$name,action=$action} = $want frames of $FRAME bytes = stats --json" \
		"$(metric "$m1" edgefw_rule_bytes_total "rule=$name" "action=$action") $(rule_stat "$s1" "$name" bytes)" \
		"$((want * FRAME)) $((want * FRAME))"
done

# --- The drop log of the slow packets.
tap_is "the drop log has exactly $SLOW lines" "$(lines "$DROPLOG")" "$SLOW"
# shellcheck disable=SC2016 # jq program
if jq -e -s --arg in "$IN" --arg src "$EFW_CLIENT4_BAD" --arg dst "$EFW_SERVER4" --argjson sport "$SPORT" --argjson frame "$FRAME" '
	length == 3 and all(.[];
		.rule == "log-7001" and .action == "drop" and .interface == $in and .hook == "xdp"
		and .family == "ipv4" and .protocol == "udp" and .src == $src and .dst == $dst
		and .sport == $sport and .dport == 7001 and .length == $frame and (has("vlan") | not))' \
	"$DROPLOG" >/dev/null 2>&1; then
	tap_ok "each line: rule, action, interface, hook, family, protocol, src, dst, ports, length"
else
	tap_fail "each line: rule, action, interface, hook, family, protocol, src, dst, ports, length" \
		"$(cat "$DROPLOG" 2>&1)"
fi
# shellcheck disable=SC2016
tap_check "each line's time is UTC ISO 8601 within a minute of now" jq -e -s '
	length > 0 and all(.[]; .time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$")
		and ((sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) - now | fabs) < 60)' "$DROPLOG"
tap_is "edgefw_drop_log_lines_total = $SLOW" "$(metric "$m1" edgefw_drop_log_lines_total)" "$SLOW"

# --- A flood of the logged flow: at most log-rate lines a second, the rest
# counted as suppressed.
l0=$(lines "$DROPLOG")
supp0=$(metric "$m1" edgefw_drop_log_suppressed_total rule=log-7001)
p0=$(rule_stat "$s1" log-7001)
t0=${EPOCHREALTIME//[.,]/}
sent=$(in_ns "$C" timeout $((FLOOD_SECONDS + 10)) "$UDPFLOOD" --src "$EFW_CLIENT4_BAD" \
	--dst "$EFW_SERVER4" --port 7001 --pps "$FLOOD_PPS" --seconds "$FLOOD_SECONDS" 2>"$EFW_TMP/flood.err") || sent="failed: $(cat "$EFW_TMP/flood.err")"
secs=$(((${EPOCHREALTIME//[.,]/} - t0 + 999999) / 1000000))
sleep 1 # let the daemon drain the ring buffer
m2=$(scrape)
s2=$(stats)
p1=$(rule_stat "$s2" log-7001)
l1=$(lines "$DROPLOG")
supp1=$(metric "$m2" edgefw_drop_log_suppressed_total rule=log-7001)
if num "$sent" && num "$p0" && num "$p1" && [[ $sent -ge $((FLOOD_PPS * FLOOD_SECONDS * 8 / 10)) ]] &&
	[[ $((p1 - p0)) -ge $((sent * 95 / 100)) && $((p1 - p0)) -le $sent ]]; then
	tap_ok "flood: $sent datagrams in ${secs}s, log-7001 counted $((p1 - p0))"
else
	tap_fail "flood: udpflood sent about $((FLOOD_PPS * FLOOD_SECONDS)), log-7001 counted them" \
		"sent: $sent" "counter: $p0 -> $p1"
fi
flood=$((p1 - p0))
new=$((l1 - l0))
max=$((RATE * (secs + 2)))
if [[ $new -gt 0 && $new -le $max ]]; then
	tap_ok "flood: $new new drop log lines (0 < n <= $RATE * ($secs + 2) = $max)"
else
	tap_fail "flood: 0 < new drop log lines <= $max" "got: $new"
fi
if num "$supp0" && num "$supp1"; then
	want=$((flood - new))
	got=$((supp1 - supp0))
	if [[ $got -le $want && $((got * 100)) -ge $((want * 90)) ]]; then
		tap_ok "flood: suppressed grew by $got (flood $flood - lines $new = $want)"
	else
		tap_fail "flood: suppressed grew by about flood - lines" \
			"suppressed: $supp0 -> $supp1 (+$got)" "expected: +$want (>= 90%, <= 100%)"
	fi
else
	tap_fail "flood: suppressed grew by about flood - lines" "suppressed: $supp0 -> $supp1"
fi
tap_is "edgefw_drop_log_lines_total = lines in the file" "$(metric "$m2" edgefw_drop_log_lines_total)" "$l1"
tap_is "every line is log-7001's: the rule without log wrote none" \
	"$(jq -r .rule "$DROPLOG" 2>&1 | sort -u | tr '\n' ' ')" "log-7001 "
tap_is "edgefw_drop_log_suppressed_total{rule=quiet-7003}: absent or 0 (not logged)" \
	"$(metric "$m2" edgefw_drop_log_suppressed_total rule=quiet-7003 | sed 's/^0$/missing/')" missing

# --- Reloads: success and failure counted; SIGHUP reopens the drop log.
ok0=$(metric "$m2" edgefw_reloads_total result=success)
fail0=$(metric "$m2" edgefw_reloads_total result=failure)
v0=$(metric "$m2" edgefw_ruleset_version)
mv "$DROPLOG" "$DROPLOG.1"
write_cfg "$RULES
  - name: extra
    proto: udp
    dport: 7009
    action: drop"
efw_daemon_signal HUP
# shellcheck disable=SC2317 # called through efw_wait_for
reloads_are() { [[ $(metric "$(scrape)" edgefw_reloads_total "result=$1") == "$2" ]]; }
if num "$ok0" && efw_wait_for 5 reloads_are success $((ok0 + 1)); then
	tap_ok "SIGHUP (good): edgefw_reloads_total{result=success} $ok0 -> $((ok0 + 1))"
else
	tap_fail "SIGHUP (good): edgefw_reloads_total{result=success} + 1" "before: $ok0" \
		"after: $(metric "$(scrape)" edgefw_reloads_total result=success)"
fi
m3=$(scrape)
tap_is "edgefw_ruleset_version +1, edgefw_ruleset_rules 4, last reload ok, failures unchanged" \
	"$(metric "$m3" edgefw_ruleset_version) $(metric "$m3" edgefw_ruleset_rules) $(metric "$m3" edgefw_last_reload_success) $(metric "$m3" edgefw_reloads_total result=failure)" \
	"$((v0 + 1)) 4 1 $fail0"
send_from "$EFW_CLIENT4_BAD" "$SPORT" 7001 1 rotated || true
efw_wait_for 3 test -s "$DROPLOG" || true
tap_is "after a rotation and SIGHUP, a logged drop goes to a new $(basename "$DROPLOG")" \
	"$(jq -r .rule "$DROPLOG" 2>&1) $(lines "$DROPLOG.1")" "log-7001 $l1"

write_cfg "$RULES
  - name: bad
    proto: tcp
    dport: 90-80
    action: drop"
efw_daemon_signal HUP
if num "$fail0" && efw_wait_for 5 reloads_are failure $((fail0 + 1)); then
	tap_ok "SIGHUP (bad): edgefw_reloads_total{result=failure} $fail0 -> $((fail0 + 1))"
else
	tap_fail "SIGHUP (bad): edgefw_reloads_total{result=failure} + 1" "before: $fail0" \
		"after: $(metric "$(scrape)" edgefw_reloads_total result=failure)"
fi
m4=$(scrape)
tap_is "after the bad reload: success count, version and rules unchanged, last reload failed" \
	"$(metric "$m4" edgefw_reloads_total result=success) $(metric "$m4" edgefw_ruleset_version) $(metric "$m4" edgefw_ruleset_rules) $(metric "$m4" edgefw_last_reload_success)" \
	"$((ok0 + 1)) $((v0 + 1)) 4 0"

# --- A symbolic link planted where the drop log goes is never followed:
# the reopen is refused, the file in use stays in use.
mv "$DROPLOG" "$DROPLOG.2"
ln -s "$EFW_TMP/victim" "$DROPLOG"
write_cfg "$RULES"
efw_daemon_signal HUP
if efw_wait_for 5 reloads_are success $((ok0 + 2)); then
	tap_ok "SIGHUP with a symbolic link at the drop-log path: the reload itself succeeds"
else
	tap_fail "SIGHUP with a symbolic link at the drop-log path: the reload succeeds" \
		"after: $(metric "$(scrape)" edgefw_reloads_total result=success)"
fi
tap_check "edgefwd says it does not follow the link" \
	grep -q "drop log: cannot open $DROPLOG: .*symbolic link" "$EFW_DAEMON_ERR"
l2=$(lines "$DROPLOG.2")
send_from "$EFW_CLIENT4_BAD" "$SPORT" 7001 1 linked || true
efw_wait_for 3 eval '[[ $(lines "$DROPLOG.2") -gt $l2 ]]' || true
tap_is "the link's target was not created; the next line went to the file in use" \
	"$(test -e "$EFW_TMP/victim" && echo created || echo absent) $(($(lines "$DROPLOG.2") - l2))" "absent 1"
rm -f "$DROPLOG"

# --- Other paths and methods.
code() { in_ns "$E" curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" 2>/dev/null || true; }
tap_is "GET /other: 404" "$(code "$URL/other")" 404
tap_is "POST /metrics: 405" "$(code -X POST "$URL/metrics")" 405

# --- Loopback only: the client cannot reach it on the edge's link address,
# though it reaches a listener of the edge there.
tap_is "metrics listens on 127.0.0.1:$PORT only" \
	"$(in_ns "$E" ss -Hltn "sport = :$PORT" | awk '{ print $4 }' | tr '\n' ' ')" "127.0.0.1:$PORT "
P2=$((PORT + 1))
efw_bg_in_ns "$E" "$EFW_TMP/tcp-ctl" socat -u "TCP4-LISTEN:$P2,bind=0.0.0.0,reuseaddr" STDOUT
efw_wait_for 3 efw_listening "$E" t "$P2" || true
tap_check "the client reaches a listener on $EFW_EDGE_IN4:$P2 (control)" eval \
	"printf 'x\n' | in_ns '$C' timeout 5 socat -u STDIN 'TCP4:$EFW_EDGE_IN4:$P2,connect-timeout=2'"
rc=0
in_ns "$C" curl -s -o /dev/null --max-time 3 "http://$EFW_EDGE_IN4:$PORT/metrics" || rc=$?
if [[ $rc -ne 0 ]]; then
	tap_ok "the client cannot reach http://$EFW_EDGE_IN4:$PORT/metrics (curl exit $rc)"
else
	tap_fail "the client cannot reach http://$EFW_EDGE_IN4:$PORT/metrics" "curl succeeded"
fi

rc=timeout
! efw_daemon_stop TERM 10 || rc=$EFW_DAEMON_RC
tap_is "SIGTERM: edgefwd exits 0" "$rc" 0
[[ $EFW_TAP_LAST -eq 0 ]] || efw_daemon_diag 30
tap_check "the metrics port is closed" eval "! efw_listening '$E' t '$PORT'"

tap_done
