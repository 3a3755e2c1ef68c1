// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The compiler's entry point: which structure holds which rules.
 *
 * The chain (classes.c, chain.c) is the fastest structure: one lookup per
 * field whatever the number of rules. It is tried first with every rule,
 * under a soft budget (time, memory for its sets of rules, pairs, cells).
 * Blocklists, service rules and most hand-written rulesets fit with room to
 * spare. When the budget is reached, the rules fields multiply in, every
 * rule a decision tree can express goes to the trees (tree.c), and the
 * chain is built again with the others only, under the hard limits. A
 * rule a tree cannot separate from its neighbours goes back to the chain.
 * The compiler refuses only at a hard limit, naming the rules it applies
 * to; it never drops a rule.
 */
#include "classify.h"

#include "addr4.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_internal.h"
#include "tree.h"

/* The chain's budgets, in words of work (about 4 ns each here), bytes of
 * sets of rules, pairs and cells. The soft one keeps the chain for what it
 * builds in about a tenth of a second (blocklists of 100k prefixes with 10k
 * service rules stay well inside it), so that a ruleset it does not fit
 * reaches the trees early; the hard one keeps any input within 1 GiB and
 * about 10 s of compiling. */
#define SOFT_WORK (32ull << 20)
#define SOFT_SET_BYTES (32u << 20)
#define SOFT_PAIRS (1u << 20)
#define SOFT_CELLS (1u << 23)
#define HARD_WORK (2048ull << 20)
#define HARD_SET_BYTES (384u << 20)

static const struct cl_budget soft_budget = {
	.max_set_bytes = SOFT_SET_BYTES,
	.max_work = SOFT_WORK,
	.max_pairs = SOFT_PAIRS,
	.max_cells = SOFT_CELLS,
};
static const struct cl_budget hard_budget = {
	.max_set_bytes = HARD_SET_BYTES,
	.max_work = HARD_WORK,
	.max_pairs = EF_MAX_CHAIN_ENTRIES,
	.max_cells = EDGEFW_CELLS_MAX,
};

/* What the trees may take, all of them per generation. */
#define TREE_NODES_MAX (1u << 20)
#define TREE_LEAF_ELEMS_MAX (1u << 21)
#define TREE_WORK_MAX (1ull << 31)
#define TREE_LEAF_SIZE 4
/* Cells the forests' wide chunks may take (ef_trie4_widen): 16 MiB per
 * generation in the kernel's 8-byte elements, whatever the ruleset. */
#define TRIE_WIDE_BUDGET ((size_t)1 << 21)

/* Forgets what the chain put in out (freeing it when owned), so it can be
 * built again. */
static void chain_clear(struct ef_compiled *c, bool owned)
{
	for (int f = 0; f < EF_FIELD_COUNT; f++)
		for (int fam = 0; fam < EF_FAM_COUNT; fam++) {
			if (owned)
				free(c->lpm[f][fam].v);
			c->lpm[f][fam].v = NULL;
			c->lpm[f][fam].n = 0;
		}
	if (owned) {
		free(c->leaf);
		free(c->ctx);
		free(c->cells);
		free(c->cells_hi);
		free(c->chain);
		free(c->classes);
	}
	c->leaf = NULL;
	c->ctx = NULL;
	c->cells = NULL;
	c->cells_hi = NULL;
	c->chain = NULL;
	c->classes = NULL;
	c->n_ctx = c->n_cells = c->n_cells_hi = c->n_chain = c->n_classes = c->n_hashed = 0;
	c->n_dims = 0;
	c->held_lo = c->held_hi = 0;
	c->root_class = EDGEFW_CLASS_NONE;
	memset(c->dims, 0, sizeof(c->dims));
	memset(c->stages, 0, sizeof(c->stages));
	memset(c->stage_rows, 0, sizeof(c->stage_rows));
	memset(c->n_leaf_classes, 0, sizeof(c->n_leaf_classes));
	memset(c->hash6_len, 0, sizeof(c->hash6_len));
}

static void chain_reset(struct ef_compiled *c)
{
	chain_clear(c, true);
}

/* What chain_build builds the chain over: rules ids (n of them, in order),
 * for the interfaces ifnames. */
