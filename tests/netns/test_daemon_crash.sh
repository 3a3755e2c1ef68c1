#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# kill -9 at random points, under traffic. Each round starts edgefwd on the
# instance the last one left, lets it do one thing (nothing, a reload to the
# other of two configs, or attaching a new interface that appeared), and
# kills it -9 after a random 0-400 ms, often in the middle of that work.
# After every kill: the ruleset in force is one of the two whole rulesets
# (hash), every recorded attachment is in place, and no program of the
# instance is loaded beyond those attached. Across all rounds the blocked
# flow (blocked by both configs) never reaches the server and every packet
# of the allowed flow does. At the end a daemon adopts everything and, with
# on-exit detach, leaves no program or map of the instance behind.
#
# EFW_CRASH_ROUNDS sets the number of rounds: 20 by default, 50 in the
# full tier (EFW_TEST_FULL=1). At most MAX_NEWIFS interfaces appear.
# shellcheck disable=SC2119 # helpers with an optional argument
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/daemon.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/daemon.sh"

efw_daemon_prereqs tools
command -v bpftool >/dev/null || tap_bail "test tools installed" "missing: bpftool"

if [[ ${EFW_TEST_FULL:-0} == 1 ]]; then
	ROUNDS=${EFW_CRASH_ROUNDS:-50}
else
	ROUNDS=${EFW_CRASH_ROUNDS:-20}
fi
MAX_NEWIFS=6
PPS=${EFW_CRASH_PPS:-1000}
PORT_OK=7000
PORT_BAD=7001
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
S=$EFW_NS_SERVER
IN=$EFW_IF_EDGE_IN
CONF=$EFW_TMP/edgefwd.yaml
# New interfaces the daemon follows: efw<id>x<n>, veth pairs in the edge.
NEWIF=efw${EFW_ID}x

# write_conf A|B [ON_EXIT]: both drop the blocked source and pass the
# allowed flow; they differ in a third rule, so their hashes differ.
write_conf() {
	local port=7100 onexit=()
	[[ $1 == B ]] && port=7200
	[[ -n ${2:-} ]] && onexit=(--on-exit "$2")
	efw_daemon_config "$CONF" --iface "$IN:xdp" --iface "$NEWIF*:xdp" "${onexit[@]}" <<EOF
defaults:
  xdp: pass
  non-ip: pass
rules:
  - name: drop-blocked
    src: $EFW_CLIENT4_BAD/32
    action: drop
  - name: pass-allowed
    src: $EFW_CLIENT4/32
    proto: udp
    dport: $PORT_OK
    action: pass
  - name: drop-extra-$1
    proto: udp
    dport: $port
    action: drop
EOF
}

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"
mac_s=$(in_ns "$S" ip -br link show dev "$EFW_IF_SERVER" | awk '{ print $3 }')
tap_check "static neighbours, no IPv6 on the client link" eval "
	efw_static_neigh &&
	in_ns $E ip neigh replace $EFW_SERVER4 lladdr $mac_s dev $EFW_IF_EDGE_OUT nud permanent"

