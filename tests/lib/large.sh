# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Sourced by tests/netns/test_large_*.sh (after tests/lib/netns.sh): real
# traffic bigger than any linear area through every hook. For one MTU, on
# each hook set (xdp, tc-ingress, tc-egress, all three; attached to both
# edge interfaces) with GRO/TSO/GSO on and off on every veth:
#   - a TCP upload the rules allow arrives complete and byte-exact, and its
#     rule counts at least its bytes on every hook it crosses;
#   - one from a blocked source delivers nothing, and the rule counts each
#     SYN the client sent;
#   - under `malformed: drop` and `malformed: pass`, 20,000 and 60,000-byte
#     UDP datagrams from a blocked source and to a blocked port are dropped
#     (allowed ones of the same size arrive), the source rule counting every
#     fragment the client sent and the port rule every first fragment.
# EFW_TEST_FULL=1: 100 MB transfers, IPv6 too, and downloads as well.

LARGE_TCP_PORT=7200
LARGE_UDP_OK=7101
LARGE_UDP_BLOCKED=7109
LARGE_SIZES=(20000 60000)
LARGE_HOOKSETS=(xdp tc-ingress tc-egress all)
if [[ ${EFW_TEST_FULL:-0} == 1 ]]; then
	LARGE_MB=100
	LARGE_FAMILIES=(4 6)
else
	LARGE_MB=10
	LARGE_FAMILIES=(4)
fi
UDPFLOOD=$EFW_REPO/build/tests/tools/udpflood
UDPSINK=$EFW_REPO/build/tests/tools/udpsink

large_prereqs() {
	local t
	for t in ethtool sha256sum; do
		command -v "$t" >/dev/null || tap_bail "$t installed" "missing: $t"
	done
	for t in "$UDPFLOOD" "$UDPSINK"; do
		[[ -x $t ]] || tap_bail "test tools built" "$t not found (make test-build)"
	done
}

# large_rules MALFORMED FILE
large_rules() {
	cat >"$2" <<EOF
version: 1
defaults: {malformed: $1}
rules:
  - {name: blocked-src, src: [$EFW_CLIENT4_BAD, "$EFW_CLIENT6_BAD"], action: drop}
  - {name: blocked-port, proto: udp, dport: $LARGE_UDP_BLOCKED, action: drop}
  - {name: tcp-up, proto: tcp, dport: $LARGE_TCP_PORT, action: pass}
  - {name: tcp-down, proto: tcp, sport: $LARGE_TCP_PORT, action: pass}
  - {name: udp-ok, proto: udp, dport: $LARGE_UDP_OK, action: pass}
EOF
}

# The four veth ends of the topology, as "NS:IF".
large_links() {
	printf '%s\n' "$EFW_NS_CLIENT:$EFW_IF_CLIENT" "$EFW_NS_EDGE:$EFW_IF_EDGE_IN" \
		"$EFW_NS_EDGE:$EFW_IF_EDGE_OUT" "$EFW_NS_SERVER:$EFW_IF_SERVER"
}

# large_set_links MTU on|off: MTU and GRO/TSO/GSO on every veth end.
large_set_links() {
	local l ns ifc
	while read -r l; do
		ns=${l%%:*} ifc=${l#*:}
		efw_try in_ns "$ns" ip link set dev "$ifc" mtu "$1" || return 1
		efw_try in_ns "$ns" ethtool -K "$ifc" gro "$2" tso "$2" gso "$2" >/dev/null || return 1
	done < <(large_links)
}

# large_hooks SET: the --hook arguments of a hook set.
large_hooks() {
	case $1 in
	all) echo "--hook xdp --hook tc-ingress --hook tc-egress" ;;
	*) echo "--hook $1" ;;
	esac
}

# Hooks a client -> server packet crosses in a hook set (both edge
# interfaces attached): XDP and tc-ingress on the way in, tc-egress out.
large_crossings() { if [[ $1 == all ]]; then echo 3; else echo 1; fi; }

# large_attach SET RULES: both edge interfaces; native XDP (veth has it).
# --mode only with the xdp hook: edgefw refuses it for tc hooks alone.
large_attach() {
	local ifc out mode=()
	[[ $1 == xdp || $1 == all ]] && mode=(--mode native)
	for ifc in "$EFW_IF_EDGE_IN" "$EFW_IF_EDGE_OUT"; do
		# shellcheck disable=SC2046 # word splitting of the hook list
		out=$(efw_edgefw --instance "$EFW_INSTANCE" attach "$ifc" --rules "$2" \
			$(large_hooks "$1") "${mode[@]}" 2>&1) || { printf '%s\n' "$out"; return 1; }
	done
}

