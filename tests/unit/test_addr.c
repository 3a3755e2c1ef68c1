// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Parses s, which must succeed, and checks its normal form and flags. */
static void ok(const char *s, const char *want, unsigned want_flags)
{
	struct ef_prefix p;
	char buf[EF_PREFIX_STRLEN], err[128] = "junk";
	unsigned flags = 0xdead;

	assert_int_equal(ef_prefix_parse(s, &p, &flags, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(flags, want_flags);
	ef_prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Parses s, which must fail with exactly msg and leave out alone. */
static void bad(const char *s, const char *msg)
{
	struct ef_prefix p, orig;
	char err[256];
	unsigned flags = 0x55;

	memset(&p, 0xa5, sizeof(p));
	orig = p;
	assert_int_equal(ef_prefix_parse(s, &p, &flags, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	assert_memory_equal(&p, &orig, sizeof(p));
	assert_int_equal(flags, 0x55);
}

static struct ef_prefix pfx(const char *s)
{
	struct ef_prefix p;

	assert_int_equal(ef_prefix_parse(s, &p, NULL, NULL, 0), 0);
	return p;
}

static void test_parse_valid(void **state)
{
	struct ef_prefix p;

	(void)state;
	ok("192.0.2.0/24", "192.0.2.0/24", 0);
	ok("192.0.2.1", "192.0.2.1/32", 0);
	ok("192.0.2.1/32", "192.0.2.1/32", 0);
	ok("0.0.0.0/0", "0.0.0.0/0", 0);
	ok("0.0.0.0", "0.0.0.0/32", 0);
	ok("255.255.255.255", "255.255.255.255/32", 0);
	ok("10.0.0.0/8", "10.0.0.0/8", 0);
	ok("2001:db8::/32", "2001:db8::/32", 0);
	ok("2001:DB8::/32", "2001:db8::/32", 0);
	ok("2001:0db8:0000::1", "2001:db8::1/128", 0);
	ok("2001:db8::1", "2001:db8::1/128", 0);
	ok("::/0", "::/0", 0);
	ok("::", "::/128", 0);
	ok("::1", "::1/128", 0);
	/* Prefixes that contain the mapped range without lying inside it. */
	ok("::/80", "::/80", 0);
	ok("::ffff:0:0/95", "::fffe:0:0/95", EF_PREFIX_HOST_BITS);
	/* All-zero /96 is not the mapped range. */
	ok("::/96", "::/96", 0);
	/* Deprecated IPv4-compatible form is plain IPv6. */
	ok("::1.2.3.4", "::1.2.3.4/128", 0);

	p = pfx("192.0.2.7");
	assert_int_equal(p.family, EF_AF_INET);
	assert_int_equal(p.len, 32);
	assert_int_equal(p.addr[0], 192);
	assert_int_equal(p.addr[3], 7);
	for (int i = 4; i < 16; i++)
		assert_int_equal(p.addr[i], 0);
	p = pfx("2001:db8::1");
	assert_int_equal(p.family, EF_AF_INET6);
	assert_int_equal(p.len, 128);
	assert_int_equal(p.addr[0], 0x20);
	assert_int_equal(p.addr[15], 1);
}

static void test_parse_host_bits(void **state)
{
	struct ef_prefix p;

	(void)state;
	ok("10.0.0.1/8", "10.0.0.0/8", EF_PREFIX_HOST_BITS);
	ok("192.0.2.129/25", "192.0.2.128/25", EF_PREFIX_HOST_BITS);
	ok("192.0.2.128/25", "192.0.2.128/25", 0);
	ok("10.1.2.3/0", "0.0.0.0/0", EF_PREFIX_HOST_BITS);
	ok("10.255.255.255/9", "10.128.0.0/9", EF_PREFIX_HOST_BITS);
	ok("2001:db8::1/32", "2001:db8::/32", EF_PREFIX_HOST_BITS);
	ok("2001:db8:ffff::/33", "2001:db8:8000::/33", EF_PREFIX_HOST_BITS);
	ok("2001:db8::1/127", "2001:db8::/127", EF_PREFIX_HOST_BITS);
	/* flags may be NULL: bits are still cleared. */
	assert_int_equal(ef_prefix_parse("10.0.0.1/8", &p, NULL, NULL, 0), 0);
	assert_int_equal(p.addr[3], 0);
}

static void test_parse_length_errors(void **state)
{
	(void)state;
	bad("10.0.0.0/", "missing prefix length after '/' in '10.0.0.0/': "
			 "write e.g. 192.0.2.0/24");
	bad("2001:db8::/", "missing prefix length after '/' in "
			   "'2001:db8::/': write e.g. 2001:db8::/32");
	bad("/24", "missing address before '/' in '/24': write e.g. "
		   "192.0.2.0/24");
	bad("/", "missing address before '/' in '/': write e.g. "
		 "192.0.2.0/24");
	bad("10.0.0.0/33", "prefix length 33 exceeds 32 for IPv4");
	bad("2001:db8::/129", "prefix length 129 exceeds 128 for IPv6");
	bad("10.0.0.0/99999999999999999999",
	    "prefix length 99999999999999999999 exceeds 32 for IPv4");
	bad("10.0.0.0/-1", "prefix length '-1' is not a number: write 0-32");
	bad("10.0.0.0/+8", "prefix length '+8' is not a number: write 0-32");
	bad("10.0.0.0/24x", "prefix length '24x' is not a number: write "
			    "0-32");
	bad("2001:db8::/0x20", "prefix length '0x20' is not a number: write "
			       "0-128");
	/* Leading zeros are refused (see addr.c); a lone 0 is fine. */
	bad("10.0.0.0/024", "prefix length '024' has a leading zero: write "
			    "it without");
	bad("10.0.0.0/00", "prefix length '00' has a leading zero: write it "
			   "without");
	ok("10.0.0.0/0", "0.0.0.0/0", EF_PREFIX_HOST_BITS);
	bad("10.0.0.0/8/8", "more than one '/' in '10.0.0.0/8/8': write an "
			    "address or prefix such as 192.0.2.0/24");
}

static void test_parse_address_errors(void **state)
{
	char longs[200];

	(void)state;
	bad("", "empty address: write an address or prefix such as "
		"192.0.2.0/24 or 2001:db8::/32");
	bad(" 10.0.0.0/8", "whitespace in address ' 10.0.0.0/8': remove it");
	bad("10.0.0.0/8 ", "whitespace in address '10.0.0.0/8 ': remove it");
	bad("10.0.0.0 /8", "whitespace in address '10.0.0.0 /8': remove it");
	bad("10.0.0.0/8\n", "whitespace in address '10.0.0.0/8\n': remove "
			    "it");
	bad("10.0.0.1\t", "whitespace in address '10.0.0.1\t': remove it");
	bad("010.0.0.1", "invalid IPv4 address '010.0.0.1': an octet has a "
			 "leading zero (some tools read it as octal); write "
			 "it without");
	bad("10.0.0.01/8", "invalid IPv4 address '10.0.0.01': an octet has "
			   "a leading zero (some tools read it as octal); "
			   "write it without");
	bad("1.2.3", "invalid IPv4 address '1.2.3': write four numbers "
		     "0-255 separated by dots");
	bad("1.2.3.4.5", "invalid IPv4 address '1.2.3.4.5': write four "
			 "numbers 0-255 separated by dots");
	bad("1.2.3.256", "invalid IPv4 address '1.2.3.256': write four "
			 "numbers 0-255 separated by dots");
	bad("10", "invalid IPv4 address '10': write four numbers 0-255 "
		  "separated by dots");
	bad("10.0.0.1x", "'10.0.0.1x' is not an IPv4 or IPv6 address: write "
			 "the address itself, e.g. 192.0.2.1 or 2001:db8::1 "
			 "(names are not resolved)");
	bad("example.com/24", "'example.com' is not an IPv4 or IPv6 "
			      "address: write the address itself, e.g. "
			      "192.0.2.1 or 2001:db8::1 (names are not "
			      "resolved)");
	bad("0x0a.0.0.1", "'0x0a.0.0.1' is not an IPv4 or IPv6 address: "
			  "write the address itself, e.g. 192.0.2.1 or "
			  "2001:db8::1 (names are not resolved)");
	bad("2001:db8:::1", "invalid IPv6 address '2001:db8:::1': write it "
			    "as in 2001:db8::1");
	bad("1:2:3:4:5:6:7:8:9", "invalid IPv6 address '1:2:3:4:5:6:7:8:9': "
				 "write it as in 2001:db8::1");
	bad("2001:db8::g", "invalid IPv6 address '2001:db8::g': write it as "
			   "in 2001:db8::1");
	bad("fe80::1%eth0", "zone index in 'fe80::1%eth0' is not supported: "
			    "remove the '%...' part");

	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	bad(longs, "'1111111111111111111111111111111111111111111111111111111"
		   "111111111...' is too long for an IPv4 or IPv6 address");
}

static void test_parse_v4_mapped(void **state)
{
	(void)state;
	bad("::ffff:10.0.0.1", "IPv4-mapped IPv6 address ::ffff:10.0.0.1: "
			       "write it as IPv4 (10.0.0.1)");
	bad("::ffff:a00:1", "IPv4-mapped IPv6 address ::ffff:a00:1: write it "
			    "as IPv4 (10.0.0.1)");
	bad("0:0:0:0:0:FFFF:192.0.2.1/128",
	    "IPv4-mapped IPv6 address 0:0:0:0:0:FFFF:192.0.2.1: write it as "
	    "IPv4 (192.0.2.1)");
	bad("::ffff:10.0.0.0/104", "IPv4-mapped IPv6 prefix "
				   "::ffff:10.0.0.0/104: write it as IPv4 "
				   "(10.0.0.0/8)");
	/* Host bits are cleared before the suggestion is made. */
	bad("::ffff:10.1.2.3/104", "IPv4-mapped IPv6 prefix "
				   "::ffff:10.1.2.3/104: write it as IPv4 "
				   "(10.0.0.0/8)");
	bad("::ffff:0:0/96", "IPv4-mapped IPv6 prefix ::ffff:0:0/96: write "
			     "it as IPv4 (0.0.0.0/0)");
}

static void test_parse_err_buffer(void **state)
{
	struct ef_prefix p;
	char err[8];

	(void)state;
	/* Truncated but terminated; NULL buffer is fine too. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(ef_prefix_parse("10.0.0.0/33", &p, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "prefix ");
	assert_int_equal(ef_prefix_parse("10.0.0.0/33", &p, NULL, NULL, 0), -EINVAL);
	assert_int_equal(ef_prefix_parse(NULL, &p, NULL, NULL, 0), -EINVAL);
}

static void test_format(void **state)
{
	struct ef_prefix p = pfx("2001:db8:1:2:3:4:5:6/128");
	char buf[EF_PREFIX_STRLEN], small[6];

	(void)state;
	ef_prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1:2:3:4:5:6/128");
	p = pfx("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	ef_prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	p = pfx("192.0.2.0/24");
	ef_prefix_format(&p, small, sizeof(small));
	assert_string_equal(small, "192.0");
	p.family = 9;
	ef_prefix_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "<family 9>");
}

static void test_contains(void **state)
{
	struct ef_prefix v4_8 = pfx("10.0.0.0/8"), v4_16 = pfx("10.1.0.0/16");
	struct ef_prefix v4_other = pfx("11.0.0.0/16"), v4_0 = pfx("0.0.0.0/0");
	struct ef_prefix v4_9 = pfx("10.128.0.0/9"), v4_h = pfx("10.200.0.1");
	struct ef_prefix v6_32 = pfx("2001:db8::/32");
	struct ef_prefix v6_in = pfx("2001:db8:ffff::/48");
	struct ef_prefix v6_out = pfx("2001:db9::/48"), v6_0 = pfx("::/0");

	(void)state;
	assert_true(ef_prefix_contains(&v4_8, &v4_16));
	assert_true(ef_prefix_contains(&v4_8, &v4_8));
	assert_false(ef_prefix_contains(&v4_16, &v4_8));
	assert_false(ef_prefix_contains(&v4_8, &v4_other));
	assert_true(ef_prefix_contains(&v4_0, &v4_other));
	assert_true(ef_prefix_contains(&v4_9, &v4_h));
	assert_false(ef_prefix_contains(&v4_9, &v4_16));
	assert_true(ef_prefix_contains(&v6_32, &v6_in));
	assert_false(ef_prefix_contains(&v6_32, &v6_out));
	assert_true(ef_prefix_contains(&v6_0, &v6_out));
	/* Families never contain each other, not even /0. */
	assert_false(ef_prefix_contains(&v6_0, &v4_8));
	assert_false(ef_prefix_contains(&v4_0, &v6_32));
}

static int cmp_qsort(const void *a, const void *b)
{
	return ef_prefix_cmp(a, b);
}

static void test_cmp(void **state)
{
	static const char *const in[] = {
		"2001:db8::/32", "10.1.0.0/16",   "::/0",         "10.0.0.0/8", "0.0.0.0/0",
		"10.0.0.0/16",   "2001:db8::/48", "9.255.0.0/16", "10.0.0.0/8",
	};
	static const char *const sorted[] = {
		"0.0.0.0/0",   "9.255.0.0/16", "10.0.0.0/8",    "10.0.0.0/8",    "10.0.0.0/16",
		"10.1.0.0/16", "::/0",         "2001:db8::/32", "2001:db8::/48",
	};
	struct ef_prefix v[sizeof(in) / sizeof(in[0])];
	char buf[EF_PREFIX_STRLEN];
	struct ef_prefix a = pfx("10.0.0.0/8"), b = pfx("10.0.0.0/16");

	(void)state;
	assert_int_equal(ef_prefix_cmp(&a, &a), 0);
	assert_int_equal(ef_prefix_cmp(&a, &b), -1);
	assert_int_equal(ef_prefix_cmp(&b, &a), 1);

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		v[i] = pfx(in[i]);
	qsort(v, sizeof(v) / sizeof(v[0]), sizeof(v[0]), cmp_qsort);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ef_prefix_format(&v[i], buf, sizeof(buf));
		assert_string_equal(buf, sorted[i]);
	}
	/* A prefix sorts before everything it contains. */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++)
			if (ef_prefix_contains(&v[i], &v[j]) && ef_prefix_cmp(&v[i], &v[j]))
				assert_true(i < j);
}

static void test_match(void **state)
{
	struct ef_prefix v4 = pfx("192.0.2.128/25"), v4_0 = pfx("0.0.0.0/0");
	struct ef_prefix v6 = pfx("2001:db8::/33"), host = pfx("192.0.2.200");
	uint8_t a[16] = { 192, 0, 2, 200 };
	uint8_t b[16] = { 192, 0, 2, 127 };
	uint8_t c[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x7f, 0xff };
	uint8_t e[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x80 };

	(void)state;
	assert_true(ef_prefix_match(&v4, EF_AF_INET, a));
	assert_false(ef_prefix_match(&v4, EF_AF_INET, b));
	assert_true(ef_prefix_match(&v4_0, EF_AF_INET, b));
	assert_true(ef_prefix_match(&host, EF_AF_INET, a));
	assert_false(ef_prefix_match(&host, EF_AF_INET, b));
	assert_true(ef_prefix_match(&v6, EF_AF_INET6, c));
	assert_false(ef_prefix_match(&v6, EF_AF_INET6, e));
	/* The family must match, whatever the bytes. */
	assert_false(ef_prefix_match(&v4, EF_AF_INET6, a));
	assert_false(ef_prefix_match(&v4_0, EF_AF_INET6, c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_host_bits),
		cmocka_unit_test(test_parse_length_errors),
		cmocka_unit_test(test_parse_address_errors),
		cmocka_unit_test(test_parse_v4_mapped),
		cmocka_unit_test(test_parse_err_buffer),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