struct chain_input {
	const struct ef_ruleset *rs;
	const uint32_t *ids;
	size_t n;
	const char *const *ifnames;
	size_t n_ifnames;
};

/* The chain in field order `order` (NULL: the default), putting the order
 * cl_pick_order chooses in pick when not NULL. */
static int chain_build_order(const struct chain_input *in, const uint8_t *order, uint8_t *pick,
			     struct cl_budget *budget, struct ef_compiled *out, struct ef_diag *d)
{
	struct compiler cp = { .rs = in->rs,
			       .rule_ids = in->ids,
			       .n_rules = in->n,
			       .out = out,
			       .d = d,
			       .budget = budget,
			       .ifnames = in->ifnames,
			       .n_ifnames = in->n_ifnames,
			       .order = order,
			       .pick = pick };
	const size_t n = in->n;
	int ret;

	cp.words = n ? (n + 63) / 64 : 1;
	out->leaf = calloc(EDGEFW_LEAF_SIZE, sizeof(*out->leaf));
	if (!out->leaf)
		return -ENOMEM;
	ret = cl_build_leaf_classes(&cp);
	if (!ret)
		ret = cl_build_chain(&cp);
	if (!ret)
		ret = ef_build_addr4(out, in->rs->path, d);
	if (!ret)
		ret = cl_build_dense(&cp);
	for (unsigned dim = 0; dim < EDGEFW_DIM_COUNT; dim++) {
		cl_pool_free(&cp.leaf[dim]);
		free(cp.unconstrained[dim]);
	}
	return ret;
}

/* How much larger than the default order's tables the chosen order's may
 * be: a quarter more cells and hashed pairs, plus 64k cells (256 KiB) and
 * 1,024 pairs, so that a small chain may grow a stage. */
static bool order_fits(const struct ef_compiled *chosen, const struct ef_compiled *dflt)
{
	return chosen->n_cells <= dflt->n_cells + dflt->n_cells / 4 + 65536 &&
	       chosen->n_hashed <= dflt->n_hashed + dflt->n_hashed / 4 + 1024;
}

/* The chain in the default field order, then, when cl_pick_order chooses
 * another, in that one under a fresh copy of the same budget; the chosen
 * order is kept unless it does not build or its tables exceed the
 * default's by more than order_fits allows. */
static int chain_build(const struct chain_input *in, struct cl_budget *budget,
		       struct ef_compiled *out, struct ef_diag *d)
{
	uint8_t pick[EDGEFW_DIM_COUNT];
	struct cl_budget b = *budget;
	struct ef_diag quiet = { 0 }; /* the default's build reported */
	struct ef_compiled dflt;
	int ret;

	ret = chain_build_order(in, NULL, pick, budget, out, d);
	if (ret || !memcmp(pick, out->dims, out->n_dims))
		return ret;
	dflt = *out;
	chain_clear(out, false); /* dflt owns the default's tables */
	ret = chain_build_order(in, pick, NULL, &b, out, &quiet);
	ef_diag_free(&quiet);
	if (ret || !order_fits(out, &dflt)) {
		chain_reset(out);
		*out = dflt;
		return 0;
	}
	chain_clear(&dflt, true);
	return 0;
}

/* Rules moving to the trees, their boxes per family, and why the others
 * stay in the chain. */
struct split_plan {
	struct ef_box *boxes[EF_FAM_COUNT];
	size_t n_boxes[EF_FAM_COUNT], cap[EF_FAM_COUNT];
	const char **why; /* per rule: why it stays in the chain, or NULL */
	uint32_t *chain_ids;
	size_t n_chain;
	bool wide_to_chain; /* rules no forest takes go to the chain */
};

static const uint8_t families[EF_FAM_COUNT] = { EF_AF_INET, EF_AF_INET6 };

/* Where a box goes (box_part, below). */
enum {
	PART_SRC,
	PART_DST,
	PART_WIDE,
	PART_COUNT
};

static unsigned box_part(const struct ef_box *b, uint8_t family);

