// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The level-1 tables in global data: see l1.h. */
#include "l1.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edgefw.h"
#include "edgefw.skel.h"
#include "fault.h"
#include "globals.h"
#include "log.h"

#define L1_SLOT_BYTES ((size_t)EDGEFW_L1_CELLS * sizeof(__u32))
_Static_assert(sizeof(((struct edgefw_bpf__bss *)0)->edgefw_l1) ==
		       EDGEFW_GENERATIONS * L1_SLOT_BYTES,
	       "kern/maps.h edgefw_l1: a slot of EDGEFW_L1_CELLS cells per generation");

__u32 ef_l1_root(const struct ef_compiled *c, __u32 root)
{
	for (__u32 f = 0; f < 2; f++)
		if (c->pair_l1[f] && c->pair_l1[f] == root)
			return f * EDGEFW_A4_L1_SIZE;
	return root;
}

/* The first cell, in c's numbering, of the trie whose level 1 goes into
 * table t (0-3: IPv4 src, dst, IPv6 src, dst). */
static size_t l1_source(const struct ef_compiled *c, __u32 t)
{
	if (t < 2 && c->pair_l1[t])
		return c->pair_l1[t];
	return (size_t)t * EDGEFW_A4_L1_SIZE;
}

/* Whether upper half i of c is a level-1 cell's that the tables keep:
 * not one of a chain's trie a shared trie's level 1 replaced. */
static bool l1_hi(const struct ef_compiled *c, size_t i)
{
	__u32 idx = c->cells_hi[i].idx;

	return idx < EDGEFW_L1_CELLS && l1_source(c, idx / EDGEFW_A4_L1_SIZE) < EDGEFW_L1_CELLS;
}

size_t ef_l1_extra(const struct ef_compiled *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_cells_hi; i++)
		n += l1_hi(c, i);
	return n;
}

/* Generation gen's tables in slot (the cells' lower halves), a cell with
 * an upper half pointing at its copy past c's cells (ef_l1_write_extra
 * writes them in the same order). */
static void fill_slot(__u32 *slot, const struct ef_compiled *c)
{
	size_t k = 0;

	for (__u32 t = 0; t < 4; t++) {
		size_t from = l1_source(c, t);

		for (size_t i = 0; i < EDGEFW_A4_L1_SIZE; i++)
			slot[(size_t)t * EDGEFW_A4_L1_SIZE + i] = c->cells[from + i];
	}
	for (size_t i = 0; i < c->n_cells_hi; i++)
		if (l1_hi(c, i))
			slot[c->cells_hi[i].idx] = EDGEFW_L1_FULL | (__u32)(c->n_cells + k++);
}

int ef_l1_write_extra(int fd, size_t entries, const struct ef_compiled *c)
{
	size_t n = ef_l1_extra(c), at = c->n_cells - EDGEFW_L1_CELLS, len = entries * 8;
	__u64 *cells;

	if (!n)
		return 0;
	if (at + n > entries)
		return -E2BIG;
	cells = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cells == MAP_FAILED)
		return -errno;
	for (size_t i = 0; i < c->n_cells_hi; i++)
		if (l1_hi(c, i))
			cells[at++] = (__u64)c->cells_hi[i].hi << 32 | c->cells[c->cells_hi[i].idx];
	munmap(cells, len);
	return 0;
}

int ef_l1_write(const struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	struct edgefw_bpf__bss *bss;
	int ret;

	if (gen >= EDGEFW_GENERATIONS || c->n_cells < EDGEFW_L1_CELLS)
		return -EINVAL;
	ret = ef_fault("l1_mmap") ? -EIO : ef_bss_map(inst, "the level-1 tables", &bss);
	if (ret == -EIO)
		ef_log_err("cannot write generation %u's level-1 tables into %s/data_bss: %s", gen,
			   inst->dir, strerror(EIO));
	if (ret)
		return ret;
	fill_slot(bss->edgefw_l1[gen], c);
	ef_bss_unmap(bss);
	return 0;
}
