/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The decision trees' walk (user/compiler/tree.c builds them and explains
 * why they look this way; user/compiler/tree_flat.c walks them the same
 * way in userspace). Included by classifier.h.
 *
 * Per tree of the packet's family whose lowest rule is below the best rule
 * found so far: at most EDGEFW_TREE_STEPS node lookups, each deciding two
 * binary levels with three comparisons computed without branches, then at
 * most EDGEFW_LEAF_SCAN leaf entries in rule order, stopping at the first
 * that matches or that is not below the best rule.
 */
#ifndef EDGEFW_TREE_WALK_H
#define EDGEFW_TREE_WALK_H

#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "maps.h"
#include "parse.h"

struct tree_key {
	__u32 w[EDGEFW_TK_WORDS];
	__u32 flags;
	__u32 hook;
	/* Per IPv4 address (src, dst): the chain's class from the pair of
	 * the trie shared with the chain (gen_config.pair_l1) as a paired
	 * forest found it (EDGEFW_A4_NONE for none), for the chain to take
	 * instead of walking the trie again; EDGEFW_CLASS_NONE while no forest
	 * walked it for this packet. */
	__u32 pair[2];
};

/* Word w (0-3) of an address in pkt_info, in host order; the addresses
 * are 4-byte aligned there. */
static __always_inline __u32 tree_word(const __u8 *addr, int w)
{
	return bpf_ntohl(((const __u32 *)addr)[w]);
}

/* IPv4 addresses take word 0; words 1-3 are 0, as the compiler expects. */
static __always_inline void tree_key_fill(struct tree_key *k, const struct pkt_info *pi, __u32 hook)
{
	for (int w = 0; w < 4; w++) {
		bool v6 = pi->family == 6;

		k->w[EDGEFW_TK_SRC + w] = !w || v6 ? tree_word(pi->saddr, w) : 0;
		k->w[EDGEFW_TK_DST + w] = !w || v6 ? tree_word(pi->daddr, w) : 0;
	}
	k->w[EDGEFW_TK_SPORT] = pi->sport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->sport;
	k->w[EDGEFW_TK_DPORT] = pi->dport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->dport;
	k->w[EDGEFW_TK_PROTO] = (__u32)pi->l4proto * EDGEFW_FRAG_STATES + pi->frag;
	k->w[EDGEFW_TK_VLAN] = pi->vlan > EDGEFW_UNTAGGED ? EDGEFW_UNTAGGED : pi->vlan;
	k->w[12] = k->w[13] = k->w[14] = k->w[15] = 0;
	k->flags = pi->flags > EDGEFW_NO_FLAGS ? EDGEFW_NO_FLAGS : pi->flags;
	k->hook = hook;
	k->pair[0] = k->pair[1] = EDGEFW_CLASS_NONE;
}

/* Keeps clang from turning the arithmetic below back into a compare and a
 * branch: each branch would double the verifier's states and cost a
 * misprediction on real traffic. */
#define tree_opaque(x) asm volatile("" : "+r"(x))

/* 1 when v >= t, without a branch: both are below 2^32, so the 64-bit
 * difference is negative exactly when v < t. */
static __always_inline __u32 tree_ge(__u32 v, __u32 t)
{
	__u64 d = (__u64)v - (__u64)t;

	tree_opaque(d);
	return (__u32)((d >> 63) ^ 1);
}

/* Walks a tree to its leaf: the leaf's first element, its entry count in
 * *count; EDGEFW_RULE_NONE when the walk ends elsewhere. */
static __always_inline __u32 tree_leaf(void *nodes, __u32 root, const struct tree_key *k,
				       __u32 *count)
{
	__u32 idx = root;

	for (int i = 0; i < EDGEFW_TREE_STEPS; i++) {
		struct edgefw_tnode *n = bpf_map_lookup_elem(nodes, &idx);
		__u32 ctl, b0, b1, b2;

		if (!n)
			break;
		ctl = n->ctl;
		if (ctl & EDGEFW_TNODE_LEAF) {
			*count = ctl & EDGEFW_TNODE_COUNT;
			return n->base;
		}
		b0 = tree_ge(k->w[ctl & 15], n->thr[0]);
		b1 = tree_ge(k->w[(ctl >> 4) & 15], n->thr[1]);
		b2 = tree_ge(k->w[(ctl >> 8) & 15], n->thr[2]);
		idx = n->base + (b0 << 1) + (b1 ^ ((b1 ^ b2) & -b0));
	}
	return EDGEFW_RULE_NONE;
}

