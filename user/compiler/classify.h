/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The compiled form of a ruleset: the exact contents of the BPF tables, with
 * no BPF in sight, so it can be built and checked without root.
 *
 * Two structures hold the rules. The chain: each field (enum edgefw_dim)
 * maps a packet value to a leaf class, the set of rules that field allows
 * (addresses through multibit array tries, each cell carrying the class of
 * the addresses under it (addr4.c; IPv6 longer than /48 through a /128
 * hash and an LPM trie); the other fields through arrays indexed by
 * value), and the fields the rules use are
 * chained: the class so far and the next field's leaf class give the next
 * class so far, and the last class names the first rule in all the sets.
 * Decision trees hold the rules the chain cannot within its budget (tree.c).
 * A packet's rule is the lowest any structure reports. See kern/DESIGN.md.
 */
#ifndef EDGEFW_CLASSIFY_H
#define EDGEFW_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "edgefw.h"
#include "ruleset.h"

/* Upper bounds the compiler refuses to exceed (never truncates). */
#define EF_MAX_LPM_ENTRIES (1u << 20)
#define EF_MAX_CHAIN_ENTRIES (1u << 23) /* pairs before densifying */

enum ef_field {
	EF_FIELD_SRC = 0,
	EF_FIELD_DST,
	EF_FIELD_COUNT
};

enum ef_family_idx {
	EF_FAM_V4 = 0,
	EF_FAM_V6,
	EF_FAM_COUNT
};

/* Where the datapath finds an IPv6 entry (addr4.c decides): the array
 * trie (/48 and shorter), a skip node in it (a longer prefix alone on its
 * branch), host6_tbl or lpm6_tbl. IPv4 entries are always in the trie. */
enum ef_addr_home {
	EF_HOME_TRIE = 0,
	EF_HOME_SKIP,
	EF_HOME_HASH,
	EF_HOME_LPM,
};

struct ef_lpm_entry {
	struct ef_prefix prefix;
	uint8_t home;       /* enum ef_addr_home */
	uint8_t skip_level; /* EF_HOME_SKIP: the highest trie level only it lies under */
	uint32_t class_id;
};

struct ef_lpm_table {
	struct ef_lpm_entry *v;
	size_t n;
};

/* Context class of an interface name ("" for interfaces not named here)
 * on a hook. */
struct ef_ctx_entry {
	char ifname[EF_IFNAME_MAX];
	uint32_t hook;
	uint32_t class_id;
};

struct ef_chain_entry {
	struct edgefw_chain_key key; /* without the generation bit */
	uint32_t next;
	uint8_t stage; /* the chain stage the pair belongs to */
};

struct ef_class_entry {
	uint32_t miss;     /* EDGEFW_CLASS_NONE when nothing can match */
	int32_t rule;      /* winner of a last-field class, else -1 */
	uint32_t min_rule; /* the lowest rule the class can still match */
};

/* Which structure holds a rule. */
enum ef_held {
	EF_HELD_CHAIN = 0,
	EF_HELD_TREES,
};

/* One decision tree (tree.c) or forest (tree_forest.c): where it
 * starts, what it holds, its shape. */
#define EF_TREE_NO_TRIE EDGEFW_TREE_NO_TRIE

struct ef_tree_info {
	uint8_t family;                        /* EF_AF_INET or EF_AF_INET6 */
	uint8_t trie_word;                     /* a forest's address word, or EF_TREE_NO_TRIE */
	bool paired;                           /* its trie is the chain's (pair_l1) too */
	uint32_t root;                         /* a tree's tnode; a forest's trie level 1 cell */
	struct ef_lpm_table prefixes;          /* a forest's: prefix -> subtree tnode */
	uint32_t min_rule;                     /* its lowest rule */
	size_t rules, boxes;                   /* rules, and the boxes they make */
	unsigned depth;                        /* binary levels on the longest path */
	unsigned steps;                        /* node lookups a walk takes at most, leaf
			      * included (a forest's trie lookups apart) */
	size_t nodes;                          /* tnode elements */
	size_t leaves, leaf_entries, max_leaf; /* distinct leaves, their boxes */
	size_t bytes;                          /* of the datapath's arrays */
};

/* A cell's upper half (kern/edgefw.h, EDGEFW_CELL_SIZE). */
struct ef_cell_hi {
	uint32_t idx, hi;
};

