// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The etcd source's thread: read the manifest, fetch and verify its bundle,
 * hand it to the event loop, report; then watch for the next one. The
 * watch is bounded (WATCH_MS) so the lease is renewed and the status key
 * rewritten every STATUS_S whatever happens. Any failure to reach etcd:
 * the rules in force stay, and it retries with a backoff of 1 s to 30 s,
 * each wait drawn between half of it and all of it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle_store.h"
#include "fleet_internal.h"
#include "log.h"
#include "version.h"

#define WATCH_MS 10000L
#define STATUS_S 10
#define LEASE_TTL_S 30
#define BACKOFF_MAX_S 30

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void set_error(struct efd_fleet *f, int64_t rev, const char *err)
{
	ef_log_err("etcd source: group %s revision %lld: %s: the rules in force stay",
		   f->conf.group, (long long)rev, err);
	pthread_mutex_lock(&f->mu);
	f->st.apply_errors++;
	f->st.error_revision = rev;
	snprintf(f->st.last_error, sizeof(f->st.last_error), "%s", err);
	pthread_mutex_unlock(&f->mu);
}

static void set_applied(struct efd_fleet *f, int64_t rev, const struct ef_manifest *m)
{
	struct tm tm = { 0 };

	pthread_mutex_lock(&f->mu);
	f->st.applied_revision = rev;
	f->st.applied_at = time(NULL);
	snprintf(f->st.ruleset_hash, sizeof(f->st.ruleset_hash), "%s", m->ruleset_hash);
	f->st.published_at = strptime(m->published, "%Y-%m-%dT%H:%M:%SZ", &tm) ? timegm(&tm) : 0;
	f->st.last_error[0] = '\0';
	f->st.error_revision = 0;
	pthread_mutex_unlock(&f->mu);
}

/* "enforcing": the group's revision is in force; "error": it was refused;
 * "stale": not (yet) in force, or etcd cannot be reached. Under mu. */
static void update_state(struct efd_fleet *f)
{
	struct efd_fleet_status *s = &f->st;

	if (s->connected && s->group_revision && s->applied_revision == s->group_revision)
		s->state = "enforcing";
	else if (s->connected && s->error_revision && s->error_revision == s->group_revision)
		s->state = "error";
	else
		s->state = "stale";
}

static void set_connected(struct efd_fleet *f, bool up, int64_t group_rev)
{
	pthread_mutex_lock(&f->mu);
	f->st.connected = up;
	if (group_rev)
		f->st.group_revision = group_rev;
	update_state(f);
	pthread_mutex_unlock(&f->mu);
}

static int fetch_chunk(void *arg, const char *sha, unsigned char **data, size_t *len, char *err,
		       size_t err_len)
{
	struct efd_fleet *f = arg;
	struct ef_etcd_range r;
	char key[FLEET_KEY_MAX + 80];
	int ret;

	snprintf(key, sizeof(key), "%s%s", f->key_chunks, sha);
	ret = ef_etcd_range(&f->etcd, key, false, false, &r);
	if (ret) {
		snprintf(err, err_len, "%s", ef_etcd_error(&f->etcd));
		return ret;
	}
	if (!r.n) {
		ef_etcd_range_free(&r);
		return -ENOENT;
	}
	*data = r.kvs[0].value;
	*len = r.kvs[0].value_len;
	r.kvs[0].value = NULL;
	ef_etcd_range_free(&r);
	return 0;
}

static bool is_transport(int ret)
{
	return ret == -ECONNREFUSED || ret == -ETIMEDOUT || ret == -EHOSTUNREACH ||
	       ret == -EPROTO || ret == -EINTR || ret == -EIO;
}

/* The bundle goes to the event loop; this thread waits for its answer. */
int efd_fleet_handoff(struct efd_fleet *f, const char *dir, int64_t rev, char *err, size_t len)
{
	const uint64_t one = 1;
	struct timespec until;
	int ret = -EINTR;

	pthread_mutex_lock(&f->mu);
	snprintf(f->pending_dir, sizeof(f->pending_dir), "%s", dir);
	f->pending_rev = rev;
	f->pending = true;
	f->answered = false;
	pthread_mutex_unlock(&f->mu);
	if (write(f->event_fd, &one, sizeof(one)) < 0)
		return -errno;
	pthread_mutex_lock(&f->mu);
	/* The loop answers after its reload; stop is checked each second. */
	while (!f->answered && !f->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&f->cv, &f->mu, &until);
	}
	if (f->answered) {
		ret = f->answer_ok ? 0 : -EINVAL;
		snprintf(err, len, "%s", f->answer_err);
	}
	f->pending = false;
	pthread_mutex_unlock(&f->mu);
	return ret;
}

