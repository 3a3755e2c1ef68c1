// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rules file parser: every accepted form and every diagnostic, with its
 * exact position. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ruleset.h"
#include "ruletest.h"

static void test_demo_file(void **state)
{
	struct ef_ruleset rs;
	struct ef_diag d = {};
	char text[EF_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(ef_ruleset_load("rules/demo.yaml", &rs, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(rs.n_rules, 3);
	assert_string_equal(rs.rules[0].name, "drop-bad-v4");
	assert_int_equal(rs.rules[0].action, EDGEFW_ACT_DROP);
	assert_false(rs.rules[0].src.any);
	assert_true(rs.rules[0].dst.any);
	ef_prefix_format(&rs.rules[0].src.v[0], text, sizeof(text));
	assert_string_equal(text, "10.200.1.64/28");
	assert_int_equal(rs.rules[1].src.v[0].family, EF_AF_INET6);
	assert_int_equal(rs.default_action[EDGEFW_HOOK_XDP], EDGEFW_ACT_PASS);
	assert_int_not_equal(rs.hash, 0);
	ef_ruleset_free(&rs);
	ef_diag_free(&d);
}

static void test_full_rule(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\n"
		  "defaults:\n"
		  "  xdp: drop\n"
		  "  tc-ingress: pass\n"
		  "  tc-egress: drop\n"
		  "  non-ip: drop\n"
		  "  malformed: pass\n"
		  "rules:\n"
		  "  - name: fwd.web_1\n"
		  "    src: [192.0.2.0/24, '2001:db8::/32']\n"
		  "    dst: 198.51.100.7\n"
		  "    action: redirect\n"
		  "    to: eth1\n"
		  "    log: true\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.n, 0);
	assert_int_equal(p.rs.default_action[EDGEFW_HOOK_XDP], EDGEFW_ACT_DROP);
	assert_int_equal(p.rs.default_action[EDGEFW_HOOK_TC_INGRESS], EDGEFW_ACT_PASS);
	assert_int_equal(p.rs.default_action[EDGEFW_HOOK_TC_EGRESS], EDGEFW_ACT_DROP);
	assert_int_equal(p.rs.non_ip_action, EDGEFW_ACT_DROP);
	assert_int_equal(p.rs.malformed_action, EDGEFW_ACT_PASS);
	assert_int_equal(p.rs.rules[0].src.n, 2);
	assert_int_equal(p.rs.rules[0].dst.n, 1);
	assert_int_equal(p.rs.rules[0].dst.v[0].len, 32);
	assert_int_equal(p.rs.rules[0].action, EDGEFW_ACT_REDIRECT);
	assert_string_equal(p.rs.rules[0].redirect_ifname, "eth1");
	assert_true(p.rs.rules[0].log);
	assert_int_equal(p.rs.rules[0].line, 9);
	assert_int_equal(p.rs.rules[0].col, 5);
	done(&p);
}

static void test_safe_defaults(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.n_rules, 0);
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		assert_int_equal(p.rs.default_action[h], EDGEFW_ACT_PASS);
	assert_int_equal(p.rs.non_ip_action, EDGEFW_ACT_PASS);
	assert_int_equal(p.rs.malformed_action, EDGEFW_ACT_DROP);
	done(&p);
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error("version: 1\nrule:\n  - name: a\n", 2, 1,
		     "unknown key 'rule' in the document; did you mean 'rules'?");
	expect_error("version: 1\nrules:\n  - name: a\n    acton: drop\n", 4, 5,
		     "did you mean 'action'?");
	expect_error("version: 1\ndefaults:\n  xpd: drop\n", 3, 3, "did you mean 'xdp'?");
	expect_error("version: 1\nfrobnicate: 3\n", 2, 1,
		     "unknown key 'frobnicate' in the document");
}

static void test_types(void **state)
{
	(void)state;
	expect_error("- a\n- b\n", 1, 1, "the document must be a mapping, not a sequence");
	expect_error("version: 1\nrules: {a: 1}\n", 2, 8,
		     "rules must be a sequence, not a mapping");
	expect_error("version: 1\nrules:\n  - drop\n", 3, 5,
		     "a rule must be a mapping, not a scalar");
	expect_error("version: 1\ndefaults: drop\n", 2, 11, "defaults must be a mapping");
	expect_error("version: 1\nrules:\n  - {name: [a], action: drop}\n", 3, 12,
		     "name must be a scalar, not a sequence");
	expect_error("version: 1\nrules:\n  - {name: a, src: {x: 1}, action: drop}\n", 3, 20,
		     "src must be a value, a $set, a list of them, or {not: ...}");
}

static void test_version(void **state)
{
	(void)state;
	expect_error("rules: []\n", 1, 1, "missing 'version: 1'");
	expect_error("version: 2\n", 1, 10, "unsupported version '2'");
	expect_error("", 0, 0, "the file is empty");
}

static void test_names(void **state)
{
	(void)state;
	expect_error("version: 1\nrules:\n  - {action: drop}\n", 3, 5, "rule has no 'name'");
	expect_error("version: 1\nrules:\n  - {name: 'a b', action: drop}\n", 3, 12,
		     "rule name 'a b' is invalid");
	expect_error("version: 1\nrules:\n"
		     "  - {name: x, action: drop}\n"
		     "  - {name: y, action: drop}\n"
		     "  - {name: x, action: pass}\n",
		     5, 5, "duplicate rule name 'x' (first at 3:5)");
	{
		char yaml[256];

		snprintf(yaml, sizeof(yaml), "version: 1\nrules:\n  - {name: %0*d, action: drop}\n",
			 EDGEFW_RULE_NAME_MAX, 1);
		expect_error(yaml, 3, 12, "is invalid");
	}
}

static void test_actions(void **state)
{
	(void)state;
	expect_error("version: 1\nrules:\n  - {name: a, action: reject}\n", 3, 23,
		     "action 'reject' is not one of: pass, drop, redirect");
	expect_error("version: 1\nrules:\n  - {name: a}\n", 3, 5, "has no 'action'");
	expect_error("version: 1\nrules:\n  - {name: a, action: redirect}\n", 3, 5,
		     "redirects but has no 'to: IFNAME'");
	expect_error("version: 1\nrules:\n  - {name: a, action: drop, to: eth0}\n", 3, 33,
		     "'to' is only valid with 'action: redirect'");
	expect_error("version: 1\nrules:\n  - {name: a, action: redirect, to: 'eth0/1'}\n", 3, 37,
		     "'eth0/1' is not a valid interface name");
	expect_error("version: 1\nrules:\n  - {name: a, action: redirect, to: abcdefghijklmnop}\n",
		     3, 37, "is not a valid interface name");
	expect_error("version: 1\ndefaults: {xdp: redirect}\n", 2, 17,
		     "default policy 'redirect' is not one of: pass, drop");
	expect_error("version: 1\nrules:\n  - {name: a, action: drop, log: yes}\n", 3, 34,
		     "log must be true or false");
}

static void test_addresses(void **state)
{
	struct parsed p;

	(void)state;
	expect_error("version: 1\nrules:\n  - {name: a, src: 10.0.0.0/33, action: drop}\n", 3, 20,
		     "src: prefix length 33 exceeds 32");
	expect_error("version: 1\nrules:\n  - {name: a, dst: [10.0.0.1, bogus], action: drop}\n", 3,
		     31, "dst:");
	expect_error("version: 1\nrules:\n  - {name: a, src: [], action: drop}\n", 3, 20,
		     "src is an empty list: it would match nothing");
	expect_error("version: 1\nrules:\n  - {name: a, src: '::ffff:10.0.0.1', action: drop}\n", 3,
		     20, "IPv4-mapped");

	/* Host bits: a warning, and the prefix is used without them. */
	parse(&p, "version: 1\nrules:\n  - {name: a, src: 10.1.2.3/8, action: drop}\n");
	assert_int_equal(p.ret, 0);
	expect_diag(&p, EF_SEV_WARNING, 3, 20, "host bits set in 10.1.2.3/8, using 10.0.0.0/8");
	assert_int_equal(p.rs.rules[0].src.v[0].addr[1], 0);
	done(&p);
}

static void test_all_errors_reported(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\nrules:\n"
		  "  - {name: a, src: 10.0.0.0/40, action: drop}\n"
		  "  - {name: b, action: maybe}\n");
	assert_int_equal(p.ret, -EINVAL);
	assert_int_equal(p.d.errors, 2);
	done(&p);
}

static void test_yaml_errors(void **state)
{
	(void)state;
	expect_error("version: 1\nrules:\n  - name: a\n   action: drop\n", 4, 4,
		     "did not find expected '-' indicator");
	expect_error("version: 1\nversion: 1\n", 2, 1, "duplicate key 'version'");
}

static void test_has_family(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\nrules:\n"
		  "  - {name: a, src: 10.0.0.0/8, action: drop}\n"
		  "  - {name: b, dst: '2001:db8::/32', action: drop}\n"
		  "  - {name: c, action: drop}\n"
		  "  - {name: d, src: 10.0.0.0/8, dst: '2001:db8::/32', action: drop}\n");
	assert_int_equal(p.ret, 0);
	assert_true(ef_rule_has_family(&p.rs.rules[0], EF_AF_INET));
	assert_false(ef_rule_has_family(&p.rs.rules[0], EF_AF_INET6));
	assert_false(ef_rule_has_family(&p.rs.rules[1], EF_AF_INET));
	assert_true(ef_rule_has_family(&p.rs.rules[1], EF_AF_INET6));
	assert_true(ef_rule_has_family(&p.rs.rules[2], EF_AF_INET));
	assert_true(ef_rule_has_family(&p.rs.rules[2], EF_AF_INET6));
	/* Families that cannot meet: the rule can never match. */
	assert_false(ef_rule_has_family(&p.rs.rules[3], EF_AF_INET));
	assert_false(ef_rule_has_family(&p.rs.rules[3], EF_AF_INET6));
	done(&p);
}

