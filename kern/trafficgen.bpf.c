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
 *
 * With flows (n_flows > 0), frame n is flow n % n_flows instead: its
 * addresses, protocol and ports, with a TCP header (SYN) for TCP and a UDP
 * header otherwise, for rulesets that look at more than the source.
 *
 * Paced (pace_ps > 0, trafficgen --pps): bursts of pace_burst frames
 * back to back, one burst per pace_burst * pace_ps picoseconds on an
 * absolute schedule (a NAPI poll then takes a few frames, as it would
 * from a NIC that coalesces interrupts, not one wakeup per frame); a run
 * outside a burst drops its frame here, on the generator's CPU, so
 * nothing reaches the receiver. The pacing is in the program, not between
 * calls, because each live-frames call sets up and tears down a page
 * pool: a call per burst capped the rate at about 190 kpps on a machine
 * where a call cost 330 us.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "trafficgen.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load (the skeleton's rodata). */
const volatile __u32 src_base; /* host byte order */
const volatile __u32 n_prefixes = 1;
const volatile __u32 prefix_step = 256;
const volatile __u32 hosts = 254; /* host parts used per prefix, >= 1 */

const volatile __u32 n_flows; /* 0: sources from the prefixes */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRAFFICGEN_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct trafficgen_flow);
} flows SEC(".maps");

const volatile __u64 pace_ps; /* 0: as fast as the kernel runs us */
const volatile __u32 pace_burst = 1;

/* Frames generated so far. The generator runs on one CPU at a time (the
 * test run pins itself for its duration), so plain counters are exact. */
__u64 frames;
/* Paced: the first run's clock, when the next burst is due in
 * picoseconds past it (a u64 of them lasts 213 days), and the frames of
 * the current burst still to send. */
__u64 t0_ns, due_ps;
__u32 burst_left;

/* Whether this run's frame is to be sent (always, unpaced). A schedule
 * behind by more than two bursts starts again from now rather than
 * catching up at once: the gap between two calls, when no run happens,
 * would otherwise come out as a flood that overflows the receiver's ring,
 * which the paced mode exists to avoid. */
static __always_inline int frame_due(void)
{
	__u64 now, period = pace_burst * pace_ps;

	if (!pace_ps)
		return 1;
	if (burst_left) {
		burst_left--;
		return 1;
	}
	now = bpf_ktime_get_ns();
	if (!t0_ns)
		t0_ns = now;
	now = (now - t0_ns) * 1000;
	if (now < due_ps)
		return 0;
	if (now - due_ps > 2 * period)
		due_ps = now;
	due_ps += period;
	burst_left = pace_burst - 1;
	return 1;
}

/* Addresses, protocol and an L4 header of flow k; the frame (60 bytes)
 * has room for a TCP header. */
static __always_inline int write_flow(struct iphdr *ip, void *data_end, __u32 k)
{
	struct trafficgen_flow *f = bpf_map_lookup_elem(&flows, &k);
	struct tcphdr *tcp = (struct tcphdr *)(ip + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	if (!f || (void *)(tcp + 1) > data_end)
		return -1;
	ip->saddr = f->src;
	ip->daddr = f->dst;
	ip->protocol = f->proto;
	if (f->proto == IPPROTO_TCP) {
		__builtin_memset(tcp, 0, sizeof(*tcp));
		tcp->source = f->sport;
		tcp->dest = f->dport;
		tcp->doff = 5;
		tcp->syn = 1;
		tcp->window = bpf_htons(1024);
	} else {
		udp->source = f->sport;
		udp->dest = f->dport;
		udp->len = bpf_htons((__u16)(data_end - (void *)udp));
		udp->check = 0;
	}
	return 0;
}

SEC("xdp")
int trafficgen_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u32 src, sum = 0;
	__u64 n;
	__u16 *w;

	if (!frame_due())
		return XDP_DROP;
	n = frames++;
	if ((void *)(ip + 1) > data_end)
		return XDP_ABORTED;
	if (n_flows) {
		if (write_flow(ip, data_end, (__u32)(n % n_flows)))
			return XDP_ABORTED;
	} else {
		src = src_base + (__u32)(n % n_prefixes) * prefix_step + 1 +
		      (__u32)((n / n_prefixes) % hosts);
		ip->saddr = bpf_htonl(src);
	}
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
