/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What control.c (socket), control_conn.c and control_request.c (one request)
 * share. Not an API: control.h is. */
#ifndef EDGEFW_CONTROL_INTERNAL_H
#define EDGEFW_CONTROL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "control_client.h"

struct json_object;

/* A client has this long from connecting to having sent its request and
 * read the response; then its connection is closed. */
#define CTL_DEADLINE_MS 2000
/* After the response, what the client still sends is read (so closing
 * does not reset the connection under its reply) for at most this long. */
#define CTL_DRAIN_MS 200
/* Connections served at once. A new one beyond that evicts one still
 * waiting for its request (an idle client: the oldest of the process
 * holding most, so a flood evicts its own); when every one is busy
 * it is refused with an error. Bounds the daemon's descriptors. */
#define CTL_MAX_CONNS 64
#define CTL_BACKLOG 128

#define CTL_GROUP_NAME_MAX 64

struct ctl_conn;

struct efd_control {
	int fd;    /* the listening socket */
	int ep;    /* epoll over fd, the timer and every connection: the
		     * daemon's loop watches this one descriptor */
	int timer; /* ticks while connections are open, for deadlines */
	int lock_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t group;                         /* read-only group, or -1 */
	char group_name[CTL_GROUP_NAME_MAX]; /* "" without one */
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	struct ctl_conn *conns; /* CTL_MAX_CONNS slots */
	size_t n_conns;
	uint64_t evicted, refused, timed_out; /* since open */
};

/* control_conn.c: sets up ep, timer and the slots for c->fd (already
 * listening); frees them. 0 or -errno. */
int efd_ctl_conns_init(struct efd_control *c);
void efd_ctl_conns_free(struct efd_control *c);

#endif
