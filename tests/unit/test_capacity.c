// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The sizing of an instance's maps from the ruleset it holds: headroom,
 * floors, maxima, growth by at least doubling, and the connection table
 * small for a stateless ruleset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "capacity.h"
#include "edgefw.h"

/* What 10 stateless rules of one address field compile to. */
static const struct ef_needs ten_rules = { .cells = 262274, .classes = 30, .rules = 10 };

static void test_small_ruleset(void **state)
{
	struct ef_capacity c;

	(void)state;
	ef_capacity_for(&ten_rules, 1u << 18, &c);
	/* The level-1 tables (global data, not in the cells map) and the
	 * map's part with an eighth more, rounded to 4k cells: 130 -> 4096. */
	assert_int_equal(c.cells, EDGEFW_L1_CELLS + 4096);
	assert_int_equal(c.classes, 1024); /* the floor */
	assert_int_equal(c.tnodes, 1024);
	assert_int_equal(c.tleaves, 1024);
	assert_int_equal(c.chain, 1024);
	assert_int_equal(c.host6, 1024);
	assert_int_equal(c.rules, 64); /* the floor of the per-rule tables */
	/* Stateless: the smallest connection table, whatever ct_size says. */
	assert_int_equal(c.ct, EDGEFW_CT_MIN);
	assert_true(ef_capacity_fits(&c, &ten_rules, 1u << 18));
	/* Well under the 8 MiB a 10-rule instance may lock in all. */
	assert_true(ef_capacity_bytes(&c) < 4u << 20);
}

static void test_headroom_and_maxima(void **state)
{
	struct ef_needs n = { .cells = 5000000,
			      .classes = 30000,
			      .chain = 100000,
			      .host6 = 4000,
			      .tnodes = 70000,
			      .tleaves = 80000 };
	struct ef_needs huge = { .cells = EDGEFW_CELLS_MAX,
				 .classes = EDGEFW_MAX_CLASSES,
				 .chain = EDGEFW_CHAIN_MAX };
	struct ef_capacity c;

	(void)state;
	ef_capacity_for(&n, 0, &c);
	/* Headroom on the map's part only: the level-1 tables are fixed. */
	assert_true(c.cells - EDGEFW_L1_CELLS >= (n.cells - EDGEFW_L1_CELLS) / 8 * 9 &&
		    (c.cells - EDGEFW_L1_CELLS) % 4096 == 0);
	assert_true(c.classes >= 33750 && c.classes < 33750 + 1024);
	assert_true(c.chain >= 112500 && c.chain % 1024 == 0);
	assert_true(c.host6 >= 4500);
	assert_true(c.tnodes >= 78750 && c.tleaves >= 90000);
	assert_true(ef_capacity_fits(&c, &n, 0));
	/* Never past a maximum the datapath or the compiler sets. */
	ef_capacity_for(&huge, 0, &c);
	assert_int_equal(c.cells, EDGEFW_CELLS_MAX);
	assert_int_equal(c.classes, EDGEFW_MAX_CLASSES);
	assert_int_equal(c.chain, EDGEFW_CHAIN_MAX);
}

static void test_grow(void **state)
{
	struct ef_capacity have, next;
	struct ef_needs n = ten_rules;

	(void)state;
	ef_capacity_for(&ten_rules, 0, &have);
	/* A little more than the room: the map's part at least doubled,
	 * not +25% (and not the level-1 tables, which it does not hold). */
	n.cells = have.cells + 1;
	assert_false(ef_capacity_fits(&have, &n, 0));
	ef_capacity_grow(&have, &n, 0, &next);
	assert_int_equal(next.cells, EDGEFW_L1_CELLS + 2 * (have.cells - EDGEFW_L1_CELLS));
	assert_int_equal(next.classes, have.classes); /* untouched */
	/* Far more: the fresh size with its headroom. */
	n.cells = 5000000;
	n.chain = 30000;
	ef_capacity_grow(&have, &n, 0, &next);
	assert_true(next.cells >= EDGEFW_L1_CELLS + (5000000 - EDGEFW_L1_CELLS) / 8 * 9);
	assert_true(next.chain >= 33750);
	assert_int_equal(next.host6, have.host6);
	assert_true(ef_capacity_fits(&next, &n, 0));
	/* Never shrinks for a smaller ruleset. */
	ef_capacity_grow(&next, &ten_rules, 0, &have);
	assert_int_equal(have.cells, next.cells);
	assert_true(ef_capacity_fits(&next, &ten_rules, 0));
}

