// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefwd's life: start (creating or adopting the instance), one event
 * loop over signals, link notifications, the control socket, the drop log
 * and metrics, and a clean stop. Everything runs in this one thread, so
 * no state needs a lock; slow work (a reload) delays the others briefly.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "control.h"
#include "daemon.h"
#include "droplog.h"
#include "links.h"
#include "log.h"
#include "metrics.h"
#include "owner.h"
#include "recover.h"

/* Link notifications come in bursts (an interface being set up sends
 * several): act once the burst is over. */
#define LINK_SETTLE_MS 100
/* The loop ticks every second: retries of optional parts and the check
 * that nobody else switched the ruleset in force. */
#define TICK_MS 1000
/* A pass over the attachments even without notifications, to put back a
 * program someone removed by hand, every this many ticks. */
#define RECHECK_TICKS 5


static void notify_status(struct efd *d, const char *state)
{
	size_t attached = 0;

	for (size_t i = 0; i < d->n_targets; i++)
		attached += d->targets[i].attached;
	sd_notifyf(0, "%s\nSTATUS=ruleset version %llu (%zu rules), %zu of %zu attachments in place",
		   state, (unsigned long long)d->version, d->rs.n_rules,
		   attached, d->n_targets);
}

/* In the compiler's own form, FILE:LINE:COL: error: ..., so tools that
 * read `edgefw check` output read the daemon's log too. */
static void print_diag(const struct ef_diag *diag)
{
	for (size_t i = 0; i < diag->n; i++) {
		const struct ef_diag_entry *e = &diag->v[i];
		bool err = e->sev == EF_SEV_ERROR;

		if (e->line)
			ef_log_prio(err ? 3 : 4, "%s:%u:%u: %s: %s",
				    e->file ? e->file : "?", e->line, e->col,
				    err ? "error" : "warning", e->msg);
		else
			ef_log_prio(err ? 3 : 4, "%s: %s: %s",
				    e->file ? e->file : "edgefwd",
				    err ? "error" : "warning", e->msg);
	}
}

static void socket_path_of(const struct ef_daemon_conf *c, const char *inst,
			   char *buf, size_t len)
{
	if (c->control_socket[0])
		snprintf(buf, len, "%s", c->control_socket);
	else
		efd_control_default_path(inst, buf, len);
}

/* What a reload may change live, and what waits for a restart. */
static int check_conf_change(struct efd *d, const struct ef_ruleset *rs,
			     struct ef_diag *diag)
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
	socket_path_of(n, inst, sock, sizeof(sock));
	if (strcmp(sock, d->socket_path))
		ef_warn(diag, rs->path, 0, 0,
			"daemon.control-socket changed: edgefwd keeps listening on %s until it restarts",
			d->socket_path);
	if (strcmp(o->metrics, n->metrics))
		ef_warn(diag, rs->path, 0, 0,
			"daemon.metrics changed: the new address takes effect when edgefwd restarts");
	return 0;
}

