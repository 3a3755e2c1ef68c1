#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Memory that follows the ruleset (issue 20): a 10-rule instance locks
# little; a reload to 100,000 prefixes + 10,000 rules grows its maps in
# place under traffic without passing one packet it should drop; the
# counters by rule name survive the growth exactly, though the per-rule
# tables grow with it (64 slots to 11,264: new per-CPU counters, what the
# old ones counted carried); the dynamic set's members survive too;
# the previous generation's arrays and the old maps are gone right after.
# efw-timeout: 400
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
efw_daemon_prereqs tools
command -v bpftool >/dev/null || tap_bail "bpftool installed" "missing: bpftool"

C=$EFW_NS_CLIENT
S=$EFW_NS_SERVER
IN=$EFW_IF_EDGE_IN
INST=$EFW_INSTANCE
PIN=/sys/fs/bpf/edgefw/$INST
SMALL=$EFW_TMP/small.yaml
BIG=$EFW_TMP/big.yaml
A=$EFW_CLIENT4     # passes on 7000, banned (dynamic set) on 7002
B=$EFW_CLIENT4_BAD # dropped by a static rule on 7001
# The 10-rule instance's bound (issue 20's target): a size, so exact on a
# given machine. It was 25.5 MiB with the per-rule tables at the format's
# 65,536 slots, 33.8 MiB with the limit buckets and the interface hashes
# at their maxima too, and 107 MiB with both generations' arrays and the
# tables at their maxima.
SMALL_MAX=$((8 << 20))
EFW_INSTANCES+=("$INST")

head_rules() { # SET_SIZE: the big ruleset resizes the dynamic set too
	cat <<EOF
version: 1
defaults: {xdp: pass, non-ip: pass}
sets:
  ban: {dynamic: true, type: address, timeout: 10m, size: $1}
  block: {files: [block.txt]}
rules:
  - name: drop-banned
    src: \$ban
    proto: udp
    dport: 7002
    action: drop
  - name: drop-blocked
    src: $B/32
    proto: udp
    dport: 7001
    action: drop
EOF
}
: >"$EFW_TMP/block.txt"
{
	head_rules 1000
	for i in $(seq 1 8); do
		printf '  - name: f%d\n    dst: 192.0.2.%d/32\n    proto: tcp\n    dport: %d\n    action: drop\n' "$i" "$i" $((8000 + i))
	done
} >"$SMALL"
# 100,000 scattered prefixes (60% single addresses) outside the test's
# ranges, then 10,000 service rules: the benchmark's shape.
/usr/bin/python3 - "$EFW_TMP" <<'EOF'
import random, sys
d = sys.argv[1]
rnd = random.Random(20)
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
# The big ruleset brings the first limit: limit_tbl grows from its idle 2
# buckets. Within the limit, A's packets to 7003 are dropped by the rule.
{
	head_rules 2000
	printf '  - name: limit-probe\n    src: %s/32\n    proto: udp\n    dport: 7003\n    limit: {rate: 100/s, burst: 100}\n    action: drop\n' "$A"
	cat "$EFW_TMP/svc.yaml"
} >"$BIG"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "static neighbours" efw_static_neigh
tap_check "attach $IN (xdp) with 10 rules" \
	efw_edgefw --instance "$INST" attach "$IN" --rules "$SMALL"
tap_bail_if_failed "cannot attach"