/* A forest's subtree that is a leaf (EDGEFW_FOREST_LEAF): its first
 * entry, and its entry count in *count. */
static __always_inline __u32 tree_forest_leaf(__u32 root, __u32 *count)
{
	*count = (root >> EDGEFW_FOREST_COUNT_SHIFT) & EDGEFW_FOREST_COUNT;
	return root & EDGEFW_FOREST_START;
}

/* Non-zero when v is outside [lo, lo + span]. */
static __always_inline __u64 tree_out(__u32 v, const struct edgefw_trange *r)
{
	__u64 d = (__u64)r->span - (__u64)(__u32)(v - r->lo);

	tree_opaque(d);
	return d >> 63;
}

/* An IPv4 packet's key words as tree_reject reads them, in registers:
 * the forest path (tree_forest4) reads them from pkt_info, not from a
 * tree key. */
struct tree_words4 {
	__u32 src, dst, sport, dport, proto, vlan, flags, hook;
};

/* The words after the addresses, clamped as tree_key_fill clamps them:
 * the forest paths fill them only for a leaf with entries. */
static __always_inline void tree_words_rest(struct tree_words4 *q, const struct pkt_info *pi)
{
	q->sport = pi->sport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->sport;
	q->dport = pi->dport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->dport;
	q->proto = (__u32)pi->l4proto * EDGEFW_FRAG_STATES + pi->frag;
	q->vlan = pi->vlan > EDGEFW_UNTAGGED ? EDGEFW_UNTAGGED : pi->vlan;
	q->flags = pi->flags > EDGEFW_NO_FLAGS ? EDGEFW_NO_FLAGS : pi->flags;
}

/* Non-zero when the element rejects the packet: six ranges over key words
 * a..f, the TCP flags and the hook. Most entries a scan passes differ in
 * the first two words (the addresses of an IPv4 entry), so those are
 * tested first and alone. */
static __always_inline __u64 tree_reject(const struct edgefw_tleaf *e, const struct tree_key *k,
					 __u32 a, __u32 b, __u32 c, __u32 d, __u32 e4, __u32 f)
{
	__u64 out = tree_out(a, &e->c[0]) | tree_out(b, &e->c[1]);

	if (out)
		return out;
	return tree_out(c, &e->c[2]) | tree_out(d, &e->c[3]) | tree_out(e4, &e->c[4]) |
	       tree_out(f, &e->c[5]) | ((k->flags & e->flags_mask) ^ e->flags_value) |
	       (((e->hooks >> k->hook) & 1) ^ 1);
}

/* tree_reject for the words in registers (struct tree_words4). */
static __always_inline __u64 tree_reject4(const struct edgefw_tleaf *e, const struct tree_words4 *q)
{
	__u64 out = tree_out(q->src, &e->c[0]) | tree_out(q->dst, &e->c[1]);

	if (out)
		return out;
	return tree_out(q->sport, &e->c[2]) | tree_out(q->dport, &e->c[3]) |
	       tree_out(q->proto, &e->c[4]) | tree_out(q->vlan, &e->c[5]) |
	       ((q->flags & e->flags_mask) ^ e->flags_value) | (((e->hooks >> q->hook) & 1) ^ 1);
}

static __always_inline __u32 tree_scan4(void *leaves, __u32 start, __u32 count,
					const struct tree_key *k, __u32 best)
{
	for (__u32 i = 0; i < EDGEFW_LEAF_SCAN; i++) {
		struct edgefw_tleaf *e;
		__u32 at = start + i;

		if (i >= count)
			break;
		e = bpf_map_lookup_elem(leaves, &at);
		if (!e || e->rule >= best)
			break;
		if (!tree_reject(e, k, k->w[EDGEFW_TK_SRC], k->w[EDGEFW_TK_DST],
				 k->w[EDGEFW_TK_SPORT], k->w[EDGEFW_TK_DPORT],
				 k->w[EDGEFW_TK_PROTO], k->w[EDGEFW_TK_VLAN]))
			return e->rule;
	}
	return best;
}

