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

/* The bundle's main file, from the manifest stored beside it. */
static int bundle_main(const char *dir, char *path, size_t len, struct ef_diag *diag)
{
	char mpath[PATH_MAX + 32], err[256];
	struct ef_manifest m;
	char *text = NULL;
	size_t n;
	int ret;

	snprintf(mpath, sizeof(mpath), "%s/%s", dir, EF_BUNDLE_MANIFEST_FILE);
	ret = ef_read_file(mpath, 64u << 20, &text, &n);
	if (!ret)
		ret = ef_manifest_parse(text, n, &m, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", ef_read_strerror(ret));
	free(text);
	if (ret) {
		ef_err(diag, mpath, 0, 0, "cannot read the bundle's manifest: %s", err);
		return ret;
	}
	snprintf(path, len, "%s/%s", dir, m.main);
	ef_manifest_free(&m);
	return 0;
}

int efd_load_rules(struct efd *d, struct ef_ruleset *rs, struct ef_diag *diag)
{
	struct ef_parse_opts opts = { 0 };
	struct ef_ruleset local;
	const char *dir = d->fleet_next ? d->fleet_next : d->fleet_dir;
	char main[PATH_MAX + 256];
	int ret = ef_ruleset_load(d->config_path, &local, diag);

	if (ret || !local.daemon.fleet.on) { /* the file's own rules */
		*rs = local;
		return ret;
	}
	if (!dir) {
		ef_err(diag, d->config_path, 0, 0,
		       "no bundle of group %s has been applied yet: nothing to reload until etcd gives one",
		       local.daemon.fleet.group);
		ef_ruleset_free(&local);
		return -ENOENT;
	}
	opts.lists_dir = dir; /* the bundle's list files, nothing outside */
	ret = bundle_main(dir, main, sizeof(main), diag);
	if (!ret)
		ret = ef_ruleset_load_opts(main, &opts, rs, diag);
	if (!ret) {
		free(rs->attach);
		rs->attach = local.attach;
		rs->n_attach = local.n_attach;
		rs->daemon = local.daemon;
		local.attach = NULL;
		local.n_attach = 0;
	}
	ef_ruleset_free(&local);
	return ret;
}

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
		ef_log_info("etcd source: no bundle of group %s applied before here (%s/current: %s): %s until etcd gives one",
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
		ef_log_err("etcd source: the last applied bundle %s does not load: waiting for etcd%s",
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
	ef_log_info("etcd source: starting with the last applied bundle of group %s, revision %lld (%s)",
		    c->group, (long long)rev, dir);
}

int efd_fleet_launch(struct efd *d)
{
	char state[PATH_MAX], dir[PATH_MAX];
	struct ef_manifest m = { 0 };
	bool have = false;
	int64_t rev = 0;
	int ret;

	if (!d->conf.fleet.on)
		return 0;
	efd_fleet_state_dir(&d->conf.fleet, d->instance, state, sizeof(state));
	if (d->fleet_dir)
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

/* The first error of a failed reload, and its summary, for the status key. */
static void describe_failure(const struct ef_diag *diag, const char *summary,
			     char *buf, size_t len)
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
	ef_log_info("etcd source: applying group %s revision %lld from %s",
		    d->conf.fleet.group, (long long)rev, dir);
	d->fleet_next = dir;
	status = efd_reload(d, NULL, &diag, summary, sizeof(summary));
	d->fleet_next = NULL;
	efd_print_diag(&diag);
	if (status == EFD_OK && (keep = strdup(dir))) {
		free(d->fleet_dir);
		d->fleet_dir = keep;
		d->fleet_hold = false;
		ef_log_info("etcd source: revision %lld in force: %s", (long long)rev, summary);
		efd_fleet_done(d->fleet, rev, NULL);
	} else {
		describe_failure(&diag, status == EFD_OK ? "out of memory" : summary,
				 err, sizeof(err));
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

static struct json_object *opt_int(int64_t v)
{
	return v ? json_object_new_int64(v) : NULL;
}

void efd_fleet_status(struct efd *d, struct json_object *resp)
{
	const struct ef_fleet_conf *c = &d->conf.fleet;
	struct json_object *o, *eps;
	struct efd_fleet_status st;
	char when[32];
	struct tm tm;

	if (!d->fleet)
		return;
	efd_fleet_snapshot(d->fleet, &st);
	o = json_object_new_object();
	eps = json_object_new_array();
	for (size_t i = 0; i < c->n_endpoints; i++)
		json_object_array_add(eps, json_object_new_string(c->endpoints[i]));
	json_object_object_add(o, "kind", json_object_new_string("etcd"));
	json_object_object_add(o, "group", json_object_new_string(c->group));
	json_object_object_add(o, "prefix", json_object_new_string(c->prefix));
	json_object_object_add(o, "endpoints", eps);
	json_object_object_add(o, "connected", json_object_new_boolean(st.connected));
	json_object_object_add(o, "state", json_object_new_string(st.state));
	json_object_object_add(o, "applied_revision", opt_int(st.applied_revision));
	json_object_object_add(o, "group_revision", opt_int(st.group_revision));
	json_object_object_add(o, "ruleset_hash",
			       st.ruleset_hash[0] ? json_object_new_string(st.ruleset_hash) : NULL);
	if (st.applied_at)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&st.applied_at, &tm));
	json_object_object_add(o, "applied_at", st.applied_at ? json_object_new_string(when) : NULL);
	json_object_object_add(o, "last_error",
			       st.last_error[0] ? json_object_new_string(st.last_error) : NULL);
	json_object_object_add(o, "error_revision", opt_int(st.error_revision));
	json_object_object_add(o, "apply_errors", json_object_new_uint64(st.apply_errors));
	json_object_object_add(o, "bundle", d->fleet_dir ? json_object_new_string(d->fleet_dir) : NULL);
	json_object_object_add(resp, "source", o);
}

void efd_fleet_render_metrics(FILE *f, struct efd *d)
{
	struct efd_fleet_status st;
	long long age = 0;

	if (!d->fleet)
		return;
	efd_fleet_snapshot(d->fleet, &st);
	if (st.published_at)
		age = (long long)(time(NULL) - st.published_at);
	fprintf(f, "# HELP edgefw_fleet_connected Whether the etcd source reaches its cluster (1) or not (0).\n"
		   "# TYPE edgefw_fleet_connected gauge\nedgefw_fleet_connected %d\n",
		st.connected);
	fprintf(f, "# HELP edgefw_fleet_applied_revision The etcd revision of the group's manifest in force (0: none yet).\n"
		   "# TYPE edgefw_fleet_applied_revision gauge\nedgefw_fleet_applied_revision %lld\n",
		(long long)st.applied_revision);
	fprintf(f, "# HELP edgefw_fleet_revision_age_seconds How long ago the manifest in force was published: staleness when the group moved on or etcd is unreachable.\n"
		   "# TYPE edgefw_fleet_revision_age_seconds gauge\nedgefw_fleet_revision_age_seconds %lld\n",
		age < 0 ? 0 : age);
	fprintf(f, "# HELP edgefw_fleet_apply_errors_total Manifests that could not be applied (incomplete, unverifiable or not compiling): the rules in force stayed.\n"
		   "# TYPE edgefw_fleet_apply_errors_total counter\nedgefw_fleet_apply_errors_total %llu\n",
		(unsigned long long)st.apply_errors);
}

void efd_fleet_end(struct efd *d)
{
	efd_fleet_stop(d->fleet);
	d->fleet = NULL;
	free(d->fleet_dir);
	d->fleet_dir = NULL;
}
