/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The classifier: the first rule that matches a parsed packet, without
 * looping over rules (kern/DESIGN.md, user/compiler/classifier.h).
 *
 * Two structures hold the rules. The chain: each field the ruleset uses
 * maps the packet's value to a class (dim_class: multibit array tries for
 * the addresses, array segments for protocol, ports, flags, VLAN and the
 * dynamic conditions, a hash for the interface and hook), and the classes
 * are combined field by field, (class so far, next class) -> class so far,
 * through dense tables in `cells` or the chain_tbl hash; the last class
 * names the chain's first matching rule (chain_class). The decision trees
 * (tree_walk.h) hold the rules the chain could not within its budget; they
 * are walked once per packet (tree_lowest, inlined ahead of the chain in
 * its global function, kern/dynset.h edgefw_classify_conds). classify()
 * returns the lower of the two rules.
 *
 * Top-down: the address tries, the other fields, the chain, the trees'
 * entry point, classify().
 */
#ifndef EDGEFW_CLASSIFIER_H
#define EDGEFW_CLASSIFIER_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "parse.h"
#include "maps.h"
#include "tree_walk.h"
#include "tree_forest6.h"

struct classify_ctx {
	const struct pkt_info *pi;
	const struct edgefw_gen_config *cfg;
	const struct tree_key *tk; /* the tree walk's, for its pairs; or NULL */
	void *cells;
	__u32 gen;
	__u32 ifindex;
	__u32 hook;
	/* Dynamic conditions held (kern/dynset.h); bit 8: all of them, and
	 * the classes before the conditions' field (the last) carry their
	 * first rule's verdict (EDGEFW_DYN_HELD): the chain stops before it. */
	__u32 conds;
};

/* Cell idx past the level-1 tables (edgefw.h, EDGEFW_L1_CELLS: `cells`
 * starts after them), or EDGEFW_CLASS_NONE, through the caller's key: one
 * stack slot for all of a function's reads (each read of an unrolled loop
 * with a key of its own takes a slot of its own). An index below the
 * level-1 tables wraps past the array's end: a failed lookup. */
static __always_inline __u32 cell_via(void *cells, __u32 *key, __u32 idx)
{
	__u32 *v;

	*key = idx - EDGEFW_L1_CELLS;
	v = bpf_map_lookup_elem(cells, key);
	return v ? *v : EDGEFW_CLASS_NONE;
}

/* The same with a key of its own. */
static __always_inline __u32 cell(void *cells, __u32 idx)
{
	__u32 key;

	return cell_via(cells, &key, idx);
}

/* Cell idx whole (edgefw.h, EDGEFW_CELL_SIZE), or EDGEFW_CLASS_NONE. */
static __always_inline __u64 cell64(void *cells, __u32 idx)
{
	__u32 key = idx - EDGEFW_L1_CELLS;
	__u64 *v = bpf_map_lookup_elem(cells, &key);

	return v ? *v : EDGEFW_CLASS_NONE;
}

/* The chain's level-1 cell idx of generation gen whole: the global
 * table's lower half, or the copy in `cells` it points at when the cell
 * has an upper half (edgefw.h, EDGEFW_L1_FULL). */
static __always_inline __u64 l1_cell64(void *cells, __u32 gen, __u32 idx)
{
	__u32 v = edgefw_l1_cell(gen, idx);

	if ((v & EDGEFW_L1_FULL_MASK) != EDGEFW_L1_FULL)
		return v;
	v &= EDGEFW_A4_INDEX;
	/* The copy in the hot window (edgefw.h, EDGEFW_HOT_SLOTS), or in
	 * `cells`, whose indices start past the level-1 tables. */
	if (EDGEFW_BELOW_BITS(v, EDGEFW_HOT_SLOTS_BITS))
		return edgefw_hot_cell64(gen, v);
	return cell64(cells, v);
}

/* The lower half of cell c for IPv4 address a (host order), or the hit
 * of the lone prefix its upper half holds (edgefw.h, EDGEFW_LONE_*) when
 * a lies in it. The bits before 16 are equal by the path that led here. */
