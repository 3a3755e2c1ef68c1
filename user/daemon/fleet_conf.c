// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The etcd source's settings on the event loop's side (issue 18): its
 * start once the rules are in force, and a change of daemon.source taken
 * by a reload (the old watch stopped, the new one started, the rules in
 * force kept). Apart from fleet_apply.c, which reloads through reload.c,
 * so that reload.c can call here without a circle between the two.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_store.h"
#include "daemon.h"
#include "fleet_source.h"
#include "instance.h"
#include "log.h"

int efd_fleet_launch(struct efd *d, bool seed)
{
	char state[PATH_MAX], dir[PATH_MAX];
	struct ef_manifest m = { 0 };
	bool have = false;
	int64_t rev = 0;
	int ret;

	if (!d->conf.fleet.on)
		return 0;
	efd_fleet_state_dir(&d->conf.fleet, d->instance, state, sizeof(state));
	if (d->fleet_dir && seed)
		have = !ef_bundle_current(state, dir, sizeof(dir), &rev, &m);
	ret = efd_fleet_start(&d->fleet, &d->conf.fleet, d->instance, have ? rev : 0,
			      have ? &m : NULL);
	ef_manifest_free(&m);
	if (!ret)
		ret = efd_watch(d, efd_fleet_fd(d->fleet), EFD_EV_FLEET);
	if (ret)
		ef_log_err("etcd source: cannot start: %s", strerror(-ret));
	return ret;
}

/* Member by member: the struct has padding and fixed-size strings. */
bool efd_fleet_conf_equal(const struct ef_fleet_conf *a, const struct ef_fleet_conf *b)
{
	if (a->on != b->on || a->n_endpoints != b->n_endpoints)
		return false;
	for (size_t i = 0; i < a->n_endpoints; i++)
		if (strcmp(a->endpoints[i], b->endpoints[i]))
			return false;
	return !strcmp(a->prefix, b->prefix) && !strcmp(a->group, b->group) &&
	       !strcmp(a->host, b->host) && !strcmp(a->ca, b->ca) && !strcmp(a->cert, b->cert) &&
	       !strcmp(a->key, b->key) && !strcmp(a->state_dir, b->state_dir);
}

/* The old source's thread stopped (its lease revoked: its status key goes
 * at once), the new one started; the rules in force are not touched. */
static void restart_source(struct efd *d, const struct ef_fleet_conf *old)
{
	const struct ef_fleet_conf *n = &d->conf.fleet;
	bool same = old->on && !strcmp(old->prefix, n->prefix) && !strcmp(old->group, n->group) &&
		    !strcmp(old->state_dir, n->state_dir);

	efd_fleet_stop(d->fleet);
	d->fleet = NULL;
	if (!n->on) {
		free(d->fleet_dir);
		d->fleet_dir = NULL;
		d->fleet_hold = false;
		ef_log_info("etcd source: stopped (daemon.source has none): the rules come from %s",
			    d->config_path);
		return;
	}
	ef_log_info(
		"etcd source: daemon.source changed: following group %s at %s now; the rules in force stay until it gives a bundle",
		n->group, n->endpoints[0]);
	efd_fleet_launch(d, same);
}

void efd_fleet_reconfigure(struct efd *d, const struct ef_fleet_conf *old)
{
	if (efd_fleet_conf_equal(old, &d->conf.fleet))
		return;
	/* A reload of the source's own bundle: the source it came from goes
	 * on; the change is taken by the next reload of the file. */
	if (d->fleet_next) {
		d->conf.fleet = *old;
		ef_log_warn(
			"etcd source: daemon.source changed in %s: it takes effect at the next reload (SIGHUP or `edgefw reload`)",
			d->config_path);
		return;
	}
	restart_source(d, old);
}

int efd_fleet_reload_held(struct efd *d, char *summary, size_t len)
{
	struct ef_diag scratch = { 0 };
	struct ef_fleet_conf old;
	struct ef_ruleset local;
	int handled = 0;

	/* A bundle to take: the usual reload (then efd_fleet_reconfigure). */
	if (d->fleet_next || d->fleet_dir)
		return 0;
	/* Errors are the usual reload's to report. */
	if (ef_ruleset_load(d->config_path, &local, &scratch)) {
		ef_diag_free(&scratch);
		return 0;
	}
	ef_diag_free(&scratch);
	if (local.daemon.fleet.on && !efd_fleet_conf_equal(&local.daemon.fleet, &d->conf.fleet) &&
	    !strcmp(local.daemon.instance[0] ? local.daemon.instance : EF_INSTANCE_DEFAULT,
		    d->instance)) {
		old = d->conf.fleet;
		d->conf.fleet = local.daemon.fleet;
		d->fleet_hold = true; /* what is in force stays as it is */
		restart_source(d, &old);
		snprintf(
			summary, len,
			"daemon.source changed: following group %s now; the rules in force (version %llu) stay until it gives a bundle",
			d->conf.fleet.group, (unsigned long long)d->version);
		handled = 1;
	}
	ef_ruleset_free(&local);
	return handled;
}
