// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cells' upper halves (kern/edgefw.h, EDGEFW_CELL_SIZE: a lone IPv4
 * prefix, EDGEFW_LONE_*, a folded IPv6 skip node, EDGEFW_LONE6_*, and a
 * forest's subtree in a pair cell, addr4_pair.c):
 * few cells have one, so the compiler keeps them as (index, half) pairs
 * sorted by index, beside the lower halves, and the loader writes both.
 * Shared by addr4.c's, addr4_pair.c's and addr6_lone.c's tables and their
 * mirrors.
 */
#include "addr4.h"

#include <errno.h>
#include <stdlib.h>

#include "growth.h"

int ef_cells_hi_push(struct ef_compiled *c, size_t *cap, size_t idx, uint32_t hi)
{
	if (EF_GROW(&c->cells_hi, cap, c->n_cells_hi + 1))
		return -ENOMEM;
	c->cells_hi[c->n_cells_hi++] = (struct ef_cell_hi){ .idx = (uint32_t)idx, .hi = hi };
	return 0;
}

static int cmp_hi(const void *a, const void *b)
{
	const struct ef_cell_hi *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void ef_cells_hi_sort(struct ef_compiled *c)
{
	if (c->n_cells_hi)
		qsort(c->cells_hi, c->n_cells_hi, sizeof(*c->cells_hi), cmp_hi);
}

uint32_t ef_cell_hi_in(const struct ef_compiled *c, size_t n, size_t idx)
{
	struct ef_cell_hi key = { .idx = (uint32_t)idx };
	const struct ef_cell_hi *h = NULL;

	if (n)
		h = bsearch(&key, c->cells_hi, n, sizeof(key), cmp_hi);
	return h ? h->hi : 0;
}

uint32_t ef_cell_hi(const struct ef_compiled *c, size_t idx)
{
	return ef_cell_hi_in(c, c->n_cells_hi, idx);
}

/* A pair cell (addr4_pair.c) is a cell whose halves are two answers. */
uint32_t ef_pair_class(const struct ef_compiled *c, size_t idx)
{
	uint32_t v = c->cells[idx] & EDGEFW_A4_VALUE;

	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}

uint32_t ef_pair_subtree(const struct ef_compiled *c, size_t idx)
{
	uint32_t v = ef_cell_hi(c, idx);

	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}
