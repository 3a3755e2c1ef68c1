// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Leaf classes: for each field, the sets of rules its values allow. A
 * packet's value of a field maps to one class, the set of the rules that
 * field lets through; rules that do not constrain the field are in every
 * class of it. Classes are interned, so a field with 100,000 prefixes
 * naming one rule has one class.
 *
 * Why classes for addresses: the kernel's LPM trie returns the longest
 * matching prefix, but first-match-wins needs every rule that matches. If
 * each listed prefix carries the set of rules matching any address in it
 * (its own rules plus those of every enclosing prefix), the longest match
 * for an address carries exactly the rules matching that address: any rule
 * prefix containing the address either contains the longest match or would
 * itself be longer. addr4.c turns those prefixes into array tries.
 */
#include "classify_internal.h"
#include "matcher.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- which fields a rule constrains, and which values it allows --- */

bool cl_constrains(const struct ef_rule *r, unsigned dim)
{
	switch (dim) {
	case EDGEFW_DIM_SRC:
		return !r->src.any;
	case EDGEFW_DIM_DST:
		return !r->dst.any;
	case EDGEFW_DIM_PROTO: /* with the fragment and connection states */
		return !r->proto_any || r->frag != EF_FRAG_ANY || r->states;
	case EDGEFW_DIM_SPORT:
		return !r->sport.any || r->icmp_type >= 0;
	case EDGEFW_DIM_DPORT:
		return !r->dport.any || r->icmp_code >= 0;
	case EDGEFW_DIM_FLAGS:
		return r->tcp_flags_mask != 0;
	case EDGEFW_DIM_VLAN:
		return r->vlan != EF_VLAN_ANY;
	case EDGEFW_DIM_CTX:
		return r->hooks != EF_HOOKS_ALL || r->n_ifaces > 0;
	case EDGEFW_DIM_COND:
		return r->cond_mask != 0;
	default:
		return false;
	}
}

bool cl_frag_allows(uint8_t want, unsigned state)
{
	return state < EDGEFW_FRAG_STATES && ef_frag_matches(want, (uint8_t)state);
}

static bool ctx_allows(const struct ef_rule *r, const char *ifname, uint32_t hook)
{
	if (!(r->hooks & (1u << hook)))
		return false;
	if (!r->n_ifaces)
		return true;
	if (!ifname[0])
		return false;
	for (size_t i = 0; i < r->n_ifaces; i++)
		if (!fnmatch(r->ifaces[i], ifname, 0))
			return true;
	return false;
}

/* --- leaf classes --- */

static int table_push(struct ef_lpm_table *t, size_t *cap, const struct ef_prefix *pf,
		      uint32_t class_id)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct ef_lpm_entry *v = realloc(t->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		*cap = ncap;
	}
	t->v[t->n] = (struct ef_lpm_entry){ .prefix = *pf, .class_id = class_id };
	t->n++;
	return 0;
}

struct prefix_rule {
	struct ef_prefix prefix;
	uint32_t rule;
};

static int cmp_prefix_rule(const void *a, const void *b)
{
	const struct prefix_rule *x = a, *y = b;
	int c = ef_prefix_cmp(&x->prefix, &y->prefix);

	if (c)
		return c;
	return (x->rule > y->rule) - (x->rule < y->rule);
}

/* Interns any | (contained ^ neg): rules with the field unwritten, plus
 * the others whose containment (flipped when negated) says they match. */
static int intern_addr_set(struct set_pool *pool, const word_t *any, const word_t *contained,
			   const word_t *neg, word_t *tmp, uint32_t *id)
{
	for (size_t w = 0; w < pool->words; w++)
		tmp[w] = any[w] | (contained[w] ^ neg[w]);
	return cl_pool_intern(pool, tmp, id, NULL);
}

/* The scratch sets of one address table: rules with the field unwritten,
 * rules that negate it, and a set to build in. */
struct addr_sets {
	word_t *any, *neg, *tmp;
};

/* Every (prefix, rule) pair of address field dim and one family, sorted
 * by prefix; fills as->any and as->neg on the way. free(*out). */
