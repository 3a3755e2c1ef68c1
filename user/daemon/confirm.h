/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Lockout safety in edgefwd: a reload asked for with a confirmation window
 * (`edgefw reload --confirm 30s`, control request "confirm_seconds") keeps
 * the ruleset it replaced; unless a "confirm" request arrives before the
 * window ends, the daemon switches back to it by itself. The daemon holds
 * the state, so the client that asked may die (an SSH session cut by the
 * new rules) and the rollback still happens.
 *
 * While a change awaits confirmation, another reload with a window
 * replaces the unconfirmed rules and restarts the window, keeping the same
 * rollback point (the last confirmed rules); a reload without a window
 * (control socket or SIGHUP) is refused: confirm first, or let it roll
 * back. A rollback leaves the config file as it is (it holds the
 * unconfirmed rules): the daemon says so in its log and its status.
 *
 * The window outlives the daemon: opening one writes the deadline and the
 * bytes of the config to go back to to /run/edgefw/INSTANCE.edgefwd-
 * confirm.json (confirm_state.h), which a confirm or a rollback removes.
 * An edgefwd started while that record exists (a crash, kill -9, a
 * restart by systemd) takes the window up again: same deadline, same
 * rollback point, whatever its config now holds.
 */
#ifndef EDGEFW_DAEMON_CONFIRM_H
#define EDGEFW_DAEMON_CONFIRM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "confirm_state.h"
#include "ruleset.h"

/* The longest window: a day. */
#define EFD_CONFIRM_MAX_S (24 * 3600)

struct efd_confirm {
	bool pending;
	bool arming;              /* inside a reload that opens a window */
	struct ef_ruleset old_rs; /* the rules to go back to */
	time_t deadline;          /* CLOCK_MONOTONIC seconds */
	time_t deadline_wall;     /* CLOCK_REALTIME seconds, for people */
	uint64_t confirmed, rolled_back, rollback_failures;
	time_t last_rollback;         /* CLOCK_REALTIME seconds; 0: never */
	struct ef_rules_copy applied; /* the config's bytes as in force */
	struct ef_rules_copy back;    /* old_rs's bytes, for the record */
};

struct efd;
struct json_object;
struct efd_peer;

/* Called by efd_reload in place of freeing the ruleset it replaced: kept
 * as the rollback point when a window is being opened and none is kept
 * yet, freed otherwise. */
void efd_confirm_retire(struct efd *d, struct ef_ruleset *old);
/* Whether a reload without a window may go on now; when not, *why says
 * what to do. */
bool efd_confirm_allows_plain_reload(const struct efd *d, char *why, size_t len);
/* The control requests: reload with "confirm_seconds", and "confirm". */
void efd_confirm_on_reload(struct efd *d, const struct efd_peer *peer, struct json_object *req,
			   struct json_object *resp);
void efd_confirm_on_confirm(struct efd *d, const struct efd_peer *peer, struct json_object *resp);
/* Adds {"pending": ..., "deadline": ..., ...} as "confirmation" to a
 * status response. */
void efd_confirm_status(const struct efd *d, struct json_object *resp);
/* Once a second: rolls back when the window has passed. */
void efd_confirm_tick(struct efd *d);
/* At exit (the record on disk stays for the next edgefwd). */
void efd_confirm_free(struct efd *d);

/* confirm_persist.c: the window on disk. */
/* Keeps the bytes of the config just switched in (d->rs), the rollback
 * point of a window opened next. */
void efd_confirm_note_applied(struct efd *d);
/* Writes the open window's record; a failure is logged (the window then
 * holds only while this edgefwd runs). */
void efd_confirm_save(struct efd *d);
/* The window is closed (confirmed, rolled back, instance gone). */
void efd_confirm_drop_record(const struct efd *d);
/* At start, once the config is in force: takes up a window a previous
 * edgefwd left open. */
void efd_confirm_restore(struct efd *d);

#endif
