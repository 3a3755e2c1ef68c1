// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Wide chunks in the chain's IPv6 tries (kern/edgefw.h, EDGEFW_A4_WIDE,
 * the forests' encoding): a chunk whose cells lead to further chunks
 * becomes one 256-cell chunk indexed by the next 8 bits, two levels in
 * one read. Generated and real IPv6 lists crowd into a few /16s (the
 * benchmark's 100k prefixes: about 6,250 per /16 of 2000::/12), where a
 * lookup read three or four nibble chunks before its skip node.
 *
 * Level by level over both fields (the chunks under level 1 first, then
 * those 4 bits further, and so on), so that a budget that runs out leaves
 * the deep, rarely reached chunks narrow, not whole /16s. A cell that is
 * not a chunk is repeated in the 16 cells it covers, its upper half too
 * (a folded skip node, EDGEFW_LONE6_*, compares the whole prefix wherever
 * it is read from); the 4-bit chunks a wide one replaces stay, unused.
 * Runs after the folds and the sort of the upper halves: it looks up the
 * sorted ones and appends those of the cells it copies.
 */
#include "addr4.h"

#include <errno.h>

#include "growth.h"

/* Cells the chain's IPv6 wide chunks may take per ruleset: 8 MiB per
 * generation in the kernel's 8-byte cells (the forests have their own). */
#define A6_WIDE_BUDGET ((size_t)3 << 19)

struct wide6 {
	struct ef_compiled *c;
	size_t *cells_cap, *hi_cap;
	size_t budget;
	size_t n_sorted; /* the upper halves sorted before the first widening */
};

static bool is_chunk(uint32_t v)
{
	return (v & EDGEFW_SKIP) == EDGEFW_A4_CHUNK;
}

/* Also addr4.c's (IPv4 tries widen the same way); here, in the lower
 * file, so that addr4.c -> addr6_wide.c is the only direction. */
bool ef_chunk_leads_deeper(const struct ef_compiled *c, size_t chunk)
{
	for (size_t i = 0; i < EDGEFW_A4_CHUNK_SIZE; i++)
		if (is_chunk(c->cells[chunk + i]))
			return true;
	return false;
}

/* Cell src, both halves, into cell dst. */
static int copy_cell(struct wide6 *w, size_t dst, size_t src)
{
	uint32_t hi = ef_cell_hi_in(w->c, w->n_sorted, src);

	w->c->cells[dst] = w->c->cells[src];
	return hi ? ef_cells_hi_push(w->c, w->hi_cap, dst, hi) : 0;
}

/* Cell `cell`'s 4-bit chunk and the chunks its cells point at as one
 * wide chunk, which the cell then points at. */
static int widen_one(struct wide6 *w, size_t cell)
{
	struct ef_compiled *c = w->c;
	size_t ch = c->cells[cell] & EDGEFW_A6_VALUE, at = c->n_cells;
	int ret = 0;

	if (EF_GROW(&c->cells, w->cells_cap, at + EDGEFW_A4_WIDE_SIZE))
		return -ENOMEM;
	c->n_cells += EDGEFW_A4_WIDE_SIZE;
	w->budget -= EDGEFW_A4_WIDE_SIZE;
	for (size_t i = 0; i < EDGEFW_A4_WIDE_SIZE && !ret; i++) {
		uint32_t v = c->cells[ch + (i >> 4)];

		ret = copy_cell(w, at + i,
				is_chunk(v) ? (v & EDGEFW_A6_VALUE) + (i & 15) : ch + (i >> 4));
	}
	if (!ret)
		c->cells[cell] = EDGEFW_A4_CHUNK | EDGEFW_A4_WIDE | (uint32_t)at;
	return ret;
}

/* Widens, below cell (rem address bits still to read after it), the
 * chunks whose cell has target bits still to read, where the chunk
 * leads deeper (widening saves a read for the addresses below those)
 * and the budget and the cells' capacity allow. */
static int widen_at(struct wide6 *w, size_t cell, unsigned rem, unsigned target)
{
	uint32_t v = w->c->cells[cell];
	size_t ch = v & EDGEFW_A6_VALUE;
	unsigned step = v & EDGEFW_A4_WIDE ? 8 : 4;
	int ret = 0;

	if (!is_chunk(v))
		return 0;
	if (rem == target) {
		if (w->budget < EDGEFW_A4_WIDE_SIZE || !ef_chunk_leads_deeper(w->c, ch) ||
		    w->c->n_cells + EDGEFW_A4_WIDE_SIZE > EDGEFW_CELLS_MAX)
			return 0;
		return widen_one(w, cell);
	}
	for (size_t i = 0; i < (1u << step) && !ret && rem >= target + step; i++)
		ret = widen_at(w, ch + i, rem - step, target);
	return ret;
}

int ef_addr6_widen(struct ef_compiled *c, size_t *cells_cap, size_t *hi_cap)
{
	struct wide6 w = {
		.c = c,
		.cells_cap = cells_cap,
		.hi_cap = hi_cap,
		.budget = A6_WIDE_BUDGET,
		.n_sorted = c->n_cells_hi,
	};
	int ret = 0;

	/* A chunk with fewer than 8 bits to read cannot be widened. */
	for (unsigned target = EDGEFW_A6_TRIE_BITS - 16; target >= 8 && !ret; target -= 4)
		for (uint8_t f = 0; f < EF_FIELD_COUNT && !ret; f++) {
			size_t l1 = EDGEFW_A6_L1_BASE + (size_t)f * EDGEFW_A4_L1_SIZE;

			for (size_t i = 0; i < EDGEFW_A4_L1_SIZE && !ret; i++)
				ret = widen_at(&w, l1 + i, EDGEFW_A6_TRIE_BITS - 16, target);
		}
	if (!ret)
		ef_cells_hi_sort(c);
	return ret;
}
