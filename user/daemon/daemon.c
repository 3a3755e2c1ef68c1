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
#include <grp.h>
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

/* Link notifications come in bursts (an interface being set up sends
 * several): act once the burst is over. */
#define LINK_SETTLE_MS 100
/* A pass over the attachments even without notifications, to put back a
 * program someone removed by hand. */
#define RECHECK_MS 5000

enum ev_tag {
	EV_SIGNAL = 1,
	EV_TIMER,
	EV_LINKS,
	EV_CONTROL,
	EV_DROPLOG,
	EV_METRICS,
};

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

static int open_droplog(struct efd *d, const char *output)
{
	struct ef_instance inst;
	int ret;

	ret = ef_instance_open(d->instance, EF_OPEN_SHARED, &inst);
	if (ret)
		return ret;
	ret = efd_droplog_open(&inst, output, &d->droplog);
	if (!ret)
		ret = efd_droplog_set_rate(&inst, d->conf.log_rate);
	ef_instance_close(&inst);
	return ret;
}

static int watch(struct efd *d, int fd, enum ev_tag tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

static int droplog_switch(struct efd *d, const char *old_out)
{
	const char *out = d->conf.drop_log[0] ? d->conf.drop_log : "-";
	int ret;

	if (!strcmp(out, old_out))
		return d->droplog ? efd_droplog_reopen(d->droplog) : 0;
	if (d->droplog) {
		efd_droplog_consume(d->droplog);
		efd_droplog_close(d->droplog);
		d->droplog = NULL;
	}
	ret = open_droplog(d, out);
	if (!ret)
		ret = watch(d, efd_droplog_fd(d->droplog), EV_DROPLOG);
	if (ret)
		ef_log_err("drop log: cannot switch to %s: %s", out, strerror(-ret));
	return ret;
}

/* daemon.control-group, resolved on the host the daemon runs on (the
 * config may be checked elsewhere). Not fatal: without it the socket
 * stays root only, and reloads work. */
static void apply_control_group(struct efd *d, const char *old)
{
	const char *name = d->conf.control_group;
	struct group gr, *found = NULL;
	char buf[4096];
	int ret;

	if (!d->control || !strcmp(name, old))
		return;
	if (!name[0]) {
		efd_control_set_group(d->control, (gid_t)-1, NULL);
		return;
	}
	ret = getgrnam_r(name, &gr, buf, sizeof(buf), &found);
	if (!found) {
		ef_log_err("daemon.control-group: %s '%s': the control socket stays root only",
			   ret ? strerror(ret) : "no such group", name);
		efd_control_set_group(d->control, (gid_t)-1, NULL);
		return;
	}
	efd_control_set_group(d->control, gr.gr_gid, name);
}

int efd_reload(struct efd *d, const char *file, struct ef_diag *diag,
	       char *summary, size_t summary_len)
{
	char old_group[EF_GROUP_NAME_MAX];
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
	snprintf(old_group, sizeof(old_group), "%s", d->conf.control_group);
	ef_ruleset_free(&d->rs);
	d->rs = rs;
	d->conf = rs.daemon;
	snprintf(d->conf.control_socket, sizeof(d->conf.control_socket), "%s",
		 d->socket_path);
	droplog_switch(d, d->droplog_stale ? "" : old_out);
	d->droplog_stale = false;
	apply_control_group(d, old_group);
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

static void on_control(void *arg, const char *command,
		       const struct efd_peer *peer, struct json_object *req,
		       struct json_object *resp)
{
	struct efd *d = arg;
	struct json_object *file = NULL;
	struct ef_diag diag = { 0 };
	char summary[512], msg[256];
	int status;

	if (!strcmp(command, "reload")) {
		json_object_object_get_ex(req, "file", &file);
		ef_log_info("control socket: reloading %s for pid %d uid %u",
			    d->config_path, (int)peer->pid, (unsigned)peer->uid);
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
	if (!strcmp(command, "status")) {
		set_result(resp, EFD_OK, "edgefwd is running");
		json_object_object_add(resp, "instance", json_object_new_string(d->instance));
		json_object_object_add(resp, "config", json_object_new_string(d->config_path));
		json_object_object_add(resp, "version", json_object_new_uint64(d->version));
		json_object_object_add(resp, "rules", json_object_new_uint64(d->rs.n_rules));
		json_object_object_add(resp, "reloads_ok", json_object_new_uint64(d->reloads.ok));
		json_object_object_add(resp, "reloads_failed", json_object_new_uint64(d->reloads.failed));
		json_object_object_add(resp, "pid", json_object_new_int(getpid()));
		return;
	}
	snprintf(msg, sizeof(msg), "unknown command '%s': use reload or status", command);
	set_result(resp, EFD_INPUT, msg);
}

static void arm_timer(struct efd *d, unsigned ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 },
	};

	timerfd_settime(d->timer_fd, 0, &its, NULL);
}

static void resync(struct efd *d, bool report)
{
	struct ef_diag diag = { 0 };

	if (efd_reconcile(d, &d->rs, false, &diag) != EFD_OK)
		ef_log_err("could not bring the attachments in line with %s; retrying in %d s",
			   d->config_path, RECHECK_MS / 1000);
	if (report || diag.n)
		print_diag(&diag);
	ef_diag_free(&diag);
	if (d->droplog_stale) {
		d->droplog_stale = false;
		droplog_switch(d, "");
	}
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
	if (changed && !d->resync_pending) {
		d->resync_pending = true;
		arm_timer(d, LINK_SETTLE_MS);
	}
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

static int loop(struct efd *d)
{
	struct epoll_event ev[8];
	uint64_t expirations;

	for (;;) {
		int timeout = d->metrics ? efd_metrics_timeout_ms(d->metrics) : -1;
		int n = epoll_wait(d->epoll_fd, ev, 8, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ef_log_err("epoll_wait: %s", strerror(errno));
			return EFD_SYSTEM;
		}
		for (int i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case EV_SIGNAL:
				if (on_signal(d))
					return EFD_OK;
				break;
			case EV_TIMER:
				if (read(d->timer_fd, &expirations, sizeof(expirations)) < 0)
					break;
				resync(d, d->resync_pending);
				d->resync_pending = false;
				arm_timer(d, RECHECK_MS);
				break;
			case EV_LINKS:
				on_links(d);
				break;
			case EV_CONTROL:
				efd_control_serve(d->control, on_control, d);
				break;
			case EV_DROPLOG:
				efd_droplog_consume(d->droplog);
				efd_droplog_counts(d->droplog, &d->log_lines,
						   &d->log_errors);
				break;
			default:
				break;
			}
		}
		if (d->metrics)
			efd_metrics_run(d->metrics);
	}
}

static int setup_events(struct efd *d)
{
	sigset_t mask;
	int ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* Blocked before anything else, so a signal at start waits. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	/* A client that goes away mid-answer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->signal_fd < 0 || d->epoll_fd < 0 || d->timer_fd < 0)
		return -errno;
	ret = watch(d, d->signal_fd, EV_SIGNAL);
	if (!ret)
		ret = watch(d, d->timer_fd, EV_TIMER);
	return ret;
}

/* What a previous run left: logged, so operators see the adoption. */
static void report_adoption(struct efd *d)
{
	struct edgefw_attach_key key, next;
	struct edgefw_instance_info info;
	struct ef_instance inst;
	__u32 zero = 0;
	size_t n = 0, working = 0;
	void *prev = NULL;

	if (ef_instance_open(d->instance, EF_OPEN_SHARED, &inst))
		return;
	while (!bpf_map_get_next_key(inst.maps.attachments, prev, &next)) {
		key = next;
		prev = &key;
		n++;
		working += ef_hook_is_attached(&inst, (int)key.ifindex, key.hook);
	}
	if (!bpf_map_lookup_elem(inst.maps.instance_info, &zero, &info))
		d->version = info.version;
	ef_instance_close(&inst);
	d->adopted = true;
	ef_log_info("adopting instance '%s' left by a previous run: ruleset version %llu, %zu of %zu attachments still in place (kept as they are)",
		    d->instance, (unsigned long long)d->version, working, n);
}

static int write_pid_file(const char *path)
{
	char buf[32];
	int fd, len, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)len) != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static int start(struct efd *d, const char *config_path)
{
	struct ef_diag diag = { 0 };
	char path[PATH_MAX];
	struct stat st;
	int ret, status = EFD_INPUT;

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

	status = EFD_SYSTEM;
	ret = ef_bpffs_ensure();
	if (ret) {
		ef_log_err("cannot mount bpffs at %s: %s", EF_BPFFS_ROOT, strerror(-ret));
		return status;
	}
	ret = setup_events(d);
	if (ret) {
		ef_log_err("cannot set up the event loop: %s", strerror(-ret));
		return status;
	}
	/* Subscribe before listing, so no change falls between the two. */
	ret = efd_linkmon_open(&d->linkmon);
	if (ret) {
		ef_log_err("cannot subscribe to link notifications: %s", strerror(-ret));
		return status;
	}
	if (watch(d, efd_linkmon_fd(d->linkmon), EV_LINKS))
		return status;

	snprintf(path, sizeof(path), "%s/%s", EF_PIN_ROOT, d->instance);
	if (!stat(path, &st))
		report_adoption(d);
	diag = (struct ef_diag){ 0 };
	status = efd_reconcile(d, &d->rs, true, &diag);
	print_diag(&diag);
	ef_diag_free(&diag);
	if (status != EFD_OK) {
		ef_log_err("cannot load %s into instance '%s'%s", d->config_path,
			   d->instance, d->adopted ? ": the rules in force stay" : "");
		return status;
	}
	status = EFD_SYSTEM;
	ret = open_droplog(d, d->conf.drop_log[0] ? d->conf.drop_log : "-");
	if (ret || watch(d, efd_droplog_fd(d->droplog), EV_DROPLOG)) {
		ef_log_err("cannot open the drop log: %s", strerror(-ret));
		return status;
	}
	ret = efd_control_open(d->socket_path, &d->control);
	if (ret || watch(d, efd_control_fd(d->control), EV_CONTROL))
		return status;
	apply_control_group(d, "");
	if (strcmp(d->conf.metrics, "off")) {
		ret = efd_metrics_start(d->conf.metrics[0] ? d->conf.metrics :
				EF_METRICS_DEFAULT, d, &d->metrics);
		if (ret || watch(d, efd_metrics_fd(d->metrics), EV_METRICS))
			return status;
	}
	if (d->pid_file && (ret = write_pid_file(d->pid_file))) {
		ef_log_err("cannot write the pid file %s: %s", d->pid_file, strerror(-ret));
		return status;
	}
	arm_timer(d, RECHECK_MS);
	return EFD_OK;
}

static void stop(struct efd *d, bool started)
{
	struct edgefw_attach_key key, next;
	struct edgefw_attach_val val;
	struct ef_instance inst;

	if (d->droplog) {
		efd_droplog_consume(d->droplog);
		efd_droplog_close(d->droplog);
	}
	efd_metrics_stop(d->metrics);
	efd_control_close(d->control);
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
	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	ef_ruleset_free(&d->rs);
	free(d->targets);
	free(d->applied_fp);
	free(d->config_path);
}

int efd_run(const char *config_path, const char *pid_file, int ready_fd)
{
	struct efd d = { .ready_fd = ready_fd, .pid_file = pid_file,
			 .epoll_fd = -1, .signal_fd = -1, .timer_fd = -1 };
	bool ran = false;
	int status;
	char ok = 0;

	d.started = time(NULL);
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
