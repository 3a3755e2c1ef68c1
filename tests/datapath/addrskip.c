// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prefixes alone on their branch, behind skip nodes in the chain's array
 * tries (kern/edgefw.h, EDGEFW_SKIP; user/compiler/addr_skip.c picks them,
 * addr4.c places them), in both families. Shapes: isolated prefixes (IPv6
 * of every length from /49 to /128 and a few /17-/31 in /16s of their own,
 * which do not fold into their cells, IPv4 from /17 to /32); each inside a
 * shorter prefix, so the node sits below the chunks the shorter one made
 * and its miss is that prefix's class; siblings parting at every level, so
 * the node sits where their paths part, beside pairs that share too much
 * for one (IPv6: a /48, left to the hashes). Each ruleset first checks
 * that the compiler placed its prefixes as intended (else the test would
 * not exercise that path; IPv4 nodes all fold into their cells, EDGEFW_LONE_*,
 * IPv6 ones of /32 or longer too, EDGEFW_LONE6_*),
 * then runs packets inside the prefixes, one bit
 * off them and near them through every hook against the reference matcher.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr4.h"
#include "diff.h"
#include "xorshift.h"

#define AS_RULES 64
#define AS_PAIRS_SHARING 4 /* the siblings' last pairs */
#define AS_PACKETS 1500
#define AS_ALONE_SHORT6 8 /* every 8th isolated IPv6 prefix /17-/31 */

enum as_kind {
	AS_ALONE,
	AS_UNDER_SHORT,
	AS_SIBLINGS
};

struct as_shape {
	const char *label;
	int family; /* 4 or 6 */
	enum as_kind kind;
	unsigned want_skip;   /* entries behind skip nodes, both fields */
	unsigned want_shared; /* IPv6 entries left to the hashes or the LPM trie */
	unsigned want_hi;     /* cells with an upper half (folded nodes) */
};

struct as_ctx {
	uint64_t rng;
	const struct as_shape *sh;
	uint8_t prefix[AS_RULES][16];
	uint8_t len[AS_RULES];
};

static unsigned as_bits(const struct as_ctx *x)
{
	return x->sh->family == 4 ? 32 : 128;
}

/* A random address: IPv6 in 2001:db8::/29 (so rules share /16s), IPv4
 * with first byte top (so rules apart differ there). */
static void as_random(struct as_ctx *x, uint8_t a[16], unsigned top)
{
	for (unsigned i = 0; i < 16; i++)
		a[i] = (uint8_t)xorshift_next(&x->rng);
	if (x->sh->family == 4) {
		a[0] = (uint8_t)top;
		dp_prefix_clear_past(a, 32);
		return;
	}
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = (uint8_t)(0xb8 | (a[3] & 7));
}

/* b: a's first shared bits, then the opposite of a's next bit, then
 * random (IPv4 with a's first byte when shared < 8). */
static void as_near(struct as_ctx *x, const uint8_t a[16], unsigned shared, uint8_t b[16])
{
	as_random(x, b, a[0]);
	for (unsigned i = 0; i < shared; i++) {
		uint8_t bit = 0x80 >> (i % 8);

		b[i / 8] = (uint8_t)((b[i / 8] & ~bit) | (a[i / 8] & bit));
	}
	if (shared < as_bits(x))
		b[shared / 8] ^=
			(uint8_t)((b[shared / 8] ^ ~a[shared / 8]) & (0x80 >> (shared % 8)));
}

static unsigned as_between(struct as_ctx *x, unsigned lo, unsigned hi)
{
	return lo + (unsigned)xorshift_below(&x->rng, hi - lo + 1);
}

/* Rule i's prefix; rules 2k and 2k + 1 are in the same field (src for
 * even k, dst for odd k), so a pair can be made to share bits. IPv4 pairs
 * apart differ in the first byte, so only a pair shares a branch. */
