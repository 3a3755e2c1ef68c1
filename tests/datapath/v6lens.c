// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPv6 prefixes past /48 at several lengths (user/compiler/addr6_hash.c):
 * the hashed lengths alone, the hashed ones above lengths left to the LPM
 * trie, and more lengths than the hash takes, all nested under one /48 so
 * that every packet's cell is flagged for both. Each ruleset first checks
 * that the compiler split its lengths as intended (else the test would not
 * exercise that path), then runs packets inside the prefixes, near them and
 * at random through every hook against the reference matcher.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diff.h"
#include "xorshift.h"

#define V6L_RULES 64
#define V6L_PACKETS 1500

struct v6l_shape {
	const char *label;
	const uint8_t *lens; /* given to the rules in turn */
	size_t n_lens;
	uint8_t want_hashed[EDGEFW_A6_HASH_LENS]; /* the compiler's choice */
	bool want_lpm;                            /* some lengths left to the LPM trie */
};

struct v6l_ctx {
	uint64_t rng;
	uint8_t prefix[V6L_RULES][16];
	uint8_t len[V6L_RULES];
};

/* 2001:db8:1::/48 then random bits, cleared past len. */
static void v6l_prefix(uint64_t *rng, uint8_t a[16], unsigned len)
{
	static const uint8_t base[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01 };

	memcpy(a, base, sizeof(base));
	for (unsigned i = 6; i < 16; i++)
		a[i] = (uint8_t)xorshift_next(rng);
	for (unsigned b = len; b < 128; b++)
		a[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
}

/* Longest first: the first matching rule is then the longest match, which
 * only the hashes and the trie answer; in turn, most long prefixes lie
 * under an earlier short one, whose rule their class must carry. */
static int v6l_longest_first(const void *a, const void *b)
{
	return (int)*(const uint8_t *)b - (int)*(const uint8_t *)a;
}

static char *v6l_yaml(struct v6l_ctx *x, const struct v6l_shape *sh, bool longest_first)
{
	size_t cap = 256 + V6L_RULES * 128, at;
	char *y = dp_yaml_start(cap, &at);

	if (!y)
		return NULL;
	/* In turn, so each length's count (the split) is fixed. */
	for (unsigned i = 0; i < V6L_RULES; i++)
		x->len[i] = sh->lens[i % sh->n_lens];
	if (longest_first)
		qsort(x->len, V6L_RULES, 1, v6l_longest_first);
	for (unsigned i = 0; i < V6L_RULES; i++) {
		char s[64];

		v6l_prefix(&x->rng, x->prefix[i], x->len[i]);
		inet_ntop(AF_INET6, x->prefix[i], s, sizeof(s));
		at += (size_t)snprintf(y + at, cap - at,
				       "  - {name: r%u, src: \"%s/%u\", action: %s}\n", i, s,
				       x->len[i], i % 2 ? "drop" : "pass");
	}
	return y;
}

/* Inside a rule's prefix (host bits random), near one (a bit flipped just
 * past /48), or anywhere under the /48. */
static void v6l_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct v6l_ctx *x = ctx;
	unsigned r = (unsigned)xorshift_below(&x->rng, V6L_RULES);
	unsigned kind = i % 4;

	memset(s, 0, sizeof(*s));
	s->family = 6;
	s->l4proto = 17;
	s->sport = 1234;
	s->dport = 53;
	v6l_prefix(&x->rng, s->daddr, 128);
	v6l_prefix(&x->rng, s->saddr, 128);
	if (kind == 3)
		return;
	for (unsigned b = 0; b < x->len[r]; b++) {
		uint8_t bit = 0x80 >> (b % 8);

		s->saddr[b / 8] = (uint8_t)((s->saddr[b / 8] & ~bit) | (x->prefix[r][b / 8] & bit));
	}
	if (kind == 2) {
		unsigned b = 48 + (unsigned)xorshift_below(&x->rng, x->len[r] - 48);

		s->saddr[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	}
}

static void v6l_run(struct dp *dp, struct v6l_ctx *x, const struct v6l_shape *sh,
		    bool longest_first)
{
	struct diff_opts o = { .label = sh->label, .per_packet_winner = true };
	char *yaml = v6l_yaml(x, sh, longest_first);
	bool split;
	int ret;

	ret = yaml ? dp_load_yaml(dp, yaml) : -1;
	free(yaml);
	tap(ret == 0, "IPv6 lengths, %s, %s: the ruleset loads", sh->label,
	    longest_first ? "longest first" : "lengths in turn");
	if (ret)
		return;
	split = !memcmp(dp->c.hash6_len[0], sh->want_hashed, EDGEFW_A6_HASH_LENS);
	tap(split, "IPv6 lengths, %s: hashed lengths %u %u %u %u as intended", sh->label,
	    dp->c.hash6_len[0][0], dp->c.hash6_len[0][1], dp->c.hash6_len[0][2],
	    dp->c.hash6_len[0][3]);
	diff_run_tap(dp, V6L_PACKETS, v6l_next, x, &o, "IPv6 lengths, %s%s", sh->label,
		     sh->want_lpm ? " (with the LPM trie)" : "");
}

void dp_test_v6_lengths(struct dp *dp)
{
	static const uint8_t real[] = { 128, 128, 128, 64, 64, 56 };
	static const uint8_t mixed[] = { 128, 128, 128, 128, 128, 128, 128, 128, 128, 64, 64,
					 64,  64,  64,  64,  64,  60,  57,  52,  50,  49 };
	static const uint8_t many[] = { 128, 120, 96, 80, 64, 56, 49 };
	const struct v6l_shape shapes[] = {
		{ "lengths /128 /64 /56, all hashed",
		  real,
		  sizeof(real),
		  { 128, 64, 56, 0 },
		  false },
		{ "/128 /64 hashed, five rare lengths below them in the trie",
		  mixed,
		  sizeof(mixed),
		  { 128, 64, 0, 0 },
		  true },
		{ "seven lengths, the longest four hashed",
		  many,
		  sizeof(many),
		  { 128, 120, 96, 80 },
		  true },
	};
	struct v6l_ctx x = { .rng = xorshift_seed(0x6a5) };

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		for (int longest_first = 0; longest_first < 2; longest_first++)
			v6l_run(dp, &x, &shapes[i], longest_first);
}
