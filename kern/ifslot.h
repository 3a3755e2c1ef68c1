/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which row of iface_stats a packet counts in, found at run time from the
 * interface it arrived on (or leaves by) and the hook, so that one loaded
 * and verified program serves every interface of an instance: attaching
 * to interface N+1 is a netlink call and a store, not a load.
 *
 * The direct table is global data (.bss: its address is a constant, no
 * lookup): one 8-byte load at the index modulo EDGEFW_IFSLOT_DIRECT,
 * checked against the index, finds nearly every attachment. One whose
 * entry another interface holds is in a small hash, looked up only while
 * the hash holds anything (its count is in entry 0). Interfaces without
 * an attachment of this instance (a test run, a program someone else
 * attached) count in the spare row EDGEFW_IFSLOT_SPARE.
 *
 * Userspace (user/loader/iface_slots.c) writes an entry with one 8-byte
 * store through the map's shared mapping, and the datapath reads it with
 * one 8-byte load: a packet sees an entry whole (its interface with its
 * slot), never one interface's index beside another's slot.
 */
#ifndef EDGEFW_IFSLOT_H
#define EDGEFW_IFSLOT_H

#include "edgefw.h"

/* In .bss, the instance's data_bss pin (kern/maps.h): zero until userspace
 * publishes an attachment. */
struct edgefw_ifslot edgefw_ifslots[EDGEFW_IFSLOT_ENTRIES] SEC(".bss") __attribute__((aligned(8)));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGEFW_MAX_ATTACH);
	__type(key, struct edgefw_attach_key);
	__type(value, __u32);
} ifslot_hash SEC(".maps");

/* The entry as one load: two 4-byte loads could straddle a store. */
static __always_inline struct edgefw_ifslot ifslot_load(__u32 idx)
{
	union edgefw_ifslot_word w;

	w.word = *(volatile __u64 *)&edgefw_ifslots[idx];
	return w.e;
}

static __always_inline __u32 ifslot_of(__u32 ifindex, __u32 hook)
{
	__u32 idx = (ifindex % EDGEFW_IFSLOT_DIRECT) * EDGEFW_HOOK_COUNT + hook;
	struct edgefw_attach_key k;
	struct edgefw_ifslot e;
	__u32 *v;

	/* hook < EDGEFW_HOOK_COUNT: only the verifier needs the check. */
	if (idx >= EDGEFW_IFSLOT_ENTRIES)
		return EDGEFW_IFSLOT_SPARE;
	e = ifslot_load(idx);
	if (e.ifindex == ifindex && e.slot < EDGEFW_MAX_ATTACH)
		return e.slot;
	if (!*(volatile __u32 *)&edgefw_ifslots[0].slot)
		return EDGEFW_IFSLOT_SPARE;
	/* The key only here: the common path above writes no stack. */
	__builtin_memset(&k, 0, sizeof(k));
	k.ifindex = ifindex;
	k.hook = hook;
	v = bpf_map_lookup_elem(&ifslot_hash, &k);
	return v && *v < EDGEFW_MAX_ATTACH ? *v : EDGEFW_IFSLOT_SPARE;
}

#endif /* EDGEFW_IFSLOT_H */
