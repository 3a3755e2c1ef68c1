/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * edgefwd's control socket: a Unix stream socket (mode 0600) on which root
 * peers (checked with SO_PEERCRED) send one JSON request per connection
 * and read one JSON response. `edgefw reload` is its client (user/ctl/control_client.h).
 *
 * Who may do what: root may send any command. With a read-only group
 * (efd_control_set_group; daemon.control-group), the socket is root:GROUP
 * 0660 and members of the group (the peer's primary group or one of its
 * supplementary groups, SO_PEERGROUPS) may send the read-only commands
 * (efd_control_read_only: status); anything else from them is refused
 * with exit 2. Other peers are refused before their request is read.
 * Every request that may change state is logged with the peer's pid and
 * uid before it is handled; refusals are logged too.
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

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control_client.h"

struct json_object;
struct efd_control;

/* The other end of a control connection, as SO_PEERCRED saw it when it
 * connected. */
struct efd_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* What a peer may do. */
enum efd_access {
	EFD_ACCESS_NONE = 0, /* refused before its request is read */
	EFD_ACCESS_READ,     /* read-only commands: the control group */
	EFD_ACCESS_ALL,      /* root */
};

/* Called for each request a peer may make. req is the parsed request
 * (with a string "command"); the handler fills resp (a JSON object
 * already holding "ok": false, "exit": 1). */
typedef void (*efd_control_fn)(void *arg, const char *command, const struct efd_peer *peer,
			       struct json_object *req, struct json_object *resp);

/* True for the commands that only read state (status), which the
 * read-only group may use; every other command is root's and logged. */
bool efd_control_read_only(const char *command);

/* One request, without a socket: buf[0, len) (buf[len] == '\0') from a
 * peer with the given access (not EFD_ACCESS_NONE) is parsed, checked,
 * logged when it may change state, and handed to fn when allowed. Returns
 * the response to send (never NULL but on OOM); the caller puts it.
 * group names the read-only group in refusals (NULL: none). */
struct json_object *efd_control_dispatch(const char *buf, size_t len, const struct efd_peer *peer,
					 enum efd_access access, const char *group,
					 efd_control_fn fn, void *arg);

/* Creates the socket at path (and its directory, mode 0755, when absent).
 * PATH.lock, locked for the daemon's life, says who may replace the
 * socket file: with it, one a dead daemon left is replaced; without it
 * (another live daemon holds it) nothing is touched (-EBUSY, logged).
 * 0 or -errno (logged). */
int efd_control_open(const char *path, struct efd_control **out);
/* The one descriptor the event loop watches (an epoll set over the
 * listening socket, every connection and a deadline timer). */
int efd_control_fd(const struct efd_control *c);
/* Does what is ready, never waiting: accepts pending connections, reads
 * requests, dispatches the complete ones to fn, sends responses as far as
 * the sockets take them, and closes connections past their deadline (2 s
 * from connecting to having read the response). At most 64 connections
 * at once: a new one evicts one that has not sent its request (the oldest
 * of the process holding most of those), or is refused with an error when
 * all are busy (control_conn.c). */
void efd_control_serve(struct efd_control *c, efd_control_fn fn, void *arg);
/* Opens the read-only commands to the members of group gid (name for
 * messages): the socket file becomes root:gid mode 0660. (gid_t)-1 closes
 * it to everyone but root again (0600). Changing the file's group needs
 * CAP_CHOWN or the daemon being a member of the group (under systemd:
 * SupplementaryGroups=). On failure (logged) the socket stays root-only;
 * returns 0 or -errno. */
int efd_control_set_group(struct efd_control *c, gid_t gid, const char *name);
/* The read-only group in effect ("" for none). */
const char *efd_control_group(const struct efd_control *c);
/* Closes the socket and removes its file. NULL is fine. */
void efd_control_close(struct efd_control *c);

#endif
