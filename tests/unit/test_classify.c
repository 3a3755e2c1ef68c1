// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The compiler's tables, looked up the way the datapath does (longest
 * prefix, then the combination), must agree with the reference matcher. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "matcher.h"
#include "ruleset.h"

struct compiled {
	struct ef_ruleset rs;
	struct ef_compiled c;
};

static void compile(struct compiled *x, const char *yaml)
{
	struct ef_diag d = {};

	assert_int_equal(ef_ruleset_parse("t.yaml", yaml, strlen(yaml), &x->rs, &d), 0);
	assert_int_equal(ef_compile(&x->rs, NULL, 0, &x->c, &d), 0);
	ef_diag_free(&d);
}

static void release(struct compiled *x)
{
	ef_compiled_free(&x->c);
	ef_ruleset_free(&x->rs);
}

static void packet(struct ef_packet *p, const char *src, const char *dst)
{
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, src, p->saddr) == 1) {
		p->family = EF_AF_INET;
		assert_int_equal(inet_pton(AF_INET, dst, p->daddr), 1);
	} else {
		p->family = EF_AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, src, p->saddr), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, p->daddr), 1);
	}
}

static void expect_rule(const struct compiled *x, const char *src, const char *dst, int want)
{
	struct ef_packet p;

	packet(&p, src, dst);
	assert_int_equal(ef_match(&x->rs, &p), want);
	assert_int_equal(ef_compiled_lookup(&x->c, &p), want);
}

static void test_nested_prefixes(void **state)
{
	struct compiled x;

	(void)state;
	compile(&x, "version: 1\nrules:\n"
		    "  - {name: host, src: 10.1.2.3, action: pass}\n"
		    "  - {name: net8, src: 10.0.0.0/8, action: drop}\n"
		    "  - {name: net24, src: 10.1.2.0/24, dst: 192.0.2.0/24, action: pass}\n"
		    "  - {name: any, dst: 198.51.100.0/24, action: drop}\n");
	expect_rule(&x, "10.1.2.3", "192.0.2.1", 0);
	expect_rule(&x, "10.1.2.4", "192.0.2.1", 1); /* net8 before net24 */
	expect_rule(&x, "10.9.9.9", "198.51.100.1", 1);
	expect_rule(&x, "11.0.0.1", "198.51.100.1", 3);
	expect_rule(&x, "11.0.0.1", "192.0.2.1", -1);
	expect_rule(&x, "2001:db8::1", "2001:db8::2", -1);
	release(&x);
}

static void test_any_field_matches_both_families(void **state)
{
	struct compiled x;

	(void)state;
	compile(&x, "version: 1\nrules:\n"
		    "  - {name: v6only, src: '2001:db8::/32', action: drop}\n"
		    "  - {name: all, action: pass}\n");
	expect_rule(&x, "2001:db8::1", "2001:db8::2", 0);
	expect_rule(&x, "2001:db9::1", "2001:db8::2", 1);
	expect_rule(&x, "10.0.0.1", "10.0.0.2", 1);
	release(&x);
}

static void test_one_class_for_a_big_set(void **state)
{
	struct compiled x;
	size_t cap = 1 << 20, used = 0;
	char *yaml = malloc(cap);

	(void)state;
	assert_non_null(yaml);
	used += (size_t)snprintf(
		yaml, cap, "version: 1\nrules:\n  - name: block\n    action: drop\n    src:\n");
	for (int i = 0; i < 5000; i++)
		used += (size_t)snprintf(yaml + used, cap - used, "      - 10.%d.%d.0/24\n",
					 i / 256, i % 256);
	compile(&x, yaml);
	/* 5000 prefixes, one rule: one class, no chain. */
	assert_int_equal(x.c.lpm[EF_FIELD_SRC][EF_FAM_V4].n, 5000);
	assert_int_equal(x.c.n_leaf_classes[EDGEFW_DIM_SRC], 1);
	assert_int_equal(x.c.n_dims, 1);
	assert_int_equal(x.c.n_chain, 0);
	expect_rule(&x, "10.19.135.7", "1.1.1.1", 0);
	expect_rule(&x, "10.19.136.7", "1.1.1.1", -1);
	release(&x);
	free(yaml);
}

static void test_empty_ruleset(void **state)
{
	struct compiled x;

	(void)state;
	compile(&x, "version: 1\n");
	assert_int_equal(x.c.n_dims, 0);
	assert_int_equal(x.c.root_class, EDGEFW_CLASS_NONE);
	expect_rule(&x, "10.0.0.1", "10.0.0.2", -1);
	release(&x);
}

