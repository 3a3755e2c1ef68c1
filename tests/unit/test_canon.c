// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The canonical form and the ruleset hash: one text, and one hash, for one
 * meaning; the canonical text parses back to itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "ruleset.h"

static uint64_t hash_of(const char *yaml)
{
	struct ef_ruleset rs;
	struct ef_diag d = { 0 };
	uint64_t h;

	if (ef_ruleset_parse("t.yaml", yaml, strlen(yaml), &rs, &d)) {
		ef_diag_print(&d, stderr);
		fail_msg("does not parse: %s", yaml);
	}
	h = rs.hash;
	ef_ruleset_free(&rs);
	ef_diag_free(&d);
	return h;
}

/* The case: the same rule in flow style, and in block style with
 * a comment and keys in another order, reloaded with two hashes. */
static void test_style_does_not_matter(void **state)
{
	(void)state;
	assert_int_equal(hash_of("version: 1\nrules:\n"
				 "  - {name: ssh, proto: tcp, dport: 22, action: drop}\n"),
			 hash_of("version: 1\n# keep ssh out\nrules:\n"
				 "  - name: ssh\n"
				 "    action: drop   # for now\n"
				 "    dport: [22]\n"
				 "    proto: [tcp]\n"));
	assert_int_equal(
		hash_of("version: 1\nrules:\n  - {name: a, direction: ingress, action: drop}\n"),
		hash_of("version: 1\ndefaults: {xdp: pass}\nrules:\n"
			"  - {name: a, hooks: [tc-ingress, xdp], action: drop}\n"));
	/* A set inside a set, or its entries inline in the set: the same. */
	assert_int_equal(hash_of("version: 1\nsets:\n  a: {addresses: [10.0.0.0/8]}\n"
				 "  b: {addresses: [$a, 192.0.2.1]}\n"
				 "rules:\n  - {name: r, src: $b, action: drop}\n"),
			 hash_of("version: 1\nsets:\n  b: {addresses: [10.0.0.0/8, 192.0.2.1/32]}\n"
				 "rules:\n  - {name: r, src: $b, action: drop}\n"));
}

static void test_meaning_matters(void **state)
{
	const char *base =
		"version: 1\nrules:\n  - {name: ssh, proto: tcp, dport: 22, action: drop}\n";

	(void)state;
	assert_int_not_equal(
		hash_of(base),
		hash_of("version: 1\nrules:\n  - {name: ssh, proto: tcp, dport: 23, action: drop}\n"));
	assert_int_not_equal(
		hash_of(base),
		hash_of("version: 1\nrules:\n  - {name: ssh2, proto: tcp, dport: 22, action: drop}\n"));
	assert_int_not_equal(
		hash_of(base),
		hash_of("version: 1\ndefaults: {xdp: drop}\nrules:\n  - {name: ssh, proto: tcp, dport: 22, action: drop}\n"));
	assert_int_not_equal(
		hash_of("version: 1\nrules:\n  - {name: a, proto: tcp, action: drop}\n  - {name: b, proto: udp, action: pass}\n"),
		hash_of("version: 1\nrules:\n  - {name: b, proto: udp, action: pass}\n  - {name: a, proto: tcp, action: drop}\n"));
}

/* canon(parse(canon(x))) == canon(x), with the same hash and no warning. */
static void check_round_trip(const char *path)
{
	struct ef_ruleset rs, back;
	struct ef_diag d = { 0 }, d2 = { 0 };
	char *text, *text2;
	size_t len, len2;

	if (ef_ruleset_load(path, &rs, &d)) {
		ef_diag_print(&d, stderr);
		fail_msg("%s does not load", path);
	}
	assert_int_equal(ef_canon_text(&rs, NULL, &text, &len), 0);
	if (ef_ruleset_parse("canon.yaml", text, len, &back, &d2)) {
		ef_diag_print(&d2, stderr);
		fail_msg("the canonical form of %s does not parse:\n%s", path, text);
	}
	assert_int_equal(ef_canon_text(&back, NULL, &text2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	assert_true(rs.hash == back.hash);
	free(text);
	free(text2);
	ef_ruleset_free(&rs);
	ef_ruleset_free(&back);
	ef_diag_free(&d);
	ef_diag_free(&d2);
}

static void test_examples_round_trip(void **state)
{
	glob_t g;

	(void)state;
	assert_int_equal(glob("rules/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 5);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_round_trip(g.gl_pathv[i]);
	globfree(&g);
}

static void test_every_field_round_trips(void **state)
{
	static const char yaml[] =
		"version: 1\n"
		"defaults: {xdp: drop, fragments: pass, non-ip: drop}\n"
		"sets:\n"
		"  lan: {addresses: [10.0.0.0/8, \"fd00::/8\"]}\n"
		"  web: {ports: [80, 443, 8000-8100]}\n"
		"  empty: {addresses: []}\n"
		"  ban: {dynamic: true, type: address, timeout: 10m, size: 1000}\n"
		"rules:\n"
		"  - {name: a, direction: egress, interfaces: [\"eth*\", 'we\\\"ird'], src: {not: [$lan, 192.0.2.0/24]},\n"
		"     proto: tcp, dport: [$web, 22], sport: {not: 1-1023}, tcp-flags: [syn, \"!ack\"],\n"
		"     vlan: none, fragment: first, action: redirect, to: eth1, log: true}\n"
		"  - {name: b, proto: icmp, icmp-type: echo-request, icmp-code: 0, vlan: 7, state: [new, related], track: true, action: pass}\n"
		"  - {name: c, src: $ban, proto: [gre, 250], action: drop}\n"
		"  - {name: d, dst: {not: $ban}, src: $empty, action: drop}\n"
		"  - {name: e, proto: tcp, dport: 22, limit: {rate: 10/m, burst: 5, per: [src, dport], unit: bytes}, action: pass}\n"
		"  - {name: f, proto: tcp, dport: 22, action: drop, ban: {set: ban, timeout: 1h}}\n";
	FILE *f = fopen("build/tests/canon_all.yaml", "w");

	(void)state;
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	check_round_trip("build/tests/canon_all.yaml");
}

/* The summary keeps N entries of a big set and says how many are left. */
static void test_preview(void **state)
{
	static const char yaml[] = "version: 1\nsets:\n  s: {ports: [1, 2, 3, 4, 5, 6, 7]}\n"
				   "rules:\n  - {name: r, proto: udp, dport: $s, action: drop}\n";
	const struct ef_canon_opts o = { .set_preview = 3 };
	struct ef_ruleset rs;
	struct ef_diag d = { 0 };
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(ef_ruleset_parse("t", yaml, strlen(yaml), &rs, &d), 0);
	assert_int_equal(ef_canon_text(&rs, &o, &text, &len), 0);
	assert_non_null(strstr(text, "      - 3\n      # ... and 4 more of 7 entries"));
	assert_null(strstr(text, "- 4\n"));
	free(text);
	ef_ruleset_free(&rs);
	ef_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_style_does_not_matter),
		cmocka_unit_test(test_meaning_matters),
		cmocka_unit_test(test_examples_round_trip),
		cmocka_unit_test(test_every_field_round_trips),
		cmocka_unit_test(test_preview),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
