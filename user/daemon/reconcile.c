// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keeping the attachments what the config says, whatever the interfaces
 * did in between: every pass starts from a fresh listing of the links and
 * the instance's own record of its attachments, so missed or reordered
 * notifications cannot leave a wrong state behind.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fnmatch.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "capacity.h"
#include "capacity_floor.h"
#include "classify.h"
#include "daemon.h"
#include "droplog.h"
#include "liblog.h"
#include "iface_slots.h"
#include "link_events.h"
#include "links.h"
#include "log.h"
#include "progs.h"
#include "recover.h"
#include "tables.h"

int efd_target_cmp(const void *a, const void *b)
{
	const struct efd_target *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	if (c)
		return c;
	return (x->hook > y->hook) - (x->hook < y->hook);
}

int efd_link_targets(const struct ef_ruleset *rs, const struct efd_link *l, struct efd_target **v,
		     size_t *n)
{
	uint8_t seen = 0;

	for (size_t s = 0; s < rs->n_attach; s++) {
		const struct ef_attach_spec *sp = &rs->attach[s];

		if (fnmatch(sp->pattern, l->name, 0))
			continue;
		for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
			struct efd_target *t;

			if (!(sp->hooks & (1u << h)) || (seen & (1u << h)))
				continue;
			seen |= (uint8_t)(1u << h);
			t = realloc(*v, (*n + 1) * sizeof(**v));
			if (!t)
				return -ENOMEM;
			*v = t;
			t = &t[(*n)++];
			memset(t, 0, sizeof(*t));
			memcpy(t->ifname, l->name, sizeof(t->ifname));
			t->ifindex = l->ifindex;
			t->hook = h;
			t->mode = sp->mode;
		}
	}
	return 0;
}

/* The hooks any attach entry of rs names, as a mask of 1 << hook. */
static unsigned int attach_hooks(const struct ef_ruleset *rs)
{
	unsigned int hooks = 0;

	for (size_t s = 0; s < rs->n_attach; s++)
		hooks |= rs->attach[s].hooks;
	return hooks;
}

/* The (interface, hook) pairs rs asks for among links, sorted. */
static int build_targets(const struct ef_ruleset *rs, const struct efd_link *links, size_t n_links,
			 struct efd_target **out, size_t *n_out)
{
	struct efd_target *v = NULL;
	size_t n = 0;

	for (size_t l = 0; l < n_links; l++) {
		if (efd_link_targets(rs, &links[l], &v, &n)) {
			free(v);
			return -ENOMEM;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), efd_target_cmp);
	*out = v;
	*n_out = n;
	return 0;
}

bool efd_rules_name_interfaces(const struct ef_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++)
		if (rs->rules[i].n_ifaces)
			return true;
	return false;
}

/* The interfaces compiled tables depend on, by name and index: the
 * attached ones (`interfaces` patterns of rules) and redirect targets. A
 * change in it means the tables must be rebuilt. */
static char *fingerprint(const struct ef_ruleset *rs, const struct efd_target *t, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	/* Only rules naming interfaces are compiled for the attached ones:
	 * without them, interfaces coming and going change no table. */
	for (size_t i = 0; i < n && efd_rules_name_interfaces(rs); i++)
		if (!i || strcmp(t[i].ifname, t[i - 1].ifname))
			fprintf(f, "%s=%d,", t[i].ifname, t[i].ifindex);
	fputc('|', f);
	for (size_t i = 0; i < rs->n_rules; i++)
		if (rs->rules[i].redirect_ifname[0])
			fprintf(f, "%s=%u,", rs->rules[i].redirect_ifname,
				if_nametoindex(rs->rules[i].redirect_ifname));
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const struct efd_link *find_link(const struct efd_link *links, size_t n, int ifindex)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (links[mid].ifindex == ifindex)
			return &links[mid];
		if (links[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct efd_target *find_target(struct efd_target *t, size_t n, int ifindex, uint32_t hook)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].ifindex == ifindex && t[i].hook == hook)
			return &t[i];
	return NULL;
}

/* Settles what the instance recorded: gone interfaces are forgotten,
 * unwanted attachments detached, renames recorded, and attachments that
 * still work marked in targets, so they are kept as they are. */
static void settle_recorded(struct ef_instance *inst, const struct efd_link *links, size_t n_links,
			    struct efd_target *t, size_t n)
{
	struct edgefw_attach_key keys[EDGEFW_MAX_ATTACH], key, next;
	struct edgefw_attach_val val;
	size_t n_keys = 0;
	void *prev = NULL;

