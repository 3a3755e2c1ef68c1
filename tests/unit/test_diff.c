// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw diff's core (user/compiler/diff.h): hand-made changes of known
 * effect give exactly the expected rule changes, set deltas and verdict
 * changes; a reorder that changes nothing says so. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "ruleset.h"

#define BASE                                                                                   \
	"version: 1\n"                                                                         \
	"sets:\n  bad: {files: [build/tests/diff_bad.txt]}\n"                                  \
	"rules:\n"                                                                             \
	"  - {name: allow-admin-ssh, src: 10.1.0.0/16, proto: tcp, dport: 22, action: pass}\n" \
	"  - {name: block-ssh, proto: tcp, dport: 22, action: drop}\n"                         \
	"  - {name: drop-bad, src: $bad, action: drop}\n"                                      \
	"  - {name: web, proto: tcp, dport: 80, action: pass}\n"                               \
	"  - {name: dns, proto: udp, dport: 53, action: pass}\n"

static void write_list(const char *text)
{
	FILE *f = fopen("build/tests/diff_bad.txt", "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void parse(const char *yaml, struct ef_ruleset *rs)
{
	struct ef_diag d = { 0 };

	if (ef_ruleset_parse("t.yaml", yaml, strlen(yaml), rs, &d)) {
		ef_diag_print(&d, stderr);
		fail_msg("does not parse:\n%s", yaml);
	}
	ef_diag_free(&d);
}

/* Replaces the first `from` in BASE by `to`. */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(BASE, from);
	char *out = malloc(strlen(BASE) + strlen(to) + 1);

	assert_non_null(at);
	sprintf(out, "%.*s%s%s", (int)(at - BASE), BASE, to, at + strlen(from));
	return out;
}

struct run {
	struct ef_ruleset a, b;
	struct ef_diff d;
};

static void run_diff(struct run *r, const char *new_yaml)
{
	parse(BASE, &r->a);
	parse(new_yaml, &r->b);
	assert_int_equal(ef_diff_rulesets(&r->a, &r->b, NULL, &r->d), 0);
	assert_false(r->d.budget_hit);
}

static void run_free(struct run *r)
{
	ef_diff_free(&r->d);
	ef_ruleset_free(&r->a);
	ef_ruleset_free(&r->b);
}

static void check_group(const struct ef_verdict_group *g, const char *from, const char *to)
{
	char a[128], b[128];

	ef_outcome_format(&g->from, a, sizeof(a));
	ef_outcome_format(&g->to, b, sizeof(b));
	assert_string_equal(a, from);
	assert_string_equal(b, to);
}

static void example(const struct ef_verdict_group *g, size_t i, char *buf, size_t len)
{
	assert_true(i < g->n_ex);
	ef_flow_format(&g->ex[i], buf, len);
}

static void test_port_widened(void **state)
{
	char *y = edit("dport: 80,", "dport: 80-81,");
	struct run r;
	char p[128];

	(void)state;
	write_list("192.0.2.66\n");
	run_diff(&r, y);
	assert_int_equal(r.d.n_changed, 1);
	assert_int_equal(r.d.n_added + r.d.n_removed + r.d.n_moved, 0);
	assert_string_equal(r.d.rules[0].fields, "dport");
	assert_int_equal(r.d.counters_kept, 5);
	assert_int_equal(r.d.n_groups, 1);
	check_group(&r.d.groups[0], "pass (default)", "pass (rule web)");
	assert_int_equal(r.d.groups[0].packets, 1);
	example(&r.d.groups[0], 0, p, sizeof(p));
	assert_string_equal(p, "tcp 203.0.113.9:1234 -> 198.51.100.1:81");
	run_free(&r);
	free(y);
}

/* block-ssh moved above allow-admin-ssh now shadows it: the admins'
 * ssh is dropped, every other packet keeps its outcome. */
static void test_moved_shadows(void **state)
{
	char *y = edit(
		"  - {name: allow-admin-ssh, src: 10.1.0.0/16, proto: tcp, dport: 22, action: pass}\n"
		"  - {name: block-ssh, proto: tcp, dport: 22, action: drop}\n",
		"  - {name: block-ssh, proto: tcp, dport: 22, action: drop}\n"
		"  - {name: allow-admin-ssh, src: 10.1.0.0/16, proto: tcp, dport: 22, action: pass}\n");
	struct run r;
	char p[128];

	(void)state;
	write_list("192.0.2.66\n");
	run_diff(&r, y);
	assert_int_equal(r.d.n_moved, 1);
	assert_int_equal(r.d.n_changed + r.d.n_added + r.d.n_removed, 0);
	assert_int_equal(r.d.n_groups, 1);
	check_group(&r.d.groups[0], "pass (rule allow-admin-ssh)", "drop (rule block-ssh)");
	for (size_t i = 0; i < r.d.groups[0].n_ex; i++) {
		example(&r.d.groups[0], i, p, sizeof(p));
		assert_true(!strncmp(p, "tcp 10.1.", 9));
		assert_non_null(strstr(p, ":22"));
	}
	run_free(&r);
	free(y);
}

/* The rules file is the same; the list file it names gained an address. */
static void test_list_file_grew(void **state)
{
	struct run r;
	char p[128];

	(void)state;
	write_list("192.0.2.66\n");
	parse(BASE, &r.a);
	write_list("192.0.2.66\n192.0.2.77\n");
	parse(BASE, &r.b);
	assert_int_equal(ef_diff_rulesets(&r.a, &r.b, NULL, &r.d), 0);
	assert_true(r.a.hash != r.b.hash);
	assert_int_equal(r.d.n_rules, 0);
	assert_int_equal(r.d.n_sets, 1);
	assert_string_equal(r.d.sets[0].name, "bad");
	assert_int_equal(r.d.sets[0].added, 1);
	assert_int_equal(r.d.sets[0].removed, 0);
	assert_int_equal(r.d.n_groups, 1);
	check_group(&r.d.groups[0], "pass (rule web)", "drop (rule drop-bad)");
	assert_int_equal(r.d.groups[0].packets, 1);
	example(&r.d.groups[0], 0, p, sizeof(p));
	assert_string_equal(p, "tcp 192.0.2.77:1234 -> 198.51.100.1:80");
	run_free(&r);
}

static void test_noop_reorder(void **state)
{
	char *y = edit("  - {name: web, proto: tcp, dport: 80, action: pass}\n"
		       "  - {name: dns, proto: udp, dport: 53, action: pass}\n",
		       "  - {name: dns, proto: udp, dport: 53, action: pass}\n"
		       "  - {name: web, proto: tcp, dport: 80, action: pass}\n");
	struct run r;

	(void)state;
	write_list("192.0.2.66\n");
	run_diff(&r, y);
	assert_int_equal(r.d.n_moved, 1);
	assert_true(r.d.probes > 0);
	assert_int_equal(r.d.changed_packets, 0);
	assert_int_equal(r.d.n_groups, 0);
	run_free(&r);
	free(y);
}

static void test_added_removed_default(void **state)
{
	char *y = edit("  - {name: dns, proto: udp, dport: 53, action: pass}\n",
		       "  - {name: ntp, proto: udp, dport: 123, action: drop}\n");
	char *y2 = edit("version: 1\n", "version: 1\ndefaults: {xdp: drop}\n");
	struct run r;

	(void)state;
	write_list("192.0.2.66\n");
	run_diff(&r, y);
	assert_int_equal(r.d.n_added, 1);
	assert_int_equal(r.d.n_removed, 1);
	assert_int_equal(r.d.counters_new, 1);
	assert_int_equal(r.d.counters_gone, 1);
	assert_int_equal(r.d.n_groups, 2);
	for (size_t i = 0; i < 2; i++) {
		char a[128], b[128];

		ef_outcome_format(&r.d.groups[i].from, a, sizeof(a));
		ef_outcome_format(&r.d.groups[i].to, b, sizeof(b));
		assert_true((!strcmp(a, "pass (rule dns)") && !strcmp(b, "pass (default)")) ||
			    (!strcmp(a, "pass (default)") && !strcmp(b, "drop (rule ntp)")));
	}
	run_free(&r);
	run_diff(&r, y2);
	assert_int_equal(r.d.n_rules, 0);
	assert_true(r.d.n_groups >= 1);
	check_group(&r.d.groups[0], "pass (default)", "drop (default)");
	run_free(&r);
	free(y);
	free(y2);
}

static void test_same(void **state)
{
	struct run r;

	(void)state;
	write_list("192.0.2.66\n");
	run_diff(&r, BASE);
	assert_int_equal(r.d.n_rules + r.d.n_sets + r.d.n_groups + r.d.regions, 0);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_widened),          cmocka_unit_test(test_moved_shadows),
		cmocka_unit_test(test_list_file_grew),        cmocka_unit_test(test_noop_reorder),
		cmocka_unit_test(test_added_removed_default), cmocka_unit_test(test_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
