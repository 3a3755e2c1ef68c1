// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The reference matcher. Each field is tested the way ruleset.h defines it,
 * with no precomputation, so that a reader can check it against the
 * language reference line by line.
 */
#include "matcher.h"

#include <fnmatch.h>

static const char *const field_names[EF_RF_COUNT] = {
	[EF_RF_HOOK] = "hooks",
	[EF_RF_IFACE] = "interfaces",
	[EF_RF_SRC] = "src",
	[EF_RF_DST] = "dst",
	[EF_RF_PROTO] = "proto",
	[EF_RF_SPORT] = "sport",
	[EF_RF_DPORT] = "dport",
	[EF_RF_ICMP_TYPE] = "icmp-type",
	[EF_RF_ICMP_CODE] = "icmp-code",
	[EF_RF_TCP_FLAGS] = "tcp-flags",
	[EF_RF_VLAN] = "vlan",
	[EF_RF_FRAG] = "fragment",
	[EF_RF_STATE] = "state",
};

const char *ef_rule_field_name(enum ef_rule_field f)
{
	return f < EF_RF_COUNT ? field_names[f] : "?";
}

/* Negation is family-scoped: a negated field matches only addresses of a
 * family it lists prefixes of. */
static bool addr_matches(const struct ef_addr_field *f, uint8_t family, const uint8_t addr[16])
{
	bool covered = false, in = false;

	if (f->any)
		return true;
	for (size_t i = 0; i < f->n; i++) {
		covered |= f->v[i].family == family;
		in |= ef_prefix_match(&f->v[i], family, addr);
	}
	return f->negate ? covered && !in : in;
}

/* A rule with ports matches only packets that carry ports; an empty list
 * matches nothing, negated or not. */
static bool port_matches(const struct ef_port_field *f, bool has_ports, uint16_t port)
{
	bool in = false;

	if (f->any)
		return true;
	if (!has_ports || !f->n)
		return false;
	for (size_t i = 0; i < f->n; i++)
		in |= f->v[i].lo <= port && port <= f->v[i].hi;
	return f->negate ? !in : in;
}

static bool iface_matches(const struct ef_rule *r, const char *ifname)
{
	if (!r->n_ifaces)
		return true;
	if (!ifname)
		return false;
	for (size_t i = 0; i < r->n_ifaces; i++)
		if (!fnmatch(r->ifaces[i], ifname, 0))
			return true;
	return false;
}

bool ef_frag_matches(uint8_t want, uint8_t frag)
{
	switch (want) {
	case EF_FRAG_ANY:
		return true;
	case EF_FRAG_NO:
		return frag == EDGEFW_FRAG_NONE;
	case EF_FRAG_FIRST:
		return frag == EDGEFW_FRAG_FIRST;
	case EF_FRAG_LATER:
		return frag == EDGEFW_FRAG_LATER;
	case EF_FRAG_YES:
		return frag == EDGEFW_FRAG_FIRST || frag == EDGEFW_FRAG_LATER;
	default:
		return false;
	}
}

bool ef_rule_field_matches(const struct ef_rule *r, enum ef_rule_field f,
			   const struct ef_packet *pkt)
{
	/* A non-first fragment has no L4 header, whatever the flags say. */
	bool later = pkt->frag == EDGEFW_FRAG_LATER;
	bool ports = pkt->has_ports && !later;
	bool icmp = pkt->has_icmp && !later;
	bool flags = pkt->has_tcp_flags && !later;

	switch (f) {
	case EF_RF_HOOK:
		return pkt->hook < EDGEFW_HOOK_COUNT && (r->hooks >> pkt->hook) & 1;
	case EF_RF_IFACE:
		return iface_matches(r, pkt->ifname);
	case EF_RF_SRC:
		return addr_matches(&r->src, pkt->family, pkt->saddr);
	case EF_RF_DST:
		return addr_matches(&r->dst, pkt->family, pkt->daddr);
	case EF_RF_PROTO:
		return ef_rule_has_proto(r, pkt->l4proto);
	case EF_RF_SPORT:
		return port_matches(&r->sport, ports, pkt->sport);
	case EF_RF_DPORT:
		return port_matches(&r->dport, ports, pkt->dport);
	case EF_RF_ICMP_TYPE:
		return r->icmp_type < 0 || (icmp && pkt->icmp_type == r->icmp_type);
	case EF_RF_ICMP_CODE:
		return r->icmp_code < 0 || (icmp && pkt->icmp_code == r->icmp_code);
	case EF_RF_TCP_FLAGS:
		return !r->tcp_flags_mask ||
		       (flags && (pkt->tcp_flags & r->tcp_flags_mask) == r->tcp_flags_value);
	case EF_RF_VLAN:
		return r->vlan == EF_VLAN_ANY || r->vlan == pkt->vlan;
	case EF_RF_FRAG:
		return ef_frag_matches(r->frag, pkt->frag);
	case EF_RF_STATE:
		return !r->states ||
		       (pkt->ct_state < EDGEFW_CT_STATES && (r->states >> pkt->ct_state) & 1);
	default:
		return false;
	}
}

