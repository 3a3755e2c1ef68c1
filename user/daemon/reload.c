// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefwd's reloads (SIGHUP, the control socket) and the answers to
 * control requests. A reload rereads the daemon's own config, checks what
 * may change live, and switches through efd_reconcile; on any error the
 * rules in force stay.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "confirm.h"
#include "control.h"
#include "daemon.h"
#include "edgefw.h"
#include "daemon_sets.h"
#include "set_request.h"
#include "jsonout.h"
#include "log.h"
#include "progs.h"

void efd_notify_status(struct efd *d, const char *state)
{
	size_t attached = 0;

	for (size_t i = 0; i < d->n_targets; i++)
		attached += d->targets[i].attached;
	sd_notifyf(0,
		   "%s\nSTATUS=ruleset version %llu (%zu rules), %zu of %zu attachments in place",
		   state, (unsigned long long)d->version, d->rs.n_rules, attached, d->n_targets);
}

/* In the compiler's own form, FILE:LINE:COL: error: ..., so tools that
 * read `edgefw check` output read the daemon's log too. */
void efd_print_diag(const struct ef_diag *diag)
{
	char line[EF_DIAG_LINE_MAX];

	for (size_t i = 0; i < diag->n; i++) {
		ef_diag_format(&diag->v[i], "edgefwd", line, sizeof(line));
		ef_log_prio(diag->v[i].sev == EF_SEV_ERROR ? 3 : 4, "%s", line);
	}
}

void efd_socket_path_of(const struct ef_daemon_conf *c, const char *inst, char *buf, size_t len)
{
	if (c->control_socket[0])
		snprintf(buf, len, "%s", c->control_socket);
	else
		efd_control_default_path(inst, buf, len);
}