status() { efw_edgefw --instance "$INST" status --json 2>/dev/null; }
stats() { efw_edgefw --instance "$INST" stats --json 2>/dev/null; }
counter() {
	jq -r --arg n "$2" 'first(.rules[]? | select(.name == $n) | .packets) // "missing"' <<<"$1" 2>/dev/null ||
		echo invalid-json
}
map_id() { bpftool map show pinned "$PIN/$1" -j 2>/dev/null | jq -r '.id // empty'; }
# The map in slot GEN of the pinned map-in-map NAME, as an id.
# bpftool prints the value as four little-endian hex bytes.
inner_id() {
	local b
	b=$(bpftool map lookup pinned "$PIN/$1" key "$2" 0 0 0 -j 2>/dev/null |
		jq -r '.value | reverse | map(ltrimstr("0x")) | join("")' 2>/dev/null) || return 0
	[[ $b =~ ^[0-9a-f]{8}$ ]] && echo $((16#$b))
}
gone() { ! bpftool map show id "$1" >/dev/null 2>&1; }

st=$(status) || st=none
mem=$(jq -r '.memory.memlock_bytes // "missing"' <<<"$st" 2>/dev/null) || mem=invalid
tap_diag "10 rules: $mem bytes locked ($(jq -c '[.memory.generations[].arrays_bytes]' <<<"$st" 2>/dev/null))"
# Per-CPU maps grow with the machine: the bound is the target's on 2 CPUs
# (this machine's kind) plus their share beyond 2 CPUs, which is 0 here.
ncpu=$(($(sed -E 's/.*-//' /sys/devices/system/cpu/possible) + 1))
percpu=0
for p in "$PIN"/*; do
	b=$(bpftool map show pinned "$p" -j 2>/dev/null |
		jq -r 'select(.type | test("percpu")) | .bytes_memlock // 0' 2>/dev/null) || b=0
	percpu=$((percpu + ${b:-0}))
done
((ncpu > 2)) && SMALL_MAX=$((SMALL_MAX + percpu * (ncpu - 2) / ncpu))
tap_check "a 10-rule instance locks at most $((SMALL_MAX >> 10)) KiB ($mem bytes, $ncpu CPUs)" \
	test "$mem" -le "$SMALL_MAX"
limit_slots() { bpftool map show pinned "$PIN/limit_tbl" -j 2>/dev/null | jq -r '.max_entries // empty'; }
tap_is "no rule has a limit: limit_tbl holds 2 buckets" "$(limit_slots)" 2
tap_check "its per-generation arrays are sized from the ruleset (cells capacity under 512k)" \
	jq -e '.structures.cells.capacity < 524288 and .structures.classes.capacity <= 4096' <<<"$st"
max_entries() { bpftool map show pinned "$PIN/$1" -j 2>/dev/null | jq -r '.max_entries // empty'; }
tap_is "the per-rule tables hold 64 counter slots (rule_carry)" "$(max_entries rule_carry)" 64
tap_is "... rule_stats a row of them per CPU (64 x 16 bytes)" "$(bpftool map show pinned "$PIN/rule_stats" -j 2>/dev/null | jq -r .bytes_value)" 1024
tap_is "... both generations' verdicts in rule_tbl" "$(max_entries rule_tbl)" 128
tap_check "status shows the slots (10 of 64)" \
	jq -e '.structures.rule_slots.used == 10 and .structures.rule_slots.capacity == 64' <<<"$st"

tap_check "set add ban $A" efw_edgefw --instance "$INST" set add ban "$A"
gen0=$(jq -r .generation <<<"$st" 2>/dev/null) || gen0=0
old_outer=$(map_id cells_tbl)
old_inner=$(inner_id cells_tbl "$gen0")
declare -A before=()
for p in "$PIN"/*; do before[${p##*/}]=$(map_id "${p##*/}"); done
tap_check "the old maps' ids are known ($old_outer, $old_inner, ${#before[@]} pins)" \
	test -n "$old_outer" -a -n "$old_inner" -a "${#before[@]}" -gt 30

# --- A growth that cannot see the attachments is refused whole: from the
# host's network namespace, the edge's interfaces are not there.
rc=0
out=$(cd "$EFW_TMP" && timeout 60 "$EDGEFW" --instance "$INST" reload "$BIG" 2>&1) || rc=$?
tap_check "a growing reload from another network namespace fails (exit $rc)" test "$rc" -ne 0
tap_check "it says why" grep -q "cannot grow the instance's maps in place" <<<"$out"
tap_check "the 10 rules stay in force, the maps unchanged" \
	test "$(status | jq -r .rules)" = 10 -a "$(map_id cells_tbl)" = "$old_outer"
tap_check "no temporary pin is left" bash -c "! ls '$PIN' | grep -q _grow"

