// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One control request, from its bytes to the response, without a socket:
 * parsing, who may send which command, logging, the handler. control.c
 * does the I/O around it; the fuzzer (tests/fuzz/fuzz_control.c) drives it
 * directly.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "control_internal.h"
#include "exitcode.h"
#include "log.h"

bool efd_control_read_only(const char *command)
{
	/* Commands that change nothing: the read-only group's. A command
	 * added later is root's until it is listed here. */
	static const char *const read_only[] = { "status", NULL };

	for (size_t i = 0; read_only[i]; i++)
		if (!strcmp(command, read_only[i]))
			return true;
	return false;
}

static struct json_object *error_response(int exit_code, const char *message)
{
	struct json_object *resp = json_object_new_object();

	if (!resp)
		return NULL;
	json_object_object_add(resp, "ok", json_object_new_boolean(0));
	json_object_object_add(resp, "exit", json_object_new_int(exit_code));
	json_object_object_add(resp, "message", json_object_new_string(message));
	return resp;
}

/* A command name for logs: it is the peer's text, so bounded and with
 * anything but plain characters replaced. */
static void log_name(const char *command, char *buf, size_t len)
{
	size_t i;

	for (i = 0; command[i] && i + 1 < len; i++) {
		char ch = command[i];

		buf[i] = ch > 0x20 && ch < 0x7f ? ch : '?';
	}
	buf[i] = '\0';
}

/* A peer of the read-only group asked for more. */
static struct json_object *refuse_command(const char *name, const struct efd_peer *peer,
					  const char *group)
{
	char msg[192];

	ef_log_warn("control socket: refused '%s' from pid %d uid %u: only root may send it", name,
		    (int)peer->pid, (unsigned)peer->uid);
	snprintf(msg, sizeof(msg),
		 "permission denied: '%s' is for root only; members of group %s may use status",
		 name, group ? group : "?");
	return error_response(2, msg);
}

struct json_object *efd_control_dispatch(const char *buf, size_t len, const struct efd_peer *peer,
					 enum efd_access access, const char *group,
					 efd_control_fn fn, void *arg)
{
	struct json_object *req, *resp, *cmd;
	char msg[160], name[64];
	const char *why, *command;

	if (access == EFD_ACCESS_NONE)
		return error_response(
			2, "permission denied: edgefwd's control socket is for root only");
	if (len == 0) {
		/* Also what a probe (another edgefwd checking whether this
		 * socket is live) sends: it has gone, the reply is dropped. */
		return error_response(1, "bad request: empty");
	}
	req = efd_control_parse_json(buf, len, &why);
	if (!req) {
		snprintf(msg, sizeof(msg), "bad request: not valid JSON (%s)", why);
		return error_response(1, msg);
	}
	if (!json_object_is_type(req, json_type_object)) {
		resp = error_response(1, "bad request: not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(req, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		resp = error_response(1, "bad request: no string \"command\"");
		goto out;
	}
	command = json_object_get_string(cmd);
	log_name(command, name, sizeof(name));
	if (!efd_control_read_only(command)) {
		if (access != EFD_ACCESS_ALL) {
			resp = refuse_command(name, peer, group);
			goto out;
		}
		ef_log_info("control socket: '%s' from pid %d uid %u", name, (int)peer->pid,
			    (unsigned)peer->uid);
	}
	resp = json_object_new_object();
	if (!resp)
		goto out;
	json_object_object_add(resp, "ok", json_object_new_boolean(0));
	json_object_object_add(resp, "exit", json_object_new_int(EF_EXIT_INPUT));
	fn(arg, command, peer, req, resp);
out:
	json_object_put(req);
	return resp;
}
