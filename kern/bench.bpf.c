// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Baselines for `make bench`: the cheapest XDP program there is, one that
 * runs edgefw's parser and nothing else, and a naive classifier (the
 * ablation: what the obvious design costs). edgefw's cost is reported as a
 * ratio to these, measured in the same run.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"
#include "edgefw.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bench_xdp_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

SEC("xdp")
int bench_parse_only(struct xdp_md *ctx)
{
	struct pkt_info pi = {};

	/* Use the parse so the compiler cannot drop it. */
	if (parse_packet(ctx, CURSOR_XDP, &pi) != PARSE_OK)
		return XDP_ABORTED;
	return (pi.sport ^ pi.dport ^ pi.saddr[3] ^ pi.daddr[3]) & 1 ? XDP_DROP : XDP_PASS;
}

/*
 * The end-to-end benchmark's floor (scripts/bench_e2e.sh): edgefw's parser
 * reads the headers up to L4, as edgefw does, and the packet is dropped
 * whatever they say. An empty XDP_DROP never reads the packet, so it leaves
 * out the cost of bringing the packet into the receiving CPU's cache,
 * which every filter pays. parse_sink is never equal to the folded header
 * fields' value in practice; comparing with it keeps the compiler from
 * dropping the parse.
 */
const volatile __u32 parse_sink = 0xffffffff;

SEC("xdp")
int bench_parse_drop(struct xdp_md *ctx)
{
	struct pkt_info pi = {};

	if (parse_packet(ctx, CURSOR_XDP, &pi) != PARSE_OK)
		return XDP_DROP;
	if ((pi.sport ^ pi.dport ^ pi.saddr[3] ^ pi.daddr[3] ^ pi.l4proto) == parse_sink)
		return XDP_PASS;
	return XDP_DROP;
}

/*
 * The naive classifier: one lookup per field, in the maps anyone would reach
 * for first. An LPM trie for source prefixes and one for destination
 * prefixes, each mapping a prefix to the lowest rule naming it, and a hash
 * on (protocol, destination port) mapping to the lowest rule naming that
 * service. The packet gets the action of the lowest rule any of the three
 * lookups found, else the default.
 *
 * It is exact for single-field rules (the blocklist) but not for rules that
 * combine fields: a rule matches when any one of its fields does. Correct
 * first-match semantics would need a combining step on top, so this is a
 * lower bound on what the per-field-lookup design costs. Both families share
 * each trie: the key's first byte is the family, so an IPv4 /24 is
 * prefixlen 8 + 24 over (4, a, b, c, ...).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 18);
	__type(key, struct naive_lpm_key);
	__type(value, __u32);
} naive_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, struct naive_lpm_key);
	__type(value, __u32);
} naive_dst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct naive_svc_key);
	__type(value, __u32);
} naive_svc SEC(".maps");

/* Rule id -> action (enum edgefw_action); the last entry is the default. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_MAX_RULES + 1);
	__type(key, __u32);
	__type(value, __u32);
} naive_action SEC(".maps");

static __always_inline __u32 naive_lpm(void *map, __u8 family, const __u8 *addr)
{
	struct naive_lpm_key k = { .family = family };
	__u32 *rule;

	k.prefixlen = 8 + (family == 4 ? 32 : 128);
	__builtin_memcpy(k.addr, addr, 16);
	rule = bpf_map_lookup_elem(map, &k);
	return rule ? *rule : NAIVE_NO_RULE;
}

SEC("xdp")
int bench_naive(struct xdp_md *ctx)
{
	struct naive_svc_key sk = {};
	struct pkt_info pi = {};
	__u32 best, rule, *r, *act;

	if (parse_packet(ctx, CURSOR_XDP, &pi) != PARSE_OK)
		return XDP_DROP;
	best = naive_lpm(&naive_src, pi.family, pi.saddr);
	rule = naive_lpm(&naive_dst, pi.family, pi.daddr);
	if (rule < best)
		best = rule;
	if (pi.dport != EDGEFW_NO_L4) {
		sk.dport = (__u16)pi.dport;
		sk.proto = pi.l4proto;
		r = bpf_map_lookup_elem(&naive_svc, &sk);
		if (r && *r < best)
			best = *r;
	}
	if (best > EDGEFW_MAX_RULES)
		best = EDGEFW_MAX_RULES;
	act = bpf_map_lookup_elem(&naive_action, &best);
	if (!act)
		return XDP_ABORTED;
	return *act == EDGEFW_ACT_PASS ? XDP_PASS : XDP_DROP;
}

/*
 * Every run a new flow (tests/bench/cycle.c): a test run repeats one
 * frame, so a flow run 50 times finds its lines and its branches warm, as
 * a received packet of a new flow does not. This wrapper writes the next
 * flow's headers into the frame (the 64 bytes after the Ethernet header,
 * enough for IPv6 and TCP) and tail-calls the program under test, so one
 * test run of cycle_n x k repetitions gives each flow k runs spread
 * across the cycle, each after every other flow's. Its own instructions
 * (a per-CPU counter, a 64-byte copy read in sequence, the tail call) are
 * the same for every program it calls, and are measured with the empty
 * one; its flow table's lines share the caches with the program's.
 * Two copies: a tail call's target must agree with the caller on whether
 * it takes multi-buffer frames (edgefw's XDP program does, the baselines
 * and xdp-filter's do not).
 */
#define CYCLE_HDR CYCLE_HDR_BYTES

struct cycle_flow {
	__u8 hdr[CYCLE_HDR];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CYCLE_FLOWS_MAX);
	__type(key, __u32);
	__type(value, struct cycle_flow);
} cycle_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cycle_pos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cycle_prog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cycle_prog_frags SEC(".maps");

/* Flows in the cycle, set by the benchmark before each run. */
__u32 cycle_n = 1;

static __always_inline int cycle_next(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct cycle_flow *f;
	__u32 zero = 0, i, *pos;

	pos = bpf_map_lookup_elem(&cycle_pos, &zero);
	if (!pos)
		return -1;
	i = *pos;
	*pos = i + 1 >= cycle_n ? 0 : i + 1;
	f = bpf_map_lookup_elem(&cycle_flows, &i);
	if (!f || data + ETH_HLEN + CYCLE_HDR > end)
		return -1;
	__builtin_memcpy(data + ETH_HLEN, f->hdr, CYCLE_HDR);
	return 0;
}

SEC("xdp")
int bench_cycle(struct xdp_md *ctx)
{
	if (!cycle_next(ctx))
		bpf_tail_call(ctx, &cycle_prog, 0);
	return XDP_ABORTED;
}

SEC("xdp.frags")
int bench_cycle_frags(struct xdp_md *ctx)
{
	if (!cycle_next(ctx))
		bpf_tail_call(ctx, &cycle_prog_frags, 0);
	return XDP_ABORTED;
}
