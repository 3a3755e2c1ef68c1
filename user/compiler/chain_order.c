// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The chain's field order, chosen per ruleset (issue 12).
 *
 * A packet leaves the chain as soon as its class so far is empty (no rule
 * of the chain matches it on the fields read so far, kern/classifier.h
 * chain_class): the fields after that are never read. The fixed order
 * (addresses first) is right for blocklists and service rules, whose
 * addresses are narrow, but a chain of rules with wide addresses and
 * narrow ports (ClassBench fw1's rules that no forest takes) keeps every
 * miss alive until its last field. So the order is chosen per ruleset:
 * the one that minimizes the stages a set of sampled packets walks, found
 * exactly over the subsets of the fields (how many samples survive a
 * prefix of the order does not depend on the order within it). The
 * samples are packets uniform over the fields (misses, mostly) and
 * packets that take each field from a random rule half of the time (near
 * misses). The default order stays unless the best saves PICK_MARGIN of
 * a stage per sample, so a ruleset where no field separates better keeps
 * it. The dynamic conditions stay last (EDGEFW_DYN_HELD relies on it).
 *
 * The samples' classes are read from the leaf tables the chain is built
 * from, so the estimate is the chain's own: S & (Y | rules without the
 * field), as chain.c combines them.
 */
#include "classify_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PICK_SAMPLES 2048u
#define PICK_MIN_SAMPLES 64u
#define PICK_WORK (16u << 20) /* words read, about 20 ms */
/* What the chosen order must save over the default, in stages: an eighth
 * of a stage per sample. The 10-rule benchmark sets save a sixteenth
 * (IPv4 113 and IPv6 138 of 2,048 samples), ipc1_1k 852: below this, the
 * fields' unequal costs (an IPv6 trie walk, a port leaf) decide more
 * than the stages counted. */
#define PICK_MARGIN(n) ((n) / 8)

const uint8_t cl_default_order[EDGEFW_DIM_COUNT] = {
	EDGEFW_DIM_SRC,   EDGEFW_DIM_DST,  EDGEFW_DIM_PROTO, EDGEFW_DIM_DPORT, EDGEFW_DIM_SPORT,
	EDGEFW_DIM_FLAGS, EDGEFW_DIM_VLAN, EDGEFW_DIM_CTX,   EDGEFW_DIM_COND,
};

/* splitmix64: a fixed seed, so that a ruleset always compiles alike. */
static uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd_next(s) % n) : 0;
}

/* An LPM table (sorted by prefix, a prefix before those inside it; a /0
 * the builder adds may come last) with each entry's enclosing entry. */
struct lpm_view {
	const struct ef_lpm_table *t;
	uint32_t *parent; /* UINT32_MAX: none */
	size_t sorted;    /* entries in prefix order */
	uint32_t dflt;    /* the class of addresses under no other prefix */
};

static int lpm_view_init(struct lpm_view *lv, const struct ef_lpm_table *t)
{
	uint32_t stack[130];
	size_t depth = 0;

	lv->t = t;
	lv->sorted = t->n;
	lv->dflt = EDGEFW_CLASS_NONE;
	if (t->n && t->v[t->n - 1].prefix.len == 0) {
		lv->sorted--;
		lv->dflt = t->v[t->n - 1].class_id;
	}
	lv->parent = malloc((t->n + 1) * sizeof(*lv->parent));
	if (!lv->parent)
		return -ENOMEM;
	for (size_t i = 0; i < lv->sorted; i++) {
		const struct ef_prefix *pf = &t->v[i].prefix;

		while (depth && !ef_prefix_contains(&t->v[stack[depth - 1]].prefix, pf))
			depth--;
		lv->parent[i] = depth ? stack[depth - 1] : UINT32_MAX;
		if (depth < sizeof(stack) / sizeof(stack[0]))
			stack[depth++] = (uint32_t)i;
	}
	return 0;
}

/* The class of the longest prefix holding addr: the last entry starting
 * at or before addr, or the first of its enclosing entries that holds it
 * (an entry between the answer and addr lies inside the answer). */
static uint32_t lpm_view_find(const struct lpm_view *lv, uint8_t family, const uint8_t *addr)
{
	const size_t bytes = family == EF_AF_INET ? 4 : 16;
	size_t lo = 0, hi = lv->sorted;
	uint32_t i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(lv->t->v[mid].prefix.addr, addr, bytes) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo ? (uint32_t)(lo - 1) : UINT32_MAX; i != UINT32_MAX; i = lv->parent[i])
		if (ef_prefix_match(&lv->t->v[i].prefix, family, addr))
			return lv->t->v[i].class_id;
	return lv->dflt;
}

