// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The lone forest's level-1 probe (kern/edgefw.h, edgefw_tree_root.probe;
 * kern/tree_walk.h, tree_probe_empty): a packet whose level-1 cell of the
 * family's only forest is empty skips the walk. The loader sets the flag
 * only where that cannot change a verdict (user/loader/l1.c,
 * ef_l1_probe): the forest's level 1 in global data, and no pair of a
 * shared trie that the chain reads.
 *
 * Rulesets: host routes by destination (a protocol and a port each) in one
 * forest, IPv4 and IPv6, the flag expected set; the same IPv4 rules after
 * a chain rule by destination (it names an interface, so the chain keeps
 * it, and the forest shares the chain's destination trie), the flag
 * expected clear. Packets: half in a rule's host, half random, so that a
 * good share lands in an empty level-1 cell (counted from the compiled
 * trie: the test would not exercise the probe otherwise). Every hook,
 * against the reference matcher.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "active.h"
#include "diff.h"
#include "xorshift.h"

#define FP_RULES 200
#define FP_PACKETS 3000

struct fp_case {
	const char *label;
	int family;       /* 4 or 6 */
	bool chain_reads; /* a chain rule by destination first */
	bool want_probe;
};

struct fp_ctx {
	uint64_t rng;
	const struct fp_case *fc;
	const struct ef_compiled *c;
	const struct ef_tree_info *forest; /* the family's only forest */
	uint8_t host[FP_RULES][16];
	uint16_t port[FP_RULES];
	uint8_t proto[FP_RULES];
	unsigned empty; /* packets whose level-1 cell is empty */
};

/* A random address: IPv4 in 10.0.0.0/8 past 10.1.0.0/16 (the chain
 * rule's), IPv6 in 2000::/12. */
static void fp_random(struct fp_ctx *x, uint8_t a[16])
{
	for (unsigned i = 0; i < 16; i++)
		a[i] = (uint8_t)xorshift_next(&x->rng);
	if (x->fc->family == 4) {
		a[0] = 10;
		if (a[1] == 1)
			a[1] = 2;
		dp_prefix_clear_past(a, 32);
		return;
	}
	a[0] = 0x20;
	a[1] &= 0x0f;
}

static char *fp_yaml(struct fp_ctx *x)
{
	static const uint16_t ports[] = { 22, 53, 80, 443, 8080 };
	size_t cap = 512 + FP_RULES * 160, at;
	char *y = dp_yaml_start(cap, &at);
	int af = x->fc->family == 4 ? AF_INET : AF_INET6;
	unsigned bits = x->fc->family == 4 ? 32 : 128;

	if (!y)
		return NULL;
	if (x->fc->chain_reads)
		at += (size_t)snprintf(y + at, cap - at,
				       "  - {name: c, interfaces: [" DP_IFNAME
				       "], dst: 10.1.0.0/16, proto: udp, action: drop}\n");
	for (unsigned i = 0; i < FP_RULES; i++) {
		fp_random(x, x->host[i]);
		x->port[i] = ports[xorshift_below(&x->rng, 5)];
		x->proto[i] = xorshift_below(&x->rng, 2) ? 6 : 17;
		dp_yaml_prefix_rule(y, cap, &at, i, "dst", af, x->host[i], bits, x->proto[i],
				    x->port[i]);
	}
	return y;
}

/* Whether the forest's level-1 cell for address a is empty, from the
 * compiled trie (the loader copies it to global data unchanged). */
static bool fp_l1_empty(const struct fp_ctx *x, const uint8_t a[16])
{
	unsigned w = x->forest->trie_word & 3;
	uint32_t word = (uint32_t)a[4 * w] << 24 | (uint32_t)a[4 * w + 1] << 16;

	return x->c->cells[x->forest->root + (word >> 16)] == EDGEFW_A4_NONE;
}

static void fp_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct fp_ctx *x = ctx;
	unsigned r = (unsigned)xorshift_below(&x->rng, FP_RULES);

	memset(s, 0, sizeof(*s));
	s->family = (uint8_t)x->fc->family;
	s->l4proto = x->proto[r];
	s->sport = 1234;
	s->dport = x->port[r];
	s->tcp_flags = 0x02;
	fp_random(x, s->saddr);
	if (i % 2)
		memcpy(s->daddr, x->host[r], 16);
	else
		fp_random(x, s->daddr);
	/* Some into the chain rule's /16 (udp: its protocol), each
	 * followed by a random one: a skipped walk would leave it this
	 * packet's class in the key. */
	if (x->fc->chain_reads && i % 4 == 1) {
		s->daddr[1] = 1;
		s->l4proto = 17;
	}
	x->empty += fp_l1_empty(x, s->daddr);
}

/* The loaded generation's root of the family's only tree, or NULL. */
static int fp_root(struct dp *dp, unsigned fam, struct edgefw_tree_root *out)
{
	struct ef_ruleset_state st;
	struct edgefw_gen_config cfg;
	int ret = ef_instance_read_state(&dp->inst, &st);

	if (!ret)
		ret = ef_gen_config_read(dp->inst.maps.data_active, st.gen, &cfg);
	if (ret)
		return ret;
	if (cfg.n_trees[fam] != 1)
		return -ENOENT;
	*out = cfg.trees[fam][0];
	return 0;
}

static void fp_run(struct dp *dp, struct fp_ctx *x)
{
	const struct fp_case *fc = x->fc;
	struct diff_opts o = { .label = fc->label, .per_packet_winner = true };
	uint8_t family = fc->family == 4 ? EF_AF_INET : EF_AF_INET6;
	struct edgefw_tree_root root = { 0 };
	char *yaml = fp_yaml(x);
	int ret;

	dp->opts.prefer_trees = true;
	ret = yaml ? dp_load_yaml(dp, yaml) : -1;
	free(yaml);
	tap(ret == 0, "forest probe, %s: the ruleset loads", fc->label);
	if (ret)
		goto out;
	x->c = &dp->c;
	x->forest = NULL;
	for (unsigned i = 0; i < dp->c.n_trees; i++)
		if (dp->c.trees[i].family == family && dp->c.trees[i].trie_word != EF_TREE_NO_TRIE)
			x->forest = &dp->c.trees[i];
	ret = fp_root(dp, fc->family == 6, &root);
	tap(!ret && x->forest && root.probe == fc->want_probe &&
		    (!fc->chain_reads || x->forest->paired),
	    "forest probe, %s: one forest%s, probe %u (want %u)", fc->label,
	    fc->chain_reads ? " sharing the chain's trie" : "", root.probe, fc->want_probe);
	if (!x->forest)
		goto out;
	x->empty = 0;
	diff_run_tap(dp, FP_PACKETS, fp_next, x, &o, "forest probe, %s", fc->label);
	tap(x->empty >= FP_PACKETS / 8,
	    "forest probe, %s: %u of %u packets in an empty level-1 cell (want >= %u)", fc->label,
	    x->empty, FP_PACKETS, FP_PACKETS / 8);
out:
	dp->opts.prefer_trees = false;
}

void dp_test_forest_probe(struct dp *dp)
{
	const struct fp_case cases[] = {
		{ "IPv4 host routes", 4, false, true },
		{ "IPv6 host routes", 6, false, true },
		{ "IPv4 host routes after a chain rule by destination", 4, true, false },
	};
	struct fp_ctx *x = calloc(1, sizeof(*x));

	if (!x) {
		tap(false, "forest probe: out of memory");
		return;
	}
	x->rng = xorshift_seed(0xf9b0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x->fc = &cases[i];
		fp_run(dp, x);
	}
	free(x);
}
