// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ruleset -> equivalence classes and the combination table.
 *
 * Why classes: the kernel's LPM trie returns the longest matching prefix,
 * but first-match-wins needs every rule that matches. If each listed prefix
 * carries the set of rules matching any address in it (its own rules plus
 * those of every enclosing prefix), the longest match for an address carries
 * exactly the rules matching that address: any rule prefix containing the
 * address either contains the longest match or would itself be longer.
 * Sets are interned, so 100k prefixes of one blocklist make one class.
 */
#include "classify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct set_pool {
	size_t words;    /* uint64_t per set */
	uint64_t *sets;  /* n sets of `words` each */
	size_t n, cap;
	uint32_t *index; /* open addressing, UINT32_MAX = empty */
	size_t index_cap;
};

struct prefix_rule {
	struct ef_prefix prefix;
	uint32_t rule;
};

static uint64_t set_hash(const uint64_t *s, size_t words)
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

/* The id of set s, adding it when new. */
static int pool_intern(struct set_pool *p, const uint64_t *s, uint32_t *id)
{
	size_t slot;
	int ret;

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
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		uint64_t *sets = realloc(p->sets, cap * p->words * sizeof(*sets));

		if (!sets)
			return -ENOMEM;
		p->sets = sets;
		p->cap = cap;
	}
	memcpy(&p->sets[p->n * p->words], s, p->words * sizeof(*s));
	p->index[slot] = (uint32_t)p->n;
	*id = (uint32_t)p->n++;
	return 0;
}

static void pool_free(struct set_pool *p)
{
	free(p->sets);
	free(p->index);
}

static const struct ef_addr_field *rule_field(const struct ef_rule *r,
					      enum ef_field f)
{
	return f == EF_FIELD_SRC ? &r->src : &r->dst;
}

static int cmp_prefix_rule(const void *a, const void *b)
{
	const struct prefix_rule *x = a, *y = b;
	int c = ef_prefix_cmp(&x->prefix, &y->prefix);

	if (c)
		return c;
	return (x->rule > y->rule) - (x->rule < y->rule);
}

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

/* Fills one LPM table: field f of family fam. */
static int build_field(const struct ef_ruleset *rs, enum ef_field f,
		       uint8_t family, struct set_pool *pool,
		       struct ef_lpm_table *out, struct ef_diag *d)
{
	const size_t words = pool->words;
	struct prefix_rule *pairs = NULL;
	uint64_t *stack_sets = NULL, *base = NULL;
	struct ef_prefix stack_pfx[129];
	size_t n_pairs = 0, depth = 0, cap = 0;
	bool has_default = false;
	uint32_t id;
	int ret = 0;

	base = calloc(words, sizeof(*base));
	stack_sets = calloc(words * 129, sizeof(*stack_sets));
	if (!base || !stack_sets) {
		ret = -ENOMEM;
		goto out;
	}

