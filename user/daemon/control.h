/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * edgefwd's control socket: a Unix stream socket (mode 0600) on which root
 * peers (checked with SO_PEERCRED) send one JSON request per connection
 * and read one JSON response. `edgefw reload` is its client.
 *
 * Request:  {"command": "reload"[, "file": "/abs/path.yaml"]}
 *           {"command": "status"}
 * Response: {"ok": bool, "exit": 0|1|2, "message": "one line",
 *            "diagnostics": ["rules.yaml:3:5: error: ...", ...]}
 *           (status adds "instance", "config", "version", "rules",
 *            "reloads_ok", "reloads_failed", "pid")
 */
#ifndef EDGEFW_CONTROL_H
#define EDGEFW_CONTROL_H

#include <stddef.h>

struct json_object;
struct efd_control;

/* Called for each request from an accepted root peer. req is the parsed
 * request (with a string "command"); the handler fills resp (a JSON
 * object already holding "ok": false, "exit": 1). */
typedef void (*efd_control_fn)(void *arg, const char *command,
			       struct json_object *req,
			       struct json_object *resp);

/* Creates the socket at path (and its directory, mode 0755, when absent).
 * PATH.lock, locked for the daemon's life, says who may replace the
 * socket file: with it, one a dead daemon left is replaced; without it
 * (another live daemon holds it) nothing is touched (-EBUSY, logged).
 * 0 or -errno (logged). */
int efd_control_open(const char *path, struct efd_control **out);
int efd_control_fd(const struct efd_control *c);
/* Accepts and serves one pending connection, synchronously (bounded by a
 * 2 s receive/send timeout so a stuck client cannot stall the daemon). */
void efd_control_serve(struct efd_control *c, efd_control_fn fn, void *arg);
/* Closes the socket and removes its file. NULL is fine. */
void efd_control_close(struct efd_control *c);

/* Client side (edgefw): sends req to the daemon at path and parses its
 * response into *resp. -ENOENT / -ECONNREFUSED when no daemon listens
 * there, other -errno otherwise. timeout_ms bounds the whole exchange. */
int efd_control_request(const char *path, struct json_object *req,
			int timeout_ms, struct json_object **resp);

/* Default socket path of an instance: /run/edgefw/INSTANCE.sock. */
int efd_control_default_path(const char *instance, char *buf, size_t len);

#endif
