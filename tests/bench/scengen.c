// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The benchmarks' generated scenarios: a source blocklist shaped after
 * FireHOL level 1 and service rules after it, from one fixed pseudo-random
 * sequence, so the micro benchmark (microbench.c) and the end-to-end one
 * (e2e/e2eprep.c, scripts/bench_e2e.sh) measure the same rulesets.
 */
#include "scengen.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listfile.h"

static uint64_t rng_state = 0x62656e6368ull;

uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "bench: out of memory\n");
		exit(2);
	}
	return p;
}

/* Realistic blocklist shape: mostly single addresses, some networks. */
void random_prefix(uint8_t family, struct ef_prefix *p)
{
	unsigned bits = family == EF_AF_INET ? 32 : 128;
	unsigned r = (unsigned)(rnd() % 100);

	memset(p, 0, sizeof(*p));
	p->family = family;
	for (unsigned i = 0; i < bits / 8; i++)
		p->addr[i] = (uint8_t)rnd();
	/* Shaped after FireHOL level 1: single addresses, /24s, shorter
	 * networks, and a few prefixes between /25 and /31. */
	if (family == EF_AF_INET) {
		p->addr[0] = (uint8_t)(1 + rnd() % 223);
		p->len = r < 60   ? 32
			 : r < 80 ? 24
			 : r < 95 ? (uint8_t)(16 + rnd() % 8)
			 : r < 99 ? (uint8_t)(8 + rnd() % 8)
				  : (uint8_t)(25 + rnd() % 7);
	} else {
		p->addr[0] = 0x20;
		p->addr[1] = (uint8_t)(rnd() & 0x0f);
		p->len = r < 60 ? 128 : r < 85 ? 64 : (uint8_t)(32 + rnd() % 32);
	}
	for (unsigned b = p->len; b < bits; b++)
		p->addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
}

void host_in(const struct ef_prefix *p, uint8_t out[16])
{
	unsigned bits = p->family == EF_AF_INET ? 32 : 128;

	memcpy(out, p->addr, 16);
	for (unsigned b = p->len; b < bits; b++)
		if (rnd() & 1)
			out[b / 8] |= (uint8_t)(0x80 >> (b % 8));
}

static const uint16_t dports[] = { 22, 25, 53, 80, 123, 443, 993, 3306, 5432, 6379, 8080, 8443 };

/* Rule 0 drops the blocklist; rules 1..n each allow or drop one service
 * (destination address, protocol, port); the default drops. */
int build_ruleset(const struct scenario *sc, struct ef_ruleset *rs, struct ef_prefix_list *block)
{
	struct ef_diag d = {};
	int ret = 0;

	memset(rs, 0, sizeof(*rs));
	memset(block, 0, sizeof(*block));
	if (sc->list) {
		ret = ef_listfile_load(sc->list, block, &d);
		ef_diag_free(&d);
		if (ret)
			return ret;
	} else {
		block->v = xcalloc(sc->prefixes, sizeof(*block->v));
		block->n = sc->prefixes;
		for (size_t i = 0; i < sc->prefixes; i++)
			random_prefix(sc->family, &block->v[i]);
	}
	rs->n_rules = 1 + sc->rules;
	rs->rules = xcalloc(rs->n_rules, sizeof(*rs->rules));
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		rs->default_action[h] = EDGEFW_ACT_DROP;
	rs->malformed_action = EDGEFW_ACT_DROP;
	rs->ext_overflow_action = EDGEFW_ACT_DROP;
	rs->encap_overflow_action = EDGEFW_ACT_DROP;
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct ef_rule *r = &rs->rules[i];
		uint8_t proto;

		snprintf(r->name, sizeof(r->name), "r%zu", i);
		r->hooks = EF_HOOKS_ALL;
		r->proto_any = true;
		r->src.any = r->dst.any = true;
		r->sport.any = r->dport.any = true;
		r->icmp_type = r->icmp_code = -1;
		r->vlan = EF_VLAN_ANY;
		r->action = EDGEFW_ACT_DROP;
		if (i == 0) {
			r->src.any = false;
			r->src.v = block->v;
			r->src.n = block->n;
			continue;
		}
		r->dst.any = false;
		r->dst.n = 1;
		r->dst.v = xcalloc(1, sizeof(*r->dst.v));
		random_prefix(sc->family, r->dst.v);
		r->dst.v->len = sc->family == EF_AF_INET ? 32 : 128;
		r->proto_any = false;
		proto = rnd() & 1 ? IPPROTO_TCP : IPPROTO_UDP;
		r->protos[proto / 8] |= (uint8_t)(1u << (proto % 8));
		r->dport.any = false;
		r->dport.n = 1;
		r->dport.v = xcalloc(1, sizeof(*r->dport.v));
		r->dport.v->lo = r->dport.v->hi = dports[rnd() % 12];
		r->action = rnd() & 1 ? EDGEFW_ACT_PASS : EDGEFW_ACT_DROP;
	}
	return 0;
}

void free_ruleset(struct ef_ruleset *rs, struct ef_prefix_list *block)
{
	for (size_t i = 1; i < rs->n_rules; i++) {
		free(rs->rules[i].dst.v);
		free(rs->rules[i].dport.v);
	}
	free(rs->rules);
	ef_prefix_list_free(block);
}