status_hash() { jq -r '.ruleset_hash // "?"' <<<"$(efw_status_json)" 2>/dev/null || echo "?"; }
# The ids of the instance's pinned maps, one per line.
instance_map_ids() {
	local f
	for f in "$EFW_PIN_ROOT/$EFW_INSTANCE"/*; do
		[[ -e $f ]] || continue
		bpftool map show pinned "$f" --json 2>/dev/null | jq -r '.id // empty'
	done
}
# Programs loaded now that use one of the map ids in $1 (a jq array).
progs_using() {
	bpftool prog show --json 2>/dev/null |
		jq --argjson ids "$1" '[.[] | select((.map_ids // []) - ($ids) != (.map_ids // []))] | length'
}
# Maps with one of the ids in $1 that still exist.
maps_alive() {
	bpftool map show --json 2>/dev/null | jq --argjson ids "$1" '[.[] | select(.id as $i | $ids | index($i))] | length'
}
# "RECORDED ATTACHED PENDING": pending records are attaches a kill
# interrupted (prog_id 0), which the next daemon settles.
recorded_and_attached() {
	jq -r '"\([.attachments[]?] | length) \([.attachments[]? | select(.attached)] | length) \([.attachments[]? | select(.prog_id == 0)] | length)"' \
		<<<"$(efw_status_json)" 2>/dev/null || echo "? ? ?"
}

# Hashes of the two whole rulesets, as the daemon reports them.
write_conf A
efw_daemon_start "$CONF" || { efw_daemon_diag; tap_bail "edgefwd started on config A"; }
HASH_A=$(status_hash)
write_conf B
efw_daemon_reload >/dev/null || true
HASH_B=$(status_hash)
if [[ $HASH_A != "?" && $HASH_B != "?" && $HASH_A != "$HASH_B" ]]; then
	tap_ok "two whole rulesets: A $HASH_A, B $HASH_B"
else
	tap_bail "two whole rulesets with distinct hashes" "A $HASH_A B $HASH_B"
fi
MAP_IDS=$(instance_map_ids | jq -sc .)

efw_sink_start "$S" "$EFW_SERVER4" "$PORT_OK" || tap_bail "udpsink on $EFW_SERVER4:$PORT_OK"
efw_sink_start "$S" "$EFW_SERVER4" "$PORT_BAD" || tap_bail "udpsink on $EFW_SERVER4:$PORT_BAD"
efw_flood_start "$C" ok "$EFW_CLIENT4" "$EFW_SERVER4" "$PORT_OK" "$PPS" 600
efw_flood_start "$C" bad "$EFW_CLIENT4_BAD" "$EFW_SERVER4" "$PORT_BAD" "$PPS" 600
sleep 0.5

bad_rounds=() start_fail=0 newifs=0 cur=B pending=0
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r > 1)) && ! efw_daemon_start "$CONF"; then
		start_fail=$((start_fail + 1))
		bad_rounds+=("round $r: the daemon did not start (exit ${EFW_DAEMON_RC:-?}): $(tail -n 3 "$EFW_DAEMON_ERR" | tr '\n' ' ')")
		efw_daemon_stop KILL 5 || true
		continue
	fi
	action=$((RANDOM % 3))
	[[ $action -eq 2 && $newifs -ge $MAX_NEWIFS ]] && action=1
	case $action in
	1)
		[[ $cur == A ]] && cur=B || cur=A
		write_conf "$cur"
		efw_daemon_signal HUP || true
		what=reload
		;;
	2)
		newifs=$((newifs + 1))
		in_ns "$E" ip link add "$NEWIF$newifs" type veth peer name "efw${EFW_ID}y$newifs"
		in_ns "$E" ip link set "$NEWIF$newifs" up
		what=new-interface
		;;
	*) what=idle ;;
	esac
	sleep "0.$(printf '%03d' $((RANDOM % 400)))"
	efw_daemon_kill9 || true
	h=$(status_hash)
	if [[ $h != "$HASH_A" && $h != "$HASH_B" ]]; then
		bad_rounds+=("round $r ($what): hash in force $h is neither A nor B")
	fi
	read -r rec att pend <<<"$(recorded_and_attached)"
	if [[ ! $rec =~ ^[0-9]+$ || ! $pend =~ ^[0-9]+$ ]]; then
		bad_rounds+=("round $r ($what): no readable status: $(efw_status_json | head -c 300)")
		continue
	fi
	pending=$((pending + pend))
	if [[ $((rec - pend)) != "$att" ]]; then
		bad_rounds+=("round $r ($what): $rec attachments recorded ($pend pending), $att in place")
	fi
	ids=$(instance_map_ids | jq -sc .)
	n=$(progs_using "$ids")
	if [[ $n =~ ^[0-9]+$ && $rec =~ ^[0-9]+$ && $n -gt $rec ]]; then
		bad_rounds+=("round $r ($what): $n programs use the instance's maps, $rec recorded")
	fi
	MAP_IDS=$(jq -sc 'add | unique' <<<"$MAP_IDS $ids")
done
if [[ ${#bad_rounds[@]} -eq 0 ]]; then
	tap_ok "$ROUNDS rounds of kill -9 (reloads, new interfaces, idle): a whole ruleset in force and every completed attachment in place after each"
	tap_diag "$pending kills interrupted an attach (left a pending record for the next daemon)"
else
	tap_fail "$ROUNDS rounds of kill -9: a whole ruleset and every attachment in place after each" "${bad_rounds[@]}"
fi

# The last daemon adopts everything; every interface that appeared is attached.
write_conf A detach
if efw_daemon_start "$CONF"; then
	tap_ok "a final edgefwd adopts what the rounds left"
else
	efw_daemon_diag
	tap_bail "a final edgefwd adopts what the rounds left (exit ${EFW_DAEMON_RC:-none})"
fi
efw_daemon_reload >/dev/null || true
want=$((newifs + 1))
all_attached() { [[ $(recorded_and_attached) == "$want $want 0" ]]; }
if efw_wait_for 15 all_attached; then
	tap_ok "all $want interfaces attached ($newifs appeared during the rounds)"
else
	tap_fail "all $want interfaces attached" "recorded/attached: $(recorded_and_attached)"
fi

sent_ok=$(efw_flood_stop ok)
sent_bad=$(efw_flood_stop bad)
sleep 0.5
efw_sink_stop "$PORT_OK"
efw_sink_stop "$PORT_BAD"
recv_ok=$(efw_sink_field "$PORT_OK" received)
recv_bad=$(efw_sink_field "$PORT_BAD" received)
tap_diag "allowed: sent $sent_ok received $recv_ok; blocked: sent $sent_bad received $recv_bad"
tap_is "the server received 0 blocked packets across every kill" "$recv_bad" 0
tap_is "every allowed packet arrived (sent = received)" "$recv_ok" "$sent_ok"

ids=$(instance_map_ids | jq -sc .)
MAP_IDS=$(jq -sc 'add | unique' <<<"$MAP_IDS $ids")
efw_daemon_stop TERM || true
tap_is "SIGTERM with on-exit detach stops it (exit 0)" "$EFW_DAEMON_RC" 0
tap_is "no program of the instance is left loaded" "$(progs_using "$MAP_IDS")" 0
gone() { [[ $(maps_alive "$MAP_IDS") == 0 ]]; }
# Maps go once the kernel has released the last program (RCU).
efw_wait_for 5 gone || true
tap_is "no map of the instance is left" "$(maps_alive "$MAP_IDS")" 0
tap_done