int efd_reload(struct efd *d, const char *file, struct ef_diag *diag,
	       char *summary, size_t summary_len)
{
	char real[PATH_MAX], old_out[EF_LOG_PATH_MAX];
	struct ef_ruleset rs;
	int status;

	d->reloads.last_attempt = time(NULL);
	if (file && (!realpath(file, real) || strcmp(real, d->config_path))) {
		snprintf(summary, summary_len,
			 "edgefwd reloads its own config, %s; edit that file and reload without a file name",
			 d->config_path);
		status = EFD_INPUT;
		goto fail;
	}
	notify_status(d, "RELOADING=1");
	if (ef_ruleset_load(d->config_path, &rs, diag)) {
		snprintf(summary, summary_len,
			 "%s has errors: the rules in force (version %llu) stay",
			 d->config_path, (unsigned long long)d->version);
		status = EFD_INPUT;
		goto fail;
	}
	if (check_conf_change(d, &rs, diag)) {
		ef_ruleset_free(&rs);
		snprintf(summary, summary_len, "%s was not loaded: the rules in force (version %llu) stay",
			 d->config_path, (unsigned long long)d->version);
		status = EFD_INPUT;
		goto fail;
	}
	status = efd_reconcile(d, &rs, true, diag);
	if (status != EFD_OK) {
		ef_ruleset_free(&rs);
		snprintf(summary, summary_len,
			 "%s could not be switched in: the rules in force (version %llu) stay",
			 d->config_path, (unsigned long long)d->version);
		goto fail;
	}
	snprintf(old_out, sizeof(old_out), "%s",
		 d->conf.drop_log[0] ? d->conf.drop_log : "-");
	ef_ruleset_free(&d->rs);
	d->rs = rs;
	d->conf = rs.daemon;
	snprintf(d->conf.control_socket, sizeof(d->conf.control_socket), "%s",
		 d->socket_path);
	efd_parts_apply(d);
	efd_droplog_switch(d, d->droplog_stale ? "" : old_out);
	d->droplog_stale = false;
	d->reloads.ok++;
	d->reloads.last_ok = d->reloads.last_attempt;
	d->reloads.last_failed = false;
	snprintf(summary, summary_len, "reloaded %s: ruleset version %llu, %zu rules",
		 d->config_path, (unsigned long long)d->version, d->rs.n_rules);
	notify_status(d, "READY=1");
	return EFD_OK;
fail:
	d->reloads.failed++;
	d->reloads.last_failed = true;
	notify_status(d, "READY=1");
	return status;
}

static void reload_and_log(struct efd *d, const char *why)
{
	struct ef_diag diag = { 0 };
	char summary[512];
	int status;

	ef_log_info("%s: reloading %s", why, d->config_path);
	status = efd_reload(d, NULL, &diag, summary, sizeof(summary));
	print_diag(&diag);
	if (status == EFD_OK)
		ef_log_info("%s", summary);
	else
		ef_log_err("%s", summary);
	ef_diag_free(&diag);
}

static void add_diag(struct json_object *resp, const struct ef_diag *diag)
{
	struct json_object *arr = json_object_new_array();
	char line[1024];

	for (size_t i = 0; i < diag->n; i++) {
		const struct ef_diag_entry *e = &diag->v[i];

		const char *sev = e->sev == EF_SEV_ERROR ? "error" : "warning";

		if (e->line)
			snprintf(line, sizeof(line), "%s:%u:%u: %s: %s",
				 e->file ? e->file : "?", e->line, e->col, sev,
				 e->msg);
		else
			snprintf(line, sizeof(line), "%s: %s: %s",
				 e->file ? e->file : "edgefwd", sev, e->msg);
		json_object_array_add(arr, json_object_new_string(line));
	}
	json_object_object_add(resp, "diagnostics", arr);
}

static void set_result(struct json_object *resp, int status, const char *msg)
{
	json_object_object_add(resp, "ok", json_object_new_boolean(status == EFD_OK));
	json_object_object_add(resp, "exit", json_object_new_int(status));
	json_object_object_add(resp, "message", json_object_new_string(msg));
}

static void add_parts(struct json_object *resp, const struct efd *d)
{
	struct json_object *parts = json_object_new_object();

	for (int p = 0; p < EFD_PART_COUNT; p++) {
		const struct efd_part_state *s = &d->parts[p];
		const char *state = !s->wanted ? "off" : s->up ? "up" : "retrying";
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "state", json_object_new_string(state));
		if (s->error)
			json_object_object_add(o, "error",
					       json_object_new_string(strerror(-s->error)));
		json_object_object_add(parts, efd_part_name((enum efd_part)p), o);
	}
	json_object_object_add(resp, "parts", parts);
}

static void on_control(void *arg, const char *command, struct json_object *req,
		       struct json_object *resp)
{
	struct efd *d = arg;
	struct json_object *file = NULL;
	struct ef_diag diag = { 0 };
	char summary[512], msg[256];
	int status;

