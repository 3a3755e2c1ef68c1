// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Named sets, list files, and the address and port fields that use them:
 * references, errors, duplicate and overlap warnings, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ruleset.h"
#include "ruletest.h"

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/efw-sets.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

/* Writes tmpdir/name; returns its path in a static buffer. */
static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Writes the rules file and parses it by its path, as `edgefw check` does. */
static void load(struct parsed *p, const char *yaml)
{
	char path[256];

	snprintf(path, sizeof(path), "%s", write_file("rules.yaml", yaml));
	memset(p, 0, sizeof(*p));
	p->ret = ef_ruleset_load(path, &p->rs, &p->d);
}

static const char *rules_path(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/rules.yaml", tmpdir);
	return path;
}

static void expect_diag_in(const struct parsed *p, enum ef_severity sev, const char *file,
			   unsigned line, unsigned col, const char *text)
{
	const struct ef_diag_entry *e = find_diag(p, sev, line, col, text);

	if (!e || !e->file || strcmp(e->file, file)) {
		ef_diag_print(&p->d, stderr);
		fail_msg("no diagnostic in %s at %u:%u containing '%s'", file, line, col, text);
	}
}

static void test_inline_sets(void **state)
{
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	parse(&p, "version: 1\n"
		  "sets:\n"
		  "  lan: {addresses: [10.0.0.0/8, '2001:db8::/32', 192.0.2.1]}\n"
		  "  web: {ports: [80, 443, 8000-8100]}\n"
		  "rules:\n"
		  "  - {name: a, src: $lan, proto: tcp, dport: $web, action: pass}\n"
		  "  - {name: b, dst: [$lan, 198.51.100.0/24], action: drop}\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.n, 0);
	assert_int_equal(p.rs.n_sets, 2);
	assert_string_equal(p.rs.sets[0].name, "lan");
	assert_int_equal(p.rs.sets[0].kind, EF_SET_ADDR);
	assert_int_equal(p.rs.sets[0].n_entries, 3);
	assert_int_equal(p.rs.sets[0].n_refs, 2);
	assert_int_equal(p.rs.sets[0].line, 3);
	assert_int_equal(p.rs.sets[0].col, 3);
	assert_int_equal(p.rs.sets[1].kind, EF_SET_PORT);
	assert_int_equal(p.rs.sets[1].n_refs, 1);
	r = &p.rs.rules[0];
	assert_int_equal(r->src.n, 3);
	assert_int_equal(r->src.v[2].len, 32);
	assert_int_equal(r->src.n_parts, 1);
	assert_int_equal(r->src.parts[0].set, 0);
	assert_int_equal(r->src.parts[0].line, 6);
	assert_int_equal(r->src.parts[0].col, 20);
	assert_int_equal(r->dport.n, 3);
	assert_int_equal(r->dport.v[2].hi, 8100);
	r = &p.rs.rules[1];
	assert_int_equal(r->dst.n, 4);
	assert_int_equal(r->dst.n_parts, 2);
	assert_int_equal(r->dst.parts[1].set, -1);
	assert_int_equal(r->dst.parts[1].first, 3);
	assert_int_equal(r->dst.parts[1].n, 1);
	done(&p);
}

static void test_nested_and_negated(void **state)
{
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	parse(&p, "version: 1\n"
		  "sets:\n"
		  "  all: {addresses: [$lan, $dmz]}\n"
		  "  lan: {addresses: 10.0.0.0/8}\n"
		  "  dmz: {addresses: [192.0.2.0/24]}\n"
		  "rules:\n"
		  "  - {name: a, src: {not: $all}, action: drop}\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.n, 0);
	r = &p.rs.rules[0];
	assert_true(r->src.negate);
	assert_int_equal(r->src.n, 2);
	assert_int_equal(p.rs.sets[0].n_entries, 2);
	/* Refs from sets do not count as rules using a set. */
	assert_int_equal(p.rs.sets[1].n_refs, 0);
	done(&p);
}

static void test_set_errors(void **state)
{
	static const struct diag_case errors[] = {
		{ "version: 1\nsets:\n  lan: {addresses: 10.0.0.0/8}\nrules:\n"
		  "  - {name: a, src: $lam, action: drop}\n",
		  5, 20, "src: unknown set '$lam'; did you mean '$lan'?" },
		{ "version: 1\nrules:\n  - {name: a, src: $nothing, action: drop}\n", 3, 20,
		  "src: unknown set '$nothing': define it under 'sets:'" },
		{ "version: 1\nrules:\n  - {name: a, src: '$a b', action: drop}\n", 3, 20,
		  "src: '$a b' is not a valid set reference" },
		{ "version: 1\nrules:\n  - {name: a, src: $, action: drop}\n", 3, 20,
		  "'$' is not a valid set reference" },
		{ "version: 1\nsets:\n  web: {ports: [80]}\nrules:\n"
		  "  - {name: a, src: $web, action: drop}\n",
		  5, 20, "src takes addresses, but set '$web' (defined at 3:3) holds ports" },
		{ "version: 1\nsets:\n  lan: {addresses: [10.0.0.0/8]}\nrules:\n"
		  "  - {name: a, proto: udp, sport: [53, $lan], action: drop}\n",
		  5, 39, "sport takes ports, but set '$lan' (defined at 3:3) holds addresses" },
		{ "version: 1\nsets:\n  a: {addresses: [$b]}\n  b: {addresses: [$a]}\n", 4, 19,
		  "set 'b': $a leads back to the set being defined" },
		{ "version: 1\nsets:\n  a: {addresses: [10.0.0.0/8, $a]}\n", 3, 31,
		  "set 'a': $a leads back to the set being defined" },
		{ "version: 1\nsets:\n  a: {ports: [1], addresses: [10.0.0.0/8]}\n", 3, 7,
		  "set 'a' mixes ports with addresses: a set holds one kind; define two sets" },
		{ "version: 1\nsets:\n  a: {}\n", 3, 3,
		  "set 'a' has no entries: give it 'addresses', 'files' or 'ports'" },
		{ "version: 1\nsets:\n  a: [10.0.0.0/8]\n", 3, 6,
		  "set 'a' must be a mapping: {addresses: [...], files: [...]} or {ports: [...]}" },
		{ "version: 1\nsets:\n  a.b: {ports: [1]}\n", 3, 3,
		  "set name 'a.b' is invalid: use 1-63 letters, digits, '-' or '_'" },
		{ "version: 1\nsets:\n  a: {adresses: [10.0.0.0/8]}\n", 3, 7,
		  "unknown key 'adresses' in set 'a'; did you mean 'addresses'?" },
		{ "version: 1\nsets:\n  a: {ports: [70000]}\n", 3, 15,
		  "set 'a': port 70000 is outside 0-65535" },
		{ "version: 1\nsets:\n  a: {addresses: [10.0.0.0/33]}\n", 3, 19,
		  "set 'a': prefix length 33 exceeds 32" },
		{ "version: 1\nsets:\n  a: {addresses: ['::ffff:10.0.0.1']}\n", 3, 19,
		  "IPv4-mapped" },
		{ "version: 1\nsets:\n  lan: {addresses: 10.0.0.0/8}\nrules:\n"
		  "  - {name: a, src: lan, action: drop}\n",
		  5, 20, "did you mean the set '$lan'?" },
		{ "version: 1\nrules:\n  - {name: a, dst: any, action: drop}\n", 3, 20,
		  "dst: 'any' is not an address: leave dst out to match every address" },
		{ "version: 1\nrules:\n  - {name: a, src: {not: []}, action: drop}\n", 3, 26,
		  "src is an empty list" },
	};
	struct parsed p;

	(void)state;
	expect_errors(errors, N_CASES(errors));
	/* A set in error is reported once, not again by each use. */
	parse(&p, "version: 1\nsets:\n  a: {addresses: [bogus]}\nrules:\n"
		  "  - {name: x, src: $a, action: drop}\n"
		  "  - {name: y, src: $a, action: drop}\n");
	assert_int_equal(p.ret, -EINVAL);
	assert_int_equal(p.d.errors, 1);
	done(&p);
}

static void test_set_warnings(void **state)
{
	static const struct diag_case warnings[] = {
		{ "version: 1\nsets:\n  a: {addresses: [10.0.0.0/8]}\n", 3, 3,
		  "set 'a' is never used" },
		{ "version: 1\nsets:\n  a: {addresses: [10.1.2.3/8]}\nrules:\n"
		  "  - {name: x, src: $a, action: drop}\n",
		  3, 19, "host bits set in 10.1.2.3/8, using 10.0.0.0/8" },
		{ "version: 1\nsets:\n  a: {addresses: [10.0.0.0/8, 10.0.0.0/8]}\nrules:\n"
		  "  - {name: x, src: $a, action: drop}\n",
		  3, 31, "set 'a': duplicate entry 10.0.0.0/8 (also at 3:19)" },
		{ "version: 1\nsets:\n  a: {addresses: [10.1.0.0/16, 10.0.0.0/8]}\nrules:\n"
		  "  - {name: x, src: $a, action: drop}\n",
		  3, 19, "set 'a': 10.1.0.0/16 is already covered by 10.0.0.0/8 (at 3:32)" },
		{ "version: 1\nsets:\n  a: {ports: [1-100, 50-150]}\nrules:\n"
		  "  - {name: x, proto: tcp, dport: $a, action: drop}\n",
		  3, 22, "set 'a': 50-150 overlaps 1-100 (at 3:15)" },
		/* Across the elements of a field, naming the set. */
		{ "version: 1\nsets:\n  a: {addresses: [10.0.0.0/8]}\nrules:\n"
		  "  - {name: x, src: [$a, 10.1.0.0/16], action: drop}\n",
		  5, 25, "src: 10.1.0.0/16 is already covered by 10.0.0.0/8 (set $a, at 5:21)" },
		{ "version: 1\nsets:\n  a: {addresses: [10.0.0.0/8]}\nrules:\n"
		  "  - {name: x, src: [$a, $a], action: drop}\n",
		  5, 25, "src: set '$a' is named twice" },
		/* An empty set matches nothing, never everything. */
		{ "version: 1\nsets:\n  e: {addresses: []}\nrules:\n"
		  "  - {name: x, src: $e, action: drop}\n",
		  5, 20,
		  "src matches nothing: the sets it names are empty, so the rule can never match" },
		{ "version: 1\nsets:\n  e: {ports: []}\nrules:\n"
		  "  - {name: x, proto: tcp, dport: {not: $e}, action: drop}\n",
		  5, 34, "dport matches nothing" },
	};
	struct parsed p;
	char yaml[512];
	size_t used;

	(void)state;
	expect_warnings(warnings, N_CASES(warnings));
	/* Overlaps inside a set are reported where it is defined only. */
	parse(&p, "version: 1\nsets:\n  a: {addresses: [10.0.0.0/8, 10.1.0.0/16]}\nrules:\n"
		  "  - {name: x, src: $a, action: drop}\n"
		  "  - {name: y, dst: $a, action: drop}\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.warnings, 1);
	done(&p);

	/* The first five, then one line for the rest. */
	used = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nsets:\n  a:\n    addresses:\n");
	for (int i = 0; i < 8; i++)
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used, "      - 10.0.0.0/8\n");
	snprintf(yaml + used, sizeof(yaml) - used,
		 "rules:\n  - {name: x, src: $a, action: drop}\n");
	parse(&p, yaml);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.warnings, 6);
	expect_diag(&p, EF_SEV_WARNING, 6, 9, "set 'a': duplicate entry 10.0.0.0/8 (also at 5:9)");
	expect_diag(&p, EF_SEV_WARNING, 3, 3,
		    "set 'a': 2 more duplicate or overlapping entries not shown");
	done(&p);
}

static void test_list_files(void **state)
{
	struct parsed p;
	char path[256];

	(void)state;
	assert_int_equal(mkdir(strcat(strcpy(path, tmpdir), "/lists"), 0700), 0);
	write_file("lists/firehol.netset", "#\n# firehol_level1\n#\n1.0.0.0/24\n2.0.0.0/8\n");
	write_file("lists/drop.txt", "; Spamhaus DROP\n3.0.0.0/16 ; SBL1\n4.0.0.0/16 ; SBL2\n");
	write_file("bare.txt", "5.5.5.5\n2001:db8::1\n\n");
	snprintf(path, sizeof(path), "%s/bare.txt", tmpdir);
	{
		char yaml[512];

		snprintf(yaml, sizeof(yaml),
			 "version: 1\n"
			 "sets:\n"
			 "  bad:\n"
			 "    files: [lists/firehol.netset, lists/drop.txt, '%s']\n"
			 "    addresses: [6.0.0.0/8]\n"
			 "rules:\n"
			 "  - {name: a, src: $bad, action: drop}\n",
			 path);
		load(&p, yaml);
	}
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.sets[0].n_entries, 7);
	assert_int_equal(p.rs.rules[0].src.n, 7);
	done(&p);
}

