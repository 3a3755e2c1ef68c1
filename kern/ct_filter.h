/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The filter in front of the flow tables: a packet in neither table (a
 * flood's, a stray reply) costs one array slot instead of two hash
 * lookups, unless a flow that hashes to the same slot may still be live.
 *
 * Each slot holds two deadlines (kern/edgefw.h, EDGEFW_CT_FILTER_*), one
 * for the confirmed tables (ct_tbl, ct4_tbl) and one for the unconfirmed
 * ones: the time after which every flow of that kind hashing to the slot
 * has timed out. Whoever writes an entry raises its deadline to at least
 * that entry's last_seen plus its timeout, before the write: the datapath
 * when it records a flow, moves it to the confirmed table, or changes its
 * last_seen or state; userspace when it writes one (ef_ct_update). Slots
 * only ever go up (a compare-and-swap), so a racing writer cannot lower
 * another's deadline; a deadline that outlives its flow (confirmed,
 * evicted, flushed) costs a lookup until it passes, never a missed flow.
 * Nothing clears the filter: it ages by itself, with no daemon, and LRU
 * evictions need no bookkeeping.
 *
 * A deadline, not a bit or a count: bits set by short-lived flows would
 * fill the filter for good, and counts cannot follow the LRU's evictions.
 * The price is the clock on a packet whose deadline is not below the
 * last time its CPU read it (kern/conntrack.h, ct_deadline_live); a hit
 * reads the clock anyway.
 */
#ifndef EDGEFW_CT_FILTER_H
#define EDGEFW_CT_FILTER_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"

/* A flow key as its family's tables spell it. Aligned for the filter's
 * hash, which reads the key in 64-bit words. */
union ct_key {
	struct edgefw_ct_key v6;
	struct edgefw_ct4_key v4;
} __attribute__((aligned(8)));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgefw_ct_filter);
	__uint(map_flags, BPF_F_MMAPABLE);
} ct_filter SEC(".maps");

/* The slot of a key (16 bytes for IPv4, 40 for IPv6, 8-byte aligned, as
 * the table of its family spells it): edgefw.h's hash, which userspace
 * shares for ef_ct_update; one inlined array lookup with a constant key. */
static __always_inline struct edgefw_ct_deadlines *ct_filter_at(const void *key, bool v4)
{
	__u32 zero = 0, i = edgefw_ct_filter_slot(key, v4);
	struct edgefw_ct_filter *f = bpf_map_lookup_elem(&ct_filter, &zero);

	return f ? &f->slot[i & (EDGEFW_CT_FILTER_SLOTS - 1)] : NULL;
}

/* Raises the key's deadline for its confirmed or unconfirmed table so
 * that a flow seen at last_seen with a timeout of timeout_ns is looked up
 * until it expires. A global function: the verifier checks its
 * compare-and-swap loop once, not at each of its four call sites on every
 * path to them (a write of a flow is rare: a new flow, a move, a
 * last_seen at most once a second). */
__noinline int edgefw_ct_filter_raise(const union ct_key *key, __u32 v4, __u32 confirmed,
				      __u64 last_seen, __u64 timeout_ns)
{
	struct edgefw_ct_deadlines *slot;
	__u32 want, old, seen, *s;

	if (!key)
		return 0;
	slot = ct_filter_at(key, v4);
	if (!slot)
		return 0;
	s = confirmed ? &slot->conf : &slot->unconf;
	want = edgefw_ct_filter_deadline(last_seen, timeout_ns);
	old = *s;
	for (int n = 0; n < 4 && old < want; n++) {
		seen = __sync_val_compare_and_swap(s, old, want);
		if (seen == old)
			return 1;
		old = seen;
	}
	/* Lost four races in a row: the slot may stay in the way for good,
	 * which costs lookups, never a flow (a store of the maximum cannot
	 * lower anyone's deadline). */
	if (old < want)
		*s = 0xffffffffu;
	return 1;
}

#endif /* EDGEFW_CT_FILTER_H */
