// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "capacity.h"

#include "classify.h"
#include "edgefw.h"
#include "l1.h"
#include "ruleset.h"

/* Floors: a round of the cells map, small tables elsewhere. */
#define SMALL_FLOOR 1024u
#define ROUND_CELLS 4096u
#define ROUND_SMALL 1024u
/* Rule slots: 64 per step, so a 10-rule ruleset locks a few KiB per
 * per-rule table, and adding a rule rarely grows them. */
#define RULES_FLOOR 64u
#define ROUND_RULES 64u

static __u32 room(size_t need, __u32 floor, __u32 round, __u32 max)
{
	size_t want = need + need / 8;

	want = (want + round - 1) / round * round;
	if (want < floor)
		want = floor;
	return want > max ? max : (__u32)want;
}

/* Cells count in the compiler's numbering, whose first EDGEFW_L1_CELLS
 * (the level-1 tables) are global data, not in the cells map: headroom
 * and growth apply to the map's part only, else a 10-rule ruleset's map
 * would get an eighth of 2 MiB it never holds, and double it on growth. */
static size_t cells_map_part(size_t cells)
{
	return cells > EDGEFW_L1_CELLS ? cells - EDGEFW_L1_CELLS : 0;
}

static __u32 ct_for(bool tracks, __u32 ct_size)
{
	if (!tracks || ct_size < EDGEFW_CT_MIN)
		return EDGEFW_CT_MIN;
	return ct_size > EDGEFW_CT_MAX ? EDGEFW_CT_MAX : ct_size;
}

void ef_capacity_for(const struct ef_needs *n, __u32 ct_size, struct ef_capacity *out)
{
	out->cells = EDGEFW_L1_CELLS + room(cells_map_part(n->cells), ROUND_CELLS, ROUND_CELLS,
					    EDGEFW_CELLS_MAX - EDGEFW_L1_CELLS);
	out->classes = room(n->classes, SMALL_FLOOR, ROUND_SMALL, EDGEFW_MAX_CLASSES);
	out->tnodes = room(n->tnodes, SMALL_FLOOR, ROUND_SMALL, EDGEFW_TNODES_MAX);
	out->tleaves = room(n->tleaves, SMALL_FLOOR, ROUND_SMALL, EDGEFW_TLEAVES_MAX);
	out->chain = room(n->chain, SMALL_FLOOR, ROUND_SMALL, EDGEFW_CHAIN_MAX);
	out->host6 = room(n->host6, SMALL_FLOOR, ROUND_SMALL, EDGEFW_HOST6_MAX);
	out->ct = ct_for(n->tracks, ct_size);
	out->limit_slots = n->limits ? EDGEFW_LIMIT_SLOTS : EF_LIMIT_IDLE_SLOTS;
	out->rules = room(n->rules, RULES_FLOOR, ROUND_RULES, EDGEFW_MAX_RULES);
}

static __u32 grown(__u32 have, size_t need, __u32 fresh, __u32 max)
{
	__u64 twice = 2ull * have;

	if (need <= have)
		return have;
	if (twice > max)
		twice = max;
	return fresh > twice ? fresh : (__u32)twice;
}

void ef_capacity_grow(const struct ef_capacity *have, const struct ef_needs *n, __u32 ct_size,
		      struct ef_capacity *out)
{
	struct ef_capacity fresh;

	ef_capacity_for(n, ct_size, &fresh);
	out->cells = EDGEFW_L1_CELLS +
		     grown((__u32)cells_map_part(have->cells), cells_map_part(n->cells),
			   (__u32)cells_map_part(fresh.cells), EDGEFW_CELLS_MAX - EDGEFW_L1_CELLS);
	out->classes = grown(have->classes, n->classes, fresh.classes, EDGEFW_MAX_CLASSES);
	out->tnodes = grown(have->tnodes, n->tnodes, fresh.tnodes, EDGEFW_TNODES_MAX);
	out->tleaves = grown(have->tleaves, n->tleaves, fresh.tleaves, EDGEFW_TLEAVES_MAX);
	out->chain = grown(have->chain, n->chain, fresh.chain, EDGEFW_CHAIN_MAX);
	out->host6 = grown(have->host6, n->host6, fresh.host6, EDGEFW_HOST6_MAX);
	out->rules = grown(have->rules, n->rules, fresh.rules, EDGEFW_MAX_RULES);
	out->ct = have->ct;
	if (n->tracks && have->ct <= EDGEFW_CT_MIN && fresh.ct > have->ct)
		out->ct = fresh.ct;
	/* Buckets outlive rulesets, like flows: never back to idle. */
	out->limit_slots =
		have->limit_slots > fresh.limit_slots ? have->limit_slots : fresh.limit_slots;
}

