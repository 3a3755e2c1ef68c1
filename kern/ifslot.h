/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which row of iface_stats a packet counts in, found at run time from the
 * interface it arrived on (or leaves by) and the hook, so that one loaded
 * and verified program serves every interface of an instance: attaching
 * to interface N+1 is a netlink call and a map update, not a load.
 *
 * Interface indexes below EDGEFW_IFSLOT_DIRECT (nearly all: the kernel
 * numbers a namespace's interfaces from 1 up) are looked up in an array
 * (an inlined lookup, ~1.5 ns); larger ones in a small hash (~20 ns).
 * Values are slot + 1; 0 or no entry: no attachment of this instance
 * (a test run, a program someone else attached), counted in the spare row
 * EDGEFW_IFSLOT_SPARE.
 */
#ifndef EDGEFW_IFSLOT_H
#define EDGEFW_IFSLOT_H

#include "edgefw.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_IFSLOT_DIRECT * EDGEFW_HOOK_COUNT);
	__type(key, __u32);
	__type(value, __u32);
} ifslot_direct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGEFW_MAX_ATTACH);
	__type(key, struct edgefw_attach_key);
	__type(value, __u32);
} ifslot_hash SEC(".maps");

static __always_inline __u32 ifslot_of(__u32 ifindex, __u32 hook)
{
	__u32 *v;

	if (ifindex < EDGEFW_IFSLOT_DIRECT) {
		__u32 idx = ifindex * EDGEFW_HOOK_COUNT + hook;

		v = bpf_map_lookup_elem(&ifslot_direct, &idx);
	} else {
		struct edgefw_attach_key k = { .ifindex = ifindex, .hook = hook };

		v = bpf_map_lookup_elem(&ifslot_hash, &k);
	}
	if (!v || !*v || *v > EDGEFW_MAX_ATTACH)
		return EDGEFW_IFSLOT_SPARE;
	return *v - 1;
}

#endif /* EDGEFW_IFSLOT_H */