static void test_default_route_prefix(void **state)
{
	struct compiled x;

	(void)state;
	compile(&x, "version: 1\nrules:\n"
		    "  - {name: a, src: 10.0.0.0/8, dst: 0.0.0.0/0, action: drop}\n"
		    "  - {name: b, src: 0.0.0.0/0, action: pass}\n");
	expect_rule(&x, "10.0.0.1", "1.2.3.4", 0);
	expect_rule(&x, "11.0.0.1", "1.2.3.4", 1);
	expect_rule(&x, "2001:db8::1", "2001:db8::2", -1);
	release(&x);
}

/* Random rulesets over a few anchors, so prefixes nest and overlap. */
static uint64_t rng = 0x12345;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static void random_addr(uint8_t family, uint8_t addr[16], const uint8_t anchors[4][16])
{
	unsigned bits = family == EF_AF_INET ? 32 : 128;
	unsigned keep = (unsigned)(rnd() % (bits + 1));

	memcpy(addr, anchors[rnd() % 4], 16);
	for (unsigned b = keep; b < bits; b++)
		if (rnd() & 1)
			addr[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	if (family == EF_AF_INET)
		memset(addr + 4, 0, 12);
}

static void random_field(struct ef_addr_field *f, const uint8_t anchors[2][4][16])
{
	f->any = rnd() % 3 == 0;
	if (f->any)
		return;
	f->n = 1 + rnd() % 3;
	f->v = calloc(f->n, sizeof(*f->v));
	assert_non_null(f->v);
	for (size_t i = 0; i < f->n; i++) {
		struct ef_prefix *p = &f->v[i];
		unsigned bits;

		p->family = rnd() % 3 == 0 ? EF_AF_INET6 : EF_AF_INET;
		bits = p->family == EF_AF_INET ? 32 : 128;
		random_addr(p->family, p->addr, anchors[p->family == EF_AF_INET6]);
		p->len = (uint8_t)(rnd() % (bits + 1));
		for (unsigned b = p->len; b < bits; b++)
			p->addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
	}
}

static void test_random_against_reference(void **state)
{
	uint8_t anchors[2][4][16];
	unsigned checked = 0;

	(void)state;
	for (int f = 0; f < 2; f++)
		for (int a = 0; a < 4; a++)
			for (int b = 0; b < 16; b++)
				anchors[f][a][b] = (uint8_t)rnd();

	for (int round = 0; round < 300; round++) {
		struct ef_ruleset rs = { 0 };
		struct ef_compiled c;
		struct ef_diag d = {};

		rs.n_rules = 1 + rnd() % 24;
		rs.rules = calloc(rs.n_rules, sizeof(*rs.rules));
		assert_non_null(rs.rules);
		for (size_t i = 0; i < rs.n_rules; i++) {
			snprintf(rs.rules[i].name, sizeof(rs.rules[i].name), "r%zu", i);
			rs.rules[i].hooks = EF_HOOKS_ALL;
			rs.rules[i].proto_any = true;
			rs.rules[i].sport.any = rs.rules[i].dport.any = true;
			rs.rules[i].icmp_type = rs.rules[i].icmp_code = -1;
			rs.rules[i].vlan = EF_VLAN_ANY;
			rs.rules[i].action = (uint8_t)(rnd() % 2);
			random_field(&rs.rules[i].src, anchors);
			random_field(&rs.rules[i].dst, anchors);
		}
		assert_int_equal(ef_compile(&rs, NULL, 0, &c, &d), 0);
		for (int i = 0; i < 300; i++) {
			struct ef_packet p = { 0 };

			p.family = rnd() % 3 == 0 ? EF_AF_INET6 : EF_AF_INET;
			random_addr(p.family, p.saddr, anchors[p.family == EF_AF_INET6]);
			random_addr(p.family, p.daddr, anchors[p.family == EF_AF_INET6]);
			assert_int_equal(ef_compiled_lookup(&c, &p), ef_match(&rs, &p));
			checked++;
		}
		ef_compiled_free(&c);
		ef_ruleset_free(&rs);
		ef_diag_free(&d);
	}
	assert_int_equal(checked, 300 * 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_prefixes),
		cmocka_unit_test(test_any_field_matches_both_families),
		cmocka_unit_test(test_one_class_for_a_big_set),
		cmocka_unit_test(test_empty_ruleset),
		cmocka_unit_test(test_default_route_prefix),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