static void test_defaults_policies(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.ext_overflow_action, EDGEFW_ACT_DROP);
	assert_int_equal(p.rs.encap_overflow_action, EDGEFW_ACT_DROP);
	assert_int_equal(p.rs.frag_policy, EF_FRAGPOL_RULES);
	done(&p);

	parse(&p, "version: 1\ndefaults: {encap-overflow: pass}\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.encap_overflow_action, EDGEFW_ACT_PASS);
	assert_int_equal(p.rs.ext_overflow_action, EDGEFW_ACT_DROP);
	done(&p);

	parse(&p, "version: 1\ndefaults: {fragments: drop, ipv6-ext-overflow: pass}\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.frag_policy, EF_FRAGPOL_DROP);
	assert_int_equal(p.rs.ext_overflow_action, EDGEFW_ACT_PASS);
	done(&p);
	parse(&p, "version: 1\ndefaults: {fragments: pass}\n");
	assert_int_equal(p.rs.frag_policy, EF_FRAGPOL_PASS);
	done(&p);
	parse(&p, "version: 1\ndefaults: {fragments: rules}\n");
	assert_int_equal(p.rs.frag_policy, EF_FRAGPOL_RULES);
	done(&p);

	expect_error("version: 1\ndefaults: {fragments: reassemble}\n", 2, 23,
		     "fragments 'reassemble' is not one of: rules, pass, drop");
	expect_error("version: 1\ndefaults: {ipv6-ext-overflow: redirect}\n", 2, 31,
		     "ipv6-ext-overflow 'redirect' is not one of: pass, drop");
	expect_error("version: 1\ndefaults: {encap-overflow: redirect}\n", 2, 28,
		     "encap-overflow 'redirect' is not one of: pass, drop");
	expect_error("version: 1\ndefaults: {encap-overflows: drop}\n", 2, 12,
		     "unknown key 'encap-overflows' in defaults; did you mean 'encap-overflow'?");
	expect_error("version: 1\ndefaults: {non-ip: maybe}\n", 2, 20,
		     "non-ip 'maybe' is not one of: pass, drop");
	expect_error("version: 1\ndefaults: {fragment: drop}\n", 2, 12,
		     "unknown key 'fragment' in defaults; did you mean 'fragments'?");
	expect_error("version: 1\ndefaults: {policy: drop}\n", 2, 12,
		     "unknown key 'policy' in defaults; did you mean 'xdp'?");
}

static void test_null_values(void **state)
{
	(void)state;
	expect_error("version: 1\nrules:\n", 2, 7,
		     "rules has no value: write a sequence or remove the key");
	expect_error("version: 1\ndefaults:\n", 2, 10, "defaults has no value");
	expect_error("version: 1\nsets: ~\n", 2, 7, "sets has no value");
	expect_error("version: 1\nrules:\n  - {name: a, src: , action: drop}\n", 3, 20,
		     "src has no value: write a value or remove the key");
	expect_error("version: 1\nrules:\n  - {name: a, proto: null, action: drop}\n", 3, 22,
		     "proto has no value");
}

static void test_synonyms(void **state)
{
	(void)state;
	expect_error("version: 1\nrules:\n  - {name: a, protocol: tcp, action: drop}\n", 3, 15,
		     "unknown key 'protocol' in a rule; did you mean 'proto'?");
	expect_error("version: 1\nrules:\n  - {name: a, port: 22, action: drop}\n", 3, 15,
		     "did you mean 'dport'?");
	expect_error("version: 1\nrules:\n  - {name: a, source: 10.0.0.0/8, action: drop}\n", 3, 15,
		     "did you mean 'src'?");
	expect_error("version: 1\nrules:\n  - {name: a, iface: eth0, action: drop}\n", 3, 15,
		     "did you mean 'interfaces'?");
	expect_error("version: 1\nrules:\n  - {name: a, comment: hi, action: drop}\n", 3, 15,
		     "write comments as YAML comments");
	expect_error("version: 1\nrules:\n  - {name: a, icmp_type: 8, action: drop}\n", 3, 15,
		     "did you mean 'icmp-type'?");
}

static void test_log_booleans(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\nrules:\n"
		  "  - {name: a, action: drop, log: false}\n"
		  "  - {name: b, action: pass, log: true}\n");
	assert_int_equal(p.ret, 0);
	assert_false(p.rs.rules[0].log);
	assert_true(p.rs.rules[1].log);
	done(&p);
	expect_error("version: 1\nrules:\n  - {name: a, action: drop, log: on}\n", 3, 34,
		     "log must be true or false, not 'on' (YAML 1.1 words");
	expect_error("version: 1\nrules:\n  - {name: a, action: drop, log: True}\n", 3, 34,
		     "not 'True'");
	expect_error("version: 1\nrules:\n  - {name: a, action: drop, log: [true]}\n", 3, 34,
		     "log must be a scalar, not a sequence");
}

