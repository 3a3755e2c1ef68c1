// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "link_events.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "iface_slots.h"
#include "liblog.h"
#include "log.h"

/* Whether one notification is enough to act on: the tables do not depend
 * on which interfaces exist, and none of the links is a redirect target
 * (whose ifindex the tables hold). */
static bool events_alone_suffice(const struct efd *d, const struct efd_link_events *ev)
{
	const struct ef_ruleset *rs = &d->rs;

	if (ev->unread || !d->applied_fp || efd_rules_name_interfaces(rs))
		return false;
	for (size_t i = 0; i < rs->n_rules; i++) {
		if (!rs->rules[i].redirect_ifname[0])
			continue;
		for (size_t e = 0; e < ev->n; e++)
			if (!strcmp(rs->rules[i].redirect_ifname, ev->v[e].link.name))
				return false;
	}
	return true;
}

static void target_remove(struct efd *d, size_t i)
{
	memmove(&d->targets[i], &d->targets[i + 1], (d->n_targets - i - 1) * sizeof(*d->targets));
	d->n_targets--;
}

/* Inserts t into d->targets at its sorted place. 0 or -ENOMEM. */
static int target_insert(struct efd *d, const struct efd_target *t)
{
	struct efd_target *v = realloc(d->targets, (d->n_targets + 1) * sizeof(*v));
	size_t at = d->n_targets;

	if (!v)
		return -ENOMEM;
	d->targets = v;
	while (at && efd_target_cmp(&v[at - 1], t) > 0)
		at--;
	memmove(&v[at + 1], &v[at], (d->n_targets - at) * sizeof(*v));
	v[at] = *t;
	d->n_targets++;
	return 0;
}

/* The link went away: the kernel removed our programs with it. */
static void link_gone(struct efd *d, struct ef_instance *inst, int ifindex)
{
	for (size_t i = d->n_targets; i-- > 0;) {
		struct efd_target *t = &d->targets[i];
		struct edgefw_attach_key key = { .ifindex = (__u32)ifindex, .hook = t->hook };

		if (t->ifindex != ifindex)
			continue;
		if (t->attached) {
			ef_attachment_forget(inst, &key);
			ef_log_info("%s (ifindex %d) is gone: forgot its %s attachment", t->ifname,
				    ifindex, ef_hook_name(t->hook));
		}
		target_remove(d, i);
	}
}

/* Attaches t where the config asks; true when it worked. */
static bool attach_one(struct efd *d, struct ef_instance *inst, struct efd_target *t)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)t->ifindex, .hook = t->hook };
	struct edgefw_attach_val val;

	t->error = ef_hook_attach(inst, t->ifindex, t->ifname, t->hook, (enum ef_xdp_mode)t->mode);
	if (t->error == -ENOSPC)
		d->attach_refused++; /* logged by the slot claim */
	if (t->error)
		return false;
	t->attached = true;
	d->attached_on_notification++;
	if (t->hook == EDGEFW_HOOK_XDP && !bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
		snprintf(t->xdp_mode, sizeof(t->xdp_mode), "%s", ef_xdp_mode_name(val.mode));
	ef_log_info("attached to %s (%s%s%s)", t->ifname, ef_hook_name(t->hook),
		    t->xdp_mode[0] ? ", " : "", t->xdp_mode);
	return true;
}

/* A link appeared or changed. 0 when settled, 1 when a full pass must. */
static int link_new(struct efd *d, struct ef_instance *inst, const struct efd_link *l)
{
	struct efd_target *fresh = NULL;
	size_t n = 0;
	int ret = 0;

	for (size_t i = 0; i < d->n_targets; i++) {
		const struct efd_target *t = &d->targets[i];
		bool same_index = t->ifindex == l->ifindex;

		/* Known and working: an up, down or other change. A rename, a
		 * name reused by a new ifindex, a failed attachment: a pass. */
		if (same_index != !strcmp(t->ifname, l->name))
			return 1;
		if (same_index && !t->attached)
			return 1;
		if (same_index)
			return 0;
	}
	if (efd_link_targets(&d->rs, l, &fresh, &n)) {
		free(fresh);
		return 1;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		if (!attach_one(d, inst, &fresh[i]))
			ret = 1; /* recorded with its error, retried by the pass */
		if (target_insert(d, &fresh[i]))
			ret = 1;
	}
	free(fresh);
	return ret;
}

int efd_links_apply_events(struct efd *d, const struct efd_link_events *ev)
{
	struct ef_instance inst;
	int need_pass = 0;

	if (!events_alone_suffice(d, ev))
		return 1;
	/* The instance exists (the first pass made it); gone, a pass
	 * creates it again. */
	if (ef_instance_open(d->instance, 0, &inst))
		return 1;
	ef_liblog_hold();
	for (size_t e = 0; e < ev->n && !need_pass; e++) {
		if (ev->v[e].gone)
			link_gone(d, &inst, ev->v[e].link.ifindex);
		else
			need_pass = link_new(d, &inst, &ev->v[e].link);
	}
	ef_liblog_release(need_pass != 0);
	ef_instance_close(&inst);
	return need_pass;
}
