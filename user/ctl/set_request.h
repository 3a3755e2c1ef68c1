/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The `set-*` control requests (issue 16), one implementation for edgefwd
 * (on its control socket) and for `edgefw set` when no daemon owns the
 * instance, so both behave and answer alike.
 *
 *   {"command": "set-add", "set": NAME, "entries": [PREFIX, ...]
 *                          [, "timeout": "10m"]}
 *   {"command": "set-del", "set": NAME, "entries": [PREFIX, ...]}
 *   {"command": "set-flush", "set": NAME}
 * Response: {"ok", "exit", "message"} plus "done" (entries added, removed)
 * and "missing" (set-del: entries that were not in the set).
 * Every entry is checked before any is applied: one bad entry changes
 * nothing. At most EFD_SET_BATCH entries per request (the socket takes
 * 64 KiB): `edgefw set add --file` sends a large list in batches.
 */
#ifndef EDGEFW_SET_REQUEST_H
#define EDGEFW_SET_REQUEST_H

#include <stdbool.h>

struct json_object;
struct ef_instance;

#define EFD_SET_BATCH 1500

/* True for the commands this file handles. */
bool efd_set_command(const char *command);

/* Handles req on inst (opened by the caller, shared lock is enough:
 * every change is one entry's atomic update). Fills resp's ok, exit
 * (0 done, 1 bad request, 2 the kernel refused) and message. */
void efd_set_request(struct ef_instance *inst, const char *command, struct json_object *req,
		     struct json_object *resp);

#endif
