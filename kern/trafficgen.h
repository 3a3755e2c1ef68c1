/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The end-to-end benchmark generator's flow table (trafficgen.bpf.c),
 * shared with tests/bench/trafficgen.c that fills it. */
#ifndef EDGEFW_TRAFFICGEN_H
#define EDGEFW_TRAFFICGEN_H

#include <linux/types.h>

#define TRAFFICGEN_MAX_FLOWS 65536

/* Network byte order, as written into the frame. */
struct trafficgen_flow {
	__be32 src, dst;
	__be16 sport, dport;
	__u8 proto;
	__u8 pad[3];
};

_Static_assert(sizeof(struct trafficgen_flow) == 16, "trafficgen_flow layout");

#endif