static int collect_prefixes(struct compiler *cp, unsigned dim, uint8_t family, struct addr_sets *as,
			    struct prefix_rule **out, size_t *n_out)
{
	struct prefix_rule *pairs;
	size_t n_pairs = 0;

	for (size_t r = 0; r < cp->n_rules; r++) {
		const struct ef_rule *rule = cl_rule(cp, r);
		const struct ef_addr_field *fld = dim == EDGEFW_DIM_SRC ? &rule->src : &rule->dst;

		if (!ef_rule_has_family(rule, family))
			continue;
		if (fld->any) {
			bit_set(as->any, r);
			continue;
		}
		if (fld->negate)
			bit_set(as->neg, r);
		for (size_t i = 0; i < fld->n; i++)
			n_pairs += fld->v[i].family == family;
	}
	if (n_pairs > EF_MAX_LPM_ENTRIES) {
		ef_err(cp->d, cp->rs->path, 0, 0, "%zu %s %s prefixes exceed the table limit of %u",
		       n_pairs, family == EF_AF_INET ? "IPv4" : "IPv6", ef_dim_name(dim),
		       EF_MAX_LPM_ENTRIES);
		return -E2BIG;
	}
	pairs = malloc((n_pairs ? n_pairs : 1) * sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	n_pairs = 0;
	for (size_t r = 0; r < cp->n_rules; r++) {
		const struct ef_rule *rule = cl_rule(cp, r);
		const struct ef_addr_field *fld = dim == EDGEFW_DIM_SRC ? &rule->src : &rule->dst;

		if (!ef_rule_has_family(rule, family) || fld->any)
			continue;
		for (size_t i = 0; i < fld->n; i++) {
			if (fld->v[i].family != family)
				continue;
			pairs[n_pairs].prefix = fld->v[i];
			pairs[n_pairs].rule = (uint32_t)r;
			n_pairs++;
		}
	}
	qsort(pairs, n_pairs, sizeof(*pairs), cmp_prefix_rule);
	*out = pairs;
	*n_out = n_pairs;
	return 0;
}

/* Sorted order visits a prefix before the prefixes inside it, so a stack
 * of enclosing prefixes gives each one the rules containing it. stack[0]
 * is the empty set of the /0 level. Sets *has_default when a /0 is listed. */
static int table_from_prefixes(struct compiler *cp, unsigned dim, const struct addr_sets *as,
			       const struct prefix_rule *pairs, size_t n_pairs,
			       struct ef_lpm_table *out, size_t *cap, bool *has_default)
{
	struct set_pool *pool = &cp->leaf[dim];
	const size_t words = cp->words;
	word_t *stack = calloc(words * 130, sizeof(*stack));
	struct ef_prefix stack_pfx[129];
	size_t depth = 0;
	uint32_t id;
	int ret = 0;

