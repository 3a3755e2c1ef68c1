// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* etcd v3 key-value and lease calls over the JSON gateway (etcd.c). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "etcd.h"

int ef_etcd_add_b64(struct json_object *o, const char *name, const void *data, size_t len)
{
	char *s = ef_b64_encode(data, len);
	struct json_object *v = s ? json_object_new_string(s) : NULL;

	free(s);
	if (!v)
		return -ENOMEM;
	json_object_object_add(o, name, v);
	return 0;
}

static void add_i64(struct json_object *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	json_object_object_add(o, name, json_object_new_string(buf));
}

/* The end of a prefix range: the prefix with its last byte incremented. */
int ef_etcd_add_prefix_end(struct json_object *o, const char *key)
{
	size_t len = strlen(key);
	char *end = strdup(key);
	int ret;

	if (!end)
		return -ENOMEM;
	while (len && (unsigned char)end[len - 1] == 0xff)
		len--;
	if (!len) {
		free(end);
		return ef_etcd_add_b64(o, "range_end", "", 1); /* "\0": every key */
	}
	end[len - 1]++;
	ret = ef_etcd_add_b64(o, "range_end", end, len);
	free(end);
	return ret;
}

int ef_etcd_kv_from_json(struct json_object *o, struct ef_etcd_kv *kv)
{
	struct json_object *k = NULL, *v = NULL;
	unsigned char *key = NULL;
	size_t len;
	int ret;

	memset(kv, 0, sizeof(*kv));
	json_object_object_get_ex(o, "key", &k);
	json_object_object_get_ex(o, "value", &v);
	ret = ef_b64_decode(k ? json_object_get_string(k) : "", &key, &len);
	if (!ret)
		ret = ef_b64_decode(v ? json_object_get_string(v) : "", &kv->value, &kv->value_len);
	if (ret) {
		free(key);
		return ret;
	}
	kv->key = (char *)key;
	kv->create_revision = ef_etcd_json_int(o, "create_revision");
	kv->mod_revision = ef_etcd_json_int(o, "mod_revision");
	kv->lease = ef_etcd_json_int(o, "lease");
	return 0;
}

