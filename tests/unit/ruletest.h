/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the rules tests share: parse a YAML text, and assert that a
 * diagnostic of some severity sits at LINE:COL and says something. Include
 * after <cmocka.h>.
 */
#ifndef EDGEFW_TESTS_RULETEST_H
#define EDGEFW_TESTS_RULETEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ruleset.h"

struct parsed {
	struct ef_ruleset rs;
	struct ef_diag d;
	int ret;
};

/* One expected diagnostic of a table-driven test. */
struct diag_case {
	const char *yaml;
	unsigned line, col;
	const char *text;
};

static inline void parse_as(struct parsed *p, const char *name, const char *yaml)
{
	memset(p, 0, sizeof(*p));
	p->ret = ef_ruleset_parse(name, yaml, strlen(yaml), &p->rs, &p->d);
}

static inline void parse(struct parsed *p, const char *yaml)
{
	parse_as(p, "r.yaml", yaml);
}

static inline void done(struct parsed *p)
{
	ef_ruleset_free(&p->rs);
	ef_diag_free(&p->d);
}

static inline const struct ef_diag_entry *find_diag(const struct parsed *p, enum ef_severity sev,
						    unsigned line, unsigned col, const char *text)
{
	for (size_t i = 0; i < p->d.n; i++) {
		const struct ef_diag_entry *e = &p->d.v[i];

		if (e->sev == sev && e->line == line && e->col == col && strstr(e->msg, text))
			return e;
	}
	return NULL;
}

/* Asserts that some diagnostic of sev sits at line:col and contains text. */
static inline void expect_diag(const struct parsed *p, enum ef_severity sev, unsigned line,
			       unsigned col, const char *text)
{
	if (find_diag(p, sev, line, col, text))
		return;
	ef_diag_print(&p->d, stderr);
	fail_msg("no %s at %u:%u containing '%s'", sev == EF_SEV_ERROR ? "error" : "warning", line,
		 col, text);
}

/* Asserts that no diagnostic of sev contains text. */
static inline void expect_no_diag(const struct parsed *p, enum ef_severity sev, const char *text)
{
	for (size_t i = 0; i < p->d.n; i++) {
		if (p->d.v[i].sev == sev && strstr(p->d.v[i].msg, text)) {
			ef_diag_print(&p->d, stderr);
			fail_msg("unexpected diagnostic containing '%s'", text);
		}
	}
}

/* The file is rejected whole, with this error among others. */
static inline void expect_error(const char *yaml, unsigned line, unsigned col, const char *text)
{
	struct parsed p;

	parse(&p, yaml);
	if (!p.ret)
		fprintf(stderr, "accepted:\n%s", yaml);
	/* -EINVAL, or -EFBIG past the reader's limits. */
	assert_true(p.ret == -EINVAL || p.ret == -EFBIG);
	assert_int_equal(p.rs.n_rules, 0);
	expect_diag(&p, EF_SEV_ERROR, line, col, text);
	done(&p);
}

/* The file is accepted, with this warning. */
static inline void expect_warning(const char *yaml, unsigned line, unsigned col, const char *text)
{
	struct parsed p;

	parse(&p, yaml);
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	expect_diag(&p, EF_SEV_WARNING, line, col, text);
	done(&p);
}

/* The file is accepted without any diagnostic. */
static inline void expect_clean(const char *yaml)
{
	struct parsed p;

	parse(&p, yaml);
	if (p.d.n)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.n, 0);
	done(&p);
}

static inline void expect_errors(const struct diag_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_error(c[i].yaml, c[i].line, c[i].col, c[i].text);
}

static inline void expect_warnings(const struct diag_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_warning(c[i].yaml, c[i].line, c[i].col, c[i].text);
}

#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

#endif