static __always_inline __u32 lone_value4(__u64 c, __u32 a)
{
	__u32 hi = c >> 32, len;

	if (!hi)
		return (__u32)c;
	len = 17 + ((hi >> EDGEFW_LONE_LEN_SHIFT) & 15);
	if ((a ^ hi) & EDGEFW_LONE_ADDR & (0xffffffffu << (32 - len)))
		return (__u32)c;
	return (hi >> EDGEFW_LONE_HIT_SHIFT) - 1;
}

/* The IPv4 multibit trie whose level 1 starts at cell l1 (in generation
 * gen's global level-1 tables): its leaf cell for address a
 * (EDGEFW_CLASS_NONE when a lookup fails), a lone prefix's hit, or the
 * cell of a skip node: a load and at most four array lookups (five for a
 * level-1 cell holding a lone prefix). */
static __always_inline __u32 trie4_leaf(void *cells, __u32 gen, __u32 l1, __u32 a)
{
	__u64 c = l1_cell64(cells, gen, l1 + (a >> 16));

	for (int shift = 12; shift >= 0; shift -= 4) {
		/* Neither a class nor a skip node (nor a failed lookup). */
		if (((__u32)c & EDGEFW_SKIP) != EDGEFW_A4_CHUNK)
			break;
		c = cell64(cells, ((__u32)c & EDGEFW_A4_VALUE) + ((a >> shift) & 15));
	}
	return lone_value4(c, a);
}

/* The value of the skip node at cell node for IPv4 address a (host
 * order; edgefw.h, EDGEFW_SKIP): its hit cell when a lies in its prefix,
 * else its miss cell. The prefix is longer than /16 (a shorter one fills
 * level-1 cells), so one word and a shift below 32. The bits before the
 * node's first bit to compare are equal by the path that led here: they
 * are compared again rather than masked, which is fewer instructions on
 * every blocklisted packet's path. */
static __always_inline __u32 skip_value4(void *cells, __u32 node, __u32 a)
{
	__u32 len = cell(cells, node + EDGEFW_SKIP_HDR) & 0xff;
	__u32 diff =
		(a ^ cell(cells, node + EDGEFW_SKIP_ADDR)) & (0xffffffffu << ((32 - len) & 31));

	return cell(cells, node + (diff ? EDGEFW_SKIP_MISS : EDGEFW_SKIP_HIT));
}

/* The same for IPv6 address a (network order, 16 bytes): the words up to
 * the prefix's length (the node holds the prefix's words, so the ones
 * the path already compared are equal again). key: the caller's slot
 * (cell_via): its frame is on the chain's, whose frames are at their 512
 * bytes. */
static __always_inline __u32 skip_value6(void *cells, __u32 *key, __u32 node, const __u8 *a)
{
	__u32 len = cell_via(cells, key, node + EDGEFW_SKIP_HDR) & 0xff, diff = 0;

	for (int w = 0; w < 4; w++) {
		__u32 word, bits;

		if (len <= 32 * w)
			break;
		bits = len - 32 * w >= 32 ? 32 : len - 32 * w;
		/* pkt_info's addresses are 4-byte aligned. */
		word = bpf_ntohl(((const __u32 *)a)[w]);
		diff |= (word ^ cell_via(cells, key, node + EDGEFW_SKIP_ADDR + w)) &
			(0xffffffffu << (32 - bits));
	}
	return cell_via(cells, key, node + (diff ? EDGEFW_SKIP_MISS : EDGEFW_SKIP_HIT));
}

/* The chain's class of an IPv4 address. When the field's trie is shared
 * with a forest (edgefw.h, pair_l1), the tree walk, which runs first, read
 * the class from the pair's lower half (tree_walk.h, tree_pair_root). */