static void test_list_file_errors(void **state)
{
	char listpath[256];
	struct parsed p;

	(void)state;
	load(&p, "version: 1\nsets:\n  a: {files: [missing.netset]}\nrules:\n"
		 "  - {name: x, src: $a, action: drop}\n");
	assert_int_equal(p.ret, -EINVAL);
	snprintf(listpath, sizeof(listpath), "%s/missing.netset", tmpdir);
	expect_diag_in(&p, EF_SEV_ERROR, rules_path(), 3, 15, "set 'a': cannot read list file");
	expect_diag(&p, EF_SEV_ERROR, 3, 15, listpath);
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "No such file or directory");
	done(&p);

	/* An entry error is reported in the list file, at its line. */
	snprintf(listpath, sizeof(listpath), "%s",
		 write_file("bad.netset", "# ok\n10.0.0.0/8\n10.0.0.0/33\n"));
	load(&p, "version: 1\nsets:\n  a: {files: bad.netset}\nrules:\n"
		 "  - {name: x, src: $a, action: drop}\n");
	assert_int_equal(p.ret, -EINVAL);
	expect_diag_in(&p, EF_SEV_ERROR, listpath, 3, 1, "prefix length 33 exceeds 32");
	done(&p);

	load(&p, "version: 1\nsets:\n  a: {files: [/dev/null]}\nrules:\n"
		 "  - {name: x, src: $a, action: drop}\n");
	expect_diag(&p, EF_SEV_ERROR, 3, 15,
		    "set 'a': cannot read list file '/dev/null': not a regular "
		    "file (a FIFO, socket or device is never read)");
	done(&p);
	load(&p, "version: 1\nsets:\n  a: {files: ['']}\nrules:\n"
		 "  - {name: x, src: $a, action: drop}\n");
	expect_diag(&p, EF_SEV_ERROR, 3, 15, "set 'a': empty file name");
	done(&p);

	/* Duplicates across files are reported at the later file's line. */
	write_file("one.netset", "10.0.0.0/8\n");
	snprintf(listpath, sizeof(listpath), "%s", write_file("two.netset", "# two\n10.0.0.0/8\n"));
	load(&p, "version: 1\nsets:\n  a: {files: [one.netset, two.netset, one.netset]}\nrules:\n"
		 "  - {name: x, src: $a, action: drop}\n");
	assert_int_equal(p.ret, 0);
	expect_diag_in(&p, EF_SEV_WARNING, listpath, 2, 1,
		       "set 'a': duplicate entry 10.0.0.0/8 (also at");
	expect_diag(&p, EF_SEV_WARNING, 3, 39, "set 'a': list file 'one.netset' is listed twice");
	done(&p);

	/* Some inputs must not make edgefw open files at all. */
	memset(&p, 0, sizeof(p));
	p.ret = ef_ruleset_parse_flags("r.yaml",
				       "version: 1\nsets:\n  a: {files: [/etc/hostname]}\n",
				       strlen("version: 1\nsets:\n  a: {files: [/etc/hostname]}\n"),
				       EF_PARSE_NO_LIST_FILES, &p.rs, &p.d);
	assert_int_equal(p.ret, -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 15,
		    "set 'a': list file '/etc/hostname' not read: this parse reads no files");
	done(&p);
}

