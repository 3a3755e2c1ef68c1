/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* edgefwd and dynamic sets (issue 16); see daemon_sets.c. */
#ifndef EDGEFW_DAEMON_SETS_H
#define EDGEFW_DAEMON_SETS_H

struct efd;
struct efd_peer;
struct json_object;

/* A set-* request from the control socket (set_request.h), logged. */
void efd_on_set(struct efd *d, const char *command, const struct efd_peer *peer,
		struct json_object *req, struct json_object *resp);
/* Called every tick: now and then removes expired entries. */
void efd_sets_tick(struct efd *d);

#endif
