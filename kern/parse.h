/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing shared by the XDP and tc programs. Every read goes through a
 * cursor checked against the end of the packet (or of the IP datagram, when
 * that is shorter), and every loop has a fixed bound, so the verifier accepts
 * it and no byte past the datagram is trusted. L4 fields are read only at
 * the offset where the IPv6 extension chain really ends, and never from a
 * non-first fragment.
 */
#ifndef EDGEFW_PARSE_H
#define EDGEFW_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "edgefw.h"

#define EDGEFW_MAX_VLAN 2
/* Extension headers walked before giving up: the `ipv6-ext-overflow`
 * policy decides longer chains. */
#define EDGEFW_MAX_EXT 8

/* ICMPv6 neighbour discovery types (RFC 4861), not in the uapi headers. */
#define ND_TYPE_FIRST 133 /* router solicitation */
#define ND_TYPE_LAST 137  /* redirect */

#define IPV6_NH_HOPOPTS 0
#define IPV6_NH_ROUTING 43
#define IPV6_NH_FRAGMENT 44
#define IPV6_NH_AH 51
#define IPV6_NH_DSTOPTS 60

/* end is the packet's end, the only bound the verifier accepts for
 * access; limit is where the IP datagram ends (the frame may carry padding
 * past it), checked as well so L4 data is never read from padding. */
struct cursor {
	void *pos;
	void *end;
	void *limit;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

enum parse_result {
	PARSE_OK = 0,
	PARSE_NON_IP,       /* not IPv4/IPv6: non-ip policy */
	PARSE_ND,           /* IPv6 neighbour discovery: non-ip policy */
	PARSE_BAD_L2,
	PARSE_BAD_L3,
	PARSE_BAD_EXT,
	PARSE_BAD_L4,
	PARSE_EXT_OVERFLOW,
};

enum pkt_frag {
	PKT_NOT_FRAG = 0,
	PKT_FIRST_FRAG = 1,
	PKT_LATER_FRAG = 2,
};

struct pkt_info {
	__u8 family;    /* 4 or 6 */
	__u8 l4proto;   /* IPv6: the header after the extension chain */
	__u8 frag;      /* enum pkt_frag */
	__u8 pad;
	__u32 vlan;     /* innermost tag, EDGEFW_UNTAGGED when none */
	__u32 sport;    /* port or ICMP type; EDGEFW_NO_L4 when not read */
	__u32 dport;    /* port or ICMP code; EDGEFW_NO_L4 when not read */
	__u32 flags;    /* TCP flags; EDGEFW_NO_FLAGS when not TCP */
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Returns a pointer to len bytes at the cursor and advances it, or NULL when
 * fewer than len bytes remain. len must be a constant for the verifier. */
static __always_inline void *cursor_pull(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end || p + len > c->limit)
		return NULL;
	c->pos = p + len;
	return p;
}

static __always_inline int parse_eth(struct cursor *c, __u16 *proto,
				     __u32 *vlan)
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
		*vlan = bpf_ntohs(vh->tci) & 0x0fff;
		h = vh->encap_proto;
	}
	*proto = bpf_ntohs(h);
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct cursor *c, struct pkt_info *pi)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return PARSE_BAD_L3;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_BAD_L3;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* The header must fit in the datagram and the datagram in the frame. */
	if (tot < hlen || (void *)iph + tot > c->end)
		return PARSE_BAD_L3;
	c->limit = (void *)iph + tot; /* Ethernet padding is not L4 data */
	c->pos = (void *)iph + hlen;

	pi->family = 4;
	pi->l4proto = iph->protocol;
	frag = bpf_ntohs(iph->frag_off);
	if (frag & 0x1fff)
		pi->frag = PKT_LATER_FRAG;
	else if (frag & 0x2000)
		pi->frag = PKT_FIRST_FRAG;
	__builtin_memcpy(pi->saddr, &iph->saddr, 4);
	__builtin_memcpy(pi->daddr, &iph->daddr, 4);
	return PARSE_OK;
}

/* Walks the extension headers; leaves the cursor on the upper-layer header
 * and pi->l4proto naming it. */