/* The bundle in force made durable and named current (for a start
 * without etcd): after the status is written, off the path from a publish
 * to the fleet reporting it. */
static void persist_applied(struct efd_fleet *f)
{
	int ret;

	if (!f->persist_rev)
		return;
	ret = ef_bundle_set_current(f->state_dir, f->persist_rev);
	if (ret)
		ef_log_warn(
			"etcd source: %s: cannot point 'current' at revision %lld: %s (a restart without etcd starts from an older bundle)",
			f->state_dir, (long long)f->persist_rev, strerror(-ret));
	f->persist_rev = 0;
}

/* One manifest: verified into the state directory, handed over, recorded.
 * Returns 0, or a transport error (etcd lost: retry the same revision). */
static int apply_manifest(struct efd_fleet *f, const char *text, size_t len, int64_t rev)
{
	char err[EFD_FLEET_ERR_MAX], dir[PATH_MAX];
	struct ef_manifest m;
	int ret;

	if (rev == f->seen_rev)
		return 0;
	ef_log_info("etcd source: group %s: manifest at revision %lld: fetching", f->conf.group,
		    (long long)rev);
	if (ef_manifest_parse(text, len, &m, err, sizeof(err))) {
		f->seen_rev = rev;
		set_error(f, rev, err);
		return 0;
	}
	ret = ef_bundle_store(&m, text, rev, f->state_dir, fetch_chunk, f, dir, sizeof(dir), err,
			      sizeof(err));
	if (ret && is_transport(ret)) {
		ef_manifest_free(&m);
		return ret;
	}
	f->seen_rev = rev;
	if (!ret)
		ret = efd_fleet_handoff(f, dir, rev, err, sizeof(err));
	if (!ret) {
		set_applied(f, rev, &m);
		f->persist_rev = rev; /* after the status: persist_applied */
	} else if (ret != -EINTR) {
		set_error(f, rev, err);
		ret = 0;
	}
	ef_manifest_free(&m);
	return ret;
}

static struct json_object *time_or_null(time_t t)
{
	char buf[32];
	struct tm tm;

	if (!t)
		return NULL;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return json_object_new_string(buf);
}

