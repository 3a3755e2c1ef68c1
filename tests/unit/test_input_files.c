// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Input files as an attacker would hand them over: FIFOs, devices and
 * symbolic links where a list file should be, files that are not lists
 * (their content must not come back in errors), and rules from an
 * untrusted source naming files outside the lists directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "listfile.h"
#include "ruleset.h"
#include "ruletest.h"

/* tmp/lists is the lists directory, tmp/outside a file beside it. */
static char tmp[64], lists[96], outside[128];

static const char secret[] =
	"root:$y$j9T$s3cr3tSALT$HASHhashHASHhashHASHhash0123456789:19000:0:99999:7:::\n"
	"daemon:*:19000:0:99999:7:::\n"
	"nobody:ab01cdEFghIJ.:19000::::::\n";

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int setup(void **state)
{
	char path[160];

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/efw-input.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(lists, sizeof(lists), "%s/lists", tmp);
	snprintf(outside, sizeof(outside), "%s/outside.netset", tmp);
	if (mkdir(lists, 0755))
		return -1;
	put(outside, "10.0.0.0/8\n");
	snprintf(path, sizeof(path), "%s/ok.netset", lists);
	put(path, "192.0.2.0/24\n");
	snprintf(path, sizeof(path), "%s/sub", lists);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sub/deep.netset", lists);
	put(path, "198.51.100.0/24\n");
	snprintf(path, sizeof(path), "%s/fifo", lists);
	if (mkfifo(path, 0644))
		return -1;
	/* A relative link that stays inside, and two that lead out. */
	snprintf(path, sizeof(path), "%s/inside-link", lists);
	if (symlink("sub/deep.netset", path))
		return -1;
	snprintf(path, sizeof(path), "%s/up-link", lists);
	if (symlink("../outside.netset", path))
		return -1;
	snprintf(path, sizeof(path), "%s/abs-link", lists);
	if (symlink(outside, path))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmp);
	return system(cmd) ? -1 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_reader_refuses_non_regular(void **state)
{
	char path[160], *buf = (char *)1;
	size_t len = 1;
	double t;

	(void)state;
	/* Nobody writes to the FIFO: a blocking open would hang here. */
	snprintf(path, sizeof(path), "%s/fifo", lists);
	t = now();
	assert_int_equal(ef_read_file(path, 1 << 20, &buf, &len), -EINVAL);
	assert_true(now() - t < 5);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(ef_read_file("/dev/zero", 1 << 20, &buf, &len), -EINVAL);
	assert_int_equal(ef_read_file(lists, 1 << 20, &buf, &len), -EISDIR);
	assert_int_equal(ef_read_file(outside, 4, &buf, &len), -EFBIG);
	assert_string_equal(ef_read_strerror(-EINVAL),
			    "not a regular file (a FIFO, socket or device is never read)");

	assert_int_equal(ef_read_file(outside, 1 << 20, &buf, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(buf, "10.0.0.0/8\n");
	free(buf);
}

static void test_reader_links(void **state)
{
	char *buf = NULL;
	size_t len;
	int dfd = open(lists, O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(dfd >= 0);
	/* Followed unless told not to. */
	assert_int_equal(ef_read_file_at(dfd, "abs-link", 0, 1 << 20, &buf, &len), 0);
	free(buf);
	assert_int_equal(ef_read_file_at(dfd, "abs-link", EF_READ_NOFOLLOW, 1 << 20, &buf, &len),
			 -ELOOP);
	/* Beneath: inside is fine, every way out is refused. */
	assert_int_equal(ef_read_file_at(dfd, "inside-link", EF_READ_BENEATH, 1 << 20, &buf, &len),
			 0);
	assert_string_equal(buf, "198.51.100.0/24\n");
	free(buf);
	assert_int_equal(
		ef_read_file_at(dfd, "sub/../ok.netset", EF_READ_BENEATH, 1 << 20, &buf, &len), 0);
	free(buf);
	assert_int_equal(ef_read_file_at(dfd, "up-link", EF_READ_BENEATH, 1 << 20, &buf, &len),
			 -EXDEV);
	assert_int_equal(ef_read_file_at(dfd, "abs-link", EF_READ_BENEATH, 1 << 20, &buf, &len),
			 -EXDEV);
	assert_int_equal(
		ef_read_file_at(dfd, "../outside.netset", EF_READ_BENEATH, 1 << 20, &buf, &len),
		-EXDEV);
	assert_int_equal(ef_read_file_at(dfd, outside, EF_READ_BENEATH, 1 << 20, &buf, &len),
			 -EXDEV);
	assert_int_equal(ef_read_file_at(dfd, "fifo", EF_READ_BENEATH, 1 << 20, &buf, &len),
			 -EINVAL);
	close(dfd);
}

/* No diagnostic may carry any piece of the secret file longer than a
 * few characters. */
static void expect_no_leak(const struct ef_diag *d)
{
	static const char *const pieces[] = {
		"root:", "j9T", "s3cr3t", "HASH", "daemon:", "99999", "ab01cdEFghIJ", "nobody",
	};

	for (size_t i = 0; i < d->n; i++) {
		for (size_t k = 0; k < N_CASES(pieces); k++) {
			if (strstr(d->v[i].msg, pieces[k])) {
				ef_diag_print(d, stderr);
				fail_msg("'%s' leaked into a message", pieces[k]);
			}
		}
		for (const char *c = d->v[i].msg; *c; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
	}
}

static void test_list_errors_do_not_echo(void **state)
{
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	static const char ctl[] = "10.0.0.1\x1b"
				  "[2J\n1.2.3.4 \x07"
				  "bell\n";

	(void)state;
	assert_int_equal(ef_listfile_parse("shadow", secret, strlen(secret), &l, &d), -EINVAL);
	assert_int_equal(d.errors, 3);
	expect_no_leak(&d);
	/* What is said instead: the first character no address has. */
	assert_string_equal(d.v[0].msg,
			    "a 76-character entry is too long to be an address or prefix");
	assert_string_equal(
		d.v[1].msg,
		"not an address or prefix: 'm' at column 4 cannot be part of one (write one IPv4 or IPv6 address or prefix per line)");
	ef_diag_free(&d);

	/* Control characters come back escaped. */
	assert_int_equal(ef_listfile_parse("ctl", ctl, sizeof(ctl) - 1, &l, &d), -EINVAL);
	assert_int_equal(d.errors, 2);
	assert_string_equal(
		d.v[0].msg,
		"not an address or prefix: '\\x1b' at column 9 cannot be part of one (write one IPv4 or IPv6 address or prefix per line)");
	assert_string_equal(
		d.v[1].msg,
		"unexpected text after '1.2.3.4': write one address or prefix per line, comments after '#' or ';'");
	expect_no_leak(&d);
	ef_diag_free(&d);
	assert_int_equal(l.n, 0);
}

static const char *rules_naming(const char *file)
{
	static char yaml[512];

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nsets:\n  a: {files: ['%s']}\nrules:\n"
		 "  - {name: x, src: $a, action: drop}\n",
		 file);
	return yaml;
}

/* Parses rules naming file as if they came from a remote store. */
static int parse_untrusted(struct parsed *p, const char *file)
{
	const struct ef_parse_opts o = { .lists_dir = lists };
	const char *yaml = rules_naming(file);

	memset(p, 0, sizeof(*p));
	p->ret = ef_ruleset_parse_opts("etcd:/edgefw/rules", yaml, strlen(yaml), &o, &p->rs, &p->d);
	return p->ret;
}

static void test_untrusted_rules(void **state)
{
	char abs[160], msg[256];
	struct parsed p;

	(void)state;
	/* Inside: by relative or absolute name, through a link inside. */
	assert_int_equal(parse_untrusted(&p, "ok.netset"), 0);
	assert_int_equal(p.rs.rules[0].src.n, 1);
	done(&p);
	snprintf(abs, sizeof(abs), "%s/sub/deep.netset", lists);
	assert_int_equal(parse_untrusted(&p, abs), 0);
	done(&p);
	assert_int_equal(parse_untrusted(&p, "inside-link"), 0);
	done(&p);

	/* Outside by name: refused before anything is opened, so the
	 * answer is the same whether the file exists or not. */
	assert_int_equal(parse_untrusted(&p, "/etc/shadow"), -EINVAL);
	snprintf(
		msg, sizeof(msg),
		"set 'a': list file '/etc/shadow' is outside the lists directory %s: these rules may name only files there",
		lists);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, msg);
	assert_int_equal(p.d.errors, 1);
	done(&p);
	snprintf(abs, sizeof(abs), "%s-evil/x", lists);
	assert_int_equal(parse_untrusted(&p, abs), -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "is outside the lists directory");
	done(&p);

	/* Outside through '..' or a link: the kernel refuses. */
	assert_int_equal(parse_untrusted(&p, "../outside.netset"), -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "leads outside the lists directory");
	done(&p);
	assert_int_equal(parse_untrusted(&p, "up-link"), -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "leads outside the lists directory");
	done(&p);
	assert_int_equal(parse_untrusted(&p, "abs-link"), -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "leads outside the lists directory");
	done(&p);
	assert_int_equal(parse_untrusted(&p, "fifo"), -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "not a regular file");
	done(&p);
}

static void test_untrusted_missing_dir(void **state)
{
	const struct ef_parse_opts o = { .lists_dir = "/nonexistent/lists" };
	const char *yaml = rules_naming("x.netset");
	struct parsed p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.ret = ef_ruleset_parse_opts("remote", yaml, strlen(yaml), &o, &p.rs, &p.d);
	assert_int_equal(p.ret, -EINVAL);
	expect_diag(
		&p, EF_SEV_ERROR, 3, 15,
		"cannot open the lists directory /nonexistent/lists: No such file or directory");
	done(&p);
}

/* The operator's own rules still name files anywhere, by link too. */
static void test_trusted_rules(void **state)
{
	char rules[160];
	struct parsed p;

	(void)state;
	snprintf(rules, sizeof(rules), "%s/rules.yaml", tmp);
	put(rules, rules_naming("lists/abs-link"));
	memset(&p, 0, sizeof(p));
	p.ret = ef_ruleset_load(rules, &p.rs, &p.d);
	assert_int_equal(p.ret, 0);
	done(&p);
	put(rules, rules_naming("lists/fifo"));
	p.ret = ef_ruleset_load(rules, &p.rs, &p.d);
	assert_int_equal(p.ret, -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "not a regular file");
	done(&p);
	/* A FIFO as the rules file itself. */
	snprintf(rules, sizeof(rules), "%s/fifo", lists);
	p.ret = ef_ruleset_load(rules, &p.rs, &p.d);
	assert_int_equal(p.ret, -EINVAL);
	assert_non_null(strstr(p.d.v[0].msg, "cannot read: not a regular file"));
	done(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_refuses_non_regular),
		cmocka_unit_test(test_reader_links),
		cmocka_unit_test(test_list_errors_do_not_echo),
		cmocka_unit_test(test_untrusted_rules),
		cmocka_unit_test(test_untrusted_missing_dir),
		cmocka_unit_test(test_trusted_rules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
