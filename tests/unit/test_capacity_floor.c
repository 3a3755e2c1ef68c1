// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The capacity an operator fixes up front: `--capacity RESOURCE=N,...`
 * and `daemon.capacity` parsed and refused with precise messages (FILE:
 * LINE:COL for the config), and the floor applied to what the loader
 * creates and grows: raised to, never lowered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "capacity_floor.h"
#include "capacity_spec.h"
#include "edgefw.h"
#include "ruleset.h"
#include "ruletest.h"

static void expect_spec_error(const char *text, const char *why)
{
	struct ef_capacity_spec s = { { 0 } };
	char err[256] = "";

	assert_int_equal(ef_capacity_spec_parse(text, &s, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("--capacity %s: want \"%s\" in \"%s\"", text, why, err);
	/* Refused whole: nothing of it taken. */
	for (int r = 0; r < EF_CAP_COUNT; r++)
		assert_int_equal(s.floor[r], 0);
}

static void test_spec_parse(void **state)
{
	struct ef_capacity_spec s = { { 0 } };
	char err[256] = "";

	(void)state;
	assert_int_equal(
		ef_capacity_spec_parse("cells=2097152,tree-nodes=4096", &s, err, sizeof(err)), 0);
	assert_int_equal(s.floor[EF_CAP_CELLS], 2097152);
	assert_int_equal(s.floor[EF_CAP_TREE_NODES], 4096);
	assert_int_equal(s.floor[EF_CAP_CLASSES], 0);
	/* A second --capacity adds to the first, and may restate a key. */
	assert_int_equal(ef_capacity_spec_parse("classes=65536,ipv6-hosts=8192,cells=1", &s, err,
						sizeof(err)),
			 0);
	assert_int_equal(s.floor[EF_CAP_CELLS], 1);
	assert_int_equal(s.floor[EF_CAP_CLASSES], 65536);
	assert_int_equal(s.floor[EF_CAP_IPV6_HOSTS], 8192);
	assert_int_equal(s.floor[EF_CAP_TREE_NODES], 4096);
	for (int r = 0; r < EF_CAP_COUNT; r++) {
		char max[64];

		snprintf(max, sizeof(max), "%s=%u", ef_cap_key((enum ef_cap_res)r),
			 ef_cap_max((enum ef_cap_res)r));
		assert_int_equal(ef_capacity_spec_parse(max, &s, err, sizeof(err)), 0);
		assert_int_equal(ef_cap_lookup(ef_cap_key((enum ef_cap_res)r)), r);
	}
	assert_int_equal(ef_cap_max(EF_CAP_CELLS), EDGEFW_CELLS_MAX);

	expect_spec_error("", "give RESOURCE=NUMBER");
	expect_spec_error("cells", "give RESOURCE=NUMBER");
	expect_spec_error("cells=1,classes", "'classes' is not RESOURCE=NUMBER");
	expect_spec_error(
		"cell=100",
		"unknown resource 'cell' (did you mean 'cells'?): use cells, classes, tree-nodes, tree-leaf-entries, hashed-pairs, ipv6-hosts");
	expect_spec_error("flows=100", "unknown resource 'flows': use cells");
	expect_spec_error("cells=0",
			  "cells '0' is not a number of address trie cells from 1 to 33554432");
	expect_spec_error("cells=33554433", "from 1 to 33554432");
	expect_spec_error("classes=012", "classes '012' is not a number");
	expect_spec_error("tree-nodes=1k",
			  "tree-nodes '1k' is not a number of decision-tree nodes");
	expect_spec_error("hashed-pairs=", "hashed-pairs '' is not a number of hashed pairs");
	expect_spec_error("cells=5,classes=9,cells=6", "cells is given twice");
}

static void test_config(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\n"
		  "daemon:\n"
		  "  capacity:\n"
		  "    cells: 4194304\n"
		  "    tree-leaf-entries: 131072\n"
		  "    hashed-pairs: 2048\n");
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.daemon.capacity.floor[EF_CAP_CELLS], 4194304);
	assert_int_equal(p.rs.daemon.capacity.floor[EF_CAP_TREE_LEAVES], 131072);
	assert_int_equal(p.rs.daemon.capacity.floor[EF_CAP_HASHED_PAIRS], 2048);
	assert_int_equal(p.rs.daemon.capacity.floor[EF_CAP_CLASSES], 0);
	done(&p);
	parse(&p, "version: 1\n");
	assert_int_equal(p.ret, 0);
	for (int r = 0; r < EF_CAP_COUNT; r++)
		assert_int_equal(p.rs.daemon.capacity.floor[r], 0);
	done(&p);
	expect_clean("version: 1\ndaemon: {capacity: {}}\n");
	expect_error(
		"version: 1\ndaemon:\n  capacity:\n    cells: 0\n", 4, 12,
		"capacity: cells '0' is not a number of address trie cells from 1 to 33554432");
	expect_error(
		"version: 1\ndaemon:\n  capacity:\n    classes: 4194305\n", 4, 14,
		"capacity: classes '4194305' is not a number of chain classes from 1 to 4194304");
	expect_error("version: 1\ndaemon:\n  capacity:\n    cell: 5\n", 4, 5,
		     "unknown key 'cell' in daemon.capacity; did you mean 'cells'?");
	expect_error("version: 1\ndaemon:\n  capacity: 2097152\n", 3, 13,
		     "capacity must be a mapping, not a scalar");
	expect_error("version: 1\ndaemon:\n  capacity:\n    cells: [1]\n", 4, 12,
		     "cells must be a scalar, not a sequence");
	expect_error(
		"version: 1\ndaemon: {capacity: {ipv6-hosts: -1}}\n", 2, 33,
		"capacity: ipv6-hosts '-1' is not a number of hashed IPv6 prefixes from 1 to 524288");
}