uint8_t ef_ct_untracked_state(const struct ef_packet *pkt)
{
	uint8_t t = pkt->icmp_type;
	bool v4 = pkt->l4proto == 1, error, reply;

	if (pkt->frag == EDGEFW_FRAG_LATER)
		return EDGEFW_CT_INVALID;
	if (pkt->l4proto == 6)
		return pkt->has_tcp_flags && (pkt->tcp_flags & 0x17) == 0x02 ? EDGEFW_CT_NEW
									     : EDGEFW_CT_INVALID;
	if ((pkt->l4proto == 1 || pkt->l4proto == 58) && pkt->has_icmp) {
		/* v4: unreachable, time exceeded, parameter problem; v6:
		 * unreachable, packet too big, time exceeded, parameter
		 * problem. Echo replies: 0 and 129. */
		error = v4 ? (t == 3 || t == 11 || t == 12) : (t >= 1 && t <= 4);
		reply = v4 ? t == 0 : t == 129;
		return error || reply ? EDGEFW_CT_INVALID : EDGEFW_CT_NEW;
	}
	return EDGEFW_CT_NEW;
}

bool ef_rule_matches(const struct ef_rule *r, const struct ef_packet *pkt)
{
	for (int f = 0; f < EF_RF_COUNT; f++)
		if (!ef_rule_field_matches(r, (enum ef_rule_field)f, pkt))
			return false;
	return true;
}

/* A dynamic set condition: membership now, per the view (an absent view
 * is empty sets), negated by `not`. */
static bool dyn_addr_holds(const struct ef_addr_field *f, uint8_t family, const uint8_t addr[16],
			   const struct ef_dyn_view *dv)
{
	bool in = false;

	if (!f->dyn_set)
		return true;
	if (dv && dv->member)
		in = dv->member(dv->arg, (int32_t)f->dyn_set - 1, family, addr);
	return f->dyn_negate ? !in : in;
}

int ef_match_dyn(const struct ef_ruleset *rs, const struct ef_packet *pkt,
		 const struct ef_dyn_view *dv)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		if (!ef_rule_matches(r, pkt) ||
		    !dyn_addr_holds(&r->src, pkt->family, pkt->saddr, dv) ||
		    !dyn_addr_holds(&r->dst, pkt->family, pkt->daddr, dv))
			continue;
		/* The limit last: only a packet the rule would otherwise
		 * decide is charged; over the limit, the next rules decide. */
		if (r->limit.on && dv && dv->take && !dv->take(dv->arg, (int32_t)i, pkt))
			continue;
		return (int)i;
	}
	return -1;
}

uint8_t ef_default_conds(const struct ef_ruleset *rs)
{
	uint8_t v = 0;

	for (size_t i = 0; i < rs->n_conds && i < 8; i++)
		if (rs->conds[i].kind == EDGEFW_COND_LIMIT || rs->conds[i].negate)
			v |= (uint8_t)(1u << i);
	return v;
}

int ef_match(const struct ef_ruleset *rs, const struct ef_packet *pkt)
{
	return ef_match_dyn(rs, pkt, NULL);
}

struct ef_decision ef_decide(const struct ef_ruleset *rs, const struct ef_packet *pkt)
{
	struct ef_decision d = { .by = EF_BY_DEFAULT, .rule = -1 };

	if (pkt->frag == EDGEFW_FRAG_LATER && rs->frag_policy != EF_FRAGPOL_RULES) {
		d.by = EF_BY_FRAG_POLICY;
		d.action = rs->frag_policy == EF_FRAGPOL_PASS ? EDGEFW_ACT_PASS : EDGEFW_ACT_DROP;
		return d;
	}
	d.rule = ef_match(rs, pkt);
	if (d.rule >= 0) {
		d.by = EF_BY_RULE;
		d.action = rs->rules[d.rule].action;
	} else {
		d.action = pkt->hook < EDGEFW_HOOK_COUNT ? rs->default_action[pkt->hook]
							 : EDGEFW_ACT_PASS;
	}
	return d;
}
