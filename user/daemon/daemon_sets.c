// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefwd and dynamic sets (issue 16): the set-* control requests, and a
 * background sweep that frees the room expired entries take (the
 * datapath already ignores them: the sweep is not needed for correctness).
 */
#include <json-c/json.h>
#include <string.h>

#include "daemon.h"
#include "control.h"
#include "daemon_sets.h"
#include "dynsets.h"
#include "log.h"
#include "set_request.h"

/* Seconds between sweeps. */
#define SWEEP_TICKS 30

void efd_on_set(struct efd *d, const char *command, const struct efd_peer *peer,
		struct json_object *req, struct json_object *resp)
{
	struct json_object *name = NULL, *entries = NULL, *msg = NULL;
	struct ef_instance inst;

	json_object_object_get_ex(req, "set", &name);
	json_object_object_get_ex(req, "entries", &entries);
	if (ef_instance_open(d->instance, EF_OPEN_SHARED | EF_OPEN_DYNSETS, &inst)) {
		json_object_object_add(resp, "exit", json_object_new_int(EF_EXIT_SYSTEM));
		json_object_object_add(
			resp, "message",
			json_object_new_string("cannot open the instance: see edgefwd's log"));
		return;
	}
	efd_set_request(&inst, command, req, resp);
	ef_instance_close(&inst);
	json_object_object_get_ex(resp, "message", &msg);
	ef_log_info("control socket: %s %.64s (%zu entries) for pid %d uid %u: %s", command,
		    name ? json_object_get_string(name) : "?",
		    entries && json_object_is_type(entries, json_type_array)
			    ? json_object_array_length(entries)
			    : 0,
		    (int)peer->pid, (unsigned)peer->uid, msg ? json_object_get_string(msg) : "");
}

void efd_sets_tick(struct efd *d)
{
	char names[EDGEFW_MAX_DYNSETS][EDGEFW_DYNSET_NAME_MAX];
	struct ef_instance inst;
	size_t n = 0, swept;

	if (d->ticks % SWEEP_TICKS)
		return;
	if (ef_instance_open(d->instance, EF_OPEN_SHARED | EF_OPEN_NOWAIT | EF_OPEN_DYNSETS, &inst))
		return;
	if (!ef_dynset_names(&inst, names, &n)) {
		for (size_t i = 0; i < n; i++) {
			struct ef_dynset s;

			if (ef_dynset_open(&inst, names[i], &s))
				continue;
			if (!ef_dynset_sweep(&s, &swept) && swept)
				ef_log_info("dynamic set '%s': %zu expired entries removed",
					    names[i], swept);
			ef_dynset_close(&s);
		}
	}
	ef_instance_close(&inst);
}
