// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Wide chunks in the chain's IPv6 tries (kern/edgefw.h, EDGEFW_A4_WIDE;
 * user/compiler/addr6_wide.c): rulesets whose prefixes crowd one /16
 * (dense /24-/48s, so chunks lead deeper and are widened at several
 * levels, with /64s and /128s among them, alone on their branch, so skip
 * nodes folded into their cells (EDGEFW_LONE6_*) are repeated in wide
 * chunks, and pairs sharing a /48 or more, so cells flagged for the
 * hashes are too). Each ruleset first checks that the compiler built
 * what it is meant to exercise (wide chunks in both fields, a folded node
 * and a hashed cell inside one), then runs packets inside the prefixes,
 * one bit off them, sharing 16-48 bits with them and anywhere in the /16
 * through every hook against the reference matcher.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr4.h"
#include "diff.h"
#include "xorshift.h"

#define VW_RULES 240
#define VW_PACKETS 3000

struct vw_ctx {
	uint64_t rng;
	uint8_t top[2]; /* the /16 every prefix lies in */
	uint8_t prefix[VW_RULES][16];
	uint8_t len[VW_RULES];
};

/* What the IPv6 tries hold below their level-1 cells. */
struct vw_count {
	unsigned wide[2]; /* wide chunks, per field */
	unsigned folded;  /* cells of wide chunks with a folded node */
	unsigned hashed;  /* cells of wide chunks flagged for the hashes or LPM */
};

static unsigned vw_between(struct vw_ctx *x, unsigned lo, unsigned hi)
{
	return lo + (unsigned)xorshift_below(&x->rng, hi - lo + 1);
}

/* A random address in the /16. */
static void vw_random(struct vw_ctx *x, uint8_t a[16])
{
	for (unsigned i = 0; i < 16; i++)
		a[i] = (uint8_t)xorshift_next(&x->rng);
	a[0] = x->top[0];
	a[1] = x->top[1];
}

/* b: a's first shared bits, then random (in the /16). */
static void vw_share(struct vw_ctx *x, const uint8_t a[16], unsigned shared, uint8_t b[16])
{
	vw_random(x, b);
	for (unsigned i = 0; i < shared && i < 128; i++) {
		uint8_t bit = 0x80 >> (i % 8);

		b[i / 8] = (uint8_t)((b[i / 8] & ~bit) | (a[i / 8] & bit));
	}
}

/* Rule i, in the source field for the first 16, the destination for the
 * next 16 and so on: mostly /24-/48; every 8th a /64 or /128 alone on its branch;
 * of every 16, two /49-/128 in one /48 (past the trie: the hashes or the
 * LPM trie). */
static void vw_make(struct vw_ctx *x, unsigned i)
{
	unsigned len = vw_between(x, 24, 48);

	if (i % 8 == 3)
		len = i % 16 == 3 ? 64 : 128;
	if (i % 16 == 6 || i % 16 == 7)
		len = vw_between(x, 49, 128);
	vw_random(x, x->prefix[i]);
	if (i % 16 == 7)
		vw_share(x, x->prefix[i - 1], 48, x->prefix[i]);
	x->len[i] = (uint8_t)len;
	dp_prefix_clear_past(x->prefix[i], len);
}

static char *vw_yaml(struct vw_ctx *x)
{
	size_t cap = 256 + VW_RULES * 128, at;
	char *y = dp_yaml_start(cap, &at);

	if (!y)
		return NULL;
	for (unsigned i = 0; i < VW_RULES; i++) {
		char s[64];

		vw_make(x, i);
		inet_ntop(AF_INET6, x->prefix[i], s, sizeof(s));
		at += (size_t)snprintf(
			y + at, cap - at, "  - {name: r%u, %s: \"%s/%u\", action: %s}\n", i,
			(i / 16) % 2 ? "dst" : "src", s, x->len[i], i % 3 ? "drop" : "pass");
	}
	return y;
}