# --- Growth under traffic: every packet of B on 7001 and of A on 7002
# must be dropped before, during and after; A on 7000 passes.
s0=$(stats) || s0=none
efw_sink_start "$S" "$EFW_SERVER4" 7000 || tap_fail "sink 7000"
efw_sink_start "$S" "$EFW_SERVER4" 7001 || tap_fail "sink 7001"
efw_sink_start "$S" "$EFW_SERVER4" 7002 || tap_fail "sink 7002"
efw_flood_start "$C" pass "$A" "$EFW_SERVER4" 7000 500 60
efw_flood_start "$C" blocked "$B" "$EFW_SERVER4" 7001 1000 60
efw_flood_start "$C" banned "$A" "$EFW_SERVER4" 7002 1000 60
sleep 1
rc=0
t0=${EPOCHREALTIME//[.,]/}
out=$(cd "$EFW_TMP" && efw_edgefw --instance "$INST" reload "$BIG" 2>&1) || rc=$?
t1=${EPOCHREALTIME//[.,]/}
tap_is "reload to 100k prefixes + 10k rules exits 0" "$rc" 0
tap_diag "the growing reload took $(((t1 - t0) / 1000)) ms (compile, growth, load, switch)"
tap_check "it says the maps grew" grep -q "grew $PIN for the new ruleset: cells" <<<"$out"
[[ $rc -eq 0 ]] || tap_diag "$(tail -n 5 <<<"$out")"
sleep 1
sent_pass=$(efw_flood_stop pass)
sent_blocked=$(efw_flood_stop blocked)
sent_banned=$(efw_flood_stop banned)
sleep 0.5
efw_sink_stop 7000
efw_sink_stop 7001
efw_sink_stop 7002
s1=$(stats) || s1=none
tap_check "the senders ran ($sent_pass, $sent_blocked, $sent_banned sent)" \
	test "$sent_blocked" -gt 500 -a "$sent_banned" -gt 500 -a "$sent_pass" -gt 250
tap_is "not one packet of the blocked source passed ($sent_blocked sent)" "$(efw_sink_field 7001 received)" 0
tap_is "not one packet of the banned source passed ($sent_banned sent)" "$(efw_sink_field 7002 received)" 0
tap_check "the allowed flow kept flowing ($(efw_sink_field 7000 received) of $sent_pass)" \
	test "$(efw_sink_field 7000 received)" -gt $((sent_pass / 2))
d_blocked=$(($(counter "$s1" drop-blocked) - $(counter "$s0" drop-blocked))) || d_blocked=invalid
d_banned=$(($(counter "$s1" drop-banned) - $(counter "$s0" drop-banned))) || d_banned=invalid
tap_is "drop-blocked counted every packet across the growth" "$d_blocked" "$sent_blocked"
tap_is "drop-banned counted every packet across the growth" "$d_banned" "$sent_banned"
tap_check "the dynamic set, resized to 2000 in the same reload, still holds $A" \
	jq -e 'any(.[]; .name == "ban" and .entries == 1 and .size == 2000)' \
	<<<"$(efw_edgefw --instance "$INST" set list --json 2>/dev/null)"

# --- Right after the switch: the previous generation's arrays and the
# maps the growth replaced are freed.
st=$(status) || st=none
gen1=$(jq -r .generation <<<"$st" 2>/dev/null) || gen1=none
tap_check "status names the new ruleset (10004 rules, generation $gen1)" \
	jq -e '.rules == 10004' <<<"$st"
tap_is "the inactive generation holds no arrays" \
	"$(jq -r --argjson g "$gen1" '.memory.generations[] | select(.generation != $g) | .arrays_bytes' <<<"$st" 2>/dev/null)" 0
tap_check "the old cells map-in-map ($old_outer) is gone" efw_wait_for 5 gone "$old_outer"
tap_check "the old generation's cells array ($old_inner) is gone" efw_wait_for 5 gone "$old_inner"
replaced=()
for name in "${!before[@]}"; do
	[[ $(map_id "$name") == "${before[$name]}" ]] || replaced+=("$name:${before[$name]}")
done
tap_diag "maps the growth replaced: ${replaced[*]}"
all_gone() {
	local r
	for r in "${replaced[@]}"; do gone "${r#*:}" || return 1; done
}
tap_check "every map the growth replaced is gone (${#replaced[@]})" efw_wait_for 5 all_gone
tap_check "the growth kept the dynamic sets' maps" \
	test "$(map_id dynset4_tbl)" = "${before[dynset4_tbl]}"
tap_check "it replaced the per-rule tables (rule_stats ${before[rule_stats]} -> $(map_id rule_stats))" \
	test "$(map_id rule_stats)" != "${before[rule_stats]}" -a "$(map_id rule_carry)" != "${before[rule_carry]}"
# 10 names in force + 10,002 new ones: 10,012 slots, an eighth more,
# rounded to 64.
tap_is "the per-rule tables hold 11,264 slots" "$(max_entries rule_carry)" 11264
tap_is "... and rule_meta both generations'" "$(max_entries rule_meta)" 22528
tap_is "the first limit grew limit_tbl to its full table" "$(limit_slots)" 131072
efw_sink_start "$S" "$EFW_SERVER4" 7003 || tap_fail "sink 7003"
efw_flood_start "$C" probe "$A" "$EFW_SERVER4" 7003 40 1
sleep 1.5 # its second, not a SIGTERM that cuts it short
sent_probe=$(efw_flood_stop probe)
sleep 0.5
efw_sink_stop 7003
s2=$(stats) || s2=none
tap_check "the limit works in the grown table: $sent_probe packets within it, all dropped by limit-probe" \
	test "$sent_probe" -gt 0 -a "$(counter "$s2" limit-probe)" = "$sent_probe" -a "$(efw_sink_field 7003 received)" = 0
est=$(cd "$EFW_TMP" && efw_edgefw compile "$BIG" --json 2>/dev/null | jq -r '.memory_bytes') || est=missing
mem=$(jq -r '.memory.memlock_bytes // "missing"' <<<"$st" 2>/dev/null) || mem=invalid
tap_diag "100k + 10k: $mem bytes locked, the compiler's estimate $est bytes"
tap_check "memlock at most 2x the compiler's estimate ($mem, $est)" \
	test "$mem" -le $((est * 2))

# --- A reload that fits does not grow, and keeps the memory released.
rc=0
out=$(cd "$EFW_TMP" && efw_edgefw --instance "$INST" reload "$SMALL" 2>&1) || rc=$?
tap_is "reload back to 10 rules exits 0" "$rc" 0
grew=0
grep -q "grew $PIN" <<<"$out" || grew=none
tap_is "it does not grow" "$grew" none
st=$(status) || st=none
tap_is "the inactive generation again holds no arrays" \
	"$(jq -r '.generation as $g | .memory.generations[] | select(.generation != $g) | .arrays_bytes' <<<"$st" 2>/dev/null)" 0

tap_check "detach" efw_edgefw --instance "$INST" detach "$IN"
tap_check "no pin is left" test ! -e "$PIN"
tap_done
