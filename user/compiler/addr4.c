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
 * A prefix alone on its branch goes behind a skip node instead
 * (addr_skip.c): an isolated /32 costs 8 cells where four chunks took 64.
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

/* Appends a chunk's room, 16 cells of fill, at *at. */
static int add_cells(struct ef_compiled *c, size_t *cap, uint32_t fill, size_t *at)
{
	*at = c->n_cells;
	if (*at + EDGEFW_A4_CHUNK_SIZE > EDGEFW_CELLS_MAX ||
	    *at > EDGEFW_A4_VALUE - EDGEFW_A4_CHUNK_SIZE)
		return -E2BIG;
	if (EF_GROW(&c->cells, cap, *at + EDGEFW_A4_CHUNK_SIZE))
		return -ENOMEM;
	for (size_t i = 0; i < EDGEFW_A4_CHUNK_SIZE; i++)
		c->cells[*at + i] = fill;
	c->n_cells += EDGEFW_A4_CHUNK_SIZE;
	return 0;
}

/* Appends a chunk of 16 copies of cell parent and points the parent at it.
 * parent is an index: cells may move. */
static int add_chunk(struct ef_compiled *c, size_t *cap, size_t parent)
{
	size_t at;
	int ret = add_cells(c, cap, c->cells[parent], &at);

	if (!ret)
		c->cells[parent] = EDGEFW_A4_CHUNK | (uint32_t)at;
	return ret;
}

/* The byte-wise view both families share: level 1 is indexed by the
 * first two bytes, each next level by the next nibble. */
static unsigned nibble_at(const uint8_t *a, unsigned n)
{
	uint8_t b = a[2 + n / 2];

	return n & 1 ? b & 15 : b >> 4;
}

/* One family's trie: where its level 1 starts, and how its cells say
 * "chunk index" and "no class" (IPv6 cells keep two flag bits). Every
 * trie, the chain's, a forest's or one they share (addr4_pair.c), has
 * skip nodes (addr_skip.c), two to a chunk's room (spare: the free half,
 * or 0). */
struct trie {
	size_t l1;
	uint32_t value_mask, none;
	size_t spare;
};

/* A cell that points at a chunk (a skip node's is flagged too). */
static bool is_chunk(uint32_t v)
{
	return (v & EDGEFW_SKIP) == EDGEFW_A4_CHUNK;
}

static bool is_skip(uint32_t v)
{
	return (v & EDGEFW_SKIP) == EDGEFW_SKIP;
}

static struct trie trie4(size_t l1)
{
	return (struct trie){ .l1 = l1, .value_mask = EDGEFW_A4_VALUE, .none = EDGEFW_A4_NONE };
}

