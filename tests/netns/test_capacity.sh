#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Capacity fixed up front (issue 17): `edgefw attach --capacity` and
# `daemon.capacity` are floors of the instance's ruleset-sized maps.
#   - wrong values are refused before anything changes, with the reason;
#   - control: an instance sized from a small ruleset cannot take a
#     bigger one from another network namespace (growing in place is
#     refused there), so the reload fails;
#   - with a floor that holds the bigger ruleset, the instance is created
#     at the floor (status --json .capacity), and the same reload succeeds
#     without growing (same maps);
#   - attach again with a larger floor grows the existing instance to it in
#     place, under traffic, without passing one packet it must drop; a
#     smaller floor changes nothing (capacity never shrinks);
#   - a ruleset that needs more than the floor grows the instance past it;
#   - edgefwd: daemon.capacity sizes the instance it creates, the metrics
#     show capacity and use per resource, a reload with a larger one grows
#     it, and a wrong one is refused with FILE:LINE:COL, the rules staying.
# efw-timeout: 300
# shellcheck disable=SC2119 # efw_daemon_reload without arguments
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"
efw_daemon_prereqs tools
command -v bpftool >/dev/null || tap_bail "bpftool installed" "missing: bpftool"
command -v curl >/dev/null || tap_bail "test tools installed" "missing: curl"

C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
IN=$EFW_IF_EDGE_IN
INST=$EFW_INSTANCE
PIN=/sys/fs/bpf/edgefw/$INST
A=$EFW_CLIENT4     # passes on 7000
B=$EFW_CLIENT4_BAD # dropped on 7001
SMALL=$EFW_TMP/small.yaml
MEDIUM=$EFW_TMP/medium.yaml
LARGE=$EFW_TMP/large.yaml
CONF=$EFW_TMP/edgefwd.yaml
PORT=$((20000 + RANDOM % 40000))
H6_FLOOR=2048

rules() { # LIST_FILE (empty: no blocklist)
	cat <<EOF
defaults: {xdp: pass, non-ip: pass}
EOF
	[[ -z $1 ]] || printf 'sets:\n  block: {files: [%s]}\n' "$1"
	cat <<EOF
rules:
  - name: drop-blocked
    src: $B/32
    proto: udp
    dport: 7001
    action: drop
EOF
	[[ -z $1 ]] || printf '  - name: blocklist\n    src: $block\n    action: drop\n'
}
# Scattered IPv4 /32s (outside the test's ranges) and IPv6 /128s: the
# medium list needs more cells and IPv6 hosts than a small ruleset's
# instance has, the large one more cells again.
/usr/bin/python3 - "$EFW_TMP" <<'EOF'
import random, sys
d = sys.argv[1]
rnd = random.Random(17)
v6 = ["2a00:1450:%x:%x:%x:%x:%x:%x/128" % tuple(rnd.getrandbits(16) for _ in range(6))
      for _ in range(1500)]
def v4(n):
    return ["45.%d.%d.%d/32" % (rnd.getrandbits(8), rnd.getrandbits(8), rnd.getrandbits(8))
            for _ in range(n)]
open(d + "/medium.txt", "w").write("\n".join(v4(3000) + v6) + "\n")
open(d + "/large.txt", "w").write("\n".join(v4(40000) + v6) + "\n")
EOF
{ echo "version: 1"; rules ""; } >"$SMALL"
{ echo "version: 1"; rules medium.txt; } >"$MEDIUM"
{ echo "version: 1"; rules large.txt; } >"$LARGE"

status() { efw_edgefw --instance "$INST" status --json 2>/dev/null || echo none; }
cap() { jq -r ".capacity.$1 // \"missing\"" <<<"$2" 2>/dev/null || echo invalid; }
map_id() { bpftool map show pinned "$PIN/$1" -j 2>/dev/null | jq -r '.id // empty'; }
need_cells() { (cd "$EFW_TMP" && "$EDGEFW" compile "$1" --json 2>/dev/null | jq -r '.tables.cells'); }
round4k() { echo $((($1 + 4095) / 4096 * 4096)); }

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
tap_check "static neighbours" efw_static_neigh

