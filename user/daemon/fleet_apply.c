// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The etcd source on the event loop's side (issue 18): the rules a reload
 * takes (a bundle merged with the config file's interfaces and daemon
 * sections), the start from the last persisted bundle, applying what the
 * source's thread hands over exactly like a SIGHUP reload, and the
 * source's status and metrics. No etcd I/O here: fleet_thread.c does it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bundle_store.h"
#include "counters.h"
#include "daemon.h"
#include "fileio.h"
#include "fleet_source.h"
#include "instance.h"
#include "log.h"

void efd_fleet_begin(struct efd *d)
{
	const struct ef_fleet_conf *c = &d->conf.fleet;
	char state[PATH_MAX], dir[PATH_MAX];
	struct ef_diag diag = { 0 };
	struct ef_ruleset rs;
	int64_t rev = 0;
	int ret;

	if (!c->on)
		return;
	d->fleet_hold = true;
	efd_fleet_state_dir(c, d->instance, state, sizeof(state));
	ret = ef_bundle_current(state, dir, sizeof(dir), &rev, NULL);
	if (ret) {
		ef_log_info(
			"etcd source: no bundle of group %s applied before here (%s/current: %s): %s until etcd gives one",
			c->group, state, strerror(-ret),
			d->adopted ? "the rules in force stay" : "nothing is enforced");
		return;
	}
	d->fleet_next = dir;
	ret = efd_load_rules(d, &rs, &diag);
	d->fleet_next = NULL;
	efd_print_diag(&diag);
	ef_diag_free(&diag);
	if (ret) {
		ef_log_err(
			"etcd source: the last applied bundle %s does not load: waiting for etcd%s",
			dir, d->adopted ? "; the rules in force stay" : "");
		return;
	}
	d->fleet_dir = strdup(dir);
	if (!d->fleet_dir) {
		ef_ruleset_free(&rs);
		return;
	}
	ef_ruleset_free(&d->rs);
	d->rs = rs;
	d->fleet_hold = false;
	ef_log_info(
		"etcd source: starting with the last applied bundle of group %s, revision %lld (%s)",
		c->group, (long long)rev, dir);
}

/* The first error of a failed reload, and its summary, for the status key. */
static void describe_failure(const struct ef_diag *diag, const char *summary, char *buf, size_t len)
{
	for (size_t i = 0; i < diag->n; i++) {
		const struct ef_diag_entry *e = &diag->v[i];

		if (e->sev != EF_SEV_ERROR)
			continue;
		if (e->line)
			snprintf(buf, len, "%s:%u:%u: %.300s (%.100s)", e->file ? e->file : "?",
				 e->line, e->col, e->msg, summary);
		else
			snprintf(buf, len, "%.300s (%.150s)", e->msg, summary);
		return;
	}
	snprintf(buf, len, "%s", summary);
}

void efd_on_fleet(struct efd *d)
{
	char dir[PATH_MAX], summary[512], err[EFD_FLEET_ERR_MAX], *keep;
	struct ef_diag diag = { 0 };
	int64_t rev;
	int status;

	if (!d->fleet || efd_fleet_take(d->fleet, dir, sizeof(dir), &rev) != 1)
		return;
	if (!efd_confirm_allows_plain_reload(d, summary, sizeof(summary))) {
		ef_log_err("etcd source: not applying revision %lld: %s", (long long)rev, summary);
		efd_fleet_done(d->fleet, rev, summary);
		return;
	}
	ef_log_info("etcd source: applying group %s revision %lld from %s", d->conf.fleet.group,
		    (long long)rev, dir);
	d->fleet_next = dir;
	status = efd_reload(d, NULL, &diag, summary, sizeof(summary));
	d->fleet_next = NULL;
	efd_print_diag(&diag);
	if (status == EF_EXIT_OK && (keep = strdup(dir))) {
		free(d->fleet_dir);
		d->fleet_dir = keep;
		d->fleet_hold = false;
		ef_log_info("etcd source: revision %lld in force: %s", (long long)rev, summary);
		efd_fleet_done(d->fleet, rev, NULL);
	} else {
		describe_failure(&diag, status == EF_EXIT_OK ? "out of memory" : summary, err,
				 sizeof(err));
		ef_log_err("etcd source: revision %lld refused: %s", (long long)rev, summary);
		efd_fleet_done(d->fleet, rev, err);
	}
	ef_diag_free(&diag);
}

/* The packets summary of the status key, every 10 s. */
void efd_fleet_tick(struct efd *d)
{
	uint64_t passed = 0, dropped = 0;
	struct ef_instance inst;
	struct ef_stats st;

	if (!d->fleet || d->ticks % 10)
		return;
	if (ef_instance_open(d->instance, EF_OPEN_SHARED | EF_OPEN_NOWAIT, &inst))
		return;
	if (!ef_stats_read(&inst, &st)) {
		for (size_t i = 0; i < st.n_ifaces; i++) {
			passed += st.ifaces[i].act[EDGEFW_ACT_PASS].packets;
			dropped += st.ifaces[i].act[EDGEFW_ACT_DROP].packets;
		}
		ef_stats_free(&st);
		efd_fleet_set_packets(d->fleet, passed, dropped);
	}
	ef_instance_close(&inst);
}

void efd_fleet_end(struct efd *d)
{
	efd_fleet_stop(d->fleet);
	d->fleet = NULL;
	free(d->fleet_dir);
	d->fleet_dir = NULL;
}
