/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing shared by the XDP and tc programs. Every read goes through a
 * cursor that is checked against the end of the packet, and every loop has a
 * fixed bound, so the verifier accepts it and no byte past the packet is
 * ever trusted.
 */
#ifndef EDGEFW_PARSE_H
#define EDGEFW_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define EDGEFW_MAX_VLAN 2

/* ICMPv6 neighbour discovery types (RFC 4861), not in the uapi headers. */
#define ND_TYPE_FIRST 133 /* router solicitation */
#define ND_TYPE_LAST 137  /* redirect */

struct cursor {
	void *pos;
	void *end;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

enum parse_result {
	PARSE_OK = 0,
	PARSE_NON_IP,       /* not IPv4/IPv6: policy decides */
	PARSE_ND,           /* IPv6 neighbour discovery: policy decides */
	PARSE_BAD_L2,
	PARSE_BAD_L3,
};

struct pkt_info {
	__u8 family; /* 4 or 6 */
	__u8 l4proto;
	__u16 vlan_id; /* innermost tag, 0 when untagged */
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Returns a pointer to len bytes at the cursor and advances it, or NULL when
 * fewer than len bytes remain. len must be a constant for the verifier. */
static __always_inline void *cursor_pull(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

static __always_inline int parse_eth(struct cursor *c, __u16 *proto,
				     __u16 *vlan_id)
{
	struct ethhdr *eth = cursor_pull(c, sizeof(*eth));
	__u16 h;

	if (!eth)
		return PARSE_BAD_L2;
	h = eth->h_proto;

#pragma unroll
	for (int i = 0; i < EDGEFW_MAX_VLAN; i++) {
		struct vlan_hdr *vh;

		if (h != bpf_htons(ETH_P_8021Q) && h != bpf_htons(ETH_P_8021AD))
			break;
		vh = cursor_pull(c, sizeof(*vh));
		if (!vh)
			return PARSE_BAD_L2;
		*vlan_id = bpf_ntohs(vh->tci) & 0x0fff;
		h = vh->encap_proto;
	}
	*proto = bpf_ntohs(h);
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct cursor *c, struct pkt_info *pi)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > c->end)
		return PARSE_BAD_L3;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_BAD_L3;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* The header must fit in the datagram and the datagram in the frame. */
	if (tot < hlen || (void *)iph + tot > c->end)
		return PARSE_BAD_L3;
	c->pos = (void *)iph + hlen;

	pi->family = 4;
	pi->l4proto = iph->protocol;
	__builtin_memcpy(pi->saddr, &iph->saddr, 4);
	__builtin_memcpy(pi->daddr, &iph->daddr, 4);
	return PARSE_OK;
}

static __always_inline int parse_ipv6(struct cursor *c, struct pkt_info *pi)
{
	struct ipv6hdr *ip6 = cursor_pull(c, sizeof(*ip6));

	if (!ip6)
		return PARSE_BAD_L3;
	if (ip6->version != 6)
		return PARSE_BAD_L3;
	if ((void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len) > c->end)
		return PARSE_BAD_L3;

	pi->family = 6;
	pi->l4proto = ip6->nexthdr;
	__builtin_memcpy(pi->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pi->daddr, &ip6->daddr, 16);

	/* Neighbour discovery keeps the host reachable whatever the rules say;
	 * it never carries extension headers (RFC 4861 requires hop limit 255
	 * and link-local scope), so the first header is the only place to look. */
	if (ip6->nexthdr == IPPROTO_ICMPV6) {
		struct icmp6hdr *ic = c->pos;

		if ((void *)(ic + 1) > c->end)
			return PARSE_BAD_L3;
		if (ic->icmp6_type >= ND_TYPE_FIRST &&
		    ic->icmp6_type <= ND_TYPE_LAST)
			return PARSE_ND;
	}
	return PARSE_OK;
}

/* Parses from the Ethernet header to the start of L4. */
static __always_inline int parse_packet(void *data, void *data_end,
					struct pkt_info *pi)
{
	struct cursor c = { .pos = data, .end = data_end };
	__u16 proto = 0;
	int ret;

	ret = parse_eth(&c, &proto, &pi->vlan_id);
	if (ret != PARSE_OK)
		return ret;
	if (proto == ETH_P_IP)
		return parse_ipv4(&c, pi);
	if (proto == ETH_P_IPV6)
		return parse_ipv6(&c, pi);
	return PARSE_NON_IP;
}

#endif
