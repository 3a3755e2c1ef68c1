// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The datapath's lookups over the compiled tables, in userspace: what the
 * tests compare with the reference matcher, and what explain can show. */
#include <string.h>

#include "addr4.h"
#include "classify.h"
#include "matcher.h"
#include "tree.h"

static uint32_t addr_class(const struct ef_compiled *c, uint8_t field, const struct ef_packet *p)
{
	const uint8_t *addr = field == EF_FIELD_SRC ? p->saddr : p->daddr;

	if (p->family == EF_AF_INET)
		return ef_addr4_class(c, field, addr);
	return ef_addr6_class(c, field, addr);
}

static uint32_t packet_class(const struct ef_compiled *c, unsigned dim, const struct ef_packet *p)
{
	uint32_t v;

	switch (dim) {
	case EDGEFW_DIM_SRC:
		return addr_class(c, EF_FIELD_SRC, p);
	case EDGEFW_DIM_DST:
		return addr_class(c, EF_FIELD_DST, p);
	case EDGEFW_DIM_PROTO:
		return c->leaf[EDGEFW_LEAF_PROTO_OFF +
			       (((uint32_t)(p->ct_state & 3) << 8) + p->l4proto) *
				       EDGEFW_FRAG_STATES +
			       p->frag];
	case EDGEFW_DIM_SPORT:
		v = p->has_ports ? p->sport : p->has_icmp ? p->icmp_type : EDGEFW_NO_L4;
		return c->leaf[EDGEFW_LEAF_SPORT_OFF + v];
	case EDGEFW_DIM_DPORT:
		v = p->has_ports ? p->dport : p->has_icmp ? p->icmp_code : EDGEFW_NO_L4;
		return c->leaf[EDGEFW_LEAF_DPORT_OFF + v];
	case EDGEFW_DIM_FLAGS:
		v = p->has_tcp_flags ? p->tcp_flags : EDGEFW_NO_FLAGS;
		return c->leaf[EDGEFW_LEAF_FLAGS_OFF + v];
	case EDGEFW_DIM_VLAN:
		v = p->vlan < 0 || p->vlan > EDGEFW_UNTAGGED ? EDGEFW_UNTAGGED : (uint32_t)p->vlan;
		return c->leaf[EDGEFW_LEAF_VLAN_OFF + v];
	case EDGEFW_DIM_COND:
		return c->leaf[EDGEFW_LEAF_COND_OFF + p->conds];
	default: {
		const char *name = p->ifname ? p->ifname : "";
		uint32_t fallback = EDGEFW_CLASS_NONE;

		for (size_t i = 0; i < c->n_ctx; i++) {
			if (c->ctx[i].hook != p->hook)
				continue;
			if (name[0] && !strcmp(c->ctx[i].ifname, name))
				return c->ctx[i].class_id;
			if (!c->ctx[i].ifname[0])
				fallback = c->ctx[i].class_id;
		}
		return fallback;
	}
	}
}

/* The chain's rule for the packet, or -1; also -1 as soon as the class so
 * far can match no rule below best, as kern/classifier.h stops. */
static int32_t chain_lookup(const struct ef_compiled *c, const struct ef_packet *p, uint32_t best)
{
	uint32_t cur = c->n_dims ? packet_class(c, c->dims[0], p) : c->root_class;

	for (unsigned i = 1; i < c->n_dims && cur != EDGEFW_CLASS_NONE; i++) {
		const struct edgefw_stage *st = &c->stages[i];
		uint32_t next;
		bool found = false;

		if (best != EDGEFW_RULE_NONE && c->classes[cur].min_rule >= best)
			return -1;
		next = packet_class(c, c->dims[i], p);

		if (next == EDGEFW_CLASS_NONE)
			return -1;
		if (st->width) {
			cur = c->cells[st->base + (cur - st->row0) * st->width + next];
			continue;
		}
		for (size_t j = 0; j < c->n_chain; j++) {
			if (c->chain[j].key.cur == cur && c->chain[j].key.next == next) {
				cur = c->chain[j].next;
				found = true;
				break;
			}
		}
		if (!found)
			cur = c->classes[cur].miss;
	}
	if (cur == EDGEFW_CLASS_NONE)
		return -1;
	return c->classes[cur].rule;
}

static uint32_t word_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void ef_tree_key(const struct ef_packet *p, uint32_t key[EDGEFW_TK_WORDS], uint32_t *flags)
{
	unsigned words = p->family == EF_AF_INET ? 1 : 4;

	memset(key, 0, EDGEFW_TK_WORDS * sizeof(*key));
	for (unsigned w = 0; w < words; w++) {
		key[EDGEFW_TK_SRC + w] = word_at(&p->saddr[4 * w]);
		key[EDGEFW_TK_DST + w] = word_at(&p->daddr[4 * w]);
	}
	key[EDGEFW_TK_SPORT] = p->has_ports ? p->sport : p->has_icmp ? p->icmp_type : EDGEFW_NO_L4;
	key[EDGEFW_TK_DPORT] = p->has_ports ? p->dport : p->has_icmp ? p->icmp_code : EDGEFW_NO_L4;
	key[EDGEFW_TK_PROTO] = (uint32_t)p->l4proto * EDGEFW_FRAG_STATES + p->frag;
	key[EDGEFW_TK_VLAN] =
		p->vlan < 0 || p->vlan > EDGEFW_UNTAGGED ? EDGEFW_UNTAGGED : (uint32_t)p->vlan;
	*flags = p->has_tcp_flags ? p->tcp_flags : EDGEFW_NO_FLAGS;
}

/* In the datapath's order: the trees, then the chain when it may hold a
 * lower rule, bounded by the trees' (kern/classifier.h, classify). */
int ef_compiled_lookup(const struct ef_compiled *c, const struct ef_packet *p)
{
	uint32_t best = EDGEFW_RULE_NONE, key[EDGEFW_TK_WORDS], flags;
	int32_t rule;

	if (c->n_trees) {
		ef_tree_key(p, key, &flags);
		for (unsigned t = 0; t < c->n_trees; t++)
			if (c->trees[t].family == p->family)
				best = ef_tree_lookup(c, t, key, flags, p->hook, best);
	}
	if (best > c->chain_min_rule) {
		rule = chain_lookup(c, p, best);
		if (rule >= 0 && (uint32_t)rule < best)
			best = (uint32_t)rule;
	}
	return best == EDGEFW_RULE_NONE ? -1 : (int)best;
}
