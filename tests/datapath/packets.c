// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "packets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t tag_tpid(const struct pkt_spec *s, int i)
{
	if (s->tpid[i])
		return s->tpid[i];
	return (i == 0 && s->outer_tpid) ? s->outer_tpid : 0x8100;
}

/* Ethernet, tags, PPPoE and MPLS; proto is what the innermost of them
 * carries. Returns the offset of the payload. */
static size_t put_eth(struct pkt *p, const struct pkt_spec *s, uint16_t proto)
{
	size_t off = 12;
	int n_vlan = s->n_vlan < PKT_MAX_TAGS ? s->n_vlan : PKT_MAX_TAGS;
	int n_mpls = s->n_mpls < PKT_MAX_LABELS ? s->n_mpls : PKT_MAX_LABELS;

	memset(p->data, 0, sizeof(p->data));
	memcpy(p->data, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p->pppoe = 0;
	for (int i = 0; i < n_vlan; i++) {
		put16(&p->data[off], tag_tpid(s, i));
		put16(&p->data[off + 2], s->vlan[i]);
		off += 4;
	}
	if (s->pppoe) {
		uint16_t ppp = s->ppp_proto      ? s->ppp_proto
			       : n_mpls          ? 0x0281
			       : proto == 0x86dd ? 0x0057
						 : 0x0021;

		put16(&p->data[off], 0x8864);
		p->pppoe = off + 2;
		p->data[off + 2] = 0x11;          /* version 1, type 1; code 0 */
		put16(&p->data[off + 4], 0x1234); /* session id */
		/* off + 6: length, written once the payload is known */
		put16(&p->data[off + 8], ppp);
		off += 10;
	} else {
		put16(&p->data[off], n_mpls ? 0x8847 : proto);
		off += 2;
	}
	for (int i = 0; i < n_mpls; i++) {
		/* label 16 + i, TTL 64, bottom of stack on the last */
		uint32_t e = (uint32_t)(16 + i) << 12 | (i == n_mpls - 1 ? 1u << 8 : 0) | 64;

		put16(&p->data[off], (uint16_t)(e >> 16));
		put16(&p->data[off + 2], (uint16_t)e);
		off += 4;
	}
	if (n_mpls && s->mpls_cw)
		off += 4; /* control word: first nibble 0 */
	return off;
}

/* The PPPoE length covers the PPP protocol field and what follows, to end. */
static void put_pppoe_len(struct pkt *p, size_t end)
{
	if (p->pppoe)
		put16(&p->data[p->pppoe + 4], (uint16_t)(end - (p->pppoe + 6)));
}

/* Writes the L4 header at l4; returns its length. */
static size_t put_l4(uint8_t *h, const struct pkt_spec *s)
{
	switch (s->l4proto) {
	case IPPROTO_TCP:
		put16(h, s->sport);
		put16(h + 2, s->dport);
		h[12] = 5 << 4;
		h[13] = s->tcp_flags;
		return 20;
	case IPPROTO_UDP:
		put16(h, s->sport);
		put16(h + 2, s->dport);
		put16(h + 4, (uint16_t)(8 + s->payload));
		return 8;
	case IPPROTO_SCTP:
		put16(h, s->sport);
		put16(h + 2, s->dport);
		return 12;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		h[0] = s->icmp_type;
		h[1] = s->icmp_code;
		return 8;
	default:
		return 0;
	}
}

void pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	size_t l3 = put_eth(p, s, s->family == 4 ? 0x0800 : 0x86dd);
	uint8_t *ip = &p->data[l3];
	size_t off, l4len;

	p->l3 = l3;
	if (s->family == 4) {
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = s->l4proto;
		if (s->frag == 1)
			put16(&ip[6], 0x2000); /* MF, offset 0 */
		else if (s->frag == 2)
			put16(&ip[6], 0x2000 | 185); /* offset 1480 */
		memcpy(&ip[12], s->saddr, 4);
		memcpy(&ip[16], s->daddr, 4);
		off = l3 + 20;
	} else {
		uint8_t *nh = &ip[6];

		ip[0] = 0x60;
		ip[7] = 64;
		memcpy(&ip[8], s->saddr, 16);
		memcpy(&ip[24], s->daddr, 16);
		off = l3 + 40;
		for (int i = 0; i < s->n_ext; i++) {
			*nh = 60; /* destination options, 8 bytes */
			nh = &p->data[off];
			p->data[off + 1] = 0;
			p->data[off + 2] = 1; /* PadN */
			p->data[off + 3] = 4;
			off += 8;
		}
		if (s->frag) {
			*nh = 44;
			nh = &p->data[off];
			put16(&p->data[off + 2], s->frag == 2 ? (185 << 3) | 1 : 1);
			memcpy(&p->data[off + 4], "\x12\x34\x56\x78", 4);
			off += 8;
		}
		*nh = s->l4proto;
	}
	p->l4 = off;
	if (s->frag == 2) {
		/* The middle of a datagram: bytes that look like DNS to HTTP
		 * ports, a SYN, an ICMP echo request. */
		memcpy(&p->data[off],
		       "\x00\x35\x00\x50\x08\x00\x00\x00"
		       "\x00\x00\x00\x00\x50\x02\x00\x00",
		       16);
		l4len = 16;
	} else {
		l4len = put_l4(&p->data[off], s);
	}
	off += l4len + s->payload;
	if (s->family == 4)
		put16(&ip[2], (uint16_t)(off - l3));
	else
		put16(&ip[4], (uint16_t)(off - l3 - 40));
	put_pppoe_len(p, off);
	p->len = off < 60 ? 60 : off; /* Ethernet minimum: trailing padding */
}

void pkt_build_arp(struct pkt *p)
{
	struct pkt_spec none = { 0 };
	size_t off = put_eth(p, &none, 0x0806);

	put16(&p->data[off], 1); /* Ethernet */
	put16(&p->data[off + 2], 0x0800);
	p->data[off + 4] = 6;
	p->data[off + 5] = 4;
	put16(&p->data[off + 6], 1); /* request */
	p->len = 60;
	p->l3 = off;
	p->l4 = off;
}

int parse_addr(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}
