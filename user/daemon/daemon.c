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
#include "daemon_sets.h"
#include "crowdsec.h"
#include "droplog.h"
#include "iface_slots.h"
#include "link_events.h"
#include "links.h"
#include "log.h"
#include "metrics.h"
#include "owner.h"
#include "recover.h"

/* Link notifications are acted on one by one as they are read
 * (link_events.c): a new interface is attached without a pass. What they
 * cannot settle alone takes a full pass, acted on at once when the last
 * pass is long enough ago; what follows sooner is gathered into the next
 * pass, which waits twice as long as the last pass took (between
 * LINK_SETTLE_MIN_MS and LINK_SETTLE_MS), so passes over many interfaces
 * take at most about a third of the daemon's time. */
#define LINK_SETTLE_MIN_MS 5
#define LINK_SETTLE_MS 100
/* The loop ticks every second: retries of optional parts and the check
 * that nobody else switched the ruleset in force. */
#define TICK_MS 1000
/* A pass over the attachments even without notifications, to put back a
 * program someone removed by hand, every this many ticks. */
#define RECHECK_TICKS 5

static int arm(int fd, unsigned ms, bool periodic)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 },
	};

	if (periodic)
		its.it_interval = its.it_value;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void resync(struct efd *d, bool report)
{
	struct ef_diag diag = { 0 };
	long long start = mono_ms();

	/* An etcd source that gave no rules yet: what is in force (adopted
	 * pins, or nothing) stays as it is. */
	if (d->fleet_hold)
		return;

	if (efd_reconcile(d, &d->rs, false, &diag) != EF_EXIT_OK)
		ef_log_err("could not bring the attachments in line with %s; retrying in %d s",
			   d->config_path, RECHECK_TICKS * TICK_MS / 1000);
	if (report || diag.n)
		efd_print_diag(&diag);
	ef_diag_free(&diag);
	d->last_pass_end_ms = mono_ms();
	d->last_pass_cost_ms = d->last_pass_end_ms - start;
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

	if (d->fleet_hold)
		return;
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
	ef_log_warn(
		"the ruleset in force in instance '%s' changed without edgefwd (version %llu -> %llu, hash %016llx): putting %s back in force",
		d->instance, (unsigned long long)d->version, (unsigned long long)st.version,
		(unsigned long long)st.ruleset_hash, d->config_path);
	if (efd_reconcile(d, &d->rs, true, &diag) != EF_EXIT_OK)
		ef_log_err("cannot restore %s; trying again in %d s", d->config_path,
			   TICK_MS / 1000);
	efd_print_diag(&diag);
	ef_diag_free(&diag);
}

static void on_tick(struct efd *d)
{
	uint64_t expirations;

	if (read(d->tick_fd, &expirations, sizeof(expirations)) < 0)
		return;
	efd_parts_retry(d);
	efd_confirm_tick(d); /* lockout safety: roll back an unconfirmed change */
	check_foreign_change(d);
	efd_sets_tick(d); /* issue 16 */
	efd_crowdsec_tick(d);
	efd_fleet_tick(d);
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
	struct efd_link_events ev = { 0 };
	long long since, gap;
	bool pass;
	int ret = efd_linkmon_drain(d->linkmon, &ev);

	if (ret == -ENOBUFS) {
		ef_log_warn(
			"link notifications were lost (netlink overrun): resyncing every interface");
		ev.unread = true;
	} else if (ret) {
		ef_log_err("reading link notifications: %s", strerror(-ret));
		ev.unread = true;
	}
	/* Each new interface attached as its notification is read; a full
	 * pass only for what the notifications alone cannot settle. */
	pass = ev.unread || (ev.n && efd_links_apply_events(d, &ev));
	efd_link_events_free(&ev);
	if (!pass || d->resync_pending)
		return;
	since = mono_ms() - d->last_pass_end_ms;
	gap = 2 * d->last_pass_cost_ms;
	gap = gap < LINK_SETTLE_MIN_MS ? LINK_SETTLE_MIN_MS
	      : gap > LINK_SETTLE_MS   ? LINK_SETTLE_MS
				       : gap;
	if (since >= gap) {
		resync(d, true);
		return;
	}
	ret = arm(d->settle_fd, (unsigned)(gap - since), false);
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
			efd_reload_and_log(d, "SIGHUP");
			break;
		case SIGUSR1: /* logrotate: the drop log only, not the rules */
			efd_droplog_reopen_signal(d);
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
			efd_control_serve(d->control, efd_on_control, d);
		break;
	case EFD_EV_FLEET:
		efd_on_fleet(d);
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
			return EF_EXIT_SYSTEM;
		}
		for (int i = 0; i < n; i++)
			if (dispatch(d, ev[i].data.u32))
				return EF_EXIT_OK;
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
	sigaddset(&mask, SIGUSR1);
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
	ef_log_info(
		"adopting instance '%s' left by a previous run: ruleset version %llu, %zu of %zu attachments still in place (kept as they are)",
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
		ef_log_err(
			"instance '%s' is already owned by edgefwd pid %d (config %s, control socket %s): nothing was changed. Stop that daemon first, or give this config its own daemon.instance",
			d->instance, (int)holder.pid, holder.config[0] ? holder.config : "?",
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
		return EF_EXIT_INPUT;
	}
	d->config_path = strdup(path);
	if (!d->config_path)
		return EF_EXIT_SYSTEM;
	ret = ef_ruleset_load(d->config_path, &d->rs, &diag);
	efd_print_diag(&diag);
	ef_diag_free(&diag);
	if (ret) {
		ef_log_err("%s has errors: nothing was loaded or attached", d->config_path);
		return EF_EXIT_INPUT;
	}
	d->conf = d->rs.daemon;
	snprintf(d->instance, sizeof(d->instance), "%s",
		 d->conf.instance[0] ? d->conf.instance : EF_INSTANCE_DEFAULT);
	efd_socket_path_of(&d->conf, d->instance, d->socket_path, sizeof(d->socket_path));
	if (!d->rs.n_attach)
		ef_log_warn("%s has no 'interfaces' section: edgefwd attaches nowhere",
			    d->config_path);
	return EF_EXIT_OK;
}