small_cells=$(need_cells "$SMALL")
med_cells=$(need_cells "$MEDIUM")
large_cells=$(need_cells "$LARGE")
# The floors: one that holds the medium ruleset, a larger one the large
# ruleset still exceeds.
FLOOR=$(round4k $((med_cells * 5 / 4)))
FLOOR2=$((FLOOR + 131072))
tap_diag "cells needed: small $small_cells, medium $med_cells, large $large_cells; floors $FLOOR, $FLOOR2"
tap_check "the large ruleset needs more cells than the second floor" \
	test "$large_cells" -gt "$FLOOR2" -a "$med_cells" -gt "$small_cells"

# --- Wrong values: refused before anything changes.
bad() { # EXPECTED_MESSAGE CAPACITY_ARGS...
	local want=$1 rc=0 out
	shift
	out=$(efw_edgefw --instance "$INST" attach "$IN" --rules "$SMALL" "$@" 2>&1) || rc=$?
	if [[ $rc -ne 1 ]] || ! grep -qF -- "$want" <<<"$out" || [[ -e $PIN ]]; then
		echo "exit $rc: $out"
		return 1
	fi
}
tap_check "--capacity cells=0: exit 1, says why, no instance" \
	bad "--capacity cells=0: cells '0' is not a number of address trie cells from 1 to 33554432" --capacity cells=0
tap_check "--capacity cell=5: the unknown resource and the right name" \
	bad "--capacity cell=5: unknown resource 'cell' (did you mean 'cells'?)" --capacity cell=5
tap_check "--capacity cells=5,cells=6: given twice" \
	bad "cells is given twice" --capacity cells=5,cells=6
tap_check "--capacity 4096: not RESOURCE=NUMBER" \
	bad "give RESOURCE=NUMBER" --capacity 4096

# --- Control: sized from the small ruleset, the instance cannot take the
# medium one from the host's network namespace (growth is refused there).
tap_check "attach $IN with the small ruleset, no --capacity" \
	efw_edgefw --instance "$INST" attach "$IN" --rules "$SMALL"
st=$(status)
auto_cells=$(cap cells "$st")
auto_h6=$(cap ipv6_hosts "$st")
tap_check "status --json .capacity: sized from the ruleset ($auto_cells cells, $auto_h6 IPv6 hosts), under what the medium ruleset needs" \
	test "$auto_cells" -lt "$med_cells" -a "$auto_h6" -lt 1500 -a "$auto_cells" = "$(jq -r .structures.cells.capacity <<<"$st")"
tap_check "status --json .capacity has every resource and flows" jq -e \
	'.capacity | keys == ["cells","classes","flows","hashed_pairs","ipv6_hosts","tree_leaf_entries","tree_nodes"] and all(.[]; . > 0)' <<<"$st"
auto=$(jq -c .capacity <<<"$st" 2>/dev/null) || auto=none
rc=0
out=$(cd "$EFW_TMP" && timeout 60 "$EDGEFW" --instance "$INST" reload "$MEDIUM" 2>&1) || rc=$?
tap_check "the medium ruleset from another network namespace fails (exit $rc): it would grow" \
	grep -q "cannot grow the instance's maps in place" <<<"$out"
tap_check "detach" efw_edgefw --instance "$INST" detach "$IN"

# --- A floor that holds the medium ruleset.
tap_check "attach $IN with the small ruleset and --capacity cells=$FLOOR,ipv6-hosts=$H6_FLOOR" \
	efw_edgefw --instance "$INST" attach "$IN" --rules "$SMALL" --capacity "cells=$FLOOR" \
	--capacity "ipv6-hosts=$H6_FLOOR"
