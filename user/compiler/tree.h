/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decision trees for the rules the chain cannot hold within its budget
 * (tree.c has the theory of operation). A rule becomes one or more boxes:
 * a range per key word (kern/edgefw.h, EDGEFW_TK_*), plus the TCP flags and
 * hooks it tests; a packet matches the rule when its key falls in one of
 * the boxes and those tests pass.
 */
#ifndef EDGEFW_TREE_H
#define EDGEFW_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

struct ef_box {
	uint32_t lo[EDGEFW_TK_DIMS], hi[EDGEFW_TK_DIMS];
	uint32_t rule;       /* index in the ruleset */
	uint16_t flags_mask; /* EDGEFW_TLEAF_FLAGS_SET | mask, or 0 */
	uint8_t flags_value;
	uint8_t hooks;
};

/* Boxes of one rule a tree holds at most: more (a rule listing many
 * prefixes, ports and protocols at once) stay in the chain, which takes
 * sets of values without multiplying them. */
#define EF_TREE_MAX_RULE_BOXES 16

/* The boxes of rule (index `index`) for packets of family (EF_AF_INET or
 * EF_AF_INET6), into out (room for max). Returns how many (0: the rule
 * matches no packet of the family), or -EOPNOTSUPP with *why set when a
 * tree cannot express the rule, or -E2BIG when it needs more than max. */
int ef_rule_boxes(const struct ef_rule *r, uint32_t index, uint8_t family, struct ef_box *out,
		  size_t max, const char **why);

/* What a tree may use; the builder stops at the first limit. */
struct ef_tree_limits {
	unsigned leaf_size;    /* split nodes holding more boxes than this */
	size_t max_nodes;      /* tnode elements, all trees */
	size_t max_leaf_elems; /* tleaf elements, all trees */
	uint64_t max_work;     /* boxes visited while choosing splits */
};

/* Builds a tree over boxes (n of them, in rule order) for packets of
 * family, appending its nodes and leaf elements to out's arrays and its
 * description to out->trees. Where more than EDGEFW_LEAF_SCAN boxes cannot
 * be told apart, the leaf keeps the first and spill[rule] is set for the
 * rules of the others: the chain must hold those too. Returns 0; -E2BIG
 * when a limit stops it, with *hit naming it; -ENOMEM. */
int ef_tree_build(const struct ef_box *boxes, size_t n, uint8_t family,
		  const struct ef_tree_limits *lim, struct ef_compiled *out, const char **hit,
		  uint8_t *spill);

/* The same for boxes all narrow in address word `word` (EDGEFW_TK_SRC or
 * EDGEFW_TK_DST, an IPv4 address or an IPv6 one's first 32 bits: a prefix
 * of /16 or longer there), as a forest (tree_forest.c): the trie that
 * leads to its subtrees is made later, once the cells it goes into are
 * known (ef_forest_tries). */
int ef_forest_build(const struct ef_box *boxes, size_t n, uint8_t family, unsigned word,
		    const struct ef_tree_limits *lim, struct ef_compiled *out, const char **hit,
		    uint8_t *spill);

/* How many of out's trees are for packets of family. */
unsigned ef_trees_of(const struct ef_compiled *out, uint8_t family);

/* The prefix length of box b's range in word, or -1 when it is none. */
int ef_box_prefix(const struct ef_box *b, unsigned word, uint8_t *len);

/* True when box b is a prefix of /16 or longer in key word `word`: a
 * forest over that word can hold it (forest_word.c). */
bool ef_forest_box(const struct ef_box *b, unsigned word);

/* Whether an IPv6 part of n boxes is worth a forest and over which word
 * of its address (*word: in, the address's first; out, the one chosen);
 * 0 or a negative errno. */
int ef_v6_forest_word(const struct ef_box *v, size_t n, unsigned *word, bool *fits);

/* The lowest rule below `best` whose boxes in tree t hold the packet's
 * key, else best: the datapath's walk (kern/tree_walk.h), in userspace. */
uint32_t ef_tree_lookup(const struct ef_compiled *c, unsigned t,
			const uint32_t key[EDGEFW_TK_WORDS], uint32_t flags, uint32_t hook,
			uint32_t best);

#endif