/* One sampled packet's values. */
struct sample {
	uint8_t family, fam; /* EF_AF_*, and its index */
	uint8_t src[16], dst[16];
	uint32_t proto, state, sport, dport, flags, vlan, ctx;
};

static bool has_ports(uint32_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static void random_addr(uint64_t *rs, uint8_t *a)
{
	uint64_t x = rnd_next(rs), y = rnd_next(rs);

	memcpy(a, &x, 8);
	memcpy(a + 8, &y, 8);
}

/* A packet uniform over the fields: TCP or UDP, any port, flags and
 * connection state, untagged, any hook of any named interface. */
static void sample_uniform(const struct compiler *cp, uint64_t *rs, uint8_t fam, struct sample *p)
{
	p->fam = fam;
	p->family = fam == EF_FAM_V4 ? EF_AF_INET : EF_AF_INET6;
	random_addr(rs, p->src);
	random_addr(rs, p->dst);
	p->proto = rnd_below(rs, 2) ? 6 : 17;
	p->state = rnd_below(rs, EDGEFW_CT_STATES);
	p->sport = rnd_below(rs, 65536);
	p->dport = rnd_below(rs, 65536);
	p->flags = p->proto == 6 ? rnd_below(rs, 256) : EDGEFW_NO_FLAGS;
	p->vlan = EDGEFW_UNTAGGED;
	/* The interfaces the tables are for, when named (build_ctx lists
	 * them first, then the others' entries): traffic arrives there. */
	p->ctx = rnd_below(
		rs, (uint32_t)(cp->n_ifnames ? cp->n_ifnames * EDGEFW_HOOK_COUNT : cp->out->n_ctx));
}

/* An address inside one of fld's prefixes of the packet's family. */
static void aim_addr(const struct ef_addr_field *fld, uint64_t *rs, uint8_t family, uint8_t *a)
{
	const struct ef_prefix *pf;

	if (fld->any || fld->negate || !fld->n)
		return;
	pf = &fld->v[rnd_below(rs, (uint32_t)fld->n)];
	if (pf->family != family)
		return;
	for (unsigned b = 0; b < 16; b++) {
		unsigned keep = pf->len > 8 * b ? pf->len - 8 * b : 0;
		uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);

		a[b] = (uint8_t)((pf->addr[b] & mask) | (a[b] & ~mask));
	}
}

static void aim_port(const struct ef_port_field *f, uint64_t *rs, uint32_t *v)
{
	const struct ef_port_range *r;

	if (f->any || f->negate || !f->n)
		return;
	r = &f->v[rnd_below(rs, (uint32_t)f->n)];
	*v = r->lo + rnd_below(rs, (uint32_t)r->hi - r->lo + 1);
}

/* A packet that takes each field from rule r half of the time. */
static void sample_aimed(const struct compiler *cp, uint64_t *rs, const struct ef_rule *r,
			 struct sample *p)
{
	const struct ef_addr_field *a = !r->src.any && r->src.n ? &r->src : &r->dst;
	uint8_t fam = !a->any && a->n && a->v[0].family == EF_AF_INET6 ? EF_FAM_V6 : EF_FAM_V4;

	sample_uniform(cp, rs, fam, p);
	if (rnd_below(rs, 2))
		aim_addr(&r->src, rs, p->family, p->src);
	if (rnd_below(rs, 2))
		aim_addr(&r->dst, rs, p->family, p->dst);
	if (!r->proto_any && rnd_below(rs, 2)) {
		uint32_t start = rnd_below(rs, 256);

		for (uint32_t i = 0; i < 256; i++)
			if (ef_rule_has_proto(r, (uint8_t)((start + i) % 256))) {
				p->proto = (start + i) % 256;
				break;
			}
		p->flags = p->proto == 6 ? rnd_below(rs, 256) : EDGEFW_NO_FLAGS;
	}
	if (r->states && rnd_below(rs, 2))
		p->state = (uint32_t)__builtin_ctz(r->states);
	if (rnd_below(rs, 2))
		aim_port(&r->sport, rs, &p->sport);
	if (rnd_below(rs, 2))
		aim_port(&r->dport, rs, &p->dport);
	if (r->tcp_flags_mask && p->proto == 6 && rnd_below(rs, 2))
		p->flags = r->tcp_flags_value | (p->flags & ~(uint32_t)r->tcp_flags_mask);
	if (r->vlan >= 0 && r->vlan <= EDGEFW_UNTAGGED && rnd_below(rs, 2))
		p->vlan = (uint32_t)r->vlan;
}