static void test_floor_raises(void **state)
{
	struct ef_capacity_spec s = { { 0 } };
	struct ef_capacity c = { .cells = 299008,
				 .classes = 1024,
				 .tnodes = 1024,
				 .tleaves = 1024,
				 .chain = 1024,
				 .host6 = 1024,
				 .ct = EDGEFW_CT_MIN,
				 .limit_slots = 2 };
	struct ef_capacity before = c;
	struct ef_needs n = {
		.cells = 1, .classes = 2, .tnodes = 3, .tleaves = 4, .chain = 5, .host6 = 6
	};

	(void)state;
	/* No floor: nothing changes. */
	ef_instance_set_capacity_floor(&s);
	ef_capacity_floor_raise(&c);
	assert_true(ef_capacity_equal(&c, &before));
	/* Raised where smaller, kept where larger. */
	s.floor[EF_CAP_CELLS] = 2097152;
	s.floor[EF_CAP_CLASSES] = 100;
	s.floor[EF_CAP_IPV6_HOSTS] = 4096;
	ef_instance_set_capacity_floor(&s);
	ef_capacity_floor_raise(&c);
	assert_int_equal(c.cells, 2097152);
	assert_int_equal(c.classes, 1024);
	assert_int_equal(c.host6, 4096);
	assert_int_equal(c.tnodes, 1024);
	assert_int_equal(c.ct, EDGEFW_CT_MIN);
	assert_int_equal(c.limit_slots, 2);
	assert_false(ef_capacity_equal(&c, &before));
	for (int r = 0; r < EF_CAP_COUNT; r++)
		assert_int_equal(ef_needs_get(&n, (enum ef_cap_res)r), r + 1);
	assert_int_equal(ef_capacity_get(&c, EF_CAP_IPV6_HOSTS), 4096);
	assert_int_equal(ef_capacity_get(&c, EF_CAP_HASHED_PAIRS), 1024);
	s = (struct ef_capacity_spec){ { 0 } };
	ef_instance_set_capacity_floor(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_floor_raises),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