static int plan_add(struct split_plan *p, int f, const struct ef_box *v, size_t n)
{
	size_t need = p->n_boxes[f] + n;

	if (!n)
		return 0;
	if (need > p->cap[f]) {
		size_t ncap = p->cap[f] ? p->cap[f] * 2 : 1024;
		struct ef_box *nv;

		while (ncap < need)
			ncap *= 2;
		nv = realloc(p->boxes[f], ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->boxes[f] = nv;
		p->cap[f] = ncap;
	}
	memcpy(&p->boxes[f][p->n_boxes[f]], v, n * sizeof(*v));
	p->n_boxes[f] += n;
	return 0;
}

/* Whether every IPv4 box of the rule is wide in both addresses: no forest
 * would take it, and a plain tree of such rules is deep. */
static bool all_wide(const struct ef_box *v, int n)
{
	for (int i = 0; i < n; i++)
		if (box_part(&v[i], EF_AF_INET) != PART_WIDE)
			return false;
	return n > 0;
}

/* The boxes of rule r in both families into the plan, or why not. */
static int plan_rule(const struct ef_rule *rule, uint32_t r, struct split_plan *p)
{
	struct ef_box tmp[EF_FAM_COUNT][EF_TREE_MAX_RULE_BOXES];
	int n[EF_FAM_COUNT], ret = 0;

	for (int f = 0; f < EF_FAM_COUNT; f++) {
		n[f] = ef_rule_boxes(rule, r, families[f], tmp[f], EF_TREE_MAX_RULE_BOXES,
				     &p->why[r]);
		if (n[f] == -E2BIG)
			p->why[r] = "more than 16 combinations of values";
		if (n[f] < 0)
			return 0;
	}
	if (!n[0] && !n[1])
		p->why[r] = "matches no packet";
	else if (p->wide_to_chain && all_wide(tmp[0], n[0]))
		p->why[r] = "wide addresses";
	for (int f = 0; f < EF_FAM_COUNT && !ret && !p->why[r]; f++)
		ret = plan_add(p, f, tmp[f], (size_t)n[f]);
	return ret;
}

static int plan(const struct ef_ruleset *rs, struct split_plan *p)
{
	int ret = 0;

	p->n_chain = p->n_boxes[0] = p->n_boxes[1] = 0;
	for (size_t r = 0; r < rs->n_rules && !ret; r++) {
		p->why[r] = NULL;
		ret = plan_rule(&rs->rules[r], (uint32_t)r, p);
		if (!ret && p->why[r])
			p->chain_ids[p->n_chain++] = (uint32_t)r;
	}
	return ret;
}

static void plan_free(struct split_plan *p)
{
	for (int f = 0; f < EF_FAM_COUNT; f++)
		free(p->boxes[f]);
	free(p->why);
	free(p->chain_ids);
	memset(p, 0, sizeof(*p));
}

static void trees_reset(struct ef_compiled *c)
{
	for (unsigned t = 0; t < c->n_trees; t++)
		free(c->trees[t].prefixes.v);
	free(c->tnodes);
	free(c->tleaves);
	c->tnodes = NULL;
	c->tleaves = NULL;
	c->n_tnodes = c->n_tleaves = 0;
	c->n_trees = 0;
}

/* Where a box goes. A box whose source is a prefix of /16 or longer (in
 * its first word for IPv6: an IPv6 /16 or longer) goes to the source
 * forest, else one whose destination is to the destination forest
 * (tree_forest.c): an address trie does their first levels. The rest go
 * to a plain tree per family, as do IPv6 boxes narrow but not a prefix in
 * that word (none today: IPv6 lists are not negated in trees). A box wide
 * in a field would be copied into every leaf a split on that field makes,
 * so each tree splits on the field its boxes are narrow in (CutSplit's
 * idea). */
#define NARROW_SPAN (1u << 16)

static unsigned box_part(const struct ef_box *b, uint8_t family)
{
	if (ef_forest_box(b, EDGEFW_TK_SRC))
		return PART_SRC;
	if (ef_forest_box(b, EDGEFW_TK_DST))
		return PART_DST;
	if (family == EF_AF_INET)
		return PART_WIDE;
	if (b->hi[EDGEFW_TK_SRC] - b->lo[EDGEFW_TK_SRC] < NARROW_SPAN)
		return PART_SRC;
	if (b->hi[EDGEFW_TK_DST] - b->lo[EDGEFW_TK_DST] < NARROW_SPAN)
		return PART_DST;
	return PART_WIDE;
}

/* A forest where it fits, else a plain tree (nested prefixes can copy a
 * busy prefix's boxes into too many subtrees). */
static int part_build(const struct ef_box *v, size_t n, uint8_t family, unsigned part,
		      const struct ef_tree_limits *lim, struct ef_compiled *out, const char **hit,
		      uint8_t *spill)
{
	size_t nodes = out->n_tnodes, elems = out->n_tleaves;
	unsigned word = part == PART_SRC ? EDGEFW_TK_SRC : EDGEFW_TK_DST;
	bool fits = family == EF_AF_INET;
	int ret;

	if (part == PART_WIDE)
		return ef_tree_build(v, n, family, lim, out, hit, spill);
	if (family != EF_AF_INET) {
		ret = ef_v6_forest_word(v, n, &word, &fits);
		if (ret)
			return ret;
	}
	if (!fits)
		return ef_tree_build(v, n, family, lim, out, hit, spill);
	ret = ef_forest_build(v, n, family, word, lim, out, hit, spill);
	if (ret != -E2BIG)
		return ret;
	out->n_tnodes = nodes; /* what the forest wrote goes */
	out->n_tleaves = elems;
	return ef_tree_build(v, n, family, lim, out, hit, spill);
}

/* Trees over the plan's boxes: per family, one per part that has boxes. */
static int trees_build(const struct split_plan *p, unsigned leaf_size, struct ef_compiled *out,
		       const char **hit, uint8_t *spill)
{
	struct ef_tree_limits lim = { .leaf_size = leaf_size,
				      .max_nodes = TREE_NODES_MAX,
				      .max_leaf_elems = TREE_LEAF_ELEMS_MAX,
				      .max_work = TREE_WORK_MAX };
	struct ef_box *part = NULL;
	int ret = 0;

	for (int f = 0; f < EF_FAM_COUNT && !ret; f++) {
		free(part);
		part = malloc((p->n_boxes[f] + 1) * sizeof(*part));
		if (!part)
			return -ENOMEM;
		for (unsigned k = 0; k < PART_COUNT && !ret; k++) {
			size_t n = 0;

			for (size_t i = 0; i < p->n_boxes[f]; i++)
				if (box_part(&p->boxes[f][i], families[f]) == k)
					part[n++] = p->boxes[f][i];
			if (n)
				ret = part_build(part, n, families[f], k, &lim, out, hit, spill);
		}
	}
	free(part);
	return ret;
}

/* The forests' tries, after the chain's cells. The first IPv4 forest over
 * an address shares its trie with the chain (addr4_pair.c): a packet walks
 * it once for both. An IPv6 forest's trie is over the word
 * ef_v6_forest_word picks, which the chain's IPv6 tries do not index alike:
 * it has its own. */
static int forest_tries(const struct ef_ruleset *rs, struct ef_compiled *out, struct ef_diag *d)
{
	size_t wide_budget = TRIE_WIDE_BUDGET;
	int ret = 0;

	for (unsigned t = 0; t < out->n_trees && !ret; t++) {
		struct ef_tree_info *info = &out->trees[t];
		uint8_t field = info->trie_word == EDGEFW_TK_DST;

		if (info->trie_word == EF_TREE_NO_TRIE)
			continue;
		if (out->pair_l1[field] || info->family != EF_AF_INET) {
			ret = ef_trie4_append(out, &info->prefixes, &info->root, rs->path, d);
			continue;
		}
		ret = ef_trie4_pair(out, field, &info->prefixes, &info->root, rs->path, d);
		if (!ret) {
			info->paired = true;
			out->pair_l1[field] = info->root;
		}
	}
	/* Then their wide chunks, once every trie has its cells. */
	for (unsigned t = 0; t < out->n_trees && !ret; t++)
		if (out->trees[t].trie_word != EF_TREE_NO_TRIE)
			ret = ef_trie4_widen(out, out->trees[t].root, &wide_budget);
	/* The pairs' upper halves were pushed after the chain's: ef_cell_hi
	 * searches them sorted, whatever order the tables were built in. */
	if (!ret)
		ef_cells_hi_sort(out);
	return ret;
}

/* The error for a chain that even its hard limits cannot hold, naming the
 * first rules it held and why no tree took them. */
static void chain_refused(const struct ef_ruleset *rs, const struct split_plan *p, const char *hit,
			  struct ef_diag *d)
{
	char names[512];
	size_t used = 0;

	names[0] = '\0';
	for (size_t i = 0; i < p->n_chain && i < 4 && used < sizeof(names); i++) {
		const struct ef_rule *r = &rs->rules[p->chain_ids[i]];

		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s'%s' (line %u: %s)",
					 i ? ", " : "", r->name, r->line, p->why[p->chain_ids[i]]);
	}
	ef_err(d, rs->path, 0, 0,
	       "the %zu rules decision trees cannot hold combine into more %s than the chain's limit, e.g. %s%s; group their values into sets, or write them without interface patterns",
	       p->n_chain, hit, names, p->n_chain > 4 ? ", ..." : "");
}

