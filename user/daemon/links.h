/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The interfaces of edgefwd's network namespace, through rtnetlink with
 * libmnl: a full listing (RTM_GETLINK dump) and a monitor subscribed to
 * RTNLGRP_LINK that only says "something changed". The daemon always
 * reconciles against a fresh listing, so a lost event (ENOBUFS) costs a
 * resync, never a wrong state.
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
/* Reads every pending notification. *changed when a link appeared,
 * changed or went away. Returns 0, -ENOBUFS when the kernel dropped
 * notifications (the caller must resync), or another -errno. */
int efd_linkmon_drain(struct efd_linkmon *m, bool *changed);
void efd_linkmon_close(struct efd_linkmon *m);

#endif