static char *status_json(struct efd_fleet *f)
{
	struct json_object *o = json_object_new_object(), *pk = json_object_new_object();
	const struct efd_fleet_status *s = &f->st;
	char *text;

	pthread_mutex_lock(&f->mu);
	update_state(f);
	json_object_object_add(o, "host", json_object_new_string(f->host));
	json_object_object_add(o, "instance", json_object_new_string(f->instance));
	json_object_object_add(o, "group", json_object_new_string(f->conf.group));
	json_object_object_add(o, "applied_revision",
			       s->applied_revision ? json_object_new_int64(s->applied_revision)
						   : NULL);
	json_object_object_add(o, "group_revision",
			       s->group_revision ? json_object_new_int64(s->group_revision) : NULL);
	json_object_object_add(o, "ruleset_hash",
			       s->ruleset_hash[0] ? json_object_new_string(s->ruleset_hash) : NULL);
	json_object_object_add(o, "applied_at", time_or_null(s->applied_at));
	json_object_object_add(o, "state", json_object_new_string(s->state));
	json_object_object_add(o, "last_error",
			       s->last_error[0] ? json_object_new_string(s->last_error) : NULL);
	json_object_object_add(o, "error_revision",
			       s->error_revision ? json_object_new_int64(s->error_revision) : NULL);
	json_object_object_add(o, "apply_errors", json_object_new_uint64(s->apply_errors));
	json_object_object_add(o, "etcd_connected", json_object_new_boolean(s->connected));
	json_object_object_add(pk, "passed", json_object_new_uint64(f->passed));
	json_object_object_add(pk, "dropped", json_object_new_uint64(f->dropped));
	json_object_object_add(o, "packets", pk);
	json_object_object_add(o, "edgefw_version", json_object_new_string(ef_version()));
	pthread_mutex_unlock(&f->mu);
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

/* The lease kept alive (granted anew when it expired), unless it was
 * renewed less than STATUS_S ago (at least TTL - STATUS_S left): a status
 * after an apply is then one request. */
static int renew_lease(struct efd_fleet *f)
{
	int64_t ttl = 0;
	int ret;

	if (f->lease && mono_s() - f->last_renew < STATUS_S)
		return 0;
	if (f->lease && (ret = ef_etcd_lease_keepalive(&f->etcd, f->lease, &ttl)) && ret != -ENOENT)
		return ret;
	if (!f->lease || !ttl) {
		f->lease = 0;
		ret = ef_etcd_lease_grant(&f->etcd, LEASE_TTL_S, &f->lease);
		if (ret)
			return ret;
	}
	f->last_renew = mono_s();
	return 0;
}

/* The status key, written with the lease. */
static int write_status(struct efd_fleet *f)
{
	char *text = status_json(f);
	int ret = text ? 0 : -ENOMEM;

	for (int attempt = 0; attempt < 2 && !ret; attempt++) {
		ret = renew_lease(f);
		if (!ret)
			ret = ef_etcd_put(&f->etcd, f->key_status, text, strlen(text), f->lease,
					  NULL);
		if (ret == -ENOENT) /* the lease expired: granted anew */
			f->lease = 0;
		if (ret == -ENOENT && !attempt)
			ret = 0; /* and written again */
		else
			break;
	}
	free(text);
	if (!ret)
		f->last_status = mono_s();
	return ret;
}

/* The manifest as it is now; applied if new. The watch starts after. */
static int sync_manifest(struct efd_fleet *f)
{
	struct ef_etcd_range r;
	int ret = ef_etcd_range(&f->etcd, f->key_manifest, false, false, &r);

	if (ret)
		return ret;
	set_connected(f, true, r.n ? r.kvs[0].mod_revision : 0);
	f->watch_from = r.revision + 1;
	if (!r.n)
		ef_log_warn(
			"etcd source: group %s has no manifest yet (publish one with `edgefw publish FILE --group %s`): the rules in force stay",
			f->conf.group, f->conf.group);
	else
		ret = apply_manifest(f, (const char *)r.kvs[0].value, r.kvs[0].value_len,
				     r.kvs[0].mod_revision);
	ef_etcd_range_free(&r);
	return ret;
}

static int on_manifest_event(void *arg, const struct ef_etcd_kv *kv, bool deleted)
{
	struct efd_fleet *f = arg;

	if (deleted) {
		ef_log_warn(
			"etcd source: group %s: the manifest was deleted at revision %lld: the rules in force stay",
			f->conf.group, (long long)kv->mod_revision);
		f->watch_from = kv->mod_revision + 1;
		return 0;
	}
	free(f->event_value);
	f->event_value = malloc(kv->value_len + 1);
	if (!f->event_value)
		return -ENOMEM;
	memcpy(f->event_value, kv->value, kv->value_len + 1);
	f->event_len = kv->value_len;
	f->event_rev = kv->mod_revision;
	return 1; /* applied outside the transfer, then watched again */
}

/* Watches until an error; each new manifest is applied. */
static int watch_loop(struct efd_fleet *f)
{
	int ret = 0;

	while (!f->stop && !ret) {
		if (mono_s() - f->last_status >= STATUS_S && (ret = write_status(f)))
			break;
		ret = ef_etcd_watch(&f->etcd, f->key_manifest, f->watch_from, WATCH_MS,
				    on_manifest_event, f, NULL);
		if (ret == 1) {
			f->watch_from = f->event_rev + 1;
			set_connected(f, true, f->event_rev);
			ret = apply_manifest(f, (const char *)f->event_value, f->event_len,
					     f->event_rev);
			if (!ret)
				ret = write_status(f);
			persist_applied(f);
		}
	}
	return ret;
}

static void sleep_interruptible(struct efd_fleet *f, unsigned ms)
{
	for (unsigned left = ms; left && !f->stop;) {
		unsigned step = left < 100 ? left : 100;

		usleep(step * 1000);
		left -= step;
	}
}

/* The backoff with "equal jitter": between half of it and all of it, so
 * hosts cut off together (an etcd restart) do not come back in step. */
static unsigned backoff_ms(struct efd_fleet *f)
{
	unsigned half = f->backoff_s * 500;

	return half + (unsigned)rand_r(&f->seed) % (half + 1);
}

void *efd_fleet_thread(void *arg)
{
	struct efd_fleet *f = arg;
	bool was_up = true;
	unsigned wait_ms;
	int ret;

	while (!f->stop) {
		ret = sync_manifest(f);
		if (!ret)
			ret = write_status(f);
		persist_applied(f);
		if (!ret) {
			if (!was_up)
				ef_log_info("etcd source: %s: connected again",
					    ef_etcd_endpoint(&f->etcd));
			was_up = true;
			f->backoff_s = 1;
			ret = watch_loop(f);
		}
		if (f->stop)
			break;
		if (ret == -ECANCELED) { /* compaction: read again at once */
			ef_log_warn("%s; reading the manifest again", ef_etcd_error(&f->etcd));
			continue;
		}
		set_connected(f, false, 0);
		was_up = false;
		wait_ms = backoff_ms(f);
		ef_log_err("%s; retrying in %.1f s", ef_etcd_error(&f->etcd), wait_ms / 1000.0);
		sleep_interruptible(f, wait_ms);
		f->backoff_s = f->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : f->backoff_s * 2;
	}
	return NULL;
}