/* Trees for every rule the plan does not give the chain. Rules whose boxes
 * a tree cannot tell apart within a leaf's scan join the chain as well: a
 * rule held by both is reported by whichever finds it, with the same
 * index, so the lowest still wins. */
static int trees_for(const struct ef_ruleset *rs, const struct ef_compile_opts *opts,
		     uint8_t *spill, struct split_plan *p, struct ef_compiled *out,
		     struct ef_diag *d)
{
	const char *hit = NULL;
	int ret;

	memset(spill, 0, rs->n_rules + 1);
	ret = plan(rs, p);
	if (!ret)
		ret = trees_build(p, opts->leaf_size ? opts->leaf_size : TREE_LEAF_SIZE, out, &hit,
				  spill);
	if (ret == -E2BIG) {
		ef_err(d, rs->path, 0, 0,
		       "the %zu rules given to decision trees need more %s than their limit; split the ruleset by hook or interface, or group values into sets",
		       rs->n_rules - p->n_chain, hit);
		return ret;
	}
	p->n_chain = 0;
	for (size_t r = 0; !ret && r < rs->n_rules; r++) {
		if (spill[r] && !p->why[r])
			p->why[r] = "overlaps too many others in a tree";
		if (p->why[r])
			p->chain_ids[p->n_chain++] = (uint32_t)r;
	}
	return ret;
}

