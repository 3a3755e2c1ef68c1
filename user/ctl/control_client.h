/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The control protocol as both ends share it: its limits, its JSON reader,
 * and the client (edgefw's side). The server is edgefwd's
 * (user/daemon/control.h, which describes the requests and responses).
 * This layer sits above the loader and below cli and daemon, so that both
 * may use it and neither uses the other.
 */
#ifndef EDGEFW_CONTROL_CLIENT_H
#define EDGEFW_CONTROL_CLIENT_H

#include <stddef.h>
#include <sys/un.h>

struct json_object;

#define CTL_REQUEST_MAX (64 * 1024)
/* Responses carry every diagnostic of a rules file: allow far more than a
 * request, but still bound what a misbehaving peer can make us buffer. */
#define CTL_RESPONSE_MAX (4 * 1024 * 1024)

/* Sends req to the daemon at path and parses its response into *resp.
 * -ENOENT / -ECONNREFUSED when no daemon listens there, other -errno
 * otherwise. timeout_ms bounds the whole exchange. */
int efd_control_request(const char *path, struct json_object *req, int timeout_ms,
			struct json_object **resp);

/* Default socket path of an instance: /run/edgefw/INSTANCE.sock. */
int efd_control_default_path(const char *instance, char *buf, size_t len);

/* The address of the socket at path; -ENAMETOOLONG when it does not fit
 * (a truncated path would name another file). */
int efd_control_addr(const char *path, struct sockaddr_un *sa);

/* Parses exactly one JSON value in buf[0..len), which buf[len] == '\0'
 * ends (trailing white space is fine, trailing garbage is not). On error
 * returns NULL and *why says what is wrong. */
struct json_object *efd_control_parse_json(const char *buf, size_t len, const char **why);

#endif