large_detach() {
	local ifc
	for ifc in "$EFW_IF_EDGE_IN" "$EFW_IF_EDGE_OUT"; do
		efw_edgefw --instance "$EFW_INSTANCE" detach "$ifc" >/dev/null 2>&1 || true
	done
}

# large_counters: sets LARGE_C[RULE] (packets) and LARGE_B[RULE] (bytes)
# for every rule, from one `edgefw stats`.
declare -A LARGE_C=() LARGE_B=()
large_counters() {
	local name packets bytes
	LARGE_C=() LARGE_B=()
	while read -r name packets bytes; do
		LARGE_C[$name]=$packets
		LARGE_B[$name]=$bytes
	done < <(efw_edgefw --instance "$EFW_INSTANCE" stats --json 2>/dev/null |
		jq -r '.rules[] | "\(.name) \(.packets) \(.bytes)"' 2>/dev/null)
}

# large_tcp FROM_NS SRC TO_NS DST FILE: sends FILE from SRC (in FROM_NS) to
# DST:LARGE_TCP_PORT (a listener in TO_NS); prints the sha256 of what
# arrived ("empty" when nothing did).
large_tcp() {
	local from=$1 src=$2 to=$3 dst=$4 file=$5 fam=4 out pid
	efw_is_v6 "$dst" && fam=6
	out=$EFW_TMP/tcp.rx
	rm -f "$out"
	efw_bg_in_ns "$to" "$EFW_TMP/tcp.listener" socat -u \
		"TCP$fam-LISTEN:$LARGE_TCP_PORT,bind=$(efw_sockaddr "$dst"),reuseaddr" "CREATE:$out"
	pid=$EFW_BG_PID
	if ! efw_wait_for 3 efw_listening "$to" t "$LARGE_TCP_PORT"; then
		efw_stop_pid "$pid"
		echo "no-listener"
		return
	fi
	# After a delivered transfer the listener sees EOF and exits by itself;
	# after a refused one there is nothing to wait for.
	if in_ns "$from" timeout 60 socat -u "OPEN:$file" \
		"TCP$fam:$(efw_sockaddr "$dst"):$LARGE_TCP_PORT,bind=$(efw_sockaddr "$src"),connect-timeout=1" \
		2>>"$EFW_TMP/tcp.client.err"; then
		efw_wait_pid "$pid" 5 || true
	fi
	efw_stop_pid "$pid"
	if [[ -s $out ]]; then sha256sum <"$out" | cut -d' ' -f1; else echo empty; fi
}

# Client TCP segments and IPv4/IPv6 fragments created so far.
large_client_segs() { efw_client_tcp_segs; }
large_client_frags() {
	if [[ $1 == 6 ]]; then
		efw_snmp "$EFW_NS_CLIENT" snmp6 "" Ip6FragCreates
	else
		efw_snmp "$EFW_NS_CLIENT" snmp Ip FragCreates
	fi
}

# Starts the two UDP sinks on the server (allowed and blocked port) for a
# family; their --out files get a line per datagram.
large_sinks_start() {
	local dst=$1 port
	for port in "$LARGE_UDP_OK" "$LARGE_UDP_BLOCKED"; do
		: >"$EFW_TMP/sink-$port"
		efw_bg_in_ns "$EFW_NS_SERVER" "$EFW_TMP/sink-$port.log" "$UDPSINK" --port "$port" \
			--bind "$dst" --seconds 600 --out "$EFW_TMP/sink-$port"
		LARGE_SINK_PIDS+=("$EFW_BG_PID")
		efw_wait_for 3 efw_listening "$EFW_NS_SERVER" u "$port" || return 1
	done
}

large_sinks_stop() {
	local pid
	for pid in "${LARGE_SINK_PIDS[@]}"; do efw_stop_pid "$pid"; done
	LARGE_SINK_PIDS=()
}

