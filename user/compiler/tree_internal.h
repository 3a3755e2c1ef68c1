/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The tree builder's state, shared by tree.c (splitting) and tree_flat.c
 * (leaf lists, flattening into the BPF arrays, the userspace walk). */
#ifndef EDGEFW_TREE_INTERNAL_H
#define EDGEFW_TREE_INTERNAL_H

#include "tree.h"

/* Binary levels a walk of EDGEFW_TREE_STEPS lookups can take: two per
 * step, and the last step reads the leaf. */
#define TB_MAX_DEPTH (2 * (EDGEFW_TREE_STEPS - 1))

struct tb_node {
	bool leaf;
	uint8_t dim;
	uint32_t thr; /* left: key < thr */
	uint32_t left, right;
	uint32_t list; /* leaf: index into tb.lists */
};

struct tb_list {
	uint32_t start, count; /* in tb.ids */
	uint32_t elem;         /* first tleaf element, once written */
};

struct tb {
	const struct ef_box *boxes;
	size_t n_boxes;
	const struct ef_tree_limits *lim;
	uint8_t family;
	struct ef_compiled *out;

	struct tb_node *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *ids; /* the leaves' boxes, list after list */
	size_t n_ids, cap_ids;
	struct tb_list *lists; /* distinct leaves */
	size_t n_lists, cap_lists;
	uint32_t *list_index; /* open addressing over lists */
	size_t list_index_cap;
	size_t leaf_elems; /* tleaf elements the lists will take */

	uint32_t *scratch_lo, *scratch_hi, *scratch_tmp;
	uint64_t work;
	unsigned depth;                /* deepest binary level */
	unsigned steps;                /* longest walk, in lookups */
	size_t lists_written;          /* lists whose elements are in out */
	size_t first_node, first_elem; /* out's arrays when the tree began */
	const char *hit;
	uint8_t *spill; /* per rule: the chain must hold it too */
};

/* The index of the leaf list of boxes ids (n, in rule order), shared with
 * an identical leaf when there is one. */
int tb_intern_list(struct tb *t, const uint32_t *ids, size_t n, uint32_t *list);

/* -E2BIG, t->hit "trees", when the family has all the trees it may. */
int tb_init(struct tb *t, const struct ef_box *boxes, size_t n, uint8_t family,
	    const struct ef_tree_limits *lim, struct ef_compiled *out, uint8_t *spill);
void tb_free(struct tb *t);

/* Builds the subtree of the n boxes ids (in rule order) over the region
 * [lo, hi] and appends it to out: *root is the tnode it starts at. */
int tb_subtree(struct tb *t, const uint32_t *ids, size_t n, const uint32_t *lo, const uint32_t *hi,
	       uint32_t *root);

/* Appends the leaves made since the last call and the nodes under binary
 * node bnode to out; *root is the tnode of bnode. */
int tb_write(struct tb *t, uint32_t bnode, uint32_t *root);

/* The shape and contents of everything t wrote, for out->trees. */
void tb_describe(const struct tb *t, struct ef_tree_info *info);

/* The key space packets of a family can reach. */
void tb_key_space(uint8_t family, uint32_t *lo, uint32_t *hi);

#endif
