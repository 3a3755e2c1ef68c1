/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An etcd v3 client over its JSON gateway (etcd 3.4: /v3/kv/..., /v3/watch,
 * /v3/lease/...) with libcurl (loaded when first needed) and json-c. Several endpoints: a connection
 * error (or an endpoint without a leader) moves to the next one. Every
 * call has a timeout. One client belongs to one thread.
 *
 * Calls return 0 or a negative errno; on error ef_etcd_error() says what
 * failed on which endpoint, e.g. "etcd http://10.77.0.1:2379: range
 * /edgefw/v1/groups/g/manifest: Couldn't connect to server".
 */
#ifndef EDGEFW_ETCD_H
#define EDGEFW_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EF_ETCD_MAX_ENDPOINTS 16
#define EF_ETCD_ERR_MAX 512

struct ef_etcd_tls {
	const char *ca, *cert, *key; /* NULL or "": not used */
};

struct ef_etcd {
	char *endpoints[EF_ETCD_MAX_ENDPOINTS];
	size_t n_endpoints;
	size_t current; /* the endpoint that answered last */
	char *ca, *cert, *key;
	long timeout_ms; /* each request (watch: its own bound) */
	void *curl;      /* CURL *, kept for connection reuse */
	/* A watch ends by an abort or its time bound, which closes its
	 * connection: it has a handle of its own so the other calls keep
	 * theirs (no new TLS handshake on the path from an event to its
	 * chunks and the status). */
	void *watch_curl;
	volatile const int *stop; /* non-zero: abort transfers (may be NULL) */
	char err[EF_ETCD_ERR_MAX];
};

struct ef_etcd_kv {
	char *key;
	unsigned char *value; /* NUL-terminated, not counted in value_len */
	size_t value_len;
	int64_t create_revision, mod_revision, lease;
};

struct ef_etcd_range {
	int64_t revision; /* the store's, when read */
	struct ef_etcd_kv *kvs;
	size_t n;
};

/* endpoints: "http://host:port" or "https://..." (a trailing '/' is
 * dropped). tls may be NULL. Loads libcurl on first use (curl_dl.h):
 * -ELIBACC when it cannot, with the reason in ef_etcd_error(). */
int ef_etcd_init(struct ef_etcd *c, const char *const *endpoints, size_t n,
		 const struct ef_etcd_tls *tls);
/* Splits "URL,URL,..." into endpoints for ef_etcd_init. */
int ef_etcd_init_list(struct ef_etcd *c, const char *list, const struct ef_etcd_tls *tls);
void ef_etcd_free(struct ef_etcd *c);
const char *ef_etcd_error(const struct ef_etcd *c);
/* The endpoint in use (for messages). */
const char *ef_etcd_endpoint(const struct ef_etcd *c);

/* key alone, or (prefix) every key starting with it. keys_only leaves
 * values out. */
int ef_etcd_range(struct ef_etcd *c, const char *key, bool prefix, bool keys_only,
		  struct ef_etcd_range *out);
void ef_etcd_range_free(struct ef_etcd_range *r);
void ef_etcd_kv_free(struct ef_etcd_kv *kv);

/* lease 0: none. *revision (may be NULL): the store's after the put. */
int ef_etcd_put(struct ef_etcd *c, const char *key, const void *val, size_t len, int64_t lease,
		int64_t *revision);
/* Writes only when the key does not exist; *written says whether it did. */
int ef_etcd_put_absent(struct ef_etcd *c, const char *key, const void *val, size_t len,
		       bool *written);
/* Writes only when the key's mod_revision is still mod_revision (0: when
 * the key does not exist). *written: whether it did; *revision: the
 * store's revision after the transaction (the key's new mod_revision). */
int ef_etcd_put_if_mod(struct ef_etcd *c, const char *key, const void *val, size_t len,
		       int64_t mod_revision, bool *written, int64_t *revision);
int ef_etcd_delete(struct ef_etcd *c, const char *key, bool prefix, int64_t *deleted);

int ef_etcd_lease_grant(struct ef_etcd *c, int64_t ttl_s, int64_t *id);
/* *ttl_s: what is left after the renewal; 0 when the lease is gone. */
int ef_etcd_lease_keepalive(struct ef_etcd *c, int64_t id, int64_t *ttl_s);
int ef_etcd_lease_revoke(struct ef_etcd *c, int64_t id);

/* A watch of one key from start_revision, for at most max_ms (then it
 * returns 0: watch again from the next revision). Each change calls
 * on_event (deleted: a DELETE); a non-zero return stops the watch and is
 * returned. -ECANCELED: the server cancelled it (*compact_revision set
 * when compaction removed start_revision): read again, then watch. */
typedef int (*ef_etcd_watch_fn)(void *arg, const struct ef_etcd_kv *kv, bool deleted);
int ef_etcd_watch(struct ef_etcd *c, const char *key, int64_t start_revision, long max_ms,
		  ef_etcd_watch_fn on_event, void *arg, int64_t *compact_revision);

/* etcd_watch.c needs the transfer core. */
struct ef_etcd_xfer;
typedef int (*ef_etcd_sink_fn)(void *arg, const char *data, size_t len);
/* POSTs body to endpoint + path, failing over; with sink, the response
 * streams into it, else into *resp (json, freed by the caller).
 * max_ms bounds the whole transfer; 0: c->timeout_ms. */
struct json_object;
int ef_etcd_call(struct ef_etcd *c, const char *what, const char *path, struct json_object *body,
		 long max_ms, ef_etcd_sink_fn sink, void *sink_arg, struct json_object **resp);
/* o's member name: len bytes of data in base64, as the gateway takes keys
 * and values. */
int ef_etcd_add_b64(struct json_object *o, const char *name, const void *data, size_t len);
/* o's "range_end": the end of the range of every key starting with key. */
int ef_etcd_add_prefix_end(struct json_object *o, const char *key);
/* Fills kv from one of the gateway's kv objects. */
int ef_etcd_kv_from_json(struct json_object *o, struct ef_etcd_kv *kv);
int64_t ef_etcd_json_int(struct json_object *o, const char *name);

#endif