/* tree_scan4 for the words in registers (tree_forest4). */
static __always_inline __u32 tree_scan4q(void *leaves, __u32 start, __u32 count,
					 const struct tree_words4 *q, __u32 best)
{
	for (__u32 i = 0; i < EDGEFW_LEAF_SCAN; i++) {
		struct edgefw_tleaf *e;
		__u32 at = start + i;

		if (i >= count)
			break;
		e = bpf_map_lookup_elem(leaves, &at);
		if (!e || e->rule >= best)
			break;
		if (!tree_reject4(e, q))
			return e->rule;
	}
	return best;
}

static __always_inline __u32 tree_scan6(void *leaves, __u32 start, __u32 count,
					const struct tree_key *k, __u32 best)
{
	for (__u32 i = 0; i < EDGEFW_LEAF_SCAN; i++) {
		struct edgefw_tleaf *e, *e2;
		__u32 at = start + 2 * i, at2 = at + 1;

		if (i >= count)
			break;
		e = bpf_map_lookup_elem(leaves, &at);
		e2 = bpf_map_lookup_elem(leaves, &at2);
		if (!e || !e2 || e->rule >= best)
			break;
		if (!tree_reject(e, k, k->w[0], k->w[1], k->w[2], k->w[3], k->w[4], k->w[5]) &&
		    !tree_reject(e2, k, k->w[6], k->w[7], k->w[8], k->w[9], k->w[10], k->w[11]))
			return e->rule;
	}
	return best;
}

/* Cell idx past the level-1 tables (edgefw.h, EDGEFW_L1_CELLS), or
 * EDGEFW_A4_NONE when the lookup fails. */
static __always_inline __u32 tree_cell(void *cells, __u32 idx)
{
	__u32 key = idx - EDGEFW_L1_CELLS;
	__u32 *c = bpf_map_lookup_elem(cells, &key);

	return c ? *c : EDGEFW_A4_NONE;
}

/* The value of the skip node at cell node (edgefw.h, EDGEFW_SKIP) of an
 * IPv4-shaped trie for word a (host order): its hit cell when a lies in
 * the node's prefix, else its miss cell, picked without a branch (each
 * would double the verifier's states per tree). The prefix is longer
 * than /16, so the mask's shift is below 32. One cache line. */
static __always_inline __u32 tree_skip_value(void *cells, __u32 node, __u32 a)
{
	__u32 len = tree_cell(cells, node + EDGEFW_SKIP_HDR) & 0xff;
	__u64 diff = (a ^ tree_cell(cells, node + EDGEFW_SKIP_ADDR)) &
		     (0xffffffffu << ((32 - len) & 31));

	/* 1 when any bit differs: EDGEFW_SKIP_MISS is EDGEFW_SKIP_HIT + 1. */
	diff = (diff + 0xffffffffu) >> 32;
	tree_opaque(diff);
	return tree_cell(cells, node + EDGEFW_SKIP_HIT + (__u32)diff);
}

/* A forest's subtree for the packet: its address word through the
 * 16-4-4-4-4 trie at level 1 cell l1 of generation gen (at most five
 * reads, as for the chain's IPv4 tries, or fewer and a skip node), where a
 * wide chunk (EDGEFW_A4_WIDE) takes 8 bits in one lookup: a node, a leaf
 * (EDGEFW_FOREST_LEAF), or EDGEFW_RULE_NONE. For a trie shared with the
 * chain, the index of a pair; its level 1 is in global data (edgefw.h,
 * EDGEFW_L1_CELLS), a load instead of a lookup. rem counts the address
 * bits not yet read; the stride is 4 or 8 without a branch. */
static __always_inline __u32 tree_forest_root(void *cells, __u32 gen, __u32 l1, __u32 a)
{
	__u32 idx = l1 + (a >> 16), key, *c;
	__u32 v;
	int rem = 16;

	if (l1 < EDGEFW_L1_CELLS) {
		v = edgefw_l1_cell(gen, idx);
	} else {
		key = idx - EDGEFW_L1_CELLS;
		c = bpf_map_lookup_elem(cells, &key);
		if (!c)
			return EDGEFW_RULE_NONE;
		v = *c;
	}
	for (int i = 1; i < EDGEFW_A4_LEVELS; i++) {
		__u32 w;

		/* Neither a class nor a skip node, or every bit read. */
		if ((v & EDGEFW_SKIP) != EDGEFW_A4_CHUNK || rem <= 0)
			break;
		w = (v >> 27) & 4; /* 4 more bits for a wide chunk */
		rem -= 4 + (int)w;
		key = (v & EDGEFW_A4_INDEX) + ((a >> (rem & 31)) & ((16u << w) - 1)) -
		      EDGEFW_L1_CELLS;
		c = bpf_map_lookup_elem(cells, &key);
		if (!c)
			return EDGEFW_RULE_NONE;
		v = *c;
	}
	if ((v & EDGEFW_SKIP) == EDGEFW_SKIP)
		v = tree_skip_value(cells, v & EDGEFW_SKIP_INDEX, a);
	if (v & EDGEFW_A4_CHUNK)
		return EDGEFW_RULE_NONE;
	return v == EDGEFW_A4_NONE ? EDGEFW_RULE_NONE : v;
}