/* More entries than the tables hold, through a set used twice. */
static void test_prefix_limit(void **state)
{
	const size_t n = (1u << 19) + 1;
	char *text = malloc(n * 16);
	size_t used = 0;
	struct parsed p;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		used += (size_t)sprintf(text + used, "10.%zu.%zu.%zu\n", i >> 16, (i >> 8) & 255,
					i & 255);
	write_file("big.netset", text);
	free(text);
	load(&p, "version: 1\nsets:\n  big: {files: big.netset}\nrules:\n"
		 "  - {name: x, src: $big, action: drop}\n"
		 "  - {name: y, src: $big, action: pass}\n"
		 "  - {name: z, dst: $big, action: pass}\n");
	assert_int_equal(p.ret, -EINVAL);
	assert_int_equal(p.d.errors, 1);
	expect_diag(
		&p, EF_SEV_ERROR, 6, 20,
		"src: the rules' src fields would hold more than 1048576 IPv4 prefixes, the table limit");
	done(&p);
}

static void test_port_limit(void **state)
{
	size_t cap = 2u << 20, used = 0;
	char *yaml = malloc(cap);
	struct parsed p;

	(void)state;
	assert_non_null(yaml);
	used += (size_t)snprintf(yaml, cap, "version: 1\nsets:\n  all:\n    ports: [");
	for (unsigned port = 0; port < 65536; port++)
		used += (size_t)snprintf(yaml + used, cap - used, "%s%u", port ? "," : "", port);
	used += (size_t)snprintf(yaml + used, cap - used, "]\nrules:\n");
	for (int i = 0; i < 17; i++)
		used += (size_t)snprintf(yaml + used, cap - used,
					 "  - {name: r%d, proto: tcp, sport: $all, action: drop}\n",
					 i);
	parse(&p, yaml);
	assert_int_equal(p.ret, -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 22, 36,
		    "sport: the rules' sport fields would hold more than 1048576 port ranges");
	done(&p);
	free(yaml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_sets),  cmocka_unit_test(test_nested_and_negated),
		cmocka_unit_test(test_set_errors),   cmocka_unit_test(test_set_warnings),
		cmocka_unit_test(test_list_files),   cmocka_unit_test(test_list_file_errors),
		cmocka_unit_test(test_prefix_limit), cmocka_unit_test(test_port_limit),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