/* Three rules share a name: each repeat is reported against the first. */
static void test_duplicate_names_sorted(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\nrules:\n"
		  "  - {name: b, action: drop}\n"
		  "  - {name: a, action: drop}\n"
		  "  - {name: b, action: drop}\n"
		  "  - {name: a, action: drop}\n"
		  "  - {name: b, action: drop}\n");
	assert_int_equal(p.ret, -EINVAL);
	assert_int_equal(p.d.errors, 3);
	expect_diag(&p, EF_SEV_ERROR, 5, 5, "duplicate rule name 'b' (first at 3:5)");
	expect_diag(&p, EF_SEV_ERROR, 7, 5, "duplicate rule name 'b' (first at 3:5)");
	expect_diag(&p, EF_SEV_ERROR, 6, 5, "duplicate rule name 'a' (first at 4:5)");
	done(&p);
}

static void test_rule_limit(void **state)
{
	size_t n = EDGEFW_MAX_RULES + 1, cap = 32 + n * 32, used = 0;
	char *yaml = malloc(cap);
	struct parsed p;

	(void)state;
	assert_non_null(yaml);
	used += (size_t)snprintf(yaml, cap, "version: 1\nrules:\n");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(yaml + used, cap - used, "- {name: r%zu, action: drop}\n",
					 i);
	parse(&p, yaml);
	assert_int_equal(p.ret, -EINVAL);
	expect_diag(&p, EF_SEV_ERROR, 3, 1, "65537 rules exceed the limit of 65536");
	done(&p);
	free(yaml);
}