	/* Collect first: deleting while walking would restart the walk. */
	while (n_keys < EDGEFW_MAX_ATTACH &&
	       !bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		keys[n_keys++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n_keys; i++) {
		const struct efd_link *l;
		struct efd_target *tg;
		const char *hook = ef_hook_name(keys[i].hook);

		if (bpf_map_lookup_elem(inst->maps.attachments, &keys[i], &val))
			continue;
		val.ifname[sizeof(val.ifname) - 1] = '\0';
		l = find_link(links, n_links, (int)keys[i].ifindex);
		if (!l) {
			/* The kernel removed our program with the interface. */
			ef_attachment_forget(inst, &keys[i]);
			ef_log_info("%s (ifindex %u) is gone: forgot its %s attachment", val.ifname,
				    keys[i].ifindex, hook);
			continue;
		}
		tg = find_target(t, n, l->ifindex, keys[i].hook);
		if (!tg) {
			if (!ef_hook_detach(inst, l->ifindex, l->name, keys[i].hook))
				ef_log_info(
					"detached from %s (%s): the config no longer asks for it",
					l->name, hook);
			continue;
		}
		if (strcmp(val.ifname, l->name)) {
			ef_log_info("%s (ifindex %d) is now %s: %s attachment kept", val.ifname,
				    l->ifindex, l->name, hook);
			memcpy(val.ifname, l->name, sizeof(val.ifname));
			/* Only the name in a record: the attachment stands. */
			(void)bpf_map_update_elem(inst->maps.attachments, &keys[i], &val,
						  BPF_EXIST);
		}
		if (!ef_hook_is_attached(inst, l->ifindex, keys[i].hook)) {
			/* Someone removed it behind our back: attach anew. */
			ef_log_warn("edgefw's program is no longer on %s (%s): attaching it again",
				    l->name, hook);
			ef_attachment_forget(inst, &keys[i]);
			continue;
		}
		tg->attached = true;
		snprintf(tg->xdp_mode, sizeof(tg->xdp_mode), "%s",
			 keys[i].hook == EDGEFW_HOOK_XDP ? ef_xdp_mode_name(val.mode) : "");
	}
}

static void attach_missing(struct efd *d, struct ef_instance *inst, struct efd_target *t, size_t n)
{
	struct edgefw_attach_key key;
	struct edgefw_attach_val val;

	for (size_t i = 0; i < n; i++) {
		if (t[i].attached)
			continue;
		t[i].error = ef_hook_attach(inst, t[i].ifindex, t[i].ifname, t[i].hook,
					    (enum ef_xdp_mode)t[i].mode);
		/* At the instance's capacity: refused (logged), counted for
		 * the metrics, retried at the next pass. */
		if (t[i].error == -ENOSPC)
			d->attach_refused++;
		if (t[i].error)
			continue;
		t[i].attached = true;
		key = (struct edgefw_attach_key){ .ifindex = (__u32)t[i].ifindex,
						  .hook = t[i].hook };
		if (t[i].hook == EDGEFW_HOOK_XDP &&
		    !bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
			snprintf(t[i].xdp_mode, sizeof(t[i].xdp_mode), "%s",
				 ef_xdp_mode_name(val.mode));
		ef_log_info("attached to %s (%s%s%s)", t[i].ifname, ef_hook_name(t[i].hook),
			    t[i].xdp_mode[0] ? ", " : "", t[i].xdp_mode);
	}
}

/* The interfaces the targets name, each once (t is sorted by name). */
static const char **target_names(const struct efd_target *t, size_t n, size_t *n_names)
{
	const char **names = calloc(n + 1, sizeof(*names));

	*n_names = 0;
	if (!names)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(t[i].ifname, t[i - 1].ifname))
			names[(*n_names)++] = t[i].ifname;
	return names;
}

/* Puts the compiled rules in force; on success the instance's fingerprint
 * becomes *fp (taken). */
static int apply_compiled(struct efd *d, struct ef_instance *inst, const struct ef_ruleset *rs,
			  struct ef_compiled *c, bool force, size_t n_names, char **fp)
{
	struct ef_apply_summary sum;