/* tree_trie4's last argument: what to return for a trie shared with the
 * chain (the leaf's pair, or the class in its lower half). */
#define TREE_TRIE_LEAF 0u
#define TREE_TRIE_PAIR_CLASS 1u

/* tree_forest_root in generation gen's cells, a global function: the
 * verifier checks its branches (a skip node or not, at each level) once,
 * not once per tree and family of tree_classify's walk, which they would
 * multiply past the verifier's limit. With TREE_TRIE_PAIR_CLASS (a trie
 * shared with the chain), the pair's lower half instead, the chain's class
 * (EDGEFW_A4_NONE for none; tree_pair_root reads both halves). */
__attribute__((noinline)) int tree_trie4(__u32 gen, __u32 l1, __u32 a, __u32 pair)
{
	void *cells = bpf_map_lookup_elem(&cells_tbl, &gen);
	__u32 v, key;
	__u64 *c;

	if (!cells)
		return (int)EDGEFW_RULE_NONE;
	v = tree_forest_root(cells, gen, l1, a);
	if (!pair || v == EDGEFW_RULE_NONE)
		return (int)v;
	key = v - EDGEFW_L1_CELLS;
	c = bpf_map_lookup_elem(cells, &key);
	return c ? (int)((__u32)*c & EDGEFW_A4_VALUE) : (int)EDGEFW_RULE_NONE;
}

/* A paired forest's subtree from the shared trie's leaf, a pair: one cell
 * (user/compiler/addr4_pair.c) whose upper half is the subtree and whose
 * lower half the chain's class, which is left in the key for the chain
 * (classifier.h, a4_class), EDGEFW_A4_NONE for none. */
static __always_inline __u32 tree_pair_root(void *cells, struct tree_key *k, __u32 word, __u32 leaf)
{
	__u32 idx = leaf - EDGEFW_L1_CELLS, sub;
	__u64 *c, v = (__u64)EDGEFW_A4_NONE << 32 | EDGEFW_A4_NONE;

	/* No leaf and a failed lookup read as a pair of nones, so that every
	 * path stores once and returns once: the verifier's states meet at
	 * the store (with an early return per case, the XDP program took 46k
	 * more instructions to verify). */
	if (leaf != EDGEFW_RULE_NONE) {
		c = bpf_map_lookup_elem(cells, &idx);
		if (c)
			v = *c;
	}
	k->pair[word == EDGEFW_TK_DST] = (__u32)v & EDGEFW_A4_VALUE;
	sub = v >> 32;
	return sub == EDGEFW_A4_NONE ? EDGEFW_RULE_NONE : sub;
}

/* The pairs of the tries the chain shares with a forest (gen_config.
 * pair_l1) that no forest walked for the packet (it was skipped: its
 * lowest rule is not below best), when the chain will run (best is past
 * its lowest rule): the chain reads them from the key (classifier.h,
 * a4_class). Here, not in the chain: the walk, skip nodes and all, is
 * checked by the verifier once, not once per path through the chain. */
static __always_inline void tree_pairs_fill(const struct edgefw_gen_config *cfg, __u32 gen,
					    struct tree_key *k, __u32 best)
{
	if (best <= cfg->chain_min_rule)
		return;
	for (int f = 0; f < 2; f++) {
		__u32 v;

		if (!(cfg->paired & (1u << f)) || k->pair[f] != EDGEFW_CLASS_NONE)
			continue;
		v = (__u32)tree_trie4(gen, cfg->pair_l1[f], k->w[f ? EDGEFW_TK_DST : EDGEFW_TK_SRC],
				      TREE_TRIE_PAIR_CLASS);
		k->pair[f] = v == EDGEFW_RULE_NONE ? EDGEFW_A4_NONE : v;
	}
}