/* Per rule slot, one CPU's share of the per-CPU tables: rule_tbl's and
 * rule_meta's two entries, log_state's, rule_carry's, and a counter in
 * rule_stats and limit_stats (per CPU: counted once here, as the other
 * estimates do not know the machine either). */
#define RULE_SLOT_BYTES                                                                           \
	(EDGEFW_GENERATIONS * (sizeof(struct edgefw_verdict) + sizeof(struct edgefw_rule_meta)) + \
	 sizeof(struct edgefw_log_state) + sizeof(struct edgefw_rule_carry) +                     \
	 2 * sizeof(struct edgefw_counter))

size_t ef_capacity_bytes(const struct ef_capacity *c)
{
	/* Array elements round up to 8 bytes; a hash map without
	 * preallocation locks its buckets (16 bytes, a power of two of
	 * them) up front; an LRU hash preallocates every element (~128 B
	 * for an IPv6 flow, ~96 B for an IPv4 one: each family has ct). */
	size_t bytes = cells_map_part(c->cells) * 8 +
		       (size_t)c->classes * sizeof(struct edgefw_class_info) +
		       (size_t)c->tnodes * sizeof(struct edgefw_tnode) +
		       (size_t)c->tleaves * sizeof(struct edgefw_tleaf);
	size_t buckets = 1;

	while (buckets < 2ull * c->chain)
		buckets *= 2;
	bytes += buckets * 16;
	for (buckets = 1; buckets < 2ull * c->host6; buckets *= 2)
		;
	bytes += buckets * 16;
	bytes += (size_t)c->limit_slots * sizeof(struct edgefw_limit_bucket);
	bytes += (size_t)c->rules * RULE_SLOT_BYTES;
	return bytes + (size_t)c->ct * (128 + 96) * 5 / 4;
}

bool ef_capacity_fits(const struct ef_capacity *have, const struct ef_needs *n, __u32 ct_size)
{
	struct ef_capacity next;

	ef_capacity_grow(have, n, ct_size, &next);
	return next.cells == have->cells && next.classes == have->classes &&
	       next.tnodes == have->tnodes && next.tleaves == have->tleaves &&
	       next.chain == have->chain && next.host6 == have->host6 && next.ct == have->ct &&
	       next.limit_slots == have->limit_slots && next.rules == have->rules;
}

void ef_needs_of(const struct ef_ruleset *rs, const struct ef_compiled *c, struct ef_needs *n)
{
	/* The level-1 cells with an upper half take a copy each (l1.h). */
	*n = (struct ef_needs){ .cells = c->n_cells + ef_l1_extra(c),
				.classes = c->n_classes,
				.tnodes = c->n_tnodes,
				.tleaves = c->n_tleaves,
				.chain = c->n_hashed,
				.rules = rs->n_rules,
				.tracks = ef_ruleset_ct_mode(rs) != 0 };
	for (size_t i = 0; i < rs->n_rules; i++)
		n->limits |= rs->rules[i].limit.on;
	/* The hashed lengths past /48 go to host6_tbl (the array trie answers
	 * down to /48 and for the prefixes behind skip nodes; addr6_hash.c). */
	for (int f = 0; f < EF_FIELD_COUNT; f++)
		for (size_t i = 0; i < c->lpm[f][EF_FAM_V6].n; i++)
			n->host6 += c->lpm[f][EF_FAM_V6].v[i].home == EF_HOME_HASH;
}