	if (!strcmp(command, "reload")) {
		json_object_object_get_ex(req, "file", &file);
		ef_log_info("control socket: reloading %s", d->config_path);
		status = efd_reload(d, file ? json_object_get_string(file) : NULL,
				    &diag, summary, sizeof(summary));
		print_diag(&diag);
		if (status == EFD_OK)
			ef_log_info("%s", summary);
		else
			ef_log_err("%s", summary);
		set_result(resp, status, summary);
		add_diag(resp, &diag);
		ef_diag_free(&diag);
		return;
	}
	if (!strcmp(command, "notice")) {
		struct json_object *text = NULL;

		json_object_object_get_ex(req, "text", &text);
		ef_log_warn("control socket: %s, behind edgefwd's back: it will put its own rules and attachments back",
			    text ? json_object_get_string(text) : "a forced change");
		set_result(resp, EFD_OK, "noted");
		return;
	}
	if (!strcmp(command, "status")) {
		set_result(resp, EFD_OK, "edgefwd is running");
		json_object_object_add(resp, "instance", json_object_new_string(d->instance));
		json_object_object_add(resp, "config", json_object_new_string(d->config_path));
		json_object_object_add(resp, "version", json_object_new_uint64(d->version));
		json_object_object_add(resp, "rules", json_object_new_uint64(d->rs.n_rules));
		json_object_object_add(resp, "reloads_ok", json_object_new_uint64(d->reloads.ok));
		json_object_object_add(resp, "reloads_failed", json_object_new_uint64(d->reloads.failed));
		json_object_object_add(resp, "pid", json_object_new_int(getpid()));
		json_object_object_add(resp, "foreign_changes",
				       json_object_new_uint64(d->foreign_changes));
		add_parts(resp, d);
		return;
	}
	snprintf(msg, sizeof(msg), "unknown command '%s': use reload, status or notice", command);
	set_result(resp, EFD_INPUT, msg);
}

static int arm(int fd, unsigned ms, bool periodic)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 },
	};

	if (periodic)
		its.it_interval = its.it_value;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

static void resync(struct efd *d, bool report)
{
	struct ef_diag diag = { 0 };

	if (efd_reconcile(d, &d->rs, false, &diag) != EFD_OK)
		ef_log_err("could not bring the attachments in line with %s; retrying in %d s",
			   d->config_path, RECHECK_TICKS * TICK_MS / 1000);
	if (report || diag.n)
		print_diag(&diag);
	ef_diag_free(&diag);
	if (d->droplog_stale) {
		d->droplog_stale = false;
		efd_droplog_switch(d, "");
	}
}

/* Someone switched another ruleset in (`edgefw attach --force`, a tool
 * writing the maps): the daemon's file is what must be in force, so it
 * goes back in, logged and counted. */
static void check_foreign_change(struct efd *d)
{
	struct ef_ruleset_state st;
	struct ef_diag diag = { 0 };
	struct ef_instance inst;

	/* Busy (a CLI holds the lock): look again at the next tick. */
	if (ef_instance_open(d->instance, EF_OPEN_SHARED | EF_OPEN_NOWAIT, &inst))
		return;
	if (ef_instance_read_state(&inst, &st)) {
		ef_instance_close(&inst);
		return;
	}
	ef_instance_close(&inst);
	if (st.version == d->version)
		return;
	d->foreign_changes++;
	ef_log_warn("the ruleset in force in instance '%s' changed without edgefwd (version %llu -> %llu, hash %016llx): putting %s back in force",
		    d->instance, (unsigned long long)d->version,
		    (unsigned long long)st.version, (unsigned long long)st.hash,
		    d->config_path);
	if (efd_reconcile(d, &d->rs, true, &diag) != EFD_OK)
		ef_log_err("cannot restore %s; trying again in %d s", d->config_path,
			   TICK_MS / 1000);
	print_diag(&diag);
	ef_diag_free(&diag);
}

