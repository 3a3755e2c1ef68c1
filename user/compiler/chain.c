// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The chain: the leaf classes of the fields the rules use, combined left
 * to right, (class so far, next field's class) -> class so far; the last
 * class names the first rule in all the sets.
 *
 * Why the chain stays small: a chain class is cut after the first rule that
 * no later field constrains (that rule matches whatever follows, so nothing
 * after it can win), and a pair (class, next) is stored only when the next
 * field changes the class, i.e. when one of the class's rules constrains
 * that field. Where that is not enough (rules that each pair a different
 * value of one field with a different value of another: 10,000 firewall
 * rules), the budget stops the build and the entry point gives those rules
 * to decision trees. See kern/DESIGN.md for the numbers.
 */
#include "classify_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- the chain --- */

struct chain {
	struct set_pool pool; /* word 0: stage; then the rule set */
	word_t **complete;    /* per stage: rules no later field constrains */
	word_t *tmp;
	uint32_t *frontier, *next_frontier;
	size_t n_frontier, n_next, frontier_cap;
	uint8_t *queued; /* per class: already in next_frontier */
	size_t queued_cap;
};

static int chain_grow_classes(struct ef_compiled *c, struct chain *ch)
{
	size_t need = ch->pool.n;

	if (need > ch->queued_cap) {
		size_t cap = ch->queued_cap ? ch->queued_cap * 2 : 1024;
		struct ef_class_entry *cl;
		uint8_t *q;
		uint32_t *f1, *f2;

		while (cap < need)
			cap *= 2;
		cl = realloc(c->classes, cap * sizeof(*cl));
		if (!cl)
			return -ENOMEM;
		c->classes = cl;
		q = realloc(ch->queued, cap);
		if (!q)
			return -ENOMEM;
		ch->queued = q;
		f1 = realloc(ch->frontier, cap * sizeof(*f1));
		if (!f1)
			return -ENOMEM;
		ch->frontier = f1;
		f2 = realloc(ch->next_frontier, cap * sizeof(*f2));
		if (!f2)
			return -ENOMEM;
		ch->next_frontier = f2;
		memset(ch->queued + ch->queued_cap, 0, cap - ch->queued_cap);
		ch->queued_cap = cap;
	}
	for (size_t i = c->n_classes; i < need; i++) {
		c->classes[i].miss = EDGEFW_CLASS_NONE;
		c->classes[i].rule = -1;
		c->classes[i].min_rule = EDGEFW_RULE_NONE;
	}
	c->n_classes = need;
	return 0;
}

/* Interns set s (words wide) as a class of stage, after cutting it after
 * its first rule that no later field constrains. NONE for an empty set. */
static int chain_intern(struct compiler *cp, struct chain *ch, unsigned stage, const word_t *s,
			uint32_t *id)
{
	const size_t words = cp->words;
	word_t *t = ch->tmp;
	long cut = -1;
	bool added;
	int ret;

	t[0] = stage;
	for (size_t w = 0; w < words; w++) {
		t[1 + w] = s[w];
		if (cut < 0 && (s[w] & ch->complete[stage][w]))
			cut = (long)(w * 64 +
				     (size_t)__builtin_ctzll(s[w] & ch->complete[stage][w]));
	}
	if (cut >= 0) {
		size_t w = (size_t)cut / 64;

		t[1 + w] &= (cut % 64 == 63) ? ~0ull : ((2ull << (cut % 64)) - 1);
		for (w++; w < words; w++)
			t[1 + w] = 0;
	}
	if (set_empty(t + 1, words)) {
		*id = EDGEFW_CLASS_NONE;
		return 0;
	}
	ret = cl_pool_intern(&ch->pool, t, id, &added);
	if (!ret && added)
		ret = chain_grow_classes(cp->out, ch);
	if (!ret && added) /* the bound an early exit compares (classifier.h) */
		cp->out->classes[*id].min_rule = cp->rule_ids[set_first(t + 1, words)];
	if (!ret && !ch->queued[*id]) {
		ch->queued[*id] = 1;
		ch->next_frontier[ch->n_next++] = *id;
	}
	return ret;
}

static int chain_add(struct compiler *cp, size_t *cap, uint32_t cur, uint32_t next_leaf,
		     uint32_t next)
{
	struct ef_compiled *c = cp->out;

	if (c->n_chain >= cp->budget->max_pairs) {
		cp->budget->hit = "field combinations";
		return -E2BIG;
	}
	if (c->n_chain == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct ef_chain_entry *v = realloc(c->chain, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->chain = v;
		*cap = ncap;
	}
	c->chain[c->n_chain].key.cur = cur;
	c->chain[c->n_chain].key.next = next_leaf;
	c->chain[c->n_chain].next = next;
	c->n_chain++;
	return 0;
}

/* Rewrites the first field's leaf tables from leaf ids to chain ids. */
static void remap_first(struct ef_compiled *c, unsigned dim, const uint32_t *map)
{
	uint32_t off = 0, len = 0;

	switch (dim) {
	case EDGEFW_DIM_SRC:
	case EDGEFW_DIM_DST:
		for (int fam = 0; fam < EF_FAM_COUNT; fam++) {
			struct ef_lpm_table *t = &c->lpm[dim == EDGEFW_DIM_DST][fam];

			for (size_t i = 0; i < t->n; i++)
				t->v[i].class_id = map[t->v[i].class_id];
		}
		return;
	case EDGEFW_DIM_CTX:
		for (size_t i = 0; i < c->n_ctx; i++)
			c->ctx[i].class_id = map[c->ctx[i].class_id];
		return;
	case EDGEFW_DIM_PROTO:
		off = EDGEFW_LEAF_PROTO_OFF;
		len = EDGEFW_LEAF_PROTO_LEN;
		break;
	case EDGEFW_DIM_SPORT:
		off = EDGEFW_LEAF_SPORT_OFF;
		len = EDGEFW_LEAF_PORT_LEN;
		break;
	case EDGEFW_DIM_DPORT:
		off = EDGEFW_LEAF_DPORT_OFF;
		len = EDGEFW_LEAF_PORT_LEN;
		break;
	case EDGEFW_DIM_FLAGS:
		off = EDGEFW_LEAF_FLAGS_OFF;
		len = EDGEFW_LEAF_FLAGS_LEN;
		break;
	case EDGEFW_DIM_VLAN:
		off = EDGEFW_LEAF_VLAN_OFF;
		len = EDGEFW_LEAF_VLAN_LEN;
		break;
	case EDGEFW_DIM_COND:
		off = EDGEFW_LEAF_COND_OFF;
		len = EDGEFW_LEAF_COND_LEN;
		break;
	}
	for (uint32_t i = off; i < off + len; i++)
		c->leaf[i] = map[c->leaf[i]];
}

/* rule -> the leaf classes of one field that hold it (rules that do not
 * constrain the field are left out): r's list is
 * list[start[r - 1] .. start[r]) (from 0 for r = 0). */
struct rule_leaves {
	size_t *start;
	uint32_t *list;
};

static void rule_leaves_free(struct rule_leaves *rl)
{
	free(rl->start);
	free(rl->list);
}

static int rule_leaves_build(const struct compiler *cp, const struct set_pool *leaf,
			     const word_t *anyd, struct rule_leaves *rl)
{
	const size_t words = cp->words, n_rules = cp->n_rules;
	size_t n_inv = 0;

	rl->list = NULL;
	rl->start = calloc(n_rules + 1, sizeof(*rl->start));
	if (!rl->start)
		return -ENOMEM;
	for (uint32_t k = 0; k < leaf->n; k++) {
		const word_t *y = pool_set(leaf, k);

		for (size_t w = 0; w < words; w++) {
			word_t b = y[w] & ~anyd[w];

			n_inv += (size_t)__builtin_popcountll(b);
			while (b) {
				rl->start[w * 64 + (size_t)__builtin_ctzll(b)]++;
				b &= b - 1;
			}
		}
	}
	rl->list = malloc((n_inv ? n_inv : 1) * sizeof(*rl->list));
	if (!rl->list)
		return -ENOMEM;
	for (size_t r = 0, sum = 0; r <= n_rules; r++) {
		size_t c = rl->start[r];

		rl->start[r] = sum;
		sum += c;
	}
	for (uint32_t k = 0; k < leaf->n; k++) {
		const word_t *y = pool_set(leaf, k);

		for (size_t w = 0; w < words; w++) {
			word_t b = y[w] & ~anyd[w];

			while (b) {
				size_t r = w * 64 + (size_t)__builtin_ctzll(b);

				rl->list[rl->start[r]++] = k;
				b &= b - 1;
			}
		}
	}
	return 0;
}

/* What one stage's walk shares between the classes of its frontier. */
struct stage_walk {
	unsigned stage;
	const struct set_pool *leaf;
	const word_t *anyd;
	struct rule_leaves rl;
	uint32_t *stamp; /* the last class that visited each leaf class */
	word_t *x, *s;
	size_t *chain_cap;
};

/* Class cur of the frontier: its miss, and a pair for every leaf class
 * that holds one of its rules constraining the field. */
static int stage_class(struct compiler *cp, struct chain *ch, struct stage_walk *sw, uint32_t cur)
{
	const size_t words = cp->words;
	word_t *x = sw->x, *s = sw->s;
	uint32_t miss;
	int ret;

	memcpy(x, pool_set(&ch->pool, cur) + 1, words * sizeof(*x));
	for (size_t w = 0; w < words; w++)
		s[w] = x[w] & sw->anyd[w];
	ret = chain_intern(cp, ch, sw->stage, s, &miss);
	if (ret)
		return ret;
	cp->out->classes[cur].miss = miss;

	for (size_t w = 0; w < words; w++) {
		word_t b = x[w] & ~sw->anyd[w];

		while (b) {
			size_t r = w * 64 + (size_t)__builtin_ctzll(b);
			size_t from = r ? sw->rl.start[r - 1] : 0;

			b &= b - 1;
			for (size_t j = from; j < sw->rl.start[r]; j++) {
				uint32_t k = sw->rl.list[j], next;
				const word_t *y = pool_set(sw->leaf, k);

				if (sw->stamp[k] == cur)
					continue;
				sw->stamp[k] = cur;
				if (!cl_charge(cp->budget, words))
					return -E2BIG;
				for (size_t v = 0; v < words; v++)
					s[v] = x[v] & y[v];
				ret = chain_intern(cp, ch, sw->stage, s, &next);
				if (!ret)
					ret = chain_add(cp, sw->chain_cap, cur, k, next);
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

/* For every class X reaching this stage and every leaf class Y of its
 * field: X & Y differs from X's miss (X & rules without the field) exactly
 * when Y holds one of X's rules that constrain the field, so only those Y
 * are visited, through the rule -> leaf classes index. */
static int chain_stage(struct compiler *cp, struct chain *ch, unsigned stage, size_t *chain_cap)
{
	const unsigned dim = cp->out->dims[stage];
	struct stage_walk sw = {
		.stage = stage,
		.leaf = &cp->leaf[dim],
		.anyd = cp->unconstrained[dim],
		.chain_cap = chain_cap,
	};
	int ret;

	ret = rule_leaves_build(cp, sw.leaf, sw.anyd, &sw.rl);
	sw.stamp = malloc((sw.leaf->n + 1) * sizeof(*sw.stamp));
	sw.x = malloc(cp->words * sizeof(*sw.x));
	sw.s = malloc(cp->words * sizeof(*sw.s));
	if (!ret && (!sw.stamp || !sw.x || !sw.s))
		ret = -ENOMEM;
	if (!ret)
		memset(sw.stamp, 0xff, (sw.leaf->n + 1) * sizeof(*sw.stamp));
	for (size_t fi = 0; fi < ch->n_frontier && !ret; fi++)
		ret = stage_class(cp, ch, &sw, ch->frontier[fi]);
	rule_leaves_free(&sw.rl);
	free(sw.stamp);
	free(sw.x);
	free(sw.s);
	return ret;
}

static void swap_frontier(struct chain *ch)
{
	uint32_t *t = ch->frontier;

	ch->frontier = ch->next_frontier;
	ch->n_frontier = ch->n_next;
	ch->next_frontier = t;
	ch->n_next = 0;
	for (size_t i = 0; i < ch->n_frontier; i++)
		ch->queued[ch->frontier[i]] = 0;
}

/* complete[i]: rules constraining none of the fields after stage i. */
static int complete_sets(const struct compiler *cp, struct chain *ch)
{
	const struct ef_compiled *c = cp->out;
	const size_t words = cp->words;
	const unsigned n = c->n_dims;

	ch->complete = calloc(n + 1, sizeof(*ch->complete));
	if (!ch->complete)
		return -ENOMEM;
	for (unsigned i = 0; i <= n; i++) {
		ch->complete[i] = calloc(words, sizeof(word_t));
		if (!ch->complete[i])
			return -ENOMEM;
		for (size_t r = 0; r < cp->n_rules; r++) {
			bool done = true;

			for (unsigned j = i + 1; j < n; j++)
				done &= !cl_constrains(cl_rule(cp, r), c->dims[j]);
			if (done)
				bit_set(ch->complete[i], r);
		}
	}
	return 0;
}

/* No field is used: one class, every rule matches every packet. */
static int chain_no_field(struct compiler *cp, struct chain *ch)
{
	word_t *all = calloc(cp->words, sizeof(*all));
	int ret;

	if (!all)
		return -ENOMEM;
	for (size_t r = 0; r < cp->n_rules; r++)
		bit_set(all, r);
	ret = chain_intern(cp, ch, 0, all, &cp->out->root_class);
	free(all);
	if (!ret)
		swap_frontier(ch);
	return ret;
}

/* The first field's leaf classes become stage 0's classes; then each
 * next field is a stage. */
static int chain_stages(struct compiler *cp, struct chain *ch)
{
	struct ef_compiled *c = cp->out;
	const struct set_pool *first = &cp->leaf[c->dims[0]];
	uint32_t *map = malloc((first->n + 1) * sizeof(*map));
	size_t chain_cap = 0;
	int ret = 0;

	if (!map)
		return -ENOMEM;
	for (uint32_t k = 0; k < first->n && !ret; k++)
		ret = chain_intern(cp, ch, 0, pool_set(first, k), &map[k]);
	if (!ret) {
		remap_first(c, c->dims[0], map);
		swap_frontier(ch);
		cp->stage_end[0] = ch->pool.n;
	}
	for (unsigned i = 1; i < c->n_dims && !ret; i++) {
		size_t first_pair = c->n_chain;

		ret = chain_stage(cp, ch, i, &chain_cap);
		if (ret)
			break;
		for (size_t j = first_pair; j < c->n_chain; j++)
			c->chain[j].stage = (uint8_t)i;
		swap_frontier(ch);
		cp->stage_end[i] = ch->pool.n;
	}
	free(map);
	return ret;
}

int cl_build_chain(struct compiler *cp)
{
	struct ef_compiled *c = cp->out;
	const size_t words = cp->words;
	const unsigned n = c->n_dims;
	struct chain ch = { 0 };
	int ret;

	ch.pool.words = words + 1;
	ch.pool.budget = cp->budget;
	ch.tmp = malloc((words + 1) * sizeof(*ch.tmp));
	ret = ch.tmp ? complete_sets(cp, &ch) : -ENOMEM;
	if (!ret)
		ret = n ? chain_stages(cp, &ch) : chain_no_field(cp, &ch);
	if (!ret && n >= 2 && c->dims[n - 1] == EDGEFW_DIM_COND) {
		c->held_lo = n >= 3 ? (uint32_t)cp->stage_end[n - 3] : 0;
		c->held_hi = (uint32_t)cp->stage_end[n - 2];
	}
	/* The last stage's classes were cut to their first rule. */
	for (size_t i = 0; i < ch.n_frontier && !ret; i++) {
		uint32_t id = ch.frontier[i];
		long first = set_first(pool_set(&ch.pool, id) + 1, words);

		c->classes[id].rule = (int32_t)cp->rule_ids[first];
	}
	if (ch.complete)
		for (unsigned i = 0; i <= n; i++)
			free(ch.complete[i]);
	free(ch.complete);
	free(ch.tmp);
	free(ch.frontier);
	free(ch.next_frontier);
	free(ch.queued);
	cl_pool_free(&ch.pool);
	return ret;
}

/* A stage's pairs as a dense table (rows: the previous stage's classes,
 * columns: the field's leaf classes, cells: the next class, the row's miss
 * where no pair is listed) when it fits; array lookups cost 1.5 ns where a
 * hash lookup costs 26. Stages that do not fit stay in the hash. */
#define DENSE_STAGE_MAX (1u << 22)

int cl_build_dense(struct compiler *cp)
{
	struct ef_compiled *c = cp->out;
	size_t cap = c->n_cells;

	for (unsigned i = 1; i < c->n_dims; i++) {
		size_t row0, rows, width, need;
		struct edgefw_stage *st = &c->stages[i];

		row0 = i == 1 ? 0 : cp->stage_end[i - 2];
		rows = cp->stage_end[i - 1] - row0;
		width = cp->leaf[c->dims[i]].n;
		need = rows * width;
		if (!rows || !width || need > DENSE_STAGE_MAX ||
		    c->n_cells + need > cp->budget->max_cells)
			continue;
		if (c->n_cells + need > cap) {
			size_t ncap = c->n_cells + need;
			uint32_t *v = realloc(c->cells, ncap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->cells = v;
			cap = ncap;
		}
		st->base = (uint32_t)c->n_cells;
		st->row0 = (uint32_t)row0;
		st->width = (uint32_t)width;
		c->stage_rows[i] = (uint32_t)rows;
		for (size_t r = 0; r < rows; r++)
			for (size_t k = 0; k < width; k++)
				c->cells[st->base + r * width + k] = c->classes[row0 + r].miss;
		for (size_t j = 0; j < c->n_chain; j++) {
			const struct ef_chain_entry *e = &c->chain[j];

			if (e->stage == i)
				c->cells[st->base + (e->key.cur - row0) * width + e->key.next] =
					e->next;
		}
		c->n_cells += need;
	}
	c->n_hashed = 0;
	for (size_t j = 0; j < c->n_chain; j++)
		c->n_hashed += !c->stages[c->chain[j].stage].width;
	if (c->n_hashed > EDGEFW_CHAIN_MAX) {
		cp->budget->hit = "hashed field combinations";
		return -E2BIG;
	}
	return 0;
}