static __always_inline __u32 a4_class(const struct classify_ctx *cc, __u32 field, const __u8 *addr)
{
	__u32 a, v;

	/* The flag in the config's first line: the loader sets it for a
	 * field of the chain exactly when pair_l1 is set (user/loader/l1.c,
	 * ef_l1_paired), so that is not read. */
	if (cc->cfg->paired & (1u << (field & 1))) {
		/* The tree walk leaves it whenever the chain runs (tree_walk.h,
		 * tree_pairs_fill): EDGEFW_A4_NONE for no class, and after a
		 * failed lookup there, which means no class, as it does here;
		 * EDGEFW_CLASS_NONE is EDGEFW_A4_NONE once masked. */
		v = cc->tk ? cc->tk->pair[field & 1] & EDGEFW_A4_VALUE : EDGEFW_A4_NONE;
		return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
	} else {
		/* pkt_info's addresses are 4-byte aligned: one load. */
		a = bpf_ntohl(*(const __u32 *)addr);
		v = trie4_leaf(cc->cells, cc->gen, field * EDGEFW_A4_L1_SIZE, a);
		if (v != EDGEFW_CLASS_NONE && (v & EDGEFW_SKIP) == EDGEFW_SKIP)
			v = skip_value4(cc->cells, v & EDGEFW_SKIP_INDEX, a);
	}
	if (v == EDGEFW_CLASS_NONE)
		return v;
	v &= EDGEFW_A4_VALUE;
	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}

/* Word w (0-3) of an IPv6 address as read (network order), with the bits
 * past prefix length len cleared. */
static __always_inline __u32 a6_masked_word(__u32 word, __u32 w, __u32 len)
{
	__u32 bits = len > 32 * w ? len - 32 * w : 0;

	if (bits >= 32)
		return word;
	return bits ? word & bpf_htonl(~(0xffffffffu >> bits)) : 0;
}

/* What edgefw_a6_hashed returns when no hashed length holds the address
 * (a class is a __u32, EDGEFW_CLASS_NONE included). */
#define A6_HASHED_MISS (-1LL)

/* The class of the longest prefix of the field's hashed lengths
 * (gen_config.hash6_len, longest first) that holds the packet's address in
 * field (0 source, 1 destination), or A6_HASHED_MISS: one hash probe per
 * length, stopping at the first hit. (A hit's class may be
 * EDGEFW_CLASS_NONE: a negated prefix can allow no rule.) A global
 * function: its loops, with a path per length and per word, are checked
 * once instead of at every place the chain reaches an IPv6 address (about
 * a third of the programs' verified instructions); the call is paid only
 * under a cell whose prefixes are hashed. */
__noinline __s64 edgefw_a6_hashed(const struct pkt_info *pi, const struct edgefw_gen_config *cfg,
				  __u32 gen, __u32 field)
{
	struct edgefw_host6_key h;
	const __u32 *a;
	__u32 *cls;

	if (!pi || !cfg)
		return A6_HASHED_MISS;
	/* pkt_info's addresses are 4-byte aligned: a word per read. */
	a = (const __u32 *)(field & 1 ? pi->daddr : pi->saddr);
	for (int i = 0; i < EDGEFW_A6_HASH_LENS; i++) {
		__u32 len = cfg->hash6_len[field & 1][i];

		if (!len)
			break;
		h.tag = EDGEFW_HOST6_TAG(gen & 1, field & 1, len);
		for (int w = 0; w < 4; w++)
			((__u32 *)h.addr)[w] = a6_masked_word(a[w], w, len);
		cls = bpf_map_lookup_elem(&host6_tbl, &h);
		if (cls)
			return *cls;
	}
	return A6_HASHED_MISS;
}

/* The value of the chain's IPv6 skip node at cell node not folded into
 * its cell (rare: a prefix shorter than /32 alone on its branch, or a
 * class too large for the cell's upper half) for the address in field. A
 * global function, checked once rather than at every place the chain
 * reaches an IPv6 address; it looks the cells up again. */
__noinline __u32 edgefw_a6_skip(const struct pkt_info *pi, __u32 gen, __u32 node, __u32 field)
{
	__u32 key = gen & 1;
	void *cells;

	if (!pi)
		return EDGEFW_CLASS_NONE;
	cells = bpf_map_lookup_elem(&cells_tbl, &key);
	if (!cells)
		return EDGEFW_CLASS_NONE;
	return skip_value6(cells, &key, node, field & 1 ? pi->daddr : pi->saddr);
}

