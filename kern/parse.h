/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing shared by the XDP and tc programs.
 *
 * The parser reads the frame as it is, not as much of it as happens to be
 * linear: a cursor holds an offset, the frame's real length (skb->len at
 * tc, bpf_xdp_get_buff_len() at XDP) and the end of the IP datagram. A
 * header inside the linear part is read in place; one beyond it (a
 * non-linear skb, an XDP multi-buffer frame) is copied to the stack with
 * the hook's load helper. Every length is checked against the real length
 * (or the datagram's end, so Ethernet padding is never L4 data), every loop
 * has a fixed bound, and L4 fields are read only where the IPv6 extension
 * chain really ends, never from a non-first fragment.
 *
 * Layer 2 walks up to four VLAN tags (802.1Q, 802.1ad and the legacy QinQ
 * TPIDs, in any order), a PPPoE session header, and up to four MPLS labels.
 * What lies past that walk and may carry IP is PARSE_ENCAP_OVERFLOW, never
 * "not IP" (see rules/README.md for the exact list).
 */
#ifndef EDGEFW_PARSE_H
#define EDGEFW_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "edgefw.h"

/* Tags walked before giving up: the `encap-overflow` policy decides more. */
#define EDGEFW_MAX_VLAN 4
/* MPLS label stack entries walked before giving up (encap-overflow). */
#define EDGEFW_MAX_MPLS 4
/* Extension headers walked before giving up: the `ipv6-ext-overflow`
 * policy decides longer chains. */
#define EDGEFW_MAX_EXT 8
/* No header the parser reads starts past this offset (L2 takes at most 54
 * bytes, 8 extension headers at most 16 KiB); it bounds the offsets for the
 * verifier. */
#define EDGEFW_PARSE_MAX_OFF 0x7fff

#define ETH_P_PPPOE_SESS 0x8864
#define ETH_P_MPLS_UNICAST 0x8847
#define ETH_P_MPLS_MULTICAST 0x8848
#define ETH_P_QINQ_9100 0x9100
#define ETH_P_QINQ_9200 0x9200
#define ETH_P_QINQ_9300 0x9300
#define ETH_P_PBB 0x88e7 /* 802.1ah MAC-in-MAC */

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_MPLS_UNICAST 0x0281
#define PPP_MPLS_MULTICAST 0x0283
/* PPP protocols from 0x8000 on are control protocols (IPCP, IPV6CP, LCP,
 * PAP, CHAP, ...); below, network-layer data, which may carry IP in a form
 * the parser does not read (compressed, multilink, ...). */
#define PPP_CONTROL_FIRST 0x8000

/* ICMPv6 neighbour discovery types (RFC 4861), not in the uapi headers. */
#define ND_TYPE_FIRST 133 /* router solicitation */
#define ND_TYPE_LAST 137  /* redirect */

#define IPV6_NH_HOPOPTS 0
#define IPV6_NH_ROUTING 43
#define IPV6_NH_FRAGMENT 44
#define IPV6_NH_AH 51
#define IPV6_NH_DSTOPTS 60

enum cursor_kind {
	CURSOR_XDP = 0,
	CURSOR_SKB = 1,
};

struct cursor {
	void *data;       /* the frame's first byte */
	void *data_end;   /* end of its linear part: the verifier's bound */
	void *ctx;        /* struct xdp_md or struct __sk_buff */
	__u32 off;        /* the next byte to read */
	__u32 len;        /* the frame's length (all of it once len_final) */
	__u32 limit;      /* end of the datagram or PPPoE payload, or ~0 */
	__u32 end;        /* min(len, limit): what reads may reach */
	__u8 kind;        /* enum cursor_kind */
	__u8 copy;        /* copy every header with the load helper */
	__u8 len_final;   /* XDP asks for the length past its first buffer only
			   * when a check needs it */
	__u8 gso;         /* tc: a GSO packet, whose IP length may be 0 */
	__u8 need_copy;   /* a header lies past the linear part */
	__u8 read_failed; /* the load helper failed (not a truncation) */
	__u8 pad[2];
};

static __always_inline void cursor_set_limit(struct cursor *c, __u32 limit)
{
	c->limit = limit;
	c->end = limit < c->len ? limit : c->len;
}

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

enum parse_result {
	PARSE_OK = 0,
	PARSE_NON_IP, /* not IPv4/IPv6: non-ip policy */
	PARSE_ND,     /* IPv6 neighbour discovery: non-ip policy */
	PARSE_BAD_L2,
	PARSE_BAD_L3,
	PARSE_BAD_EXT,
	PARSE_BAD_L4,
	PARSE_EXT_OVERFLOW,
	PARSE_ENCAP_OVERFLOW, /* an encapsulation past what the walk reads */
	PARSE_READ_FAIL,      /* a header past the linear part could not be copied */
	PARSE_NEED_COPY,      /* internal: parse again, copying the headers */
};

/* pkt_info.frag holds an enum edgefw_frag (edgefw.h); kern/ calls them: */
#define PKT_NOT_FRAG EDGEFW_FRAG_NONE
#define PKT_FIRST_FRAG EDGEFW_FRAG_FIRST
#define PKT_LATER_FRAG EDGEFW_FRAG_LATER

struct pkt_info {
	__u8 family;   /* 4 or 6 */
	__u8 l4proto;  /* IPv6: the header after the extension chain */
	__u8 frag;     /* enum edgefw_frag */
	__u8 ct_state; /* enum edgefw_ct_state: set by kern/conntrack.h */
	__u32 len;     /* the frame's length, as far as the parse learnt it */
	__u32 vlan;    /* innermost tag, EDGEFW_UNTAGGED when none */
	__u32 sport;   /* port or ICMP type; EDGEFW_NO_L4 when not read */
	__u32 dport;   /* port or ICMP code; EDGEFW_NO_L4 when not read */
	__u32 flags;   /* TCP flags; EDGEFW_NO_FLAGS when not TCP */
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 l4_off; /* ICMP: where its header starts in the frame */
	__u32 l4_end; /* ICMP: the datagram's end (what quotes may reach) */
};

/* An XDP frame: its length past the first buffer is asked for lazily. */
static __always_inline void cursor_init_xdp(struct cursor *c, struct xdp_md *ctx, bool copy)
{
	c->data = (void *)(long)ctx->data;
	c->data_end = (void *)(long)ctx->data_end;
	c->ctx = ctx;
	c->off = 0;
	c->len = (__u32)(c->data_end - c->data);
	c->limit = ~0u;
	c->end = c->len;
	c->kind = CURSOR_XDP;
	c->copy = copy;
	c->len_final = 0;
	c->gso = 0;
	c->need_copy = 0;
	c->read_failed = 0;
}

/* A tc skb, whose data starts at the MAC header; skb->len is all of it. */
static __always_inline void cursor_init_skb(struct cursor *c, struct __sk_buff *skb, bool copy)
{
	c->data = (void *)(long)skb->data;
	c->data_end = (void *)(long)skb->data_end;
	c->ctx = skb;
	c->off = 0;
	c->len = skb->len;
	c->limit = ~0u;
	c->end = c->len;
	c->kind = CURSOR_SKB;
	c->copy = copy;
	c->len_final = 1;
	c->gso = skb->gso_size != 0;
	c->need_copy = 0;
	c->read_failed = 0;
}

/* Is `end` inside the frame and the datagram (or PPPoE payload)? XDP asks
 * for the whole length only when the first buffer is not enough. */
static __always_inline bool cursor_fits(struct cursor *c, __u32 end)
{
	if (end <= c->end)
		return true;
	if (c->len_final || end > c->limit)
		return false;
	c->len_final = 1;
	c->len = (__u32)bpf_xdp_get_buff_len(c->ctx);
	cursor_set_limit(c, c->limit);
	return end <= c->end;
}

/* Returns n bytes at the cursor and advances it, or NULL when the frame or
 * datagram ends first. In place, the bytes must be linear (else need_copy
 * is set and the caller parses again with copy); with copy, they are copied
 * into buf (else read_failed is set). n must be a constant, buf at least n
 * bytes. Two passes rather than a choice per header: the verifier then
 * meets one kind of pointer per read, not every combination of them. */
static __always_inline void *cursor_read(struct cursor *c, __u32 n, void *buf)
{
	__u32 off = c->off;
	void *p;
	long err;

	if (off > EDGEFW_PARSE_MAX_OFF || !cursor_fits(c, off + n))
		return NULL;
	if (c->copy) {
		if (c->kind == CURSOR_XDP)
			err = bpf_xdp_load_bytes(c->ctx, off, buf, n);
		else
			err = bpf_skb_load_bytes(c->ctx, off, buf, n);
		if (err) {
			c->read_failed = 1;
			return NULL;
		}
		c->off = off + n;
		return buf;
	}
	p = c->data + off;
	if (p + n > c->data_end) {
		c->need_copy = 1;
		return NULL;
	}
	c->off = off + n;
	return p;
}

static __always_inline bool is_vlan_tpid(__u16 h)
{
	return h == bpf_htons(ETH_P_8021Q) || h == bpf_htons(ETH_P_8021AD) ||
	       h == bpf_htons(ETH_P_QINQ_9100) || h == bpf_htons(ETH_P_QINQ_9200) ||
	       h == bpf_htons(ETH_P_QINQ_9300);
}

/* The PPPoE session header and the PPP protocol: IPv4, IPv6 or MPLS go on;
 * PPP's control protocols are not IP; any other network protocol (compressed
 * or multilink datagrams, ...) is past what the parser reads. */
static __always_inline int parse_pppoe(struct cursor *c, __u16 *proto)
{
	__u8 buf[8], *h = cursor_read(c, 8, buf);
	__u32 payload, plen;
	__u16 ppp;

	if (!h)
		return PARSE_BAD_L2;
	/* RFC 2516: version 1, type 1. Linux drops other versions too. */
	if (h[0] != 0x11)
		return PARSE_BAD_L2;
	plen = (__u32)h[4] << 8 | h[5];
	payload = c->off - 2; /* the PPP protocol field is in the payload */
	if (plen < 2 || !cursor_fits(c, payload + plen))
		return PARSE_BAD_L2;
	/* Padding after the PPPoE payload is not part of the datagram. */
	cursor_set_limit(c, payload + plen);
	ppp = (__u16)h[6] << 8 | h[7];
	if (h[6] & 1) {
		/* Protocol field compression (RFC 1661): one byte, always odd. */
		ppp = h[6];
		c->off -= 1;
	}
	switch (ppp) {
	case PPP_IPV4:
		*proto = ETH_P_IP;
		return PARSE_OK;
	case PPP_IPV6:
		*proto = ETH_P_IPV6;
		return PARSE_OK;
	case PPP_MPLS_UNICAST:
	case PPP_MPLS_MULTICAST:
		*proto = ETH_P_MPLS_UNICAST;
		return PARSE_OK;
	}
	return ppp >= PPP_CONTROL_FIRST ? PARSE_NON_IP : PARSE_ENCAP_OVERFLOW;
}

/* Walks the label stack to its bottom and names what lies beneath by its
 * first nibble, as MPLS routers do: 4 IPv4, 6 IPv6. Anything else (0: a
 * pseudowire control word, 1: an associated channel, an Ethernet
 * pseudowire without control word) is beyond the walk. */
static __always_inline int parse_mpls(struct cursor *c, __u16 *proto)
{
	__u8 buf[4], *h;

#pragma unroll
	for (int i = 0; i < EDGEFW_MAX_MPLS; i++) {
		h = cursor_read(c, 4, buf);
		if (!h)
			return PARSE_BAD_L2;
		if (!(h[2] & 1))
			continue;
		/* Bottom of stack: peek at the payload's first byte. */
		h = cursor_read(c, 1, buf);
		if (!h)
			return PARSE_BAD_L2;
		c->off -= 1;
		if (h[0] >> 4 == 4) {
			*proto = ETH_P_IP;
			return PARSE_OK;
		}
		if (h[0] >> 4 == 6) {
			*proto = ETH_P_IPV6;
			return PARSE_OK;
		}
		return PARSE_ENCAP_OVERFLOW;
	}
	return PARSE_ENCAP_OVERFLOW;
}

/* VLAN tags, PPPoE, MPLS after the Ethernet header, whose EtherType is h
 * (network order): leaves the cursor on the IP header and proto naming it.
 * The innermost tag is the one rules see. */
static __always_inline int parse_encap(struct cursor *c, __u16 h, __u16 *proto, __u32 *vlan)
{
	int ret;

#pragma unroll
	for (int i = 0; i < EDGEFW_MAX_VLAN; i++) {
		struct vlan_hdr vb, *vh;

		if (!is_vlan_tpid(h))
			break;
		vh = cursor_read(c, sizeof(*vh), &vb);
		if (!vh)
			return PARSE_BAD_L2;
		*vlan = bpf_ntohs(vh->tci) & 0x0fff;
		h = vh->encap_proto;
	}
	if (is_vlan_tpid(h))
		return PARSE_ENCAP_OVERFLOW;
	*proto = bpf_ntohs(h);
	if (*proto == ETH_P_PPPOE_SESS) {
		ret = parse_pppoe(c, proto);
		if (ret != PARSE_OK)
			return ret;
	}
	if (*proto == ETH_P_MPLS_UNICAST || *proto == ETH_P_MPLS_MULTICAST)
		return parse_mpls(c, proto);
	if (*proto == ETH_P_PBB)
		return PARSE_ENCAP_OVERFLOW;
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct cursor *c, struct pkt_info *pi)
{
	struct iphdr buf, *iph;
	__u32 l3 = c->off, hlen, tot;
	__u16 frag;

	iph = cursor_read(c, sizeof(*iph), &buf);
	if (!iph)
		return PARSE_BAD_L3;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_BAD_L3;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* A BIG TCP super-packet (over 64 KiB) carries total length 0. */
	if (tot == 0 && c->gso && iph->protocol == IPPROTO_TCP && c->len > l3)
		tot = c->len - l3;
	/* The header must fit in the datagram and the datagram in the frame
	 * (and in the PPPoE payload carrying it). */
	if (tot < hlen || !cursor_fits(c, l3 + tot))
		return PARSE_BAD_L3;
	cursor_set_limit(c, l3 + tot); /* Ethernet padding is not L4 data */
	c->off = l3 + hlen;

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
	__u8 nh = pi->l4proto, buf[8];

	for (int i = 0; i < EDGEFW_MAX_EXT; i++) {
		__u32 start = c->off, len;
		__u8 *h;

		switch (nh) {
		case IPV6_NH_HOPOPTS:
		case IPV6_NH_ROUTING:
		case IPV6_NH_DSTOPTS:
			h = cursor_read(c, 2, buf);
			if (!h)
				return PARSE_BAD_EXT;
			len = ((__u32)h[1] + 1) * 8;
			break;
		case IPV6_NH_AH:
			h = cursor_read(c, 2, buf);
			if (!h)
				return PARSE_BAD_EXT;
			len = ((__u32)h[1] + 2) * 4;
			break;
		case IPV6_NH_FRAGMENT: {
			__u16 off;

			h = cursor_read(c, 8, buf);
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
		nh = h[0];
		/* 2 bytes were read; skip the rest of the header. */
		c->off = start + len;
		if (!cursor_fits(c, c->off))
			return PARSE_BAD_EXT;
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
	struct ipv6hdr buf, *ip6;
	__u32 l3 = c->off, plen;

	ip6 = cursor_read(c, sizeof(*ip6), &buf);
	if (!ip6)
		return PARSE_BAD_L3;
	if (ip6->version != 6)
		return PARSE_BAD_L3;
	plen = bpf_ntohs(ip6->payload_len);
	/* A BIG TCP super-packet (over 64 KiB) carries payload length 0. */
	if (plen == 0 && c->gso && c->len > l3 + sizeof(*ip6))
		plen = c->len - l3 - sizeof(*ip6);
	if (!cursor_fits(c, l3 + sizeof(*ip6) + plen))
		return PARSE_BAD_L3;
	cursor_set_limit(c, l3 + sizeof(*ip6) + plen);

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
	__u8 buf[20], *h;

	if (pi->frag == PKT_LATER_FRAG)
		return PARSE_OK;
	switch (pi->l4proto) {
	case IPPROTO_TCP: {
		__u32 start = c->off, doff;

		h = cursor_read(c, 20, buf);
		if (!h)
			return PARSE_BAD_L4;
		doff = (h[12] >> 4) * 4;
		if (doff < 20 || start + doff > c->limit)
			return PARSE_BAD_L4;
		pi->flags = h[13];
		break;
	}
	case IPPROTO_UDP:
		h = cursor_read(c, 8, buf);
		if (!h)
			return PARSE_BAD_L4;
		break;
	case IPPROTO_SCTP:
		h = cursor_read(c, 12, buf);
		if (!h)
			return PARSE_BAD_L4;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		pi->l4_off = c->off;
		pi->l4_end = c->end;
		h = cursor_read(c, 4, buf);
		if (!h)
			return PARSE_BAD_L4;
		pi->sport = h[0];
		pi->dport = h[1];
		/* Neighbour discovery keeps the host reachable whatever the
		 * rules say. */
		if (pi->family == 6 && pi->l4proto == IPPROTO_ICMPV6 && h[0] >= ND_TYPE_FIRST &&
		    h[0] <= ND_TYPE_LAST)
			return PARSE_ND;
		return PARSE_OK;
	default:
		return PARSE_OK;
	}
	pi->sport = (__u32)h[0] << 8 | h[1];
	pi->dport = (__u32)h[2] << 8 | h[3];
	return PARSE_OK;
}

/* IP and L4 from the cursor on, proto naming the IP version. */
static __always_inline int parse_ip(struct cursor *c, __u16 proto, struct pkt_info *pi)
{
	int ret;

	if (proto == ETH_P_IP)
		ret = parse_ipv4(c, pi);
	else
		ret = parse_ipv6(c, pi);
	if (ret != PARSE_OK)
		return ret;
	return parse_l4(c, pi);
}

/* A copy that failed wins over the layer it stopped, and a header past the
 * linear part calls for the copying pass. */
static __always_inline int parse_status(const struct cursor *c, int ret)
{
	if (c->read_failed)
		return PARSE_READ_FAIL;
	if (c->need_copy)
		return PARSE_NEED_COPY;
	return ret;
}

/* IP and L4 are parsed in global functions, which the verifier checks once
 * on their own: inlined, they would be checked again for every path through
 * the VLAN, PPPoE and MPLS walk (each leaves another offset). One per hook
 * and pass, so that reading in place or copying is fixed in each. */
#define EDGEFW_PARSE_IP(name, ctx_type, init, copy)                                     \
	__noinline int name(ctx_type *ctx, struct pkt_info *pi, __u32 off, __u32 limit, \
			    __u32 proto)                                                \
	{                                                                               \
		struct cursor c;                                                        \
		int ret;                                                                \
                                                                                        \
		if (!ctx || !pi)                                                        \
			return PARSE_BAD_L3;                                            \
		init(&c, ctx, copy);                                                    \
		c.off = off;                                                            \
		cursor_set_limit(&c, limit);                                            \
		ret = parse_ip(&c, (__u16)proto, pi);                                   \
		pi->len = c.len;                                                        \
		return parse_status(&c, ret);                                           \
	}

EDGEFW_PARSE_IP(edgefw_parse_ip_xdp, struct xdp_md, cursor_init_xdp, false)
EDGEFW_PARSE_IP(edgefw_parse_ip_xdp_copy, struct xdp_md, cursor_init_xdp, true)
EDGEFW_PARSE_IP(edgefw_parse_ip_skb, struct __sk_buff, cursor_init_skb, false)
EDGEFW_PARSE_IP(edgefw_parse_ip_skb_copy, struct __sk_buff, cursor_init_skb, true)

static __always_inline void pkt_info_reset(struct pkt_info *pi)
{
	__builtin_memset(pi, 0, sizeof(*pi));
	pi->vlan = EDGEFW_UNTAGGED;
	pi->sport = EDGEFW_NO_L4;
	pi->dport = EDGEFW_NO_L4;
	pi->flags = EDGEFW_NO_FLAGS;
}

/* One pass from the Ethernet header to the L4 fields: layer 2 here, IP and
 * L4 in the global function for the hook. */
/* The walk from the Ethernet header, for frames the inline path below does
 * not take: tags, PPPoE, MPLS, and every frame of the copying pass. */
static __always_inline int parse_walk(void *ctx, enum cursor_kind kind, bool copy,
				      struct pkt_info *pi)
{
	struct ethhdr buf, *eth;
	struct cursor c;
	__u16 proto = 0;
	int ret;

	if (kind == CURSOR_XDP)
		cursor_init_xdp(&c, ctx, copy);
	else
		cursor_init_skb(&c, ctx, copy);
	pkt_info_reset(pi);
	eth = cursor_read(&c, sizeof(*eth), &buf);
	ret = eth ? parse_encap(&c, eth->h_proto, &proto, &pi->vlan) : PARSE_BAD_L2;
	pi->len = c.len;
	if (ret != PARSE_OK)
		return parse_status(&c, ret);
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return PARSE_NON_IP;
	if (kind == CURSOR_XDP)
		return copy ? edgefw_parse_ip_xdp_copy(ctx, pi, c.off, c.limit, proto)
			    : edgefw_parse_ip_xdp(ctx, pi, c.off, c.limit, proto);
	return copy ? edgefw_parse_ip_skb_copy(ctx, pi, c.off, c.limit, proto)
		    : edgefw_parse_ip_skb(ctx, pi, c.off, c.limit, proto);
}

/* Global too: the programs' verification then meets one state after it,
 * whichever of the walk's paths the frame took. */
__noinline int edgefw_parse_walk_xdp(struct xdp_md *ctx, struct pkt_info *pi, __u32 copy)
{
	if (!ctx || !pi)
		return PARSE_BAD_L2;
	return copy ? parse_walk(ctx, CURSOR_XDP, true, pi)
		    : parse_walk(ctx, CURSOR_XDP, false, pi);
}

__noinline int edgefw_parse_walk_skb(struct __sk_buff *ctx, struct pkt_info *pi, __u32 copy)
{
	if (!ctx || !pi)
		return PARSE_BAD_L2;
	return copy ? parse_walk(ctx, CURSOR_SKB, true, pi)
		    : parse_walk(ctx, CURSOR_SKB, false, pi);
}

static __always_inline int parse_walk_call(void *ctx, enum cursor_kind kind, struct pkt_info *pi,
					   bool copy)
{
	if (kind == CURSOR_XDP)
		return edgefw_parse_walk_xdp(ctx, pi, copy);
	return edgefw_parse_walk_skb(ctx, pi, copy);
}

/* Parses the frame (ctx: struct xdp_md or struct __sk_buff, as kind says)
 * into pi, pi->len its length as far as the parse needed to learn it.
 * Untagged IP, most frames, is parsed inline, reading in place; everything
 * else through the walk. A frame with headers past its linear part is
 * parsed again, copying each header. */
static __always_inline int parse_packet(void *ctx, enum cursor_kind kind, struct pkt_info *pi)
{
	struct ethhdr buf, *eth;
	struct cursor c;
	int ret;

	if (kind == CURSOR_XDP)
		cursor_init_xdp(&c, ctx, false);
	else
		cursor_init_skb(&c, ctx, false);
	pkt_info_reset(pi);
	eth = cursor_read(&c, sizeof(*eth), &buf);
	/* The walk first in the code, so the verifier checks what follows
	 * with the walk's (unknown) results first, and then prunes the inline
	 * path's more precise states as covered. */
	if (!eth ||
	    (eth->h_proto != bpf_htons(ETH_P_IP) && eth->h_proto != bpf_htons(ETH_P_IPV6))) {
		ret = parse_walk_call(ctx, kind, pi, false);
	} else {
		ret = parse_ip(&c, bpf_ntohs(eth->h_proto), pi);
		pi->len = c.len;
		ret = parse_status(&c, ret);
	}
	if (ret == PARSE_NEED_COPY)
		ret = parse_walk_call(ctx, kind, pi, true);
	return ret;
}

#endif
