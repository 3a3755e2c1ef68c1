// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The edgefw datapath: one XDP program and two tc programs sharing the
 * parser and the classifier. A packet's route, whatever the hook:
 *
 *   decide()                policy.h       the whole route below, hook-neutral
 *     parse_packet()        parse.h        headers up to L4 into pkt_info
 *     (policies)            policy.h       no ruleset, bad headers, fragments
 *     edgefw_ct_classify_*  conntrack.h    the connection state
 *     dyn_decide()          dynset.h       dynamic sets and limits: rounds
 *                                          of the two below (a ruleset
 *                                          without them: one round, called
 *                                          by decide() itself)
 *       classify_first()    dynset.h       the first round's argument:
 *         tree_forest6()    tree_forest6.h an IPv6 lone forest, its own call
 *                                          (inside the next, the frames
 *                                          would pass 512 bytes)
 *       edgefw_classify_conds dynset.h     one call per round:
 *         tree_lowest()     classifier.h,  the decision trees, inlined here,
 *                           tree_walk.h    walked in the first round only
 *                                          (later rounds get their rule)
 *         classify()        classifier.h   the chain (one class per field,
 *                                          combined field by field); the
 *                                          lower of its rule and the trees'
 *     count(), log_packet() stats.h        counters, the drop log
 *     edgefw_ct_create()    conntrack.h    a new flow the verdict passes
 *   xdp_run() / tc_run()    here           the hook's codes, per-attachment
 *                                          counters, redirects
 *
 * Classification never loops over rules; the number of lookups depends on
 * the fields the ruleset uses, not on its rules (kern/DESIGN.md). The maps
 * are in maps.h; the compiler (user/compiler) computes every table.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "maps.h"
#include "stats.h"
#include "policy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The XDP program's verdict in XDP's codes, counted per attachment. */
static __always_inline int xdp_run(struct xdp_md *ctx, bool vlan_kfunc)
{
	struct fw_result r;
	__u64 bytes;
	long ret;

	r = decide(ctx, CURSOR_XDP, &bytes, ctx->ingress_ifindex, EDGEFW_HOOK_XDP,
		   vlan_kfunc ? CTX_VLAN_XDP_KFUNC : CTX_VLAN_NONE);
	switch (r.decision) {
	case FW_DROP:
		count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_DROP, bytes);
		return XDP_DROP;
	case FW_REDIRECT:
		/* On a missing target, drop: a redirect rule promises the packet
		 * does not continue up this host's stack. */
		ret = bpf_redirect_map(&tx_ports, r.ifindex, XDP_ABORTED);
		if (ret != XDP_REDIRECT) {
			count(&reason_stats, EDGEFW_REASON_REDIRECT_FAIL, bytes);
			count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_DROP, bytes);
			return XDP_DROP;
		}
		count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_REDIRECT, bytes);
		return XDP_REDIRECT;
	default:
		count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_PASS, bytes);
		return XDP_PASS;
	}
}

/* Frags-aware: a multi-buffer frame (jumbo MTU on veth, say) is parsed
 * whole, its length from bpf_xdp_get_buff_len(). */
SEC("xdp.frags")
int edgefw_xdp(struct xdp_md *ctx)
{
	return xdp_run(ctx, false);
}

/* The same, reading a tag the driver stripped through the XDP metadata
 * kfunc. A program calling it must be bound to one device, so it is loaded
 * only on request (the loader's choice, per interface). */
SEC("?xdp.frags")
int edgefw_xdp_vlan(struct xdp_md *ctx)
{
	return xdp_run(ctx, true);
}

/* tc: the skb may be non-linear (GRO/GSO super-packets, jumbo frames): the
 * parser copies what lies past the linear part, nothing is pulled. */
static __always_inline int tc_run(struct __sk_buff *skb, __u32 hook)
{
	struct fw_result r;
	__u64 bytes;
	long ret;

	r = decide(skb, CURSOR_SKB, &bytes, skb->ifindex, hook, CTX_VLAN_SKB);
	switch (r.decision) {
	case FW_DROP:
		count_iface(skb->ifindex, hook, EDGEFW_ACT_DROP, bytes);
		return TC_ACT_SHOT;
	case FW_REDIRECT:
		ret = bpf_redirect(r.ifindex, 0);
		if (ret != TC_ACT_REDIRECT) {
			count(&reason_stats, EDGEFW_REASON_REDIRECT_FAIL, bytes);
			count_iface(skb->ifindex, hook, EDGEFW_ACT_DROP, bytes);
			return TC_ACT_SHOT;
		}
		count_iface(skb->ifindex, hook, EDGEFW_ACT_REDIRECT, bytes);
		return TC_ACT_REDIRECT;
	default:
		count_iface(skb->ifindex, hook, EDGEFW_ACT_PASS, bytes);
		/* Not OK: let other tc filters after ours run. */
		return TC_ACT_UNSPEC;
	}
}

SEC("tc")
int edgefw_tc_ingress(struct __sk_buff *skb)
{
	return tc_run(skb, EDGEFW_HOOK_TC_INGRESS);
}

SEC("tc")
int edgefw_tc_egress(struct __sk_buff *skb)
{
	return tc_run(skb, EDGEFW_HOOK_TC_EGRESS);
}
