// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for edgefwd's control-socket requests: the bytes a
 * client sends, through the dispatcher the daemon uses
 * (efd_control_dispatch), without a socket. The first byte picks the
 * peer's access (root, the read-only group, nobody); the rest is the
 * request line.
 *
 * Checked: no crash, leak or out-of-bounds read; every response is a JSON
 * object with a boolean "ok", an "exit" of 0, 1 or 2 and a string
 * "message"; the handler sees only requests with a string command, and a
 * peer of the read-only group reaches it only with read-only commands.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "control.h"

/* As the daemon reads: at most 64 KiB per request. */
#define MAX_INPUT (64u << 10)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum efd_access access_now;

static void handler(void *arg, const char *command, const struct efd_peer *peer,
		    struct json_object *req, struct json_object *resp)
{
	(void)arg;
	(void)peer;
	if (!command || !json_object_is_type(req, json_type_object))
		abort();
	if (access_now != EFD_ACCESS_ALL && !efd_control_read_only(command)) {
		fprintf(stderr, "a read-only peer reached the handler with '%s'\n", command);
		abort();
	}
	/* What the daemon's handler does: fill in the result. */
	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	json_object_object_add(resp, "exit", json_object_new_int(0));
	json_object_object_add(resp, "message", json_object_new_string(command));
}

static void check_response(struct json_object *resp)
{
	struct json_object *ok, *ex, *msg;

	if (!resp)
		return; /* out of memory */
	if (!json_object_is_type(resp, json_type_object) ||
	    !json_object_object_get_ex(resp, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean) ||
	    !json_object_object_get_ex(resp, "exit", &ex) ||
	    !json_object_is_type(ex, json_type_int) || json_object_get_int(ex) < 0 ||
	    json_object_get_int(ex) > 2 || !json_object_object_get_ex(resp, "message", &msg) ||
	    !json_object_is_type(msg, json_type_string)) {
		fprintf(stderr, "bad response: %s\n", json_object_to_json_string(resp));
		abort();
	}
	if (!json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The daemon logs every state-changing request: keep them out of the
	 * fuzzer's output. libFuzzer and the sanitizers write elsewhere. */
	stderr = fopen("/dev/null", "w");
	return stderr ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum efd_access levels[] = {
		EFD_ACCESS_ALL,
		EFD_ACCESS_READ,
		EFD_ACCESS_NONE,
	};
	const struct efd_peer peer = { .pid = 4711, .uid = 1000, .gid = 1000 };
	struct json_object *resp;
	char *buf;

	if (!size || size > MAX_INPUT + 1)
		return 0;
	access_now = levels[data[0] % 3];
	/* As read_request() hands it over: NUL-terminated, cut at the
	 * first newline. */
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	{
		char *nl = memchr(buf, '\n', size - 1);
		size_t len = nl ? (size_t)(nl - buf) : size - 1;

		buf[len] = '\0';
		resp = efd_control_dispatch(buf, len, &peer, access_now, "efw-ro", handler, NULL);
	}
	check_response(resp);
	json_object_put(resp);
	free(buf);
	return 0;
}