static struct trie trie6(uint8_t field)
{
	return (struct trie){
		.l1 = EDGEFW_A6_L1_BASE + (size_t)field * EDGEFW_A4_L1_SIZE,
		.value_mask = EDGEFW_A6_VALUE,
		.none = EDGEFW_A6_NONE,
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
		/* A skip node's branch holds its prefix alone (addr_skip.c). */
		if (is_skip(c->cells[idx]))
			return -EINVAL;
		if (!is_chunk(c->cells[idx])) {
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

/* The cell of a skip node for e: at e->skip_level, or below where a
 * prefix e lies inside made chunks further down its path; *level is the
 * cell's level. */
static int skip_cell(struct ef_compiled *c, size_t *cap, const struct trie *t,
		     const struct ef_lpm_entry *e, size_t *idx, unsigned *level)
{
	const uint8_t *a = e->prefix.addr;

	*idx = t->l1 + ((size_t)a[0] << 8 | a[1]);
	for (*level = 1; *level < EDGEFW_A6_TRIE_LEVELS && is_chunk(c->cells[*idx]); ++*level)
		*idx = (c->cells[*idx] & t->value_mask) + nibble_at(a, *level - 1);
	if (*level < e->skip_level) {
		*level = e->skip_level;
		return cell_at(c, cap, t, a, *level, idx);
	}
	return 0;
}

/* Puts prefix e, alone on its branch, behind a skip node (kern/edgefw.h,
 * EDGEFW_SKIP) with hit value v at cell idx of level level; the node's
 * miss is the cell's value, the class of the rest of the branch. */
static int paint_skip(struct ef_compiled *c, size_t *cap, struct trie *t,
		      const struct ef_lpm_entry *e, uint32_t v, size_t idx, unsigned level)
{
	size_t node;
	int ret;

	/* Only the prefix lies below (addr_skip.c): a plain value here. */
	if (c->cells[idx] & ~t->value_mask)
		return -EINVAL;
	if (t->spare) {
		node = t->spare;
		t->spare = 0;
	} else {
		ret = add_cells(c, cap, 0, &node);
		if (ret)
			return ret;
		t->spare = node + EDGEFW_SKIP_CELLS;
	}
	c->cells[node + EDGEFW_SKIP_HDR] = e->prefix.len | (16 + 4 * (level - 1)) << 8;
	for (unsigned w = 0; w < 4; w++) {
		const uint8_t *b = e->prefix.addr + 4 * w;

		c->cells[node + EDGEFW_SKIP_ADDR + w] =
			(uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	}
	c->cells[node + EDGEFW_SKIP_HIT] = v;
	c->cells[node + EDGEFW_SKIP_MISS] = c->cells[idx];
	c->cells[idx] = EDGEFW_SKIP | (uint32_t)node;
	return 0;
}

/* Paints one entry with value v: behind a skip node when it is alone on
 * its branch above the level it would paint; else that level's cells.
 * IPv6 prefixes past the trie's 48 bits not alone only flag their /48
 * cell: the hashed lengths go to host6_tbl, the others to the LPM trie,
 * and the flag says which to ask. */
static int paint_prefix(struct ef_compiled *c, size_t *cap, struct trie *t,
			const struct ef_lpm_entry *e, uint32_t v)
{
	const struct ef_prefix *p = &e->prefix;
	unsigned level = ef_addr_paint_level(p), at;
	/* Level 1 ends at bit 16, each next one 4 bits further. */
	unsigned end = 16 + 4 * (level - 1);
	size_t idx;
	int ret;

	if (e->home == EF_HOME_SKIP) {
		ret = skip_cell(c, cap, t, e, &idx, &at);
		if (ret || at < level)
			return ret ? ret : paint_skip(c, cap, t, e, v, idx, at);
	}
	if (p->len > EDGEFW_A6_TRIE_BITS) {
		ret = cell_at(c, cap, t, p->addr, EDGEFW_A6_TRIE_LEVELS, &idx);
		if (!ret)
			c->cells[idx] |=
				e->home == EF_HOME_HASH ? EDGEFW_A6_HOST : EDGEFW_A6_LONGER;
		return ret;
	}
	ret = cell_at(c, cap, t, p->addr, level, &idx);
	for (size_t k = 0; k < 1u << (end - p->len) && !ret; k++)
		c->cells[idx + k] = v;
	return ret;
}

/* Paints table lpm into trie t (an IPv6 one's entries placed by
 * ef_addr6_place). */
static int paint(struct ef_compiled *c, size_t *cap, struct trie *t, const struct ef_lpm_table *lpm)
{
	const struct ef_lpm_entry **sorted = NULL;
	int ret;

	ret = sort_by_len(lpm, &sorted);
	if (ret || !lpm->n)
		return ret;
	for (size_t i = 0; i < lpm->n && !ret; i++) {
		uint32_t cls = sorted[i]->class_id;

		ret = paint_prefix(c, cap, t, sorted[i], cls == EDGEFW_CLASS_NONE ? t->none : cls);
	}
	free(sorted);
	return ret;
}

/* Skip node at cell idx into the cell itself when its hit fits
 * (kern/edgefw.h, EDGEFW_LONE_*): the lower half takes its miss, a plain
 * class; the node's cells stay, unused. */
static int lone_one(struct ef_compiled *c, size_t *cap, size_t idx)
{
	size_t node = c->cells[idx] & EDGEFW_SKIP_INDEX;
	uint32_t len = c->cells[node + EDGEFW_SKIP_HDR] & 0xff;
	uint32_t hit = c->cells[node + EDGEFW_SKIP_HIT];
	int ret;

	if (hit > EDGEFW_LONE_HIT_MAX || len < 17 || len > 32)
		return 0;
	ret = ef_cells_hi_push(c, cap, idx,
			       (hit + 1) << EDGEFW_LONE_HIT_SHIFT |
				       (len - 17) << EDGEFW_LONE_LEN_SHIFT |
				       (c->cells[node + EDGEFW_SKIP_ADDR] & EDGEFW_LONE_ADDR));
	if (!ret)
		c->cells[idx] = c->cells[node + EDGEFW_SKIP_MISS];
	return ret;
}

/* Moves the skip nodes of a chain trie (level 1 cells first..first+n-1,
 * then its chunks, whose index is the cell under mask) into their cells
 * where they fit (fold: lone_one for IPv4, ef_addr6_lone_one for IPv6):
 * an address then reads no node, or less of it. Chunks are 4 bits here:
 * the chain's IPv6 tries are widened after (addr6_wide.c). */
static int lone_fold(struct ef_compiled *c, size_t *cap, size_t first, size_t n, uint32_t mask,
		     int (*fold)(struct ef_compiled *c, size_t *cap, size_t idx))
{
	int ret = 0;

	for (size_t i = first; i < first + n && !ret; i++) {
		uint32_t v = c->cells[i];

		if (is_skip(v))
			ret = fold(c, cap, i);
		else if (is_chunk(v))
			ret = lone_fold(c, cap, v & mask, EDGEFW_A4_CHUNK_SIZE, mask, fold);
	}
	return ret;
}

static int too_many_cells(const char *path, struct ef_diag *d)
{
	ef_err(d, path, 0, 0,
	       "IPv4 prefixes need more than %u table cells (a /32 takes 8 when alone on its branch, up to 64 among others); list fewer of them",
	       EDGEFW_CELLS_MAX);
	return -E2BIG;
}

int ef_build_addr4(struct ef_compiled *c, const char *path, struct ef_diag *d)
{
	/* First levels: IPv4 src and dst, then IPv6 src and dst. */
	size_t l1 = 2 * (size_t)EF_FIELD_COUNT * EDGEFW_A4_L1_SIZE;
	size_t cells_cap = l1 * 2, hi_cap = 0;
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
		struct trie t6 = trie6(f);

		ret = ef_addr_mark_alone(&c->lpm[f][EF_FAM_V4]);
		if (!ret)
			ret = paint(c, &cells_cap, &t4, &c->lpm[f][EF_FAM_V4]);
		if (!ret)
			ret = lone_fold(c, &hi_cap, t4.l1, EDGEFW_A4_L1_SIZE, EDGEFW_A4_VALUE,
					lone_one);
		if (!ret)
			ret = ef_addr6_place(&c->lpm[f][EF_FAM_V6], c->hash6_len[f]);
		if (!ret)
			ret = paint(c, &cells_cap, &t6, &c->lpm[f][EF_FAM_V6]);
		if (!ret)
			ret = lone_fold(c, &hi_cap, t6.l1, EDGEFW_A4_L1_SIZE, EDGEFW_A6_VALUE,
					ef_addr6_lone_one);
	}
	/* By index, for ef_trie4_get's search and the widening's copies. */
	if (!ret)
		ef_cells_hi_sort(c);
	if (!ret)
		ret = ef_addr6_widen(c, &cells_cap, &hi_cap);
	if (ret == -E2BIG)
		return too_many_cells(path, d);
	return ret;
}

/* The value of skip node at for address a: its hit or its miss cell. */
static uint32_t skip_value(const struct ef_compiled *c, size_t at, const uint8_t a[16])
{
	uint32_t hdr = c->cells[at + EDGEFW_SKIP_HDR], len = hdr & 0xff, diff = 0;

	for (unsigned w = 0; w < 4 && len > 32 * w; w++) {
		uint32_t bits = len - 32 * w >= 32 ? 32 : len - 32 * w;
		uint32_t word = (uint32_t)a[4 * w] << 24 | (uint32_t)a[4 * w + 1] << 16 |
				(uint32_t)a[4 * w + 2] << 8 | a[4 * w + 3];

		diff |= (word ^ c->cells[at + EDGEFW_SKIP_ADDR + w]) & (0xffffffffu << (32 - bits));
	}
	return c->cells[at + (diff ? EDGEFW_SKIP_MISS : EDGEFW_SKIP_HIT)];
}

uint32_t ef_addr6_class(const struct ef_compiled *c, uint8_t field, const uint8_t addr[16])
{
	struct trie six = trie6(field);
	size_t idx = six.l1 + ((size_t)addr[0] << 8 | addr[1]);
	uint32_t v = c->cells[idx], hi;

	/* Bits 16-47, read from the top: 4 per chunk, 8 per wide one. */
	uint32_t bits = (uint32_t)addr[2] << 24 | (uint32_t)addr[3] << 16 | (uint32_t)addr[4] << 8 |
			addr[5];

	for (unsigned n = 0; n < 8 && is_chunk(v); n++) {
		unsigned w = v & EDGEFW_A4_WIDE ? 8 : 4;

		idx = (v & EDGEFW_A6_VALUE) + (bits >> (32 - w));
		bits <<= w;
		v = c->cells[idx];
	}
	if ((v & EDGEFW_SKIP) == EDGEFW_SKIP) {
		hi = ef_cell_hi(c, idx);
		v = hi ? ef_addr6_lone_value(c, v & EDGEFW_SKIP_INDEX, hi, addr)
		       : skip_value(c, v & EDGEFW_SKIP_INDEX, addr);
	}
	if (v & (EDGEFW_A6_HOST | EDGEFW_A6_LONGER)) {
		const struct ef_lpm_table *t = &c->lpm[field][EF_FAM_V6];
		uint32_t cls = EDGEFW_CLASS_NONE;
		int best = -1;

		/* A linear scan: the tests' view, not the datapath's. Which
		 * table the datapath asks follows from the flags. */
		for (size_t i = 0; i < t->n; i++) {
			const struct ef_prefix *p = &t->v[i].prefix;
			bool asked = t->v[i].home == EF_HOME_HASH  ? (v & EDGEFW_A6_HOST)
				     : t->v[i].home == EF_HOME_LPM ? (v & EDGEFW_A6_LONGER)
								   : false;

			if (asked && p->len > best && ef_prefix_match(p, EF_AF_INET6, addr)) {
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

uint32_t ef_trie4_lone(const struct ef_compiled *c, size_t idx, uint32_t a)
{
	uint32_t hi = ef_cell_hi(c, idx), len;

	if (!hi)
		return c->cells[idx];
	len = 17 + ((hi >> EDGEFW_LONE_LEN_SHIFT) & 15);
	if ((a ^ hi) & EDGEFW_LONE_ADDR & (0xffffffffu << (32 - len)))
		return c->cells[idx];
	return (hi >> EDGEFW_LONE_HIT_SHIFT) - 1;
}

uint32_t ef_trie4_get(const struct ef_compiled *c, size_t l1, uint32_t a)
{
	uint8_t b[16] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a };
	size_t idx = l1 + (a >> 16);
	uint32_t v = c->cells[idx];

	/* rem: the bits still to read, 4 per chunk or 8 per wide one. */
	for (unsigned rem = 16; rem && is_chunk(v);) {
		unsigned w = v & EDGEFW_A4_WIDE ? 8 : 4;

		rem -= w;
		idx = (v & EDGEFW_A4_INDEX) + ((a >> rem) & ((1u << w) - 1));
		v = c->cells[idx];
	}
	v = ef_trie4_lone(c, idx, a);
	if (is_skip(v))
		v = skip_value(c, v & EDGEFW_SKIP_INDEX, b);
	v &= EDGEFW_A4_VALUE;
	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}

uint32_t ef_addr4_class(const struct ef_compiled *c, uint8_t field, const uint8_t addr[4])
{
	uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 |
		     addr[3];
	uint32_t pair;

	if (!c->pair_l1[field & 1])
		return ef_trie4_get(c, (size_t)field * EDGEFW_A4_L1_SIZE, a);
	/* A trie shared with a forest (addr4_pair.c): the pair's lower half. */
	pair = ef_trie4_get(c, c->pair_l1[field & 1], a);
	return pair == EDGEFW_CLASS_NONE ? pair : ef_pair_class(c, pair);
}

/* Widens the chunks under cell, a chunk cell with rem address bits still
 * to read: where the chunk leads deeper and 8 bits are left, its 16 cells
 * and the chunks they point at become one wide chunk of 256 cells (the
 * value after 8 bits: a chunk's cell, or the cell itself repeated where it
 * is a class, a subtree or a skip node, which compares the whole prefix
 * wherever it is read from). The 4-bit chunks it replaces stay, unused.
 * Indexes, not pointers: cells may move. */
static int widen(struct ef_compiled *c, size_t *cap, size_t cell, unsigned rem, size_t *budget)
{
	size_t ch = c->cells[cell] & EDGEFW_A4_VALUE, at = c->n_cells, n = EDGEFW_A4_CHUNK_SIZE;
	unsigned next = rem - 4;
	int ret = 0;

	if (rem >= 8 && *budget >= EDGEFW_A4_WIDE_SIZE && ef_chunk_leads_deeper(c, ch) &&
	    at + EDGEFW_A4_WIDE_SIZE <= EDGEFW_CELLS_MAX) {
		if (EF_GROW(&c->cells, cap, at + EDGEFW_A4_WIDE_SIZE))
			return -ENOMEM;
		for (size_t i = 0; i < EDGEFW_A4_WIDE_SIZE; i++) {
			uint32_t v = c->cells[ch + (i >> 4)];

			c->cells[at + i] =
				is_chunk(v) ? c->cells[(v & EDGEFW_A4_VALUE) + (i & 15)] : v;
		}
		c->n_cells += EDGEFW_A4_WIDE_SIZE;
		*budget -= EDGEFW_A4_WIDE_SIZE;
		c->cells[cell] = EDGEFW_A4_CHUNK | EDGEFW_A4_WIDE | (uint32_t)at;
		ch = at;
		n = EDGEFW_A4_WIDE_SIZE;
		next = rem - 8;
	}
	for (size_t i = 0; i < n && !ret && next; i++)
		if (is_chunk(c->cells[ch + i]))
			ret = widen(c, cap, ch + i, next, budget);
	return ret;
}

int ef_trie4_widen(struct ef_compiled *c, uint32_t l1, size_t *budget)
{
	size_t cap = c->n_cells;
	int ret = 0;

	for (size_t i = 0; i < EDGEFW_A4_L1_SIZE && !ret; i++)
		if (is_chunk(c->cells[l1 + i]))
			ret = widen(c, &cap, l1 + i, 16, budget);
	return ret;
}

int ef_trie4_append(struct ef_compiled *c, struct ef_lpm_table *t, uint32_t *l1, const char *path,
		    struct ef_diag *d)
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
	ret = ef_addr_mark_alone(t);
	if (!ret)
		ret = paint(c, &cap, &trie, t);
	if (ret == -E2BIG)
		return too_many_cells(path, d);
	return ret;
}
