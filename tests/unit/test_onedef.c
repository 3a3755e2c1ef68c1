// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One definition per shared concept: the fragment semantics the matcher
 * and the classifier share, the growth helper every array uses, the one
 * diagnostic form. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classify_internal.h"
#include "diag.h"
#include "growth.h"
#include "matcher.h"

/* The classifier's protocol key and the reference matcher agree on every
 * rule value (those the parser writes and one it never does) and every
 * fragment state. */
static void test_frag_agree(void **state)
{
	static const bool want_first[EF_FRAG_YES + 1] = {
		[EF_FRAG_ANY] = true,
		[EF_FRAG_FIRST] = true,
		[EF_FRAG_YES] = true,
	};

	(void)state;
	for (unsigned want = 0; want <= EF_FRAG_YES + 1; want++)
		for (unsigned st = 0; st < EDGEFW_FRAG_STATES; st++)
			assert_int_equal(cl_frag_allows((uint8_t)want, st),
					 ef_frag_matches((uint8_t)want, (uint8_t)st));
	for (unsigned want = 0; want <= EF_FRAG_YES; want++)
		assert_int_equal(ef_frag_matches((uint8_t)want, EDGEFW_FRAG_FIRST),
				 want_first[want]);
	/* Not a value of the language: matches nothing. */
	assert_false(ef_frag_matches(EF_FRAG_YES + 1, EDGEFW_FRAG_NONE));
	assert_false(cl_frag_allows(EF_FRAG_ANY, EDGEFW_FRAG_STATES));
}

static void test_grow(void **state)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(EF_GROW(&v, &cap, 1), 0);
	assert_true(cap >= 1);
	v[0] = 42;
	assert_int_equal(EF_GROW(&v, &cap, 1000), 0);
	assert_true(cap >= 1000);
	assert_int_equal(v[0], 42);
	/* Enough already: nothing moves. */
	{
		uint64_t *before = v;
		size_t c = cap;

		assert_int_equal(EF_GROW(&v, &cap, 10), 0);
		assert_ptr_equal(v, before);
		assert_int_equal(cap, c);
	}
	/* Too many to count in bytes: refused, the array kept as it was. */
	{
		uint64_t *before = v;
		size_t c = cap;

		assert_int_equal(EF_GROW(&v, &cap, SIZE_MAX / 4), -EOVERFLOW);
		assert_ptr_equal(v, before);
		assert_int_equal(cap, c);
		assert_int_equal(v[0], 42);
	}
	free(v);
}

static void test_diag_format(void **state)
{
	struct ef_diag_entry e = {
		.sev = EF_SEV_ERROR, .file = "r.yaml", .line = 3, .col = 5, .msg = "bad"
	};
	char buf[64];

	(void)state;
	ef_diag_format(&e, "edgefwd", buf, sizeof(buf));
	assert_string_equal(buf, "r.yaml:3:5: error: bad");
	e.line = 0;
	e.sev = EF_SEV_WARNING;
	ef_diag_format(&e, "edgefwd", buf, sizeof(buf));
	assert_string_equal(buf, "r.yaml: warning: bad");
	e.file = NULL;
	ef_diag_format(&e, "edgefwd", buf, sizeof(buf));
	assert_string_equal(buf, "edgefwd: warning: bad");
	ef_diag_format(&e, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "warning: bad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_agree),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_diag_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
