// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The etcd source's life and its handoff to the event loop
 * (fleet_source.h); the etcd side is fleet_thread.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "fleet_internal.h"
#include "log.h"

void efd_fleet_state_dir(const struct ef_fleet_conf *c, const char *instance, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->state_dir, instance);
}

static int init_keys(struct efd_fleet *f)
{
	const struct ef_fleet_conf *c = &f->conf;

	if (c->host[0])
		snprintf(f->host, sizeof(f->host), "%s", c->host);
	else if (gethostname(f->host, sizeof(f->host)))
		return -errno;
	f->host[sizeof(f->host) - 1] = '\0';
	snprintf(f->key_manifest, sizeof(f->key_manifest), "%sgroups/%s/manifest", c->prefix,
		 c->group);
	snprintf(f->key_status, sizeof(f->key_status), "%sgroups/%s/hosts/%s", c->prefix, c->group,
		 f->host);
	snprintf(f->key_chunks, sizeof(f->key_chunks), "%sgroups/%s/chunks/", c->prefix, c->group);
	return 0;
}

static int open_client(struct efd_fleet *f)
{
	const struct ef_fleet_conf *c = &f->conf;
	const char *eps[EF_FLEET_ENDPOINTS_MAX];
	struct ef_etcd_tls tls = { .ca = c->ca, .cert = c->cert, .key = c->key };
	int ret;

	for (size_t i = 0; i < c->n_endpoints; i++)
		eps[i] = c->endpoints[i];
	ret = ef_etcd_init(&f->etcd, eps, c->n_endpoints, &tls);
	if (ret)
		ef_log_err("etcd source: %s", ef_etcd_error(&f->etcd));
	f->etcd.stop = &f->stop;
	return ret;
}

int efd_fleet_start(struct efd_fleet **out, const struct ef_fleet_conf *c, const char *instance,
		    int64_t applied_revision, const struct ef_manifest *applied)
{
	struct efd_fleet *f = calloc(1, sizeof(*f));
	struct timespec now;
	int ret;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->conf = *c;
	f->event_fd = -1;
	snprintf(f->instance, sizeof(f->instance), "%s", instance);
	efd_fleet_state_dir(c, instance, f->state_dir, sizeof(f->state_dir));
	f->st.applied_revision = applied_revision;
	if (applied) {
		struct tm tm = { 0 };

		snprintf(f->st.ruleset_hash, sizeof(f->st.ruleset_hash), "%s",
			 applied->ruleset_hash);
		if (strptime(applied->published, "%Y-%m-%dT%H:%M:%SZ", &tm))
			f->st.published_at = timegm(&tm);
	}
	f->st.state = "stale";
	f->backoff_s = 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	f->seed = (unsigned)getpid() ^ (unsigned)now.tv_nsec;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	ret = init_keys(f);
	if (!ret)
		ret = open_client(f);
	if (!ret) {
		f->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (f->event_fd < 0)
			ret = -errno;
	}
	if (!ret) {
		ret = -pthread_create(&f->thread, NULL, efd_fleet_thread, f);
		f->started = !ret;
	}
	if (ret) {
		efd_fleet_stop(f);
		return ret;
	}
	*out = f;
	return 0;
}

int efd_fleet_fd(const struct efd_fleet *f)
{
	return f->event_fd;
}

int efd_fleet_take(struct efd_fleet *f, char *dir, size_t len, int64_t *revision)
{
	uint64_t n;
	int got = 0;

	if (read(f->event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		ef_log_warn("etcd source: reading its event: %s", strerror(errno));
	pthread_mutex_lock(&f->mu);
	if (f->pending) {
		snprintf(dir, len, "%s", f->pending_dir);
		*revision = f->pending_rev;
		f->pending = false;
		got = 1;
	}
	pthread_mutex_unlock(&f->mu);
	return got;
}

void efd_fleet_done(struct efd_fleet *f, int64_t revision, const char *err)
{
	pthread_mutex_lock(&f->mu);
	if (revision == f->pending_rev) {
		f->answered = true;
		f->answer_ok = !err;
		snprintf(f->answer_err, sizeof(f->answer_err), "%s", err ? err : "");
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
}

void efd_fleet_set_packets(struct efd_fleet *f, uint64_t passed, uint64_t dropped)
{
	pthread_mutex_lock(&f->mu);
	f->passed = passed;
	f->dropped = dropped;
	pthread_mutex_unlock(&f->mu);
}

void efd_fleet_snapshot(struct efd_fleet *f, struct efd_fleet_status *st)
{
	pthread_mutex_lock(&f->mu);
	*st = f->st;
	pthread_mutex_unlock(&f->mu);
}

void efd_fleet_stop(struct efd_fleet *f)
{
	if (!f)
		return;
	f->stop = 1;
	if (f->started) {
		pthread_mutex_lock(&f->mu);
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
	}
	/* A clean stop takes the host's status key with it at once. */
	if (f->lease) {
		f->stop = 0;
		f->etcd.timeout_ms = 1000;
		ef_etcd_lease_revoke(&f->etcd, f->lease);
	}
	ef_etcd_free(&f->etcd);
	if (f->event_fd >= 0)
		close(f->event_fd);
	free(f->event_value);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
