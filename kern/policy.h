/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * decide(): a packet's fate in a form no hook owns (pass, drop, redirect),
 * from the parse, the active generation's policies, the connection
 * tracker, the rules (dynset.h's dyn_decide around classifier.h's
 * classify()) and the default action. The programs (edgefw.bpf.c) map it
 * to their hook's codes.
 */
#ifndef EDGEFW_POLICY_H
#define EDGEFW_POLICY_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "parse.h"
#include "maps.h"
#include "stats.h"
#include "classifier.h"
#include "conntrack.h"
/* Dynamic sets, rate limits and bans (issue 16). */
#include "dynset.h"

/* Verdicts in the hook-neutral form; each program maps them to its codes. */
enum fw_decision {
	FW_PASS,
	FW_DROP,
	FW_REDIRECT,
};

struct fw_result {
	enum fw_decision decision;
	__u32 ifindex; /* FW_REDIRECT */
};

static __always_inline __u32 parse_reason(int pr)
{
	switch (pr) {
	case PARSE_NON_IP:
		return EDGEFW_REASON_NON_IP;
	case PARSE_ND:
		return EDGEFW_REASON_ND;
	case PARSE_BAD_L2:
		return EDGEFW_REASON_MALFORMED_L2;
	case PARSE_BAD_EXT:
		return EDGEFW_REASON_MALFORMED_EXT;
	case PARSE_BAD_L4:
		return EDGEFW_REASON_MALFORMED_L4;
	case PARSE_EXT_OVERFLOW:
		return EDGEFW_REASON_EXT_OVERFLOW;
	case PARSE_ENCAP_OVERFLOW:
		return EDGEFW_REASON_ENCAP_OVERFLOW;
	case PARSE_READ_FAIL:
		return EDGEFW_REASON_READ_FAIL;
	default:
		return EDGEFW_REASON_MALFORMED_L3;
	}
}

static __always_inline __u8 parse_policy(const struct edgefw_gen_config *cfg, int pr)
{
	switch (pr) {
	case PARSE_NON_IP:
	case PARSE_ND:
		return cfg->non_ip_action;
	case PARSE_EXT_OVERFLOW:
		return cfg->ext_overflow_action;
	case PARSE_ENCAP_OVERFLOW:
		return cfg->encap_overflow_action;
	case PARSE_READ_FAIL:
		/* Headers the kernel could not copy: the stack itself drops a
		 * packet whose headers it cannot pull. */
		return EDGEFW_ACT_DROP;
	default:
		return cfg->malformed_action;
	}
}

/* Where a tag taken out of the frame (by the driver's rx VLAN offload, or
 * by the stack) can be read. */
enum ctx_vlan {
	CTX_VLAN_NONE,      /* plain XDP: nowhere */
	CTX_VLAN_XDP_KFUNC, /* device-bound XDP: the metadata kfunc */
	CTX_VLAN_SKB,       /* tc: skb->vlan_tci */
};

extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

static __always_inline __u32 stripped_vlan(void *ctx, enum ctx_vlan where)
{
	struct __sk_buff *skb = ctx;
	__be16 proto;
	__u16 tci;

	switch (where) {
	case CTX_VLAN_SKB:
		return skb->vlan_present ? (skb->vlan_tci & 0x0fff) : EDGEFW_UNTAGGED;
	case CTX_VLAN_XDP_KFUNC:
		if (bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci))
			return EDGEFW_UNTAGGED; /* none, or not supported */
		return tci & 0x0fff;
	default:
		return EDGEFW_UNTAGGED;
	}
}

/* The connection tracker's view of the packet, per CPU (part of it kept
 * across packets: struct ct_pkt), off the stack, which the calls need.
 * Only a ruleset that tracks looks it up, at each use: a pointer to it
 * kept across decide() would make the verifier walk the rest twice, with
 * and without it. The verdict and the dynamic outcome (16 bytes) are on
 * decide()'s stack: no lookup for them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_pkt);
} ct_scratch SEC(".maps");

static __always_inline struct ct_pkt *ct_view(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ct_scratch, &zero);
}

/* ctx is the hook's context (kind says which); *out_bytes is set to the
 * length counted for the frame. */