/* Word w's mask for a prefix of length len: the word's bits within it,
 * leading (a shift by 32 only in 64 bits). */
static __always_inline __u32 a6_word_mask(__u32 len, __u32 w)
{
	__u32 bits = len > 32 * w ? len - 32 * w : 0;

	return (__u32)(0xffffffff00000000ull >> (bits > 32 ? 32 : bits));
}

/* The value of the chain's IPv6 skip node at cell node folded into its
 * cell (edgefw.h, EDGEFW_LONE6_*; hi: the cell's upper half) for address
 * a: its miss at once when the address's bits 16-31 differ, else the
 * node's words 1-3 in two reads (word 0 is equal by then: its first 16
 * bits by the path, the rest just compared; the prefix is /32 or longer). */
static __always_inline __u32 skip_lone6(void *cells, __u32 node, __u32 hi, const __u8 *a)
{
	/* pkt_info's addresses are 4-byte aligned. */
	const __u32 *w = (const __u32 *)a;
	__u32 miss = hi >> EDGEFW_LONE6_MISS_SHIFT, len, tail, diff;
	__u64 w12, w3;

	miss = miss == EDGEFW_LONE6_MISS_NONE ? EDGEFW_A6_NONE : miss - 1;
	if ((bpf_ntohl(w[0]) ^ hi) & EDGEFW_LONE_ADDR)
		return miss;
	w12 = cell64(cells, node + EDGEFW_SKIP6_W12);
	w3 = cell64(cells, node + EDGEFW_SKIP6_W3);
	/* A failed lookup: its lower half is EDGEFW_CLASS_NONE, which word 3
	 * of a prefix with an upper half of 0 (a /32) cannot be. */
	if (w3 == EDGEFW_CLASS_NONE)
		return EDGEFW_CLASS_NONE;
	tail = w3 >> 32;
	len = 32 + (tail >> EDGEFW_SKIP6_LEN_SHIFT);
	diff = ((bpf_ntohl(w[1]) ^ (__u32)w12) & a6_word_mask(len, 1)) |
	       ((bpf_ntohl(w[2]) ^ (__u32)(w12 >> 32)) & a6_word_mask(len, 2)) |
	       ((bpf_ntohl(w[3]) ^ (__u32)w3) & a6_word_mask(len, 3));
	if (diff)
		return miss;
	tail &= EDGEFW_SKIP6_HIT_NONE;
	return tail == EDGEFW_SKIP6_HIT_NONE ? EDGEFW_A6_NONE : tail;
}

/* The chunks below the level-1 cell c of an IPv6 trie for address a:
 * the last cell read, a class or a skip node (or a failed lookup). Bits
 * 16-47 index them from the top, 4 per chunk or 8 per wide one
 * (EDGEFW_A4_WIDE, the stride from the flag without a branch); the
 * compiler ends every path by bit 48, so at most eight reads. */
static __always_inline __u64 a6_chunks(void *cells, __u64 c, const __u8 *a)
{
	/* pkt_info's addresses are 4-byte aligned: two loads. */
	const __u32 *w = (const __u32 *)a;
	__u32 v = (__u32)c, bits;

	/* Neither a class nor a skip node (nor a failed lookup): most
	 * addresses stop at level 1 and read no bits past it. */
	if ((v & EDGEFW_SKIP) != EDGEFW_A4_CHUNK)
		return c;
	bits = bpf_ntohl(w[0]) << 16 | bpf_ntohl(w[1]) >> 16;
	for (int n = 0; n < 8; n++) {
		__u32 wide = (v >> 27) & 4; /* 4 more bits for a wide chunk */

		c = cell64(cells, (v & EDGEFW_A6_VALUE) + (bits >> (28 - wide)));
		v = (__u32)c;
		if ((v & EDGEFW_SKIP) != EDGEFW_A4_CHUNK)
			break;
		bits <<= 4 + wide;
	}
	return c;
}