void ef_etcd_kv_free(struct ef_etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void ef_etcd_range_free(struct ef_etcd_range *r)
{
	for (size_t i = 0; i < r->n; i++)
		ef_etcd_kv_free(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

static int64_t header_revision(struct json_object *resp)
{
	struct json_object *h = NULL;

	json_object_object_get_ex(resp, "header", &h);
	return ef_etcd_json_int(h, "revision");
}

static int parse_range(struct ef_etcd *c, const char *what, struct json_object *resp,
		       struct ef_etcd_range *out)
{
	struct json_object *kvs = NULL;
	size_t n;
	int ret = 0;

	out->revision = header_revision(resp);
	if (!json_object_object_get_ex(resp, "kvs", &kvs))
		return 0;
	n = json_object_array_length(kvs);
	out->kvs = calloc(n ? n : 1, sizeof(*out->kvs));
	if (!out->kvs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		ret = ef_etcd_kv_from_json(json_object_array_get_idx(kvs, i), &out->kvs[i]);
		if (!ret)
			out->n++;
	}
	if (ret)
		snprintf(c->err, sizeof(c->err), "etcd %s: %s: a key or value is not base64",
			 ef_etcd_endpoint(c), what);
	return ret;
}

int ef_etcd_range(struct ef_etcd *c, const char *key, bool prefix, bool keys_only,
		  struct ef_etcd_range *out)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	char what[300];
	int ret;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "range %s%s", key, prefix ? "*" : "");
	ret = req ? ef_etcd_add_b64(req, "key", key, strlen(key)) : -ENOMEM;
	if (!ret && prefix)
		ret = ef_etcd_add_prefix_end(req, key);
	if (!ret && keys_only)
		json_object_object_add(req, "keys_only", json_object_new_boolean(1));
	if (!ret)
		ret = ef_etcd_call(c, what, "/v3/kv/range", req, 0, NULL, NULL, &resp);
	if (!ret)
		ret = parse_range(c, what, resp, out);
	if (ret)
		ef_etcd_range_free(out);
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

int ef_etcd_put(struct ef_etcd *c, const char *key, const void *val, size_t len, int64_t lease,
		int64_t *revision)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	char what[300];
	int ret;

	snprintf(what, sizeof(what), "put %s", key);
	ret = req ? ef_etcd_add_b64(req, "key", key, strlen(key)) : -ENOMEM;
	if (!ret)
		ret = ef_etcd_add_b64(req, "value", val, len);
	if (!ret && lease)
		add_i64(req, "lease", lease);
	if (!ret)
		ret = ef_etcd_call(c, what, "/v3/kv/put", req, 0, NULL, NULL, &resp);
	if (!ret && revision)
		*revision = header_revision(resp);
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

/* A transaction: if the key's TARGET (MOD or CREATE) revision equals rev,
 * put the value. */
static int put_if(struct ef_etcd *c, const char *key, const void *val, size_t len,
		  const char *target, int64_t rev, bool *written, int64_t *revision)
{
	struct json_object *req = json_object_new_object(), *resp = NULL, *v;
	struct json_object *cmp = json_object_new_object();
	struct json_object *put = json_object_new_object();
	struct json_object *op = json_object_new_object();
	char what[300];
	int ret = req && cmp && put && op ? 0 : -ENOMEM;

	snprintf(what, sizeof(what), "txn put %s if %s revision %lld", key, target, (long long)rev);
	if (!ret)
		ret = ef_etcd_add_b64(cmp, "key", key, strlen(key));
	if (!ret)
		ret = ef_etcd_add_b64(put, "key", key, strlen(key));
	if (!ret)
		ret = ef_etcd_add_b64(put, "value", val, len);
	if (!ret) {
		json_object_object_add(cmp, "target", json_object_new_string(target));
		json_object_object_add(cmp, "result", json_object_new_string("EQUAL"));
		add_i64(cmp, strcmp(target, "MOD") ? "create_revision" : "mod_revision", rev);
		json_object_object_add(op, "request_put", put);
		put = NULL;
		json_object_object_add(req, "compare", json_object_new_array());
		json_object_object_get_ex(req, "compare", &v);
		json_object_array_add(v, cmp);
		cmp = NULL;
		json_object_object_add(req, "success", json_object_new_array());
		json_object_object_get_ex(req, "success", &v);
		json_object_array_add(v, op);
		op = NULL;
		ret = ef_etcd_call(c, what, "/v3/kv/txn", req, 0, NULL, NULL, &resp);
	}
	if (!ret) {
		*written = json_object_object_get_ex(resp, "succeeded", &v) &&
			   json_object_get_boolean(v);
		if (revision)
			*revision = header_revision(resp);
	}
	json_object_put(cmp);
	json_object_put(put);
	json_object_put(op);
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

int ef_etcd_put_absent(struct ef_etcd *c, const char *key, const void *val, size_t len,
		       bool *written)
{
	return put_if(c, key, val, len, "CREATE", 0, written, NULL);
}

int ef_etcd_put_if_mod(struct ef_etcd *c, const char *key, const void *val, size_t len,
		       int64_t mod_revision, bool *written, int64_t *revision)
{
	if (!mod_revision)
		return put_if(c, key, val, len, "CREATE", 0, written, revision);
	return put_if(c, key, val, len, "MOD", mod_revision, written, revision);
}

int ef_etcd_delete(struct ef_etcd *c, const char *key, bool prefix, int64_t *deleted)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	char what[300];
	int ret;

	snprintf(what, sizeof(what), "delete %s%s", key, prefix ? "*" : "");
	ret = req ? ef_etcd_add_b64(req, "key", key, strlen(key)) : -ENOMEM;
	if (!ret && prefix)
		ret = ef_etcd_add_prefix_end(req, key);
	if (!ret)
		ret = ef_etcd_call(c, what, "/v3/kv/deleterange", req, 0, NULL, NULL, &resp);
	if (!ret && deleted)
		*deleted = ef_etcd_json_int(resp, "deleted");
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

int ef_etcd_lease_grant(struct ef_etcd *c, int64_t ttl_s, int64_t *id)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	int ret = req ? 0 : -ENOMEM;

	if (!ret) {
		add_i64(req, "TTL", ttl_s);
		ret = ef_etcd_call(c, "lease grant", "/v3/lease/grant", req, 0, NULL, NULL, &resp);
	}
	if (!ret) {
		*id = ef_etcd_json_int(resp, "ID");
		if (!*id) {
			snprintf(c->err, sizeof(c->err),
				 "etcd %s: lease grant: no lease in the answer",
				 ef_etcd_endpoint(c));
			ret = -EPROTO;
		}
	}
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

/* The keepalive is a stream in gRPC; over the gateway, one request gets
 * one answer: {"result":{"ID":..,"TTL":..}} (no TTL: the lease is gone). */
int ef_etcd_lease_keepalive(struct ef_etcd *c, int64_t id, int64_t *ttl_s)
{
	struct json_object *req = json_object_new_object(), *resp = NULL, *r = NULL;
	int ret = req ? 0 : -ENOMEM;

	if (!ret) {
		add_i64(req, "ID", id);
		ret = ef_etcd_call(c, "lease keepalive", "/v3/lease/keepalive", req, 0, NULL, NULL,
				   &resp);
	}
	if (!ret) {
		json_object_object_get_ex(resp, "result", &r);
		*ttl_s = ef_etcd_json_int(r, "TTL");
	}
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

int ef_etcd_lease_revoke(struct ef_etcd *c, int64_t id)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	int ret = req ? 0 : -ENOMEM;

	if (!ret) {
		add_i64(req, "ID", id);
		ret = ef_etcd_call(c, "lease revoke", "/v3/lease/revoke", req, 0, NULL, NULL,
				   &resp);
	}
	json_object_put(req);
	json_object_put(resp);
	return ret;
}
