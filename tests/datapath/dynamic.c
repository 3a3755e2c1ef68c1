// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Dynamic sets and limits in the real programs (issue 16): random rulesets
 * whose rules name dynamic sets (with and without `not`) and carry
 * per-source limits, random set contents written through the loader's set
 * operations, and packets run through the XDP program. Each verdict must
 * be the reference matcher's (ef_match_dyn), with set membership read from
 * the same contents and limits modelled where they are deterministic: a
 * rate of 1/h refills nothing during the test, so a source's first BURST
 * packets a limit rule would decide are within and the rest over.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "dynsets.h"
#include "matcher.h"
#include "xorshift.h"

#define DYN_ROUNDS 40
#define DYN_PACKETS 120

static uint64_t rng = 0x64796e73657473ull;

static unsigned below(unsigned n)
{
	return (unsigned)(xorshift_next(&rng) % n);
}

struct model {
	uint8_t members[3];   /* sets s0-s2: which of 10.0.0.0-7 */
	unsigned burst[16];   /* per rule */
	unsigned used[16][9]; /* per rule and source 10.0.0.0-8 */
};

static bool member(void *arg, int32_t set, uint8_t family, const uint8_t addr[16])
{
	const struct model *m = arg;

	return family == EF_AF_INET && set >= 0 && set < 3 && addr[3] < 8 &&
	       (m->members[set] >> addr[3]) & 1;
}

static bool take(void *arg, int32_t rule, const struct ef_packet *pkt)
{
	struct model *m = arg;
	unsigned *u = &m->used[rule & 15][pkt->saddr[3] % 9];

	if (*u >= m->burst[rule & 15])
		return false;
	(*u)++;
	return true;
}

/* Rules named after the round, so no bucket of an earlier round applies. */
static int write_ruleset(char *buf, size_t len, unsigned round, struct model *m)
{
	static const char *const src[] = { "", "src: $s0, ", "src: $s1, ", "src: {not: $s2}, ",
					   "src: 10.0.0.2, " };
	static const char *const dst[] = { "", "", "dst: $s1, " };
	static const char *const port[] = { "", "proto: udp, dport: 1-2, ",
					    "proto: udp, dport: 2, " };
	unsigned n = 1 + below(8), limits = 0;
	size_t off = (size_t)snprintf(buf, len,
				      "version: 1\ndefaults: {xdp: pass}\nsets:\n"
				      "  s0: {dynamic: true}\n  s1: {dynamic: true}\n"
				      "  s2: {dynamic: true}\nrules:\n");

	for (unsigned i = 0; i < n; i++) {
		char lim[64] = "";

		m->burst[i] = 1 + below(3);
		if (limits < 4 && below(3) == 0) {
			snprintf(lim, sizeof(lim), "limit: {rate: 1/h, burst: %u, per: src}, ",
				 m->burst[i]);
			limits++;
		}
		off += (size_t)snprintf(buf + off, len - off,
					"  - {name: d%u-%u, %s%s%s%saction: %s}\n", round, i,
					src[below(5)], dst[below(3)], port[below(3)], lim,
					below(2) ? "drop" : "pass");
	}
	return 0;
}

static int fill_sets(struct dp *dp, struct model *m)
{
	static const char *const names[] = { "s0", "s1", "s2" };
	int ret = 0;

	for (int s = 0; s < 3 && !ret; s++) {
		struct ef_dynset set;
		size_t n;

		m->members[s] = (uint8_t)below(256);
		ret = ef_dynset_open(&dp->inst, names[s], &set);
		if (ret)
			return ret;
		ret = ef_dynset_flush(&set, &n);
		for (unsigned a = 0; a < 8 && !ret; a++) {
			struct ef_prefix p = { .family = EF_AF_INET,
					       .len = 32,
					       .addr = { 10, 0, 0, (uint8_t)a } };

			if ((m->members[s] >> a) & 1)
				ret = ef_dynset_add(&set, &p, 0);
		}
		ef_dynset_close(&set);
	}
	return ret;
}

static bool run_round(struct dp *dp, unsigned round, unsigned *runs)
{
	struct model m = { 0 };
	struct ef_dyn_view dv = { member, take, &m };
	char yaml[4096];

	write_ruleset(yaml, sizeof(yaml), round, &m);
	if (dp_load_yaml(dp, yaml) || fill_sets(dp, &m)) {
		diag("round %u: cannot load: %s", round, dp->error);
		return false;
	}
	for (unsigned i = 0; i < DYN_PACKETS; i++) {
		struct pkt_spec s = { .family = 4,
				      .l4proto = IPPROTO_UDP,
				      .sport = 5000,
				      .dport = (uint16_t)below(3),
				      .saddr = { 10, 0, 0, (uint8_t)below(9) },
				      .daddr = { 10, 0, 0, (uint8_t)below(9) } };
		struct ef_packet pk = { .family = EF_AF_INET,
					.l4proto = IPPROTO_UDP,
					.has_ports = true,
					.sport = s.sport,
					.dport = s.dport,
					.vlan = EF_VLAN_UNTAGGED,
					.hook = EDGEFW_HOOK_XDP };
		enum dp_verdict got, want;
		struct pkt p;
		int rule;

		memcpy(pk.saddr, s.saddr, 16);
		memcpy(pk.daddr, s.daddr, 16);
		pkt_build(&p, &s);
		rule = ef_match_dyn(&dp->rs, &pk, &dv);
		want = rule >= 0 && dp->rs.rules[rule].action == EDGEFW_ACT_DROP ? DP_DROP
										 : DP_PASS;
		got = dp_run(dp, EDGEFW_HOOK_XDP, &p);
		(*runs)++;
		if (got != want) {
			diag("round %u packet %u: 10.0.0.%u -> 10.0.0.%u dport %u: %s, the matcher says %s (rule %d)\n%s",
			     round, i, s.saddr[3], s.daddr[3], s.dport, dp_verdict_name(got),
			     dp_verdict_name(want), rule, yaml);
			return false;
		}
	}
	return true;
}

void dp_test_dynamic(struct dp *dp)
{
	unsigned bad = 0, runs = 0;

	for (unsigned r = 0; r < DYN_ROUNDS && bad < 3; r++)
		bad += !run_round(dp, r, &runs);
	tap(bad == 0,
	    "dynamic sets and limits: %d random rulesets x %d packets through XDP, verdicts equal the reference matcher's with the same set contents and a deterministic limit model (%u runs, %u rulesets differ)",
	    DYN_ROUNDS, DYN_PACKETS, runs, bad);
}