	if (!stack)
		return -ENOMEM;
	for (size_t i = 0; i < n_pairs && !ret;) {
		const struct ef_prefix *pf = &pairs[i].prefix;
		word_t *set;

		while (depth && !ef_prefix_contains(&stack_pfx[depth - 1], pf))
			depth--;
		set = &stack[(depth + 1) * words];
		memcpy(set, &stack[depth * words], words * sizeof(*set));
		for (; i < n_pairs && !ef_prefix_cmp(&pairs[i].prefix, pf); i++)
			bit_set(set, pairs[i].rule);
		stack_pfx[depth++] = *pf;
		*has_default |= pf->len == 0;

		ret = intern_addr_set(pool, as->any, set, as->neg, as->tmp, &id);
		if (!ret)
			ret = table_push(out, cap, pf, id);
	}
	free(stack);
	return ret;
}

/* Fills one LPM table: address field f of one family. */
static int build_addr(struct compiler *cp, unsigned dim, uint8_t family, struct ef_lpm_table *out)
{
	struct set_pool *pool = &cp->leaf[dim];
	const size_t words = cp->words;
	struct addr_sets as = { 0 };
	struct prefix_rule *pairs = NULL;
	size_t n_pairs = 0, cap = 0;
	bool has_default = false;
	uint32_t id;
	int ret;

	as.any = calloc(words, sizeof(*as.any));
	as.neg = calloc(words, sizeof(*as.neg));
	as.tmp = calloc(words, sizeof(*as.tmp));
	ret = as.any && as.neg && as.tmp ? 0 : -ENOMEM;
	if (!ret)
		ret = collect_prefixes(cp, dim, family, &as, &pairs, &n_pairs);
	if (!ret)
		ret = table_from_prefixes(cp, dim, &as, pairs, n_pairs, out, &cap, &has_default);
	/* Addresses under no listed prefix match the rules with the field
	 * unwritten and the negated ones. */
	if (!ret && !has_default) {
		struct ef_prefix all = { .family = family, .len = 0 };

		for (size_t w = 0; w < words; w++)
			as.tmp[w] = as.any[w] | as.neg[w];
		if (!set_empty(as.tmp, words)) {
			ret = cl_pool_intern(pool, as.tmp, &id, NULL);
			if (!ret)
				ret = table_push(out, &cap, &all, id);
		}
	}
	free(pairs);
	free(as.any);
	free(as.neg);
	free(as.tmp);
	return ret;
}

/* Rules with the dimension unwritten belong to every value's set. */
static void base_set(const struct compiler *cp, unsigned dim, word_t *s)
{
	memcpy(s, cp->unconstrained[dim], cp->words * sizeof(*s));
}

static int build_proto(struct compiler *cp)
{
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (unsigned v = 0; v < EDGEFW_LEAF_PROTO_LEN && !ret; v++) {
		uint8_t proto = (uint8_t)(v / EDGEFW_FRAG_STATES % 256);
		unsigned state = v / EDGEFW_FRAG_STATES / 256;

		base_set(cp, EDGEFW_DIM_PROTO, s);
		for (size_t r = 0; r < cp->n_rules; r++) {
			const struct ef_rule *rule = cl_rule(cp, r);

			if (cl_constrains(rule, EDGEFW_DIM_PROTO) &&
			    ef_rule_has_proto(rule, proto) &&
			    cl_frag_allows(rule->frag, v % EDGEFW_FRAG_STATES) &&
			    (!rule->states || (rule->states >> state) & 1))
				bit_set(s, r);
		}
		ret = cl_pool_intern(&cp->leaf[EDGEFW_DIM_PROTO], s,
				     &cp->out->leaf[EDGEFW_LEAF_PROTO_OFF + v], NULL);
	}
	free(s);
	return ret;
}

struct port_event {
	uint32_t pos;
	uint32_t rule;
	int32_t delta;
};

static int cmp_event(const void *a, const void *b)
{
	const struct port_event *x = a, *y = b;

	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The port-like field of a rule: its ranges, or its ICMP type/code as a
 * one-value range. */
static void port_ranges(const struct ef_rule *r, bool dst, const struct ef_port_range **v,
			size_t *n, struct ef_port_range *icmp, bool *negate)
{
	const struct ef_port_field *f = dst ? &r->dport : &r->sport;
	int16_t t = dst ? r->icmp_code : r->icmp_type;

	*negate = false;
	if (!f->any) {
		*v = f->v;
		*n = f->n;
		*negate = f->negate && f->n > 0;
		return;
	}
	icmp->lo = icmp->hi = (uint16_t)t;
	*v = icmp;
	*n = 1;
}

/* Sweeps 0..65535 once: between two range boundaries the set of rules is
 * constant, so each elementary interval is interned once. */
static int build_ports(struct compiler *cp, unsigned dim)
{
	const bool dst = dim == EDGEFW_DIM_DPORT;
	const uint32_t off = dst ? EDGEFW_LEAF_DPORT_OFF : EDGEFW_LEAF_SPORT_OFF;
	struct set_pool *pool = &cp->leaf[dim];
	struct port_event *ev = NULL;
	uint32_t *cnt = NULL;
	word_t *s = NULL, *neg = NULL;
	size_t n_ev = 0, cap = 0, e = 0;
	uint32_t id;
	int ret = 0;

	s = malloc(cp->words * sizeof(*s));
	neg = calloc(cp->words, sizeof(*neg));
	cnt = calloc(cp->n_rules + 1, sizeof(*cnt));
	if (!s || !neg || !cnt) {
		ret = -ENOMEM;
		goto out;
	}
	base_set(cp, dim, s);
	for (size_t r = 0; r < cp->n_rules; r++) {
		const struct ef_port_range *v;
		struct ef_port_range icmp;
		bool negate;
		size_t n;

		if (!cl_constrains(cl_rule(cp, r), dim))
			continue;
		port_ranges(cl_rule(cp, r), dst, &v, &n, &icmp, &negate);
		if (negate) {
			bit_set(neg, r);
			bit_set(s, r);
		}
		for (size_t i = 0; i < n; i++) {
			if (n_ev + 2 > cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct port_event *nv = realloc(ev, ncap * sizeof(*nv));

				if (!nv) {
					ret = -ENOMEM;
					goto out;
				}
				ev = nv;
				cap = ncap;
			}
			ev[n_ev++] = (struct port_event){ v[i].lo, (uint32_t)r, 1 };
			ev[n_ev++] = (struct port_event){ (uint32_t)v[i].hi + 1, (uint32_t)r, -1 };
		}
	}
	if (n_ev)
		qsort(ev, n_ev, sizeof(*ev), cmp_event);

	for (uint32_t pos = 0; pos < 65536;) {
		uint32_t end = 65536;

		for (; e < n_ev && ev[e].pos == pos; e++) {
			uint32_t r = ev[e].rule;

			cnt[r] = (uint32_t)((int32_t)cnt[r] + ev[e].delta);
			if ((cnt[r] > 0) != bit_test(neg, r))
				bit_set(s, r);
			else
				bit_clear(s, r);
		}
		if (e < n_ev && ev[e].pos < end)
			end = ev[e].pos;
		ret = cl_pool_intern(pool, s, &id, NULL);
		if (ret)
			goto out;
		for (uint32_t p = pos; p < end; p++)
			cp->out->leaf[off + p] = id;
		pos = end;
	}
	/* No ports in the packet: only rules without the field. */
	base_set(cp, dim, s);
	ret = cl_pool_intern(pool, s, &cp->out->leaf[off + EDGEFW_NO_L4], NULL);
out:
	free(ev);
	free(cnt);
	free(s);
	free(neg);
	return ret;
}

static int build_flags(struct compiler *cp)
{
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (unsigned v = 0; v <= EDGEFW_NO_FLAGS && !ret; v++) {
		base_set(cp, EDGEFW_DIM_FLAGS, s);
		for (size_t r = 0; r < cp->n_rules && v < EDGEFW_NO_FLAGS; r++) {
			const struct ef_rule *rule = cl_rule(cp, r);

			if (rule->tcp_flags_mask &&
			    (v & rule->tcp_flags_mask) == rule->tcp_flags_value)
				bit_set(s, r);
		}
		ret = cl_pool_intern(&cp->leaf[EDGEFW_DIM_FLAGS], s,
				     &cp->out->leaf[EDGEFW_LEAF_FLAGS_OFF + v], NULL);
	}
	free(s);
	return ret;
}

static int build_vlan(struct compiler *cp)
{
	uint32_t *first = NULL, *next = NULL;
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	first = malloc((EDGEFW_UNTAGGED + 1) * sizeof(*first));
	next = malloc((cp->n_rules + 1) * sizeof(*next));
	if (!s || !first || !next) {
		ret = -ENOMEM;
		goto out;
	}
	/* Rules bucketed by the one VLAN value they allow. */
	memset(first, 0xff, (EDGEFW_UNTAGGED + 1) * sizeof(*first));
	for (size_t r = cp->n_rules; r-- > 0;) {
		int32_t v = cl_rule(cp, r)->vlan;

		if (v == EF_VLAN_ANY || v < 0 || v > EDGEFW_UNTAGGED)
			continue;
		next[r] = first[v];
		first[v] = (uint32_t)r;
	}
	for (unsigned v = 0; v <= EDGEFW_UNTAGGED && !ret; v++) {
		base_set(cp, EDGEFW_DIM_VLAN, s);
		for (uint32_t r = first[v]; r != UINT32_MAX; r = next[r])
			bit_set(s, r);
		ret = cl_pool_intern(&cp->leaf[EDGEFW_DIM_VLAN], s,
				     &cp->out->leaf[EDGEFW_LEAF_VLAN_OFF + v], NULL);
	}
out:
	free(s);
	free(first);
	free(next);
	return ret;
}

/* Dynamic conditions (issue 16): the packet's condition vector v allows a
 * rule when it holds every condition the rule needs. */
static int build_cond(struct compiler *cp)
{
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (unsigned v = 0; v < EDGEFW_LEAF_COND_LEN && !ret; v++) {
		base_set(cp, EDGEFW_DIM_COND, s);
		for (size_t r = 0; r < cp->n_rules; r++) {
			unsigned need = cl_rule(cp, r)->cond_mask;

			if (need && (v & need) == need)
				bit_set(s, r);
		}
		ret = cl_pool_intern(&cp->leaf[EDGEFW_DIM_COND], s,
				     &cp->out->leaf[EDGEFW_LEAF_COND_OFF + v], NULL);
	}
	free(s);
	return ret;
}

static int build_ctx(struct compiler *cp)
{
	size_t n = (cp->n_ifnames + 1) * EDGEFW_HOOK_COUNT;
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	cp->out->ctx = calloc(n, sizeof(*cp->out->ctx));
	if (!s || !cp->out->ctx) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i <= cp->n_ifnames && !ret; i++) {
		const char *ifname = i < cp->n_ifnames ? cp->ifnames[i] : "";

		for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT && !ret; h++) {
			struct ef_ctx_entry *e = &cp->out->ctx[cp->out->n_ctx++];

			snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
			e->hook = h;
			memset(s, 0, cp->words * sizeof(*s));
			for (size_t r = 0; r < cp->n_rules; r++)
				if (ctx_allows(cl_rule(cp, r), ifname, h))
					bit_set(s, r);
			ret = cl_pool_intern(&cp->leaf[EDGEFW_DIM_CTX], s, &e->class_id, NULL);
		}
	}
out:
	free(s);
	return ret;
}

