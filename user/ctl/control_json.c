// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control protocol's one JSON reader, for requests (daemon) and
 * responses (client) alike. */
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

#include "control_client.h"

struct json_object *efd_control_parse_json(const char *buf, size_t len, const char **why)
{
	struct json_tokener *tok;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	size_t end;

	*why = NULL;
	if (len > INT32_MAX) {
		*why = "too large";
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	/* Length -1: the tokener stops at the NUL, which also ends a bare
	 * number ("1" alone would otherwise stay "incomplete"). An embedded
	 * NUL stops it early and shows up as trailing garbage below. */
	obj = json_tokener_parse_ex(tok, buf, -1);
	jerr = json_tokener_get_error(tok);
	if (!obj) {
		*why = jerr == json_tokener_continue || jerr == json_tokener_success
			       ? "incomplete JSON"
			       : json_tokener_error_desc(jerr);
		goto out;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (!strchr(" \t\r\n", buf[end]) || buf[end] == '\0') {
			*why = "garbage after the JSON value";
			json_object_put(obj);
			obj = NULL;
			break;
		}
	}
out:
	json_tokener_free(tok);
	return obj;
}
