// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * etcd's watch over the JSON gateway: POST /v3/watch with a create request
 * and read the answer as it streams, one JSON object a line:
 *   {"result":{"header":..,"created":true}}
 *   {"result":{"header":..,"events":[{"kv":{..}},{"type":"DELETE",..}]}}
 *   {"result":{..,"canceled":true,"compact_revision":"N"}}  (compacted)
 * Bounded in time (max_ms) so the caller gets its thread back regularly.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "etcd.h"

#define WATCH_LINE_MAX (8u << 20)

struct watch {
	struct ef_etcd *c;
	const char *what;
	ef_etcd_watch_fn on_event;
	void *arg;
	char *line;
	size_t len, cap;
	bool created;
	int64_t compact_revision;
	int result; /* what stopped the stream */
};

static int on_events(struct watch *w, struct json_object *events)
{
	size_t n = json_object_array_length(events);
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		struct json_object *ev = json_object_array_get_idx(events, i);
		struct json_object *kvo = NULL, *type = NULL;
		struct ef_etcd_kv kv;

		json_object_object_get_ex(ev, "kv", &kvo);
		json_object_object_get_ex(ev, "type", &type);
		if (ef_etcd_kv_from_json(kvo, &kv))
			return -EPROTO;
		ret = w->on_event(w->arg, &kv,
				  type && !strcmp(json_object_get_string(type), "DELETE"));
		ef_etcd_kv_free(&kv);
	}
	return ret;
}

static int on_line(struct watch *w, const char *text)
{
	struct json_object *o = json_tokener_parse(text), *r = NULL, *v = NULL;
	int ret = 0;

	if (!o)
		return -EPROTO;
	if (!json_object_object_get_ex(o, "result", &r)) {
		json_object_object_get_ex(o, "error", &v);
		snprintf(w->c->err, sizeof(w->c->err), "etcd %s: %s: %s", ef_etcd_endpoint(w->c),
			 w->what, v ? json_object_to_json_string(v) : "an answer without a result");
		ret = -EIO;
	} else if (json_object_object_get_ex(r, "canceled", &v) && json_object_get_boolean(v)) {
		w->compact_revision = ef_etcd_json_int(r, "compact_revision");
		json_object_object_get_ex(r, "cancel_reason", &v);
		snprintf(w->c->err, sizeof(w->c->err), "etcd %s: %s: cancelled by the server (%s)",
			 ef_etcd_endpoint(w->c), w->what,
			 w->compact_revision ? "revision compacted"
			 : v                 ? json_object_get_string(v)
					     : "no reason given");
		ret = -ECANCELED;
	} else {
		if (json_object_object_get_ex(r, "created", &v))
			w->created = true;
		if (json_object_object_get_ex(r, "events", &v))
			ret = on_events(w, v);
	}
	json_object_put(o);
	return ret;
}

static int sink(void *arg, const char *data, size_t len)
{
	struct watch *w = arg;
	int ret = 0;

	for (size_t i = 0; i < len && !ret; i++) {
		if (data[i] != '\n') {
			if (w->len + 2 > w->cap) {
				size_t cap = w->cap ? w->cap * 2 : 4096;
				char *v = cap <= WATCH_LINE_MAX ? realloc(w->line, cap) : NULL;

				if (!v)
					return w->result = -EFBIG;
				w->line = v;
				w->cap = cap;
			}
			w->line[w->len++] = data[i];
			continue;
		}
		if (!w->len)
			continue;
		w->line[w->len] = '\0';
		w->len = 0;
		ret = on_line(w, w->line);
	}
	if (ret)
		w->result = ret;
	return ret;
}

int ef_etcd_watch(struct ef_etcd *c, const char *key, int64_t start_revision, long max_ms,
		  ef_etcd_watch_fn on_event, void *arg, int64_t *compact_revision)
{
	struct json_object *req = json_object_new_object();
	struct json_object *create = json_object_new_object();
	char what[300], rev[32], *k = ef_b64_encode(key, strlen(key));
	struct watch w = { .c = c, .what = what, .on_event = on_event, .arg = arg };
	int ret = req && create && k ? 0 : -ENOMEM;

	snprintf(what, sizeof(what), "watch %s from revision %lld", key, (long long)start_revision);
	if (compact_revision)
		*compact_revision = 0;
	if (!ret) {
		snprintf(rev, sizeof(rev), "%lld", (long long)start_revision);
		json_object_object_add(create, "key", json_object_new_string(k));
		json_object_object_add(create, "start_revision", json_object_new_string(rev));
		json_object_object_add(req, "create_request", create);
		create = NULL;
		ret = ef_etcd_call(c, what, "/v3/watch", req, max_ms, sink, &w, NULL);
	}
	/* The reader's own verdict wins over the transfer's. */
	if (w.result)
		ret = w.result;
	if (compact_revision)
		*compact_revision = w.compact_revision;
	free(w.line);
	free(k);
	json_object_put(create);
	json_object_put(req);
	return ret;
}
