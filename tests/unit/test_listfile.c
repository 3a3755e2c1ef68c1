// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "listfile.h"

#define LISTS_DIR "../shared/data/lists"

static void write_bytes(char *path, const char *data, size_t len)
{
	int fd;

	strcpy(path, "/tmp/edgefw-test-listfile-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void write_file(char *path, const char *text)
{
	write_bytes(path, text, strlen(text));
}

static void expect_diag(const struct ef_diag *d, size_t i, enum ef_severity sev, const char *file,
			unsigned line, unsigned col, const char *msg)
{
	assert_true(i < d->n);
	assert_int_equal(d->v[i].sev, sev);
	assert_string_equal(d->v[i].file, file);
	assert_int_equal(d->v[i].line, line);
	assert_int_equal(d->v[i].col, col);
	assert_string_equal(d->v[i].msg, msg);
}

static void expect_entry(const struct ef_prefix_list *l, size_t i, const char *want, unsigned line)
{
	char buf[EF_PREFIX_STRLEN];

	assert_true(i < l->n);
	ef_prefix_format(&l->v[i], buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(l->line[i], line);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_firehol_format(void **state)
{
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char path[64];

	(void)state;
	write_file(path, "#\n"
			 "# firehol_level1\n"
			 "#\n"
			 "0.0.0.0/8\n"
			 "1.93.0.224\n"
			 "\n"
			 "   \t\n"
			 "  # indented comment\n"
			 "2.50.11.28\n");
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(l.n, 3);
	expect_entry(&l, 0, "0.0.0.0/8", 4);
	expect_entry(&l, 1, "1.93.0.224/32", 5);
	expect_entry(&l, 2, "2.50.11.28/32", 9);
	ef_prefix_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	unlink(path);
}

static void test_spamhaus_format(void **state)
{
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char path[64];

	(void)state;
	write_file(path, "; Spamhaus IPv6 DROP List\n"
			 "; https://www.spamhaus.org/drop/dropv6.txt\n"
			 "2803:8700::/32 ; SBL389795\n"
			 "2a0c:9c00::/29 ; SBL405296\n"
			 "2a0b:eb80::/29;SBL405297\n"
			 "\t2a0b:8c40::/29\t;\n"
			 "1.10.16.0/20 # firehol style trailer\n"
			 "1.10.32.0/20#tight\n"
			 "1.10.48.0/20 ; two ; separators # and a hash\n");
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(l.n, 7);
	expect_entry(&l, 0, "2803:8700::/32", 3);
	expect_entry(&l, 1, "2a0c:9c00::/29", 4);
	expect_entry(&l, 2, "2a0b:eb80::/29", 5);
	expect_entry(&l, 3, "2a0b:8c40::/29", 6);
	expect_entry(&l, 4, "1.10.16.0/20", 7);
	expect_entry(&l, 5, "1.10.32.0/20", 8);
	expect_entry(&l, 6, "1.10.48.0/20", 9);
	ef_prefix_list_free(&l);
	unlink(path);
}

static void test_line_ends(void **state)
{
	/* CRLF, a byte order mark, and no newline at the end. */
	static const char text[] = "\xef\xbb\xbf"
				   "10.0.0.0/8\r\n"
				   "# c\r\n"
				   "\r\n"
				   "192.0.2.0/24 ; x\r\n"
				   "2001:db8::/32";
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char path[64];

	(void)state;
	write_file(path, text);
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(l.n, 3);
	expect_entry(&l, 0, "10.0.0.0/8", 1);
	expect_entry(&l, 1, "192.0.2.0/24", 4);
	expect_entry(&l, 2, "2001:db8::/32", 5);
	ef_prefix_list_free(&l);
	unlink(path);
}

static void test_empty_file(void **state)
{
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char path[64];

	(void)state;
	write_file(path, "");
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(d.n, 0);
	unlink(path);
	write_file(path, "# nothing\n; here\n\n");
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(d.n, 0);
	ef_prefix_list_free(&l);
	unlink(path);
}

static void test_host_bits_warning(void **state)
{
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char path[64];

	(void)state;
	write_file(path, "10.0.0.1/8\n"
			 "  2001:db8::1/32 ; x\n");
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 2);
	expect_diag(&d, 0, EF_SEV_WARNING, path, 1, 1,
		    "host bits set in 10.0.0.1/8, using 10.0.0.0/8");
	expect_diag(&d, 1, EF_SEV_WARNING, path, 2, 3,
		    "host bits set in 2001:db8::1/32, using 2001:db8::/32");
	assert_int_equal(l.n, 2);
	expect_entry(&l, 0, "10.0.0.0/8", 1);
	expect_entry(&l, 1, "2001:db8::/32", 2);
	ef_prefix_list_free(&l);
	ef_diag_free(&d);
	unlink(path);
}

static void test_every_bad_line(void **state)
{
	static const char text[] = "10.0.0.0/8\n"
				   "10.0.0.0/33\n"
				   "  bogus\n"
				   "192.0.2.0/24\n"
				   "10.0.0.0/8 10.1.0.0/16\n"
				   "\t::ffff:10.0.0.1 ; mapped\n"
				   "10.0.0.0/ ; SBL1\n"
				   "/24\n"
				   "010.0.0.1\n"
				   "10.0.0.0/8 ;ok\n"
				   "1.2.3.4 junk # c\n"
				   "1.2.3.4\x0b\n";
	struct ef_prefix pre = { .family = EF_AF_INET, .len = 32 };
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char path[64];

	(void)state;
	/* An entry already in the list survives a failed load. */
	assert_int_equal(ef_prefix_list_push(&l, &pre, 99), 0);
	write_file(path, text);
	assert_int_equal(ef_listfile_load(path, &l, &d), -EINVAL);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.line[0], 99);
	assert_int_equal(d.errors, 9);
	assert_int_equal(d.warnings, 0);
	expect_diag(&d, 0, EF_SEV_ERROR, path, 2, 1, "prefix length 33 exceeds 32 for IPv4");
	expect_diag(&d, 1, EF_SEV_ERROR, path, 3, 3,
		    "'bogus' is not an IPv4 or IPv6 address: write the "
		    "address itself, e.g. 192.0.2.1 or 2001:db8::1 (names "
		    "are not resolved)");
	expect_diag(&d, 2, EF_SEV_ERROR, path, 5, 12,
		    "unexpected '10.1.0.0/16' after '10.0.0.0/8': write one "
		    "address or prefix per line, comments after '#' or ';'");
	expect_diag(&d, 3, EF_SEV_ERROR, path, 6, 2,
		    "IPv4-mapped IPv6 address ::ffff:10.0.0.1: write it as "
		    "IPv4 (10.0.0.1)");
	expect_diag(&d, 4, EF_SEV_ERROR, path, 7, 1,
		    "missing prefix length after '/' in '10.0.0.0/': write "
		    "e.g. 192.0.2.0/24");
	expect_diag(&d, 5, EF_SEV_ERROR, path, 8, 1,
		    "missing address before '/' in '/24': write e.g. "
		    "192.0.2.0/24");
	expect_diag(&d, 6, EF_SEV_ERROR, path, 9, 1,
		    "invalid IPv4 address '010.0.0.1': an octet has a "
		    "leading zero (some tools read it as octal); write it "
		    "without");
	expect_diag(&d, 7, EF_SEV_ERROR, path, 11, 9,
		    "unexpected 'junk' after '1.2.3.4': write one address or "
		    "prefix per line, comments after '#' or ';'");
	/* Control characters are escaped, never copied. */
	expect_diag(&d, 8, EF_SEV_ERROR, path, 12, 1,
		    "not an address or prefix: '\\x0b' at column 8 cannot "
		    "be part of one (write one IPv4 or IPv6 address or prefix "
		    "per line)");
	ef_prefix_list_free(&l);
	ef_diag_free(&d);
	unlink(path);
}

static void test_binary_and_long(void **state)
{
	static const char text[] = "10.0.0.0/8\n"
				   "1.2.3.4\0garbage\n"
				   "  1111111111111111111111111111111111111111"
				   "1111111111111111111111111111111111111111"
				   "1111111111111111111111111111111111111111"
				   "11111111111111111111\n";
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char path[64];

	(void)state;
	write_bytes(path, text, sizeof(text) - 1);
	assert_int_equal(ef_listfile_load(path, &l, &d), -EINVAL);
	assert_int_equal(l.n, 0);
	assert_int_equal(d.errors, 2);
	expect_diag(&d, 0, EF_SEV_ERROR, path, 2, 1,
		    "NUL byte in an entry: the list must be a text file with "
		    "one address or prefix per line");
	expect_diag(&d, 1, EF_SEV_ERROR, path, 3, 3,
		    "a 140-character entry is too long to be an address or "
		    "prefix");
	ef_prefix_list_free(&l);
	ef_diag_free(&d);
	unlink(path);
}

static void test_open_errors(void **state)
{
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };

	(void)state;
	assert_int_equal(ef_listfile_load("/nonexistent/edgefw.list", &l, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	expect_diag(&d, 0, EF_SEV_ERROR, "/nonexistent/edgefw.list", 0, 0,
		    "cannot read: No such file or directory");
	ef_diag_free(&d);

	assert_int_equal(ef_listfile_load("/tmp", &l, &d), -EISDIR);
	expect_diag(&d, 0, EF_SEV_ERROR, "/tmp", 0, 0, "cannot read: Is a directory");
	assert_int_equal(l.n, 0);
	ef_diag_free(&d);
}

static void test_push(void **state)
{
	struct ef_prefix_list l = { 0 };
	struct ef_prefix p = { .family = EF_AF_INET6, .len = 64 };

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		p.addr[0] = (uint8_t)i;
		assert_int_equal(ef_prefix_list_push(&l, &p, i + 1), 0);
	}
	assert_int_equal(l.n, 1000);
	assert_true(l.cap >= 1000 && l.cap < 2000);
	assert_int_equal(l.v[999].addr[0], 999 & 0xff);
	assert_int_equal(l.line[999], 1000);
	ef_prefix_list_free(&l);
	assert_null(l.v);
	assert_null(l.line);
	assert_int_equal(l.cap, 0);
	ef_prefix_list_free(&l);
}

static void test_speed(void **state)
{
	const unsigned n = 100000;
	char *buf = malloc((size_t)n * 40);
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	size_t off = 0;
	char path[64];
	double t;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < n; i++) {
		if (i % 2)
			off += (size_t)sprintf(buf + off, "%u.%u.%u.0/24 ; SBL%u\n", 1 + i / 65536,
					       (i / 256) % 256, i % 256, i);
		else
			off += (size_t)sprintf(buf + off, "2001:%x:%x::/48\n", i / 65536,
					       i % 65536);
	}
	write_bytes(path, buf, off);
	free(buf);

	t = now();
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	t = now() - t;
	assert_int_equal(l.n, n);
	assert_int_equal(d.n, 0);
	expect_entry(&l, n - 1, "2.134.159.0/24", n);
	/* Not a performance claim (those live in make bench): a guard
	 * against quadratic work, which would take minutes here. An
	 * optimized build takes a few milliseconds; the bound leaves room for
	 * the sanitizer build on a loaded 2-CPU machine. */
	assert_true(t < 5.0);
	ef_prefix_list_free(&l);
	unlink(path);
}

/* Loads one of the real lists shipped with the project's test data and
 * checks the number of entries, counted independently with
 * grep -Evc '^[[:space:]]*([#;]|$)'. */
static void load_real(const char *name, size_t want, uint8_t family)
{
	char path[256];
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };

	snprintf(path, sizeof(path), "%s/%s", LISTS_DIR, name);
	assert_int_equal(ef_listfile_load(path, &l, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 0);
	assert_int_equal(l.n, want);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.v[i].family, family);
	ef_prefix_list_free(&l);
}

static void test_real_lists(void **state)
{
	struct stat st;

	(void)state;
	if (stat(LISTS_DIR, &st) || !S_ISDIR(st.st_mode)) {
		print_message("%s not found (run from the repository root "
			      "with the shared data checked out); skipping\n",
			      LISTS_DIR);
		skip();
	}
	load_real("firehol_level1.netset", 6273, EF_AF_INET);
	load_real("spamhaus_drop.netset", 683, EF_AF_INET);
	load_real("dropv6.txt", 56, EF_AF_INET6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firehol_format),
		cmocka_unit_test(test_spamhaus_format),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_host_bits_warning),
		cmocka_unit_test(test_every_bad_line),
		cmocka_unit_test(test_binary_and_long),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_speed),
		cmocka_unit_test(test_real_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
