/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Frames for datapath tests, built byte by byte. */
#ifndef EDGEFW_TEST_PACKETS_H
#define EDGEFW_TEST_PACKETS_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 256

struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;
};

struct pkt_spec {
	uint8_t family;     /* 4 or 6 */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint8_t l4proto;    /* IPPROTO_*; payload is zeros */
	uint16_t vlan[2];   /* tags to insert, outermost first */
	int n_vlan;
	uint16_t outer_tpid; /* 0x8100 default, 0x88a8 for QinQ */
	size_t payload;     /* L4 bytes after the IP header */
	uint8_t icmp6_type; /* when l4proto is ICMPv6 */
};

/* Builds Ethernet [+ VLAN tags] + IPv4/IPv6 + payload. Returns the offset
 * of the IP header. */
size_t pkt_build(struct pkt *p, const struct pkt_spec *s);
void pkt_build_arp(struct pkt *p);

int parse_addr(const char *s, uint8_t *family, uint8_t addr[16]);

#endif
