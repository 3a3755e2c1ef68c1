// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The confirmation window's state, as reload.c and status see it (see
 * confirm.h); below confirm.c, which reloads and rolls back. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "confirm.h"
#include "duration.h"
#include "daemon.h"

void efd_confirm_retire(struct efd *d, struct ef_ruleset *old)
{
	struct efd_confirm *c = &d->confirm;

	if (c->arming && !c->pending) {
		c->old_rs = *old;
		c->pending = true;
		ef_rules_copy_free(&c->back);
		c->back = c->applied; /* the bytes behind old */
		memset(&c->applied, 0, sizeof(c->applied));
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
	ef_iso_utc(d->confirm.deadline_wall, when, sizeof(when));
	snprintf(
		why, len,
		"a change awaits confirmation until %s (then the rules roll back): run 'edgefw --instance %s confirm' to keep it, or reload with --confirm to replace it",
		when, d->instance);
	return false;
}

void efd_confirm_status(const struct efd *d, struct json_object *resp)
{
	const struct efd_confirm *c = &d->confirm;
	struct json_object *o = json_object_new_object();
	char when[32];

	json_object_object_add(o, "pending", json_object_new_boolean(c->pending));
	if (c->pending) {
		ef_iso_utc(c->deadline_wall, when, sizeof(when));
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

void efd_confirm_free(struct efd *d)
{
	if (d->confirm.pending)
		ef_ruleset_free(&d->confirm.old_rs);
	ef_rules_copy_free(&d->confirm.applied);
	ef_rules_copy_free(&d->confirm.back);
	memset(&d->confirm, 0, sizeof(d->confirm));
}