static void test_tracking(void **state)
{
	struct ef_needs n = ten_rules;
	struct ef_capacity have, next;

	(void)state;
	ef_capacity_for(&ten_rules, 1u << 18, &have);
	n.tracks = true;
	/* The first stateful ruleset grows the table to its size... */
	assert_false(ef_capacity_fits(&have, &n, 1u << 18));
	ef_capacity_grow(&have, &n, 1u << 18, &next);
	assert_int_equal(next.ct, 1u << 18);
	assert_true(ef_capacity_fits(&next, &n, 1u << 18));
	/* ...and a stateless one later keeps it (flows outlive rulesets). */
	assert_true(ef_capacity_fits(&next, &ten_rules, 1u << 18));
	/* An operator's smallest size is not a reason to grow forever. */
	assert_true(ef_capacity_fits(&have, &n, EDGEFW_CT_MIN));
	/* Out-of-range sizes are clamped. */
	ef_capacity_for(&n, 1u << 30, &next);
	assert_int_equal(next.ct, EDGEFW_CT_MAX);
}

static void test_limits(void **state)
{
	struct ef_needs n = ten_rules;
	struct ef_capacity have, next;

	(void)state;
	/* No limit: the idle table, which no program reads. */
	ef_capacity_for(&ten_rules, 0, &have);
	assert_int_equal(have.limit_slots, EF_LIMIT_IDLE_SLOTS);
	/* The first limit grows it to the table the slot hash masks for... */
	n.limits = true;
	assert_false(ef_capacity_fits(&have, &n, 0));
	ef_capacity_grow(&have, &n, 0, &next);
	assert_int_equal(next.limit_slots, EDGEFW_LIMIT_SLOTS);
	assert_int_equal(next.cells, have.cells); /* nothing else */
	assert_true(ef_capacity_bytes(&next) - ef_capacity_bytes(&have) >=
		    (size_t)(EDGEFW_LIMIT_SLOTS - EF_LIMIT_IDLE_SLOTS) *
			    sizeof(struct edgefw_limit_bucket));
	/* ...and buckets outlive the ruleset: no shrinking back. */
	assert_true(ef_capacity_fits(&next, &ten_rules, 0));
	ef_capacity_for(&n, 0, &have);
	assert_int_equal(have.limit_slots, EDGEFW_LIMIT_SLOTS);
}

static void test_rule_slots(void **state)
{
	struct ef_needs n = ten_rules;
	struct ef_capacity have, next;

	(void)state;
	ef_capacity_for(&ten_rules, 0, &have);
	/* 10,000 rules: an eighth more, rounded to 64, not the format's
	 * 65,536 slots. */
	n.rules = 10000;
	ef_capacity_for(&n, 0, &next);
	assert_int_equal(next.rules, 11264);
	/* Growing from 64 slots: the fresh size (more than twice 64). */
	assert_false(ef_capacity_fits(&have, &n, 0));
	ef_capacity_grow(&have, &n, 0, &next);
	assert_int_equal(next.rules, 11264);
	assert_int_equal(next.cells, have.cells); /* nothing else */
	/* One slot more than held: doubled. */
	n.rules = 11265;
	ef_capacity_grow(&next, &n, 0, &have);
	assert_int_equal(have.rules, 2 * 11264);
	/* Never past the format's limit, never shrunk. */
	n.rules = EDGEFW_MAX_RULES;
	ef_capacity_grow(&have, &n, 0, &next);
	assert_int_equal(next.rules, EDGEFW_MAX_RULES);
	assert_true(ef_capacity_fits(&next, &ten_rules, 0));
	assert_true(ef_capacity_bytes(&next) > ef_capacity_bytes(&have));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_ruleset), cmocka_unit_test(test_headroom_and_maxima),
		cmocka_unit_test(test_grow),          cmocka_unit_test(test_tracking),
		cmocka_unit_test(test_limits),        cmocka_unit_test(test_rule_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
