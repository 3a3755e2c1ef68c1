// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefwd's confirmation windows (see confirm.h): the requests that open
 * and close one, and the rollback. confirm_state.c holds what reload.c
 * asks of the window. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "confirm.h"
#include "control.h"
#include "daemon.h"
#include "duration.h"
#include "log.h"

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The window asked for: 1 s to a day. */
static int window_of(struct json_object *req, char *why, size_t len)
{
	struct json_object *v = NULL;
	int64_t s;

	json_object_object_get_ex(req, "confirm_seconds", &v);
	if (!v || !json_object_is_type(v, json_type_int)) {
		snprintf(why, len, "confirm_seconds must be an integer number of seconds");
		return -EINVAL;
	}
	s = json_object_get_int64(v);
	if (s < 1 || s > EFD_CONFIRM_MAX_S) {
		snprintf(why, len, "confirm_seconds %lld is out of range: 1 to %d", (long long)s,
			 EFD_CONFIRM_MAX_S);
		return -ERANGE;
	}
	return (int)s;
}

void efd_confirm_on_reload(struct efd *d, const struct efd_peer *peer, struct json_object *req,
			   struct json_object *resp)
{
	struct efd_confirm *c = &d->confirm;
	struct json_object *file = NULL;
	char msg[768], when[32];
	int window, status;

	window = window_of(req, msg, sizeof(msg));
	if (window < 0) {
		efd_set_result(resp, EF_EXIT_INPUT, msg);
		return;
	}
	json_object_object_get_ex(req, "file", &file);
	c->arming = true;
	status = efd_reload_for_peer(d, peer, file ? json_object_get_string(file) : NULL, resp);
	c->arming = false;
	if (status != EF_EXIT_OK)
		return;
	/* A reload that changed nothing in force still opens (or restarts)
	 * the window: the operator asked to be able to lose access safely. */
	if (!c->pending) {
		/* efd_reload did not retire anything: nothing to go back to. */
		efd_set_result(
			resp, EF_EXIT_SYSTEM,
			"reloaded, but the previous rules could not be kept for a rollback: confirm or fix by hand");
		return;
	}
	c->deadline = mono_now() + window;
	c->deadline_wall = time(NULL) + window;
	efd_confirm_save(d);
	ef_iso_utc(c->deadline_wall, when, sizeof(when));
	snprintf(
		msg, sizeof(msg),
		"reloaded %s: ruleset version %llu, %zu rules; rolls back at %s (in %d s) unless 'edgefw --instance %s confirm' follows",
		d->config_path, (unsigned long long)d->version, d->rs.n_rules, when, window,
		d->instance);
	ef_log_warn("%s (asked by pid %d uid %u)", msg, (int)peer->pid, (unsigned)peer->uid);
	efd_set_result(resp, EF_EXIT_OK, msg);
	json_object_object_add(resp, "rollback_at", json_object_new_string(when));
}

void efd_confirm_on_confirm(struct efd *d, const struct efd_peer *peer, struct json_object *resp)
{
	struct efd_confirm *c = &d->confirm;
	char msg[256];

	if (!c->pending) {
		efd_set_result(resp, EF_EXIT_INPUT,
			       "nothing awaits confirmation: the rules in force are confirmed");
		return;
	}
	ef_ruleset_free(&c->old_rs);
	memset(&c->old_rs, 0, sizeof(c->old_rs));
	ef_rules_copy_free(&c->back);
	c->pending = false;
	c->confirmed++;
	efd_confirm_drop_record(d);
	snprintf(msg, sizeof(msg), "confirmed: ruleset version %llu (%s) stays in force",
		 (unsigned long long)d->version, d->config_path);
	ef_log_info("%s (pid %d uid %u)", msg, (int)peer->pid, (unsigned)peer->uid);
	efd_set_result(resp, EF_EXIT_OK, msg);
}

/* Switches back to the kept rules; on failure they stay kept and the next
 * tick tries again. */
static void roll_back(struct efd *d)
{
	struct efd_confirm *c = &d->confirm;
	struct ef_diag diag = { 0 };
	struct ef_ruleset back;
	int status;

	ef_log_err(
		"no confirmation came for ruleset version %llu: rolling back to the rules in force before it",
		(unsigned long long)d->version);
	status = efd_reconcile(d, &c->old_rs, true, &diag);
	efd_print_diag(&diag);
	ef_diag_free(&diag);
	if (status != EF_EXIT_OK) {
		c->rollback_failures++;
		ef_log_err("rollback failed: trying again in a second");
		return;
	}
	back = c->old_rs;
	memset(&c->old_rs, 0, sizeof(c->old_rs));
	c->pending = false;
	efd_adopt(d, &back);
	/* The rules in force are the kept bytes again, not the config's. */
	ef_rules_copy_free(&c->applied);
	c->applied = c->back;
	memset(&c->back, 0, sizeof(c->back));
	efd_confirm_drop_record(d);
	c->rolled_back++;
	c->last_rollback = time(NULL);
	ef_log_err(
		"rolled back: ruleset version %llu, %zu rules; %s still holds the unconfirmed rules: fix it before the next reload",
		(unsigned long long)d->version, d->rs.n_rules, d->config_path);
	efd_notify_status(d, "READY=1");
}

void efd_confirm_tick(struct efd *d)
{
	if (d->confirm.pending && mono_now() >= d->confirm.deadline)
		roll_back(d);
}
