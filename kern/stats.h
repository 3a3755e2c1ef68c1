/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Counters and the drop log: count() adds a packet to a per-CPU counter
 * (per rule, per reason, per attachment and decision), log_packet() sends
 * one event of a logged rule to the ring, rate-limited per rule.
 */
#ifndef EDGEFW_STATS_H
#define EDGEFW_STATS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "parse.h"
#include "maps.h"
#include "ifslot.h" /* issue 22: the attachment's slot at run time */

static __always_inline void count(void *map, __u32 idx, __u64 bytes)
{
	struct edgefw_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* A rule's verdict, in this CPU's row of rule_stats (maps.h): one line.
 * bpf_get_smp_processor_id() is inlined by the verifier (x86-64, arm64,
 * riscv64). */
static __always_inline void count_rule(__u32 slot, __u64 bytes)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct edgefw_counter *row = bpf_map_lookup_elem(&rule_stats, &cpu);

	if (row && slot < rule_rows) {
		row[slot].packets++;
		row[slot].bytes += bytes;
	}
}

/* Once per packet, with the decision the program finally returns, in the
 * row of the attachment (ifindex, hook): see kern/ifslot.h. */
static __always_inline void count_iface(__u32 ifindex, __u32 hook, __u32 action, __u64 bytes)
{
	count(&iface_stats, ifslot_of(ifindex, hook) * EDGEFW_ACT_COUNT + action, bytes);
}

#define NSEC_PER_SEC 1000000000ull

/* What the dynamic state did to the packet (kern/dynset.h), for the drop
 * log. */
struct dyn_outcome {
	__u16 over_slot; /* the first rule whose limit it was over */
	__u8 conds;      /* the condition vector of the deciding round */
	__u8 over;       /* 1: over_slot is set */
};

/* One event for a logged rule, unless its rule already sent log_config.rate
 * this second. Two CPUs may both start a new window at its edge; that lets
 * at most a few events more through, never a flood. */
static __always_inline void log_packet(const struct pkt_info *pi, const struct edgefw_verdict *v,
				       const struct dyn_outcome *dyn, __u32 gen, __u64 bytes,
				       __u32 ifindex, __u32 hook)
{
	struct edgefw_log_config *lc;
	struct edgefw_log_state *st;
	struct edgefw_log_event *e;
	__u32 zero = 0, slot = v->counter_slot;
	__u64 now;

	lc = bpf_map_lookup_elem(&log_config, &zero);
	if (!lc || !lc->rate)
		return;
	st = bpf_map_lookup_elem(&log_state, &slot);
	if (!st)
		return;
	now = bpf_ktime_get_ns();
	if (now - st->window_start >= NSEC_PER_SEC) {
		st->window_start = now;
		st->sent = 0;
	}
	if (__sync_fetch_and_add(&st->sent, 1) >= lc->rate) {
		__sync_fetch_and_add(&st->suppressed, 1);
		return;
	}
	e = bpf_ringbuf_reserve(&log_ring, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&st->suppressed, 1);
		return;
	}
	e->ktime_ns = now;
	e->rule_slot = slot;
	e->ifindex = ifindex;
	e->pkt_len = (__u32)bytes;
	e->vlan = pi->vlan;
	e->sport = pi->sport;
	e->dport = pi->dport;
	e->hook = (__u8)hook;
	e->action = v->action;
	e->family = pi->family;
	e->l4proto = pi->l4proto;
	e->frag = pi->frag;
	e->gen = (__u8)gen;
	e->conds = dyn->conds;
	e->dyn_flags = dyn->over ? EDGEFW_LOG_F_OVER : 0;
	e->over_slot = dyn->over_slot;
	e->ban = v->ban;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memcpy(e->saddr, pi->saddr, 16);
	__builtin_memcpy(e->daddr, pi->daddr, 16);
	bpf_ringbuf_submit(e, 0);
}

#endif /* EDGEFW_STATS_H */
