/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* IPv4 address classes as arrays and exact-match entries (see addr4.c). */
#ifndef EDGEFW_ADDR4_H
#define EDGEFW_ADDR4_H

#include <stdint.h>

#include "classify.h"

/* Builds the IPv4 and IPv6 tries into c->cells from c->lpm. 0 or -errno (with
 * the reason in d for -E2BIG). */
int ef_build_addr4(struct ef_compiled *c, const char *path, struct ef_diag *d);

/* Marks the entries of t (either family) that go behind a skip node in
 * its trie (EF_HOME_SKIP, with skip_level), the others EF_HOME_TRIE
 * (addr_skip.c). 0 or -ENOMEM. */
int ef_addr_mark_alone(struct ef_lpm_table *t);
/* The level whose cells prefix p paints (1: /16, each next 4 bits more),
 * EDGEFW_A6_TRIE_LEVELS + 1 for IPv6 past the trie. */
unsigned ef_addr_paint_level(const struct ef_prefix *p);

/* The class of an address in field (EF_FIELD_SRC/DST), looked up the way
 * the datapath does. */
uint32_t ef_addr6_class(const struct ef_compiled *c, uint8_t field, const uint8_t addr[16]);
uint32_t ef_addr4_class(const struct ef_compiled *c, uint8_t field, const uint8_t addr[4]);

/* Appends a trie for IPv4 table t to c->cells (a forest's, whose values
 * are subtree nodes, or one shared with the chain, whose values are
 * pairs), with skip nodes for t's entries alone on their branch (which
 * it marks, ef_addr_mark_alone): *l1 is its first level-1 cell. 0 or
 * -errno (with the reason in d for -E2BIG). */
int ef_trie4_append(struct ef_compiled *c, struct ef_lpm_table *t, uint32_t *l1, const char *path,
		    struct ef_diag *d);
/* Widens the chunks of the trie at level 1 cell l1 that ef_trie4_append
 * built (kern/edgefw.h, EDGEFW_A4_WIDE) where a walk goes two levels
 * deeper, taking at most *budget cells (it takes off what it used). 0 or
 * -ENOMEM. */
int ef_trie4_widen(struct ef_compiled *c, uint32_t l1, size_t *budget);
/* A chunk (16 cells at index chunk) of which some cell leads to another
 * chunk: widening it saves a lookup for the addresses below those. */
bool ef_chunk_leads_deeper(const struct ef_compiled *c, size_t chunk);
/* Widens the chunks of the chain's IPv6 tries (both fields) where a walk
 * goes two levels deeper, within a budget of cells per ruleset, the cells'
 * upper halves copied and sorted again (addr6_wide.c); cells_cap and
 * hi_cap are the arrays' capacities. Runs once the upper halves are
 * sorted; stops short of the cells' capacity (EDGEFW_CELLS_MAX). 0 or
 * -ENOMEM. */
int ef_addr6_widen(struct ef_compiled *c, size_t *cells_cap, size_t *hi_cap);
/* The value of address a in the IPv4 trie at level 1 cell l1, skip nodes
 * and wide chunks included, or EDGEFW_CLASS_NONE. */
uint32_t ef_trie4_get(const struct ef_compiled *c, size_t l1, uint32_t a);
/* The value of cell idx for IPv4 address a: its lone prefix's hit when
 * its upper half holds one that a lies in (kern/classifier.h,
 * lone_value4), else the cell. */
uint32_t ef_trie4_lone(const struct ef_compiled *c, size_t idx, uint32_t a);
/* The cells' upper halves (cells_hi.c): one more for cell idx (0 or
 * -ENOMEM; cap is the array's capacity), sorted by index once all are in,
 * and the upper half of cell idx (0 when it has none). */
int ef_cells_hi_push(struct ef_compiled *c, size_t *cap, size_t idx, uint32_t hi);
void ef_cells_hi_sort(struct ef_compiled *c);
uint32_t ef_cell_hi(const struct ef_compiled *c, size_t idx);
/* The same among the first n upper halves only (sorted, when more were
 * pushed after the sort). */
uint32_t ef_cell_hi_in(const struct ef_compiled *c, size_t n, size_t idx);

/* Folds the chain's IPv6 skip node at cell idx into the cell where its
 * prefix is /32 or longer (its word 0 then all compared by the path and
 * the cell) and its values fit (kern/edgefw.h, EDGEFW_LONE6_*),
 * appending to c->cells_hi (*cap its capacity; the caller sorts it); a
 * node that does not stays as it is. 0 or -ENOMEM (addr6_lone.c). */
int ef_addr6_lone_one(struct ef_compiled *c, size_t *cap, size_t idx);
/* The value of the folded skip node at cell node for address a (network
 * order), hi its cell's upper half: kern/classifier.h's skip_lone6. */
uint32_t ef_addr6_lone_value(const struct ef_compiled *c, size_t node, uint32_t hi,
			     const uint8_t a[16]);

/* Appends the trie field (EF_FIELD_SRC/DST) of the chain shares with a
 * forest over the same address, whose table forest maps prefixes to
 * subtrees (addr4_pair.c): its leaves name pairs, a cell each (the chain
 * class in the lower half, the subtree in the upper half). *l1 is its
 * first level-1 cell. 0 or -errno (with the reason in d for -E2BIG). */
int ef_trie4_pair(struct ef_compiled *c, uint8_t field, const struct ef_lpm_table *forest,
		  uint32_t *l1, const char *path, struct ef_diag *d);

/* The halves of pair cell idx (addr4_pair.c; cells_hi.c), as the datapath reduces
 * them: the chain class (lower half) and the forest's subtree (upper
 * half), each EDGEFW_CLASS_NONE for none. */
uint32_t ef_pair_class(const struct ef_compiled *c, size_t idx);
uint32_t ef_pair_subtree(const struct ef_compiled *c, size_t idx);

#endif