static __always_inline int parse_ipv6_ext(struct cursor *c, struct pkt_info *pi)
{
	__u8 nh = pi->l4proto;

	for (int i = 0; i < EDGEFW_MAX_EXT; i++) {
		__u8 *h;
		__u32 len;

		switch (nh) {
		case IPV6_NH_HOPOPTS:
		case IPV6_NH_ROUTING:
		case IPV6_NH_DSTOPTS:
			h = cursor_pull(c, 2);
			if (!h)
				return PARSE_BAD_EXT;
			len = ((__u32)h[1] + 1) * 8;
			break;
		case IPV6_NH_AH:
			h = cursor_pull(c, 2);
			if (!h)
				return PARSE_BAD_EXT;
			len = ((__u32)h[1] + 2) * 4;
			break;
		case IPV6_NH_FRAGMENT: {
			__u16 off;

			h = cursor_pull(c, 8);
			if (!h)
				return PARSE_BAD_EXT;
			off = ((__u16)h[2] << 8 | h[3]);
			pi->l4proto = h[0];
			if (off & 0xfff8) {
				/* What follows is the middle of a datagram. */
				pi->frag = PKT_LATER_FRAG;
				return PARSE_OK;
			}
			if (off & 1)
				pi->frag = PKT_FIRST_FRAG;
			nh = h[0];
			continue;
		}
		default:
			pi->l4proto = nh;
			return PARSE_OK;
		}
		/* 2 bytes were pulled; skip the rest of the header. */
		c->pos = (void *)h + len;
		if (c->pos > c->end || c->pos > c->limit)
			return PARSE_BAD_EXT;
		nh = h[0];
	}
	switch (nh) {
	case IPV6_NH_HOPOPTS:
	case IPV6_NH_ROUTING:
	case IPV6_NH_DSTOPTS:
	case IPV6_NH_AH:
	case IPV6_NH_FRAGMENT:
		return PARSE_EXT_OVERFLOW;
	}
	pi->l4proto = nh;
	return PARSE_OK;
}

static __always_inline int parse_ipv6(struct cursor *c, struct pkt_info *pi)
{
	struct ipv6hdr *ip6 = cursor_pull(c, sizeof(*ip6));
	void *end;

	if (!ip6)
		return PARSE_BAD_L3;
	if (ip6->version != 6)
		return PARSE_BAD_L3;
	end = (void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len);
	if (end > c->end)
		return PARSE_BAD_L3;
	c->limit = end;

	pi->family = 6;
	pi->l4proto = ip6->nexthdr;
	__builtin_memcpy(pi->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pi->daddr, &ip6->daddr, 16);
	return parse_ipv6_ext(c, pi);
}

/* Reads ports, ICMP type and code, TCP flags. A first fragment or whole
 * datagram too short for its L4 header is malformed. */
static __always_inline int parse_l4(struct cursor *c, struct pkt_info *pi)
{
	__u8 *h;

	if (pi->frag == PKT_LATER_FRAG)
		return PARSE_OK;
	switch (pi->l4proto) {
	case IPPROTO_TCP: {
		__u32 doff;

		h = cursor_pull(c, 20);
		if (!h)
			return PARSE_BAD_L4;
		doff = (h[12] >> 4) * 4;
		if (doff < 20 || (void *)h + doff > c->limit)
			return PARSE_BAD_L4;
		pi->flags = h[13];
		break;
	}
	case IPPROTO_UDP:
		h = cursor_pull(c, 8);
		if (!h)
			return PARSE_BAD_L4;
		break;
	case IPPROTO_SCTP:
		h = cursor_pull(c, 12);
		if (!h)
			return PARSE_BAD_L4;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		h = cursor_pull(c, 4);
		if (!h)
			return PARSE_BAD_L4;
		pi->sport = h[0];
		pi->dport = h[1];
		/* Neighbour discovery keeps the host reachable whatever the
		 * rules say. */
		if (pi->family == 6 && pi->l4proto == IPPROTO_ICMPV6 &&
		    h[0] >= ND_TYPE_FIRST && h[0] <= ND_TYPE_LAST)
			return PARSE_ND;
		return PARSE_OK;
	default:
		return PARSE_OK;
	}
	pi->sport = (__u32)h[0] << 8 | h[1];
	pi->dport = (__u32)h[2] << 8 | h[3];
	return PARSE_OK;
}

/* Parses from the Ethernet header to the L4 fields. */
static __always_inline int parse_packet(void *data, void *data_end,
					struct pkt_info *pi)
{
	struct cursor c = { .pos = data, .end = data_end, .limit = data_end };
	__u16 proto = 0;
	int ret;

	pi->vlan = EDGEFW_UNTAGGED;
	pi->sport = EDGEFW_NO_L4;
	pi->dport = EDGEFW_NO_L4;
	pi->flags = EDGEFW_NO_FLAGS;
	ret = parse_eth(&c, &proto, &pi->vlan);
	if (ret != PARSE_OK)
		return ret;
	if (proto == ETH_P_IP)
		ret = parse_ipv4(&c, pi);
	else if (proto == ETH_P_IPV6)
		ret = parse_ipv6(&c, pi);
	else
		return PARSE_NON_IP;
	if (ret != PARSE_OK)
		return ret;
	return parse_l4(&c, pi);
}

#endif
