// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefwd's optional parts: the control socket, the drop log and the
 * metrics server. None of them may stop enforcement: a part that cannot
 * open (an address not configured yet at boot, a full disk, a socket path
 * in use) is logged, shown in the metrics and `status`, and retried with
 * a backoff of 1, 2, 4 ... 60 seconds while the rules stay in force.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "droplog.h"
#include "log.h"
#include "metrics.h"

#define BACKOFF_FIRST_S 1
#define BACKOFF_MAX_S 60

int efd_watch(struct efd *d, int fd, unsigned tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static const char *droplog_output(const struct efd *d)
{
	return d->conf.drop_log[0] ? d->conf.drop_log : "-";
}

static const char *metrics_address(const struct efd *d)
{
	return d->conf.metrics[0] ? d->conf.metrics : EF_METRICS_DEFAULT;
}

/* daemon.control-group, resolved on the host the daemon runs on (the
 * config may be checked elsewhere). Not fatal: without it the socket
 * stays root only. Applied when the socket opens and when a reload
 * changes the setting. */
static void apply_control_group(struct efd *d)
{
	const char *name = d->conf.control_group;
	struct group gr, *found = NULL;
	char buf[4096];
	int ret;

	if (!d->control || !strcmp(name, efd_control_group(d->control)))
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

static int open_control(struct efd *d)
{
	int ret = efd_control_open(d->socket_path, &d->control);

	if (!ret && (ret = efd_watch(d, efd_control_fd(d->control), EFD_EV_CONTROL))) {
		efd_control_close(d->control);
		d->control = NULL;
	}
	return ret;
}

static int open_droplog(struct efd *d)
{
	struct ef_instance inst;
	int ret;

	ret = ef_instance_open(d->instance, EF_OPEN_SHARED, &inst);
	if (ret)
		return ret;
	ret = efd_droplog_open(&inst, droplog_output(d), &d->droplog);
	if (!ret)
		ret = efd_droplog_set_rate(&inst, d->conf.log_rate);
	if (!ret)
		ret = efd_watch(d, efd_droplog_fd(d->droplog), EFD_EV_DROPLOG);
	if (ret && d->droplog) {
		efd_droplog_close(d->droplog);
		d->droplog = NULL;
	}
	ef_instance_close(&inst);
	return ret;
}

static int open_metrics(struct efd *d)
{
	int ret = efd_metrics_start(metrics_address(d), d, &d->metrics);

	if (!ret && (ret = efd_watch(d, efd_metrics_fd(d->metrics), EFD_EV_METRICS))) {
		efd_metrics_stop(d->metrics);
		d->metrics = NULL;
	}
	return ret;
}

static void close_part(struct efd *d, enum efd_part p)
{
	switch (p) {
	case EFD_PART_CONTROL:
		efd_control_close(d->control);
		d->control = NULL;
		break;
	case EFD_PART_DROPLOG:
		if (d->droplog) {
			efd_droplog_consume(d->droplog);
			efd_droplog_close(d->droplog);
		}
		d->droplog = NULL;
		break;
	case EFD_PART_METRICS:
		efd_metrics_stop(d->metrics);
		d->metrics = NULL;
		break;
	default:
		break;
	}
	d->parts[p].up = false;
}

/* One attempt; on failure the next one waits twice as long as the last. */
static void try_part(struct efd *d, enum efd_part p)
{
	struct efd_part_state *s = &d->parts[p];
	int ret;

	switch (p) {
	case EFD_PART_CONTROL:
		ret = open_control(d);
		break;
	case EFD_PART_DROPLOG:
		ret = open_droplog(d);
		break;
	default:
		ret = open_metrics(d);
		break;
	}
	if (!ret) {
		if (p == EFD_PART_CONTROL)
			apply_control_group(d);
		if (s->failures)
			ef_log_info("%s: working again after %llu failed attempts",
				    efd_part_name(p), (unsigned long long)s->failures);
		s->up = true;
		s->error = 0;
		s->backoff_s = 0;
		return;
	}
	s->up = false;
	s->error = ret;
	s->failures++;
	s->backoff_s = s->backoff_s ? s->backoff_s * 2 : BACKOFF_FIRST_S;
	if (s->backoff_s > BACKOFF_MAX_S)
		s->backoff_s = BACKOFF_MAX_S;
	s->retry_at = now_s() + (time_t)s->backoff_s;
	ef_log_warn("%s is not available (%s): the rules stay enforced; trying again in %u s",
		    efd_part_name(p), strerror(-ret), s->backoff_s);
}

void efd_parts_apply(struct efd *d)
{
	d->parts[EFD_PART_CONTROL].wanted = true;
	d->parts[EFD_PART_DROPLOG].wanted = true;
	d->parts[EFD_PART_METRICS].wanted = strcmp(d->conf.metrics, "off") != 0;
	for (int p = 0; p < EFD_PART_COUNT; p++) {
		struct efd_part_state *s = &d->parts[p];

		if (!s->wanted && s->up)
			close_part(d, (enum efd_part)p);
		if (!s->wanted) {
			s->error = 0;
			s->backoff_s = 0;
			continue;
		}
		if (!s->up && !s->backoff_s)
			try_part(d, (enum efd_part)p);
		else if (p == EFD_PART_CONTROL && s->up)
			apply_control_group(d);
	}
}

void efd_parts_retry(struct efd *d)
{
	time_t now = now_s();

	for (int p = 0; p < EFD_PART_COUNT; p++) {
		struct efd_part_state *s = &d->parts[p];

		if (s->wanted && !s->up && s->backoff_s && now >= s->retry_at)
			try_part(d, (enum efd_part)p);
	}
}

void efd_droplog_switch(struct efd *d, const char *old_out)
{
	struct efd_part_state *s = &d->parts[EFD_PART_DROPLOG];

	if (s->up && !strcmp(droplog_output(d), old_out)) {
		int ret = efd_droplog_reopen(d->droplog);

		if (ret)
			ef_log_err("drop log: cannot reopen %s: %s", old_out, strerror(-ret));
		return;
	}
	close_part(d, EFD_PART_DROPLOG);
	s->backoff_s = 0;
	try_part(d, EFD_PART_DROPLOG);
}

void efd_droplog_reopen_signal(struct efd *d)
{
	const char *out = droplog_output(d);

	if (!d->parts[EFD_PART_DROPLOG].wanted)
		return;
	ef_log_info("SIGUSR1: reopening the drop log %s", out);
	efd_droplog_switch(d, out);
}

void efd_parts_close(struct efd *d)
{
	for (int p = 0; p < EFD_PART_COUNT; p++)
		close_part(d, (enum efd_part)p);
}