/* The sample's leaf class in field dim. */
static uint32_t sample_class(const struct compiler *cp, const struct lpm_view lv[2][EF_FAM_COUNT],
			     unsigned dim, const struct sample *p)
{
	const uint32_t *leaf = cp->out->leaf;
	bool ports = has_ports(p->proto);

	switch (dim) {
	case EDGEFW_DIM_SRC:
		return lpm_view_find(&lv[0][p->fam], p->family, p->src);
	case EDGEFW_DIM_DST:
		return lpm_view_find(&lv[1][p->fam], p->family, p->dst);
	case EDGEFW_DIM_PROTO:
		return leaf[EDGEFW_LEAF_PROTO_OFF +
			    ((p->state << 8) + p->proto) * EDGEFW_FRAG_STATES];
	case EDGEFW_DIM_SPORT:
		return leaf[EDGEFW_LEAF_SPORT_OFF + (ports ? p->sport : EDGEFW_NO_L4)];
	case EDGEFW_DIM_DPORT:
		return leaf[EDGEFW_LEAF_DPORT_OFF + (ports ? p->dport : EDGEFW_NO_L4)];
	case EDGEFW_DIM_FLAGS:
		return leaf[EDGEFW_LEAF_FLAGS_OFF + p->flags];
	case EDGEFW_DIM_VLAN:
		return leaf[EDGEFW_LEAF_VLAN_OFF + p->vlan];
	case EDGEFW_DIM_CTX:
		return cp->out->n_ctx ? cp->out->ctx[p->ctx].class_id : EDGEFW_CLASS_NONE;
	default:
		return EDGEFW_CLASS_NONE;
	}
}

/* What the choice works on: per sample, its leaf class in each field. */
struct pick {
	size_t n;
	uint32_t (*cls)[EDGEFW_DIM_COUNT];
};

/* Whether the rules name prefixes of a family (a /0 alone, which rules
 * without addresses put in both families' tables, does not count): the
 * samples are of the families the rules are written for. */
static bool family_listed(const struct ef_compiled *c, int fam)
{
	for (int f = 0; f < 2; f++) {
		const struct ef_lpm_table *t = &c->lpm[f][fam];

		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].prefix.len)
				return true;
	}
	return false;
}

static int pick_sample(const struct compiler *cp, struct pick *pk)
{
	const struct ef_compiled *c = cp->out;
	struct lpm_view lv[2][EF_FAM_COUNT] = { 0 };
	bool v4 = family_listed(c, EF_FAM_V4), v6 = family_listed(c, EF_FAM_V6);
	uint64_t rs = 0x0edf3e12ull;
	int ret = 0;

	for (int f = 0; f < 2 && !ret; f++)
		for (int fam = 0; fam < EF_FAM_COUNT && !ret; fam++)
			ret = lpm_view_init(&lv[f][fam], &c->lpm[f][fam]);
	for (size_t i = 0; i < pk->n && !ret; i++) {
		/* Both families when both are listed, alternately. */
		uint8_t fam = v6 && (!v4 || i % 4 >= 2) ? EF_FAM_V6 : EF_FAM_V4;
		struct sample p;

		if (i % 2)
			sample_aimed(cp, &rs, cl_rule(cp, rnd_below(&rs, (uint32_t)cp->n_rules)),
				     &p);
		else
			sample_uniform(cp, &rs, fam, &p);
		for (unsigned j = 0; j < c->n_dims; j++)
			pk->cls[i][c->dims[j]] = sample_class(cp, lv, c->dims[j], &p);
	}
	for (int f = 0; f < 2; f++)
		for (int fam = 0; fam < EF_FAM_COUNT; fam++)
			free(lv[f][fam].parent);
	return ret;
}

/* Whether sample i matches some rule on every field of set (bit j: field
 * order[j]), the fields combined as chain.c does: S & (Y | rules without
 * the field). */
