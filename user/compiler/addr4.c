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

#include "growth.h"

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
	if (EF_GROW(&c->cells, cap, at + EDGEFW_A4_CHUNK_SIZE))
		return -ENOMEM;
	for (size_t i = 0; i < EDGEFW_A4_CHUNK_SIZE; i++)
		c->cells[at + i] = fill;
	c->cells[parent] = EDGEFW_A4_CHUNK | (uint32_t)at;
	c->n_cells += EDGEFW_A4_CHUNK_SIZE;
	return 0;
}

/* The byte-wise view both families share: level 1 is indexed by the
 * first two bytes, each next level by the next nibble. */
static unsigned nibble_at(const uint8_t *a, unsigned n)
{
	uint8_t b = a[2 + n / 2];

	return n & 1 ? b & 15 : b >> 4;
}

/* One family's trie: where its level 1 starts, and how its cells say
 * "chunk index" and "no class" (IPv6 cells keep two flag bits). IPv6
 * also has the prefix lengths past the trie that go to hashes. */
struct trie {
	size_t l1;
	uint32_t value_mask, none;
	uint8_t *hash6_len;
};

static struct trie trie4(size_t l1)
{
	return (struct trie){ .l1 = l1, .value_mask = EDGEFW_A4_VALUE, .none = EDGEFW_A4_NONE };
}

static struct trie trie6(uint8_t field, uint8_t *hash6_len)
{
	return (struct trie){
		.l1 = EDGEFW_A6_L1_BASE + (size_t)field * EDGEFW_A4_L1_SIZE,
		.value_mask = EDGEFW_A6_VALUE,
		.none = EDGEFW_A6_NONE,
		.hash6_len = hash6_len,
	};
}

/* The cell of level (1: /16, each next 4 bits more) covering address a
 * (network order) in trie t, making chunks down to it. */
static int cell_at(struct ef_compiled *c, size_t *cap, const struct trie *t, const uint8_t *a,
		   unsigned level, size_t *out)
{
	size_t idx = t->l1 + ((size_t)a[0] << 8 | a[1]);
	int ret;

	for (unsigned l = 2; l <= level; l++) {
		if (!(c->cells[idx] & EDGEFW_A4_CHUNK)) {
			ret = add_chunk(c, cap, idx);
			if (ret)
				return ret;
		}
		idx = (c->cells[idx] & t->value_mask) + nibble_at(a, l - 2);
	}
	*out = idx;
	return 0;
}

/* The table's entries, shorter prefixes first, so that longer ones
 * overwrite what they refine. free(*out). */
static int sort_by_len(const struct ef_lpm_table *t, const struct ef_lpm_entry ***out)
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

/* Paints one prefix with value v. IPv6 prefixes past the trie's 48 bits
 * only flag their /48 cell: the hashed lengths go to host6_tbl, the
 * others to the LPM trie, and the flag says which to ask. */
static int paint_prefix(struct ef_compiled *c, size_t *cap, const struct trie *t,
			const struct ef_prefix *p, uint32_t v)
{
	/* Level 1 ends at bit 16, each next one 4 bits further. */
	unsigned level = p->len <= 16 ? 1 : 1 + (p->len - 16 + 3) / 4;
	unsigned end = 16 + 4 * (level - 1);
	size_t idx;
	int ret;

	if (p->len > EDGEFW_A6_TRIE_BITS) {
		ret = cell_at(c, cap, t, p->addr, 9, &idx);
		if (!ret)
			c->cells[idx] |= ef_hash6_has(t->hash6_len, p->len) ? EDGEFW_A6_HOST
									    : EDGEFW_A6_LONGER;
		return ret;
	}
	ret = cell_at(c, cap, t, p->addr, level, &idx);
	for (size_t k = 0; k < 1u << (end - p->len) && !ret; k++)
		c->cells[idx + k] = v;
	return ret;
}

/* Paints table lpm into trie t. */
static int paint(struct ef_compiled *c, size_t *cap, const struct trie *t,
		 const struct ef_lpm_table *lpm)
{
	const struct ef_lpm_entry **sorted = NULL;
	int ret;

	if (t->hash6_len)
		ef_hash6_choose(lpm, t->hash6_len);
	ret = sort_by_len(lpm, &sorted);
	if (ret || !lpm->n)
		return ret;
	for (size_t i = 0; i < lpm->n && !ret; i++) {
		uint32_t cls = sorted[i]->class_id;

		ret = paint_prefix(c, cap, t, &sorted[i]->prefix,
				   cls == EDGEFW_CLASS_NONE ? t->none : cls);
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
	for (uint8_t f = 0; f < EF_FIELD_COUNT && !ret; f++) {
		struct trie t4 = trie4((size_t)f * EDGEFW_A4_L1_SIZE);
		struct trie t6 = trie6(f, c->hash6_len[f]);

		ret = paint(c, &cells_cap, &t4, &c->lpm[f][EF_FAM_V4]);
		if (!ret)
			ret = paint(c, &cells_cap, &t6, &c->lpm[f][EF_FAM_V6]);
	}
	if (ret == -E2BIG)
		return too_many_cells(path, d);
	return ret;
}

uint32_t ef_addr6_class(const struct ef_compiled *c, uint8_t field, const uint8_t addr[16])
{
	struct trie six = trie6(field, NULL);
	uint32_t v = c->cells[six.l1 + ((size_t)addr[0] << 8 | addr[1])];

	for (unsigned n = 0; n < 8 && (v & EDGEFW_A4_CHUNK); n++)
		v = c->cells[(v & EDGEFW_A6_VALUE) + nibble_at(addr, n)];
	if (v & (EDGEFW_A6_HOST | EDGEFW_A6_LONGER)) {
		const struct ef_lpm_table *t = &c->lpm[field][EF_FAM_V6];
		uint32_t cls = EDGEFW_CLASS_NONE;
		int best = -1;

		/* A linear scan: the tests' view, not the datapath's. Which
		 * table the datapath asks follows from the flags. */
		for (size_t i = 0; i < t->n; i++) {
			const struct ef_prefix *p = &t->v[i].prefix;
			bool asked = ef_hash6_has(c->hash6_len[field], p->len)
					     ? (v & EDGEFW_A6_HOST)
					     : (v & EDGEFW_A6_LONGER);

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

uint32_t ef_addr4_class(const struct ef_compiled *c, uint8_t field, const uint8_t addr[4])
{
	uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 |
		     addr[3];
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

int ef_trie4_append(struct ef_compiled *c, const struct ef_lpm_table *t, uint32_t *l1,
		    const char *path, struct ef_diag *d)
{
	size_t cap = c->n_cells + EDGEFW_A4_L1_SIZE;
	uint32_t *v = reallocarray(c->cells, cap, sizeof(*v));
	struct trie trie;
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
	trie = trie4(*l1);
	ret = paint(c, &cap, &trie, t);
	if (ret == -E2BIG)
		return too_many_cells(path, d);
	return ret;
}