/* The lowest rule below best that a tree of the family's (0 IPv4, 1 IPv6)
 * holds for the packet's key, else best. */
static __always_inline __u32 tree_classify(const struct edgefw_gen_config *cfg, __u32 gen,
					   void *cells, void *nodes, void *leaves,
					   struct tree_key *k, __u32 fam, __u32 best)
{
	for (int t = 0; t < EDGEFW_FAMILY_TREES; t++) {
		const struct edgefw_tree_root *tr = &cfg->trees[fam & 1][t];
		__u32 root = tr->root, start, count = 0;

		if (t >= cfg->n_trees[fam & 1])
			break;
		if (tr->min_rule >= best)
			continue;
		if (tr->trie_word != EDGEFW_TREE_NO_TRIE) {
			root = (__u32)tree_trie4(gen, root, k->w[tr->trie_word & 15],
						 TREE_TRIE_LEAF);
			if (tr->paired)
				root = tree_pair_root(cells, k, tr->trie_word, root);
			if (root == EDGEFW_RULE_NONE)
				continue;
		}
		if (root & EDGEFW_FOREST_LEAF) {
			start = tree_forest_leaf(root, &count);
		} else {
			start = tree_leaf(nodes, root, k, &count);
		}
		if (start == EDGEFW_RULE_NONE)
			continue;
		if (fam)
			best = tree_scan6(leaves, start, count, k, best);
		else
			best = tree_scan4(leaves, start, count, k, best);
	}
	if (!fam)
		tree_pairs_fill(cfg, gen, k, best);
	return best;
}

/* The tree key of the packet being classified, per CPU: a program runs to
 * its end on one CPU (a tc program runs with bottom halves off, an XDP one
 * in them, so neither interrupts the other there), and the key kept off
 * the stack leaves room for the calls the datapath makes (512 bytes for
 * all frames together). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tree_key);
} tree_scratch SEC(".maps");

/* True when the family's lone forest holds no rule for the packet by its
 * level-1 cell alone (edgefw_tree_root.probe): one load from global data
 * instead of the walk's key, lookups and branches. Most packets of a
 * ruleset whose forest holds host routes, say, land in an empty /16 (the
 * 100k + 10k scenarios: about 85% of random destinations). */
static __always_inline bool tree_probe_empty(const struct pkt_info *pi,
					     const struct edgefw_tree_root *tr, __u32 gen)
{
	__u32 w, word;

	/* The flag alone first: a ruleset without it (two forests, say)
	 * pays a load and a branch. */
	if (!tr->probe)
		return false;
	w = tr->trie_word;
	word = tree_word(w & 4 ? pi->daddr : pi->saddr, w & 3);
	return edgefw_l1_cell(gen, tr->root + (word >> 16)) == EDGEFW_A4_NONE;
}

/* True when every tree of the packet's family is an IPv4 forest over an
 * address (shared with the chain or not): tree_forests walks them all in
 * one call. The 100k + 10k scenarios' 10k rules take this shape (one
 * forest), and so do ClassBench fw1's (a source and a destination forest).
 * Computed without a branch (EDGEFW_TK_SRC is 0, EDGEFW_TK_DST 4): each
 * would send the verifier through tree_classify once more, past its
 * limit. */
static __always_inline bool tree_forests4_only(const struct pkt_info *pi,
					       const struct edgefw_gen_config *cfg)
{
	__u64 v6 = ((__u64)(pi->family ^ 6) - 1) >> 63;
	__u64 other = v6 | (((__u64)cfg->n_trees[0] - 1) >> 63);

	_Static_assert(EDGEFW_TK_SRC == 0 && EDGEFW_TK_DST == 4, "tree_forests4_only's mask");
	/* All four roots without a mask for the ones past n_trees: those are
	 * zero (the loader writes gen_config from a zeroed struct,
	 * user/loader/tables.c), trie_word EDGEFW_TK_SRC, which passes. */
	for (int t = 0; t < EDGEFW_FAMILY_TREES; t++)
		other |= cfg->trees[0][t].trie_word & 0xfb;
	tree_opaque(other);
	return !other;
}

/* A forest's subtree that is a node, not a leaf (a forest leaf holds its
 * entries itself, the usual case): the node walk needs the whole key, so
 * only this path fills it, keeping the pairs already found. */
