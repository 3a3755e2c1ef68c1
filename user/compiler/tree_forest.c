// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Forests: many small trees behind an address trie.
 *
 * A tree step costs several dependent loads (kern/DESIGN.md), so the first
 * levels of a tree over thousands of rules are the expensive part. When
 * every box of a set is narrow in one address word (its range there is a
 * prefix of /16 or longer), that word can do those levels at the price of
 * an address lookup in the same 16-4-4-4-4 array trie the chain uses for
 * IPv4 (addr4.c), one cheap lookup per level. The word is an IPv4 address,
 * or the first 32 bits of an IPv6 one: an IPv6 prefix of /32 or longer is
 * a /32 there, and the subtree tells apart the boxes that share it by the
 * address's other words.
 *
 * Each prefix P the boxes name gets the subtree of the boxes whose prefix
 * contains P: its own and those of every enclosing prefix (the longest
 * listed prefix holding an address is P, so these are exactly the boxes
 * whose field holds the address). The trie maps an address to its longest
 * listed prefix's subtree, or to nothing. A subtree only has to tell its
 * boxes apart by the other fields; most are a single leaf.
 *
 * Boxes repeat once per listed prefix below theirs; the tree limits bound
 * that, and the caller gives a set that exceeds them to a plain tree.
 */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

struct pfx_box {
	uint32_t lo; /* first address of the prefix */
	uint8_t len;
	uint32_t box;
};

static int cmp_pfx_box(const void *x, const void *y)
{
	const struct pfx_box *a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (a->box > b->box) - (a->box < b->box);
}

int ef_box_prefix(const struct ef_box *b, unsigned word, uint8_t *len)
{
	uint32_t span = b->hi[word] - b->lo[word];

	/* A prefix: span + 1 a power of two, lo aligned to it. */
	if ((span & (span + 1)) || (b->lo[word] & span))
		return -1;
	*len = (uint8_t)(32 - __builtin_popcount(span));
	return 0;
}

static bool pfx_contains(const struct pfx_box *outer, const struct pfx_box *in)
{
	uint32_t mask = outer->len ? ~0u << (32 - outer->len) : 0;

	return outer->len <= in->len && (in->lo & mask) == outer->lo;
}

/* dst = a ∪ b, both sorted and without repeats; returns the count. */
static size_t merge(uint32_t *dst, const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;

	while (i < na || j < nb) {
		if (j == nb || (i < na && a[i] < b[j]))
			dst[n++] = a[i++];
		else if (i == na || b[j] < a[i])
			dst[n++] = b[j++];
		else
			dst[n++] = a[i++], j++;
	}
	return n;
}

struct level {
	struct pfx_box p;
	uint32_t *ids; /* the boxes of p's class */
	size_t n;
};

static int push_prefix(struct ef_lpm_table *t, size_t *cap, const struct pfx_box *p, uint32_t root)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct ef_lpm_entry *v = realloc(t->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		*cap = ncap;
	}
	memset(&t->v[t->n].prefix, 0, sizeof(t->v[t->n].prefix));
	t->v[t->n].prefix.family = EF_AF_INET;
	t->v[t->n].prefix.len = p->len;
	for (int i = 0; i < 4; i++)
		t->v[t->n].prefix.addr[i] = (uint8_t)(p->lo >> (24 - 8 * i));
	t->v[t->n].class_id = root;
	t->n++;
	return 0;
}

/* A subtree that is one leaf goes in the trie cell itself (kern/edgefw.h,
 * EDGEFW_FOREST_LEAF) and its node, just written last, is taken back. */
static uint32_t leaf_in_cell(struct tb *t, uint32_t root)
{
	struct ef_compiled *c = t->out;
	const struct edgefw_tnode *n = &c->tnodes[root];

	if (!(n->ctl & EDGEFW_TNODE_LEAF) || n->base > EDGEFW_FOREST_START ||
	    root + 1 != c->n_tnodes)
		return root;
	c->n_tnodes--;
	return EDGEFW_FOREST_LEAF | n->base |
	       (n->ctl & EDGEFW_TNODE_COUNT) << EDGEFW_FOREST_COUNT_SHIFT;
}

/* Walks the prefixes in order, a stack of the enclosing ones giving each
 * its class, and builds one subtree per prefix. */
static int build_classes(struct tb *t, const struct pfx_box *v, size_t n, unsigned word,
			 struct ef_lpm_table *out)
{
	struct level stack[34];
	uint32_t lo[EDGEFW_TK_DIMS], hi[EDGEFW_TK_DIMS], *own = NULL;
	size_t depth = 0, cap = 0;
	int ret = 0;

	own = malloc((n ? n : 1) * sizeof(*own));
	if (!own)
		return -ENOMEM;
	tb_key_space(t->family, lo, hi);
	for (size_t i = 0; i < n && !ret;) {
		const struct pfx_box *p = &v[i];
		size_t n_own = 0, base_n;
		uint32_t root;
		struct level *l;

		while (depth && !pfx_contains(&stack[depth - 1].p, p))
			free(stack[--depth].ids);
		for (; i < n && v[i].lo == p->lo && v[i].len == p->len; i++)
			own[n_own++] = v[i].box;
		base_n = depth ? stack[depth - 1].n : 0;
		l = &stack[depth];
		l->p = *p;
		l->ids = malloc((base_n + n_own) * sizeof(*l->ids));
		if (!l->ids) {
			ret = -ENOMEM;
			break;
		}
		l->n = merge(l->ids, depth ? stack[depth - 1].ids : NULL, base_n, own, n_own);
		depth++;
		lo[word] = p->lo;
		hi[word] = p->lo | (p->len ? ~(~0u << (32 - p->len)) : ~0u);
		ret = tb_subtree(t, l->ids, l->n, lo, hi, &root);
		if (!ret)
			ret = push_prefix(out, &cap, p, leaf_in_cell(t, root));
	}
	while (depth)
		free(stack[--depth].ids);
	free(own);
	return ret;
}

int ef_forest_build(const struct ef_box *boxes, size_t n, uint8_t family, unsigned word,
		    const struct ef_tree_limits *lim, struct ef_compiled *out, const char **hit,
		    uint8_t *spill)
{
	struct ef_tree_info *info = &out->trees[out->n_trees];
	struct ef_lpm_table prefixes = { 0 };
	struct pfx_box *v = NULL;
	struct tb t;
	int ret;

	*hit = NULL;
	ret = tb_init(&t, boxes, n, family, lim, out, spill);
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!ret && !v)
		ret = -ENOMEM;
	for (size_t i = 0; !ret && i < n; i++) {
		v[i].lo = boxes[i].lo[word];
		v[i].box = (uint32_t)i;
		if (ef_box_prefix(&boxes[i], word, &v[i].len))
			ret = -EINVAL; /* the caller picks prefix boxes only */
	}
	if (!ret) {
		qsort(v, n, sizeof(*v), cmp_pfx_box);
		ret = build_classes(&t, v, n, word, &prefixes);
	}
	if (!ret) {
		tb_describe(&t, info);
		info->trie_word = (uint8_t)word;
		info->prefixes = prefixes;
		memset(&prefixes, 0, sizeof(prefixes));
		out->n_trees++;
	}
	*hit = t.hit;
	free(prefixes.v);
	tb_free(&t);
	free(v);
	return ret;
}
