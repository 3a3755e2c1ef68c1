// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Which IPv6 prefix lengths past /48 the exact-match hash holds
 * (user/compiler/addr6_hash.c): all of them when they are few, else the
 * longest ones while each is common; never a length below one left to the
 * LPM trie. */
#include <stdarg.h>
#include <stdbool.h>
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

/* An entry: prefix len whose first shared bits are 2001:db8::'s, bit
 * shared flipped (none when shared >= 128), then bits from tail. */
static void entry(struct ef_lpm_entry *e, unsigned len, unsigned shared, uint8_t tail)
{
	static const uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	memset(e, 0, sizeof(*e));
	e->prefix.family = 6;
	e->prefix.len = (uint8_t)len;
	for (unsigned b = 0; b < 128; b++) {
		uint8_t bit = 0x80 >> (b % 8);
		bool on = b < shared    ? base[b / 8] & bit
			  : b == shared ? !(base[b / 8] & bit)
					: (tail >> (b % 8)) & 1;

		if (on && b < len)
			e->prefix.addr[b / 8] |= bit;
	}
	e->home = EF_HOME_LPM; /* placement must overwrite it */
}

static void test_covered_and_shared_prefixes_keep_their_cells(void **state)
{
	struct ef_lpm_entry v[4];
	struct ef_lpm_table t = { v, 4 };
	uint8_t lens[EDGEFW_A6_HASH_LENS];

	(void)state;
	entry(&v[0], 32, 128, 0); /* 2001:db8::/32 holds v[1] */
	entry(&v[1], 128, 40, 0x5a);
	entry(&v[2], 128, 60, 0x11); /* v[2] and v[3]: the same /48 */
	entry(&v[3], 128, 70, 0x22);
	v[2].prefix.addr[4] = v[3].prefix.addr[4] = 0xff;
	assert_int_equal(ef_addr6_place(&t, lens), 0);
	assert_int_equal(v[0].home, EF_HOME_TRIE);
	assert_int_equal(v[1].home, EF_HOME_SKIP);
	assert_int_equal(v[1].skip_level, 6); /* /36: past the 32 bits v[2] shares */
	assert_int_equal(v[2].home, EF_HOME_HASH);
	assert_int_equal(v[3].home, EF_HOME_HASH);
	assert_int_equal(lens[0], 128);
}

static void test_alone_prefixes_skip_at_their_parting_level(void **state)
{
	struct ef_lpm_entry v[7];
	struct ef_lpm_table t = { v, 7 };
	uint8_t lens[EDGEFW_A6_HASH_LENS];
	const uint8_t want[EDGEFW_A6_HASH_LENS] = { 64, 0, 0, 0 };

	(void)state;
	entry(&v[0], 128, 128, 0);   /* 2001:db8::/128 */
	entry(&v[1], 128, 40, 0x5a); /* parts from v[0] at bit 40 */
	entry(&v[2], 64, 15, 0x33);  /* parts from both at bit 15 */
	entry(&v[3], 64, 16, 0x0f);  /* ... at bit 16 */
	entry(&v[4], 48, 20, 0x11);  /* the trie's length, alone too */
	entry(&v[5], 64, 48, 0x21);  /* v[5] and v[6] share a /48 (below) */
	entry(&v[6], 64, 50, 0x77);
	v[5].prefix.addr[6] = 0x80;
	v[6].prefix.addr[6] = 0x40;
	v[5].prefix.addr[4] = v[6].prefix.addr[4] = 0xff; /* 32 bits from the rest */
	assert_int_equal(ef_addr6_place(&t, lens), 0);
	assert_memory_equal(lens, want, EDGEFW_A6_HASH_LENS);
	assert_int_equal(v[0].home, EF_HOME_SKIP);
	assert_int_equal(v[0].skip_level, 8); /* /44: the first level past bit 40 */
	assert_int_equal(v[1].home, EF_HOME_SKIP);
	assert_int_equal(v[1].skip_level, 8);
	assert_int_equal(v[2].home, EF_HOME_SKIP);
	assert_int_equal(v[2].skip_level, 1); /* its /16 is its own */
	assert_int_equal(v[3].home, EF_HOME_SKIP);
	assert_int_equal(v[3].skip_level, 2);
	assert_int_equal(v[4].home, EF_HOME_SKIP);
	assert_int_equal(v[4].skip_level, 3); /* parts from the rest at bit 20 */
	assert_int_equal(v[5].home, EF_HOME_HASH);
	assert_int_equal(v[6].home, EF_HOME_HASH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_few_lengths_all_hashed),
		cmocka_unit_test(test_rare_lengths_left_to_the_trie),
		cmocka_unit_test(test_a_rare_long_length_stops_the_hash),
		cmocka_unit_test(test_many_common_lengths_longest_four),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_alone_prefixes_skip_at_their_parting_level),
		cmocka_unit_test(test_covered_and_shared_prefixes_keep_their_cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