static void as_make(struct as_ctx *x, unsigned i)
{
	bool v4 = x->sh->family == 4;
	unsigned len = v4 ? as_between(x, 17, 32) : as_between(x, 49, 128);
	unsigned top = 1 + i / 2, short_len;

	x->len[i] = (uint8_t)len;
	switch (x->sh->kind) {
	case AS_ALONE:
		as_random(x, x->prefix[i], 1 + i);
		/* IPv6: every AS_ALONE_SHORT6-th one /17-/31 in a /16 of its
		 * own, a node too short to fold (EDGEFW_LONE6_*). */
		if (!v4 && i % AS_ALONE_SHORT6 == AS_ALONE_SHORT6 - 1) {
			x->len[i] = (uint8_t)as_between(x, 17, 31);
			x->prefix[i][1] = (uint8_t)(0x80 + i);
		}
		break;
	case AS_UNDER_SHORT:
		/* Even: a short prefix; odd: a long one inside it, at least
		 * two levels further down. */
		short_len = v4 ? as_between(x, 17, 24) : as_between(x, 17, 48);
		if (i % 2 == 0) {
			x->len[i] = (uint8_t)short_len;
			as_random(x, x->prefix[i], top);
			break;
		}
		if (v4)
			x->len[i] = (uint8_t)as_between(x, x->len[i - 1] + 8, 32);
		as_near(x, x->prefix[i - 1], x->len[i - 1], x->prefix[i]);
		break;
	case AS_SIBLINGS:
		/* Odd: shares some bits with the even one before it (IPv4
		 * /32s: 8-27 bits; IPv6 17-47); the last pairs share more
		 * (IPv4 28-31 bits, IPv6 their /48). */
		if (v4)
			x->len[i] = 32;
		if (i % 2 == 0) {
			as_random(x, x->prefix[i], top);
			break;
		}
		as_near(x, x->prefix[i - 1],
			i >= AS_RULES - 2 * AS_PAIRS_SHARING
				? (v4 ? as_between(x, 28, 31) : as_between(x, 48, 49))
				: (v4 ? as_between(x, 8, 27) : as_between(x, 17, 47)),
			x->prefix[i]);
		break;
	}
	dp_prefix_clear_past(x->prefix[i], x->len[i]);
}

static char *as_yaml(struct as_ctx *x)
{
	size_t cap = 256 + AS_RULES * 128, at;
	char *y = dp_yaml_start(cap, &at);

	if (!y)
		return NULL;
	for (unsigned i = 0; i < AS_RULES; i++)
		as_make(x, i);
	/* Every other pair listed second first: a long prefix's rule then
	 * comes before the shorter one's as often as after. */
	for (unsigned k = 0; k < AS_RULES; k++) {
		unsigned i = (k / 2) % 2 ? k ^ 1 : k;
		char s[64];

		inet_ntop(x->sh->family == 4 ? AF_INET : AF_INET6, x->prefix[i], s, sizeof(s));
		at += (size_t)snprintf(
			y + at, cap - at, "  - {name: r%u, %s: \"%s/%u\", action: %s}\n", i,
			(i / 2) % 2 ? "dst" : "src", s, x->len[i], i % 3 ? "drop" : "pass");
	}
	return y;
}

/* In a rule's field: inside its prefix, one bit off it (past /8), or in
 * its /16 or /24 and random past; the other address random. */
static void as_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct as_ctx *x = ctx;
	unsigned r = (unsigned)xorshift_below(&x->rng, AS_RULES);
	uint8_t *a;

	memset(s, 0, sizeof(*s));
	s->family = (uint8_t)x->sh->family;
	s->l4proto = 17;
	s->sport = 1234;
	s->dport = 53;
	as_random(x, s->saddr, as_between(x, 1, AS_RULES));
	as_random(x, s->daddr, as_between(x, 1, AS_RULES));
	a = (r / 2) % 2 ? s->daddr : s->saddr;
	switch (i % 4) {
	case 0:
		as_near(x, x->prefix[r], x->len[r], a);
		if (x->len[r] < as_bits(x)) /* back inside */
			a[x->len[r] / 8] ^= (uint8_t)(0x80 >> (x->len[r] % 8));
		break;
	case 1:
		as_near(x, x->prefix[r], as_between(x, 8, x->len[r] - 1), a);
		break;
	case 2:
		memcpy(a, x->prefix[r], 2 + xorshift_below(&x->rng, 2));
		break;
	default:
		break;
	}
}

/* How the compiler placed the rules' entries of the shape's family. */
static void as_count(const struct as_ctx *x, const struct ef_compiled *c, unsigned *skip,
		     unsigned *shared)
{
	int fam = x->sh->family == 4 ? EF_FAM_V4 : EF_FAM_V6;

	*skip = *shared = 0;
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		const struct ef_lpm_table *t = &c->lpm[f][fam];

		for (size_t i = 0; i < t->n; i++) {
			*skip += t->v[i].home == EF_HOME_SKIP;
			*shared += t->v[i].home == EF_HOME_HASH || t->v[i].home == EF_HOME_LPM;
		}
	}
}

