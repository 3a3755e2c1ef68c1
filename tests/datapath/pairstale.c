// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The chain's class from a pair (kern/tree_walk.h: the forest's walk
 * leaves the chain's class of the shared trie in the per-CPU tree key,
 * tree_pairs_fill walks the trie for a forest that was skipped) must be
 * the packet's own, never the previous packet's. The ruleset: a chain
 * rule by destination (it names an interface, so it stays in the chain),
 * a source forest whose rule comes before the destination forest's, and
 * the destination forest (walked after the source forest, paired with
 * the chain's destination field). Packets alternate: A, destination in
 * the chain rule's prefix, no source rule (the destination forest is
 * walked: the key holds A's class); B, destination outside it, source in
 * the source forest's rule (the destination forest is skipped, its lowest
 * rule past B's best, and the chain runs: with A's class left in the key,
 * the chain rule would win B). Every hook, against the reference matcher.
 */
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "xorshift.h"

#define PS_PACKETS 2000

static const char ps_yaml[] =
	"version: 1\nrules:\n"
	"  - {name: c, interfaces: [" DP_IFNAME "], dst: 10.1.0.0/16, proto: udp, action: drop}\n"
	"  - {name: s, src: 192.0.2.0/24, proto: udp, dport: 53, action: pass}\n"
	"  - {name: d, dst: 10.2.0.0/16, proto: tcp, dport: 80, action: drop}\n";

static void ps_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	uint64_t *rng = ctx;
	uint32_t r = (uint32_t)xorshift_next(rng);

	memset(s, 0, sizeof(*s));
	s->family = 4;
	s->l4proto = 17;
	s->sport = 1234;
	s->dport = 53;
	if (i % 2 == 0) { /* A: 198.51.100.z to 10.1.x.y */
		memcpy(s->saddr, (uint8_t[]){ 198, 51, 100, (uint8_t)(r >> 16) }, 4);
		memcpy(s->daddr, (uint8_t[]){ 10, 1, (uint8_t)r, (uint8_t)(r >> 8) }, 4);
	} else { /* B: 192.0.2.z to 10.3.x.y (no rule's destination) */
		memcpy(s->saddr, (uint8_t[]){ 192, 0, 2, (uint8_t)(r >> 16) }, 4);
		memcpy(s->daddr, (uint8_t[]){ 10, 3, (uint8_t)r, (uint8_t)(r >> 8) }, 4);
	}
}

void dp_test_pair_stale(struct dp *dp)
{
	struct diff_opts o = { .label = "stale pairs", .per_packet_winner = true };
	uint64_t rng = xorshift_seed(0x9a12);
	const struct ef_tree_info *src = NULL, *dst = NULL;
	int ret;

	dp->opts.prefer_trees = true;
	ret = dp_load_yaml(dp, ps_yaml);
	tap(ret == 0, "stale pairs: the ruleset loads");
	if (ret) {
		dp->opts.prefer_trees = false;
		return;
	}
	for (unsigned t = 0; t < dp->c.n_trees; t++) {
		const struct ef_tree_info *ti = &dp->c.trees[t];

		if (ti->trie_word == EDGEFW_TK_SRC)
			src = ti;
		else if (ti->trie_word == EDGEFW_TK_DST)
			dst = ti;
	}
	/* The shape the test needs, else it could not fail. */
	tap(dp->c.n_trees == 2 && src && dst && dst->paired && dst == &dp->c.trees[1] &&
		    dp->c.chain_min_rule < src->min_rule && src->min_rule < dst->min_rule,
	    "stale pairs: a source forest, then a paired destination forest, the chain's "
	    "lowest rule first (%u trees, chain lowest %u)",
	    dp->c.n_trees, dp->c.chain_min_rule);
	diff_run_tap(dp, PS_PACKETS, ps_next, &rng, &o, "stale pairs: alternating packets");
	dp->opts.prefer_trees = false;
}
