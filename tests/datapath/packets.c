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

static size_t put_eth(struct pkt *p, const struct pkt_spec *s, uint16_t proto)
{
	size_t off = 12;

	memset(p->data, 0, sizeof(p->data));
	memcpy(p->data, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	for (int i = 0; i < s->n_vlan; i++) {
		uint16_t tpid = (i == 0 && s->outer_tpid) ? s->outer_tpid : 0x8100;

		put16(&p->data[off], tpid);
		put16(&p->data[off + 2], s->vlan[i]);
		off += 4;
	}
	put16(&p->data[off], proto);
	return off + 2;
}

size_t pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	size_t l3 = put_eth(p, s, s->family == 4 ? 0x0800 : 0x86dd);
	uint8_t *ip = &p->data[l3];
	size_t l4;

	if (s->family == 4) {
		ip[0] = 0x45;
		put16(&ip[2], (uint16_t)(20 + s->payload));
		ip[8] = 64;
		ip[9] = s->l4proto;
		memcpy(&ip[12], s->saddr, 4);
		memcpy(&ip[16], s->daddr, 4);
		l4 = l3 + 20;
	} else {
		ip[0] = 0x60;
		put16(&ip[4], (uint16_t)s->payload);
		ip[6] = s->l4proto;
		ip[7] = 64;
		memcpy(&ip[8], s->saddr, 16);
		memcpy(&ip[24], s->daddr, 16);
		l4 = l3 + 40;
		if (s->l4proto == IPPROTO_ICMPV6 && s->payload)
			p->data[l4] = s->icmp6_type;
	}
	p->len = l4 + s->payload;
	if (p->len < 60)
		p->len = 60; /* Ethernet minimum: trailing padding */
	return l3;
}

void pkt_build_arp(struct pkt *p)
{
	struct pkt_spec none = { 0 };
	size_t off = put_eth(p, &none, 0x0806);

	put16(&p->data[off], 1);        /* Ethernet */
	put16(&p->data[off + 2], 0x0800);
	p->data[off + 4] = 6;
	p->data[off + 5] = 4;
	put16(&p->data[off + 6], 1);    /* request */
	p->len = 60;
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
