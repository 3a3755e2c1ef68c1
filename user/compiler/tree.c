// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Decision trees: first-match classification for rules the chain cannot
 * hold within its budget.
 *
 * Problem
 * -------
 * The chain (chain.c) combines one class per field. Its size is the number
 * of distinct (class so far, next class) pairs the rules create, which is
 * small for blocklists and service rules but multiplies when thousands of
 * rules each pair their own source prefix with their own destination
 * prefix and ports, as real firewalls do (ClassBench fw1_10k: 6,671
 * destination prefixes, 3,417 source prefixes, millions of pairs). Those
 * rules need a structure whose size grows with the rules, not with their
 * cross product, and that a BPF program can walk in a bounded loop of
 * array lookups.
 *
 * Algorithm
 * ---------
 * A rule is a union of boxes: a range per key word (src and dst as four
 * 32-bit words each, so IPv6 needs no special case; ports, l4proto * 3 +
 * fragment state, VLAN), see tree_boxes.c. A packet is a point; its rule is
 * the lowest-indexed box holding it whose TCP flags and hooks tests pass.
 *
 * The tree cuts the key space in two at a time, HyperSplit style: at each
 * node, for each word, the candidate thresholds are the box edges inside
 * the node's region; a box goes left when it starts below the threshold
 * and right when it ends at or above it (both when it spans it). The split
 * taken minimises the larger side, then the sum (replication). A node
 * becomes a leaf when it holds at most leaf_size boxes, or when its first
 * box covers the whole region with no flags or hooks test: no later box
 * can win there, so the rest are dropped. Leaves keep their boxes in rule
 * order and identical leaves are stored once.
 *
 * Flattened for BPF, two levels of the binary tree share one element
 * (struct edgefw_tnode): a split and the splits of its two children, with
 * the children's children at base .. base + 3. The walk evaluates the
 * three comparisons without branches (they are independent loads) and
 * takes one array lookup per two levels; a leaf lists its entries, which
 * are scanned in rule order until one matches or reaches the best rule
 * found so far. Several trees may hold a family's rules (classify.c puts
 * rules whose address fields are wide apart from those whose are narrow,
 * so that neither set is copied into every leaf of the other); the packet
 * takes the lowest rule any tree or the chain reports.
 *
 * Example: three rules, two fields (src, dport), leaf_size 1.
 *
 *   r0  src 10.0.0.0/8   dport 22
 *   r1  src 10.1.0.0/16  dport any
 *   r2  src any          dport 80
 *
 *   As boxes (src as a number): r0 [10.0.0.0, 10.255.255.255] x [22, 22],
 *   r1 [10.1.0.0, 10.1.255.255] x [0, 65536], r2 everything x [80, 80].
 *   At the root, src = 10.0.0.0 sends r2 left, all three right: max 3;
 *   dport = 22 sends r1, r2 left and all three right: max 3; dport = 23:
 *   r0, r1, r2 left, r1, r2 right: max 3, sum 5; src = 10.1.0.0: r0, r2
 *   left, r0, r1, r2 right... The least bad is src = 10.0.0.0: left holds
 *   r2 alone (a leaf), right is split again, src = 10.1.0.0 (left: r0, r2;
 *   right: r0, r1, r2), and so on until each leaf holds one box or its
 *   first box covers it. A packet from 10.1.2.3 to port 80 walks
 *   src >= 10.0.0.0, src >= 10.1.0.0, ... to a leaf listing r0, r1, r2
 *   or part of it, and the scan returns r1, the first box it is in.
 *
 * Costs
 * -----
 * Measured on the project machine (kern/DESIGN.md has the table): a walk
 * step (one lookup, two levels) costs about 1.5 ns, a leaf entry about
 * 2-3 ns; ClassBench's 10,000-rule sets give trees of 6-12 steps with
 * leaves of at most leaf_size entries in all but a few. Building is
 * O(boxes x depth x words x log boxes) plus the copies of boxes that span
 * a threshold; the limits (nodes, leaf elements, work) stop a tree before
 * it takes more memory or time than its budget.
 */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"
#include "u32sort.h"

static bool box_covers(const struct ef_box *b, const uint32_t *lo, const uint32_t *hi)
{
	if (b->flags_mask || b->hooks != EF_HOOKS_ALL)
		return false;
	for (int d = 0; d < EDGEFW_TK_DIMS; d++)
		if (b->lo[d] > lo[d] || b->hi[d] < hi[d])
			return false;
	return true;
}

struct split {
	unsigned dim;
	uint32_t thr;
	size_t nl, nr;
};

static bool better(const struct split *a, const struct split *b)
{
	size_t ma = a->nl > a->nr ? a->nl : a->nr;
	size_t mb = b->nl > b->nr ? b->nl : b->nr;

	return ma < mb || (ma == mb && a->nl + a->nr < b->nl + b->nr);
}

