// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefwd's answer to each control request: reloads (reload.c), the
 * confirmation window (confirm.c), status, notices and dynamic sets. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "confirm.h"
#include "control.h"
#include "daemon.h"
#include "edgefw.h"
#include "daemon_sets.h"
#include "set_request.h"
#include "jsonout.h"
#include "log.h"
#include "progs.h"

static void add_attachments(struct json_object *resp, const struct efd *d)
{
	struct json_object *o = json_object_new_object();
	size_t attached = 0;

	if (!o)
		return;
	for (size_t i = 0; i < d->n_targets; i++)
		attached += d->targets[i].attached;
	json_object_object_add(o, "wanted", json_object_new_uint64(d->n_targets));
	json_object_object_add(o, "attached", json_object_new_uint64(attached));
	json_object_object_add(o, "capacity", json_object_new_int(EDGEFW_MAX_ATTACH));
	json_object_object_add(o, "refused_at_capacity", json_object_new_uint64(d->attach_refused));
	json_object_object_add(o, "program_loads", json_object_new_uint64(ef_prog_loads()));
	/* Attached as their link notification was read, without a pass. */
	json_object_object_add(o, "attached_on_notification",
			       json_object_new_uint64(d->attached_on_notification));
	json_object_object_add(resp, "attachments", o);
}

static void add_parts(struct json_object *resp, const struct efd *d)
{
	struct json_object *parts = json_object_new_object();

	for (int p = 0; p < EFD_PART_COUNT; p++) {
		const struct efd_part_state *s = &d->parts[p];
		const char *state = !s->wanted ? "off" : s->up ? "up" : "retrying";
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "state", json_object_new_string(state));
		if (s->error)
			json_object_object_add(o, "error",
					       json_object_new_string(strerror(-s->error)));
		json_object_object_add(parts, efd_part_name((enum efd_part)p), o);
	}
	json_object_object_add(resp, "parts", parts);
}

void efd_on_control(void *arg, const char *command, const struct efd_peer *peer,
		    struct json_object *req, struct json_object *resp)
{
	struct efd *d = arg;
	struct json_object *file = NULL;
	char summary[512], msg[256];

	/* Lockout safety (confirm.c): reloads with a window, and confirm. */
	if (!strcmp(command, "reload") && json_object_object_get_ex(req, "confirm_seconds", NULL)) {
		efd_confirm_on_reload(d, peer, req, resp);
		return;
	}
	if (!strcmp(command, "confirm")) {
		efd_confirm_on_confirm(d, peer, resp);
		return;
	}
	if (!strcmp(command, "reload")) {
		if (!efd_confirm_allows_plain_reload(d, summary, sizeof(summary))) {
			efd_set_result(resp, EF_EXIT_INPUT, summary);
			return;
		}
		json_object_object_get_ex(req, "file", &file);
		efd_reload_for_peer(d, peer, file ? json_object_get_string(file) : NULL, resp);
		return;
	}
	if (!strcmp(command, "notice")) {
		struct json_object *text = NULL;

		json_object_object_get_ex(req, "text", &text);
		ef_log_warn(
			"control socket: %s, behind edgefwd's back: it will put its own rules and attachments back",
			text ? json_object_get_string(text) : "a forced change");
		efd_set_result(resp, EF_EXIT_OK, "noted");
		return;
	}
	if (!strcmp(command, "status")) {
		efd_set_result(resp, EF_EXIT_OK, "edgefwd is running");
		json_object_object_add(resp, "instance", json_object_new_string(d->instance));
		json_object_object_add(resp, "config", json_object_new_string(d->config_path));
		json_object_object_add(resp, "version", json_object_new_uint64(d->version));
		json_object_object_add(resp, "rules", json_object_new_uint64(d->rs.n_rules));
		json_object_object_add(resp, "reloads_ok", json_object_new_uint64(d->reloads.ok));
		json_object_object_add(resp, "reloads_failed",
				       json_object_new_uint64(d->reloads.failed));
		json_object_object_add(resp, "pid", json_object_new_int(getpid()));
		json_object_object_add(resp, "foreign_changes",
				       json_object_new_uint64(d->foreign_changes));
		add_attachments(resp, d);
		add_parts(resp, d);
		efd_fleet_status(d, resp); /* issue 18: an etcd source */
		efd_confirm_status(d, resp);
		ef_json_envelope(resp, "status");
		return;
	}
	if (efd_set_command(command)) { /* issue 16: dynamic sets */
		efd_on_set(d, command, peer, req, resp);
		return;
	}
	snprintf(
		msg, sizeof(msg),
		"unknown command '%s': use reload, confirm, status, notice, set-add, set-del or set-flush",
		command);
	efd_set_result(resp, EF_EXIT_INPUT, msg);
}