static __always_inline __u32 tree_forest4_node(const struct pkt_info *pi, struct tree_key *k,
					       __u32 gen, __u32 hook, __u32 root, __u32 *count)
{
	__u32 p0 = k->pair[0], p1 = k->pair[1];
	void *nodes = bpf_map_lookup_elem(&tnode_tbl, &gen);

	if (!nodes)
		return EDGEFW_RULE_NONE;
	tree_key_fill(k, pi, hook);
	k->pair[0] = p0;
	k->pair[1] = p1;
	return tree_leaf(nodes, root, k, count);
}

/* The forest's lowest rule below best, else best; its pair left in k. */
static __always_inline __u32 tree_forest4_rule(const struct edgefw_tree_root *tr, void *cells,
					       struct tree_key *k, const struct pkt_info *pi,
					       struct tree_words4 *q, __u32 gen, __u32 best)
{
	__u32 root, start, count = 0;
	void *leaves;

	root = tree_forest_root(cells, gen, tr->root,
				tr->trie_word == EDGEFW_TK_DST ? q->dst : q->src);
	if (tr->paired)
		root = tree_pair_root(cells, k, tr->trie_word, root);
	if (root == EDGEFW_RULE_NONE)
		return best;
	if (root & EDGEFW_FOREST_LEAF) {
		start = tree_forest_leaf(root, &count);
	} else {
		start = tree_forest4_node(pi, k, gen, q->hook, root, &count);
	}
	/* The leaves only now: a packet whose trie leaf holds no entry (every
	 * miss) does without their lookup. */
	leaves = bpf_map_lookup_elem(&tleaf_tbl, &gen);
	if (start == EDGEFW_RULE_NONE || !leaves)
		return best;
	tree_words_rest(q, pi);
	return tree_scan4q(leaves, start, count, q, best);
}

/* tree_classify for a packet tree_forests4_only accepts (how and the
 * result as tree_lowest's; k the scratch key, its pairs reset by the
 * caller): every forest, in the trees' order. Inlined into tree_lowest,
 * itself inlined into the chain's global function (kern/dynset.h,
 * edgefw_classify_conds), which the verifier checks once, so its trie
 * walks' branches are still checked once (they replace tree_trie4's on
 * this path) and the packet makes no call for the trees; `cells` is
 * looked up once for all the forests, the leaves only for a leaf with
 * entries, and the key's words are read from pkt_info into registers
 * instead of filled into the scratch key and loaded back. */
static __always_inline __u32 tree_forest4(const struct pkt_info *pi,
					  const struct edgefw_gen_config *cfg, struct tree_key *k,
					  __u32 how, __u32 best)
{
	struct tree_words4 q;
	__u32 gen = how & 1;
	void *cells;

	cells = bpf_map_lookup_elem(&cells_tbl, &gen);
	if (!cells)
		return best;
	q.src = tree_word(pi->saddr, 0);
	q.dst = tree_word(pi->daddr, 0);
	q.hook = (how >> 8) & 0xff;
	for (int t = 0; t < EDGEFW_FAMILY_TREES; t++) {
		const struct edgefw_tree_root *tr = &cfg->trees[0][t];

		if (t >= cfg->n_trees[0])
			break;
		if (tr->min_rule < best)
			best = tree_forest4_rule(tr, cells, k, pi, &q, gen, best);
	}
	return best;
}

/* tree_classify for a packet tree_forests4_only accepts (how and the
 * result as tree_lowest's): the forests in tree_forest4, then the pairs
 * the chain needs. */
static __always_inline __u32 tree_forests(const struct pkt_info *pi,
					  const struct edgefw_gen_config *cfg, __u32 how,
					  __u32 best)
{
	__u32 zero = 0;
	struct tree_key *k = bpf_map_lookup_elem(&tree_scratch, &zero);

	if (!k)
		return best;
	/* The words tree_pairs_fill reads; the rest of the key stays unfilled. */
	k->w[EDGEFW_TK_SRC] = tree_word(pi->saddr, 0);
	k->w[EDGEFW_TK_DST] = tree_word(pi->daddr, 0);
	k->pair[0] = k->pair[1] = EDGEFW_CLASS_NONE;
	best = tree_forest4(pi, cfg, k, how, best);
	tree_pairs_fill(cfg, how & 1, k, best);
	return best;
}

#endif
