// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefwd's confirmation windows (see confirm.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "confirm.h"
#include "control.h"
#include "daemon.h"
#include "log.h"

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ISO 8601, UTC: the one time format of edgefw's output. */
static void iso_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

void efd_confirm_retire(struct efd *d, struct ef_ruleset *old)
{
	struct efd_confirm *c = &d->confirm;

	if (c->arming && !c->pending) {
		c->old_rs = *old;
		c->pending = true;
	} else {
		ef_ruleset_free(old);
	}
	memset(old, 0, sizeof(*old));
}

bool efd_confirm_allows_plain_reload(const struct efd *d, char *why, size_t len)
{
	char when[32];

	if (!d->confirm.pending)
		return true;
	iso_utc(d->confirm.deadline_wall, when, sizeof(when));
	snprintf(why, len,
		 "a change awaits confirmation until %s (then the rules roll back): run 'edgefw --instance %s confirm' to keep it, or reload with --confirm to replace it",
		 when, d->instance);
	return false;
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
		snprintf(why, len, "confirm_seconds %lld is out of range: 1 to %d",
			 (long long)s, EFD_CONFIRM_MAX_S);
		return -ERANGE;
	}
	return (int)s;
}

void efd_confirm_on_reload(struct efd *d, const struct efd_peer *peer,
			   struct json_object *req, struct json_object *resp)
{
	struct efd_confirm *c = &d->confirm;
	struct json_object *file = NULL;
	char msg[768], when[32];
	int window, status;

	window = window_of(req, msg, sizeof(msg));
	if (window < 0) {
		efd_set_result(resp, EFD_INPUT, msg);
		return;
	}
	json_object_object_get_ex(req, "file", &file);
	c->arming = true;
	status = efd_reload_for_peer(d, peer, file ? json_object_get_string(file) : NULL,
				     resp);
	c->arming = false;
	if (status != EFD_OK)
		return;
	/* A reload that changed nothing in force still opens (or restarts)
	 * the window: the operator asked to be able to lose access safely. */
	if (!c->pending) {
		/* efd_reload did not retire anything: nothing to go back to. */
		efd_set_result(resp, EFD_SYSTEM,
			       "reloaded, but the previous rules could not be kept for a rollback: confirm or fix by hand");
		return;
	}
	c->deadline = mono_now() + window;
	c->deadline_wall = time(NULL) + window;
	iso_utc(c->deadline_wall, when, sizeof(when));
	snprintf(msg, sizeof(msg),
		 "reloaded %s: ruleset version %llu, %zu rules; rolls back at %s (in %d s) unless 'edgefw --instance %s confirm' follows",
		 d->config_path, (unsigned long long)d->version, d->rs.n_rules,
		 when, window, d->instance);
	ef_log_warn("%s (asked by pid %d uid %u)", msg, (int)peer->pid,
		    (unsigned)peer->uid);
	efd_set_result(resp, EFD_OK, msg);
	json_object_object_add(resp, "rollback_at", json_object_new_string(when));
}

void efd_confirm_on_confirm(struct efd *d, const struct efd_peer *peer,
			    struct json_object *resp)
{
	struct efd_confirm *c = &d->confirm;
	char msg[256];

	if (!c->pending) {
		efd_set_result(resp, EFD_INPUT,
			       "nothing awaits confirmation: the rules in force are confirmed");
		return;
	}
	ef_ruleset_free(&c->old_rs);
	memset(&c->old_rs, 0, sizeof(c->old_rs));
	c->pending = false;
	c->confirmed++;
	snprintf(msg, sizeof(msg), "confirmed: ruleset version %llu (%s) stays in force",
		 (unsigned long long)d->version, d->config_path);
	ef_log_info("%s (pid %d uid %u)", msg, (int)peer->pid, (unsigned)peer->uid);
	efd_set_result(resp, EFD_OK, msg);
}

void efd_confirm_status(const struct efd *d, struct json_object *resp)
{
	const struct efd_confirm *c = &d->confirm;
	struct json_object *o = json_object_new_object();
	char when[32];

	json_object_object_add(o, "pending", json_object_new_boolean(c->pending));
	if (c->pending) {
		iso_utc(c->deadline_wall, when, sizeof(when));
		json_object_object_add(o, "rollback_at", json_object_new_string(when));
	} else {
		json_object_object_add(o, "rollback_at", NULL);
	}
	json_object_object_add(o, "confirmed_total", json_object_new_uint64(c->confirmed));
	json_object_object_add(o, "rollbacks_total", json_object_new_uint64(c->rolled_back));
	json_object_object_add(o, "rollback_failures_total",
			       json_object_new_uint64(c->rollback_failures));
	json_object_object_add(resp, "confirmation", o);
}

/* Switches back to the kept rules; on failure they stay kept and the next
 * tick tries again. */
static void roll_back(struct efd *d)
{
	struct efd_confirm *c = &d->confirm;
	struct ef_diag diag = { 0 };
	struct ef_ruleset back;
	int status;

	ef_log_err("no confirmation came for ruleset version %llu: rolling back to the rules in force before it",
		   (unsigned long long)d->version);
	status = efd_reconcile(d, &c->old_rs, true, &diag);
	efd_print_diag(&diag);
	ef_diag_free(&diag);
	if (status != EFD_OK) {
		c->rollback_failures++;
		ef_log_err("rollback failed: trying again in a second");
		return;
	}
	back = c->old_rs;
	memset(&c->old_rs, 0, sizeof(c->old_rs));
	c->pending = false;
	efd_adopt(d, &back);
	c->rolled_back++;
	c->last_rollback = time(NULL);
	ef_log_err("rolled back: ruleset version %llu, %zu rules; %s still holds the unconfirmed rules: fix it before the next reload",
		   (unsigned long long)d->version, d->rs.n_rules, d->config_path);
	efd_notify_status(d, "READY=1");
}

void efd_confirm_tick(struct efd *d)
{
	if (d->confirm.pending && mono_now() >= d->confirm.deadline)
		roll_back(d);
}

void efd_confirm_free(struct efd *d)
{
	if (d->confirm.pending)
		ef_ruleset_free(&d->confirm.old_rs);
	memset(&d->confirm, 0, sizeof(d->confirm));
}