/* What a reload may change live, and what waits for a restart. */
static int check_conf_change(struct efd *d, const struct ef_ruleset *rs, struct ef_diag *diag)
{
	const struct ef_daemon_conf *o = &d->conf, *n = &rs->daemon;
	const char *inst = n->instance[0] ? n->instance : EF_INSTANCE_DEFAULT;
	char sock[EF_SOCKET_PATH_MAX];

	if (strcmp(inst, d->instance)) {
		ef_err(diag, rs->path, 0, 0,
		       "daemon.instance changed from '%s' to '%s': restart edgefwd to move to another instance",
		       d->instance, inst);
		return -EINVAL;
	}
	efd_socket_path_of(n, inst, sock, sizeof(sock));
	if (strcmp(sock, d->socket_path))
		ef_warn(diag, rs->path, 0, 0,
			"daemon.control-socket changed: edgefwd keeps listening on %s until it restarts",
			d->socket_path);
	if (strcmp(o->metrics, n->metrics))
		ef_warn(diag, rs->path, 0, 0,
			"daemon.metrics changed: the new address takes effect when edgefwd restarts");
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void efd_adopt(struct efd *d, struct ef_ruleset *rs)
{
	char old_out[EF_LOG_PATH_MAX];

	snprintf(old_out, sizeof(old_out), "%s", d->conf.drop_log[0] ? d->conf.drop_log : "-");
	efd_confirm_retire(d, &d->rs);
	d->rs = *rs;
	memset(rs, 0, sizeof(*rs));
	d->conf = d->rs.daemon;
	snprintf(d->conf.control_socket, sizeof(d->conf.control_socket), "%s", d->socket_path);
	efd_parts_apply(d);
	efd_droplog_switch(d, d->droplog_stale ? "" : old_out);
	d->droplog_stale = false;
}

int efd_reload(struct efd *d, const char *file, struct ef_diag *diag, char *summary,
	       size_t summary_len)
{
	/* With an etcd source, the bundle being applied. */
	const char *what = d->fleet_next ? d->fleet_next : d->config_path;
	struct ef_fleet_conf source;
	char real[PATH_MAX];
	struct ef_ruleset rs;
	struct timespec t0;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	d->reloads.last_attempt = time(NULL);
	if (file && (!realpath(file, real) || strcmp(real, d->config_path))) {
		snprintf(
			summary, summary_len,
			"edgefwd reloads its own config, %s; edit that file and reload without a file name",
			d->config_path);
		status = EF_EXIT_INPUT;
		goto fail;
	}
	efd_notify_status(d, "RELOADING=1");
	/* A changed source while none of its bundles is in force: a new
	 * source starts, the rules in force stay. Only a file that names a
	 * source (no rules: cheap) is read for it, or one that failed as a
	 * file of rules (it may name a source now), so a reload of a file of
	 * rules parses it once. */
	if (d->conf.fleet.on && efd_fleet_reload_held(d, summary, summary_len))
		goto done;
	if (efd_load_rules(d, &rs, diag)) {
		if (!d->conf.fleet.on && efd_fleet_reload_held(d, summary, summary_len)) {
			ef_diag_free(diag); /* "no bundle yet": not an error then */
			goto done;
		}
		snprintf(summary, summary_len,
			 "%s has errors: the rules in force (version %llu) stay", what,
			 (unsigned long long)d->version);
		status = EF_EXIT_INPUT;
		goto fail;
	}
	if (check_conf_change(d, &rs, diag)) {
		ef_ruleset_free(&rs);
		snprintf(summary, summary_len,
			 "%s was not loaded: the rules in force (version %llu) stay", what,
			 (unsigned long long)d->version);
		status = EF_EXIT_INPUT;
		goto fail;
	}
	status = efd_reconcile(d, &rs, true, diag);
	if (status != EF_EXIT_OK) {
		ef_ruleset_free(&rs);
		snprintf(summary, summary_len,
			 "%s could not be switched in: the rules in force (version %llu) stay",
			 what, (unsigned long long)d->version);
		goto fail;
	}
	/* The source's settings it ran with, for a change of daemon.source. */
	source = d->conf.fleet;
	efd_adopt(d, &rs);
	efd_confirm_note_applied(d);
	snprintf(summary, summary_len, "reloaded %s: ruleset version %llu, %zu rules", what,
		 (unsigned long long)d->version, d->rs.n_rules);
	efd_fleet_reconfigure(d, &source);
done:
	d->reloads.ok++;
	d->reloads.last_ok = d->reloads.last_attempt;
	d->reloads.last_failed = false;
	efd_reload_observe(d, seconds_since(&t0), true);
	efd_notify_status(d, "READY=1");
	return EF_EXIT_OK;
fail:
	d->reloads.failed++;
	d->reloads.last_failed = true;
	efd_reload_observe(d, seconds_since(&t0), false);
	efd_notify_status(d, "READY=1");
	return status;
}

void efd_reload_and_log(struct efd *d, const char *why)
{
	struct ef_diag diag = { 0 };
	char summary[512];
	int status;

	if (!efd_confirm_allows_plain_reload(d, summary, sizeof(summary))) {
		ef_log_err("%s: not reloading %s: %s", why, d->config_path, summary);
		return;
	}
	ef_log_info("%s: reloading %s", why, d->config_path);
	status = efd_reload(d, NULL, &diag, summary, sizeof(summary));
	efd_print_diag(&diag);
	if (status == EF_EXIT_OK)
		ef_log_info("%s", summary);
	else
		ef_log_err("%s", summary);
	ef_diag_free(&diag);
}

void efd_add_diag(struct json_object *resp, const struct ef_diag *diag)
{
	struct json_object *arr = json_object_new_array();
	char line[EF_DIAG_LINE_MAX];

	for (size_t i = 0; i < diag->n; i++) {
		ef_diag_format(&diag->v[i], "edgefwd", line, sizeof(line));
		json_object_array_add(arr, json_object_new_string(line));
	}
	json_object_object_add(resp, "diagnostics", arr);
}

void efd_set_result(struct json_object *resp, int status, const char *msg)
{
	json_object_object_add(resp, "ok", json_object_new_boolean(status == EF_EXIT_OK));
	json_object_object_add(resp, "exit", json_object_new_int(status));
	json_object_object_add(resp, "message", json_object_new_string(msg));
}

/* How many (interface, hook) pairs the config asks for and how many are
 * attached, against the instance's capacity; refusals at the capacity and
 * programs loaded (verified) by this daemon, which stay at one per hook
 * however many interfaces come and go. */
int efd_reload_for_peer(struct efd *d, const struct efd_peer *peer, const char *file,
			struct json_object *resp)
{
	struct ef_diag diag = { 0 };
	char summary[512];
	int status;

	ef_log_info("control socket: reloading %s for pid %d uid %u", d->config_path,
		    (int)peer->pid, (unsigned)peer->uid);
	status = efd_reload(d, file, &diag, summary, sizeof(summary));
	efd_print_diag(&diag);
	if (status == EF_EXIT_OK)
		ef_log_info("%s", summary);
	else
		ef_log_err("%s", summary);
	efd_set_result(resp, status, summary);
	efd_add_diag(resp, &diag);
	if (status == EF_EXIT_OK) { /* what `edgefw reload --json` reports */
		json_object_object_add(resp, "file", json_object_new_string(d->config_path));
		json_object_object_add(resp, "version", json_object_new_uint64(d->version));
		json_object_object_add(resp, "rules", json_object_new_uint64(d->rs.n_rules));
	}
	ef_diag_free(&diag);
	return status;
}
