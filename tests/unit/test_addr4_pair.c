// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pairs of a trie the chain shares with a forest (user/compiler/
 * addr4_pair.c), as the datapath reads them (kern/tree_walk.h,
 * tree_pair_root): one cell per pair, the chain's class in the lower half
 * and the forest's subtree in the upper half. Each half is checked against
 * a source that does not go through the pair: the chain's own trie (still
 * built for the field) and the forest's prefix table, longest match. A
 * compiler that swapped the halves, or dropped one, fails here even where
 * its own mirror (ef_pair_class, ef_pair_subtree) would agree with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "addr4.h"
#include "classify.h"
#include "ruleset.h"
#include "shared_trie_rules.h"

static const char rules[] =
	SHARED_TRIE_RULES "  - {name: m, src: 10.7.0.0/16, proto: udp, dport: 53, action: pass}\n";

/* The forest's subtree for address a by its own table, as a pair's upper
 * half holds it (EDGEFW_A4_NONE for none). */
static uint32_t forest_value(const struct ef_tree_info *t, const uint8_t a[16])
{
	uint32_t v = EDGEFW_A4_NONE;
	int best = -1;

	for (size_t i = 0; i < t->prefixes.n; i++) {
		const struct ef_prefix *p = &t->prefixes.v[i].prefix;

		if (p->len > best && ef_prefix_match(p, EF_AF_INET, a)) {
			best = p->len;
			v = t->prefixes.v[i].class_id;
		}
	}
	return v == EDGEFW_CLASS_NONE ? EDGEFW_A4_NONE : v;
}

static void test_pair_halves(void **state)
{
	static const char *const ifnames[] = { "eth0" };
	static const char *const probes[] = { "10.1.1.7", "10.1.1.200", "10.1.2.7",  "10.1.2.8",
					      "10.1.9.9", "10.2.0.1",   "10.7.3.3",  "10.255.0.0",
					      "11.1.1.7", "10.1.1.127", "10.1.1.128" };
	struct ef_compile_opts o = { .prefer_trees = true, .leaf_size = 4 };
	struct ef_ruleset rs;
	struct ef_compiled c;
	struct ef_diag d = {};
	unsigned both = 0;

	(void)state;
	assert_int_equal(ef_ruleset_parse("t.yaml", rules, strlen(rules), &rs, &d), 0);
	assert_int_equal(ef_compile_with(&rs, ifnames, 1, &o, &c, &d), 0);
	assert_true(c.n_trees >= 1 && c.trees[0].paired);
	assert_int_equal(c.pair_l1[EF_FIELD_SRC], c.trees[0].root);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint8_t a[16] = { 0 };
		uint32_t host, pair, chain;

		assert_int_equal(inet_pton(AF_INET, probes[i], a), 1);
		host = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		pair = ef_trie4_get(&c, c.pair_l1[EF_FIELD_SRC], host);
		chain = ef_trie4_get(&c, (size_t)EF_FIELD_SRC * EDGEFW_A4_L1_SIZE, host);
		if (pair == EDGEFW_CLASS_NONE) {
			/* No union prefix holds it: neither side has one. */
			assert_int_equal(chain, EDGEFW_CLASS_NONE);
			assert_int_equal(forest_value(&c.trees[0], a), EDGEFW_A4_NONE);
			continue;
		}
		assert_true(pair >= EDGEFW_L1_CELLS && pair < c.n_cells);
		assert_int_equal(c.cells[pair],
				 chain == EDGEFW_CLASS_NONE ? EDGEFW_A4_NONE : chain);
		assert_int_equal(ef_cell_hi(&c, pair), forest_value(&c.trees[0], a));
		assert_int_equal(ef_addr4_class(&c, EF_FIELD_SRC, a), chain);
		both += chain != EDGEFW_CLASS_NONE && ef_cell_hi(&c, pair) != EDGEFW_A4_NONE;
	}
	/* Probes where both halves hold something, else a swap could pass. */
	assert_true(both >= 3);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
	ef_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_halves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
