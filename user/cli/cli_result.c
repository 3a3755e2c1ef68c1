// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "cli_result.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "jsonout.h"

static struct {
	const char *command;
	bool json;
	struct json_object *keys; /* the command's own keys */
	char message[2048];
} res;

void ef_cli_result_begin(const char *command, bool json, const char *const *keys)
{
	json_object_put(res.keys);
	memset(&res, 0, sizeof(res));
	res.command = command;
	res.json = json;
	if (!json)
		return;
	res.keys = json_object_new_object();
	for (size_t i = 0; keys && keys[i]; i++)
		json_object_object_add(res.keys, keys[i], NULL);
}

bool ef_cli_result_json(void)
{
	return res.json;
}

void ef_cli_result_set(const char *key, struct json_object *v)
{
	/* Only the keys the command declared: its JSON has a fixed shape. */
	if (!res.json || !res.keys || !json_object_object_get_ex(res.keys, key, NULL)) {
		json_object_put(v);
		return;
	}
	json_object_object_add(res.keys, key, v);
}

void ef_cli_result_say(const char *fmt, ...)
{
	size_t used = strlen(res.message);
	va_list ap;

	va_start(ap, fmt);
	if (!res.json) {
		vprintf(fmt, ap);
		putchar('\n');
	} else if (used < sizeof(res.message) - 3) {
		if (used) {
			memcpy(res.message + used, "; ", 3);
			used += 2;
		}
		vsnprintf(res.message + used, sizeof(res.message) - used, fmt, ap);
	}
	va_end(ap);
}

void ef_cli_result_diag(const char *line)
{
	fprintf(stderr, "%s\n", line);
	ef_json_capture_line(line);
}

void ef_cli_result_error(const char *msg)
{
	char line[1024];

	snprintf(line, sizeof(line), "error: %s", msg);
	ef_json_capture_line(line);
}

int ef_cli_result_end(int code)
{
	struct json_object *root;

	if (!res.json || code != EF_EXIT_OK || !res.keys)
		return code;
	root = json_object_new_object();
	json_object_object_add(root, "ok", json_object_new_boolean(true));
	json_object_object_add(root, "exit", json_object_new_int(code));
	json_object_object_add(root, "message", ef_json_str(res.message));
	json_object_object_add(root, "diagnostics", ef_json_captured());
	json_object_object_foreach(res.keys, k, v)
		json_object_object_add(root, k, json_object_get(v));
	ef_json_envelope(root, res.command);
	ef_json_print(root, true);
	json_object_put(root);
	json_object_put(res.keys);
	res.keys = NULL;
	return code;
}