static int build_leaf(struct compiler *cp, unsigned dim)
{
	static const uint8_t families[EF_FAM_COUNT] = { EF_AF_INET, EF_AF_INET6 };
	int ret = 0;

	switch (dim) {
	case EDGEFW_DIM_SRC:
	case EDGEFW_DIM_DST:
		for (int fam = 0; fam < EF_FAM_COUNT && !ret; fam++)
			ret = build_addr(cp, dim, families[fam],
					 &cp->out->lpm[dim == EDGEFW_DIM_DST][fam]);
		return ret;
	case EDGEFW_DIM_PROTO:
		return build_proto(cp);
	case EDGEFW_DIM_SPORT:
	case EDGEFW_DIM_DPORT:
		return build_ports(cp, dim);
	case EDGEFW_DIM_FLAGS:
		return build_flags(cp);
	case EDGEFW_DIM_VLAN:
		return build_vlan(cp);
	case EDGEFW_DIM_COND:
		return build_cond(cp);
	default:
		return build_ctx(cp);
	}
}

int cl_build_leaf_classes(struct compiler *cp)
{
	struct ef_compiled *out = cp->out;
	int ret = 0;

	for (unsigned o = 0; o < EDGEFW_DIM_COUNT && !ret; o++) {
		unsigned dim = cl_default_order[o];
		bool used = false;

		cp->leaf[dim].words = cp->words;
		cp->leaf[dim].budget = cp->budget;
		cp->unconstrained[dim] = calloc(cp->words, sizeof(word_t));
		if (!cp->unconstrained[dim])
			return -ENOMEM;
		for (size_t r = 0; r < cp->n_rules; r++) {
			if (cl_constrains(cl_rule(cp, r), dim))
				used = true;
			else
				bit_set(cp->unconstrained[dim], r);
		}
		if (!used)
			continue;
		out->dims[out->n_dims++] = (uint8_t)dim;
		ret = build_leaf(cp, dim);
		out->n_leaf_classes[dim] = cp->leaf[dim].n;
	}
	/* The order the chain takes them in (chain_order.c). */
	if (!ret && cp->pick)
		ret = cl_pick_order(cp, cp->pick);
	if (!ret && cp->order)
		memcpy(out->dims, cp->order, out->n_dims);
	return ret;
}