static __always_inline struct fw_result decide(void *ctx, enum cursor_kind kind, __u64 *out_bytes,
					       __u32 ifindex, __u32 hook, enum ctx_vlan where)
{
	struct fw_result res = { .decision = FW_PASS };
	struct edgefw_verdict verdict = {}, *v;
	struct dyn_outcome dyn = {};
	struct edgefw_gen_config *cfg;
	struct edgefw_state *st;
	struct pkt_info pi = {};
	__u32 gen;
	__u64 bytes;
	__u8 action, vflags = 0;
	bool found;
	int pr;

	pr = parse_packet(ctx, kind, &pi);
	/* Counters carry the whole frame. At XDP the parse asks for the
	 * length past the first buffer only when a header lies there, so a
	 * multi-buffer frame decided early (non-IP, an encapsulation beyond
	 * the walk, padding) would count only its first buffer. */
	bytes = kind == CURSOR_XDP ? (__u64)bpf_xdp_get_buff_len(ctx) : pi.len;
	*out_bytes = bytes;
	/* The switch and the generation's config: global data, no lookup. */
	st = &active_state;
	if (!st->act.loaded) {
		count(&reason_stats, EDGEFW_REASON_NO_RULESET, bytes);
		return res;
	}
	gen = st->act.gen & 1;
	cfg = &st->gen[gen].cfg;
	if (pr != PARSE_OK) {
		count(&reason_stats, parse_reason(pr), bytes);
		action = parse_policy(cfg, pr);
		goto untracked;
	}
	/* An offloaded outer tag is beside the frame, not in it; a tag in the
	 * frame is inner to it, so it is the one rules see. */
	if (pi.vlan == EDGEFW_UNTAGGED)
		pi.vlan = stripped_vlan(ctx, where);

	if (pi.frag == PKT_LATER_FRAG && cfg->frag_policy != EDGEFW_FRAGPOL_RULES) {
		count(&reason_stats, EDGEFW_REASON_FRAGMENT, bytes);
		action =
			cfg->frag_policy == EDGEFW_FRAGPOL_DROP ? EDGEFW_ACT_DROP : EDGEFW_ACT_PASS;
		goto untracked;
	}

	/* Connection tracking (#15, kern/conntrack.h): the packet's state,
	 * which `state:` rules match, before the rules. */
	if (cfg->ct_mode) {
		struct ct_pkt *ct = ct_view();

		/* What says whether the rest holds this packet's flow (the
		 * key is written whole when it is keyed), not the 56 bytes. */
		if (ct) {
			ct->keyed = 0;
			ct->now = 0;
		}
		pi.ct_state = (__u8)(kind == CURSOR_XDP ? edgefw_ct_classify_xdp(ctx, &pi, ct)
							: edgefw_ct_classify_skb(ctx, &pi, ct));
	}

	/* #15: a state the first rule takes whole needs no classifier. Its
	 * verdict is copied beside dyn_decide's, so the rest reads one place. */
	if ((cfg->ct_mode & EDGEFW_CT_MODE_FIRST(pi.ct_state)) &&
	    (cfg->ct_first_hooks & (1u << hook))) {
		v = rule_verdict(gen, 0);
		found = v != NULL;
		if (v)
			verdict = *v;
	} else if (!cfg->dyn) {
		/* A ruleset without conditions or bans (most) is classified
		 * in one round: the chain's call here (a lone IPv6 forest's
		 * beside it), without dyn_decide's rounds around it, which
		 * cost the 10-rule packet 6-7% of its time through XDP
		 * (kern/DESIGN.md, "One round, one call") and the IPv6
		 * 100k + 10k packet 0.6-2.7% (kern/DESIGN.md, "Four
		 * measurements not merged, and one change that was"). */
		found = edgefw_classify_conds(&pi, cfg, classify_first(&pi, cfg, gen, hook),
					      ifindex, &verdict) &
			1;
	} else {
		/* issue 16: the rules with dynamic sets and limits (kern/dynset.h) */
		found = dyn_decide(&pi, cfg, gen, ifindex, hook, bytes, &verdict, &dyn);
	}
	if (found) {
		vflags = verdict.flags;
		count_rule(verdict.counter_slot, bytes);
		if (verdict.flags & EDGEFW_VERDICT_F_LOG)
			log_packet(&pi, &verdict, &dyn, gen, bytes, ifindex, hook);
		if (verdict.action == EDGEFW_ACT_REDIRECT) {
			res.decision = FW_REDIRECT;
			res.ifindex = verdict.redirect_ifindex;
			return res;
		}
		action = verdict.action;
		goto policy;
	}

	action = hook < EDGEFW_HOOK_COUNT ? cfg->default_action[hook] : EDGEFW_ACT_PASS;
	/* One line: the hook's and the reason's counters are this row. */
	count(&default_stats, EDGEFW_DEFAULT_ROW(hook, action == EDGEFW_ACT_DROP), bytes);
policy:
	res.decision = action == EDGEFW_ACT_DROP ? FW_DROP : FW_PASS;
	/* Connection tracking (#15): record the new flow it passes. */
	if (res.decision == FW_PASS && pi.ct_state == EDGEFW_CT_NEW && cfg->ct_mode)
		edgefw_ct_create(ct_view(), ifindex, hook, pi.l4proto, vflags);
	return res;
untracked:
	/* Decided before the tracker saw the packet: no flow to record. */
	res.decision = action == EDGEFW_ACT_DROP ? FW_DROP : FW_PASS;
	return res;
}

#endif /* EDGEFW_POLICY_H */
