/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The interfaces of edgefwd's network namespace, through rtnetlink with
 * libmnl: a full listing (RTM_GETLINK dump) and a monitor subscribed to
 * RTNLGRP_LINK that reports each link that appeared, changed or went
 * away. The daemon acts on those one by one when it can (link_events.c)
 * and otherwise reconciles against a fresh listing, so a lost event
 * (ENOBUFS) costs a resync, never a wrong state.
 */
#ifndef EDGEFW_LINKS_H
#define EDGEFW_LINKS_H

#include <stdbool.h>
#include <stddef.h>

#include "ruleset.h"

struct efd_link {
	int ifindex;
	char name[EF_IFNAME_MAX];
};

/* Every link, sorted by ifindex. *out is malloc'ed. 0 or -errno. */
int efd_links_list(struct efd_link **out, size_t *n);

struct efd_linkmon;

int efd_linkmon_open(struct efd_linkmon **out);
int efd_linkmon_fd(const struct efd_linkmon *m);
/* One notification: a link that appeared or changed (RTM_NEWLINK), or
 * went away (gone, RTM_DELLINK). */
struct efd_link_event {
	struct efd_link link;
	bool gone;
};

/* A burst beyond this many notifications is settled by a full pass. */
#define EFD_LINK_EVENTS_MAX 8192

struct efd_link_events {
	struct efd_link_event *v; /* in the order the kernel sent them */
	size_t n, cap;
	/* Something happened that the list does not describe (a notification
	 * without a name, more than EFD_LINK_EVENTS_MAX, no memory). */
	bool unread;
};

/* Reads every pending notification into ev (appended). Returns 0,
 * -ENOBUFS when the kernel dropped notifications (the caller must
 * resync), or another -errno. */
int efd_linkmon_drain(struct efd_linkmon *m, struct efd_link_events *ev);
void efd_link_events_free(struct efd_link_events *ev);
void efd_linkmon_close(struct efd_linkmon *m);

#endif
