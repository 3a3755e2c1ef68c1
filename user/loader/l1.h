/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The chain's level-1 address tables in the instance's global data
 * (kern/maps.h edgefw_l1, pinned as data_bss; edgefw.h EDGEFW_L1_CELLS,
 * EDGEFW_L1_FULL): cells [0, EDGEFW_L1_CELLS) of the compiler's numbering,
 * their lower halves, which the generation's `cells` map does not hold
 * (but for copies of the cells with an upper half, after the compiler's,
 * and in the hot window while it has room: hot.h). A trie a forest shares
 * with the chain (gen_config.pair_l1) has its level 1 moved into its
 * field's IPv4 table, whose own trie the chain then never reads; a
 * forest's own trie takes a table of a field the chain does not use while
 * one is free: the compiler's numbering and ef_compiled_lookup stay as
 * they are, the config the kernel reads names the table's place instead
 * (ef_l1_root).
 */
#ifndef EDGEFW_L1_H
#define EDGEFW_L1_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "classify.h"
#include "instance.h"

/* Writes generation gen's level-1 tables for c through a mapping of
 * data_bss, and the hot window's cells (hot.h: the stage tables, the
 * copies of the level-1 cells with an upper half that fit); only while gen is not in force (no packet reads it: the last
 * switch away from it waited for readers). 0 or a negative errno
 * (logged). */
int ef_l1_write(const struct ef_instance *inst, __u32 gen, const struct ef_compiled *c);

/* The level-1 cells of c with an upper half (a lone prefix): each has a
 * copy of the whole cell after c's cells in the generation's `cells`
 * array, so the array needs c->n_cells + ef_l1_extra(c) cells. */
size_t ef_l1_extra(const struct ef_compiled *c);

/* Writes those copies into fd, the generation's mmapable `cells` array
 * of entries elements (cell i at i - EDGEFW_L1_CELLS). 0, -E2BIG when
 * they do not fit, or a negative errno. */
int ef_l1_write_extra(int fd, size_t entries, const struct ef_compiled *c);

/* Where the kernel finds the level 1 of the trie c's numbering puts at
 * root (a forest's trie root or a pair_l1): the field's IPv4 table for a
 * trie shared with the chain, a table the chain does not read for a
 * forest's own trie while one is free, else root itself. */
__u32 ef_l1_root(const struct ef_compiled *c, __u32 root);

/* gen_config.paired: bit f (0 source, 1 destination) when the chain
 * shares field f's IPv4 trie with a forest (pair_l1[f]) and reads the
 * field, so that it takes the field's class from the walk's key. A pair
 * the chain does not read is not kept for it: no key lookup in the
 * chain's call, no walk of the trie for a skipped forest. */
__u8 ef_l1_paired(const struct ef_compiled *c);

/* Whether a family's only tree, r as the kernel reads it (its root
 * through ef_l1_root), may be probed at level 1 (edgefw.h,
 * edgefw_tree_root.probe): a forest whose level 1 is in global data and
 * whose pairs, if it shares its trie, the chain does not read. */
bool ef_l1_probe(const struct ef_compiled *c, const struct edgefw_tree_root *r);

#endif