st=$(status)
tap_is "status --json .capacity.cells is the floor" "$(cap cells "$st")" "$FLOOR"
tap_is "status --json .capacity.ipv6_hosts is the floor" "$(cap ipv6_hosts "$st")" "$H6_FLOOR"
tap_is "the resources without a floor are sized as without --capacity" \
	"$(jq -c '.capacity | del(.cells, .ipv6_hosts)' <<<"$st" 2>/dev/null)" \
	"$(jq -c 'del(.cells, .ipv6_hosts)' <<<"$auto" 2>/dev/null)"
text=$(efw_edgefw --instance "$INST" status 2>/dev/null) || text=none
tap_check "status (text): cells [used] of $FLOOR" grep -qE "cells [0-9]+ of $FLOOR," <<<"$text"
tap_check "status (text): IPv6 hosts $H6_FLOOR" grep -qE "IPv6 hosts $H6_FLOOR per generation" <<<"$text"
tap_check "status (text) names the version of VERSION" \
	grep -qF "($(basename "$EDGEFW") $(cat "$EFW_REPO/VERSION"))" <<<"$text"
cells_map=$(map_id cells_tbl)
rc=0
out=$(cd "$EFW_TMP" && timeout 60 "$EDGEFW" --instance "$INST" reload "$MEDIUM" 2>&1) || rc=$?
tap_is "the medium ruleset from another network namespace now loads" "$rc" 0
[[ $rc -eq 0 ]] || tap_diag "$(tail -n 5 <<<"$out")"
tap_check "without growing: same maps, capacity still the floor" test \
	"$(map_id cells_tbl)" = "$cells_map" -a "$(cap cells "$(status)")" = "$FLOOR"
tap_is "the medium ruleset is in force" "$(status | jq -r .rules)" 2

# --- A larger floor on the existing instance grows it in place, under
# traffic: every packet of B on 7001 dropped before, during and after.
efw_sink_start "$S" "$EFW_SERVER4" 7000 || tap_fail "sink 7000"
efw_sink_start "$S" "$EFW_SERVER4" 7001 || tap_fail "sink 7001"
efw_flood_start "$C" pass "$A" "$EFW_SERVER4" 7000 500 60
efw_flood_start "$C" blocked "$B" "$EFW_SERVER4" 7001 1000 60
sleep 1
rc=0
out=$(cd "$EFW_TMP" && efw_edgefw --instance "$INST" attach "$IN" --rules "$MEDIUM" \
	--capacity "cells=$FLOOR2" 2>&1) || rc=$?
tap_is "attach again with --capacity cells=$FLOOR2 exits 0" "$rc" 0
tap_check "it says the maps grew to the capacity asked" \
	grep -q "grew $PIN to the capacity asked: cells $FLOOR -> $FLOOR2" <<<"$out"
sleep 1
sent_pass=$(efw_flood_stop pass)
sent_blocked=$(efw_flood_stop blocked)
sleep 0.5
efw_sink_stop 7000
efw_sink_stop 7001
tap_check "the senders ran ($sent_pass, $sent_blocked sent)" \
	test "$sent_blocked" -gt 500 -a "$sent_pass" -gt 250
tap_is "not one packet of the blocked source passed ($sent_blocked sent)" "$(efw_sink_field 7001 received)" 0
tap_check "the allowed flow kept flowing ($(efw_sink_field 7000 received) of $sent_pass)" \
	test "$(efw_sink_field 7000 received)" -gt $((sent_pass / 2))
st=$(status)
tap_is "status --json .capacity.cells is the new floor" "$(cap cells "$st")" "$FLOOR2"
tap_is "the IPv6 hosts kept theirs" "$(cap ipv6_hosts "$st")" "$H6_FLOOR"
cells_map=$(map_id cells_tbl)
out=$(cd "$EFW_TMP" && efw_edgefw --instance "$INST" attach "$IN" --rules "$MEDIUM" \
	--capacity cells=4096 2>&1) || true
tap_check "a smaller floor changes nothing: no growth, same maps, same capacity" test \
	-z "$(grep "grew" <<<"$out")" -a "$(map_id cells_tbl)" = "$cells_map" \
	-a "$(cap cells "$(status)")" = "$FLOOR2"