/* A rule's field: inside its prefix, one bit off it, sharing 16-48 bits
 * with it, or anywhere in the /16; the other address anywhere in it. */
static void vw_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct vw_ctx *x = ctx;
	unsigned r = (unsigned)xorshift_below(&x->rng, VW_RULES), len;
	uint8_t *a;

	memset(s, 0, sizeof(*s));
	s->family = 6;
	s->l4proto = 17;
	s->sport = 1234;
	s->dport = 53;
	vw_random(x, s->saddr);
	vw_random(x, s->daddr);
	a = (r / 16) % 2 ? s->daddr : s->saddr;
	len = x->len[r];
	switch (i % 4) {
	case 0:
		vw_share(x, x->prefix[r], len, a);
		break;
	case 1:
		vw_share(x, x->prefix[r], len, a);
		if (len < 128)
			a[len / 8] ^= (uint8_t)(0x80 >> (len % 8));
		break;
	case 2:
		vw_share(x, x->prefix[r], vw_between(x, 16, 48), a);
		break;
	default:
		break;
	}
}

/* Counts the wide chunks below cell (and what their cells hold). */
static void vw_walk(const struct ef_compiled *c, size_t cell, unsigned field, struct vw_count *n)
{
	uint32_t v = c->cells[cell];
	size_t ch = v & EDGEFW_A6_VALUE, size = EDGEFW_A4_CHUNK_SIZE;

	if ((v & EDGEFW_SKIP) != EDGEFW_A4_CHUNK)
		return;
	if (v & EDGEFW_A4_WIDE) {
		n->wide[field]++;
		size = EDGEFW_A4_WIDE_SIZE;
		for (size_t i = 0; i < size; i++) {
			uint32_t w = c->cells[ch + i];

			n->folded += (w & EDGEFW_SKIP) == EDGEFW_SKIP && ef_cell_hi(c, ch + i);
			n->hashed += (w & EDGEFW_SKIP) != EDGEFW_A4_CHUNK &&
				     (w & (EDGEFW_A6_HOST | EDGEFW_A6_LONGER));
		}
	}
	for (size_t i = 0; i < size; i++)
		vw_walk(c, ch + i, field, n);
}

static void vw_run(struct dp *dp, struct vw_ctx *x, const char *label)
{
	struct diff_opts o = { .label = label, .per_packet_winner = true };
	struct vw_count n = { 0 };
	char *yaml = vw_yaml(x);
	int ret;

	ret = yaml ? dp_load_yaml(dp, yaml) : -1;
	free(yaml);
	tap(ret == 0, "wide IPv6 chunks, %s: the ruleset loads", label);
	if (ret)
		return;
	for (unsigned f = 0; f < 2; f++)
		vw_walk(&dp->c,
			EDGEFW_A6_L1_BASE + f * EDGEFW_A4_L1_SIZE +
				((size_t)x->top[0] << 8 | x->top[1]),
			f, &n);
	tap(n.wide[0] >= 2 && n.wide[1] >= 2 && n.folded > 0 && n.hashed > 0,
	    "wide IPv6 chunks, %s: %u and %u wide chunks (src, dst), %u of their cells a folded skip node, %u flagged for the hashes or the LPM trie (want 2+, 2+, some, some)",
	    label, n.wide[0], n.wide[1], n.folded, n.hashed);
	diff_run_tap(dp, VW_PACKETS, vw_next, x, &o, "wide IPv6 chunks, %s", label);
}

void dp_test_v6_wide(struct dp *dp)
{
	static const uint8_t tops[][2] = { { 0x2a, 0x01 }, { 0x20, 0x01 }, { 0x26, 0x07 } };
	struct vw_ctx x = { .rng = xorshift_seed(0x6a1de) };

	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		char label[64];

		x.top[0] = tops[i][0];
		x.top[1] = tops[i][1];
		snprintf(label, sizeof(label), "%u /24-/128 under %02x%02x::/16", VW_RULES,
			 tops[i][0], tops[i][1]);
		vw_run(dp, &x, label);
	}
}
