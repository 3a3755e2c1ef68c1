// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Skip nodes in the forests' tries (kern/edgefw.h, EDGEFW_SKIP; kern/
 * tree_walk.h, tree_skip_value): a forest's prefix alone on its branch is
 * one node under the highest cell only it lies under, not a chunk per 4
 * bits. An IPv4 forest's trie is shared with the chain (its hit and miss
 * are pairs, a cell each, user/compiler/addr4_pair.c); an IPv6 forest's is its
 * own, over the address's first 32 bits (its hit and miss are subtrees).
 * Rules: service rules (a prefix, a protocol and a port) by destination
 * or source, some alone in their /16, some inside an earlier, shorter one
 * (the node below the chunks that one made, its miss that one's
 * subtree), some parting from an earlier one at a random bit past /16
 * (the node where their paths part), some crowded into a few /16s. Each
 * ruleset first checks that its forest's trie has skip nodes (else the
 * test would not exercise them), then runs packets inside the rules'
 * prefixes (the node's hit), one bit off them past /16 (its miss), in
 * their /16 and random, through every hook against the reference
 * matcher.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diff.h"
#include "xorshift.h"

#define FS_RULES 300
#define FS_PACKETS 3000

struct fs_shape {
	const char *label;
	int family;        /* 4 or 6 */
	const char *field; /* "src" or "dst" */
};

struct fs_ctx {
	uint64_t rng;
	const struct fs_shape *sh;
	uint8_t prefix[FS_RULES][16];
	uint8_t len[FS_RULES];
	uint16_t port[FS_RULES];
	uint8_t proto[FS_RULES];
};

static unsigned fs_between(struct fs_ctx *x, unsigned lo, unsigned hi)
{
	return lo + (unsigned)xorshift_below(&x->rng, hi - lo + 1);
}

/* A random address: IPv4 in 10.0.0.0/8 (10.0-7 when crowded), IPv6 in
 * 2000::/12 (2000::/21 when crowded). */
static void fs_random(struct fs_ctx *x, uint8_t a[16], bool crowded)
{
	for (unsigned i = 0; i < 16; i++)
		a[i] = (uint8_t)xorshift_next(&x->rng);
	if (x->sh->family == 4) {
		a[0] = 10;
		if (crowded)
			a[1] &= 7;
		dp_prefix_clear_past(a, 32);
		return;
	}
	a[0] = 0x20;
	a[1] &= crowded ? 0x00 : 0x0f;
	if (crowded)
		a[2] &= 7;
}

static void fs_flip(uint8_t a[16], unsigned bit)
{
	a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

static unsigned fs_max_len(const struct fs_ctx *x)
{
	return x->sh->family == 4 ? 32 : 128;
}

/* Rule i: by i % 4, alone; inside rule i - 1 (at least four bits longer,
 * random past it); sharing rule i - 2's first 16 to len - 1 bits, then
 * parting; crowded. */
static void fs_make(struct fs_ctx *x, unsigned i)
{
	static const uint16_t ports[] = { 22, 53, 80, 443, 8080 };
	unsigned kind = i < 2 ? 0 : i % 4, max = fs_max_len(x), j, b;

	fs_random(x, x->prefix[i], kind == 3);
	x->len[i] = (uint8_t)(xorshift_below(&x->rng, 2) ? max : fs_between(x, 17, max));
	if (kind == 1 && x->len[i - 1] + 4u <= max) {
		j = i - 1;
		x->len[i] = (uint8_t)fs_between(x, x->len[j] + 4u, max);
		for (b = 0; b < x->len[j]; b++)
			if ((x->prefix[i][b / 8] ^ x->prefix[j][b / 8]) & (0x80 >> (b % 8)))
				fs_flip(x->prefix[i], b);
	} else if (kind == 2 && x->len[i - 2] > 17u) {
		j = i - 2;
		memcpy(x->prefix[i], x->prefix[j], 16);
		b = fs_between(x, 16, x->len[j] - 1u);
		fs_flip(x->prefix[i], b);
		x->len[i] = (uint8_t)fs_between(x, b + 1, max);
	}
	dp_prefix_clear_past(x->prefix[i], x->len[i]);
	x->port[i] = ports[xorshift_below(&x->rng, 5)];
	x->proto[i] = xorshift_below(&x->rng, 2) ? 6 : 17;
}

static char *fs_yaml(struct fs_ctx *x)
{
	size_t cap = 256 + FS_RULES * 160, at;
	char *y = dp_yaml_start(cap, &at);
	int af = x->sh->family == 4 ? AF_INET : AF_INET6;

	if (!y)
		return NULL;
	for (unsigned i = 0; i < FS_RULES; i++) {
		fs_make(x, i);
		dp_yaml_prefix_rule(y, cap, &at, i, x->sh->field, af, x->prefix[i], x->len[i],
				    x->proto[i], x->port[i]);
	}
	return y;
}

/* The narrow address, by i % 4: inside a rule's prefix; one bit off it
 * past /16; in its /16, random past; random. The port and protocol
 * mostly the rule's. */
static void fs_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct fs_ctx *x = ctx;
	unsigned r = (unsigned)xorshift_below(&x->rng, FS_RULES), b;
	uint8_t *a = strcmp(x->sh->field, "dst") ? s->saddr : s->daddr;

	memset(s, 0, sizeof(*s));
	s->family = (uint8_t)x->sh->family;
	s->l4proto = xorshift_below(&x->rng, 4) ? x->proto[r] : (x->proto[r] == 6 ? 17 : 6);
	s->sport = 1234;
	s->dport = xorshift_below(&x->rng, 4) ? x->port[r] : 443;
	s->tcp_flags = 0x02;
	fs_random(x, s->saddr, false);
	fs_random(x, s->daddr, false);
	if (i % 4 == 3)
		return;
	b = i % 4 == 2 ? 16 : x->len[r];
	for (unsigned k = 0; k < b; k++)
		if ((a[k / 8] ^ x->prefix[r][k / 8]) & (0x80 >> (k % 8)))
			fs_flip(a, k);
	if (i % 4 == 1)
		fs_flip(a, fs_between(x, 16, x->len[r] - 1u));
}

static int fs_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Skip nodes under the trie whose level 1 starts at cell l1: its level-1
 * cells and the chunks below them (a chunk is never shared; a wide one,
 * EDGEFW_A4_WIDE, repeats a skip node in up to 16 cells, so they are
 * counted once each). */
/* What fs_skips' list holds besides a cell index (below 2^25). */
#define FS_L1 ((size_t)1 << 30)
#define FS_WIDE ((size_t)1 << 31)

static unsigned fs_skips(const struct ef_compiled *c, size_t l1)
{
	size_t *todo = malloc(c->n_cells * sizeof(*todo) / EDGEFW_A4_CHUNK_SIZE + 1);
	uint32_t *seen = malloc((c->n_cells + 1) * sizeof(*seen)); /* a cell each at most */
	size_t n = 0, n_seen = 0;
	unsigned skips = 0;

	if (!todo || !seen)
		goto out;
	todo[n++] = l1 | FS_L1;
	while (n) {
		size_t at = todo[--n];
		size_t cells = at & FS_L1     ? EDGEFW_A4_L1_SIZE
			       : at & FS_WIDE ? EDGEFW_A4_WIDE_SIZE
					      : EDGEFW_A4_CHUNK_SIZE;

		at &= ~(FS_L1 | FS_WIDE);
		for (size_t k = 0; k < cells; k++) {
			uint32_t v = c->cells[at + k];

			if ((v & EDGEFW_SKIP) == EDGEFW_SKIP)
				seen[n_seen++] = v & EDGEFW_SKIP_INDEX;
			else if (v & EDGEFW_A4_CHUNK)
				todo[n++] =
					(v & EDGEFW_A4_INDEX) | (v & EDGEFW_A4_WIDE ? FS_WIDE : 0);
		}
	}
	qsort(seen, n_seen, sizeof(*seen), fs_cmp_u32);
	for (size_t i = 0; i < n_seen; i++)
		skips += !i || seen[i] != seen[i - 1];
out:
	free(todo);
	free(seen);
	return skips;
}

static void fs_run(struct dp *dp, struct fs_ctx *x)
{
	const struct fs_shape *sh = x->sh;
	struct diff_opts o = { .label = sh->label, .per_packet_winner = true };
	char *yaml = fs_yaml(x);
	unsigned forests = 0, skips = 0;
	uint8_t family = sh->family == 4 ? EF_AF_INET : EF_AF_INET6;
	int ret;

	dp->opts.prefer_trees = true;
	ret = yaml ? dp_load_yaml(dp, yaml) : -1;
	free(yaml);
	tap(ret == 0, "forest skip nodes, %s: the ruleset loads", sh->label);
	if (ret) {
		dp->opts.prefer_trees = false;
		return;
	}
	for (unsigned i = 0; i < dp->c.n_trees; i++) {
		const struct ef_tree_info *ti = &dp->c.trees[i];

		if (ti->family != family || ti->trie_word == EF_TREE_NO_TRIE)
			continue;
		forests++;
		skips += fs_skips(&dp->c, ti->root); /* a shared trie's too */
	}
	tap(forests == 1 && skips >= FS_RULES / 8,
	    "forest skip nodes, %s: %u forests (want 1), %u skip nodes in their tries (want >= %u)",
	    sh->label, forests, skips, FS_RULES / 8);
	diff_run_tap(dp, FS_PACKETS, fs_next, x, &o, "forest skip nodes, %s", sh->label);
	dp->opts.prefer_trees = false;
}

void dp_test_forest_skips(struct dp *dp)
{
	const struct fs_shape shapes[] = {
		{ "IPv4 by destination", 4, "dst" },
		{ "IPv4 by source", 4, "src" },
		{ "IPv6 by destination", 6, "dst" },
		{ "IPv6 by source", 6, "src" },
	};
	struct fs_ctx x = { .rng = xorshift_seed(0xf5c1) };

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		x.sh = &shapes[i];
		fs_run(dp, &x);
	}
}
