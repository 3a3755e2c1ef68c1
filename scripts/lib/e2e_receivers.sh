# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Variables here are used by scripts/bench_e2e.sh, which sources this file:
# shellcheck disable=SC2034
#
# The end-to-end benchmark's receivers: how each is set up on the receiving
# veth, taken down, and how many packets it dropped. Sourced by
# scripts/bench_e2e.sh after scripts/lib/topology.sh, with RX_NS, RX_IF,
# E2EPREP, EFW_INSTANCE and SC_* (the scenario's files) set.
#
# Every XDP receiver is attached in native mode straight through netlink
# (edgefw does the same on this kernel, where libxdp's dispatcher does not
# load), except xdp-filter, which its own tool loads.

# XDP receivers count what they drop against what XDP saw, both from one
# ethtool call; nftables against what arrived.
xdp_drops() {
	in_ns "$RX_NS" ethtool -S "$RX_IF" |
		awk '/xdp_drops:/ { d += $2 } /xdp_packets:/ { p += $2 } END { print d + 0, p + 0 }'
}
nft_dropped() {
	local d
	d=$(in_ns "$RX_NS" nft -j list counter netdev e2e dropped |
		jq '[.nftables[] | select(.counter) | .counter.packets] | add')
	echo "$d $(awk -v i="$RX_IF:" '$1 == i { print $3 }' "/proc/$RX_SLEEPER/net/dev")"
}
# The id of the XDP program attached to the receiving veth, or nothing.
xdp_prog_id() {
	in_ns "$RX_NS" ip -j link show dev "$RX_IF" | jq -r '.[0].xdp.prog.id // empty'
}
xdp_off() { in_ns "$RX_NS" ip link set dev "$RX_IF" xdp off; }

setup_bench_prog() { efw_try in_ns "$RX_NS" "$E2EPREP" attach --dev "$RX_IF" --prog "$1" >/dev/null; }
setup_xdp_drop() { setup_bench_prog bench_xdp_drop; }
setup_parse_drop() { setup_bench_prog bench_parse_drop; }
setup_naive() {
	local partial=()
	[[ $SC_KIND == classbench ]] && partial=(--partial)
	efw_try in_ns "$RX_NS" "$E2EPREP" attach --dev "$RX_IF" --prog bench_naive \
		--rules "$SC_YAML" "${partial[@]}" >/dev/null
}
setup_edgefw_xdp() {
	efw_try efw_edgefw --instance "$EFW_INSTANCE" attach "$RX_IF" --rules "$SC_YAML" \
		--hook xdp --mode native >/dev/null
}
teardown_edgefw() { efw_try efw_edgefw --instance "$EFW_INSTANCE" detach "$RX_IF" >/dev/null; }
# xdp-filter pins its maps under /sys/fs/bpf/xdp-filter, one set per host
# (the micro benchmark's, another run's): load and fill it in a private
# mount namespace with a bpffs of its own. Its pins go with that namespace;
# the program stays attached until `xdp off`.
setup_xdp_filter() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	efw_try unshare -m --propagation private sh -c '
		mount -t bpf -o mode=0700 bpf /sys/fs/bpf &&
		nsenter --net="/run/netns/$1" -- xdp-filter load -m native "$2" &&
		"$3" xdpfilter --flows "$4"' sh "$RX_NS" "$RX_IF" "$E2EPREP" "$SC_FLOWS" >/dev/null
}
setup_nft_set() { efw_try in_ns "$RX_NS" nft -f "$SC_NFT"; }
teardown_nft() { efw_try in_ns "$RX_NS" nft delete table netdev e2e; }

# NAME|LABEL|NEEDS|SETUP|TEARDOWN|COUNTER|XDP (1: an XDP receiver, whose
# capacity sets the fixed rate). In this order in every repetition.
E2E_RECEIVERS=(
	"xdp_drop|empty XDP_DROP (reference)|ip|setup_xdp_drop|xdp_off|xdp_drops|1"
	"parse_drop|parse-only drop (the floor)|ip|setup_parse_drop|xdp_off|xdp_drops|1"
	"edgefw_xdp|edgefw XDP native|ip|setup_edgefw_xdp|teardown_edgefw|xdp_drops|1"
	"naive|naive classifier (per-field LPM + hash)|ip|setup_naive|xdp_off|xdp_drops|1"
	"xdp_filter|xdp-filter (exact sources)|xdp-filter|setup_xdp_filter|xdp_off|xdp_drops|1"
	"nft_set|nftables netdev ingress, set|nft|setup_nft_set|teardown_nft|nft_dropped|0"
)

# An nftables table dropping the sources of $1 (one prefix a line) through
# an interval set, counting what it drops.
e2e_nft_table() {
	echo "table netdev e2e {"
	echo "  counter dropped {}"
	echo "  set blocklist { type ipv4_addr; flags interval; elements = {"
	sed 's/$/,/' "$1"
	echo "  } }"
	echo "  chain ingress {"
	echo "    type filter hook ingress device \"$RX_IF\" priority 0; policy accept;"
	echo "    ip saddr @blocklist counter name dropped drop"
	echo "  }"
	echo "}"
}