/* Trees for what they can hold, the chain for the rest: first with the
 * rules no forest takes in the chain under its soft budget, else with
 * those in plain trees and the chain under its hard limits. */
static int split_build(const struct ef_ruleset *rs, const char *const *ifnames, size_t n_ifnames,
		       const struct ef_compile_opts *opts, struct ef_compiled *out,
		       struct ef_diag *d)
{
	struct split_plan p = { 0 };
	uint8_t *spill = calloc(rs->n_rules + 1, 1);
	int ret = -ENOMEM;

	p.why = calloc(rs->n_rules + 1, sizeof(*p.why));
	p.chain_ids = calloc(rs->n_rules + 1, sizeof(*p.chain_ids));
	if (!spill || !p.why || !p.chain_ids)
		goto out;
	for (int attempt = opts->prefer_trees; attempt < 2; attempt++) {
		struct cl_budget b = attempt ? hard_budget : soft_budget;

		p.wide_to_chain = !attempt;
		ret = trees_for(rs, opts, spill, &p, out, d);
		if (!ret) {
			struct chain_input in = { rs, p.chain_ids, p.n_chain, ifnames, n_ifnames };

			ret = chain_build(&in, &b, out, d);
		}
		if (ret != -E2BIG || !b.hit || attempt) {
			if (ret == -E2BIG && b.hit)
				chain_refused(rs, &p, b.hit, d);
			break;
		}
		chain_reset(out);
		trees_reset(out);
	}
	if (!ret)
		ret = forest_tries(rs, out, d);
	if (ret)
		goto out;
	out->n_chain_rules = p.n_chain;
	out->n_tree_rules = rs->n_rules - p.n_chain;
	out->chain_min_rule = p.n_chain ? p.chain_ids[0] : EDGEFW_RULE_NONE;
	for (size_t r = 0; r < rs->n_rules; r++)
		out->held[r] = p.why[r] ? EF_HELD_CHAIN : EF_HELD_TREES;
out:
	plan_free(&p);
	free(spill);
	return ret;
}

