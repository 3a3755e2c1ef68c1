// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ruleset -> leaf classes per field, then the chain that combines them.
 *
 * Why classes for addresses: the kernel's LPM trie returns the longest
 * matching prefix, but first-match-wins needs every rule that matches. If
 * each listed prefix carries the set of rules matching any address in it
 * (its own rules plus those of every enclosing prefix), the longest match
 * for an address carries exactly the rules matching that address: any rule
 * prefix containing the address either contains the longest match or would
 * itself be longer.
 *
 * Why the chain stays small: a chain class is cut after the first rule that
 * no later field constrains (that rule matches whatever follows, so nothing
 * after it can win), and a pair (class, next) is stored only when the next
 * field changes the class, i.e. when one of the class's rules constrains
 * that field. See kern/DESIGN.md for the numbers.
 */
#include "classify.h"

#include "addr4.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"

typedef uint64_t word_t;

/* Interned sets of rules, all `words` wide. */
struct set_pool {
	size_t words;
	word_t *sets;
	size_t n, cap;
	uint32_t *index; /* open addressing, UINT32_MAX = empty */
	size_t index_cap;
};

struct compiler {
	const struct ef_ruleset *rs;
	struct ef_compiled *out;
	struct ef_diag *d;
	size_t words; /* per rule set */
	struct set_pool leaf[EDGEFW_DIM_COUNT];
	word_t *unconstrained[EDGEFW_DIM_COUNT];
	size_t stage_end[EDGEFW_DIM_COUNT]; /* classes of stage i: up to this id */
	const char *const *ifnames;
	size_t n_ifnames;
};

static const char *const dim_names[EDGEFW_DIM_COUNT] = {
	[EDGEFW_DIM_SRC] = "src",
	[EDGEFW_DIM_DST] = "dst",
	[EDGEFW_DIM_PROTO] = "proto",
	[EDGEFW_DIM_SPORT] = "sport",
	[EDGEFW_DIM_DPORT] = "dport",
	[EDGEFW_DIM_FLAGS] = "tcp-flags",
	[EDGEFW_DIM_VLAN] = "vlan",
	[EDGEFW_DIM_CTX] = "hook/interface",
	[EDGEFW_DIM_COND] = "dynamic conditions",
};

const char *ef_dim_name(unsigned dim)
{
	return dim < EDGEFW_DIM_COUNT ? dim_names[dim] : "?";
}

/* The chain's field order: addresses first (they separate the most), then
 * the L4 fields, then the rarely used ones. */
static const uint8_t chain_order[EDGEFW_DIM_COUNT] = {
	EDGEFW_DIM_SRC, EDGEFW_DIM_DST, EDGEFW_DIM_PROTO, EDGEFW_DIM_DPORT,
	EDGEFW_DIM_SPORT, EDGEFW_DIM_FLAGS, EDGEFW_DIM_VLAN, EDGEFW_DIM_CTX,
	EDGEFW_DIM_COND,
};

static inline void bit_set(word_t *s, size_t r)
{
	s[r / 64] |= 1ull << (r % 64);
}

static inline void bit_clear(word_t *s, size_t r)
{
	s[r / 64] &= ~(1ull << (r % 64));
}

static inline bool bit_test(const word_t *s, size_t r)
{
	return (s[r / 64] >> (r % 64)) & 1;
}

static bool set_empty(const word_t *s, size_t words)
{
	for (size_t w = 0; w < words; w++)
		if (s[w])
			return false;
	return true;
}

/* Index of the lowest rule in s, or -1. */
static long set_first(const word_t *s, size_t words)
{
	for (size_t w = 0; w < words; w++)
		if (s[w])
			return (long)(w * 64 + (size_t)__builtin_ctzll(s[w]));
	return -1;
}