static bool sample_alive(const struct compiler *cp, const struct pick *pk, size_t i,
			 const uint8_t *order, unsigned set)
{
	const word_t *y[EDGEFW_DIM_COUNT], *any[EDGEFW_DIM_COUNT];
	unsigned n = 0;

	for (unsigned j = 0; set >> j; j++) {
		uint32_t k = pk->cls[i][order[j]];

		if (!(set >> j & 1))
			continue;
		any[n] = cp->unconstrained[order[j]];
		y[n++] = k == EDGEFW_CLASS_NONE ? NULL : pool_set(&cp->leaf[order[j]], k);
	}
	for (size_t w = 0; w < cp->words; w++) {
		word_t m = ~(word_t)0;

		for (unsigned f = 0; f < n && m; f++)
			m &= any[f][w] | (y[f] ? y[f][w] : 0);
		if (m)
			return true;
	}
	return false;
}

static size_t pick_alive(const struct compiler *cp, const struct pick *pk, const uint8_t *order,
			 unsigned set)
{
	size_t n = 0;

	for (size_t i = 0; i < pk->n; i++)
		n += sample_alive(cp, pk, i, order, set);
	return n;
}

/* The order of order's n fields that minimizes the samples' stages, the
 * sum over its proper prefixes of the samples still alive after them
 * (which does not depend on the order within a prefix): a shortest path
 * over the subsets of the fields, 2^n of them (n <= 8). Ties keep the
 * default order. Rewrites order; returns its stages. */
static size_t pick_best(const struct compiler *cp, const struct pick *pk, uint8_t *order,
			unsigned n)
{
	const unsigned full = (1u << n) - 1;
	size_t cost[1u << (EDGEFW_DIM_COUNT - 1)];
	uint8_t last[1u << (EDGEFW_DIM_COUNT - 1)], out[EDGEFW_DIM_COUNT];

	cost[0] = 0;
	for (unsigned set = 1; set <= full; set++) {
		size_t here = set == full ? 0 : pick_alive(cp, pk, order, set);

		cost[set] = SIZE_MAX;
		/* The latest field of the default order goes last on ties. */
		for (unsigned j = n; j-- > 0;)
			if (set >> j & 1 && cost[set & ~(1u << j)] + here < cost[set]) {
				cost[set] = cost[set & ~(1u << j)] + here;
				last[set] = (uint8_t)j;
			}
	}
	for (unsigned set = full, k = n; set; set &= ~(1u << last[set]))
		out[--k] = order[last[set]];
	memcpy(order, out, n);
	return cost[full];
}

/* The default order's stages, as pick_best counts them. */
static size_t pick_default_cost(const struct compiler *cp, const struct pick *pk,
				const uint8_t *order, unsigned n)
{
	size_t sum = 0;

	for (unsigned k = 1; k < n; k++)
		sum += pick_alive(cp, pk, order, (1u << k) - 1);
	return sum;
}

/* Samples: at most PICK_SAMPLES, fewer when the rule sets are wide or the
 * fields many, so that the subsets' walk reads at most PICK_WORK words. */
static size_t pick_samples(const struct compiler *cp, unsigned n)
{
	size_t per = ((size_t)1 << n) * n * cp->words, k = PICK_WORK / per;

	return k > PICK_SAMPLES ? PICK_SAMPLES : k < PICK_MIN_SAMPLES ? PICK_MIN_SAMPLES : k;
}

int cl_pick_order(const struct compiler *cp, uint8_t *order)
{
	const struct ef_compiled *c = cp->out;
	unsigned n = c->n_dims;
	uint8_t best[EDGEFW_DIM_COUNT];
	struct pick pk = { 0 };
	int ret = -ENOMEM;

	memcpy(order, c->dims, c->n_dims);
	if (n && c->dims[n - 1] == EDGEFW_DIM_COND)
		n--; /* the conditions stay last */
	if (n < 2 || n > EDGEFW_DIM_COUNT - 1 || !cp->n_rules)
		return 0;
	pk.n = pick_samples(cp, n);
	pk.cls = malloc(pk.n * sizeof(*pk.cls));
	if (pk.cls)
		ret = pick_sample(cp, &pk);
	if (!ret) {
		memcpy(best, order, n);
		/* A better order must save PICK_MARGIN stages. */
		if (pick_best(cp, &pk, best, n) + PICK_MARGIN(pk.n) <
		    pick_default_cost(cp, &pk, order, n))
			memcpy(order, best, n);
	}
	free(pk.cls);
	return ret;
}