static void on_tick(struct efd *d)
{
	uint64_t expirations;

	if (read(d->tick_fd, &expirations, sizeof(expirations)) < 0)
		return;
	efd_parts_retry(d);
	check_foreign_change(d);
	if (++d->ticks % RECHECK_TICKS == 0 && !d->resync_pending)
		resync(d, false);
}

static void on_settle(struct efd *d)
{
	uint64_t expirations;

	if (read(d->settle_fd, &expirations, sizeof(expirations)) < 0)
		return;
	d->resync_pending = false;
	resync(d, true);
}

static void on_links(struct efd *d)
{
	bool changed = false;
	int ret = efd_linkmon_drain(d->linkmon, &changed);

	if (ret == -ENOBUFS) {
		ef_log_warn("link notifications were lost (netlink overrun): resyncing every interface");
		changed = true;
	} else if (ret) {
		ef_log_err("reading link notifications: %s", strerror(-ret));
	}
	if (!changed || d->resync_pending)
		return;
	ret = arm(d->settle_fd, LINK_SETTLE_MS, false);
	if (ret) {
		/* The tick's periodic pass catches up with the change. */
		ef_log_err("cannot arm the link settle timer: %s; resyncing at the next pass",
			   strerror(-ret));
		return;
	}
	d->resync_pending = true;
}

/* Returns true when the loop should stop. */
static bool on_signal(struct efd *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload_and_log(d, "SIGHUP");
			break;
		case SIGTERM:
		case SIGINT:
			ef_log_info("%s: stopping", strsignal((int)si.ssi_signo));
			return true;
		default:
			break;
		}
	}
	return false;
}

/* Returns true when the loop should stop. */
static bool dispatch(struct efd *d, unsigned tag)
{
	switch (tag) {
	case EFD_EV_SIGNAL:
		return on_signal(d);
	case EFD_EV_TICK:
		on_tick(d);
		break;
	case EFD_EV_SETTLE:
		on_settle(d);
		break;
	case EFD_EV_LINKS:
		on_links(d);
		break;
	case EFD_EV_CONTROL:
		if (d->control)
			efd_control_serve(d->control, on_control, d);
		break;
	case EFD_EV_DROPLOG:
		if (!d->droplog)
			break;
		efd_droplog_consume(d->droplog);
		efd_droplog_counts(d->droplog, &d->log_lines, &d->log_errors);
		break;
	default:
		break;
	}
	return false;
}

static int loop(struct efd *d)
{
	struct epoll_event ev[8];

	for (;;) {
		int timeout = d->metrics ? efd_metrics_timeout_ms(d->metrics) : -1;
		int n = epoll_wait(d->epoll_fd, ev, 8, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ef_log_err("epoll_wait: %s", strerror(errno));
			return EFD_SYSTEM;
		}
		for (int i = 0; i < n; i++)
			if (dispatch(d, ev[i].data.u32))
				return EFD_OK;
		if (d->metrics)
			efd_metrics_run(d->metrics);
	}
}

/* Blocked before anything else, so a signal during the first (maybe
 * slow) load waits for the loop instead of killing the daemon. */