/* The IPv6 trie over the first 48 bits, a skip node for a longer prefix
 * alone on its branch (folded into its cell where it fits); the hashes
 * per prefix length and the LPM trie only under a cell that says such
 * entries lie below. */
static __always_inline __u32 a6_class(const struct classify_ctx *cc, __u32 field, const __u8 *a)
{
	__u64 c = l1_cell64(cc->cells, cc->gen,
			    EDGEFW_A6_L1_BASE + field * EDGEFW_A4_L1_SIZE +
				    ((__u32)a[0] << 8 | a[1]));
	__u32 v;

	c = a6_chunks(cc->cells, c, a);
	v = (__u32)c;
	if (v == EDGEFW_CLASS_NONE)
		return v;
	if ((v & EDGEFW_SKIP) == EDGEFW_SKIP) {
		/* A plain class: the node's branch holds nothing else. */
		if (c >> 32)
			v = skip_lone6(cc->cells, v & EDGEFW_SKIP_INDEX, c >> 32, a);
		else
			v = edgefw_a6_skip(cc->pi, cc->gen, v & EDGEFW_SKIP_INDEX, field);
		if (v == EDGEFW_CLASS_NONE)
			return v;
		v &= EDGEFW_A6_VALUE;
		return v == EDGEFW_A6_NONE ? EDGEFW_CLASS_NONE : v;
	}
	if (v & EDGEFW_A6_HOST) {
		__s64 cls = edgefw_a6_hashed(cc->pi, cc->cfg, cc->gen, field);

		if (cls != A6_HASHED_MISS)
			return (__u32)cls;
	}
	if (v & EDGEFW_A6_LONGER) {
		struct edgefw_lpm6_key k = {
			.prefixlen = EDGEFW_LPM6_TAG_BITS + 128,
			.tag = cc->gen << 1 | field,
		};
		__u32 *cls;

		__builtin_memcpy(k.addr, a, 16);
		cls = bpf_map_lookup_elem(&lpm6_tbl, &k);
		if (cls)
			return *cls;
	}
	v &= EDGEFW_A6_VALUE;
	return v == EDGEFW_A6_NONE ? EDGEFW_CLASS_NONE : v;
}

static __always_inline __u32 addr_class(const struct classify_ctx *cc, bool dst)
{
	const struct pkt_info *pi = cc->pi;

	if (pi->family == 4)
		return a4_class(cc, dst, dst ? pi->daddr : pi->saddr);
	return a6_class(cc, dst, dst ? pi->daddr : pi->saddr);
}

/* A read of global data (kern/maps.h edgefw_leaves), no lookup. Every
 * caller's index is below EDGEFW_LEAF_SIZE by construction; the check is
 * the bound the verifier needs for the read. */
static __always_inline __u32 leaf_class(__u32 gen, __u32 idx)
{
	if (idx >= EDGEFW_LEAF_SIZE)
		return EDGEFW_CLASS_NONE;
	return edgefw_leaves[gen & (EDGEFW_GENERATIONS - 1)][idx];
}

static __always_inline __u32 ctx_class(const struct classify_ctx *cc)
{
	struct edgefw_ctx_key k = { .gen = cc->gen, .ifindex = cc->ifindex, .hook = cc->hook };
	__u32 *cls = bpf_map_lookup_elem(&ctx_tbl, &k);

	if (!cls) {
		/* An interface the ruleset names no pattern for. */
		k.ifindex = 0;
		cls = bpf_map_lookup_elem(&ctx_tbl, &k);
	}
	return cls ? *cls : EDGEFW_CLASS_NONE;
}

/* The packet's class in field dim. The ids differ by the field's place in
 * the chain: for the first field (cfg->dims[0]) the compiler stores chain
 * class ids (the class so far, an index into `classes`), so the chain
 * starts without a combining step; for every other field, the field's own
 * class ids (a column of the next stage's table or the second half of a
 * chain_tbl key). user/compiler/chain.c (remap_first) assigns them. */
