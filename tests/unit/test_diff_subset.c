// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rules that can decide packets near a base (user/compiler/diff_subset.h):
 * which rules it keeps, and that the reference matcher decides every packet
 * one dimension away from the base the same over the subset as over the
 * whole ruleset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff_subset.h"
#include "matcher.h"
#include "rules_names.h"
#include "ruleset.h"

/* Base: tcp 10.1.1.1:1234 -> 192.0.2.1:22. */
#define RULES                                                                                          \
	"version: 1\n"                                                                                 \
	"rules:\n"                                                                                     \
	"  - {name: src-miss, src: 11.0.0.0/8, dst: 192.0.2.1, proto: tcp, dport: 22, action: drop}\n" \
	"  - {name: two-miss, src: 11.0.0.0/8, dst: 192.0.2.99, proto: tcp, action: drop}\n"           \
	"  - {name: udp, src: 10.0.0.0/8, proto: udp, action: drop}\n"                                 \
	"  - {name: port-miss, dst: 192.0.2.0/24, proto: tcp, dport: 20-21, action: pass}\n"           \
	"  - {name: v6, src: 2001:db8::/32, action: drop}\n"                                           \
	"  - {name: egress, hooks: [tc-egress], action: drop}\n"                                       \
	"  - {name: ports-miss, proto: tcp, sport: 1-1000, dport: 23-30, action: drop}\n"              \
	"  - {name: hit, src: 10.0.0.0/8, proto: tcp, dport: 1-1024, action: pass}\n"                  \
	"  - {name: any, action: drop}\n"

static const char *const kept[] = { "src-miss", "port-miss", "hit", "any" };

static void parse(const char *yaml, struct ef_ruleset *rs)
{
	struct ef_diag d = { 0 };

	if (ef_ruleset_parse("t.yaml", yaml, strlen(yaml), rs, &d)) {
		ef_diag_print(&d, stderr);
		fail_msg("does not parse:\n%s", yaml);
	}
	ef_diag_free(&d);
}

static void base_packet(struct ef_packet *p)
{
	static const uint8_t src[4] = { 10, 1, 1, 1 }, dst[4] = { 192, 0, 2, 1 };

	memset(p, 0, sizeof(*p));
	p->family = EF_AF_INET;
	memcpy(p->saddr, src, 4);
	memcpy(p->daddr, dst, 4);
	p->l4proto = EF_PROTO_TCP;
	p->has_ports = true;
	p->sport = 1234;
	p->dport = 22;
	p->has_tcp_flags = true;
	p->tcp_flags = 0x02;
	p->hook = EDGEFW_HOOK_XDP;
	p->vlan = EF_VLAN_UNTAGGED;
	p->ct_state = ef_ct_untracked_state(p);
}

static void test_keeps_rules_one_dimension_away(void **state)
{
	struct ef_ruleset rs;
	struct ef_rule_subset s;
	struct ef_packet base;
	const struct ef_ruleset *v;
	/* Padding that no tcp packet matches, so that the subset stays
	 * under half of the ruleset. */
	char *yaml = malloc(strlen(RULES) + 64 * 80);
	size_t len = strlen(RULES);

	(void)state;
	assert_non_null(yaml);
	memcpy(yaml, RULES, len + 1);
	for (int i = 0; i < 64; i++)
		len += (size_t)sprintf(yaml + len,
				       "  - {name: pad%d, proto: udp, dport: %d, action: drop}\n",
				       i, 1000 + i);
	parse(yaml, &rs);
	base_packet(&base);
	assert_int_equal(ef_rule_subset_init(&s, &rs), 0);
	v = ef_rule_subset_near(&s, &base);
	assert_ptr_not_equal(v, &rs);
	assert_int_equal(v->n_rules, sizeof(kept) / sizeof(kept[0]));
	for (size_t i = 0; i < v->n_rules; i++)
		assert_string_equal(v->rules[i].name, kept[i]);
	assert_int_equal(v->default_action[EDGEFW_HOOK_XDP], rs.default_action[EDGEFW_HOOK_XDP]);
	ef_rule_subset_free(&s);
	ef_ruleset_free(&rs);
	free(yaml);
}

static void expect_same(const struct ef_ruleset *full, const struct ef_ruleset *sub,
			const struct ef_packet *p)
{
	struct ef_decision a = ef_decide(full, p), b = ef_decide(sub, p);

	assert_int_equal(a.action, b.action);
	assert_int_equal(a.by, b.by);
	if (a.by == EF_BY_RULE)
		assert_string_equal(full->rules[a.rule].name, sub->rules[b.rule].name);
}

/* Every packet one dimension away from the base, over values around each
 * rule's edges: the subset decides it as the whole ruleset does. */
static void test_decides_as_the_whole(void **state)
{
	static const uint8_t addrs[][4] = { { 10, 1, 1, 1 },       { 11, 0, 0, 0 },
					    { 11, 255, 255, 255 }, { 9, 255, 255, 255 },
					    { 192, 0, 2, 1 },      { 192, 0, 2, 99 },
					    { 192, 0, 2, 255 },    { 192, 0, 3, 0 },
					    { 0, 0, 0, 0 } };
	static const uint16_t ports[] = { 0,  1,  19,   20,   21,   22,   23,
					  30, 31, 1000, 1001, 1024, 1025, 65535 };
	struct ef_ruleset rs;
	struct ef_rule_subset s;
	struct ef_packet base, p;
	const struct ef_ruleset *v;

	(void)state;
	parse(RULES, &rs);
	base_packet(&base);
	assert_int_equal(ef_rule_subset_init(&s, &rs), 0);
	/* Nine rules, four kept: more than half would give the whole set. */
	v = ef_rule_subset_near(&s, &base);
	assert_ptr_not_equal(v, &rs);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		p = base;
		memcpy(p.saddr, addrs[i], 4);
		expect_same(&rs, v, &p);
		p = base;
		memcpy(p.daddr, addrs[i], 4);
		expect_same(&rs, v, &p);
	}
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		p = base;
		p.sport = ports[i];
		expect_same(&rs, v, &p);
		p = base;
		p.dport = ports[i];
		expect_same(&rs, v, &p);
	}
	ef_rule_subset_free(&s);
	ef_ruleset_free(&rs);
}

/* A base that most rules match: copying them would cost more than it
 * saves, so the whole ruleset is used. */
static void test_whole_when_most_match(void **state)
{
	struct ef_ruleset rs;
	struct ef_rule_subset s;
	struct ef_packet base;

	(void)state;
	parse("version: 1\nrules:\n"
	      "  - {name: a, proto: tcp, action: pass}\n"
	      "  - {name: b, dport: 22, proto: tcp, action: pass}\n"
	      "  - {name: c, action: drop}\n",
	      &rs);
	base_packet(&base);
	assert_int_equal(ef_rule_subset_init(&s, &rs), 0);
	assert_ptr_equal(ef_rule_subset_near(&s, &base), &rs);
	ef_rule_subset_free(&s);
	ef_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_rules_one_dimension_away),
		cmocka_unit_test(test_decides_as_the_whole),
		cmocka_unit_test(test_whole_when_most_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