static uint64_t set_hash(const word_t *s, size_t words)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < words; i++) {
		h ^= s[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return h;
}

static int pool_grow_index(struct set_pool *p)
{
	size_t cap = p->index_cap ? p->index_cap * 2 : 64;
	uint32_t *idx = malloc(cap * sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	memset(idx, 0xff, cap * sizeof(*idx));
	for (size_t i = 0; i < p->n; i++) {
		size_t slot = set_hash(&p->sets[i * p->words], p->words) & (cap - 1);

		while (idx[slot] != UINT32_MAX)
			slot = (slot + 1) & (cap - 1);
		idx[slot] = (uint32_t)i;
	}
	free(p->index);
	p->index = idx;
	p->index_cap = cap;
	return 0;
}

/* The id of set s, adding it when new; *added tells which. */
static int pool_intern(struct set_pool *p, const word_t *s, uint32_t *id,
		       bool *added)
{
	size_t slot;
	int ret;

	if (added)
		*added = false;
	if ((p->n + 1) * 2 > p->index_cap) {
		ret = pool_grow_index(p);
		if (ret)
			return ret;
	}
	slot = set_hash(s, p->words) & (p->index_cap - 1);
	while (p->index[slot] != UINT32_MAX) {
		uint32_t cand = p->index[slot];

		if (!memcmp(&p->sets[(size_t)cand * p->words], s,
			    p->words * sizeof(*s))) {
			*id = cand;
			return 0;
		}
		slot = (slot + 1) & (p->index_cap - 1);
	}
	if (p->n >= EDGEFW_MAX_CLASSES)
		return -E2BIG;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		word_t *sets = realloc(p->sets, cap * p->words * sizeof(*sets));

		if (!sets)
			return -ENOMEM;
		p->sets = sets;
		p->cap = cap;
	}
	memcpy(&p->sets[p->n * p->words], s, p->words * sizeof(*s));
	p->index[slot] = (uint32_t)p->n;
	*id = (uint32_t)p->n++;
	if (added)
		*added = true;
	return 0;
}

static void pool_free(struct set_pool *p)
{
	free(p->sets);
	free(p->index);
	memset(p, 0, sizeof(*p));
}

static const word_t *pool_set(const struct set_pool *p, uint32_t id)
{
	return &p->sets[(size_t)id * p->words];
}

/* --- which fields a rule constrains, and which values it allows --- */

static bool constrains(const struct ef_rule *r, unsigned dim)
{
	switch (dim) {
	case EDGEFW_DIM_SRC:
		return !r->src.any;
	case EDGEFW_DIM_DST:
		return !r->dst.any;
	case EDGEFW_DIM_PROTO:
		return !r->proto_any || r->frag != EF_FRAG_ANY;
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

static bool frag_allows(uint8_t want, unsigned state)
{
	switch (want) {
	case EF_FRAG_NO:
		return state == 0;
	case EF_FRAG_FIRST:
		return state == 1;
	case EF_FRAG_LATER:
		return state == 2;
	case EF_FRAG_YES:
		return state != 0;
	default:
		return true;
	}
}

static bool ctx_allows(const struct ef_rule *r, const char *ifname,
		       uint32_t hook)
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

static int table_push(struct ef_lpm_table *t, size_t *cap,
		      const struct ef_prefix *pf, uint32_t class_id)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct ef_lpm_entry *v = realloc(t->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		*cap = ncap;
	}
	t->v[t->n].prefix = *pf;
	t->v[t->n].class_id = class_id;
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
static int intern_addr_set(struct set_pool *pool, const word_t *any,
			   const word_t *contained, const word_t *neg,
			   word_t *tmp, uint32_t *id)
{
	for (size_t w = 0; w < pool->words; w++)
		tmp[w] = any[w] | (contained[w] ^ neg[w]);
	return pool_intern(pool, tmp, id, NULL);
}

/* Fills one LPM table: address field f of one family. */
static int build_addr(struct compiler *cp, unsigned dim, uint8_t family,
		      struct ef_lpm_table *out)
{
	const struct ef_ruleset *rs = cp->rs;
	struct set_pool *pool = &cp->leaf[dim];
	const size_t words = cp->words;
	struct prefix_rule *pairs = NULL;
	word_t *stack = NULL, *any = NULL, *neg = NULL, *tmp = NULL;
	struct ef_prefix stack_pfx[129];
	size_t n_pairs = 0, depth = 0, cap = 0;
	bool has_default = false;
	uint32_t id;
	int ret = 0;

	any = calloc(words, sizeof(*any));
	neg = calloc(words, sizeof(*neg));
	tmp = calloc(words, sizeof(*tmp));
	stack = calloc(words * 130, sizeof(*stack));
	if (!any || !neg || !tmp || !stack) {
		ret = -ENOMEM;
		goto out;
	}

	for (size_t r = 0; r < rs->n_rules; r++) {
		const struct ef_rule *rule = &rs->rules[r];
		const struct ef_addr_field *fld =
			dim == EDGEFW_DIM_SRC ? &rule->src : &rule->dst;

		if (!ef_rule_has_family(rule, family))
			continue;
		if (fld->any) {
			bit_set(any, r);
			continue;
		}
		if (fld->negate)
			bit_set(neg, r);
		for (size_t i = 0; i < fld->n; i++)
			n_pairs += fld->v[i].family == family;
	}
	if (n_pairs > EF_MAX_LPM_ENTRIES) {
		ef_err(cp->d, rs->path, 0, 0,
		       "%zu %s %s prefixes exceed the table limit of %u",
		       n_pairs, family == EF_AF_INET ? "IPv4" : "IPv6",
		       ef_dim_name(dim), EF_MAX_LPM_ENTRIES);
		ret = -E2BIG;
		goto out;
	}
	pairs = malloc((n_pairs ? n_pairs : 1) * sizeof(*pairs));
	if (!pairs) {
		ret = -ENOMEM;
		goto out;
	}
	n_pairs = 0;
	for (size_t r = 0; r < rs->n_rules; r++) {
		const struct ef_rule *rule = &rs->rules[r];
		const struct ef_addr_field *fld =
			dim == EDGEFW_DIM_SRC ? &rule->src : &rule->dst;

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

	/* Sorted order visits a prefix before the prefixes inside it, so a
	 * stack of enclosing prefixes gives each one the rules containing it.
	 * stack[0] is the empty set of the /0 level. */
	for (size_t i = 0; i < n_pairs;) {
		const struct ef_prefix *pf = &pairs[i].prefix;
		word_t *set;

		while (depth && !ef_prefix_contains(&stack_pfx[depth - 1], pf))
			depth--;
		set = &stack[(depth + 1) * words];
		memcpy(set, &stack[depth * words], words * sizeof(*set));
		for (; i < n_pairs && !ef_prefix_cmp(&pairs[i].prefix, pf); i++)
			bit_set(set, pairs[i].rule);
		stack_pfx[depth++] = *pf;
		has_default |= pf->len == 0;

		ret = intern_addr_set(pool, any, set, neg, tmp, &id);
		if (!ret)
			ret = table_push(out, &cap, pf, id);
		if (ret)
			goto out;
	}

	/* Addresses under no listed prefix match the rules with the field
	 * unwritten and the negated ones. */
	if (!has_default) {
		struct ef_prefix all = { .family = family, .len = 0 };

		for (size_t w = 0; w < words; w++)
			tmp[w] = any[w] | neg[w];
		if (!set_empty(tmp, words)) {
			ret = pool_intern(pool, tmp, &id, NULL);
			if (!ret)
				ret = table_push(out, &cap, &all, id);
		}
	}
out:
	free(pairs);
	free(stack);
	free(any);
	free(neg);
	free(tmp);
	return ret;
}

/* Rules with the dimension unwritten belong to every value's set. */
static void base_set(const struct compiler *cp, unsigned dim, word_t *s)
{
	memcpy(s, cp->unconstrained[dim], cp->words * sizeof(*s));
}

static int build_proto(struct compiler *cp)
{
	const struct ef_ruleset *rs = cp->rs;
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (unsigned v = 0; v < EDGEFW_LEAF_PROTO_LEN && !ret; v++) {
		uint8_t proto = (uint8_t)(v / EDGEFW_FRAG_STATES);

		base_set(cp, EDGEFW_DIM_PROTO, s);
		for (size_t r = 0; r < rs->n_rules; r++) {
			const struct ef_rule *rule = &rs->rules[r];

			if (constrains(rule, EDGEFW_DIM_PROTO) &&
			    ef_rule_has_proto(rule, proto) &&
			    frag_allows(rule->frag, v % EDGEFW_FRAG_STATES))
				bit_set(s, r);
		}
		ret = pool_intern(&cp->leaf[EDGEFW_DIM_PROTO], s,
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
static void port_ranges(const struct ef_rule *r, bool dst,
			const struct ef_port_range **v, size_t *n,
			struct ef_port_range *icmp, bool *negate)
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
	const struct ef_ruleset *rs = cp->rs;
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
	cnt = calloc(rs->n_rules + 1, sizeof(*cnt));
	if (!s || !neg || !cnt) {
		ret = -ENOMEM;
		goto out;
	}
	base_set(cp, dim, s);
	for (size_t r = 0; r < rs->n_rules; r++) {
		const struct ef_port_range *v;
		struct ef_port_range icmp;
		bool negate;
		size_t n;

		if (!constrains(&rs->rules[r], dim))
			continue;
		port_ranges(&rs->rules[r], dst, &v, &n, &icmp, &negate);
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
			ev[n_ev++] = (struct port_event){ (uint32_t)v[i].hi + 1,
							  (uint32_t)r, -1 };
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
		ret = pool_intern(pool, s, &id, NULL);
		if (ret)
			goto out;
		for (uint32_t p = pos; p < end; p++)
			cp->out->leaf[off + p] = id;
		pos = end;
	}
	/* No ports in the packet: only rules without the field. */
	base_set(cp, dim, s);
	ret = pool_intern(pool, s, &cp->out->leaf[off + EDGEFW_NO_L4], NULL);
out:
	free(ev);
	free(cnt);
	free(s);
	free(neg);
	return ret;
}

static int build_flags(struct compiler *cp)
{
	const struct ef_ruleset *rs = cp->rs;
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (unsigned v = 0; v <= EDGEFW_NO_FLAGS && !ret; v++) {
		base_set(cp, EDGEFW_DIM_FLAGS, s);
		for (size_t r = 0; r < rs->n_rules && v < EDGEFW_NO_FLAGS; r++) {
			const struct ef_rule *rule = &rs->rules[r];

			if (rule->tcp_flags_mask &&
			    (v & rule->tcp_flags_mask) == rule->tcp_flags_value)
				bit_set(s, r);
		}
		ret = pool_intern(&cp->leaf[EDGEFW_DIM_FLAGS], s,
				  &cp->out->leaf[EDGEFW_LEAF_FLAGS_OFF + v], NULL);
	}
	free(s);
	return ret;
}

static int build_vlan(struct compiler *cp)
{
	const struct ef_ruleset *rs = cp->rs;
	uint32_t *first = NULL, *next = NULL;
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	first = malloc((EDGEFW_UNTAGGED + 1) * sizeof(*first));
	next = malloc((rs->n_rules + 1) * sizeof(*next));
	if (!s || !first || !next) {
		ret = -ENOMEM;
		goto out;
	}
	/* Rules bucketed by the one VLAN value they allow. */
	memset(first, 0xff, (EDGEFW_UNTAGGED + 1) * sizeof(*first));
	for (size_t r = rs->n_rules; r-- > 0;) {
		int32_t v = rs->rules[r].vlan;

		if (v == EF_VLAN_ANY || v < 0 || v > EDGEFW_UNTAGGED)
			continue;
		next[r] = first[v];
		first[v] = (uint32_t)r;
	}
	for (unsigned v = 0; v <= EDGEFW_UNTAGGED && !ret; v++) {
		base_set(cp, EDGEFW_DIM_VLAN, s);
		for (uint32_t r = first[v]; r != UINT32_MAX; r = next[r])
			bit_set(s, r);
		ret = pool_intern(&cp->leaf[EDGEFW_DIM_VLAN], s,
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
	const struct ef_ruleset *rs = cp->rs;
	word_t *s = malloc(cp->words * sizeof(*s));
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (unsigned v = 0; v < EDGEFW_LEAF_COND_LEN && !ret; v++) {
		base_set(cp, EDGEFW_DIM_COND, s);
		for (size_t r = 0; r < rs->n_rules; r++) {
			unsigned need = rs->rules[r].cond_mask;

			if (need && (v & need) == need)
				bit_set(s, r);
		}
		ret = pool_intern(&cp->leaf[EDGEFW_DIM_COND], s,
				  &cp->out->leaf[EDGEFW_LEAF_COND_OFF + v], NULL);
	}
	free(s);
	return ret;
}

static int build_ctx(struct compiler *cp)
{
	const struct ef_ruleset *rs = cp->rs;
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
			for (size_t r = 0; r < rs->n_rules; r++)
				if (ctx_allows(&rs->rules[r], ifname, h))
					bit_set(s, r);
			ret = pool_intern(&cp->leaf[EDGEFW_DIM_CTX], s,
					  &e->class_id, NULL);
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

/* --- the chain --- */

struct chain {
	struct set_pool pool;   /* word 0: stage; then the rule set */
	word_t **complete;      /* per stage: rules no later field constrains */
	word_t *tmp;
	uint32_t *frontier, *next_frontier;
	size_t n_frontier, n_next, frontier_cap;
	uint8_t *queued;        /* per class: already in next_frontier */
	size_t queued_cap;
};

static int chain_grow_classes(struct ef_compiled *c, struct chain *ch)
{
	size_t need = ch->pool.n;

	if (need > ch->queued_cap) {
		size_t cap = ch->queued_cap ? ch->queued_cap * 2 : 1024;
		struct ef_class_entry *cl;
		uint8_t *q;
		uint32_t *f1, *f2;

		while (cap < need)
			cap *= 2;
		cl = realloc(c->classes, cap * sizeof(*cl));
		if (!cl)
			return -ENOMEM;
		c->classes = cl;
		q = realloc(ch->queued, cap);
		if (!q)
			return -ENOMEM;
		ch->queued = q;
		f1 = realloc(ch->frontier, cap * sizeof(*f1));
		if (!f1)
			return -ENOMEM;
		ch->frontier = f1;
		f2 = realloc(ch->next_frontier, cap * sizeof(*f2));
		if (!f2)
			return -ENOMEM;
		ch->next_frontier = f2;
		memset(ch->queued + ch->queued_cap, 0, cap - ch->queued_cap);
		ch->queued_cap = cap;
	}
	for (size_t i = c->n_classes; i < need; i++) {
		c->classes[i].miss = EDGEFW_CLASS_NONE;
		c->classes[i].rule = -1;
	}
	c->n_classes = need;
	return 0;
}

/* Interns set s (words wide) as a class of stage, after cutting it after
 * its first rule that no later field constrains. NONE for an empty set. */
static int chain_intern(struct compiler *cp, struct chain *ch, unsigned stage,
			const word_t *s, uint32_t *id)
{
	const size_t words = cp->words;
	word_t *t = ch->tmp;
	long cut = -1;
	bool added;
	int ret;

	t[0] = stage;
	for (size_t w = 0; w < words; w++) {
		t[1 + w] = s[w];
		if (cut < 0 && (s[w] & ch->complete[stage][w]))
			cut = (long)(w * 64 + (size_t)__builtin_ctzll(s[w] &
							ch->complete[stage][w]));
	}
	if (cut >= 0) {
		size_t w = (size_t)cut / 64;

		t[1 + w] &= (cut % 64 == 63) ? ~0ull : ((2ull << (cut % 64)) - 1);
		for (w++; w < words; w++)
			t[1 + w] = 0;
	}
	if (set_empty(t + 1, words)) {
		*id = EDGEFW_CLASS_NONE;
		return 0;
	}
	ret = pool_intern(&ch->pool, t, id, &added);
	if (!ret && added)
		ret = chain_grow_classes(cp->out, ch);
	if (!ret && !ch->queued[*id]) {
		ch->queued[*id] = 1;
		ch->next_frontier[ch->n_next++] = *id;
	}
	return ret;
}

static int chain_add(struct compiler *cp, size_t *cap, uint32_t cur,
		     uint32_t next_leaf, uint32_t next)
{
	struct ef_compiled *c = cp->out;

	if (c->n_chain == EF_MAX_CHAIN_ENTRIES) {
		ef_err(cp->d, cp->rs->path, 0, 0,
		       "the rules need more than %u field combinations: rules that each constrain many fields with different values multiply; group values into sets or split the ruleset by hook",
		       EF_MAX_CHAIN_ENTRIES);
		return -E2BIG;
	}
	if (c->n_chain == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct ef_chain_entry *v = realloc(c->chain, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->chain = v;
		*cap = ncap;
	}
	c->chain[c->n_chain].key.cur = cur;
	c->chain[c->n_chain].key.next = next_leaf;
	c->chain[c->n_chain].next = next;
	c->n_chain++;
	return 0;
}

/* Rewrites the first field's leaf tables from leaf ids to chain ids. */
static void remap_first(struct ef_compiled *c, unsigned dim, const uint32_t *map)
{
	uint32_t off = 0, len = 0;

	switch (dim) {
	case EDGEFW_DIM_SRC:
	case EDGEFW_DIM_DST:
		for (int fam = 0; fam < EF_FAM_COUNT; fam++) {
			struct ef_lpm_table *t = &c->lpm[dim == EDGEFW_DIM_DST][fam];

			for (size_t i = 0; i < t->n; i++)
				t->v[i].class_id = map[t->v[i].class_id];
		}
		return;
	case EDGEFW_DIM_CTX:
		for (size_t i = 0; i < c->n_ctx; i++)
			c->ctx[i].class_id = map[c->ctx[i].class_id];
		return;
	case EDGEFW_DIM_PROTO:
		off = EDGEFW_LEAF_PROTO_OFF;
		len = EDGEFW_LEAF_PROTO_LEN;
		break;
	case EDGEFW_DIM_SPORT:
		off = EDGEFW_LEAF_SPORT_OFF;
		len = EDGEFW_LEAF_PORT_LEN;
		break;
	case EDGEFW_DIM_DPORT:
		off = EDGEFW_LEAF_DPORT_OFF;
		len = EDGEFW_LEAF_PORT_LEN;
		break;
	case EDGEFW_DIM_FLAGS:
		off = EDGEFW_LEAF_FLAGS_OFF;
		len = EDGEFW_LEAF_FLAGS_LEN;
		break;
	case EDGEFW_DIM_VLAN:
		off = EDGEFW_LEAF_VLAN_OFF;
		len = EDGEFW_LEAF_VLAN_LEN;
		break;
	case EDGEFW_DIM_COND:
		off = EDGEFW_LEAF_COND_OFF;
		len = EDGEFW_LEAF_COND_LEN;
		break;
	}
	for (uint32_t i = off; i < off + len; i++)
		c->leaf[i] = map[c->leaf[i]];
}

/* For every class X reaching this stage and every leaf class Y of its
 * field: X & Y differs from X's miss (X & rules without the field) exactly
 * when Y holds one of X's rules that constrain the field, so only those Y
 * are visited, through the rule -> leaf classes index. */
static int chain_stage(struct compiler *cp, struct chain *ch, unsigned stage,
		       size_t *chain_cap)
{
	const unsigned dim = cp->out->dims[stage];
	const struct set_pool *leaf = &cp->leaf[dim];
	const word_t *anyd = cp->unconstrained[dim];
	const size_t words = cp->words, n_rules = cp->rs->n_rules;
	size_t *inv_start = NULL, n_inv = 0;
	uint32_t *inv = NULL, *stamp = NULL;
	word_t *x = NULL, *s = NULL;
	int ret = 0;

	/* rule -> the leaf classes of this field that hold it */
	inv_start = calloc(n_rules + 1, sizeof(*inv_start));
	stamp = malloc((leaf->n + 1) * sizeof(*stamp));
	x = malloc(words * sizeof(*x));
	s = malloc(words * sizeof(*s));
	if (!inv_start || !stamp || !x || !s) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t k = 0; k < leaf->n; k++) {
		const word_t *y = pool_set(leaf, k);

		for (size_t w = 0; w < words; w++)
			n_inv += (size_t)__builtin_popcountll(y[w] & ~anyd[w]);
		for (size_t w = 0; w < words; w++) {
			word_t b = y[w] & ~anyd[w];

			while (b) {
				inv_start[w * 64 + (size_t)__builtin_ctzll(b)]++;
				b &= b - 1;
			}
		}
	}
	inv = malloc((n_inv ? n_inv : 1) * sizeof(*inv));
	if (!inv) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t r = 0, sum = 0; r <= n_rules; r++) {
		size_t c = inv_start[r];

		inv_start[r] = sum;
		sum += c;
	}
	for (uint32_t k = 0; k < leaf->n; k++) {
		const word_t *y = pool_set(leaf, k);

		for (size_t w = 0; w < words; w++) {
			word_t b = y[w] & ~anyd[w];

			while (b) {
				size_t r = w * 64 + (size_t)__builtin_ctzll(b);

				inv[inv_start[r]++] = k;
				b &= b - 1;
			}
		}
	}
	/* inv_start[r] now points past r's list: r's list starts at
	 * inv_start[r - 1] (0 for r = 0). */
	memset(stamp, 0xff, (leaf->n + 1) * sizeof(*stamp));

	for (size_t fi = 0; fi < ch->n_frontier; fi++) {
		uint32_t cur = ch->frontier[fi], miss;

		memcpy(x, pool_set(&ch->pool, cur) + 1, words * sizeof(*x));
		for (size_t w = 0; w < words; w++)
			s[w] = x[w] & anyd[w];
		ret = chain_intern(cp, ch, stage, s, &miss);
		if (ret)
			goto out;
		cp->out->classes[cur].miss = miss;

		for (size_t w = 0; w < words; w++) {
			word_t b = x[w] & ~anyd[w];

			while (b) {
				size_t r = w * 64 + (size_t)__builtin_ctzll(b);
				size_t from = r ? inv_start[r - 1] : 0;

				b &= b - 1;
				for (size_t j = from; j < inv_start[r]; j++) {
					uint32_t k = inv[j], next;
					const word_t *y = pool_set(leaf, k);

					if (stamp[k] == cur)
						continue;
					stamp[k] = cur;
					for (size_t v = 0; v < words; v++)
						s[v] = x[v] & y[v];
					ret = chain_intern(cp, ch, stage, s, &next);
					if (!ret)
						ret = chain_add(cp, chain_cap, cur, k, next);
					if (ret)
						goto out;
				}
			}
		}
	}
out:
	free(inv_start);
	free(inv);
	free(stamp);
	free(x);
	free(s);
	return ret;
}

static void swap_frontier(struct chain *ch)
{
	uint32_t *t = ch->frontier;

	ch->frontier = ch->next_frontier;
	ch->n_frontier = ch->n_next;
	ch->next_frontier = t;
	ch->n_next = 0;
	for (size_t i = 0; i < ch->n_frontier; i++)
		ch->queued[ch->frontier[i]] = 0;
}

static int build_chain(struct compiler *cp)
{
	struct ef_compiled *c = cp->out;
	const size_t words = cp->words;
	const unsigned n = c->n_dims;
	struct chain ch = { 0 };
	uint32_t *map = NULL;
	size_t chain_cap = 0;
	int ret = 0;

	ch.pool.words = words + 1;
	ch.tmp = malloc((words + 1) * sizeof(*ch.tmp));
	ch.complete = calloc(n + 1, sizeof(*ch.complete));
	if (!ch.tmp || !ch.complete) {
		ret = -ENOMEM;
		goto out;
	}
	/* complete[i]: rules constraining none of the fields after stage i. */
	for (unsigned i = 0; i <= n; i++) {
		ch.complete[i] = malloc(words * sizeof(word_t));
		if (!ch.complete[i]) {
			ret = -ENOMEM;
			goto out;
		}
		memset(ch.complete[i], 0, words * sizeof(word_t));
		for (size_t r = 0; r < cp->rs->n_rules; r++) {
			bool done = true;

			for (unsigned j = i + 1; j < n; j++)
				done &= !constrains(&cp->rs->rules[r], c->dims[j]);
			if (done)
				bit_set(ch.complete[i], r);
		}
	}

	if (!n) {
		/* No field is used: every rule matches every packet. */
		word_t *all = calloc(words, sizeof(*all));

		if (!all) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t r = 0; r < cp->rs->n_rules; r++)
			bit_set(all, r);
		ret = chain_intern(cp, &ch, 0, all, &c->root_class);
		free(all);
		if (ret)
			goto out;
		swap_frontier(&ch);
	} else {
		const struct set_pool *first = &cp->leaf[c->dims[0]];

		map = malloc((first->n + 1) * sizeof(*map));
		if (!map) {
			ret = -ENOMEM;
			goto out;
		}
		for (uint32_t k = 0; k < first->n; k++) {
			ret = chain_intern(cp, &ch, 0, pool_set(first, k), &map[k]);
			if (ret)
				goto out;
		}
		remap_first(c, c->dims[0], map);
		swap_frontier(&ch);
		cp->stage_end[0] = ch.pool.n;
		for (unsigned i = 1; i < n; i++) {
			size_t first_pair = c->n_chain;

			ret = chain_stage(cp, &ch, i, &chain_cap);
			if (ret)
				goto out;
			for (size_t j = first_pair; j < c->n_chain; j++)
				c->chain[j].stage = (uint8_t)i;
			swap_frontier(&ch);
			cp->stage_end[i] = ch.pool.n;
		}
	}
	/* The last stage's classes were cut to their first rule. */
	for (size_t i = 0; i < ch.n_frontier; i++) {
		uint32_t id = ch.frontier[i];

		c->classes[id].rule = (int32_t)set_first(pool_set(&ch.pool, id) + 1, words);
	}
out:
	if (ret == -E2BIG && cp->d->errors == 0)
		ef_err(cp->d, cp->rs->path, 0, 0,
		       "the rules need more than %u classes; group values into sets",
		       EDGEFW_MAX_CLASSES);
	if (ch.complete)
		for (unsigned i = 0; i <= n; i++)
			free(ch.complete[i]);
	free(ch.complete);
	free(ch.tmp);
	free(ch.frontier);
	free(ch.next_frontier);
	free(ch.queued);
	free(map);
	pool_free(&ch.pool);
	return ret;
}

/* A stage's pairs as a dense table (rows: the previous stage's classes,
 * columns: the field's leaf classes, cells: the next class, the row's miss
 * where no pair is listed) when it fits; array lookups cost 1.5 ns where a
 * hash lookup costs 26. Stages that do not fit stay in the hash. */
#define DENSE_STAGE_MAX (1u << 22)

static int build_dense(struct compiler *cp)
{
	struct ef_compiled *c = cp->out;
	size_t cap = c->n_cells;

	for (unsigned i = 1; i < c->n_dims; i++) {
		size_t row0, rows, width, need;
		struct edgefw_stage *st = &c->stages[i];

		row0 = i == 1 ? 0 : cp->stage_end[i - 2];
		rows = cp->stage_end[i - 1] - row0;
		width = cp->leaf[c->dims[i]].n;
		need = rows * width;
		if (!rows || !width || need > DENSE_STAGE_MAX ||
		    c->n_cells + need > EDGEFW_CELLS_MAX)
			continue;
		if (c->n_cells + need > cap) {
			size_t ncap = c->n_cells + need;
			uint32_t *v = realloc(c->cells, ncap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->cells = v;
			cap = ncap;
		}
		st->base = (uint32_t)c->n_cells;
		st->row0 = (uint32_t)row0;
		st->width = (uint32_t)width;
		for (size_t r = 0; r < rows; r++)
			for (size_t k = 0; k < width; k++)
				c->cells[st->base + r * width + k] = c->classes[row0 + r].miss;
		for (size_t j = 0; j < c->n_chain; j++) {
			const struct ef_chain_entry *e = &c->chain[j];

			if (e->stage == i)
				c->cells[st->base + (e->key.cur - row0) * width +
					 e->key.next] = e->next;
		}
		c->n_cells += need;
	}
	c->n_hashed = 0;
	for (size_t j = 0; j < c->n_chain; j++)
		c->n_hashed += !c->stages[c->chain[j].stage].width;
	if (c->n_hashed > EDGEFW_CHAIN_MAX) {
		ef_err(cp->d, cp->rs->path, 0, 0,
		       "the rules need %zu hashed field combinations, over the limit of %u; group values into sets",
		       c->n_hashed, EDGEFW_CHAIN_MAX);
		return -E2BIG;
	}
	return 0;
}

int ef_compile(const struct ef_ruleset *rs, const char *const *ifnames,
	       size_t n_ifnames, struct ef_compiled *out, struct ef_diag *d)
{
	struct compiler cp = { .rs = rs, .out = out, .d = d,
			       .ifnames = ifnames, .n_ifnames = n_ifnames };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->root_class = EDGEFW_CLASS_NONE;
	cp.words = (rs->n_rules + 63) / 64;
	if (!cp.words)
		cp.words = 1;
	out->leaf = calloc(EDGEFW_LEAF_SIZE, sizeof(*out->leaf));
	if (!out->leaf) {
		ret = -ENOMEM;
		goto out;
	}

	for (unsigned o = 0; o < EDGEFW_DIM_COUNT; o++) {
		unsigned dim = chain_order[o];
		bool used = false;

		cp.leaf[dim].words = cp.words;
		cp.unconstrained[dim] = calloc(cp.words, sizeof(word_t));
		if (!cp.unconstrained[dim]) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t r = 0; r < rs->n_rules; r++) {
			if (constrains(&rs->rules[r], dim))
				used = true;
			else
				bit_set(cp.unconstrained[dim], r);
		}
		if (!used)
			continue;
		out->dims[out->n_dims++] = (uint8_t)dim;
		ret = build_leaf(&cp, dim);
		if (ret)
			goto out;
		out->n_leaf_classes[dim] = cp.leaf[dim].n;
	}
	ret = build_chain(&cp);
	if (!ret)
		ret = ef_build_addr4(out, rs->path, d);
	if (!ret)
		ret = build_dense(&cp);
out:
	for (unsigned dim = 0; dim < EDGEFW_DIM_COUNT; dim++) {
		pool_free(&cp.leaf[dim]);
		free(cp.unconstrained[dim]);
	}
	if (ret == -ENOMEM)
		ef_err(d, rs->path, 0, 0, "out of memory while compiling the rules");
	if (ret)
		ef_compiled_free(out);
	return ret;
}

void ef_compiled_free(struct ef_compiled *c)
{
	for (int f = 0; f < EF_FIELD_COUNT; f++)
		for (int fam = 0; fam < EF_FAM_COUNT; fam++)
			free(c->lpm[f][fam].v);
	free(c->leaf);
	free(c->ctx);
	free(c->cells);
	free(c->chain);
	free(c->classes);
	memset(c, 0, sizeof(*c));
}

size_t ef_compiled_memory(const struct ef_compiled *c)
{
	/* An estimate from the kernel's node layouts: an LPM trie node and a
	 * hash element each carry about 48 bytes besides key and value. */
	size_t bytes = 0;

	for (int f = 0; f < EF_FIELD_COUNT; f++)
		bytes += c->lpm[f][EF_FAM_V6].n *
			 (48 + sizeof(struct edgefw_lpm6_key) + 4);
	bytes += c->n_cells * 8; /* array elements take 8 bytes each */
	bytes += (size_t)EDGEFW_LEAF_SIZE * 8;
	bytes += c->n_ctx * (48 + sizeof(struct edgefw_ctx_key) + 4);
	bytes += c->n_hashed * (48 + sizeof(struct edgefw_chain_key) + 8);
	bytes += c->n_classes * sizeof(struct edgefw_class_info);
	return bytes;
}

