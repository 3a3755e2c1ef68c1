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
#include "hot.h"
#include "log.h"

#define L1_SLOT_BYTES ((size_t)EDGEFW_L1_CELLS * sizeof(__u32))
_Static_assert(sizeof(((struct edgefw_bpf__bss *)0)->edgefw_l1) ==
		       EDGEFW_GENERATIONS * L1_SLOT_BYTES,
	       "kern/maps.h edgefw_l1: a slot of EDGEFW_L1_CELLS cells per generation");

/* Whether the chain reads its own level-1 table t (0-3: IPv4 src, dst,
 * IPv6 src, dst): a field's tables are read only when the field is one of
 * the chain's (kern/classifier.h dim_class). */
static bool chain_reads(const struct ef_compiled *c, __u32 t)
{
	uint8_t dim = t & 1 ? EDGEFW_DIM_DST : EDGEFW_DIM_SRC;

	for (unsigned i = 0; i < c->n_dims; i++)
		if (c->dims[i] == dim)
			return true;
	return false;
}

/* Whether forest tree i's level 1 may move into a table: a forest's own
 * trie whose level-1 cells hold no upper half (the tables keep lower
 * halves; the forests' tries fold none today, checked all the same). */
static bool movable(const struct ef_compiled *c, unsigned i)
{
	const struct ef_tree_info *t = &c->trees[i];

	if (t->paired || t->trie_word == EF_TREE_NO_TRIE || t->root < EDGEFW_L1_CELLS)
		return false;
	for (size_t h = 0; h < c->n_cells_hi; h++)
		if (c->cells_hi[h].idx >= t->root &&
		    c->cells_hi[h].idx - t->root < EDGEFW_A4_L1_SIZE)
			return false;
	return true;
}

/* The first cell, in c's numbering, of the trie whose level 1 goes into
 * each table (0-3: IPv4 src, dst, IPv6 src, dst): a trie shared with the
 * chain takes its field's IPv4 table; a table the chain does not read
 * takes the next forest's trie (a lookup fewer per packet for the 100k
 * blocklist's destination forest, say); else the chain's own. */
static void l1_sources(const struct ef_compiled *c, size_t src[4])
{
	unsigned next = 0;

	for (__u32 t = 0; t < 4; t++) {
		src[t] = (size_t)t * EDGEFW_A4_L1_SIZE;
		if (t < 2 && c->pair_l1[t]) {
			src[t] = c->pair_l1[t];
			continue;
		}
		if (chain_reads(c, t))
			continue;
		while (next < c->n_trees && !movable(c, next))
			next++;
		if (next < c->n_trees)
			src[t] = c->trees[next++].root;
	}
}

__u32 ef_l1_root(const struct ef_compiled *c, __u32 root)
{
	size_t src[4];

	l1_sources(c, src);
	for (__u32 t = 0; t < 4; t++)
		if (src[t] >= EDGEFW_L1_CELLS && src[t] == root)
			return t * EDGEFW_A4_L1_SIZE;
	return root;
}

__u8 ef_l1_paired(const struct ef_compiled *c)
{
	__u8 bits = 0;

	for (__u32 f = 0; f < 2; f++)
		if (c->pair_l1[f] && chain_reads(c, f))
			bits |= (__u8)(1u << f);
	return bits;
}

bool ef_l1_probe(const struct ef_compiled *c, const struct edgefw_tree_root *r)
{
	if (r->trie_word == EF_TREE_NO_TRIE || r->root >= EDGEFW_L1_CELLS)
		return false;
	/* A shared trie's empty cell leaves the chain no class to read
	 * either, but the chain reads it from the walk's key, which the
	 * probe skips. */
	return !r->paired || !chain_reads(c, r->trie_word == EDGEFW_TK_DST);
}

/* Whether upper half i of c is a level-1 cell's that the tables keep:
 * not one of a chain's trie a shared trie's level 1 replaced. */
static bool l1_hi(const struct ef_compiled *c, const size_t src[4], size_t i)
{
	__u32 idx = c->cells_hi[i].idx;

	return idx < EDGEFW_L1_CELLS && src[idx / EDGEFW_A4_L1_SIZE] < EDGEFW_L1_CELLS;
}

size_t ef_l1_extra(const struct ef_compiled *c)
{
	size_t n = 0, src[4];

	l1_sources(c, src);
	for (size_t i = 0; i < c->n_cells_hi; i++)
		n += l1_hi(c, src, i);
	return n;
}

/* Generation gen's tables in slot (the cells' lower halves), a cell with
 * an upper half pointing at its copy: in the hot window while p has room
 * (fill_hot_copies), else past c's cells (ef_l1_write_extra writes every
 * copy there, in the same order). */
static void fill_slot(__u32 *slot, const struct ef_compiled *c, const struct ef_hot_plan *p)
{
	size_t k = 0, src[4];

	l1_sources(c, src);
	for (__u32 t = 0; t < 4; t++) {
		size_t from = src[t];

		for (size_t i = 0; i < EDGEFW_A4_L1_SIZE; i++)
			slot[(size_t)t * EDGEFW_A4_L1_SIZE + i] = c->cells[from + i];
	}
	for (size_t i = 0; i < c->n_cells_hi; i++)
		if (l1_hi(c, src, i)) {
			__u32 at = k < p->l1_in_window ? p->l1_at + 2 * (__u32)k
						       : (__u32)(c->n_cells + k);

			slot[c->cells_hi[i].idx] = EDGEFW_L1_FULL | at;
			k++;
		}
}

/* The copies fill_slot points into the window: whole cells, two slots
 * each from p->l1_at. */
static void fill_hot_copies(__u64 *hot, const struct ef_compiled *c, const struct ef_hot_plan *p)
{
	size_t k = 0, src[4];

	l1_sources(c, src);
	for (size_t i = 0; i < c->n_cells_hi && k < p->l1_in_window; i++)
		if (l1_hi(c, src, i))
			hot[p->l1_at / 2 + k++] =
				(__u64)c->cells_hi[i].hi << 32 | c->cells[c->cells_hi[i].idx];
}

int ef_l1_write_extra(int fd, size_t entries, const struct ef_compiled *c)
{
	size_t n = ef_l1_extra(c), at = c->n_cells - EDGEFW_L1_CELLS, len = entries * 8, src[4];
	__u64 *cells;

	l1_sources(c, src);
	if (!n)
		return 0;
	if (at + n > entries)
		return -E2BIG;
	cells = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cells == MAP_FAILED)
		return -errno;
	for (size_t i = 0; i < c->n_cells_hi; i++)
		if (l1_hi(c, src, i))
			cells[at++] = (__u64)c->cells_hi[i].hi << 32 | c->cells[c->cells_hi[i].idx];
	munmap(cells, len);
	return 0;
}

int ef_l1_write(const struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	struct edgefw_bpf__bss *bss;
	struct ef_hot_plan plan;
	int ret;

	if (gen >= EDGEFW_GENERATIONS || c->n_cells < EDGEFW_L1_CELLS)
		return -EINVAL;
	ret = ef_bss_map(inst, "the level-1 tables and the hot window", "l1_mmap", &bss);
	if (ret)
		return ret;
	ef_hot_plan(c, ef_l1_extra(c), &plan);
	fill_slot(bss->edgefw_l1[gen], c, &plan);
	fill_hot_copies(bss->edgefw_hot[gen], c, &plan);
	ef_hot_fill_stages(bss, gen, c, &plan);
	ef_bss_unmap(bss);
	return 0;
}
