/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The reference matcher: the meaning of a ruleset, written as plainly as
 * possible. It walks the rules in order and returns the first that matches,
 * independent of the compiled tables, so it can judge them.
 */
#ifndef EDGEFW_MATCHER_H
#define EDGEFW_MATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "ruleset.h"

/* The header fields of an IP packet, as the datapath parses them. */
struct ef_packet {
	uint8_t family; /* EF_AF_INET or EF_AF_INET6 */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint8_t l4proto; /* IPv6: the header after the extension chain */
	uint8_t frag;    /* enum edgefw_frag */
	bool has_ports;  /* TCP/UDP/SCTP and the L4 header was read */
	uint16_t sport, dport;
	bool has_icmp; /* ICMP (proto 1) or ICMPv6 (58), header read */
	uint8_t icmp_type, icmp_code;
	bool has_tcp_flags; /* TCP, header read */
	uint8_t tcp_flags;  /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10
			     * URG 0x20 ECE 0x40 CWR 0x80 */
	int32_t vlan;       /* innermost tag id, or EF_VLAN_UNTAGGED */
	uint32_t hook;      /* enum edgefw_hook */
	const char *ifname; /* interface the hook runs on; NULL matches only
			     * rules without `interfaces` */
	uint8_t ct_state;   /* enum edgefw_ct_state the tracker gave it */
	/* For the compiled tables only (ef_compiled_lookup): the condition
	 * vector the datapath would compute, bit i for ef_ruleset.conds[i].
	 * The matcher ignores it and asks an ef_dyn_view. */
	uint8_t conds;
};

/* The state the tracker gives a packet of no tracked flow: new when it may
 * start one (a TCP SYN without ACK, RST or FIN; an ICMP echo request or
 * informational message; any UDP, SCTP or other datagram), invalid when it
 * cannot (other TCP segments, an echo reply, an ICMP error, a non-first
 * fragment, which carries no ports to find its flow by). */
uint8_t ef_ct_untracked_state(const struct ef_packet *pkt);

/* Dynamic state the rules may depend on (issue 16). member: whether addr
 * is in dynamic set `set` now. take: whether rule `rule`'s limit lets this
 * packet through, charging it when it does; it is asked only when every
 * other field of the rule matches and no earlier rule matched, exactly
 * once per such rule. Either may be NULL: sets are empty, limits let
 * everything through. */
struct ef_dyn_view {
	bool (*member)(void *arg, int32_t set, uint8_t family, const uint8_t addr[16]);
	bool (*take)(void *arg, int32_t rule, const struct ef_packet *pkt);
	void *arg;
};

/* The condition vector ef_match (no dynamic state: empty sets, limits
 * with room) corresponds to: every limit bit, and the bits of `not $set`
 * conditions. For ef_packet.conds when comparing with ef_match. */
uint8_t ef_default_conds(const struct ef_ruleset *rs);

/* ef_match with dynamic state: the first rule whose fields match, whose
 * dynamic sets hold (or, negated, do not hold) the packet's addresses, and
 * whose limit (asked last) lets the packet through. dv may be NULL. */
int ef_match_dyn(const struct ef_ruleset *rs, const struct ef_packet *pkt,
		 const struct ef_dyn_view *dv);

/* Index of the first rule that matches the packet, or -1 when none does.
 * Looks only at the rules: see ef_decide for the policies. */
int ef_match(const struct ef_ruleset *rs, const struct ef_packet *pkt);

/* Why a packet got its action. */
enum ef_decided_by {
	EF_BY_RULE = 0,
	EF_BY_DEFAULT,     /* no rule matched: defaults.<hook> */
	EF_BY_FRAG_POLICY, /* a non-first fragment: defaults.fragments */
};

struct ef_decision {
	enum ef_decided_by by;
	int rule;       /* EF_BY_RULE: index into rs->rules, else -1 */
	uint8_t action; /* enum edgefw_action */
};

/* The full decision for an IP packet that parsed: the fragment policy, then
 * the rules, then the hook's default. */
struct ef_decision ef_decide(const struct ef_ruleset *rs, const struct ef_packet *pkt);

/* Whether rule r matches pkt, field by field, for `explain`. */
bool ef_rule_matches(const struct ef_rule *r, const struct ef_packet *pkt);

/* The fields of a rule, in the order ef_rule_matches tests them. */
enum ef_rule_field {
	EF_RF_HOOK = 0,
	EF_RF_IFACE,
	EF_RF_SRC,
	EF_RF_DST,
	EF_RF_PROTO,
	EF_RF_SPORT,
	EF_RF_DPORT,
	EF_RF_ICMP_TYPE,
	EF_RF_ICMP_CODE,
	EF_RF_TCP_FLAGS,
	EF_RF_VLAN,
	EF_RF_FRAG,
	EF_RF_STATE,
	EF_RF_COUNT
};

/* Whether field f of rule r accepts pkt (a field not written accepts
 * every packet). ef_rule_matches is all of them. */
bool ef_rule_field_matches(const struct ef_rule *r, enum ef_rule_field f,
			   const struct ef_packet *pkt);

/* The field's name as the rule language writes it ("src", "tcp-flags"). */
const char *ef_rule_field_name(enum ef_rule_field f);

/* Whether a rule's `fragment` (enum ef_frag_match, EF_FRAG_*) matches a
 * packet's fragment state (enum edgefw_frag): the semantics, which the
 * classifier's protocol key (classes.c) uses too. A value the parser
 * never produces matches nothing. */
bool ef_frag_matches(uint8_t want, uint8_t frag);

#endif
