/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The reference packet parser: what the datapath must make of a frame,
 * written from rules/README.md ("What the datapath reads", `defaults`) and
 * kern/DESIGN.md, not from kern/parse.h. It reads the frame's bytes with
 * plain offsets checked against the frame's real length and the end of
 * each enclosing payload (PPPoE payload, IP datagram), and names either the
 * policy that decides the frame or the fields the rules see.
 *
 * ref_decide then gives the verdict and the counter that must count it:
 * the reference matcher (user/compiler/matcher.c) for an IP packet, the
 * ruleset's policy for everything else.
 */
#ifndef EDGEFW_TEST_REFPARSE_H
#define EDGEFW_TEST_REFPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"
#include "ruleset.h"

/* What the parse found: REF_IP goes to the rules, every other outcome to a
 * policy (and is counted under the reason of the same name). */
enum ref_outcome {
	REF_IP = 0,
	REF_NON_IP,         /* non-ip: not IPv4/IPv6, PPP control, discovery */
	REF_ND,             /* non-ip: ICMPv6 neighbour discovery (133-137) */
	REF_MALFORMED_L2,   /* Ethernet, VLAN, PPPoE, MPLS */
	REF_MALFORMED_L3,   /* IPv4/IPv6 header, lengths */
	REF_MALFORMED_EXT,  /* an IPv6 extension header */
	REF_MALFORMED_L4,   /* TCP, UDP, SCTP, ICMP header */
	REF_EXT_OVERFLOW,   /* ipv6-ext-overflow: more than 8 extension headers */
	REF_ENCAP_OVERFLOW, /* encap-overflow: past the VLAN/PPPoE/MPLS walk */
	REF_OUTCOMES
};

/* The frame as a hook sees it. */
struct ref_frame {
	const uint8_t *data;
	size_t len; /* the frame's real length: every byte of it is in data */
	bool gso;   /* tc only: a GSO skb, whose IP length may be 0 (BIG TCP) */
};

struct ref_parse {
	enum ref_outcome outcome;
	/* REF_IP: the fields the rules see (hook and ifname left unset).
	 * Otherwise what was learnt before the parse stopped, for messages. */
	struct ef_packet pkt;
	unsigned n_tags, n_labels; /* VLAN tags and MPLS labels walked */
	bool pppoe;
};

void ref_parse_frame(const struct ref_frame *f, struct ref_parse *out);

const char *ref_outcome_name(enum ref_outcome o);

/* Where a decision is counted. A rule's slot, or a reason; an unmatched IP
 * packet moves both default_stats[hook] and the default_pass/default_drop
 * reason. */
enum ref_counted {
	REF_BY_RULE = 0,
	REF_BY_DEFAULT,
	REF_BY_REASON,
};

struct ref_decision {
	uint8_t action; /* enum edgefw_action */
	enum ref_counted by;
	int rule;        /* REF_BY_RULE: index into rs->rules */
	unsigned reason; /* REF_BY_REASON and REF_BY_DEFAULT: the reason */
};

/* The decision for a parsed frame on hook (on interface ifname). */
struct ref_decision ref_decide(const struct ef_ruleset *rs, const struct ref_parse *p,
			       uint32_t hook, const char *ifname);

/* One line: the outcome and, for IP, the fields ("ipv4 10.66.1.1 ->
 * 198.51.100.1 proto 17 sport 40000 dport 53 vlan 300 not-frag"). */
void ref_parse_format(const struct ref_parse *p, char *buf, size_t len);

#endif
