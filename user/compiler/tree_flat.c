// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A built tree as the datapath reads it (kern/edgefw.h: struct
 * edgefw_tnode, struct edgefw_tleaf), and the datapath's walk over those
 * arrays in userspace, for the tests and `explain`-like tools.
 */
#include "tree_internal.h"

#include "addr4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The key words each leaf element checks, in c[] order. */
static const uint8_t v4_words[6] = {
	EDGEFW_TK_SRC,   EDGEFW_TK_DST,   EDGEFW_TK_SPORT,
	EDGEFW_TK_DPORT, EDGEFW_TK_PROTO, EDGEFW_TK_VLAN,
};
static const uint8_t v6_words[2][6] = {
	{ 0, 1, 2, 3, 4, 5 },
	{ 6, 7, 8, 9, 10, 11 },
};

static unsigned stride(uint8_t family)
{
	return family == EF_AF_INET ? 1 : 2;
}

static uint64_t list_hash(const uint32_t *ids, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ ids[i]) * 0x100000001b3ull;
	return h ^ n;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 64;
	void *nv;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int grow_list_index(struct tb *t)
{
	size_t cap = t->list_index_cap ? t->list_index_cap * 2 : 256;
	uint32_t *idx = malloc(cap * sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	memset(idx, 0xff, cap * sizeof(*idx));
	for (size_t i = 0; i < t->n_lists; i++) {
		const struct tb_list *l = &t->lists[i];
		size_t slot = list_hash(&t->ids[l->start], l->count) & (cap - 1);

		while (idx[slot] != UINT32_MAX)
			slot = (slot + 1) & (cap - 1);
		idx[slot] = (uint32_t)i;
	}
	free(t->list_index);
	t->list_index = idx;
	t->list_index_cap = cap;
	return 0;
}

int tb_intern_list(struct tb *t, const uint32_t *ids, size_t n, uint32_t *list)
{
	size_t slot;
	int ret;

	if ((t->n_lists + 1) * 2 > t->list_index_cap) {
		ret = grow_list_index(t);
		if (ret)
			return ret;
	}
	slot = list_hash(ids, n) & (t->list_index_cap - 1);
	for (; t->list_index[slot] != UINT32_MAX; slot = (slot + 1) & (t->list_index_cap - 1)) {
		const struct tb_list *l = &t->lists[t->list_index[slot]];

		if (l->count == n && !memcmp(&t->ids[l->start], ids, n * sizeof(*ids))) {
			*list = t->list_index[slot];
			return 0;
		}
	}
	if (t->out->n_tleaves + t->leaf_elems + n * stride(t->family) > t->lim->max_leaf_elems) {
		t->hit = "tree leaf entries";
		return -E2BIG;
	}
	ret = grow((void **)&t->lists, &t->cap_lists, t->n_lists + 1, sizeof(*t->lists));
	if (!ret)
		ret = grow((void **)&t->ids, &t->cap_ids, t->n_ids + n, sizeof(*t->ids));
	if (ret)
		return ret;
	memcpy(&t->ids[t->n_ids], ids, n * sizeof(*ids));
	t->lists[t->n_lists] =
		(struct tb_list){ .start = (uint32_t)t->n_ids, .count = (uint32_t)n };
	t->n_ids += n;
	t->leaf_elems += n * stride(t->family);
	t->list_index[slot] = (uint32_t)t->n_lists;
	*list = (uint32_t)t->n_lists++;
	return 0;
}

static void fill_elem(struct edgefw_tleaf *e, const struct ef_box *b, const uint8_t words[6])
{
	memset(e, 0, sizeof(*e));
	e->rule = b->rule;
	e->flags_mask = b->flags_mask;
	e->flags_value = b->flags_value;
	e->hooks = b->hooks;
	for (int k = 0; k < 6; k++) {
		e->c[k].lo = b->lo[words[k]];
		e->c[k].span = b->hi[words[k]] - b->lo[words[k]];
	}
}

static int write_leaves(struct tb *t)
{
	struct ef_compiled *c = t->out;
	size_t cap = c->n_tleaves, need = 0;
	int ret;

	for (size_t i = t->lists_written; i < t->n_lists; i++)
		need += t->lists[i].count * stride(t->family);
	ret = grow((void **)&c->tleaves, &cap, c->n_tleaves + need, sizeof(*c->tleaves));
	if (ret)
		return ret;
	for (; t->lists_written < t->n_lists; t->lists_written++) {
		struct tb_list *l = &t->lists[t->lists_written];

		l->elem = (uint32_t)c->n_tleaves;
		for (uint32_t k = 0; k < l->count; k++) {
			const struct ef_box *b = &t->boxes[t->ids[l->start + k]];

			if (t->family == EF_AF_INET) {
				fill_elem(&c->tleaves[c->n_tleaves++], b, v4_words);
				continue;
			}
			fill_elem(&c->tleaves[c->n_tleaves++], b, v6_words[0]);
			fill_elem(&c->tleaves[c->n_tleaves++], b, v6_words[1]);
		}
	}
	return 0;
}

struct pending {
	uint32_t node, slot, step;
};

/* The split a packed node evaluates for side x of it, and the two nodes it
 * leads to: a leaf side always goes "right", to itself. */
static void side(const struct tb *t, uint32_t x, uint8_t *dim, uint32_t *thr, uint32_t kids[2])
{
	const struct tb_node *n = &t->nodes[x];

	*dim = n->leaf ? 0 : n->dim;
	*thr = n->leaf ? 0 : n->thr;
	kids[0] = n->leaf ? x : n->left;
	kids[1] = n->leaf ? x : n->right;
}

/* Packs the binary nodes under bnode, two levels per element, children
 * of an element side by side, breadth first. */
static int write_nodes(struct tb *t, uint32_t bnode, uint32_t *root)
{
	struct ef_compiled *c = t->out;
	struct pending *q = NULL;
	size_t qn = 0, qcap = 0, cap = c->n_tnodes;
	int ret = 0;

	ret = grow((void **)&q, &qcap, 1, sizeof(*q));
	if (!ret)
		ret = grow((void **)&c->tnodes, &cap, c->n_tnodes + 1, sizeof(*c->tnodes));
	if (ret)
		goto out;
	*root = (uint32_t)c->n_tnodes++;
	q[qn++] = (struct pending){ bnode, *root, 1 };
	for (size_t h = 0; h < qn; h++) {
		struct pending p = q[h];
		const struct tb_node *n = &t->nodes[p.node];
		struct edgefw_tnode *e;
		uint32_t kids[4];
		uint8_t d1, d2;

		if (p.step > t->steps)
			t->steps = p.step;
		if (n->leaf) {
			const struct tb_list *l = &t->lists[n->list];

			c->tnodes[p.slot] =
				(struct edgefw_tnode){ .ctl = EDGEFW_TNODE_LEAF | l->count,
						       .base = l->elem };
			continue;
		}
		if (c->n_tnodes + 4 > t->lim->max_nodes) {
			t->hit = "tree nodes";
			ret = -E2BIG;
			goto out;
		}
		ret = grow((void **)&c->tnodes, &cap, c->n_tnodes + 4, sizeof(*c->tnodes));
		if (!ret)
			ret = grow((void **)&q, &qcap, qn + 4, sizeof(*q));
		if (ret)
			goto out;
		e = &c->tnodes[p.slot];
		memset(e, 0, sizeof(*e));
		e->thr[0] = n->thr;
		side(t, n->left, &d1, &e->thr[1], &kids[0]);
		side(t, n->right, &d2, &e->thr[2], &kids[2]);
		e->ctl = n->dim | (uint32_t)d1 << 4 | (uint32_t)d2 << 8;
		e->base = (uint32_t)c->n_tnodes;
		for (int k = 0; k < 4; k++)
			q[qn++] = (struct pending){ kids[k], e->base + (uint32_t)k, p.step + 1 };
		c->n_tnodes += 4;
	}
out:
	free(q);
	return ret;
}

int tb_write(struct tb *t, uint32_t bnode, uint32_t *root)
{
	int ret = write_leaves(t);

	return ret ? ret : write_nodes(t, bnode, root);
}

void tb_describe(const struct tb *t, struct ef_tree_info *info)
{
	memset(info, 0, sizeof(*info));
	info->family = t->family;
	info->min_rule = EDGEFW_RULE_NONE;
	info->boxes = t->n_boxes;
	for (size_t i = 0; i < t->n_boxes; i++) {
		info->rules += !i || t->boxes[i].rule != t->boxes[i - 1].rule;
		if (t->boxes[i].rule < info->min_rule)
			info->min_rule = t->boxes[i].rule;
	}
	info->leaves = t->n_lists;
	info->leaf_entries = t->n_ids;
	for (size_t i = 0; i < t->n_lists; i++)
		if (t->lists[i].count > info->max_leaf)
			info->max_leaf = t->lists[i].count;
	info->depth = t->depth;
	info->steps = t->steps;
	info->nodes = t->out->n_tnodes - t->first_node;
	info->bytes = info->nodes * sizeof(struct edgefw_tnode) +
		      (t->out->n_tleaves - t->first_elem) * sizeof(struct edgefw_tleaf);
}

unsigned ef_trees_of(const struct ef_compiled *out, uint8_t family)
{
	unsigned n = 0;

	for (unsigned t = 0; t < out->n_trees; t++)
		n += out->trees[t].family == family;
	return n;
}

void tb_free(struct tb *t)
{
	free(t->nodes);
	free(t->ids);
	free(t->lists);
	free(t->list_index);
	free(t->scratch_lo);
	free(t->scratch_hi);
	free(t->scratch_tmp);
}

static bool elem_matches(const struct edgefw_tleaf *e, const uint8_t words[6], const uint32_t *key,
			 uint32_t flags, uint32_t hook)
{
	for (int k = 0; k < 6; k++)
		if ((uint32_t)(key[words[k]] - e->c[k].lo) > e->c[k].span)
			return false;
	return (flags & e->flags_mask) == e->flags_value && (e->hooks >> hook & 1);
}

/* The leaf's entries in rule order: the first that holds the packet, if
 * below best. */
static uint32_t scan(const struct ef_compiled *c, const struct ef_tree_info *info,
		     const struct edgefw_tnode *n, const uint32_t *key, uint32_t flags,
		     uint32_t hook, uint32_t best)
{
	for (uint32_t k = 0; k < (n->ctl & EDGEFW_TNODE_COUNT) && k < EDGEFW_LEAF_SCAN; k++) {
		const struct edgefw_tleaf *e = &c->tleaves[n->base + k * stride(info->family)];

		if (e->rule >= best)
			break;
		if (info->family == EF_AF_INET
			    ? elem_matches(e, v4_words, key, flags, hook)
			    : elem_matches(e, v6_words[0], key, flags, hook) &&
				      elem_matches(e + 1, v6_words[1], key, flags, hook))
			return e->rule;
	}
	return best;
}

uint32_t ef_tree_lookup(const struct ef_compiled *c, unsigned t,
			const uint32_t key[EDGEFW_TK_WORDS], uint32_t flags, uint32_t hook,
			uint32_t best)
{
	const struct ef_tree_info *info = &c->trees[t];
	uint32_t idx = info->root;
	const struct edgefw_tnode *n = NULL;
	struct edgefw_tnode leaf;

	if (info->min_rule >= best)
		return best;
	if (info->trie_word != EF_TREE_NO_TRIE) {
		idx = ef_trie4_get(c, info->root, key[info->trie_word & 15]);
		if (idx != EDGEFW_CLASS_NONE && info->paired)
			idx = ef_pair_subtree(c, idx);
		if (idx == EDGEFW_CLASS_NONE)
			return best;
		if (idx & EDGEFW_FOREST_LEAF) {
			leaf = (struct edgefw_tnode){ .ctl = EDGEFW_TNODE_LEAF |
							     (idx >> EDGEFW_FOREST_COUNT_SHIFT &
							      EDGEFW_FOREST_COUNT),
						      .base = idx & EDGEFW_FOREST_START };
			return scan(c, info, &leaf, key, flags, hook, best);
		}
	}
	for (int step = 0; step < EDGEFW_TREE_STEPS; step++) {
		uint32_t b0, b1, b2;

		n = &c->tnodes[idx];
		if (n->ctl & EDGEFW_TNODE_LEAF)
			break;
		b0 = key[n->ctl & 15] >= n->thr[0];
		b1 = key[n->ctl >> 4 & 15] >= n->thr[1];
		b2 = key[n->ctl >> 8 & 15] >= n->thr[2];
		idx = n->base + 2 * b0 + (b0 ? b2 : b1);
		n = NULL;
	}
	if (!n)
		return best;
	return scan(c, info, n, key, flags, hook, best);
}
