// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The end-to-end benchmark's traffic generator (tests/bench/trafficgen.c).
 * It runs under BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: the
 * kernel runs it once per frame of the template and transmits the frame out
 * of the template's interface when it returns XDP_TX. Rewriting the source
 * address here, per frame, is what lets one template spread over a whole
 * blocklist: a receiver matching linear rules then pays for the average
 * position in the list, not for the first rule.
 *
 * The template is an IPv4/UDP frame; the source is
 *   src_base + (n % n_prefixes) * prefix_step + 1 + (n / n_prefixes) % hosts
 * where n counts frames, so consecutive frames walk the prefixes and every
 * host part stays inside its prefix (never the network address).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load (the skeleton's rodata). */
const volatile __u32 src_base;	  /* host byte order */
const volatile __u32 n_prefixes = 1;
const volatile __u32 prefix_step = 256;
const volatile __u32 hosts = 254; /* host parts used per prefix, >= 1 */

/* Frames generated so far. The generator runs on one CPU at a time (the
 * test run pins itself for its duration), so a plain counter is exact. */
__u64 frames;

SEC("xdp")
int trafficgen_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u64 n = frames++;
	__u32 src, sum = 0;
	__u16 *w;

	if ((void *)(ip + 1) > data_end)
		return XDP_ABORTED;
	src = src_base + (__u32)(n % n_prefixes) * prefix_step + 1 +
	      (__u32)((n / n_prefixes) % hosts);
	ip->saddr = bpf_htonl(src);
	/* The receiving stack verifies the IPv4 header checksum before
	 * netfilter sees the packet, so recompute it (20 bytes, no options in
	 * the template). UDP's is 0 in the template: "none" for IPv4. */
	ip->check = 0;
	w = (__u16 *)ip;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__u16)~sum;
	return XDP_TX;
}