struct ef_compiled {
	/* Leaf tables. For the first chained field they hold chain class
	 * ids, for the others that field's leaf class ids. */
	struct ef_lpm_table lpm[EF_FIELD_COUNT][EF_FAM_COUNT];
	uint32_t *leaf; /* EDGEFW_LEAF_SIZE entries */
	struct ef_ctx_entry *ctx;
	size_t n_ctx;
	/* The per-generation array: IPv4 tries (see addr4.c), then the dense
	 * chain stages. */
	uint32_t *cells;
	size_t n_cells;
	/* The cells with an upper half (a lone prefix, kern/edgefw.h,
	 * EDGEFW_LONE_*; a folded IPv6 skip node and its cells,
	 * EDGEFW_LONE6_*), by index; the loader writes both halves. */
	struct ef_cell_hi *cells_hi;
	size_t n_cells_hi;

	/* The chain. */
	uint8_t dims[EDGEFW_DIM_COUNT]; /* fields used, in chain order */
	uint8_t n_dims;
	uint32_t root_class;                          /* the class when n_dims is 0 */
	struct edgefw_stage stages[EDGEFW_DIM_COUNT]; /* [0] unused */
	/* A dense stage's rows (its table is rows * width cells from base);
	 * the loader moves tables into the hot window (user/loader/hot.c). */
	uint32_t stage_rows[EDGEFW_DIM_COUNT];
	struct ef_chain_entry *chain;
	size_t n_chain;
	struct ef_class_entry *classes; /* indexed by chain class id */
	size_t n_classes;
	size_t n_hashed; /* chain pairs of stages that are not dense */
	/* When the chain's last field is the dynamic conditions: the classes
	 * of the field before it, ids held_lo up to held_hi (else an empty
	 * range). Their first rule (min_rule) is the chain's rule for a packet
	 * all of whose conditions hold, which the datapath takes from them
	 * without the last stage (kern/edgefw.h, EDGEFW_DYN_HELD). */
	uint32_t held_lo, held_hi;

	size_t n_leaf_classes[EDGEFW_DIM_COUNT];

	/* Decision trees: nodes and leaf elements of all trees. */
	struct edgefw_tnode *tnodes;
	size_t n_tnodes;
	struct edgefw_tleaf *tleaves;
	size_t n_tleaves;
	struct ef_tree_info trees[EDGEFW_MAX_TREES];
	unsigned n_trees;
	/* IPv4 src, dst: level 1 of the trie the chain shares with a forest
	 * (addr4_pair.c, kern/edgefw.h), or 0: the chain's own at field *
	 * EDGEFW_A4_L1_SIZE. */
	uint32_t pair_l1[EF_FIELD_COUNT];
	/* IPv6 src, dst: the prefix lengths past /48 in host6_tbl, longest
	 * first (addr6_hash.c); the others past /48 are in lpm6_tbl. */
	uint8_t hash6_len[EF_FIELD_COUNT][EDGEFW_A6_HASH_LENS];

	/* Which structure holds each rule (enum ef_held), and why the chain
	 * does not hold them all (the budget it reached), or NULL. */
	uint8_t *held;
	size_t n_rules, n_chain_rules, n_tree_rules;
	uint32_t chain_min_rule; /* the chain's lowest rule, or EDGEFW_RULE_NONE */
	const char *chain_limit;
};

/* How ef_compile_with builds; zeros mean the defaults. */
struct ef_compile_opts {
	bool prefer_trees;  /* give trees every rule they can hold at once */
	unsigned leaf_size; /* boxes per tree leaf before splitting it */
};

/* Builds the tables for rs. ifnames (n_ifnames of them, may be 0) are the
 * interfaces the tables will be attached to, so that `interfaces` patterns
 * can be resolved; any other interface gets the class of rules without
 * `interfaces`. Returns 0, or a negative errno with the reason in d
 * (-E2BIG when a table would exceed its bound). */
int ef_compile(const struct ef_ruleset *rs, const char *const *ifnames, size_t n_ifnames,
	       struct ef_compiled *out, struct ef_diag *d);
int ef_compile_with(const struct ef_ruleset *rs, const char *const *ifnames, size_t n_ifnames,
		    const struct ef_compile_opts *opts, struct ef_compiled *out, struct ef_diag *d);
void ef_compiled_free(struct ef_compiled *c);

/* What the datapath would decide, from the compiled tables alone: a rule
 * index, or -1 when no rule matches. For tests and `explain`. */
struct ef_packet;
int ef_compiled_lookup(const struct ef_compiled *c, const struct ef_packet *p);

/* Bytes the kernel tables take, estimated from their entry counts. */
size_t ef_compiled_memory(const struct ef_compiled *c);

/* The trees' key for a packet (kern/tree_walk.h builds the same). */
void ef_tree_key(const struct ef_packet *p, uint32_t key[EDGEFW_TK_WORDS], uint32_t *flags);

const char *ef_dim_name(unsigned dim);

#endif