static int block_signals(struct efd *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	/* A client that goes away mid-answer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->signal_fd < 0 ? -errno : 0;
}

static int setup_events(struct efd *d)
{
	int ret;

	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	d->settle_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epoll_fd < 0 || d->settle_fd < 0 || d->tick_fd < 0)
		return -errno;
	ret = efd_watch(d, d->signal_fd, EFD_EV_SIGNAL);
	if (!ret)
		ret = efd_watch(d, d->settle_fd, EFD_EV_SETTLE);
	if (!ret)
		ret = efd_watch(d, d->tick_fd, EFD_EV_TICK);
	return ret;
}

/* What a previous run left: logged, so operators see the adoption. */
static void report_adoption(struct efd *d)
{
	struct edgefw_attach_key key, next;
	struct ef_ruleset_state st;
	struct ef_instance inst;
	size_t n = 0, working = 0;
	void *prev = NULL;

	if (ef_instance_open(d->instance, EF_OPEN_SHARED, &inst))
		return;
	ef_hook_recover_all(&inst);
	while (!bpf_map_get_next_key(inst.maps.attachments, prev, &next)) {
		key = next;
		prev = &key;
		n++;
		working += ef_hook_is_attached(&inst, (int)key.ifindex, key.hook);
	}
	if (!ef_instance_read_state(&inst, &st))
		d->version = st.version;
	ef_instance_close(&inst);
	d->adopted = true;
	ef_log_info("adopting instance '%s' left by a previous run: ruleset version %llu, %zu of %zu attachments still in place (kept as they are)",
		    d->instance, (unsigned long long)d->version, working, n);
}

/* Written anew: never through a symlink or into a file someone else
 * planted (O_EXCL after removing ours). */
static int write_pid_file(const char *path)
{
	char buf[32];
	int fd, len, ret = 0;

	if (unlink(path) && errno != ENOENT)
		return -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)len) != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* The lifetime lock, before anything touches the instance: a second
 * daemon for it stops here, having changed nothing. */
static int take_ownership(struct efd *d)
{
	struct ef_owner_info me = { .pid = getpid() }, holder;

	snprintf(me.config, sizeof(me.config), "%s", d->config_path);
	snprintf(me.socket, sizeof(me.socket), "%s", d->socket_path);
	d->owner_fd = ef_owner_acquire(d->instance, &me, &holder);
	if (d->owner_fd == -EBUSY)
		ef_log_err("instance '%s' is already owned by edgefwd pid %d (config %s, control socket %s): nothing was changed. Stop that daemon first, or give this config its own daemon.instance",
			   d->instance, (int)holder.pid,
			   holder.config[0] ? holder.config : "?",
			   holder.socket[0] ? holder.socket : "?");
	return d->owner_fd < 0 ? d->owner_fd : 0;
}

static int load_config(struct efd *d, const char *config_path)
{
	struct ef_diag diag = { 0 };
	char path[PATH_MAX];
	int ret;

	if (!realpath(config_path, path)) {
		ef_log_err("cannot open the config %s: %s", config_path, strerror(errno));
		return EFD_INPUT;
	}
	d->config_path = strdup(path);
	if (!d->config_path)
		return EFD_SYSTEM;
	ret = ef_ruleset_load(d->config_path, &d->rs, &diag);
	print_diag(&diag);
	ef_diag_free(&diag);
	if (ret) {
		ef_log_err("%s has errors: nothing was loaded or attached", d->config_path);
		return EFD_INPUT;
	}
	d->conf = d->rs.daemon;
	snprintf(d->instance, sizeof(d->instance), "%s",
		 d->conf.instance[0] ? d->conf.instance : EF_INSTANCE_DEFAULT);
	socket_path_of(&d->conf, d->instance, d->socket_path, sizeof(d->socket_path));
	if (!d->rs.n_attach)
		ef_log_warn("%s has no 'interfaces' section: edgefwd attaches nowhere",
			    d->config_path);
	return EFD_OK;
}

