/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Frames for datapath tests, built byte by byte. */
#ifndef EDGEFW_TEST_PACKETS_H
#define EDGEFW_TEST_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 512
#define PKT_MAX_TAGS 6
#define PKT_MAX_LABELS 6

struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;
	size_t l3;    /* offset of the IP header */
	size_t l4;    /* offset of the L4 header (or of the fragment's data) */
	size_t pppoe; /* offset of the PPPoE header, 0 when none */
};

struct pkt_spec {
	uint8_t family; /* 4 or 6 */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint8_t l4proto;             /* IPPROTO_* */
	uint16_t vlan[PKT_MAX_TAGS]; /* tags to insert, outermost first */
	int n_vlan;
	uint16_t outer_tpid;         /* 0x8100 default, 0x88a8 for QinQ */
	uint16_t tpid[PKT_MAX_TAGS]; /* per tag; 0: outer_tpid, then 0x8100 */
	bool pppoe;                  /* a PPPoE session header after the tags */
	uint16_t ppp_proto;          /* 0: IPv4, IPv6 or MPLS as the rest says */
	int n_mpls;                  /* MPLS labels after the tags (and PPPoE) */
	bool mpls_cw;                /* a pseudowire control word after the labels */
	uint8_t frag;                /* 0 not a fragment, 1 first, 2 later */
	int n_ext;                   /* IPv6: destination-options headers before L4 */
	uint16_t sport, dport;       /* TCP, UDP, SCTP */
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags;
	size_t payload; /* bytes after the L4 header */
};

/* Builds Ethernet [+ VLAN tags] [+ PPPoE] [+ MPLS labels [+ control word]]
 * + IPv4/IPv6 [+ extension headers] + L4 +
 * payload. A later fragment carries bytes that would read as ports 53/80
 * and as SYN, so a parser that looks there would be caught. */
void pkt_build(struct pkt *p, const struct pkt_spec *s);
void pkt_build_arp(struct pkt *p);

int parse_addr(const char *s, uint8_t *family, uint8_t addr[16]);

#endif