	/* Recompiled because interfaces changed, not the rules: the
	 * version, which tells operators the rules changed, stays. */
	if (force ? ef_tables_apply(inst, rs, c, &sum) : ef_tables_apply_same(inst, rs, c, &sum))
		return -1;
	d->version = sum.version;
	/* A growth may have replaced rule_meta, which the drop log holds. */
	if (sum.grew)
		d->droplog_stale = true;
	ef_needs_of(rs, c, &d->used); /* for edgefw_usage */
	free(d->applied_fp);
	d->applied_fp = *fp;
	*fp = NULL;
	ef_log_info(
		"ruleset version %llu in force: %zu rules (%zu added, %zu removed, %zu kept with their counters) for %zu interfaces%s",
		sum.version, rs->n_rules, sum.rules_added, sum.rules_removed, sum.rules_kept,
		n_names, force ? "" : " (recompiled for the interfaces now present)");
	if (sum.ct_removed)
		ef_log_info("removed %zu tracked flows the new rules no longer accept",
			    sum.ct_removed);
	/* New 'vlan:' rules may meet tags XDP cannot see. */
	ef_xdp_vlan_check_all(inst);
	return 0;
}

/* Someone removed the instance under us (the last `edgefw detach`): the
 * new one holds no rules, so they are loaded before anything is attached
 * to it (compiled now if they were not), and its ring read from now on. */
static int recreated(struct efd *d, const struct ef_ruleset *rs, const char **names, size_t n_names,
		     struct ef_compiled *c, bool *compiled, struct ef_diag *diag)
{
	ef_log_warn("instance '%s' was removed by someone else: creating it again", d->instance);
	d->droplog_stale = true;
	/* The programs loaded for the old one use its maps. */
	ef_prog_cache_clear();
	if (*compiled)
		return 0;
	if (ef_compile(rs, names, n_names, c, diag))
		return -1;
	*compiled = true;
	return 0;
}

/* The sizes the instance gets should the next open create it, from the
 * ruleset and daemon.conntrack-size; daemon.capacity is also the floor an
 * existing instance grows to when the ruleset is applied. */
static int size_instance(const struct ef_ruleset *rs, const struct ef_compiled *c)
{
	struct ef_needs needs;

	ef_needs_of(rs, c, &needs);
	ef_instance_size_for_needs(&needs);
	ef_instance_set_capacity_floor(&rs->daemon.capacity);
	return ef_instance_set_conntrack_size(rs->daemon.conntrack_size);
}

int efd_reconcile(struct efd *d, const struct ef_ruleset *rs, bool force, struct ef_diag *diag)
{
	struct efd_target *t = NULL;
	struct efd_link *links = NULL;
	struct ef_compiled c;
	struct ef_instance inst;
	const char **names = NULL;
	size_t n = 0, n_links = 0, n_names = 0;
	bool compiled = false, opened = false;
	char *fp = NULL;
	bool attach_failed = false, relink;
	int ret, status = EF_EXIT_SYSTEM;

	/* libbpf and libxdp chatter only matters when something failed. */
	ef_liblog_hold();
	ret = efd_links_list(&links, &n_links);
	if (ret) {
		ef_log_err("cannot list the network interfaces: %s", strerror(-ret));
		goto out;
	}
	if (build_targets(rs, links, n_links, &t, &n))
		goto out;
	fp = fingerprint(rs, t, n);
	names = target_names(t, n, &n_names);
	if (!fp || !names)
		goto out;

	relink = !force && d->applied_fp && strcmp(fp, d->applied_fp);
	force |= !d->applied_fp;
	if (force || relink) {
		ret = ef_compile(rs, names, n_names, &c, diag);
		if (ret) {
			status = ret == -ENOMEM ? EF_EXIT_SYSTEM : EF_EXIT_INPUT;
			goto out;
		}
		compiled = true;
		if (size_instance(rs, &c))
			goto out;
	}
	ret = ef_instance_open(d->instance, EF_OPEN_CREATE, &inst);
	if (ret)
		goto out;
	opened = true;
	if (inst.created && d->applied_fp) {
		if (recreated(d, rs, names, n_names, &c, &compiled, diag))
			goto out;
		force = true;
	}

	ef_hook_recover_all(&inst);
	settle_recorded(&inst, links, n_links, t, n);
	if (compiled && apply_compiled(d, &inst, rs, &c, force, n_names, &fp))
		goto out;
	/* Events only once something reads them (start opens the log after
	 * the first pass and sets the rate itself). */
	if (d->droplog)
		efd_droplog_set_rate(&inst, rs->daemon.log_rate);
	attach_missing(d, &inst, t, n);
	for (size_t i = 0; i < n; i++)
		attach_failed |= t[i].error != 0 && t[i].error != -ENODEV; /* -ENODEV: gone */
	/* An interface that appears later then costs no verifier pass. */
	if (ef_prog_warm(&inst, attach_hooks(rs)))
		ef_log_warn(
			"the programs could not be loaded ahead of the interfaces: the next one to appear loads them");

	free(d->targets);
	d->targets = t;
	d->n_targets = n;
	t = NULL;
	status = EF_EXIT_OK;
out:
	ef_liblog_release(status != EF_EXIT_OK || attach_failed);
	if (opened)
		ef_instance_close(&inst);
	if (compiled)
		ef_compiled_free(&c);
	free(names);
	free(fp);
	free(t);
	free(links);
	return status;
}