/* The best threshold in dim d for the n boxes ids inside [lo, hi]. The
 * candidates, in increasing order, are the box starts above lo and the box
 * ends + 1 up to hi; at threshold c, ia boxes start below c (they reach
 * left) and n - ib end at or above it (they reach right). */
static void best_in_dim(struct tb *t, const uint32_t *ids, size_t n, unsigned d, uint32_t lo,
			uint32_t hi, struct split *best)
{
	uint32_t *los = t->scratch_lo, *his = t->scratch_hi;
	size_t ia = 0, ib = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ef_box *b = &t->boxes[ids[i]];

		los[i] = b->lo[d] > lo ? b->lo[d] : lo;
		his[i] = b->hi[d] < hi ? b->hi[d] : hi;
	}
	t->work += n;
	ef_sort_u32(los, t->scratch_tmp, n);
	ef_sort_u32(his, t->scratch_tmp, n);
	while (ia < n && los[ia] <= lo)
		ia++;
	for (;;) {
		uint64_t ca = ia < n ? los[ia] : UINT64_MAX;
		uint64_t cb = ib < n && his[ib] < hi ? (uint64_t)his[ib] + 1 : UINT64_MAX;
		uint64_t c = ca < cb ? ca : cb;
		struct split s;

		if (c == UINT64_MAX)
			break;
		while (ib < n && his[ib] < c)
			ib++;
		s = (struct split){ .dim = d, .thr = (uint32_t)c, .nl = ia, .nr = n - ib };
		if (better(&s, best))
			*best = s;
		while (ia < n && los[ia] <= c)
			ia++;
	}
}

static struct split choose_split(struct tb *t, const uint32_t *ids, size_t n, const uint32_t *lo,
				 const uint32_t *hi)
{
	struct split best = { .nl = n, .nr = n };

	for (unsigned d = 0; d < EDGEFW_TK_DIMS; d++)
		if (lo[d] < hi[d])
			best_in_dim(t, ids, n, d, lo[d], hi[d], &best);
	return best;
}

static int new_node(struct tb *t, uint32_t *id)
{
	if (t->n_nodes == t->cap_nodes) {
		size_t cap = t->cap_nodes ? t->cap_nodes * 2 : 256;
		struct tb_node *v = realloc(t->nodes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->nodes = v;
		t->cap_nodes = cap;
	}
	if (t->n_nodes >= 2 * t->lim->max_nodes) {
		t->hit = "tree nodes";
		return -E2BIG;
	}
	memset(&t->nodes[t->n_nodes], 0, sizeof(t->nodes[0]));
	*id = (uint32_t)t->n_nodes++;
	return 0;
}

static int make_leaf(struct tb *t, uint32_t node, const uint32_t *ids, size_t n)
{
	uint32_t list;
	int ret;

	/* More boxes than a scan reads that no threshold separates: the
	 * leaf keeps the lowest rules, the chain takes the others. */
	for (size_t i = EDGEFW_LEAF_SCAN; i < n; i++)
		t->spill[t->boxes[ids[i]].rule] = 1;
	if (n > EDGEFW_LEAF_SCAN)
		n = EDGEFW_LEAF_SCAN;
	ret = tb_intern_list(t, ids, n, &list);
	if (ret)
		return ret;
	t->nodes[node].leaf = true;
	t->nodes[node].list = list;
	return 0;
}

static int split_ids(const struct tb *t, const uint32_t *ids, size_t n, const struct split *s,
		     uint32_t **left, uint32_t **right)
{
	size_t nl = 0, nr = 0;

	*left = malloc((s->nl ? s->nl : 1) * sizeof(**left));
	*right = malloc((s->nr ? s->nr : 1) * sizeof(**right));
	if (!*left || !*right)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ef_box *b = &t->boxes[ids[i]];

		if (b->lo[s->dim] < s->thr)
			(*left)[nl++] = ids[i];
		if (b->hi[s->dim] >= s->thr)
			(*right)[nr++] = ids[i];
	}
	return 0;
}

/* Builds the subtree of the n boxes ids (in rule order) over region
 * [lo, hi] into node, depth levels below the root. */
