/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Map keys of the naive classifier in bench.bpf.c, shared with the
 * benchmark that fills its maps. */
#ifndef EDGEFW_BENCH_H
#define EDGEFW_BENCH_H

#include <linux/types.h>

/* One trie per field holds both families: the first key byte is the family
 * (4 or 6), so prefixlen is 8 + the prefix's length. */
struct naive_lpm_key {
	__u32 prefixlen;
	__u8 family;
	__u8 addr[16];
};

struct naive_svc_key {
	__u16 dport; /* host order */
	__u8 proto;
	__u8 pad;
};

#define NAIVE_NO_RULE 0xffffffffu

/* Flows the cycling wrapper (bench.bpf.c, bench_cycle) holds. */
#define CYCLE_FLOWS_MAX 4096
#define CYCLE_HDR_BYTES 64

#endif
