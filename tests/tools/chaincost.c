// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * chaincost: the cells the chain's address tries read per packet in the
 * micro benchmark's generated scenarios, counted from the compiled tables
 * by walking them as kern/classifier.h does (a4_class, a6_class).
 *
 *   chaincost
 *
 * Builds the rulesets and flows of microbench --scenarios "10 rules,v6 10
 * rules,100k prefixes + 10k rules,v6 100k prefixes + 10k rules" from the
 * same pseudo-random sequence in the same order (tests/bench/scengen.c,
 * microbench.c's build_flows), compiles the two 100k + 10k ones, and for
 * each prints per address field the mean reads per flow: the level-1
 * cell, the chunk cells by the bits they end at (a wide chunk ends 8 bits
 * further, kern/edgefw.h EDGEFW_A4_WIDE), skip-node cells (a folded node:
 * none when the cell's upper half decides, else two), and the flows that
 * reach a hash probe or the LPM trie; then the IPv6 wide chunks by
 * level, the cells, their upper halves and the compiler's memory
 * estimate.
 * Both fields are counted for every flow (the datapath may stop before
 * the second).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr4.h"
#include "classify.h"
#include "scengen.h"

#define N_FLOWS 4096 /* microbench.c's */
#define MAX_CHUNKS 8

struct flow {
	uint8_t saddr[16], daddr[16];
};

struct count {
	double l1, chunk[MAX_CHUNKS], node, probe, wide;
};

/* The flows as microbench.c's build_flows draws them (addresses only). */
static void gen_flows(const struct scenario *sc, const struct ef_ruleset *rs, struct flow *fl)
{
	for (size_t i = 0; i < N_FLOWS; i++) {
		struct ef_prefix p;

		random_prefix(sc->family, &p);
		host_in(&p, fl[i].saddr);
		random_prefix(sc->family, &p);
		host_in(&p, fl[i].daddr);
		if (i % 4 == 0) {
			const struct ef_addr_field *f = &rs->rules[0].src;

			host_in(&f->v[rnd() % f->n], fl[i].saddr);
		} else if (i % 4 == 1 && rs->n_rules > 1) {
			const struct ef_rule *r = &rs->rules[1 + rnd() % (rs->n_rules - 1)];

			host_in(r->dst.v, fl[i].daddr);
		}
	}
}

/* Bits 16-47 of address a (network order). */
static uint32_t bits16(const uint8_t *a)
{
	return (uint32_t)a[2] << 24 | (uint32_t)a[3] << 16 | (uint32_t)a[4] << 8 | a[5];
}

/* One address's walk down a chain trie, as kern/classifier.h's: rem bits
 * (16 for IPv4, 32 for IPv6) after the level-1 cell. */
static void walk(const struct ef_compiled *c, size_t l1, const uint8_t *a, unsigned rem,
		 uint32_t mask, struct count *k)
{
	size_t idx = l1 + ((size_t)a[0] << 8 | a[1]);
	uint32_t v = c->cells[idx], x = bits16(a), hi;
	unsigned total = rem;

	k->l1++;
	while (rem && (v & EDGEFW_SKIP) == EDGEFW_A4_CHUNK) {
		unsigned w = v & EDGEFW_A4_WIDE ? 8 : 4;

		rem -= w;
		k->wide += w == 8;
		idx = (v & mask) + ((x >> (rem + 32 - total)) & ((1u << w) - 1));
		v = c->cells[idx];
		k->chunk[(total - rem) / 4 - 1]++;
	}
	hi = ef_cell_hi(c, idx);
	if ((v & EDGEFW_SKIP) == EDGEFW_SKIP) {
		/* Folded: the upper half decides bits 16-31 (IPv4: all). */
		if (!hi)
			k->node += 3;
		else if (total == 32 && !((bits16(a) >> 16 ^ hi) & EDGEFW_LONE_ADDR))
			k->node += 2;
	} else if (total == 32 && (v & (EDGEFW_A6_HOST | EDGEFW_A6_LONGER))) {
		k->probe++;
	}
}

/* The wide chunks below cell (rem bits still to read after it), by the
 * bit their cells end at (w[rem / 4]). */
static void wide_by_level(const struct ef_compiled *c, size_t cell, unsigned rem, unsigned *w)
{
	uint32_t v = c->cells[cell];
	unsigned step = v & EDGEFW_A4_WIDE ? 8 : 4;

	if ((v & EDGEFW_SKIP) != EDGEFW_A4_CHUNK || rem < step)
		return;
	w[rem / 4] += step == 8;
	for (size_t i = 0; i < 1u << step; i++)
		wide_by_level(c, (v & EDGEFW_A6_VALUE) + i, rem - step, w);
}

static void count_wide(const struct ef_compiled *c)
{
	unsigned w[9] = {};

	for (size_t i = 0; i < EF_FIELD_COUNT * EDGEFW_A4_L1_SIZE; i++)
		wide_by_level(c, EDGEFW_A6_L1_BASE + i, 32, w);
	printf("  IPv6 wide chunks by the bits they index:");
	for (unsigned r = 8; r >= 2; r--)
		printf(" %u-%u: %u", 48 - 4 * r, 55 - 4 * r, w[r]);
	printf("\n");
}

static void count_cells(const struct ef_compiled *c, uint8_t family, const struct flow *fl)
{
	bool v6 = family == EF_AF_INET6;

	for (uint8_t f = 0; f < 2; f++) {
		struct count k = {};

		for (size_t i = 0; i < N_FLOWS; i++) {
			const uint8_t *a = f ? fl[i].daddr : fl[i].saddr;

			if (v6)
				walk(c, EDGEFW_A6_L1_BASE + (size_t)f * EDGEFW_A4_L1_SIZE, a, 32,
				     EDGEFW_A6_VALUE, &k);
			else
				walk(c, (size_t)f * EDGEFW_A4_L1_SIZE, a, 16, EDGEFW_A4_INDEX, &k);
		}
		printf("  %s: level-1 %.2f, chunks ending at bit", f ? "dst" : "src",
		       k.l1 / N_FLOWS);
		for (unsigned l = 0; l < (v6 ? 8u : 4u); l++)
			printf(" %u: %.3f", 20 + 4 * l, k.chunk[l] / N_FLOWS);
		printf(" (wide reads %.3f); node cells %.3f (unfolded counted 3); probes %.3f\n",
		       k.wide / N_FLOWS, k.node / N_FLOWS, k.probe / N_FLOWS);
	}
	if (v6)
		count_wide(c);
	printf("  cells %zu, upper halves %zu, the compiler's memory estimate %.1f MiB\n",
	       c->n_cells, c->n_cells_hi, (double)ef_compiled_memory(c) / (1 << 20));
}

int main(void)
{
	static const char *const ifnames[] = { "lo" };
	const struct scenario set[] = {
		{ "10 rules", EF_AF_INET, 10, 9, NULL },
		{ "v6 10 rules", EF_AF_INET6, 10, 9, NULL },
		{ "100k prefixes + 10k rules", EF_AF_INET, 100000, 10000, NULL },
		{ "v6 100k prefixes + 10k rules", EF_AF_INET6, 100000, 10000, NULL },
	};
	struct flow *fl = xcalloc(N_FLOWS, sizeof(*fl));

	for (size_t s = 0; s < sizeof(set) / sizeof(*set); s++) {
		struct ef_prefix_list block;
		struct ef_ruleset rs;
		struct ef_compiled c;
		struct ef_diag d = {};

		if (build_ruleset(&set[s], &rs, &block))
			return 2;
		if (ef_compile(&rs, ifnames, 1, &c, &d)) {
			ef_diag_print(&d, stderr);
			return 2;
		}
		gen_flows(&set[s], &rs, fl);
		printf("%s:\n", set[s].name);
		count_cells(&c, set[s].family, fl);
		ef_compiled_free(&c);
		free_ruleset(&rs, &block);
	}
	free(fl);
	return 0;
}
