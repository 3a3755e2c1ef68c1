/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The filter in front of the unconfirmed tables (ct_new_tbl, ct4_new_tbl):
 * a packet in neither table costs the confirmed table's lookup and one
 * array slot instead of a second hash lookup, unless an unconfirmed flow
 * that hashes to the same slot may still be live.
 *
 * Each slot holds a deadline (kern/edgefw.h, EDGEFW_CT_FILTER_*): the time
 * after which every unconfirmed flow hashing to it has timed out. Whoever
 * writes an unconfirmed entry raises its slot to at least that entry's
 * last_seen plus its timeout: the datapath when it records a flow and
 * after it advances one, userspace when it writes one (ef_ct_update).
 * Slots only ever go up (a compare-and-swap), so a racing writer cannot
 * lower another's deadline; a deadline that outlives its flow (the flow
 * confirmed, evicted, flushed) costs a lookup until it passes, never a
 * missed flow. Nothing clears the filter: it ages by itself, with no
 * daemon, and LRU evictions need no bookkeeping.
 *
 * A deadline, not a bit or a count: bits set by short-lived flows would
 * fill the filter for good, and counts cannot follow the LRU's evictions.
 * The price is the clock on a miss whose slot holds a deadline not below
 * the last time the CPU read (kern/conntrack.h, ct_new_may_hold).
 */
#ifndef EDGEFW_CT_FILTER_H
#define EDGEFW_CT_FILTER_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgefw_ct_filter);
	__uint(map_flags, BPF_F_MMAPABLE);
} ct_new_filter SEC(".maps");

/* The slot for a key's hash i (one inlined array lookup, constant key). */
static __always_inline __u32 *ct_filter_at(__u32 i)
{
	__u32 zero = 0;
	struct edgefw_ct_filter *f = bpf_map_lookup_elem(&ct_new_filter, &zero);

	return f ? &f->slot[i & (EDGEFW_CT_FILTER_SLOTS - 1)] : NULL;
}

/* The slot of a key, as the table of its family spells it (16 bytes for
 * IPv4, 40 for IPv6, 8-byte aligned): edgefw.h's hash, which userspace
 * shares for ef_ct_update. */
static __always_inline __u32 ct_filter_slot(const void *key, bool v4)
{
	return edgefw_ct_filter_slot(key, v4);
}

/* Raises the key's slot so that an unconfirmed flow seen at now with a
 * timeout of timeout_ns is looked up until it expires. */
static __always_inline void ct_filter_raise(const void *key, bool v4, __u64 now, __u64 timeout_ns)
{
	__u32 *s = ct_filter_at(ct_filter_slot(key, v4));
	__u32 want, old, seen;

	if (!s)
		return;
	want = edgefw_ct_filter_deadline(now, timeout_ns);
	old = *s;
	for (int n = 0; n < 4 && old < want; n++) {
		seen = __sync_val_compare_and_swap(s, old, want);
		if (seen == old)
			return;
		old = seen;
	}
	/* Lost four races in a row: the slot may stay in the way for good,
	 * which costs lookups, never a flow (a store of the maximum cannot
	 * lower anyone's deadline). */
	if (old < want)
		*s = 0xffffffffu;
}

#endif /* EDGEFW_CT_FILTER_H */