static __always_inline __u32 dim_class(const struct classify_ctx *cc, __u8 dim)
{
	const struct pkt_info *pi = cc->pi;
	__u32 v;

	switch (dim) {
	case EDGEFW_DIM_SRC:
		return addr_class(cc, false);
	case EDGEFW_DIM_DST:
		return addr_class(cc, true);
	case EDGEFW_DIM_PROTO:
		return leaf_class(cc->gen,
				  EDGEFW_LEAF_PROTO_OFF +
					  (((__u32)(pi->ct_state & 3) << 8) + pi->l4proto) *
						  EDGEFW_FRAG_STATES +
					  pi->frag);
	case EDGEFW_DIM_SPORT:
		v = pi->sport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->sport;
		return leaf_class(cc->gen, EDGEFW_LEAF_SPORT_OFF + v);
	case EDGEFW_DIM_DPORT:
		v = pi->dport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->dport;
		return leaf_class(cc->gen, EDGEFW_LEAF_DPORT_OFF + v);
	case EDGEFW_DIM_FLAGS:
		v = pi->flags > EDGEFW_NO_FLAGS ? EDGEFW_NO_FLAGS : pi->flags;
		return leaf_class(cc->gen, EDGEFW_LEAF_FLAGS_OFF + v);
	case EDGEFW_DIM_VLAN:
		v = pi->vlan > EDGEFW_UNTAGGED ? EDGEFW_UNTAGGED : pi->vlan;
		return leaf_class(cc->gen, EDGEFW_LEAF_VLAN_OFF + v);
	case EDGEFW_DIM_CTX:
		return ctx_class(cc);
	case EDGEFW_DIM_COND:
		return leaf_class(cc->gen,
				  EDGEFW_LEAF_COND_OFF + (cc->conds & (EDGEFW_LEAF_COND_LEN - 1)));
	default:
		return EDGEFW_CLASS_NONE;
	}
}

/* The chain's last class for the packet (its verdict names the first
 * matching rule of the chain), or NULL; also NULL as soon as the class so
 * far can match no rule below best (a rule the trees found): a class
 * without a match keeps its lowest possible rule in verdict.rule
 * (edgefw.h), so the rest of the walk is skipped for one read. */
static __always_inline struct edgefw_class_info *chain_class(const struct classify_ctx *cc,
							     const struct edgefw_gen_config *cfg,
							     void *classes, __u32 best)
{
	struct edgefw_class_info *info;
	__u32 cur;

	cur = cfg->n_dims ? dim_class(cc, cfg->dims[0]) : cfg->root_class;
	for (int i = 1; i < EDGEFW_DIM_COUNT; i++) {
		const struct edgefw_gen_stage *st = &cfg->stages[(i - 1) & 7];
		__u32 next, *found;

		if (i + (cc->conds >> 8) >= cfg->n_dims || cur == EDGEFW_CLASS_NONE)
			break;
		if (best != EDGEFW_RULE_NONE && class_rule(classes, cc->gen, cur) >= best)
			return NULL;
		next = dim_class(cc, cfg->dims[i]);
		if (next == EDGEFW_CLASS_NONE)
			return NULL;
		if (st->width) {
			__u32 idx = cur * st->width + st->off + next;

			/* A cell of the hot window (edgefw.h, EDGEFW_HOT_SLOTS)
			 * or of `cells`: the index says which (edgefw_gen_stage). */
			cur = EDGEFW_BELOW_BITS(idx, EDGEFW_HOT_SLOTS_BITS)
				      ? edgefw_hot_slot(cc->gen, idx)
				      : cell(cc->cells, idx);
			continue;
		}
		{
			struct edgefw_chain_key k = {
				.cur = cur | (cc->gen ? EDGEFW_CHAIN_GEN_BIT : 0),
				.next = next,
			};

			found = bpf_map_lookup_elem(&chain_tbl, &k);
		}
		if (found) {
			cur = *found;
			continue;
		}
		cur = class_miss(classes, cc->gen, cur);
	}
	if (cur == EDGEFW_CLASS_NONE)
		return NULL;
	info = class_at(classes, cc->gen, cur);
	if (!info || !(info->verdict.flags & EDGEFW_VERDICT_F_MATCH))
		return NULL;
	return info;
}

