#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Other tools' tc filters beside edgefw's (attached through libbpf's
# bpf_tc_*): filters before ours (pref 1), after ours (pref 49152) and on
# the other direction stay exactly as they were through attach, reloads and
# detach, and edgefw still filters between them. A foreign filter at
# edgefw's pref with another protocol makes attach fail with the kernel's
# extended-ack message in edgefw's error, and stays untouched.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"

efw_test_prereqs
command -v tc >/dev/null || tap_bail "tc installed" "missing: tc (iproute2)"

PINGS=3
C=$EFW_NS_CLIENT
E=$EFW_NS_EDGE
INST=$EFW_INSTANCE
IN=$EFW_IF_EDGE_IN
OUT=$EFW_IF_EDGE_OUT
EFW_INSTANCES+=("$INST-x")

RULES_A=$EFW_TMP/a.yaml
RULES_B=$EFW_TMP/b.yaml
printf 'version: 1\nrules:\n  - name: drop-bad-in\n    src: 10.200.1.64/28\n    hooks: tc-ingress\n    action: drop\n' >"$RULES_A"
printf 'version: 1\nrules:\n  - name: drop-other\n    src: 10.200.1.128/28\n    hooks: tc-ingress\n    action: drop\n' >"$RULES_B"

if ! out=$(efw_topology_up 2>&1); then
	tap_bail "topology client -> edge -> server" "$out"
fi
tap_ok "topology client -> edge -> server ($EFW_ID)"

ping_count() { send_ping "$C" "$1" "$2" "$PINGS" || echo error; }
# The filters on both directions of IF that are not edgefw's (pref 3807).
foreign() {
	local dir
	for dir in ingress egress; do
		echo "$dir:"
		in_ns "$E" tc filter show dev "$1" "$dir" | grep -v 'pref 3807 ' || true
	done
}
# grep reads everything (no -q): an early exit would SIGPIPE tc under pipefail.
# shellcheck disable=SC2317 # called through tap_check
ours_present() { in_ns "$E" tc filter show dev "$IN" ingress | grep 'pref 3807 bpf .*handle 0xedf edgefw_tc_ingre' >/dev/null; }

# Classic BPF "ret #0" classifies nothing: packets go on to the next filter.
tap_check "foreign filters on $IN: ingress pref 1 and 49152, egress pref 7" eval "
	in_ns $E tc qdisc add dev $IN clsact &&
	in_ns $E tc filter add dev $IN ingress pref 1 bpf bytecode '1,6 0 0 0' &&
	in_ns $E tc filter add dev $IN ingress pref 49152 bpf bytecode '1,6 0 0 0' &&
	in_ns $E tc filter add dev $IN egress pref 7 bpf bytecode '1,6 0 0 0'"
before=$(foreign "$IN")
tap_is "the snapshot holds the three foreign filters" "$(grep -c 'handle 0x1 ' <<<"$before")" 3

# --- The kernel's message reaches the user: a filter at edgefw's pref with
# another protocol (ip, not all) on $OUT ingress.
tap_check "a foreign 'protocol ip pref 3807' filter on $OUT ingress" eval "
	in_ns $E tc qdisc add dev $OUT clsact &&
	in_ns $E tc filter add dev $OUT ingress protocol ip pref 3807 bpf bytecode '1,6 0 0 0'"
rc=0
out=$(efw_edgefw --instance "$INST-x" attach "$OUT" --rules "$RULES_A" --hook tc-ingress 2>&1) || rc=$?
tap_is "attach over it exits 2" "$rc" 2
tap_check "the error names the hook and carries the kernel's extended ack" \
	grep -q "cannot add edgefw's tc filter (pref 3807, handle 0xedf) on $OUT ingress: Invalid argument: Protocol mismatch for filter with specified priority" <<<"$out"
tap_check "libbpf's own warning is not printed on top" eval "! grep -q '^libbpf:' <<<\"\$out\""
tap_check "the foreign filter at pref 3807 on $OUT is untouched" \
	eval "in_ns $E tc filter show dev $OUT ingress | grep 'protocol ip pref 3807 bpf .*bytecode' >/dev/null"
tap_check "the failed attach left no pins" test ! -e "$EFW_PIN_ROOT/$INST-x"

# --- Attach, reloads and detach between the foreign filters.
tap_check "attach $IN --hook tc-ingress" \
	efw_edgefw --instance "$INST" attach "$IN" --rules "$RULES_A" --hook tc-ingress
tap_bail_if_failed "cannot attach to tc"
tap_check "edgefw's filter is on $IN ingress" ours_present
tap_is "after attach, the foreign filters are as they were" "$(foreign "$IN")" "$before"
tap_is "edgefw drops between them: $EFW_CLIENT4_BAD -> $EFW_SERVER4" \
	"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0
tap_is "and passes $EFW_CLIENT4 -> $EFW_SERVER4 on" "$(ping_count "$EFW_CLIENT4" "$EFW_SERVER4")" "$PINGS"
for f in "$RULES_B" "$RULES_A"; do
	tap_check "reload $(basename "$f")" efw_edgefw --instance "$INST" reload "$f"
	tap_is "after reload $(basename "$f"), the foreign filters are as they were" "$(foreign "$IN")" "$before"
	tap_check "after reload $(basename "$f"), edgefw's filter is on $IN ingress" ours_present
done
tap_is "after the reloads, $EFW_CLIENT4_BAD is dropped again" \
	"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" 0
tap_check "detach $IN" efw_edgefw --instance "$INST" detach "$IN"
tap_check "edgefw's filter is gone" eval "! ours_present"
tap_is "after detach, the foreign filters are as they were" "$(foreign "$IN")" "$before"
tap_is "after detach, $EFW_CLIENT4_BAD reaches $EFW_SERVER4" \
	"$(ping_count "$EFW_CLIENT4_BAD" "$EFW_SERVER4")" "$PINGS"

tap_done
