// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A confirmation window that outlives edgefwd (see confirm.h): written
 * when it opens, removed when it closes, taken up again at start. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "confirm.h"
#include "daemon.h"
#include "duration.h"
#include "log.h"

void efd_confirm_note_applied(struct efd *d)
{
	struct efd_confirm *c = &d->confirm;
	int ret;

	ef_rules_copy_free(&c->applied);
	ret = ef_rules_copy_read(d->config_path, d->rs.src_hash, d->rs.hash, &c->applied);
	if (ret)
		ef_log_warn(
			"cannot keep a copy of %s (%s): a reload --confirm after this one cannot outlive a restart of edgefwd",
			d->config_path, strerror(-ret));
}

void efd_confirm_save(struct efd *d)
{
	struct efd_confirm *c = &d->confirm;
	struct ef_confirm_rec rec = {
		.deadline = c->deadline_wall,
		.new_hash = d->rs.hash,
		.token = 0,
		.back = c->back,
	};
	int ret =
		c->back.src ? ef_pending_save_kind(d->instance, EF_PENDING_DAEMON, &rec) : -ENODATA;

	if (ret)
		ef_log_err(
			"cannot record the confirmation window in %s (%s): it holds only while this edgefwd runs",
			EF_SOCKET_DIR,
			ret == -ENODATA ? "no copy of the previous config" : strerror(-ret));
}

void efd_confirm_drop_record(const struct efd *d)
{
	int ret = ef_pending_remove_kind(d->instance, EF_PENDING_DAEMON);

	if (ret)
		ef_log_err(
			"cannot remove the confirmation record in %s: %s: remove %s.%s.json by hand, or the next edgefwd rolls back",
			EF_SOCKET_DIR, strerror(-ret), d->instance, EF_PENDING_DAEMON);
}

/* The rules of the record into c->old_rs; 0 or -errno (logged). Below
 * reload.c, which calls this file: its own diagnostics printer. */
static int parse_back(struct efd *d, const struct ef_confirm_rec *rec)
{
	char line[EF_DIAG_LINE_MAX];
	struct ef_diag diag = { 0 };
	int ret;

	ret = ef_ruleset_parse(rec->back.path, rec->back.src, rec->back.len, &d->confirm.old_rs,
			       &diag);
	for (size_t i = 0; i < diag.n; i++) {
		ef_diag_format(&diag.v[i], "edgefwd", line, sizeof(line));
		ef_log_warn("%s (the rules to roll back to)", line);
	}
	ef_diag_free(&diag);
	if (ret)
		ef_log_err(
			"the rules to roll back to (%s, as recorded) no longer compile: no rollback; the rules in force stay: confirm or fix by hand",
			rec->back.path);
	return ret;
}

void efd_confirm_restore(struct efd *d)
{
	struct efd_confirm *c = &d->confirm;
	struct ef_confirm_rec rec;
	struct timespec mono;
	char when[32];
	time_t left;
	int ret = ef_pending_load_kind(d->instance, EF_PENDING_DAEMON, &rec);

	if (ret == -ENOENT)
		return;
	if (ret) {
		ef_log_err(
			"cannot read the confirmation window a previous edgefwd left in %s: %s: no rollback; the rules in force stay",
			EF_SOCKET_DIR, strerror(-ret));
		return;
	}
	if (parse_back(d, &rec)) {
		ef_confirm_rec_free(&rec);
		efd_confirm_drop_record(d);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	left = rec.deadline - time(NULL);
	c->deadline = mono.tv_sec + (left > 0 ? left : 0);
	c->deadline_wall = rec.deadline;
	c->pending = true;
	ef_rules_copy_free(&c->back);
	c->back = rec.back;
	memset(&rec.back, 0, sizeof(rec.back));
	ef_iso_utc(c->deadline_wall, when, sizeof(when));
	ef_log_warn(
		"a change awaits confirmation (left by a previous edgefwd): rolls back to the rules of %s at %s (in %lld s) unless 'edgefw --instance %s confirm' follows%s",
		c->back.path, when, (long long)(left > 0 ? left : 0), d->instance,
		rec.new_hash == d->rs.hash
			? ""
			: "; the config in force changed since the window opened");
	ef_confirm_rec_free(&rec);
}
