// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * treecost: what the datapath reads per packet for a ClassBench set, counted
 * from the compiled tables by walking them the way kern/classifier.h and
 * kern/tree_walk.h do (IPv4 only, the sets' family).
 *
 *   treecost FILE [-n N] [--trees] [--no-bound]
 *
 * Converts FILE as the benchmark does (tests/bench/classbench_bench.c: every
 * line a drop rule, the catch-all left out), compiles it, and for N packets
 * aimed at rules of the second half that this half wins ("late") and N
 * random TCP/UDP packets no rule matches ("miss") prints the mean number of
 * dependent array reads per packet by kind: trie levels, pair cells, tree
 * node steps, leaf entries, chain field lookups, chain stages (dense cells
 * or hash probes), class reads; and how many trees and chains were walked.
 * A read is one cache line at most (a leaf entry may straddle two).
 * --trees compiles with every rule a tree can hold in the trees
 * (ef_compile_opts.prefer_trees), to compare with the compiler's choice;
 * --no-bound counts the chain's walk as it was before it stopped at the
 * trees' rule (kern/classifier.h, chain_class).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr4.h"
#include "classbench.h"
#include "classify.h"
#include "ruleset.h"
#include "tree.h"
#include "xorshift.h"

enum kind {
	K_TRIE,
	K_PAIR,
	K_NODE,
	K_LEAF,
	K_FIELD,
	K_DENSE,
	K_HASH,
	K_CLASS,
	K_TREES,
	K_CHAINS,
	K_COUNT
};
static const char *const kind_name[K_COUNT] = { "trie",  "pair", "node",  "leaf",  "field",
						"dense", "hash", "class", "trees", "chains" };

struct cost {
	double v[K_COUNT];
};

static uint32_t trie_get(const struct ef_compiled *c, size_t l1, uint32_t a, struct cost *k)
{
	size_t idx = l1 + (a >> 16);
	uint32_t v = c->cells[idx];

	k->v[K_TRIE]++;
	/* rem: the bits still to read, 4 per chunk, 8 per wide one. */
	for (unsigned rem = 16; rem && (v & EDGEFW_SKIP) == EDGEFW_A4_CHUNK;) {
		unsigned w = v & EDGEFW_A4_WIDE ? 8 : 4;

		rem -= w;
		idx = (v & EDGEFW_A4_INDEX) + ((a >> rem) & ((1u << w) - 1));
		v = c->cells[idx];
		k->v[K_TRIE]++;
	}
	/* A lone prefix folded into the cell's upper half: no further line. */
	v = ef_trie4_lone(c, idx, a);
	if ((v & EDGEFW_SKIP) == EDGEFW_SKIP) {
		/* A skip node (any trie: the chain's, a forest's, a shared one): one line. */
		size_t node = v & EDGEFW_SKIP_INDEX;
		uint32_t len = c->cells[node + EDGEFW_SKIP_HDR] & 0xff;
		uint32_t mask = len ? 0xffffffffu << (32 - len) : 0;

		k->v[K_TRIE]++;
		v = c->cells[node + ((a ^ c->cells[node + EDGEFW_SKIP_ADDR]) & mask
					     ? EDGEFW_SKIP_MISS
					     : EDGEFW_SKIP_HIT)];
	}
	if (v & EDGEFW_A4_CHUNK)
		return EDGEFW_CLASS_NONE;
	v &= EDGEFW_A4_VALUE;
	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}

static bool entry_holds(const struct edgefw_tleaf *e, const uint32_t *key)
{
	static const uint8_t words[6] = { EDGEFW_TK_SRC,   EDGEFW_TK_DST,   EDGEFW_TK_SPORT,
					  EDGEFW_TK_DPORT, EDGEFW_TK_PROTO, EDGEFW_TK_VLAN };

	for (int w = 0; w < 6; w++)
		if (key[words[w]] - e->c[w].lo > e->c[w].span)
			return false;
	return (EDGEFW_NO_FLAGS & e->flags_mask) == e->flags_value || !e->flags_mask;
}

static uint32_t scan(const struct ef_compiled *c, uint32_t start, uint32_t n, const uint32_t *key,
		     uint32_t best, struct cost *k)
{
	for (uint32_t i = 0; i < n && i < EDGEFW_LEAF_SCAN; i++) {
		const struct edgefw_tleaf *e = &c->tleaves[start + i];

		k->v[K_LEAF]++;
		if (e->rule >= best)
			break;
		if (entry_holds(e, key))
			return e->rule;
	}
	return best;
}

/* A pair[] slot: no forest walked its trie yet (the chain walks it), or
 * one did and no prefix held the address; else the pair's cell. */
#define PAIR_UNWALKED UINT32_MAX
#define PAIR_NO_PREFIX (UINT32_MAX - 1)

/* One tree, as tree_classify walks it; pair[] as the key keeps it. */
static uint32_t tree(const struct ef_compiled *c, const struct ef_tree_info *t, const uint32_t *key,
		     uint32_t best, uint32_t *pair, struct cost *k)
{
	uint32_t idx = t->root;

	if (t->min_rule >= best)
		return best;
	k->v[K_TREES]++;
	if (t->trie_word != EF_TREE_NO_TRIE) {
		idx = trie_get(c, t->root, key[t->trie_word & 15], k);
		if (t->paired) {
			/* No prefix holds the address: walked, nothing to
			 * read (the kernel keeps EDGEFW_A4_NONE). */
			pair[t->trie_word == EDGEFW_TK_DST] =
				idx == EDGEFW_CLASS_NONE ? PAIR_NO_PREFIX : idx;
			if (idx == EDGEFW_CLASS_NONE)
				return best;
			k->v[K_PAIR]++;
			idx = ef_pair_subtree(c, idx);
		}
		if (idx == EDGEFW_CLASS_NONE)
			return best;
		if (idx & EDGEFW_FOREST_LEAF)
			return scan(c, idx & EDGEFW_FOREST_START,
				    idx >> EDGEFW_FOREST_COUNT_SHIFT & EDGEFW_FOREST_COUNT, key,
				    best, k);
	}
	for (int step = 0; step < EDGEFW_TREE_STEPS; step++) {
		const struct edgefw_tnode *n = &c->tnodes[idx];
		uint32_t b0, b1, b2;

		k->v[K_NODE]++;
		if (n->ctl & EDGEFW_TNODE_LEAF)
			return scan(c, n->base, n->ctl & EDGEFW_TNODE_COUNT, key, best, k);
		b0 = key[n->ctl & 15] >= n->thr[0];
		b1 = key[n->ctl >> 4 & 15] >= n->thr[1];
		b2 = key[n->ctl >> 8 & 15] >= n->thr[2];
		idx = n->base + 2 * b0 + (b0 ? b2 : b1);
	}
	return best;
}

/* The chain's class of the packet in field dim (its first field: a chain
 * class id), as kern/classifier.h reads it. */
static uint32_t field(const struct ef_compiled *c, unsigned dim, const uint32_t *key,
		      const uint32_t *pair, struct cost *k)
{
	unsigned f = dim == EDGEFW_DIM_DST;
	uint32_t v;

	switch (dim) {
	case EDGEFW_DIM_SRC:
	case EDGEFW_DIM_DST:
		break;
	case EDGEFW_DIM_PROTO:
		k->v[K_FIELD]++;
		return c->leaf[EDGEFW_LEAF_PROTO_OFF + key[EDGEFW_TK_PROTO]];
	case EDGEFW_DIM_SPORT:
		k->v[K_FIELD]++;
		return c->leaf[EDGEFW_LEAF_SPORT_OFF + key[EDGEFW_TK_SPORT]];
	case EDGEFW_DIM_DPORT:
		k->v[K_FIELD]++;
		return c->leaf[EDGEFW_LEAF_DPORT_OFF + key[EDGEFW_TK_DPORT]];
	default:
		fprintf(stderr,
			"treecost: the chain uses field %u, which this tool does not follow\n",
			dim);
		exit(2);
	}
	if (!c->pair_l1[f])
		return trie_get(c, (size_t)f * EDGEFW_A4_L1_SIZE, key[f ? EDGEFW_TK_DST : 0], k);
	/* The pair's lower half: read with its upper half by the forest's
	 * walk, or by tree_pairs_fill's for a forest skipped (kern/tree_walk.h),
	 * never by the chain. */
	if (pair[f] == PAIR_NO_PREFIX)
		return EDGEFW_CLASS_NONE;
	if (pair[f] != PAIR_UNWALKED)
		v = pair[f];
	else if ((v = trie_get(c, c->pair_l1[f], key[f ? EDGEFW_TK_DST : 0], k)) !=
		 EDGEFW_CLASS_NONE)
		k->v[K_PAIR]++;
	return v == EDGEFW_CLASS_NONE ? v : ef_pair_class(c, v);
}

/* The chain's reads: a field each, a stage each after the first, the class,
 * stopping where kern/classifier.h stops (no class, or a class whose lowest
 * rule is not below the trees' best, read before each next field). */
static bool no_bound; /* --no-bound: the walk before the lowest-rule bound */

static void chain(const struct ef_compiled *c, const uint32_t *key, const uint32_t *pair,
		  uint32_t best, struct cost *k)
{
	uint32_t cur = c->n_dims ? field(c, c->dims[0], key, pair, k) : c->root_class;

	k->v[K_CHAINS]++;
	for (unsigned i = 1; i < c->n_dims && cur != EDGEFW_CLASS_NONE; i++) {
		if (best != EDGEFW_RULE_NONE && !no_bound) { /* the lowest-rule bound */
			k->v[K_CLASS]++;
			if (c->classes[cur].min_rule >= best)
				return;
		}
		const struct edgefw_stage *st = &c->stages[i];
		uint32_t next = field(c, c->dims[i], key, pair, k);
		bool found = false;

		if (next == EDGEFW_CLASS_NONE)
			return;
		k->v[st->width ? K_DENSE : K_HASH]++;
		if (st->width) {
			cur = c->cells[st->base + (cur - st->row0) * st->width + next];
			continue;
		}
		for (size_t j = 0; j < c->n_chain && !found; j++)
			if (c->chain[j].key.cur == cur && c->chain[j].key.next == next) {
				cur = c->chain[j].next;
				found = true;
			}
		if (!found) {
			k->v[K_CLASS]++;
			cur = c->classes[cur].miss;
		}
	}
	if (cur != EDGEFW_CLASS_NONE)
		k->v[K_CLASS]++;
}

static void packet_cost(const struct ef_compiled *c, const struct cb_packet *p, struct cost *k)
{
	uint32_t key[EDGEFW_TK_WORDS] = { 0 }, pair[2] = { PAIR_UNWALKED, PAIR_UNWALKED };
	uint32_t best = EDGEFW_RULE_NONE;

	key[EDGEFW_TK_SRC] = p->src;
	key[EDGEFW_TK_DST] = p->dst;
	key[EDGEFW_TK_SPORT] = cb_proto_has_ports(p->proto) ? p->sport : EDGEFW_NO_L4;
	key[EDGEFW_TK_DPORT] = cb_proto_has_ports(p->proto) ? p->dport : EDGEFW_NO_L4;
	key[EDGEFW_TK_PROTO] = (uint32_t)p->proto * EDGEFW_FRAG_STATES;
	key[EDGEFW_TK_VLAN] = EDGEFW_UNTAGGED;
	for (unsigned t = 0; t < c->n_trees; t++)
		if (c->trees[t].family == EF_AF_INET)
			best = tree(c, &c->trees[t], key, best, pair, k);
	if (best > c->chain_min_rule)
		chain(c, key, pair, best, k);
}

static void report(const char *what, const struct cost *sum, size_t n)
{
	double total = 0;

	printf("%-5s %5zu packets:", what, n);
	for (int i = 0; i < K_COUNT; i++) {
		printf(" %s %.2f", kind_name[i], n ? sum->v[i] / (double)n : 0);
		if (i < K_TREES)
			total += sum->v[i];
	}
	printf(" | reads %.2f\n", n ? total / (double)n : 0);
}

static int compile(const struct cb_set *set, const struct cb_yaml_opts *yo, bool trees,
		   struct ef_compiled *c)
{
	struct ef_compile_opts o = { .prefer_trees = trees };
	struct cb_yaml_stats st;
	struct ef_ruleset rs = { 0 };
	struct ef_diag d = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret = -ENOMEM;

	if (!f)
		return ret;
	ret = cb_write_yaml(f, set, yo, &st);
	if (fclose(f) || ret)
		goto out;
	ret = ef_ruleset_parse("set", buf, len, &rs, &d);
	if (!ret)
		ret = ef_compile_with(&rs, NULL, 0, &o, c, &d);
	for (size_t i = 0; ret && i < d.n; i++)
		fprintf(stderr, "treecost: %s\n", d.v[i].msg);
	ef_ruleset_free(&rs);
out:
	ef_diag_free(&d);
	free(buf);
	return ret;
}

static void describe(const struct ef_compiled *c)
{
	printf("chain: %zu rules, %u fields (", c->n_chain_rules, c->n_dims);
	for (unsigned i = 0; i < c->n_dims; i++)
		printf("%s%u", i ? " " : "", c->dims[i]);
	printf("), lowest rule %u, %zu hashed pairs; cells %zu\n", c->chain_min_rule, c->n_hashed,
	       c->n_cells);
	for (unsigned t = 0; t < c->n_trees; t++) {
		const struct ef_tree_info *i = &c->trees[t];
		printf("tree %u: %s, %zu rules, lowest %u, depth %u, steps %u, max leaf %zu\n", t,
		       i->trie_word == EF_TREE_NO_TRIE ? "plain"
		       : i->trie_word < EDGEFW_TK_DST  ? "src forest"
						       : "dst forest",
		       i->rules, i->min_rule, i->depth, i->steps, i->max_leaf);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: treecost FILE [-n N] [--trees] [--no-bound]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	bool trees = false;
	struct cb_yaml_opts yo;
	struct cb_set set = { 0 };
	struct ef_compiled c = { 0 };
	struct cost late = { 0 }, miss = { 0 };
	size_t want = 2048, n_late = 0, n_miss = 0;
	uint64_t rnd = xorshift_seed(0x1a7e);
	char err[512];

	if (argc < 2)
		usage();
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			want = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--trees")) {
			trees = true;
		} else if (!strcmp(argv[i], "--no-bound")) {
			no_bound = true;
		} else {
			usage();
		}
	}
	if (!want)
		usage();
	if (cb_load(argv[1], &set, err, sizeof(err))) {
		fprintf(stderr, "treecost: %s\n", err);
		return 1;
	}
	cb_yaml_opts_init(&yo);
	yo.skip_catch_all = true;
	if (compile(&set, &yo, trees, &c)) {
		cb_set_free(&set);
		return 2;
	}
	describe(&c);
	for (size_t tries = 0; n_late < want && tries < 200 * want; tries++) {
		size_t i = set.n / 2 + xorshift_below(&rnd, set.n - set.n / 2);
		struct cb_packet p;

		if (!cb_rule_kept(&set, i, &yo))
			continue;
		cb_aim(&set.v[i], &rnd, &p);
		if (cb_match(&set, 0, set.n, &yo, &p) >= (long)(set.n / 2)) {
			packet_cost(&c, &p, &late);
			n_late++;
		}
	}
	/* Some sets cover every address: give up when nothing misses. */
	for (size_t tries = 0; n_miss < want && tries < 200 * want && (n_miss || tries < want);
	     tries++) {
		uint64_t x = xorshift_next(&rnd);
		struct cb_packet p = { .src = (uint32_t)x,
				       .dst = (uint32_t)(x >> 32),
				       .proto = x & 1 ? 6 : 17 };

		x = xorshift_next(&rnd);
		p.sport = (uint16_t)x;
		p.dport = (uint16_t)(x >> 16);
		if (cb_match(&set, 0, set.n, &yo, &p) < 0) {
			packet_cost(&c, &p, &miss);
			n_miss++;
		}
	}
	report("late", &late, n_late);
	report("miss", &miss, n_miss);
	ef_compiled_free(&c);
	cb_set_free(&set);
	return 0;
}