# --- A ruleset that needs more than the floor grows the instance past it.
rc=0
out=$(cd "$EFW_TMP" && efw_edgefw --instance "$INST" reload "$LARGE" 2>&1) || rc=$?
tap_is "the large ruleset ($large_cells cells) loads" "$rc" 0
tap_check "it grew the instance for the ruleset" grep -q "grew $PIN for the new ruleset: cells $FLOOR2 -> " <<<"$out"
got=$(cap cells "$(status)")
tap_check "capacity past the floor ($got > $FLOOR2, at least $large_cells)" \
	test "$got" -gt "$FLOOR2" -a "$got" -ge "$large_cells"
tap_check "detach" efw_edgefw --instance "$INST" detach "$IN"
tap_check "no pin is left" test ! -e "$PIN"

# --- edgefwd: daemon.capacity.
scrape() { in_ns "$E" curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null || echo "scrape failed"; }
sample() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print "missing" }' <<<"$1"; }
config() { # CAPACITY_MAPPING
	rules "" | efw_daemon_config "$CONF" --metrics "127.0.0.1:$PORT" --daemon-line "capacity: $1"
}
config "{cells: $FLOOR, ipv6-hosts: $H6_FLOOR}"
if efw_daemon_start "$CONF"; then
	tap_ok "edgefwd started with daemon.capacity"
else
	efw_daemon_diag
	tap_bail "edgefwd started with daemon.capacity"
fi
st=$(status)
tap_check "the instance it created has the floors (status --json .capacity)" \
	test "$(cap cells "$st")" = "$FLOOR" -a "$(cap ipv6_hosts "$st")" = "$H6_FLOOR"
m=$(scrape)
tap_is "edgefw_capacity{resource=\"cells\"} is the floor" \
	"$(sample "$m" 'edgefw_capacity{resource="cells"}')" "$FLOOR"
tap_is "edgefw_usage{resource=\"cells\"}: what the ruleset uses" \
	"$(sample "$m" 'edgefw_usage{resource="cells"}')" "$small_cells"
tap_is "edgefw_capacity{resource=\"ipv6_hosts\"} is the floor" \
	"$(sample "$m" 'edgefw_capacity{resource="ipv6_hosts"}')" "$H6_FLOOR"
for r in classes tree_nodes tree_leaf_entries hashed_pairs; do
	tap_is "edgefw_capacity{resource=\"$r\"} is status's" \
		"$(sample "$m" "edgefw_capacity{resource=\"$r\"}")" "$(cap "$r" "$st")"
done
config "{cells: $FLOOR2, ipv6-hosts: $H6_FLOOR}"
out=$(efw_daemon_reload) || true
tap_check "a reload with a larger daemon.capacity grows the instance to it" \
	test "$(cap cells "$(status)")" = "$FLOOR2"
tap_check "edgefwd logged the growth" efw_daemon_wait_log "grew $PIN to the capacity asked" 5
ok_cells=$(sample "$(scrape)" 'edgefw_capacity{resource="cells"}')
tap_is "edgefw_capacity{resource=\"cells\"} follows" "$ok_cells" "$FLOOR2"
config "{cells: 0}"
line=$(grep -n '^  capacity: {cells: 0}$' "$CONF" | cut -d: -f1)
rc=0
out=$(efw_daemon_reload) || rc=$?
tap_is "a reload with daemon.capacity cells 0 exits 1" "$rc" 1
tap_check "it says FILE:LINE:COL and why" grep -qF \
	"$CONF:$line:21: error: capacity: cells '0' is not a number of address trie cells from 1 to 33554432" <<<"$out"
[[ $EFW_TAP_LAST -eq 0 ]] || tap_diag "$out"
tap_check "the rules and the capacity in force stay" test \
	"$(cap cells "$(status)")" = "$FLOOR2" -a "$(status | jq -r .rules)" = 1
tap_check "edgefwd stops" efw_daemon_stop
tap_done
