// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Chunk collection guarded against concurrent publishes (publish_gc.h). */
#include "publish_gc.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"

/* etcd refuses a transaction of more than 128 operations by default
 * (--max-txn-ops): the deletions go in batches below that, with the put
 * of manifest.prev in the first one. */
#define GC_BATCH 100
#define GC_KEY_MAX 512

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ef_publish_mark(struct ef_etcd *c, const char *gdir, int64_t ttl_s, struct ef_publish_marker *m)
{
	char key[GC_KEY_MAX];
	int ret;

	*m = (struct ef_publish_marker){ .ttl_s = ttl_s, .renewed_ms = mono_ms() };
	ret = ef_etcd_lease_grant(c, ttl_s, &m->lease);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "%spublishing/%llx", gdir, (unsigned long long)m->lease);
	ret = ef_etcd_put(c, key, "", 0, m->lease, NULL);
	if (ret) {
		ef_etcd_lease_revoke(c, m->lease);
		m->lease = 0;
	}
	return ret;
}

int ef_publish_mark_renew(struct ef_etcd *c, struct ef_publish_marker *m, bool force)
{
	int64_t now = mono_ms(), ttl = 0;
	int ret;

	if (!m->lease)
		return -ETIME;
	if (!force && now - m->renewed_ms < m->ttl_s * 1000 / 3)
		return 0;
	ret = ef_etcd_lease_keepalive(c, m->lease, &ttl);
	if (ret == -ENOENT || (!ret && !ttl)) {
		snprintf(
			c->err, sizeof(c->err),
			"the publish marker's lease (%lld s) expired before it was renewed: a chunk collection may have run",
			(long long)m->ttl_s);
		m->lease = 0;
		return -ETIME;
	}
	if (!ret)
		m->renewed_ms = now;
	return ret;
}

int ef_publish_unmark(struct ef_etcd *c, struct ef_publish_marker *m)
{
	int64_t lease = m->lease;

	m->lease = 0;
	return lease ? ef_etcd_lease_revoke(c, lease) : 0;
}

/* Chunk names a manifest text refers to, added to keep (a JSON object
 * used as a set). */
static void keep_chunks_of(const char *text, struct json_object *keep)
{
	struct ef_manifest m;
	char err[256];

	if (!text || ef_manifest_parse(text, strlen(text), &m, err, sizeof(err)))
		return;
	for (size_t i = 0; i < m.n_files; i++)
		for (size_t k = 0; k < m.files[i].n_chunks; k++)
			json_object_object_add(keep, m.files[i].chunks[k], NULL);
	ef_manifest_free(&m);
}

static struct json_object *str_rev(int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return json_object_new_string(buf);
}

/* The guard: the manifest still at manifest_rev and (idle) nothing under
 * publishing/ (an empty range compares as a key never created). */
static int add_guard(struct json_object *req, const char *gdir, int64_t manifest_rev, bool idle)
{
	struct json_object *cmp = json_object_new_array();
	struct json_object *man = json_object_new_object(), *pub = json_object_new_object();
	char key[GC_KEY_MAX];
	int ret = cmp && man && pub ? 0 : -ENOMEM;

	snprintf(key, sizeof(key), "%smanifest", gdir);
	if (!ret)
		ret = ef_etcd_add_b64(man, "key", key, strlen(key));
	snprintf(key, sizeof(key), "%spublishing/", gdir);
	if (!ret)
		ret = ef_etcd_add_b64(pub, "key", key, strlen(key));
	if (!ret)
		ret = ef_etcd_add_prefix_end(pub, key);
	if (!ret) {
		json_object_object_add(man, "target", json_object_new_string("MOD"));
		json_object_object_add(man, "result", json_object_new_string("EQUAL"));
		json_object_object_add(man, "mod_revision", str_rev(manifest_rev));
		json_object_object_add(pub, "target", json_object_new_string("CREATE"));
		json_object_object_add(pub, "result", json_object_new_string("EQUAL"));
		json_object_object_add(pub, "create_revision", str_rev(0));
		json_object_array_add(cmp, man);
		if (idle)
			json_object_array_add(cmp, pub);
		else
			json_object_put(pub);
		json_object_object_add(req, "compare", cmp);
		return 0;
	}
	json_object_put(man);
	json_object_put(pub);
	json_object_put(cmp);
	return ret;
}

/* One operation of a transaction's success list: request_put (val) or
 * request_delete_range (val NULL). */
