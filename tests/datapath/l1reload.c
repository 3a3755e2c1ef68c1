// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reloads between rulesets whose level-1 address cells differ: those
 * cells live in the instance's global data, one slot per generation
 * (kern/maps.h edgefw_l1, user/loader/l1.c), rewritten in place at each
 * reload, the rest of the cells in the generation's `cells` map at an
 * offset. Three rulesets: A and B, chain only, prefixes of every family
 * and field over two overlapping pools of /16s (so A's and B's level-1
 * cells differ where the pools meet and where they do not), and some
 * alone in a /16 of their own (lone prefixes in their level-1 cells,
 * whose global cell points at a copy in `cells`, EDGEFW_L1_FULL); P, service
 * rules by IPv4 destination with decision trees preferred, whose forest
 * shares its trie with the chain (gen_config.pair_l1: the loader moves
 * that trie's level 1 into the destination's table). Loaded in the order
 * A, B, P, A, P, B, so each generation's slot is written over by every
 * other kind; after each switch, packets in, near and around all three
 * rulesets' prefixes through every hook (XDP and both tc) against the
 * reference matcher: a cell left over from an earlier ruleset, or one
 * read from the wrong generation, shows as a mismatch.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diff.h"
#include "l1.h"
#include "xorshift.h"

#define LR_RULES 200 /* per ruleset */
#define LR_PACKETS 2000
#define LR_SETS 3

enum {
	LR_A,
	LR_B,
	LR_P
};

struct lr_rule {
	uint8_t family; /* 4 or 6 */
	bool dst;
	uint8_t len;
	uint8_t proto;
	uint16_t port;
	uint8_t prefix[16];
};

struct lr_ctx {
	uint64_t rng;
	struct lr_rule rules[LR_SETS][LR_RULES];
};

static unsigned lr_between(struct lr_ctx *x, unsigned lo, unsigned hi)
{
	return lo + (unsigned)xorshift_below(&x->rng, hi - lo + 1);
}

/* A random address whose second byte is in [lo, lo + 8): IPv4 in
 * 10.0.0.0/8, IPv6 in 2000::/8, so the pools' /16s overlap by half. */
static void lr_random(struct lr_ctx *x, uint8_t family, unsigned lo, uint8_t a[16])
{
	for (unsigned i = 0; i < 16; i++)
		a[i] = (uint8_t)xorshift_next(&x->rng);
	a[0] = family == 4 ? 10 : 0x20;
	a[1] = (uint8_t)(lo + (a[1] & 7));
	if (family == 4)
		dp_prefix_clear_past(a, 32);
}

/* Ruleset set's rule i. A (pool 0-7) and B (pool 4-11): every family and
 * field, lengths from a few level-1 cells (/12-/16, a rule in 16)
 * to host routes (lone prefixes folded into their cells). P: IPv4
 * destinations only (pool 2-9), for one forest. */
static void lr_make(struct lr_ctx *x, unsigned set, unsigned i)
{
	static const uint16_t ports[] = { 22, 53, 80, 443 };
	struct lr_rule *r = &x->rules[set][i];
	unsigned max;

	r->family = set == LR_P || i % 3 ? 4 : 6;
	r->dst = set == LR_P || i % 2;
	max = r->family == 4 ? 32 : 64;
	lr_random(x, r->family, set == LR_A ? 0 : set == LR_B ? 4 : 2, r->prefix);
	r->len = (uint8_t)(i % 16 == 0 ? lr_between(x, 12, 16) : lr_between(x, 17, max));
	if (set != LR_P && i % 8 == 1) {
		/* Alone in a /16 of its own (A's apart from B's): a lone
		 * prefix folded into its level-1 cell, which the global
		 * table points at a copy of (EDGEFW_L1_FULL). */
		r->prefix[1] = (uint8_t)(64 + set * 32 + i / 8);
		r->len = (uint8_t)lr_between(x, r->family == 4 ? 17 : 33, max);
	}
	dp_prefix_clear_past(r->prefix, r->len);
	r->proto = xorshift_below(&x->rng, 2) ? 6 : 17;
	r->port = ports[xorshift_below(&x->rng, 4)];
}

static char *lr_yaml(struct lr_ctx *x, unsigned set)
{
	size_t cap = 256 + LR_RULES * 160, at;
	char *y = dp_yaml_start(cap, &at);

	if (!y)
		return NULL;
	for (unsigned i = 0; i < LR_RULES; i++) {
		const struct lr_rule *r = &x->rules[set][i];

		lr_make(x, set, i);
		dp_yaml_prefix_rule(y, cap, &at, i, r->dst ? "dst" : "src",
				    r->family == 4 ? AF_INET : AF_INET6, r->prefix, r->len,
				    r->proto, r->port);
	}
	return y;
}

