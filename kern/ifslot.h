/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which row of iface_stats a packet counts in, found at run time from the
 * interface it arrived on (or leaves by) and the hook, so that one loaded
 * and verified program serves every interface of an instance: attaching
 * to interface N+1 is a netlink call and a map update, not a load.
 *
 * One inlined array lookup finds nearly every attachment (the entry at
 * its index modulo EDGEFW_IFSLOT_DIRECT, checked against the index); one
 * whose entry another interface holds is in a small hash, looked up only
 * while the hash holds anything (its count is in entry 0). Interfaces
 * without an attachment of this instance (a test run, a program someone
 * else attached) count in the spare row EDGEFW_IFSLOT_SPARE.
 */
#ifndef EDGEFW_IFSLOT_H
#define EDGEFW_IFSLOT_H

#include "edgefw.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_IFSLOT_DIRECT *EDGEFW_HOOK_COUNT);
	__type(key, __u32);
	__type(value, struct edgefw_ifslot);
} ifslot_direct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGEFW_MAX_ATTACH);
	__type(key, struct edgefw_attach_key);
	__type(value, __u32);
} ifslot_hash SEC(".maps");

static __always_inline __u32 ifslot_of(__u32 ifindex, __u32 hook)
{
	__u32 idx = (ifindex % EDGEFW_IFSLOT_DIRECT) * EDGEFW_HOOK_COUNT + hook;
	struct edgefw_ifslot *e = bpf_map_lookup_elem(&ifslot_direct, &idx);
	struct edgefw_attach_key k;
	__u32 zero = 0, *v;

	if (e && e->ifindex == ifindex && e->slot < EDGEFW_MAX_ATTACH)
		return e->slot;
	e = bpf_map_lookup_elem(&ifslot_direct, &zero);
	if (!e || !e->slot)
		return EDGEFW_IFSLOT_SPARE;
	/* The key only here: the common path above writes no stack. */
	__builtin_memset(&k, 0, sizeof(k));
	k.ifindex = ifindex;
	k.hook = hook;
	v = bpf_map_lookup_elem(&ifslot_hash, &k);
	return v && *v < EDGEFW_MAX_ATTACH ? *v : EDGEFW_IFSLOT_SPARE;
}

#endif /* EDGEFW_IFSLOT_H */
