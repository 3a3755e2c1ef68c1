// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One IPv4 trie for the chain and a forest over the same address.
 *
 * A packet that no rule matches walks every structure to its end: with a
 * src forest and a dst forest (tree_forest.c) beside a chain that uses
 * both addresses, that was four walks of 16-4-4-4-4 tries, each starting
 * with a random read in a 256 KiB level 1, most of them cache misses.
 * Sharing one trie per address halves that.
 *
 * The shared trie holds the union of the chain's prefixes (A, valued by
 * chain class) and the forest's (B, valued by subtree). The prefixes that
 * hold an address are nested, so the longest of them in the union, P,
 * decides both answers: the longest A prefix holding the address is the
 * longest A prefix holding P (a longer one would be a longer union prefix
 * holding the address), and likewise for B. Each union prefix therefore
 * gets a pair (A's value, B's value), found with a stack of the
 * enclosing prefixes as the prefixes are walked in address order, and the
 * trie maps an address to its longest union prefix's pair.
 *
 * A pair is one cell (kern/edgefw.h, EDGEFW_CELL_SIZE): A's value in the
 * lower half, B's in the upper half (cells_hi.c), so the datapath reads
 * both with one lookup (kern/tree_walk.h, tree_pair_root) and the chain
 * reads none (kern/classifier.h, a4_class). Either half is EDGEFW_A4_NONE
 * for none.
 *
 * Example: A = {10.0.0.0/8 -> class 3}, B = {10.1.0.0/16 -> subtree 7}.
 * Pairs: 10/8 -> (3, none), 10.1/16 -> (3, 7). Address 10.1.2.3 finds
 * 10.1/16's pair, 10.2.0.1 finds 10/8's, 11.0.0.1 no pair (both none).
 *
 * Costs: one cell (8 bytes) per union prefix, and the trie of the union
 * instead of two tries.
 */
#include "addr4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct upfx {
	uint32_t lo;
	uint8_t len;
	uint8_t in_a, in_b;
	uint32_t a, b; /* the values of the prefix itself in A, B */
	const struct ef_prefix *prefix;
};

static uint32_t lo_of(const struct ef_prefix *p)
{
	return (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 | (uint32_t)p->addr[2] << 8 |
	       p->addr[3];
}

static int cmp_upfx(const void *x, const void *y)
{
	const struct upfx *a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (a->len > b->len) - (a->len < b->len);
}

static bool upfx_contains(const struct upfx *outer, const struct upfx *in)
{
	uint32_t mask = outer->len ? ~0u << (32 - outer->len) : 0;

	return outer->len <= in->len && (in->lo & mask) == outer->lo;
}

static uint32_t cell_of(uint32_t v)
{
	return v == EDGEFW_CLASS_NONE ? EDGEFW_A4_NONE : v;
}

/* The union of a and b, sorted, each prefix once. free(*out). */
static int union_of(const struct ef_lpm_table *a, const struct ef_lpm_table *b, struct upfx **out,
		    size_t *n_out)
{
	size_t n = a->n + b->n, m = 0;
	struct upfx *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool from_a = i < a->n;
		const struct ef_lpm_entry *e = from_a ? &a->v[i] : &b->v[i - a->n];

		v[i] = (struct upfx){ .lo = lo_of(&e->prefix),
				      .len = e->prefix.len,
				      .in_a = from_a,
				      .in_b = !from_a,
				      .a = from_a ? e->class_id : EDGEFW_CLASS_NONE,
				      .b = from_a ? EDGEFW_CLASS_NONE : e->class_id,
				      .prefix = &e->prefix };
	}
	qsort(v, n, sizeof(*v), cmp_upfx);
	for (size_t i = 0; i < n; i++) {
		if (m && v[m - 1].lo == v[i].lo && v[m - 1].len == v[i].len) {
			struct upfx *u = &v[m - 1];

			if (v[i].in_a)
				u->in_a = 1, u->a = v[i].a;
			if (v[i].in_b)
				u->in_b = 1, u->b = v[i].b;
			continue;
		}
		v[m++] = v[i];
	}
	*out = v;
	*n_out = m;
	return 0;
}

/* Appends the pairs of the sorted union v (n of them) to c->cells, one
 * cell each: A's value in the lower half, B's in the upper half (pushed
 * onto c->cells_hi, after every upper half so far: forest_tries sorts
 * them again once every trie is built);
 * (*t)'s entries map each prefix to its pair. */
static int append_pairs(struct ef_compiled *c, const struct upfx *v, size_t n,
			struct ef_lpm_table *t)
{
	/* The count as the capacity: ef_cells_hi_push grows from any. */
	size_t base = c->n_cells, depth = 0, hi_cap = c->n_cells_hi;
	const struct upfx *stack[33];
	uint32_t sa[33], sb[33], *cells;
	int ret = 0;

	if (base + n > EDGEFW_CELLS_MAX)
		return -E2BIG;
	cells = realloc(c->cells, (base + n + 1) * sizeof(*cells));
	t->v = malloc((n ? n : 1) * sizeof(*t->v));
	if (cells)
		c->cells = cells;
	if (!cells || !t->v)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		uint32_t a, b;

		while (depth && !upfx_contains(stack[depth - 1], &v[i]))
			depth--;
		a = v[i].in_a ? v[i].a : depth ? sa[depth - 1] : EDGEFW_CLASS_NONE;
		b = v[i].in_b ? v[i].b : depth ? sb[depth - 1] : EDGEFW_CLASS_NONE;
		stack[depth] = &v[i];
		sa[depth] = a;
		sb[depth++] = b;
		c->cells[base + i] = cell_of(a);
		/* An upper half of 0 is not kept: the loader writes 0 there. */
		if (cell_of(b))
			ret = ef_cells_hi_push(c, &hi_cap, base + i, cell_of(b));
		t->v[i].prefix = *v[i].prefix;
		t->v[i].class_id = (uint32_t)(base + i);
	}
	t->n = n;
	c->n_cells = base + n;
	return ret;
}

int ef_trie4_pair(struct ef_compiled *c, uint8_t field, const struct ef_lpm_table *forest,
		  uint32_t *l1, const char *path, struct ef_diag *d)
{
	struct ef_lpm_table pairs = { 0 };
	struct upfx *v = NULL;
	size_t n = 0;
	int ret;

	ret = union_of(&c->lpm[field][EF_FAM_V4], forest, &v, &n);
	if (!ret)
		ret = append_pairs(c, v, n, &pairs);
	if (ret == -E2BIG)
		ef_err(d, path, 0, 0,
		       "IPv4 prefixes need more than %u table cells; list fewer of them",
		       EDGEFW_CELLS_MAX);
	if (!ret)
		ret = ef_trie4_append(c, &pairs, l1, path, d);
	free(pairs.v);
	free(v);
	return ret;
}