static int start(struct efd *d, const char *config_path)
{
	struct ef_diag diag = { 0 };
	char path[PATH_MAX];
	struct stat st;
	int ret, status;

	status = load_config(d, config_path);
	if (status != EFD_OK)
		return status;
	if (take_ownership(d) || ef_bpffs_ensure())
		return EFD_SYSTEM;
	ret = setup_events(d);
	if (ret) {
		ef_log_err("cannot set up the event loop: %s", strerror(-ret));
		return EFD_SYSTEM;
	}
	/* Subscribe before listing, so no change falls between the two. */
	ret = efd_linkmon_open(&d->linkmon);
	if (!ret)
		ret = efd_watch(d, efd_linkmon_fd(d->linkmon), EFD_EV_LINKS);
	if (ret) {
		ef_log_err("cannot subscribe to link notifications: %s", strerror(-ret));
		return EFD_SYSTEM;
	}

	snprintf(path, sizeof(path), "%s/%s", EF_PIN_ROOT, d->instance);
	if (!stat(path, &st))
		report_adoption(d);
	status = efd_reconcile(d, &d->rs, true, &diag);
	print_diag(&diag);
	ef_diag_free(&diag);
	if (status != EFD_OK) {
		ef_log_err("cannot load %s into instance '%s'%s", d->config_path,
			   d->instance, d->adopted ? ": the rules in force stay" : "");
		return status;
	}
	/* The rules are in force: from here on nothing optional can stop
	 * the daemon. */
	efd_parts_apply(d);
	if (d->pid_file && (ret = write_pid_file(d->pid_file)))
		ef_log_err("cannot write the pid file %s: %s", d->pid_file, strerror(-ret));
	ret = arm(d->tick_fd, TICK_MS, true);
	if (ret) {
		ef_log_err("cannot arm the daemon's timer: %s", strerror(-ret));
		return EFD_SYSTEM;
	}
	return EFD_OK;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void stop(struct efd *d, bool started)
{
	struct edgefw_attach_key key, next;
	struct edgefw_attach_val val;
	struct ef_instance inst;

	efd_parts_close(d);
	efd_linkmon_close(d->linkmon);
	if (started && ef_instance_open(d->instance, 0, &inst) == 0) {
		if (d->conf.on_exit == EF_ON_EXIT_DETACH) {
			while (!bpf_map_get_next_key(inst.maps.attachments, NULL, &next)) {
				key = next;
				if (bpf_map_lookup_elem(inst.maps.attachments, &key, &val) ||
				    ef_hook_detach(&inst, (int)key.ifindex, val.ifname, key.hook))
					bpf_map_delete_elem(inst.maps.attachments, &key);
			}
			if (!ef_instance_destroy(&inst))
				ef_log_info("on-exit detach: detached everywhere and removed instance '%s'",
					    d->instance);
		} else {
			/* Nobody reads the ring any more. */
			efd_droplog_set_rate(&inst, 0);
			ef_instance_close(&inst);
			ef_log_info("on-exit keep: instance '%s' stays attached and filtering",
				    d->instance);
		}
	}
	if (d->pid_file && started)
		unlink(d->pid_file);
	ef_owner_release(d->instance, d->owner_fd);
	close_fd(d->epoll_fd);
	close_fd(d->signal_fd);
	close_fd(d->settle_fd);
	close_fd(d->tick_fd);
	ef_ruleset_free(&d->rs);
	free(d->targets);
	free(d->applied_fp);
	free(d->config_path);
}

int efd_run(const char *config_path, const char *pid_file, int ready_fd)
{
	struct efd d = { .ready_fd = ready_fd, .pid_file = pid_file, .owner_fd = -1,
			 .epoll_fd = -1, .signal_fd = -1, .settle_fd = -1, .tick_fd = -1 };
	bool ran = false;
	int status, ret;
	char ok = 0;

	d.started = time(NULL);
	ret = block_signals(&d);
	if (ret) {
		ef_log_err("cannot take over SIGHUP, SIGTERM and SIGINT: %s", strerror(-ret));
		return EFD_SYSTEM;
	}
	status = start(&d, config_path);
	if (status == EFD_OK) {
		ran = true;
		ef_log_info("ready: instance '%s', control socket %s%s%s",
			    d.instance, d.socket_path,
			    d.metrics ? ", metrics on " : "",
			    d.metrics ? (d.conf.metrics[0] ? d.conf.metrics : EF_METRICS_DEFAULT) : "");
		notify_status(&d, "READY=1");
		if (ready_fd >= 0) {
			if (write(ready_fd, &ok, 1) != 1)
				ef_log_warn("cannot tell the starting process that edgefwd is ready");
			close(ready_fd);
		}
		status = loop(&d);
		sd_notify(0, "STOPPING=1");
	}
	stop(&d, ran);
	return status;
}
