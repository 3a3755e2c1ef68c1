// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPv6 forests (user/compiler/classify.c, tree_forest.c): IPv6 rules the
 * trees hold, narrow in one address, go behind a 16-4-4-4-4 trie over
 * that address's first 32 bits, and each subtree tells apart the rules
 * that share those bits by the other words, ports and protocol. Shapes:
 * service rules (a destination prefix of /17 to /128, a protocol and a
 * port) scattered over 2000::/12, some sharing their first 32 bits and
 * some inside a shorter rule's prefix, in the destination or the source;
 * and a ruleset of one site, every rule inside one /32, which the
 * compiler keeps in a plain tree (a trie there would only add lookups).
 * The same with every prefix /48 or longer: the forest's trie is then over
 * the address's second word, whose first 16 bits differ more (one site's
 * rules too), and its subtrees tell apart rules sharing that word by the
 * first.
 * Each ruleset first checks where the compiler put its rules (else the
 * test would not exercise the forest), then runs packets inside the
 * rules' prefixes, one bit off them, in their /32 and random, through
 * every hook against the reference matcher.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diff.h"
#include "xorshift.h"

#define VF_RULES 400
#define VF_PACKETS 3000

struct vf_shape {
	const char *label;
	const char *field; /* "src" or "dst": the narrow address */
	bool one_site;     /* every rule inside 2001:db8::/32 */
	bool want_forest;  /* an IPv6 forest holds the rules */
	unsigned min_len;  /* the shortest prefix a rule may have */
	unsigned word;     /* the forest's word of the narrow address (0-3) */
};

struct vf_ctx {
	uint64_t rng;
	const struct vf_shape *sh;
	uint8_t prefix[VF_RULES][16];
	uint8_t len[VF_RULES];
	uint16_t port[VF_RULES];
	uint8_t proto[VF_RULES];
};

/* A random address in 2000::/12, or in 2001:db8::/32 for one site. */
static void vf_random(struct vf_ctx *x, uint8_t a[16])
{
	for (unsigned i = 0; i < 16; i++)
		a[i] = (uint8_t)xorshift_next(&x->rng);
	a[0] = 0x20;
	if (x->sh->one_site) {
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
	} else {
		a[1] &= 0x0f;
	}
}

static unsigned vf_between(struct vf_ctx *x, unsigned lo, unsigned hi)
{
	return lo + (unsigned)xorshift_below(&x->rng, hi - lo + 1);
}

/* Rule i: mostly a prefix of its own; one in eight shares the first 32
 * bits of an earlier one (a subtree with several boxes), one in eight lies
 * inside an earlier, shorter one (its subtree holds the enclosing box). */
static void vf_make(struct vf_ctx *x, unsigned i)
{
	unsigned kind = i ? (unsigned)xorshift_below(&x->rng, 8) : 2;
	unsigned j = i ? (unsigned)xorshift_below(&x->rng, i) : 0;
	static const uint16_t ports[] = { 22, 53, 80, 443, 8080 };

	vf_random(x, x->prefix[i]);
	x->len[i] =
		(uint8_t)(xorshift_below(&x->rng, 2) ? 128 : vf_between(x, x->sh->min_len, 127));
	if (kind == 0) {
		memcpy(x->prefix[i], x->prefix[j], 4);
	} else if (kind == 3 && x->sh->min_len >= 48) {
		/* The same second word, another first one. */
		memcpy(x->prefix[i] + 4, x->prefix[j] + 4, 4);
	} else if (kind == 1 && x->len[j] < 120) {
		memcpy(x->prefix[i], x->prefix[j], 16);
		x->len[i] = (uint8_t)vf_between(x, x->len[j] + 1, 128);
		/* Random past the shorter prefix: vf_random's bits. */
		for (unsigned b = x->len[j]; b < 128; b++)
			if (xorshift_next(&x->rng) & 1)
				x->prefix[i][b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	}
	dp_prefix_clear_past(x->prefix[i], x->len[i]);
	x->port[i] = ports[xorshift_below(&x->rng, 5)];
	x->proto[i] = xorshift_below(&x->rng, 2) ? 6 : 17;
}

static char *vf_yaml(struct vf_ctx *x)
{
	size_t cap = 256 + VF_RULES * 160, at;
	char *y = dp_yaml_start(cap, &at);

	if (!y)
		return NULL;
	for (unsigned i = 0; i < VF_RULES; i++) {
		vf_make(x, i);
		dp_yaml_prefix_rule(y, cap, &at, i, x->sh->field, AF_INET6, x->prefix[i], x->len[i],
				    x->proto[i], x->port[i]);
	}
	return y;
}

/* The narrow address: inside a rule's prefix (its port and protocol, or
 * another), one bit off it, in its /32 and random past, or random. */
static void vf_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct vf_ctx *x = ctx;
	unsigned r = (unsigned)xorshift_below(&x->rng, VF_RULES), b;
	bool dst = !strcmp(x->sh->field, "dst");
	uint8_t *a = dst ? s->daddr : s->saddr;

	memset(s, 0, sizeof(*s));
	s->family = 6;
	s->l4proto = xorshift_below(&x->rng, 4) ? x->proto[r] : (x->proto[r] == 6 ? 17 : 6);
	s->sport = 1234;
	s->dport = xorshift_below(&x->rng, 4) ? x->port[r] : 443;
	s->tcp_flags = 0x02;
	vf_random(x, s->saddr);
	vf_random(x, s->daddr);
	switch (i % 4) {
	case 0: /* inside */
	case 1: /* one bit off, at a random bit of the prefix past /16 */
		b = x->len[r];
		memcpy(a, x->prefix[r], b / 8);
		if (b % 8)
			a[b / 8] = (uint8_t)((a[b / 8] & (0xff >> (b % 8))) |
					     (x->prefix[r][b / 8] & ~(0xff >> (b % 8))));
		if (i % 4 == 1) {
			b = vf_between(x, 16, x->len[r] - 1);
			a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
		}
		break;
	case 2:
		memcpy(a, x->prefix[r], 4);
		break;
	default:
		break;
	}
}