# large_sink_count PORT: sets LARGE_N to the datagrams the sink got (no
# fork: the machine may be busy, and this is polled).
large_sink_count() {
	local lines=()
	mapfile -t lines <"$EFW_TMP/sink-$1"
	LARGE_N=${#lines[@]}
}

# large_udp SRC DST PORT SIZE: one datagram from the client.
large_udp() {
	in_ns "$EFW_NS_CLIENT" "$UDPFLOOD" --src "$1" --dst "$2" --port "$3" --size "$4" \
		--count 1 >/dev/null 2>>"$EFW_TMP/udpflood.err"
}

# large_udp_round FAMILY SRC_OK SRC_BAD DST: for each size, a datagram from
# the blocked source, one to the blocked port, then an allowed one, waited
# for: it comes after the others on the same path, so once it is in, any of
# them that got through is too. Sets LARGE_FRAGS_BAD (fragments the
# datagrams from SRC_BAD were sent in) and LARGE_ERRS ("" or what went
# wrong); the blocked port's sink must hold LARGE_BLOCKED_WANT datagrams.
large_udp_round() {
	local fam=$1 ok=$2 bad=$3 dst=$4 size f0 f1 want errs=()
	LARGE_FRAGS_BAD=0
	for size in "${LARGE_SIZES[@]}"; do
		large_sink_count "$LARGE_UDP_OK"
		want=$((LARGE_N + 1))
		f0=$(large_client_frags "$fam")
		large_udp "$bad" "$dst" "$LARGE_UDP_OK" "$size" || errs+=("send failed")
		f1=$(large_client_frags "$fam")
		LARGE_FRAGS_BAD=$((LARGE_FRAGS_BAD + f1 - f0))
		large_udp "$ok" "$dst" "$LARGE_UDP_BLOCKED" "$size" || errs+=("send failed")
		large_udp "$ok" "$dst" "$LARGE_UDP_OK" "$size" || errs+=("send failed")
		efw_wait_for 5 large_sink_has "$LARGE_UDP_OK" "$want" ||
			errs+=("the allowed $size-byte datagram did not arrive")
		large_sink_count "$LARGE_UDP_OK"
		[[ $LARGE_N -eq $want ]] || errs+=("a $size-byte datagram from $bad arrived")
		large_sink_count "$LARGE_UDP_BLOCKED"
		[[ $LARGE_N -eq $LARGE_BLOCKED_WANT ]] ||
			errs+=("a $size-byte datagram to port $LARGE_UDP_BLOCKED arrived")
	done
	LARGE_ERRS=${errs[*]}
}
large_sink_has() { large_sink_count "$1"; [[ $LARGE_N -ge $2 ]]; }

# efw_large_run MTU on|off: the matrix for one MTU and offload setting.
efw_large_run() {
	local mtu=$1 off=$2 fam set tag data sum got
	local ok bad dst rules_drop=$EFW_TMP/drop.yaml rules_pass=$EFW_TMP/pass.yaml
	LARGE_SINK_PIDS=()
	large_prereqs
	large_rules drop "$rules_drop"
	large_rules pass "$rules_pass"
	if ! out=$(efw_topology_up 2>&1); then
		tap_bail "topology client -> edge -> server" "$out"
	fi
	tap_ok "topology client -> edge -> server ($EFW_ID), MTU $mtu, GRO/TSO/GSO $off"
	data=$EFW_TMP/data
	head -c $((LARGE_MB * 1024 * 1024)) /dev/urandom >"$data"
	sum=$(sha256sum <"$data" | cut -d' ' -f1)

	for fam in "${LARGE_FAMILIES[@]}"; do
		if [[ $fam == 4 ]]; then
			ok=$EFW_CLIENT4 bad=$EFW_CLIENT4_BAD dst=$EFW_SERVER4
		else
			ok=$EFW_CLIENT6 bad=$EFW_CLIENT6_BAD dst=$EFW_SERVER6
		fi
		large_detach # the previous family's last case left it attached
		large_set_links "$mtu" "$off" || tap_bail "MTU $mtu, offloads $off on the veths"
		large_sinks_start "$dst" || tap_bail "UDP sinks on $dst"
		# Without edgefw the blocked source and port get through, so the
		# drops below are edgefw's doing.
		LARGE_BLOCKED_WANT=-1
		large_udp_round "$fam" "$ok" "$ok" "$dst"
		large_sink_count "$LARGE_UDP_BLOCKED"
		got=$LARGE_N
		large_sink_count "$LARGE_UDP_OK"
		tap_is "IPv$fam without edgefw: ${LARGE_SIZES[*]}-byte datagrams reach both ports" \
			"$got $LARGE_N" "${#LARGE_SIZES[@]} $((2 * ${#LARGE_SIZES[@]}))"
		large_sinks_stop
		for set in "${LARGE_HOOKSETS[@]}"; do
			tag="IPv$fam MTU $mtu, offloads $off, $set"
			large_case "$fam" "$off" "$set" "$ok" "$bad" "$dst"
		done
	done
	tap_done
}

# large_case FAMILY OFFLOADS HOOKSET OK BAD DST
large_case() {
	local fam=$1 off=$2 set=$3 ok=$4 bad=$5 dst=$6 malf errs crossings
	local b0 b1 c0 c1 s0 s1 p0 p1 got bytes
	large_detach
	if ! large_set_links "$mtu" "$off" >"$EFW_TMP/links.err" 2>&1; then
		tap_fail "$tag: set the links" "$(cat "$EFW_TMP/links.err")"
		return
	fi
	if ! out=$(large_attach "$set" "$rules_drop"); then
		tap_fail "$tag: attach" "$out"
		return
	fi
	crossings=$(large_crossings "$set")

	large_counters
	b0=${LARGE_B[tcp-up]:-missing}
	got=$(large_tcp "$EFW_NS_CLIENT" "$ok" "$EFW_NS_SERVER" "$dst" "$data")
	large_counters
	b1=${LARGE_B[tcp-up]:-missing}
	c0=${LARGE_C[blocked-src]:-missing}
	tap_is "$tag: $LARGE_MB MB TCP upload arrives complete and byte-exact" "$got" "$sum"
	bytes=$((LARGE_MB * 1024 * 1024 * crossings))
	if [[ $b0 =~ ^[0-9]+$ && $b1 =~ ^[0-9]+$ ]] && ((b1 - b0 >= bytes)); then
		tap_ok "$tag: tcp-up counted all $LARGE_MB MB on each of its $crossings hook(s) ($((b1 - b0)) bytes)"
	else
		tap_fail "$tag: tcp-up counted all $LARGE_MB MB on each of its $crossings hook(s)" \
			"counted $b0 -> $b1 bytes, want at least $bytes more"
	fi
	if [[ ${EFW_TEST_FULL:-0} == 1 ]]; then
		got=$(large_tcp "$EFW_NS_SERVER" "$dst" "$EFW_NS_CLIENT" "$ok" "$data")
		tap_is "$tag: $LARGE_MB MB TCP download arrives complete and byte-exact" "$got" "$sum"
	fi

	s0=$(large_client_segs)
	got=$(large_tcp "$EFW_NS_CLIENT" "$bad" "$EFW_NS_SERVER" "$dst" "$data")
	s1=$(large_client_segs)
	large_counters
	c1=${LARGE_C[blocked-src]:-missing}
	tap_is "$tag: TCP from $bad delivers nothing; blocked-src counted each SYN sent" \
		"$got $((c1 - c0))" "empty $((s1 - s0))"

	large_sinks_start "$dst" || { tap_fail "$tag: UDP sinks"; return; }
	for malf in drop pass; do
		if [[ $malf == pass ]]; then
			efw_edgefw --instance "$EFW_INSTANCE" reload "$rules_pass" >/dev/null 2>&1 ||
				{ tap_fail "$tag: reload with malformed: pass"; continue; }
		fi
		large_counters
		c0=${LARGE_C[blocked-src]:-0} p0=${LARGE_C[blocked-port]:-0}
		LARGE_BLOCKED_WANT=0
		large_udp_round "$fam" "$ok" "$bad" "$dst"
		large_counters
		c1=${LARGE_C[blocked-src]:-0} p1=${LARGE_C[blocked-port]:-0}
		tap_is "$tag, malformed: $malf: ${LARGE_SIZES[*]}-byte datagrams from $bad and to port $LARGE_UDP_BLOCKED dropped, allowed ones arrive; counted: every fragment, every first fragment" \
			"${LARGE_ERRS:-ok} $((c1 - c0)) $((p1 - p0))" "ok $LARGE_FRAGS_BAD ${#LARGE_SIZES[@]}"
	done
	large_sinks_stop
}
