// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPv4 address classes as a multibit trie of arrays instead of an LPM trie:
 * on the project machine an LPM lookup costs 20 ns with 10 prefixes and
 * 78 ns with 100k, an array lookup 1.5 ns (kern/edgefw.h has the layout).
 *
 * Built from the longest-match classes of the compiled prefixes, shorter
 * prefixes first so that longer ones overwrite what they refine, with leaf
 * pushing: a new chunk starts as copies of the cell it replaces. A prefix
 * of length L paints 2^(level end - L) cells of the level that ends at or
 * after L: /0-/16 the first, /17-/20 the second, and so on to /29-/32.
 * An isolated /32 costs four chunks, 256 bytes.
 */
#include "addr4.h"
#include "addr6_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t addr_of(const struct ef_prefix *p)
{
	return (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
	       (uint32_t)p->addr[2] << 8 | p->addr[3];
}

static int cmp_len(const void *a, const void *b)
{
	const struct ef_lpm_entry *x = *(const struct ef_lpm_entry *const *)a;
	const struct ef_lpm_entry *y = *(const struct ef_lpm_entry *const *)b;

	if (x->prefix.len != y->prefix.len)
		return x->prefix.len < y->prefix.len ? -1 : 1;
	return memcmp(x->prefix.addr, y->prefix.addr, 4);
}

/* Appends a chunk of 16 copies of cell parent and points the parent at it.
 * parent is an index: cells may move. */
static int add_chunk(struct ef_compiled *c, size_t *cap, size_t parent)
{
	uint32_t fill = c->cells[parent];
	size_t at = c->n_cells;

	if (at + EDGEFW_A4_CHUNK_SIZE > EDGEFW_CELLS_MAX ||
	    at > EDGEFW_A4_VALUE - EDGEFW_A4_CHUNK_SIZE)
		return -E2BIG;
	if (at + EDGEFW_A4_CHUNK_SIZE > *cap) {
		size_t ncap = *cap * 2;
		uint32_t *v = realloc(c->cells, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->cells = v;
		*cap = ncap;
	}
	for (size_t i = 0; i < EDGEFW_A4_CHUNK_SIZE; i++)
		c->cells[at + i] = fill;
	c->cells[parent] = EDGEFW_A4_CHUNK | (uint32_t)at;
	c->n_cells += EDGEFW_A4_CHUNK_SIZE;
	return 0;
}

/* The cell of level (1 to EDGEFW_A4_LEVELS) covering addr in the trie
 * whose level 1 starts at cell l1, making chunks down to it. */
static int cell_at(struct ef_compiled *c, size_t *cap, size_t l1,
		   uint32_t addr, unsigned level, size_t *out)
{
	size_t idx = l1 + (addr >> 16);
	int ret;

	for (unsigned l = 2; l <= level; l++) {
		unsigned shift = 32 - 16 - 4 * (l - 1);

		if (!(c->cells[idx] & EDGEFW_A4_CHUNK)) {
			ret = add_chunk(c, cap, idx);
			if (ret)
				return ret;
		}
		idx = (c->cells[idx] & EDGEFW_A4_VALUE) + ((addr >> shift) & 15);
	}
	*out = idx;
	return 0;
}

/* The table's entries, shorter prefixes first, so that longer ones
 * overwrite what they refine. free(*out). */
static int sort_by_len(const struct ef_lpm_table *t,
		       const struct ef_lpm_entry ***out)
{
	const struct ef_lpm_entry **sorted;

	*out = NULL;
	if (!t->n)
		return 0;
	sorted = malloc(t->n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		sorted[i] = &t->v[i];
	qsort(sorted, t->n, sizeof(*sorted), cmp_len);
	*out = sorted;
	return 0;
}

static uint32_t cell_value(uint32_t cls)
{
	return cls == EDGEFW_CLASS_NONE ? EDGEFW_A4_NONE : cls;
}

/* Paints table t into the trie at level 1 cell l1. */
static int paint4(struct ef_compiled *c, size_t l1, const struct ef_lpm_table *t,
		  size_t *cells_cap)
{
	const struct ef_lpm_entry **sorted = NULL;
	int ret;

	ret = sort_by_len(t, &sorted);
	if (ret || !t->n)
		return ret;

	for (size_t i = 0; i < t->n && !ret; i++) {
		const struct ef_prefix *p = &sorted[i]->prefix;
		uint32_t a = addr_of(p), v = cell_value(sorted[i]->class_id);
		/* Level 1 ends at bit 16, each next one 4 bits further. */
		unsigned level = p->len <= 16 ? 1 : 1 + (p->len - 16 + 3) / 4;
		unsigned end = 16 + 4 * (level - 1);
		size_t idx;

		ret = cell_at(c, cells_cap, l1, a, level, &idx);
		for (size_t k = 0; k < 1u << (end - p->len) && !ret; k++)
			c->cells[idx + k] = v;
	}
	free(sorted);
	return ret;
}

/* --- IPv6: the same trie over the first 48 bits --- */

static unsigned nibble6(const uint8_t a[16], unsigned n)
{
	uint8_t b = a[2 + n / 2];

	return n & 1 ? b & 15 : b >> 4;
}

static size_t a6_l1(uint8_t field, const uint8_t a[16])
{
	return EDGEFW_A6_L1_BASE + (size_t)field * EDGEFW_A4_L1_SIZE +
	       ((size_t)a[0] << 8 | a[1]);
}

/* The cell of level (1 to 9, /16 to /48) covering a, making chunks. */
static int cell_at6(struct ef_compiled *c, size_t *cap, uint8_t field,
		    const uint8_t a[16], unsigned level, size_t *out)
{
	size_t idx = a6_l1(field, a);
	int ret;

	for (unsigned l = 2; l <= level; l++) {
		if (!(c->cells[idx] & EDGEFW_A4_CHUNK)) {
			ret = add_chunk(c, cap, idx);
			if (ret)
				return ret;
		}
		idx = (c->cells[idx] & EDGEFW_A6_VALUE) + nibble6(a, l - 2);
	}
	*out = idx;
	return 0;
}

static int build_field6(struct ef_compiled *c, uint8_t field, size_t *cells_cap)
{
	const struct ef_lpm_table *t = &c->lpm[field][EF_FAM_V6];
	const struct ef_lpm_entry **sorted = NULL;
	int ret;

	ef_hash6_choose(t, c->hash6_len[field]);
	ret = sort_by_len(t, &sorted);
	if (ret || !t->n)
		return ret;

	for (size_t i = 0; i < t->n && !ret; i++) {
		const struct ef_prefix *p = &sorted[i]->prefix;
		uint32_t cls = sorted[i]->class_id;
		uint32_t v = cls == EDGEFW_CLASS_NONE ? EDGEFW_A6_NONE : cls;
		unsigned level, end;
		size_t idx;

		if (p->len > EDGEFW_A6_TRIE_BITS) {
			/* The hashed lengths to host6_tbl, the others to the
			 * LPM trie; the /48 cell says which to ask. */
			ret = cell_at6(c, cells_cap, field, p->addr, 9, &idx);
			if (!ret)
				c->cells[idx] |= ef_hash6_has(c->hash6_len[field], p->len) ?
							 EDGEFW_A6_HOST : EDGEFW_A6_LONGER;
			continue;
		}
		level = p->len <= 16 ? 1 : 1 + (p->len - 16 + 3) / 4;
		end = 16 + 4 * (level - 1);
		ret = cell_at6(c, cells_cap, field, p->addr, level, &idx);
		for (size_t k = 0; k < 1u << (end - p->len) && !ret; k++)
			c->cells[idx + k] = v;
	}
	free(sorted);
	return ret;
}

static int too_many_cells(const char *path, struct ef_diag *d)
{
	ef_err(d, path, 0, 0,
	       "IPv4 prefixes need more than %u table cells (an isolated /32 takes 64); list fewer of them",
	       EDGEFW_CELLS_MAX);
	return -E2BIG;
}

int ef_build_addr4(struct ef_compiled *c, const char *path, struct ef_diag *d)
{
	/* First levels: IPv4 src and dst, then IPv6 src and dst. */
	size_t l1 = 2 * (size_t)EF_FIELD_COUNT * EDGEFW_A4_L1_SIZE;
	size_t cells_cap = l1 * 2;
	int ret = 0;

	c->cells = malloc(cells_cap * sizeof(*c->cells));
	if (!c->cells)
		return -ENOMEM;
	c->n_cells = l1;
	for (size_t i = 0; i < EDGEFW_A6_L1_BASE; i++)
		c->cells[i] = EDGEFW_A4_NONE;
	for (size_t i = EDGEFW_A6_L1_BASE; i < l1; i++)
		c->cells[i] = EDGEFW_A6_NONE;
	for (uint8_t f = 0; f < EF_FIELD_COUNT && !ret; f++)
		ret = paint4(c, (size_t)f * EDGEFW_A4_L1_SIZE, &c->lpm[f][EF_FAM_V4],
			     &cells_cap);
	for (uint8_t f = 0; f < EF_FIELD_COUNT && !ret; f++)
		ret = build_field6(c, f, &cells_cap);
	if (ret == -E2BIG)
		return too_many_cells(path, d);
	return ret;
}

uint32_t ef_addr6_class(const struct ef_compiled *c, uint8_t field,
			const uint8_t addr[16])
{
	uint32_t v = c->cells[a6_l1(field, addr)];

	for (unsigned n = 0; n < 8 && (v & EDGEFW_A4_CHUNK); n++)
		v = c->cells[(v & EDGEFW_A6_VALUE) + nibble6(addr, n)];
	if (v & (EDGEFW_A6_HOST | EDGEFW_A6_LONGER)) {
		const struct ef_lpm_table *t = &c->lpm[field][EF_FAM_V6];
		uint32_t cls = EDGEFW_CLASS_NONE;
		int best = -1;

		/* A linear scan: the tests' view, not the datapath's. Which
		 * table the datapath asks follows from the flags. */
		for (size_t i = 0; i < t->n; i++) {
			const struct ef_prefix *p = &t->v[i].prefix;
			bool asked = ef_hash6_has(c->hash6_len[field], p->len) ?
					     (v & EDGEFW_A6_HOST) :
					     (v & EDGEFW_A6_LONGER);

			if (p->len > EDGEFW_A6_TRIE_BITS && asked && p->len > best &&
			    ef_prefix_match(p, EF_AF_INET6, addr)) {
				best = p->len;
				cls = t->v[i].class_id;
			}
		}
		if (best >= 0)
			return cls;
	}
	v &= EDGEFW_A6_VALUE;
	return v == EDGEFW_A6_NONE ? EDGEFW_CLASS_NONE : v;
}

uint32_t ef_trie4_get(const struct ef_compiled *c, size_t l1, uint32_t a)
{
	uint32_t v = c->cells[l1 + (a >> 16)];

	for (int shift = 12; shift >= 0 && (v & EDGEFW_A4_CHUNK); shift -= 4)
		v = c->cells[(v & EDGEFW_A4_VALUE) + ((a >> shift) & 15)];
	v &= EDGEFW_A4_VALUE;
	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}

uint32_t ef_addr4_class(const struct ef_compiled *c, uint8_t field,
			const uint8_t addr[4])
{
	uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
		     (uint32_t)addr[2] << 8 | addr[3];
	uint32_t pair, v;

	if (!c->pair_l1[field & 1])
		return ef_trie4_get(c, (size_t)field * EDGEFW_A4_L1_SIZE, a);
	/* A trie shared with a forest (addr4_pair.c): the pair's first cell. */
	pair = ef_trie4_get(c, c->pair_l1[field & 1], a);
	if (pair == EDGEFW_CLASS_NONE)
		return pair;
	v = c->cells[pair] & EDGEFW_A4_VALUE;
	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}

int ef_trie4_append(struct ef_compiled *c, const struct ef_lpm_table *t,
		    uint32_t *l1, const char *path, struct ef_diag *d)
{
	size_t cap = c->n_cells + EDGEFW_A4_L1_SIZE;
	uint32_t *v = realloc(c->cells, cap * sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	c->cells = v;
	if (cap > EDGEFW_CELLS_MAX)
		return too_many_cells(path, d);
	*l1 = (uint32_t)c->n_cells;
	for (size_t i = c->n_cells; i < cap; i++)
		c->cells[i] = EDGEFW_A4_NONE;
	c->n_cells = cap;
	ret = paint4(c, *l1, t, &cap);
	if (ret == -E2BIG)
		return too_many_cells(path, d);
	return ret;
}
