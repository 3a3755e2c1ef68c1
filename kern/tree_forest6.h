/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A lone IPv6 forest in one call (tree_forest6), the IPv6 analogue of
 * tree_walk.h's tree_forest4: when an IPv6 packet's family has one tree
 * and it is a forest over one word (0-3) of an address (the 100k + 10k
 * scenario's 10k IPv6 rules take this shape, over the second word),
 * classify_first (kern/dynset.h) calls this instead of walking the trees
 * in the chain's call: it walks the forest's trie and scans its leaf
 * without the scratch tree key:
 * the key's words are read from pkt_info, and an entry's second element
 * only when its first passes. The key is filled only for a subtree that
 * is a node. Included by classifier.h, after tree_walk.h.
 */
#ifndef EDGEFW_TREE_FOREST6_H
#define EDGEFW_TREE_FOREST6_H

#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "maps.h"
#include "parse.h"
#include "tree_walk.h"

/* True when the packet is IPv6 and its family has one tree, a forest over
 * a word of an address (the compiler picks the word whose first 16 bits
 * differ most, user/compiler/classify.c) that shares no trie with the
 * chain: tree_forest6 walks it alone. Computed without a branch, as
 * tree_forests4_only is. */
static __always_inline bool tree_forest6_only(const struct pkt_info *pi,
					      const struct edgefw_gen_config *cfg)
{
	const struct edgefw_tree_root *tr = &cfg->trees[1][0];
	__u64 other = (__u64)(pi->family ^ 6) | (cfg->n_trees[1] ^ 1) | (tr->trie_word & ~7u) |
		      tr->paired;

	_Static_assert(EDGEFW_TK_SRC == 0 && EDGEFW_TK_DST == 4, "tree_forest6's words");
	tree_opaque(other);
	return !other;
}

/* Non-zero when an IPv6 entry's first element (key words 0-5: the source
 * address, the destination's first two words) rejects the packet; q holds
 * the second element's words (tree_forest6), its flags and hook too. */
static __always_inline __u64 tree_reject6a(const struct edgefw_tleaf *e, const struct pkt_info *pi,
					   const struct tree_words4 *q)
{
	return tree_out(tree_word(pi->saddr, 0), &e->c[0]) |
	       tree_out(tree_word(pi->saddr, 1), &e->c[1]) |
	       tree_out(tree_word(pi->saddr, 2), &e->c[2]) |
	       tree_out(tree_word(pi->saddr, 3), &e->c[3]) |
	       tree_out(tree_word(pi->daddr, 0), &e->c[4]) |
	       tree_out(tree_word(pi->daddr, 1), &e->c[5]) |
	       ((q->flags & e->flags_mask) ^ e->flags_value) | (((e->hooks >> q->hook) & 1) ^ 1);
}

/* tree_scan6 for the words of pkt_info: the second element is looked up
 * only when the first passes (most entries a scan passes differ in the
 * first one's words or in the destination's). */
static __always_inline __u32 tree_scan6q(void *leaves, __u32 start, __u32 count,
					 const struct pkt_info *pi, const struct tree_words4 *q,
					 __u32 best)
{
	for (__u32 i = 0; i < EDGEFW_LEAF_SCAN; i++) {
		struct edgefw_tleaf *e, *e2;
		__u32 at = start + 2 * i, at2 = at + 1;

		if (i >= count)
			break;
		e = bpf_map_lookup_elem(leaves, &at);
		if (!e || e->rule >= best)
			break;
		if (tree_reject6a(e, pi, q))
			continue;
		e2 = bpf_map_lookup_elem(leaves, &at2);
		if (!e2)
			break;
		/* Words 6-11 are q's as tree_reject4 reads them. */
		if (!tree_reject4(e2, q))
			return e->rule;
	}
	return best;
}

/* A subtree that is a node, not a leaf: the node walk indexes the whole
 * key, so only this path fills the scratch key. */
static __always_inline __u32 tree_forest6_node(const struct pkt_info *pi, __u32 gen, __u32 hook,
					       __u32 root, __u32 *count)
{
	__u32 zero = 0;
	struct tree_key *k = bpf_map_lookup_elem(&tree_scratch, &zero);
	void *nodes = bpf_map_lookup_elem(&tnode_tbl, &gen);

	if (!k || !nodes)
		return EDGEFW_RULE_NONE;
	tree_key_fill(k, pi, hook);
	return tree_leaf(nodes, root, k, count);
}

/* tree_classify for an IPv6 packet tree_forest6_only accepts (how and the
 * result as tree_lowest's), a global function: the verifier checks its
 * trie walk and scan once; `cells` and the leaves are looked up once, and
 * no key is filled for a forest leaf (the usual case). */
__attribute__((noinline)) int
tree_forest6(const struct pkt_info *pi, const struct edgefw_gen_config *cfg, __u32 how, __u32 best)
{
	const struct edgefw_tree_root *tr;
	__u32 gen = how & 1, root, start, count = 0;
	/* Key words 6-11 for an entry's second element: the destination's
	 * last two words in src and dst, then the ports, protocol and VLAN. */
	struct tree_words4 q;
	void *cells, *leaves;

	if (!pi || !cfg || cfg->trees[1][0].min_rule >= best)
		return (int)best;
	tr = &cfg->trees[1][0];
	/* No rule for the packet by its level-1 cell alone: no lookup. */
	if (tree_probe_empty(pi, tr, gen))
		return (int)best;
	cells = bpf_map_lookup_elem(&cells_tbl, &gen);
	leaves = bpf_map_lookup_elem(&tleaf_tbl, &gen);
	if (!cells || !leaves)
		return (int)best;
	/* Key word trie_word (0-7): word & 3 of the source (0-3) or the
	 * destination (4-7). */
	root = tree_forest_root(
		cells, gen, tr->root,
		tree_word(tr->trie_word & 4 ? pi->daddr : pi->saddr, tr->trie_word & 3));
	if (root == EDGEFW_RULE_NONE)
		return (int)best;
	q.hook = (how >> 8) & 0xff;
	if (root & EDGEFW_FOREST_LEAF) {
		start = tree_forest_leaf(root, &count);
	} else {
		start = tree_forest6_node(pi, gen, q.hook, root, &count);
	}
	if (start == EDGEFW_RULE_NONE)
		return (int)best;
	q.src = tree_word(pi->daddr, 2);
	q.dst = tree_word(pi->daddr, 3);
	tree_words_rest(&q, pi);
	return (int)tree_scan6q(leaves, start, count, pi, &q, best);
}

#endif /* EDGEFW_TREE_FOREST6_H */
