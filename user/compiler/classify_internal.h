/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the pieces of the compiler share: sets of rules as bit arrays,
 * interned in pools; the budget a build runs under; and the compiler's
 * view of the ruleset, which may be a subset of its rules (the rules the
 * chain holds, when decision trees hold the others).
 *
 *   classes.c   per-field leaf classes (the values each field can take)
 *   chain.c     the chain that combines the fields, dense or hashed
 *   tree*.c     the decision trees for the rules the chain cannot hold
 *   classify.c  the entry point: which rules go where
 */
#ifndef EDGEFW_CLASSIFY_INTERNAL_H
#define EDGEFW_CLASSIFY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

typedef uint64_t word_t;

/* What a chain build may use. Soft budgets make the entry point move
 * rules to decision trees; hard ones are the documented limits. work
 * counts words hashed, compared and combined: it tracks time. */
struct cl_budget {
	size_t set_bytes, max_set_bytes; /* held by every set pool */
	uint64_t work, max_work;
	size_t max_pairs;
	size_t max_cells; /* trie and dense stage cells */
	const char *hit;  /* the limit that stopped the build, or NULL */
};

/* Interned sets of rules, all `words` wide. */
struct set_pool {
	size_t words;
	word_t *sets;
	size_t n, cap;
	uint32_t *index; /* open addressing, UINT32_MAX = empty */
	size_t index_cap;
	struct cl_budget *budget;
};

struct compiler {
	const struct ef_ruleset *rs;
	const uint32_t *rule_ids; /* the view: local index -> rs->rules index */
	size_t n_rules;
	struct ef_compiled *out;
	struct ef_diag *d;
	struct cl_budget *budget;
	size_t words; /* per rule set */
	struct set_pool leaf[EDGEFW_DIM_COUNT];
	word_t *unconstrained[EDGEFW_DIM_COUNT];
	size_t stage_end[EDGEFW_DIM_COUNT]; /* classes of stage i: up to this id */
	const char *const *ifnames;
	size_t n_ifnames;
	/* The chain's field order (out->n_dims of them, the fields the rules
	 * use), or NULL for cl_default_order's; and where to put the order
	 * cl_pick_order chooses, or NULL. */
	const uint8_t *order;
	uint8_t *pick;
};

static inline const struct ef_rule *cl_rule(const struct compiler *cp, size_t r)
{
	return &cp->rs->rules[cp->rule_ids[r]];
}

static inline void bit_set(word_t *s, size_t r)
{
	s[r / 64] |= 1ull << (r % 64);
}

static inline void bit_clear(word_t *s, size_t r)
{
	s[r / 64] &= ~(1ull << (r % 64));
}

static inline bool bit_test(const word_t *s, size_t r)
{
	return (s[r / 64] >> (r % 64)) & 1;
}

static inline bool set_empty(const word_t *s, size_t words)
{
	for (size_t w = 0; w < words; w++)
		if (s[w])
			return false;
	return true;
}

/* Index of the lowest rule in s, or -1. */
static inline long set_first(const word_t *s, size_t words)
{
	for (size_t w = 0; w < words; w++)
		if (s[w])
			return (long)(w * 64 + (size_t)__builtin_ctzll(s[w]));
	return -1;
}

/* The id of set s, adding it when new; *added (may be NULL) tells which.
 * -E2BIG when a limit of the pool's budget is reached (budget->hit says
 * which) or the pool holds EDGEFW_MAX_CLASSES sets. */
int cl_pool_intern(struct set_pool *p, const word_t *s, uint32_t *id, bool *added);
void cl_pool_free(struct set_pool *p);

static inline const word_t *pool_set(const struct set_pool *p, uint32_t id)
{
	return &p->sets[(size_t)id * p->words];
}

/* Charges work to the budget; false (with budget->hit set) once over. */
bool cl_charge(struct cl_budget *b, uint64_t words);

/* Whether rule r constrains field dim (enum edgefw_dim). */
bool cl_constrains(const struct ef_rule *r, unsigned dim);

/* Whether a rule's fragment condition (enum ef_frag_match) accepts
 * fragment state (0 none, 1 first, 2 later). */
bool cl_frag_allows(uint8_t want, unsigned state);

/* The chain's default field order: addresses first (they separate the
 * most), then the L4 fields, then the rarely used ones; the dynamic
 * conditions last. */
extern const uint8_t cl_default_order[EDGEFW_DIM_COUNT];

/* Chooses the chain's field order from the leaf classes (chain_order.c):
 * order gets out->n_dims fields, the dynamic conditions still last. */
int cl_pick_order(const struct compiler *cp, uint8_t *order);

/* Fills cp->out's leaf tables for every field some rule of the view
 * constrains and records them in out->dims, in cp->order (or the default
 * order); puts the order cl_pick_order chooses in cp->pick. */
int cl_build_leaf_classes(struct compiler *cp);

/* The chain over the leaf classes, then its dense stages (after the
 * address tries have taken their cells). */
int cl_build_chain(struct compiler *cp);
int cl_build_dense(struct compiler *cp);

#endif
