// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The JSON vocabulary's building blocks (user/common/jsonout.c): UTF-8
 * validation and replacement, times, the envelope, errors as JSON; and
 * the metrics' label writer on bytes that are not UTF-8. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "log.h"
#include "metrics.h"
#include "version.h"

static size_t seq(const char *s)
{
	return ef_utf8_seq_len((const unsigned char *)s);
}

static void test_utf8_seq_len(void **state)
{
	(void)state;
	assert_int_equal(seq("a"), 1);
	assert_int_equal(seq("\xc3\xa9"), 2);         /* é */
	assert_int_equal(seq("\xe2\x82\xac"), 3);     /* € */
	assert_int_equal(seq("\xf0\x9f\x94\xa5"), 4); /* U+1F525 */
	assert_int_equal(seq("\xff"), 0);
	assert_int_equal(seq("\xc3"), 0);             /* truncated at the NUL */
	assert_int_equal(seq("\xc0\xaf"), 0);         /* overlong '/' */
	assert_int_equal(seq("\xe0\x80\xaf"), 0);     /* overlong, 3 bytes */
	assert_int_equal(seq("\xed\xa0\x80"), 0);     /* surrogate */
	assert_int_equal(seq("\xf4\x90\x80\x80"), 0); /* past U+10FFFF */
	assert_int_equal(seq("\x80"), 0);             /* continuation alone */
}

static void test_json_str_replaces_bad_bytes(void **state)
{
	struct json_object *o;

	(void)state;
	o = ef_json_str("eth\xff"
			"0\xc3\xa9");
	assert_string_equal(json_object_get_string(o), "eth\xef\xbf\xbd"
						       "0\xc3\xa9");
	json_object_put(o);
	o = ef_json_str("\xc3");
	assert_string_equal(json_object_get_string(o), "\xef\xbf\xbd");
	json_object_put(o);
	o = ef_json_str("plain");
	assert_string_equal(json_object_get_string(o), "plain");
	json_object_put(o);
	assert_null(ef_json_str(NULL));
}

static void test_json_time(void **state)
{
	struct json_object *o;

	(void)state;
	assert_null(ef_json_time(0, -1)); /* never: null, not 0 */
	o = ef_json_time(1764950400, -1);
	assert_string_equal(json_object_get_string(o), "2025-12-05T16:00:00Z");
	json_object_put(o);
	o = ef_json_time(1764950400, 7);
	assert_string_equal(json_object_get_string(o), "2025-12-05T16:00:00.007Z");
	json_object_put(o);
}

static void test_envelope(void **state)
{
	struct json_object *o = json_object_new_object(), *v;

	(void)state;
	ef_json_envelope(o, "status");
	assert_true(json_object_object_get_ex(o, "schema", &v));
	assert_int_equal(json_object_get_int(v), EF_JSON_SCHEMA);
	assert_true(json_object_object_get_ex(o, "command", &v));
	assert_string_equal(json_object_get_string(v), "status");
	assert_true(json_object_object_get_ex(o, "edgefw_version", &v));
	assert_string_equal(json_object_get_string(v), ef_version());
	assert_true(json_object_object_get_ex(o, "time", &v));
	assert_int_equal(strlen(json_object_get_string(v)), strlen("2026-12-05T15:50:07.538Z"));
	assert_int_equal(json_object_get_string(v)[23], 'Z');
	json_object_put(o);
}

/* Errors logged while capturing come back in the error object. */
static void test_error_object(void **state)
{
	struct json_object *o, *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	FILE *saved = stdout;

	(void)state;
	ef_json_capture(true);
	ef_log_warn("careful: %d", 1);
	ef_log_err("cannot open %s", "x\xff.yaml");
	stdout = out;
	ef_json_print_error("check", 1);
	stdout = saved;
	fclose(out);
	ef_json_capture(false);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "ok", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "exit", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "message", &v));
	assert_string_equal(json_object_get_string(v), "cannot open x\xef\xbf\xbd.yaml");
	assert_true(json_object_object_get_ex(o, "diagnostics", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_true(ef_json_printed());
	json_object_put(o);
	free(buf);
}

static void test_metrics_label_utf8(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	efd_metrics_write_label(out, "we\xff\"ird\n\xc3\xa9");
	fclose(out);
	assert_string_equal(buf, "we\xef\xbf\xbd\\\"ird\\n\xc3\xa9");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_seq_len),
		cmocka_unit_test(test_json_str_replaces_bad_bytes),
		cmocka_unit_test(test_json_time),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_error_object),
		cmocka_unit_test(test_metrics_label_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