/* An address near rule r's prefix, by k % 4: inside it; one bit off it
 * past /8; in its /16, random past; random in the pools. */
static void lr_near(struct lr_ctx *x, const struct lr_rule *r, unsigned k, uint8_t a[16])
{
	lr_random(x, r->family, lr_between(x, 0, 4), a);
	if (k % 4 == 3)
		return;
	for (unsigned b = 0; b < (k % 4 == 2 ? 16u : r->len); b++) {
		uint8_t bit = (uint8_t)(0x80 >> (b % 8));

		a[b / 8] = (uint8_t)((a[b / 8] & ~bit) | (r->prefix[b / 8] & bit));
	}
	if (k % 4 == 1) {
		unsigned b = lr_between(x, 8, r->len - 1u);

		a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	}
}

/* Both addresses near a rule of any of the three rulesets of the packet's
 * family, the protocol and port mostly a rule's. */
static void lr_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct lr_ctx *x = ctx;
	const struct lr_rule *r[2];

	memset(s, 0, sizeof(*s));
	s->family = i % 2 ? 6 : 4;
	for (int k = 0; k < 2; k++) {
		do
			r[k] = &x->rules[xorshift_below(&x->rng, LR_SETS)]
					[xorshift_below(&x->rng, LR_RULES)];
		while (r[k]->family != s->family);
	}
	lr_near(x, r[0], (unsigned)xorshift_next(&x->rng), s->saddr);
	lr_near(x, r[1], (unsigned)xorshift_next(&x->rng), s->daddr);
	s->l4proto = xorshift_below(&x->rng, 4) ? r[1]->proto : 6;
	s->sport = 1234;
	s->dport = xorshift_below(&x->rng, 4) ? r[1]->port : 8080;
	s->tcp_flags = 0x02;
}

/* Level-1 cells (the compiler's numbering, a shared trie's at its own
 * place) that differ between two compiled rulesets. */
static size_t lr_l1_diff(const uint32_t *a, const struct ef_compiled *c)
{
	size_t n = 0;

	for (size_t i = 0; i < EDGEFW_L1_CELLS; i++)
		n += a[i] != c->cells[i];
	return n;
}

void dp_test_l1_reload(struct dp *dp)
{
	static const unsigned order[] = { LR_A, LR_B, LR_P, LR_A, LR_P, LR_B };
	static const char *const names[LR_SETS] = { "A (chain)", "B (chain)", "P (paired forest)" };
	struct lr_ctx x = { .rng = xorshift_seed(0x11e1) };
	char *yaml[LR_SETS];
	uint32_t *prev = calloc(EDGEFW_L1_CELLS, sizeof(*prev));

	for (unsigned s = 0; s < LR_SETS; s++)
		yaml[s] = lr_yaml(&x, s);
	for (unsigned k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		unsigned s = order[k];
		struct diff_opts o = { .label = names[s], .per_packet_winner = true };
		int ret;

		dp->opts.prefer_trees = s == LR_P;
		ret = yaml[s] && prev ? dp_load_yaml(dp, yaml[s]) : -1;
		dp->opts.prefer_trees = false;
		tap(ret == 0, "level-1 reload %u: ruleset %s loads", k + 1, names[s]);
		if (ret)
			break;
		if (s == LR_P)
			tap(dp->c.pair_l1[EF_FIELD_DST] && !dp->c.pair_l1[EF_FIELD_SRC],
			    "level-1 reload %u: P's destination forest shares its trie with the chain (pair_l1 %u)",
			    k + 1, dp->c.pair_l1[EF_FIELD_DST]);
		if (s != LR_P)
			tap(ef_l1_extra(&dp->c) > 0,
			    "level-1 reload %u: %zu level-1 cells hold a lone prefix (a copy each in the cells, EDGEFW_L1_FULL)",
			    k + 1, ef_l1_extra(&dp->c));
		if (k)
			tap(lr_l1_diff(prev, &dp->c) > 0,
			    "level-1 reload %u: %zu level-1 cells differ from the ruleset before",
			    k + 1, lr_l1_diff(prev, &dp->c));
		memcpy(prev, dp->c.cells, EDGEFW_L1_CELLS * sizeof(*prev));
		diff_run_tap(dp, LR_PACKETS, lr_next, &x, &o, "level-1 reload %u, %s", k + 1,
			     names[s]);
	}
	for (unsigned s = 0; s < LR_SETS; s++)
		free(yaml[s]);
	free(prev);
}