/* The trees of the IPv6 rules: forests and plain trees, and the last
 * forest's key word. */
static void vf_count(const struct ef_compiled *c, unsigned *forests, unsigned *plain,
		     unsigned *word)
{
	*forests = *plain = *word = 0;
	for (unsigned t = 0; t < c->n_trees; t++) {
		if (c->trees[t].family != EF_AF_INET6)
			continue;
		if (c->trees[t].trie_word == EF_TREE_NO_TRIE)
			(*plain)++;
		else
			*word = c->trees[t].trie_word, (*forests)++;
	}
}

static void vf_run(struct dp *dp, struct vf_ctx *x)
{
	const struct vf_shape *sh = x->sh;
	struct diff_opts o = { .label = sh->label, .per_packet_winner = true };
	char *yaml = vf_yaml(x);
	unsigned forests, plain, word, want_word;
	int ret;

	dp->opts.prefer_trees = true;
	ret = yaml ? dp_load_yaml(dp, yaml) : -1;
	free(yaml);
	tap(ret == 0, "IPv6 forests, %s: the ruleset loads", sh->label);
	if (ret) {
		dp->opts.prefer_trees = false;
		return;
	}
	vf_count(&dp->c, &forests, &plain, &word);
	want_word = (strcmp(sh->field, "dst") ? EDGEFW_TK_SRC : EDGEFW_TK_DST) + sh->word;
	tap(dp->c.n_tree_rules > VF_RULES / 2 &&
		    (sh->want_forest ? forests == 1 && !plain && word == want_word
				     : !forests && plain == 1),
	    "IPv6 forests, %s: %zu rules in trees, %u IPv6 forests (want %u) over key word %u (want %u), %u plain IPv6 trees (want %u)",
	    sh->label, dp->c.n_tree_rules, forests, sh->want_forest ? 1 : 0, word,
	    sh->want_forest ? want_word : 0, plain, sh->want_forest ? 0 : 1);
	diff_run_tap(dp, VF_PACKETS, vf_next, x, &o, "IPv6 forests, %s", sh->label);
	dp->opts.prefer_trees = false;
}

void dp_test_v6_forests(struct dp *dp)
{
	const struct vf_shape shapes[] = {
		{ "service rules by destination /17-/128", "dst", false, true, 17, 0 },
		{ "rules by source /17-/128", "src", false, true, 17, 0 },
		{ "one site's rules, all in one /32", "dst", true, false, 17, 0 },
		/* All /48 or longer: the second word's first 16 bits differ
		 * more than the first word's (2000::/12). */
		{ "service rules by destination /48-/128", "dst", false, true, 48, 1 },
		{ "rules by source /48-/128", "src", false, true, 48, 1 },
		{ "one site's rules /48-/128, in one /32", "dst", true, true, 48, 1 },
	};
	struct vf_ctx x = { .rng = xorshift_seed(0x6f0e) };

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		x.sh = &shapes[i];
		vf_run(dp, &x);
	}
}
