// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What attach and detach do on an instance an edgefwd owns. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "control_client.h"
#include "log.h"
#include "owner.h"

#define NOTICE_TIMEOUT_MS 2000

/* Tells the daemon, for its log, what is about to be done behind it. */
static void notify_daemon(const struct ef_owner_info *o, const char *what)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	char text[512];
	int ret;

	if (!req)
		return;
	snprintf(text, sizeof(text), "%s (edgefw pid %d, uid %u)", what, (int)getpid(),
		 (unsigned)getuid());
	json_object_object_add(req, "command", json_object_new_string("notice"));
	json_object_object_add(req, "text", json_object_new_string(text));
	ret = efd_control_request(o->socket, req, NOTICE_TIMEOUT_MS, &resp);
	if (ret)
		ef_log_warn("could not tell edgefwd (pid %d) on %s: %s", (int)o->pid, o->socket,
			    strerror(-ret));
	json_object_put(resp);
	json_object_put(req);
}

int ef_cli_owner_gate(const struct ef_cli *cli, const char *what, bool force)
{
	struct ef_owner_info o;
	int ret = ef_owner_query(cli->instance, &o);

	if (ret < 0)
		return EF_EXIT_SYSTEM;
	if (!ret)
		return EF_EXIT_OK;
	if (!force) {
		ef_log_err(
			"instance '%s' is managed by edgefwd (pid %d, config %s): change that config's 'interfaces' section and run 'edgefw --instance %s reload', or stop edgefwd first. Nothing was changed (--force does it anyway; edgefwd then puts its own rules and attachments back)",
			cli->instance, (int)o.pid, o.config[0] ? o.config : "?", cli->instance);
		return EF_EXIT_INPUT;
	}
	ef_log_warn(
		"instance '%s' is managed by edgefwd (pid %d): %s anyway (--force); edgefwd will put its own rules and attachments back",
		cli->instance, (int)o.pid, what);
	if (o.socket[0])
		notify_daemon(&o, what);
	return EF_EXIT_OK;
}

int ef_cli_owner_socket(const struct ef_cli *cli, char *sock, size_t len, int *pid)
{
	struct ef_owner_info o;
	int ret = ef_owner_query(cli->instance, &o);

	if (ret == 1) {
		snprintf(sock, len, "%s", o.socket);
		*pid = (int)o.pid;
	}
	return ret;
}
