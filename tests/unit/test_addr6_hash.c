// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Which IPv6 prefix lengths past /48 the exact-match hash holds
 * (user/compiler/addr6_hash.c): all of them when they are few, else the
 * longest ones while each is common; never a length below one left to the
 * LPM trie. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "addr6_hash.h"

/* A table whose entries have the given lengths, each count[i] times. */
static void table(struct ef_lpm_table *t, const unsigned *lens, const unsigned *count, size_t n)
{
	size_t at = 0, total = 0;

	for (size_t i = 0; i < n; i++)
		total += count[i];
	t->v = calloc(total, sizeof(*t->v));
	assert_non_null(t->v);
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < count[i]; k++)
			t->v[at++].prefix.len = (uint8_t)lens[i];
	t->n = total;
}

static void expect(const unsigned *lens, const unsigned *count, size_t n,
		   const uint8_t want[EDGEFW_A6_HASH_LENS])
{
	struct ef_lpm_table t;
	uint8_t got[EDGEFW_A6_HASH_LENS];

	table(&t, lens, count, n);
	ef_hash6_choose(&t, got);
	assert_memory_equal(got, want, EDGEFW_A6_HASH_LENS);
	free(t.v);
}

static void test_few_lengths_all_hashed(void **state)
{
	const unsigned lens[] = { 32, 48, 56, 64, 128 }, count[] = { 5, 5, 1, 100, 900 };
	const uint8_t want[EDGEFW_A6_HASH_LENS] = { 128, 64, 56, 0 };

	(void)state;
	expect(lens, count, 5, want); /* /48 and shorter: the array trie's */
}

static void test_rare_lengths_left_to_the_trie(void **state)
{
	const unsigned lens[] = { 128, 64, 63, 60, 52, 49 };
	const unsigned count[] = { 600, 250, 10, 10, 10, 10 };
	const uint8_t want[EDGEFW_A6_HASH_LENS] = { 128, 64, 0, 0 };

	(void)state;
	expect(lens, count, 6, want);
}

static void test_a_rare_long_length_stops_the_hash(void **state)
{
	/* /120 is rare: hashing /64 below it would leave /120 to the trie,
	 * which a /64 hit would then hide. Only /128 is hashed. */
	const unsigned lens[] = { 128, 120, 64, 60, 56, 52 };
	const unsigned count[] = { 500, 2, 400, 30, 30, 30 };
	const uint8_t want[EDGEFW_A6_HASH_LENS] = { 128, 0, 0, 0 };

	(void)state;
	expect(lens, count, 6, want);
}

static void test_many_common_lengths_longest_four(void **state)
{
	const unsigned lens[] = { 128, 120, 96, 80, 64, 56, 49 };
	const unsigned count[] = { 10, 10, 10, 10, 10, 10, 10 };
	const uint8_t want[EDGEFW_A6_HASH_LENS] = { 128, 120, 96, 80 };

	(void)state;
	expect(lens, count, 7, want);
	assert_true(ef_hash6_has(want, 80));
	assert_false(ef_hash6_has(want, 64));
}

static void test_empty(void **state)
{
	struct ef_lpm_table t = { 0 };
	uint8_t got[EDGEFW_A6_HASH_LENS] = { 1, 2, 3, 4 };
	const uint8_t want[EDGEFW_A6_HASH_LENS] = { 0 };

	(void)state;
	ef_hash6_choose(&t, got);
	assert_memory_equal(got, want, EDGEFW_A6_HASH_LENS);
	assert_false(ef_hash6_has(got, 128));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_few_lengths_all_hashed),
		cmocka_unit_test(test_rare_lengths_left_to_the_trie),
		cmocka_unit_test(test_a_rare_long_length_stops_the_hash),
		cmocka_unit_test(test_many_common_lengths_longest_four),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
