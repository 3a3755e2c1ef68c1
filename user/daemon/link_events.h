/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Link notifications acted on one by one, without a full pass: a new
 * interface that a pattern names is attached at once (a netlink call and
 * a map update per hook), a removed one has its records forgotten. No
 * dump of every link and no reconcile per event, so a burst of 1,000 new
 * interfaces costs 1,000 attaches and a lone new interface is filtered as
 * soon as its notification is read. What one notification cannot settle
 * (rules that name interfaces or redirect to one, a rename, a failed
 * attachment, an instance that is gone) asks for a full pass
 * (reconcile.c), which stays the reference: the periodic pass checks
 * everything anyway.
 */
#ifndef EDGEFW_LINK_EVENTS_H
#define EDGEFW_LINK_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "links.h"

/* Appends to *v (*n entries) the (interface, hook) pairs rs asks for on
 * l; the first `interfaces` entry naming a pair decides its mode.
 * 0 or -ENOMEM (*v stays valid). */
int efd_link_targets(const struct ef_ruleset *rs, const struct efd_link *l, struct efd_target **v,
		     size_t *n);
/* qsort order of d->targets: by interface name, then hook. */
int efd_target_cmp(const void *a, const void *b);
/* True when a rule is limited to some interfaces: its tables are compiled
 * for the attached ones, so a new one means a recompile. */
bool efd_rules_name_interfaces(const struct ef_ruleset *rs);

/* Acts on ev (d->targets follows). Returns 0 when every notification was
 * settled, 1 when a full pass is needed. */
int efd_links_apply_events(struct efd *d, const struct efd_link_events *ev);

#endif