static void test_yaml_limits(void **state)
{
	char deep[400];
	size_t used = 0;

	(void)state;
	/* Nesting past the reader's bound, inside a rule field. */
	used += (size_t)snprintf(deep, sizeof(deep), "version: 1\nrules:\n  - src: ");
	for (int i = 0; i < 70; i++)
		deep[used++] = '[';
	deep[used] = '\0';
	expect_error(deep, 3, 71, "nesting deeper than 64 levels");
	/* An alias bomb: nine levels of nine references. */
	expect_error("version: 1\n"
		     "a: &a [x, x, x, x, x, x, x, x, x]\n"
		     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		     "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		     "h: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n",
		     8, 28, "alias expansion exceeds");
}

static void test_unnamed_rule(void **state)
{
	expect_error("version: 1\nrules:\n  - {src: 10.0.0.0/8}\n", 3, 5,
		     "this rule has no 'action'");
	(void)state;
}

static void test_file_too_big(void **state)
{
	char path[] = "/tmp/efw-big.XXXXXX";
	struct ef_ruleset rs;
	struct ef_diag d = {};
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	/* Sparse: 65 MiB of nothing, over the reader's 64 MiB. */
	assert_int_equal(ftruncate(fd, 65 << 20), 0);
	close(fd);
	assert_int_equal(ef_ruleset_load(path, &rs, &d), -EFBIG);
	unlink(path);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(
		d.v[0].msg,
		"file is larger than the limit of 67108864 bytes: split large address lists into list files"));
	ef_diag_free(&d);
}

static void test_missing_file(void **state)
{
	struct ef_ruleset rs;
	struct ef_diag d = {};

	(void)state;
	assert_int_equal(ef_ruleset_load("/nonexistent/rules.yaml", &rs, &d), -ENOENT);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.v[0].file, "/nonexistent/rules.yaml");
	assert_non_null(strstr(d.v[0].msg, "cannot read: No such file"));
	ef_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_file),     cmocka_unit_test(test_full_rule),
		cmocka_unit_test(test_safe_defaults), cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_types),         cmocka_unit_test(test_version),
		cmocka_unit_test(test_names),         cmocka_unit_test(test_actions),
		cmocka_unit_test(test_addresses),     cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_yaml_errors),   cmocka_unit_test(test_has_family),
		cmocka_unit_test(test_missing_file),  cmocka_unit_test(test_defaults_policies),
		cmocka_unit_test(test_null_values),   cmocka_unit_test(test_synonyms),
		cmocka_unit_test(test_log_booleans),  cmocka_unit_test(test_duplicate_names_sorted),
		cmocka_unit_test(test_rule_limit),    cmocka_unit_test(test_yaml_limits),
		cmocka_unit_test(test_unnamed_rule),  cmocka_unit_test(test_file_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
