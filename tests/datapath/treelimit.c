// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Limits over a chain whose rules interleave with paired forests. The
 * trees are walked once per packet, in the first round of dyn_decide
 * (kern/dynset.h); a round after a limit rule the packet is over passes
 * the trees' rule back in and reads the pairs the first round left in the
 * per-CPU key. A later round that forgot the trees' rule would let the
 * chain's rule e win where the forests' s or d does.
 *
 *   L  dst 10.1/16 udp, limit 2 per source (1/h: no refill in the test)
 *   s  src 192.0.2/24 udp dport 53      (a source forest)
 *   d  dst 10.1/16 udp dport 53         (a destination forest, paired)
 *   e  interface lo, dst 10.1/16 udp    (the chain: an interface pattern)
 *
 * XDP only: each run takes from the limits, which the model counts once
 * per packet.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"
#include "dynsets.h"
#include "matcher.h"
#include "xorshift.h"

#define TL_PACKETS 600

struct tl_model {
	unsigned used[256]; /* limit takes per source's last byte (two /24s) */
};

static bool tl_member(void *arg, int32_t set, uint8_t family, const uint8_t addr[16])
{
	(void)arg;
	(void)set;
	(void)family;
	(void)addr;
	return false;
}

/* Burst 2 per source, nothing refilled. */
static bool tl_take(void *arg, int32_t rule, const struct ef_packet *pkt)
{
	struct tl_model *m = arg;
	unsigned *u = &m->used[(pkt->saddr[0] == 192) * 128 + (pkt->saddr[3] & 127)];

	(void)rule;
	if (*u >= 2)
		return false;
	(*u)++;
	return true;
}

static const char tl_yaml[] =
	"version: 1\ndefaults: {xdp: drop}\nrules:\n"
	"  - {name: L, dst: 10.1.0.0/16, proto: udp, limit: {rate: 1/h, burst: 2, per: src}, action: drop}\n"
	"  - {name: s, src: 192.0.2.0/24, proto: udp, dport: 53, action: pass}\n"
	"  - {name: d, dst: 10.1.0.0/16, proto: udp, dport: 53, action: pass}\n"
	"  - {name: e, interfaces: [" DP_IFNAME "], dst: 10.1.0.0/16, proto: udp, action: drop}\n";

/* L and e in the chain, s and d in forests, one of them paired. */
static bool tl_shape(const struct ef_compiled *c)
{
	bool paired = false;

	for (unsigned t = 0; t < c->n_trees; t++)
		paired |= c->trees[t].paired;
	return paired && c->held[0] == EF_HELD_CHAIN && c->held[1] == EF_HELD_TREES &&
	       c->held[2] == EF_HELD_TREES && c->held[3] == EF_HELD_CHAIN;
}

static void tl_packet(uint64_t *rng, struct pkt_spec *s, struct ef_packet *pk)
{
	uint32_t r = (uint32_t)xorshift_next(rng);
	uint8_t src[4] = { 198, 51, 100, (uint8_t)(r >> 8 & 31) };
	uint8_t dst[4] = { 10, (r & 4) ? 3 : 1, (uint8_t)(r >> 16), 7 };

	if (r & 2)
		src[0] = 192, src[1] = 0, src[2] = 2;
	*s = (struct pkt_spec){ .family = 4,
				.l4proto = IPPROTO_UDP,
				.sport = 5000,
				.dport = (uint16_t)(53 + (r & 1)) };
	*pk = (struct ef_packet){ .family = EF_AF_INET,
				  .l4proto = IPPROTO_UDP,
				  .has_ports = true,
				  .sport = s->sport,
				  .dport = s->dport,
				  .vlan = EF_VLAN_UNTAGGED,
				  .hook = EDGEFW_HOOK_XDP };
	memcpy(s->saddr, src, 4);
	memcpy(s->daddr, dst, 4);
	memcpy(pk->saddr, src, 4);
	memcpy(pk->daddr, dst, 4);
}

void dp_test_tree_limit(struct dp *dp)
{
	static struct tl_model m;
	struct ef_dyn_view dv = { tl_member, tl_take, &m };
	uint64_t rng = xorshift_seed(77);
	unsigned bad = 0, past = 0, by_trees = 0;
	int ret;

	memset(&m, 0, sizeof(m));
	dp->opts.prefer_trees = true;
	ret = dp_load_yaml(dp, tl_yaml);
	dp->opts.prefer_trees = false;
	tap(ret == 0 && tl_shape(&dp->c),
	    "tree limit: L and e in the chain, s and d in forests, one paired (%s)",
	    ret ? dp->error : "as compiled");
	if (ret)
		return;
	for (unsigned i = 0; i < TL_PACKETS; i++) {
		struct pkt_spec s;
		struct ef_packet pk;
		enum dp_verdict got, want;
		struct pkt p;
		int rule;

		tl_packet(&rng, &s, &pk);
		pkt_build(&p, &s);
		rule = ef_match_dyn(&dp->rs, &pk, &dv);
		want = rule >= 0 && dp->rs.rules[rule].action == EDGEFW_ACT_PASS ? DP_PASS
										 : DP_DROP;
		got = dp_run(dp, EDGEFW_HOOK_XDP, &p);
		past += rule >= 1 && s.daddr[1] == 1;
		by_trees += rule == 1 || rule == 2;
		if (got != want && bad++ < 5)
			diag("packet %u: %u.%u.%u.%u -> 10.%u.x dport %u: got %s, want %s (rule %d)",
			     i, s.saddr[0], s.saddr[1], s.saddr[2], s.saddr[3], s.daddr[1], s.dport,
			     dp_verdict_name(got), dp_verdict_name(want), rule);
	}
	tap(bad == 0 && past > 0 && by_trees > 0,
	    "tree limit: %u packets at XDP equal the reference matcher's with limits (%u mismatches; %u decided past the limit rule, %u by a forest's rule)",
	    TL_PACKETS, bad, past, by_trees);
}