static uint32_t *all_rules(size_t n)
{
	uint32_t *ids = malloc((n ? n : 1) * sizeof(*ids));

	for (size_t i = 0; ids && i < n; i++)
		ids[i] = (uint32_t)i;
	return ids;
}

int ef_compile_with(const struct ef_ruleset *rs, const char *const *ifnames, size_t n_ifnames,
		    const struct ef_compile_opts *opts, struct ef_compiled *out, struct ef_diag *d)
{
	static const struct ef_compile_opts defaults;
	struct cl_budget soft = soft_budget;
	uint32_t *ids = all_rules(rs->n_rules);
	int ret = -ENOMEM;

	if (!opts)
		opts = &defaults;
	memset(out, 0, sizeof(*out));
	out->root_class = EDGEFW_CLASS_NONE;
	out->n_rules = rs->n_rules;
	out->held = calloc(rs->n_rules + 1, sizeof(*out->held));
	if (!ids || !out->held)
		goto out;
	if (!opts->prefer_trees) {
		struct chain_input in = { rs, ids, rs->n_rules, ifnames, n_ifnames };

		ret = chain_build(&in, &soft, out, d);
		if (!ret) {
			out->n_chain_rules = rs->n_rules;
			out->chain_min_rule = rs->n_rules ? 0 : EDGEFW_RULE_NONE;
			goto out;
		}
		if (ret != -E2BIG || !soft.hit)
			goto out;
		out->chain_limit = soft.hit;
		chain_reset(out);
	} else {
		out->chain_limit = "trees preferred";
	}
	ret = split_build(rs, ifnames, n_ifnames, opts, out, d);
out:
	free(ids);
	if (ret == -ENOMEM)
		ef_err(d, rs->path, 0, 0, "out of memory while compiling the rules");
	if (ret)
		ef_compiled_free(out);
	return ret;
}

int ef_compile(const struct ef_ruleset *rs, const char *const *ifnames, size_t n_ifnames,
	       struct ef_compiled *out, struct ef_diag *d)
{
	return ef_compile_with(rs, ifnames, n_ifnames, NULL, out, d);
}

void ef_compiled_free(struct ef_compiled *c)
{
	chain_reset(c);
	trees_reset(c);
	free(c->held);
	memset(c, 0, sizeof(*c));
}

size_t ef_compiled_memory(const struct ef_compiled *c)
{
	/* An estimate from the kernel's node layouts: an LPM trie node and a
	 * hash element each carry about 48 bytes besides key and value. */
	size_t bytes = 0;

	for (int f = 0; f < EF_FIELD_COUNT; f++)
		bytes += c->lpm[f][EF_FAM_V6].n * (48 + sizeof(struct edgefw_lpm6_key) + 4);
	/* Array elements take 8 bytes each; the level-1 tables are a
	 * generation's row of 32-bit global data (edgefw.h, EDGEFW_L1_CELLS). */
	bytes += (c->n_cells > EDGEFW_L1_CELLS ? c->n_cells - EDGEFW_L1_CELLS : 0) * 8;
	bytes += (size_t)EDGEFW_L1_CELLS * 4;
	bytes += (size_t)EDGEFW_LEAF_SIZE * 4; /* one row of global data, dense */
	/* The hot window's row (edgefw.h, EDGEFW_HOT_SLOTS), fixed too. */
	bytes += (size_t)EDGEFW_HOT_SLOTS * 4 +
		 EDGEFW_HOT_CLASSES * sizeof(struct edgefw_class_info);
	bytes += c->n_ctx * (48 + sizeof(struct edgefw_ctx_key) + 4);
	bytes += c->n_hashed * (48 + sizeof(struct edgefw_chain_key) + 8);
	bytes += c->n_classes * sizeof(struct edgefw_class_info);
	bytes += (size_t)EDGEFW_MAX_RULES * 16; /* rule_tbl's verdicts */
	bytes += c->n_tnodes * sizeof(struct edgefw_tnode);
	bytes += c->n_tleaves * sizeof(struct edgefw_tleaf);
	return bytes;
}
