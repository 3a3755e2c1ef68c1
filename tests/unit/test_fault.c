// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The reload path's fault injection hook: inert without EDGEFW_FAULT,
 * SITE[:N] and any:N fail exactly the call they name, once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "fault.h"

static int arm(const char *spec)
{
	if (spec)
		setenv(EF_FAULT_ENV, spec, 1);
	else
		unsetenv(EF_FAULT_ENV);
	return ef_fault_rearm();
}

static int teardown(void **state)
{
	(void)state;
	arm(NULL);
	return 0;
}

static void test_inert(void **state)
{
	(void)state;
	assert_int_equal(arm(NULL), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(ef_fault("switch"), 0);
	assert_int_equal(ef_fault_calls(), 0);
	assert_null(ef_fault_fired());
}

static void test_site(void **state)
{
	(void)state;
	assert_int_equal(arm("purge_delete:3"), 0);
	assert_int_equal(ef_fault("switch"), 0);
	assert_int_equal(ef_fault("purge_delete"), 0);
	assert_int_equal(ef_fault("purge_delete"), 0);
	assert_int_equal(ef_fault("switch"), 0);
	errno = 0;
	assert_int_equal(ef_fault("purge_delete"), -ECANCELED);
	assert_int_equal(errno, ECANCELED);
	assert_string_equal(ef_fault_fired(), "purge_delete");
	assert_int_equal(ef_fault_calls(), 3);
	/* Once only. */
	assert_int_equal(ef_fault("purge_delete"), 0);
	assert_int_equal(ef_fault("switch"), 0);
}

static void test_site_default_first(void **state)
{
	(void)state;
	assert_int_equal(arm("switch"), 0);
	assert_int_equal(ef_fault("meta_update"), 0);
	assert_int_equal(ef_fault("switch"), -ECANCELED);
	assert_int_equal(ef_fault("switch"), 0);
}

static void test_any(void **state)
{
	(void)state;
	assert_int_equal(arm("any:2"), 0);
	assert_int_equal(ef_fault("meta_read"), 0);
	assert_int_equal(ef_fault("counter_zero"), -ECANCELED);
	assert_string_equal(ef_fault_fired(), "counter_zero");
	assert_int_equal(ef_fault("counter_zero"), 0);
	assert_int_equal(ef_fault_calls(), 2);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = { "any:", "any:0", "any:x", "switch:2x", ":3", "any:-1" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(arm(bad[i]), -EINVAL);
		/* Off: nothing fails. */
		assert_int_equal(ef_fault("switch"), 0);
		assert_int_equal(ef_fault("any"), 0);
		assert_null(ef_fault_fired());
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_inert, teardown),
		cmocka_unit_test_teardown(test_site, teardown),
		cmocka_unit_test_teardown(test_site_default_first, teardown),
		cmocka_unit_test_teardown(test_any, teardown),
		cmocka_unit_test_teardown(test_malformed, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