static int build(struct tb *t, uint32_t node, const uint32_t *ids, size_t n, const uint32_t *lo,
		 const uint32_t *hi, unsigned depth)
{
	uint32_t clo[EDGEFW_TK_DIMS], chi[EDGEFW_TK_DIMS];
	uint32_t *left = NULL, *right = NULL, lnode, rnode;
	struct split s;
	int ret;

	for (size_t i = 0; i < n; i++)
		if (box_covers(&t->boxes[ids[i]], lo, hi)) {
			n = i + 1;
			break;
		}
	if (depth > t->depth)
		t->depth = depth;
	if (t->work > t->lim->max_work) {
		t->hit = "time";
		return -E2BIG;
	}
	if (n <= t->lim->leaf_size || depth >= TB_MAX_DEPTH)
		return make_leaf(t, node, ids, n);
	s = choose_split(t, ids, n, lo, hi);
	if ((s.nl > s.nr ? s.nl : s.nr) >= n)
		return make_leaf(t, node, ids, n);

	ret = split_ids(t, ids, n, &s, &left, &right);
	if (!ret)
		ret = new_node(t, &lnode);
	if (!ret)
		ret = new_node(t, &rnode);
	if (ret)
		goto out;
	t->nodes[node].dim = (uint8_t)s.dim;
	t->nodes[node].thr = s.thr;
	t->nodes[node].left = lnode;
	t->nodes[node].right = rnode;

	memcpy(clo, lo, sizeof(clo));
	memcpy(chi, hi, sizeof(chi));
	chi[s.dim] = s.thr - 1;
	ret = build(t, lnode, left, s.nl, clo, chi, depth + 1);
	if (ret)
		goto out;
	chi[s.dim] = hi[s.dim];
	clo[s.dim] = s.thr;
	ret = build(t, rnode, right, s.nr, clo, chi, depth + 1);
out:
	free(left);
	free(right);
	return ret;
}

void tb_key_space(uint8_t family, uint32_t *lo, uint32_t *hi)
{
	memset(lo, 0, EDGEFW_TK_DIMS * sizeof(*lo));
	for (int d = 0; d < EDGEFW_TK_DIMS; d++)
		hi[d] = UINT32_MAX;
	if (family == EF_AF_INET)
		for (int w = 1; w < 4; w++)
			hi[EDGEFW_TK_SRC + w] = hi[EDGEFW_TK_DST + w] = 0;
	hi[EDGEFW_TK_SPORT] = hi[EDGEFW_TK_DPORT] = EDGEFW_NO_L4;
	hi[EDGEFW_TK_PROTO] = EDGEFW_TREE_PROTO_LEN - 1;
	hi[EDGEFW_TK_VLAN] = EDGEFW_UNTAGGED;
}

int tb_init(struct tb *t, const struct ef_box *boxes, size_t n, uint8_t family,
	    const struct ef_tree_limits *lim, struct ef_compiled *out, uint8_t *spill)
{
	memset(t, 0, sizeof(*t));
	t->spill = spill;
	t->boxes = boxes;
	t->n_boxes = n;
	t->lim = lim;
	t->family = family;
	t->out = out;
	t->first_node = out->n_tnodes;
	t->first_elem = out->n_tleaves;
	if (ef_trees_of(out, family) == EDGEFW_FAMILY_TREES) {
		t->hit = "trees";
		return -E2BIG;
	}
	t->scratch_lo = malloc((n ? n : 1) * sizeof(uint32_t));
	t->scratch_hi = malloc((n ? n : 1) * sizeof(uint32_t));
	t->scratch_tmp = malloc((n ? n : 1) * sizeof(uint32_t));
	return t->scratch_lo && t->scratch_hi && t->scratch_tmp ? 0 : -ENOMEM;
}

int tb_subtree(struct tb *t, const uint32_t *ids, size_t n, const uint32_t *lo, const uint32_t *hi,
	       uint32_t *root)
{
	uint32_t bnode;
	int ret;

	t->n_nodes = 0; /* the binary nodes of one subtree at a time */
	ret = new_node(t, &bnode);
	if (!ret)
		ret = build(t, bnode, ids, n, lo, hi, 0);
	if (!ret)
		ret = tb_write(t, bnode, root);
	return ret;
}

int ef_tree_build(const struct ef_box *boxes, size_t n, uint8_t family,
		  const struct ef_tree_limits *lim, struct ef_compiled *out, const char **hit,
		  uint8_t *spill)
{
	uint32_t lo[EDGEFW_TK_DIMS], hi[EDGEFW_TK_DIMS], *ids = NULL, root;
	struct ef_tree_info *info = &out->trees[out->n_trees];
	struct tb t;
	int ret;

	*hit = NULL;
	ret = tb_init(&t, boxes, n, family, lim, out, spill);
	ids = malloc((n ? n : 1) * sizeof(*ids));
	if (!ret && !ids)
		ret = -ENOMEM;
	for (size_t i = 0; !ret && i < n; i++)
		ids[i] = (uint32_t)i;
	tb_key_space(family, lo, hi);
	if (!ret)
		ret = tb_subtree(&t, ids, n, lo, hi, &root);
	if (!ret) {
		tb_describe(&t, info);
		info->root = root;
		info->trie_word = EF_TREE_NO_TRIE;
		out->n_trees++;
	}
	*hit = t.hit;
	tb_free(&t);
	free(ids);
	return ret;
}