/* The folded IPv6 nodes reachable from n cells at ch: a node's cell
 * repeated in a wide chunk (user/compiler/addr6_wide.c), 16 cells in a
 * row, counts once. */
static unsigned as_folded6(const struct ef_compiled *c, size_t ch, size_t n)
{
	unsigned nodes = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t v = c->cells[ch + i];

		if ((v & EDGEFW_SKIP) == EDGEFW_SKIP)
			nodes += ef_cell_hi(c, ch + i) && (i == 0 || c->cells[ch + i - 1] != v);
		else if ((v & EDGEFW_SKIP) == EDGEFW_A4_CHUNK)
			nodes += as_folded6(c, v & EDGEFW_A6_VALUE,
					    v & EDGEFW_A4_WIDE ? EDGEFW_A4_WIDE_SIZE
							       : EDGEFW_A4_CHUNK_SIZE);
	}
	return nodes;
}

/* The upper halves of the nodes folded into their cells: IPv4's one a
 * node; IPv6's three a node, counted by node. */
static unsigned as_folded(const struct as_ctx *x, const struct ef_compiled *c)
{
	/* Every IPv4 upper half is a folded node while no forest shares a
	 * trie (a pair's cell has one too): a shape with trees counts none. */
	if (x->sh->family == 4)
		return c->n_trees ? 0 : (unsigned)c->n_cells_hi;
	return 3 * as_folded6(c, EDGEFW_A6_L1_BASE, EF_FIELD_COUNT * EDGEFW_A4_L1_SIZE);
}

static void as_run(struct dp *dp, struct as_ctx *x)
{
	const struct as_shape *sh = x->sh;
	struct diff_opts o = { .label = sh->label, .per_packet_winner = true };
	char *yaml = as_yaml(x);
	unsigned skip, shared, folded;
	int ret;

	ret = yaml ? dp_load_yaml(dp, yaml) : -1;
	free(yaml);
	tap(ret == 0, "skip nodes, %s: the ruleset loads", sh->label);
	if (ret)
		return;
	as_count(x, &dp->c, &skip, &shared);
	tap(skip == sh->want_skip && shared == sh->want_shared,
	    "skip nodes, %s: %u entries behind skip nodes (want %u), %u hashed or in the LPM trie (want %u)",
	    sh->label, skip, sh->want_skip, shared, sh->want_shared);
	/* IPv4: every node's hit (a class of 64 rules) fits its cell
	 * (kern/edgefw.h, EDGEFW_LONE_*), so the packets below read none.
	 * IPv6: every node of a /32 or longer folds (EDGEFW_LONE6_*), three
	 * upper halves each; the shorter ones do not. */
	folded = as_folded(x, &dp->c);
	tap(folded == sh->want_hi,
	    "skip nodes, %s: %u upper halves for the nodes folded into their cells (want %u)",
	    sh->label, folded, sh->want_hi);
	diff_run_tap(dp, AS_PACKETS, as_next, x, &o, "skip nodes, %s", sh->label);
}

void dp_test_addr_skips(struct dp *dp)
{
	const unsigned sharing = 2 * AS_PAIRS_SHARING;
	const unsigned short6 = AS_RULES / AS_ALONE_SHORT6;
	const struct as_shape shapes[] = {
		{ "IPv6, isolated /49-/128 and /17-/31", 6, AS_ALONE, AS_RULES, 0,
		  3 * (AS_RULES - short6) },
		{ "IPv6, each inside a shorter prefix", 6, AS_UNDER_SHORT, AS_RULES / 2, 0,
		  3 * AS_RULES / 2 },
		{ "IPv6, siblings parting at /17-/47, pairs sharing a /48", 6, AS_SIBLINGS,
		  AS_RULES - sharing, sharing, 3 * (AS_RULES - sharing) },
		{ "IPv4, isolated /17-/32", 4, AS_ALONE, AS_RULES, 0, AS_RULES },
		{ "IPv4, each inside a shorter prefix", 4, AS_UNDER_SHORT, AS_RULES / 2, 0,
		  AS_RULES / 2 },
		{ "IPv4, /32 siblings parting at /8-/27 and at /28-/31", 4, AS_SIBLINGS,
		  AS_RULES - sharing, 0, AS_RULES - sharing },
	};
	struct as_ctx x = { .rng = xorshift_seed(0x5c1b) };

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		x.sh = &shapes[i];
		as_run(dp, &x);
	}
}