	for (size_t r = 0; r < rs->n_rules; r++) {
		const struct ef_addr_field *fld = rule_field(&rs->rules[r], f);

		if (!ef_rule_has_family(&rs->rules[r], family))
			continue;
		if (fld->any) {
			base[r / 64] |= 1ull << (r % 64);
			continue;
		}
		for (size_t i = 0; i < fld->n; i++)
			n_pairs += fld->v[i].family == family;
	}
	if (n_pairs > EF_MAX_LPM_ENTRIES) {
		ef_err(d, rs->path, 0, 0,
		       "%zu %s prefixes exceed the table limit of %u",
		       n_pairs, family == EF_AF_INET ? "IPv4" : "IPv6",
		       EF_MAX_LPM_ENTRIES);
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
		const struct ef_addr_field *fld = rule_field(&rs->rules[r], f);

		if (!ef_rule_has_family(&rs->rules[r], family) || fld->any)
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
	 * stack of enclosing prefixes gives each one its inherited set. */
	for (size_t i = 0; i < n_pairs;) {
		const struct ef_prefix *pf = &pairs[i].prefix;
		const uint64_t *parent;
		uint64_t *set;

		while (depth && !ef_prefix_contains(&stack_pfx[depth - 1], pf))
			depth--;
		parent = depth ? &stack_sets[(depth - 1) * words] : base;
		set = &stack_sets[depth * words];
		memcpy(set, parent, words * sizeof(*set));
		for (; i < n_pairs && !ef_prefix_cmp(&pairs[i].prefix, pf); i++)
			set[pairs[i].rule / 64] |= 1ull << (pairs[i].rule % 64);
		stack_pfx[depth++] = *pf;
		has_default |= pf->len == 0;

		ret = pool_intern(pool, set, &id);
		if (!ret)
			ret = table_push(out, &cap, pf, id);
		if (ret)
			goto out;
	}

	/* Addresses under no listed prefix still match the rules whose field
	 * is any. */
	if (!has_default) {
		bool empty = true;

		for (size_t w = 0; w < words; w++)
			empty &= !base[w];
		if (!empty) {
			struct ef_prefix all = { .family = family, .len = 0 };

			ret = pool_intern(pool, base, &id);
			if (!ret)
				ret = table_push(out, &cap, &all, id);
		}
	}
out:
	free(pairs);
	free(stack_sets);
	free(base);
	return ret;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The distinct class ids of a table, sorted. */
static int distinct_classes(const struct ef_lpm_table *t, uint32_t **out,
			    size_t *n_out)
{
	uint32_t *ids = malloc((t->n ? t->n : 1) * sizeof(*ids));
	size_t n = 0;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		ids[i] = t->v[i].class_id;
	qsort(ids, t->n, sizeof(*ids), cmp_u32);
	for (size_t i = 0; i < t->n; i++)
		if (!n || ids[n - 1] != ids[i])
			ids[n++] = ids[i];
	*out = ids;
	*n_out = n;
	return 0;
}

static int cmp_combo(const void *a, const void *b)
{
	const struct ef_combo_entry *x = a, *y = b;

	if (x->key.src_class != y->key.src_class)
		return x->key.src_class < y->key.src_class ? -1 : 1;
	return (x->key.dst_class > y->key.dst_class) -
	       (x->key.dst_class < y->key.dst_class);
}

static int build_combos(const struct ef_ruleset *rs, struct ef_compiled *c,
			const struct set_pool *src, const struct set_pool *dst,
			struct ef_diag *d)
{
	const size_t words = src->words;
	uint32_t *sc = NULL, *dc = NULL;
	size_t n_sc = 0, n_dc = 0, cap = 0;
	int ret = 0;

	for (int fam = 0; fam < EF_FAM_COUNT; fam++) {
		ret = distinct_classes(&c->lpm[EF_FIELD_SRC][fam], &sc, &n_sc);
		if (!ret)
			ret = distinct_classes(&c->lpm[EF_FIELD_DST][fam], &dc, &n_dc);
		if (ret)
			goto out;
		for (size_t i = 0; i < n_sc; i++) {
			const uint64_t *s = &src->sets[(size_t)sc[i] * words];

			for (size_t j = 0; j < n_dc; j++) {
				const uint64_t *t = &dst->sets[(size_t)dc[j] * words];
				size_t w = 0;

				while (w < words && !(s[w] & t[w]))
					w++;
				if (w == words)
					continue;
				if (c->n_combos == EF_MAX_COMBOS) {
					ef_err(d, rs->path, 0, 0,
					       "the rules need more than %u address combinations; merge rules that share addresses into sets",
					       EF_MAX_COMBOS);
					ret = -E2BIG;
					goto out;
				}
				if (c->n_combos == cap) {
					size_t ncap = cap ? cap * 2 : 64;
					struct ef_combo_entry *v =
						realloc(c->combos, ncap * sizeof(*v));

					if (!v) {
						ret = -ENOMEM;
						goto out;
					}
					c->combos = v;
					cap = ncap;
				}
				c->combos[c->n_combos].key.src_class = sc[i];
				c->combos[c->n_combos].key.dst_class = dc[j];
				c->combos[c->n_combos].rule = (uint32_t)(w * 64 +
					(size_t)__builtin_ctzll(s[w] & t[w]));
				c->n_combos++;
			}
		}
		free(sc);
		free(dc);
		sc = dc = NULL;
	}

	/* A pair of classes can occur in both families: keep one entry (the
	 * winner depends only on the two sets, so both are the same). */
	if (c->n_combos) {
		size_t n = 1;

		qsort(c->combos, c->n_combos, sizeof(*c->combos), cmp_combo);
		for (size_t i = 1; i < c->n_combos; i++)
			if (cmp_combo(&c->combos[n - 1], &c->combos[i]))
				c->combos[n++] = c->combos[i];
		c->n_combos = n;
	}
out:
	free(sc);
	free(dc);
	return ret;
}

int ef_compile(const struct ef_ruleset *rs, struct ef_compiled *out,
	       struct ef_diag *d)
{
	static const uint8_t families[EF_FAM_COUNT] = { EF_AF_INET, EF_AF_INET6 };
	size_t words = (rs->n_rules + 63) / 64;
	struct set_pool pools[EF_FIELD_COUNT] = {};
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!words)
		words = 1;
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		pools[f].words = words;
		for (int fam = 0; fam < EF_FAM_COUNT; fam++) {
			ret = build_field(rs, (enum ef_field)f, families[fam],
					  &pools[f], &out->lpm[f][fam], d);
			if (ret)
				goto out;
		}
		out->n_classes[f] = pools[f].n;
	}
	ret = build_combos(rs, out, &pools[EF_FIELD_SRC], &pools[EF_FIELD_DST], d);
out:
	for (int f = 0; f < EF_FIELD_COUNT; f++)
		pool_free(&pools[f]);
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
	free(c->combos);
	memset(c, 0, sizeof(*c));
}

size_t ef_compiled_memory(const struct ef_compiled *c)
{
	/* An estimate from the kernel's node layouts: an LPM trie node and a
	 * hash element each carry about 48 bytes besides key and value. */
	size_t bytes = 0;

	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		bytes += c->lpm[f][EF_FAM_V4].n * (48 + 8 + 4);
		bytes += c->lpm[f][EF_FAM_V6].n * (48 + 20 + 4);
	}
	bytes += c->n_combos * (48 + 8 + 16);
	return bytes;
}
