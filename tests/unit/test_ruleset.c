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
#include <string.h>

#include "ruleset.h"

struct parsed {
	struct ef_ruleset rs;
	struct ef_diag d;
	int ret;
};

static void parse(struct parsed *p, const char *yaml)
{
	memset(p, 0, sizeof(*p));
	p->ret = ef_ruleset_parse("r.yaml", yaml, strlen(yaml), &p->rs, &p->d);
}

static void done(struct parsed *p)
{
	ef_ruleset_free(&p->rs);
	ef_diag_free(&p->d);
}

/* Asserts that some diagnostic of sev sits at line:col and contains text. */
static void expect_diag(const struct parsed *p, enum ef_severity sev,
			unsigned line, unsigned col, const char *text)
{
	for (size_t i = 0; i < p->d.n; i++) {
		const struct ef_diag_entry *e = &p->d.v[i];

		if (e->sev == sev && e->line == line && e->col == col &&
		    strstr(e->msg, text))
			return;
	}
	ef_diag_print(&p->d, stderr);
	fail_msg("no %s at %u:%u containing '%s'",
		 sev == EF_SEV_ERROR ? "error" : "warning", line, col, text);
}

static void expect_error(const char *yaml, unsigned line, unsigned col,
			 const char *text)
{
	struct parsed p;

	parse(&p, yaml);
	assert_int_equal(p.ret, -EINVAL);
	assert_int_equal(p.rs.n_rules, 0); /* rejected whole */
	expect_diag(&p, EF_SEV_ERROR, line, col, text);
	done(&p);
}

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
	expect_error("version: 1\ndefaults:\n  xpd: drop\n", 3, 3,
		     "did you mean 'xdp'?");
	expect_error("version: 1\nfrobnicate: 3\n", 2, 1,
		     "unknown key 'frobnicate' in the document");
}

static void test_types(void **state)
{
	(void)state;
	expect_error("- a\n- b\n", 1, 1, "the document must be a mapping, not a sequence");
	expect_error("version: 1\nrules: {a: 1}\n", 2, 8, "rules must be a sequence, not a mapping");
	expect_error("version: 1\nrules:\n  - drop\n", 3, 5, "a rule must be a mapping, not a scalar");
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

		snprintf(yaml, sizeof(yaml),
			 "version: 1\nrules:\n  - {name: %0*d, action: drop}\n",
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
	expect_error("version: 1\nrules:\n  - {name: a, action: redirect, to: abcdefghijklmnop}\n", 3, 37,
		     "is not a valid interface name");
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
	expect_error("version: 1\nrules:\n  - {name: a, dst: [10.0.0.1, bogus], action: drop}\n", 3, 31,
		     "dst:");
	expect_error("version: 1\nrules:\n  - {name: a, src: [], action: drop}\n", 3, 20,
		     "src is an empty list: it would match nothing");
	expect_error("version: 1\nrules:\n  - {name: a, src: '::ffff:10.0.0.1', action: drop}\n", 3, 20,
		     "IPv4-mapped");

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

static void test_missing_file(void **state)
{
	struct ef_ruleset rs;
	struct ef_diag d = {};

	(void)state;
	assert_int_equal(ef_ruleset_load("/nonexistent/rules.yaml", &rs, &d), -ENOENT);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.v[0].file, "/nonexistent/rules.yaml");
	assert_non_null(strstr(d.v[0].msg, "cannot open"));
	ef_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_file),
		cmocka_unit_test(test_full_rule),
		cmocka_unit_test(test_safe_defaults),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_has_family),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