static int add_op(struct json_object *ops, const char *key, const char *val)
{
	struct json_object *op = json_object_new_object(), *r = json_object_new_object();
	int ret = op && r ? ef_etcd_add_b64(r, "key", key, strlen(key)) : -ENOMEM;

	if (!ret && val)
		ret = ef_etcd_add_b64(r, "value", val, strlen(val));
	if (ret) {
		json_object_put(op);
		json_object_put(r);
		return ret;
	}
	json_object_object_add(op, val ? "request_put" : "request_delete_range", r);
	json_object_array_add(ops, op);
	return 0;
}

/* keys[0..n) deleted (and manifest.prev put when prev), if the guard
 * (idle: with no publish in flight) holds; *held says whether it did. */
static int guarded_batch(struct ef_etcd *c, const char *gdir, int64_t manifest_rev, bool idle,
			 const char *prev, char *const *keys, size_t n, bool *held)
{
	struct json_object *req = json_object_new_object(), *ops = json_object_new_array();
	struct json_object *resp = NULL, *v;
	char key[GC_KEY_MAX];
	int ret = req && ops ? add_guard(req, gdir, manifest_rev, idle) : -ENOMEM;

	snprintf(key, sizeof(key), "%smanifest.prev", gdir);
	if (!ret && prev)
		ret = add_op(ops, key, prev);
	for (size_t i = 0; i < n && !ret; i++)
		ret = add_op(ops, keys[i], NULL);
	if (!ret) {
		json_object_object_add(req, "success", ops);
		ops = NULL;
		ret = ef_etcd_call(c, "txn: unused chunks deleted if no publish runs", "/v3/kv/txn",
				   req, 0, NULL, NULL, &resp);
	}
	if (!ret)
		*held = json_object_object_get_ex(resp, "succeeded", &v) &&
			json_object_get_boolean(v);
	json_object_put(ops);
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

/* Every chunk key that none of the kept manifests names. */
static int doomed_chunks(struct ef_etcd *c, const char *gdir, struct json_object *keep,
			 struct ef_etcd_range *chunks, char ***out, size_t *n)
{
	char dir[GC_KEY_MAX];
	size_t dlen;
	int ret;

	snprintf(dir, sizeof(dir), "%schunks/", gdir);
	dlen = strlen(dir);
	ret = ef_etcd_range(c, dir, true, true, chunks);
	if (!ret && !(*out = calloc(chunks->n ? chunks->n : 1, sizeof(**out))))
		ret = -ENOMEM;
	for (size_t i = 0; !ret && i < chunks->n; i++)
		if (!json_object_object_get_ex(keep, chunks->kvs[i].key + dlen, NULL))
			(*out)[(*n)++] = chunks->kvs[i].key;
	return ret;
}

int ef_publish_collect(struct ef_etcd *c, const char *gdir, int64_t manifest_rev,
		       const char *new_text, const char *old_text, struct ef_publish_gc *out)
{
	struct json_object *keep = json_object_new_object();
	struct ef_etcd_range prev = { 0 }, chunks = { 0 };
	char key[GC_KEY_MAX], **doomed = NULL;
	size_t n = 0;
	bool held = true;
	int ret = keep ? 0 : -ENOMEM;

	memset(out, 0, sizeof(*out));
	snprintf(key, sizeof(key), "%smanifest.prev", gdir);
	if (!ret)
		ret = ef_etcd_range(c, key, false, false, &prev);
	if (!ret) {
		keep_chunks_of(new_text, keep);
		keep_chunks_of(old_text, keep);
		keep_chunks_of(prev.n ? (const char *)prev.kvs[0].value : NULL, keep);
		ret = doomed_chunks(c, gdir, keep, &chunks, &doomed, &n);
	}
	for (size_t i = 0; !ret && held && (i < n || (!i && old_text)); i += GC_BATCH) {
		size_t k = n - i < GC_BATCH ? n - i : GC_BATCH;

		ret = guarded_batch(c, gdir, manifest_rev, true, i ? NULL : old_text, doomed + i, k,
				    &held);
		if (!ret && held)
			out->deleted += k;
		/* manifest.prev does not wait for the publish in flight. */
		if (!ret && !held && !i && old_text)
			ret = guarded_batch(c, gdir, manifest_rev, false, old_text, NULL, 0,
					    &(bool){ false });
	}
	out->skipped = !held;
	free(doomed);
	ef_etcd_range_free(&prev);
	ef_etcd_range_free(&chunks);
	json_object_put(keep);
	return ret;
}
