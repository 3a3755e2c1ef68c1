// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Baselines for `make bench`: the cheapest XDP program there is, and one
 * that runs edgefw's parser and nothing else. edgefw's cost is reported as a
 * ratio to these, measured in the same run.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bench_xdp_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

SEC("xdp")
int bench_parse_only(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pkt_info pi = {};

	/* Use the parse so the compiler cannot drop it. */
	if (parse_packet(data, data_end, &pi) != PARSE_OK)
		return XDP_ABORTED;
	return (pi.sport ^ pi.dport ^ pi.saddr[3] ^ pi.daddr[3]) & 1 ?
		       XDP_DROP : XDP_PASS;
}