static int start(struct efd *d, const char *config_path)
{
	struct ef_diag diag = { 0 };
	char path[PATH_MAX];
	struct stat st;
	int ret, status;

	status = load_config(d, config_path);
	if (status != EF_EXIT_OK)
		return status;
	if (take_ownership(d) || ef_bpffs_ensure())
		return EF_EXIT_SYSTEM;
	ret = setup_events(d);
	if (ret) {
		ef_log_err("cannot set up the event loop: %s", strerror(-ret));
		return EF_EXIT_SYSTEM;
	}
	/* Subscribe before listing, so no change falls between the two. */
	ret = efd_linkmon_open(&d->linkmon);
	if (!ret)
		ret = efd_watch(d, efd_linkmon_fd(d->linkmon), EFD_EV_LINKS);
	if (ret) {
		ef_log_err("cannot subscribe to link notifications: %s", strerror(-ret));
		return EF_EXIT_SYSTEM;
	}

	snprintf(path, sizeof(path), "%s/%s", EF_PIN_ROOT, d->instance);
	if (!stat(path, &st))
		report_adoption(d);
	efd_fleet_begin(d); /* issue 18: the rules may come from etcd */
	status = d->fleet_hold ? EF_EXIT_OK : efd_reconcile(d, &d->rs, true, &diag);
	efd_print_diag(&diag);
	ef_diag_free(&diag);
	if (status != EF_EXIT_OK) {
		ef_log_err("cannot load %s into instance '%s'%s", d->config_path, d->instance,
			   d->adopted ? ": the rules in force stay" : "");
		return status;
	}
	/* The rules are in force: from here on nothing optional can stop
	 * the daemon. A confirmation window a previous edgefwd left open
	 * goes on. */
	efd_confirm_note_applied(d);
	efd_confirm_restore(d);
	efd_parts_apply(d);
	efd_fleet_launch(d, true); /* a failure is logged; the rules stay */
	if (d->pid_file && (ret = write_pid_file(d->pid_file)))
		ef_log_err("cannot write the pid file %s: %s", d->pid_file, strerror(-ret));
	ret = arm(d->tick_fd, TICK_MS, true);
	if (ret) {
		ef_log_err("cannot arm the daemon's timer: %s", strerror(-ret));
		return EF_EXIT_SYSTEM;
	}
	return EF_EXIT_OK;
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

	efd_fleet_end(d);
	efd_parts_close(d);
	efd_linkmon_close(d->linkmon);
	if (started && ef_instance_open(d->instance, 0, &inst) == 0) {
		if (d->conf.on_exit == EF_ON_EXIT_DETACH) {
			while (!bpf_map_get_next_key(inst.maps.attachments, NULL, &next)) {
				key = next;
				if (bpf_map_lookup_elem(inst.maps.attachments, &key, &val) ||
				    ef_hook_detach(&inst, (int)key.ifindex, val.ifname, key.hook))
					ef_attachment_forget(&inst, &key);
			}
			if (!ef_instance_destroy(&inst))
				ef_log_info(
					"on-exit detach: detached everywhere and removed instance '%s'",
					d->instance);
			/* Nothing left to roll back. */
			efd_confirm_drop_record(d);
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
	efd_confirm_free(d);
	free(d->targets);
	free(d->applied_fp);
	free(d->config_path);
}

int efd_run(const char *config_path, const char *pid_file, int ready_fd)
{
	struct efd d = { .ready_fd = ready_fd,
			 .pid_file = pid_file,
			 .owner_fd = -1,
			 .epoll_fd = -1,
			 .signal_fd = -1,
			 .settle_fd = -1,
			 .tick_fd = -1 };
	bool ran = false;
	int status, ret;
	char ok = 0;

	d.started = time(NULL);
	ret = block_signals(&d);
	if (ret) {
		ef_log_err("cannot take over SIGHUP, SIGTERM and SIGINT: %s", strerror(-ret));
		return EF_EXIT_SYSTEM;
	}
	status = start(&d, config_path);
	if (status == EF_EXIT_OK) {
		ran = true;
		ef_log_info("ready: instance '%s', control socket %s%s%s", d.instance,
			    d.socket_path, d.metrics ? ", metrics on " : "",
			    d.metrics ? (d.conf.metrics[0] ? d.conf.metrics : EF_METRICS_DEFAULT)
				      : "");
		efd_notify_status(&d, "READY=1");
		if (ready_fd >= 0) {
			if (write(ready_fd, &ok, 1) != 1)
				ef_log_warn(
					"cannot tell the starting process that edgefwd is ready");
			close(ready_fd);
		}
		status = loop(&d);
		sd_notify(0, "STOPPING=1");
	}
	stop(&d, ran);
	return status;
}