/* A rule a tree found below the chain's, by its index. */
static __always_inline struct edgefw_verdict *rule_verdict(__u32 gen, __u32 rule)
{
	__u32 key;

	if (rule >= EDGEFW_MAX_RULES)
		return NULL;
	key = EDGEFW_RULE_KEY(gen, rule);
	return bpf_map_lookup_elem(&rule_tbl, &key);
}

/* The trees' part of classifying, inlined into the chain's global
 * function (kern/dynset.h, edgefw_classify_conds) ahead of the chain, so
 * that a packet of a ruleset with trees makes one call, not two. how: the
 * generation (bit 0) and the hook (bits 8-15). Returns the lowest rule
 * below best the family's trees hold for the packet, else best. */
static __always_inline __u32 tree_lowest(const struct pkt_info *pi,
					 const struct edgefw_gen_config *cfg, __u32 how, __u32 best)
{
	void *cells, *nodes, *leaves;
	struct tree_key *k;
	__u32 gen = how & 1, zero = 0;

	/* A lone forest that holds no rule for the packet by its level-1
	 * cell alone: nothing else read (tree_probe_empty). */
	if (tree_probe_empty(pi, &cfg->trees[pi->family == 6][0], gen))
		return best;
	/* IPv4 forests only: their walks without the tree key's fill. (The
	 * IPv6 analogue, tree_forest6, is called beside this function, by
	 * classify_first: its frame on this one's would pass 512 bytes.) */
	if (tree_forests4_only(pi, cfg))
		return tree_forests(pi, cfg, how, best);
	/* The key first: its pairs must not be a previous packet's. */
	k = bpf_map_lookup_elem(&tree_scratch, &zero);
	if (!k)
		return best;
	tree_key_fill(k, pi, (how >> 8) & 0xff);
	cells = bpf_map_lookup_elem(&cells_tbl, &gen);
	nodes = bpf_map_lookup_elem(&tnode_tbl, &gen);
	leaves = bpf_map_lookup_elem(&tleaf_tbl, &gen);
	if (!cells || !nodes || !leaves)
		return best;
	return tree_classify(cfg, gen, cells, nodes, leaves, k, pi->family == 6, best);
}

/* Returns the verdict of the first matching rule, or NULL when no rule
 * matches (the caller applies the default): the lowest of tree_rule (what
 * the decision trees found, walked by the caller) and the chain's rule.
 * The chain is skipped when the trees found a rule below its lowest. */
static __always_inline struct edgefw_verdict *classify(const struct pkt_info *pi,
						       const struct edgefw_gen_config *cfg,
						       __u32 gen, __u32 ifindex, __u32 hook,
						       __u32 conds, __u32 tree_rule)
{
	struct classify_ctx cc = {
		.pi = pi, .cfg = cfg, .gen = gen, .ifindex = ifindex, .hook = hook, .conds = conds
	};
	struct edgefw_class_info *info = NULL;
	__u32 chain_rule, zero = 0;
	void *classes;

	cc.cells = bpf_map_lookup_elem(&cells_tbl, &gen);
	classes = bpf_map_lookup_elem(&class_tbl, &gen);
	if (cfg->paired)
		cc.tk = bpf_map_lookup_elem(&tree_scratch, &zero);
	if (!cc.cells || !classes)
		return NULL;
	if (tree_rule > cfg->chain_min_rule)
		info = chain_class(&cc, cfg, classes, tree_rule);
	chain_rule = info ? info->verdict.rule : EDGEFW_RULE_NONE;
	if (chain_rule <= tree_rule)
		return info ? &info->verdict : NULL;
	return rule_verdict(gen, tree_rule);
}

#endif /* EDGEFW_CLASSIFIER_H */
