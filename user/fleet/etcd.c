// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * etcd v3 over the JSON gateway: the transfer (endpoints, failover, TLS,
 * timeouts, errors) and the key-value and lease calls. The watch, which
 * streams, is in etcd_watch.c.
 */
#include "etcd.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "curl_dl.h"

#define ETCD_TIMEOUT_MS 5000L
#define ETCD_CONNECT_MS 2000L
/* A response larger than this is refused (a chunk is 512 KiB, 683 KiB in
 * base64; a range of a group's hosts stays far below). */
#define ETCD_RESPONSE_MAX (64u << 20)

struct body {
	char *buf;
	size_t len, cap;
	ef_etcd_sink_fn sink;
	void *sink_arg;
	int sink_ret;
	size_t received;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n;
	char *v;

	b->received += len;
	if (b->sink) {
		b->sink_ret = b->sink(b->sink_arg, data, len);
		return b->sink_ret ? 0 : len;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + len + 1)
			cap *= 2;
		if (cap > ETCD_RESPONSE_MAX || !(v = realloc(b->buf, cap))) {
			b->sink_ret = -EFBIG;
			return 0;
		}
		b->buf = v;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct ef_etcd *e = arg;

	(void)a, (void)b, (void)c, (void)d;
	return e->stop && *e->stop;
}

static char *dup_opt(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

int ef_etcd_init(struct ef_etcd *c, const char *const *endpoints, size_t n,
		 const struct ef_etcd_tls *tls)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = ETCD_TIMEOUT_MS;
	if (!n || n > EF_ETCD_MAX_ENDPOINTS) {
		snprintf(c->err, sizeof(c->err), "etcd: %zu endpoints: give 1 to %d", n,
			 EF_ETCD_MAX_ENDPOINTS);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(endpoints[i]);

		if (strncmp(endpoints[i], "http://", 7) && strncmp(endpoints[i], "https://", 8)) {
			snprintf(c->err, sizeof(c->err),
				 "etcd endpoint '%s' is not http://HOST:PORT or https://HOST:PORT",
				 endpoints[i]);
			ef_etcd_free(c);
			return -EINVAL;
		}
		c->endpoints[i] = strndup(endpoints[i], len - (endpoints[i][len - 1] == '/'));
		if (!c->endpoints[i])
			goto oom;
		c->n_endpoints++;
	}
	if (tls && ((tls->ca && tls->ca[0] && !(c->ca = dup_opt(tls->ca))) ||
		    (tls->cert && tls->cert[0] && !(c->cert = dup_opt(tls->cert))) ||
		    (tls->key && tls->key[0] && !(c->key = dup_opt(tls->key)))))
		goto oom;
	/* libcurl last: a wrong endpoint is reported whether it loads or not. */
	if (!ef_curl_api(c->err, sizeof(c->err))) {
		ef_etcd_free(c);
		return -ELIBACC;
	}
	c->curl = ef_curl_api(NULL, 0)->easy_init();
	c->watch_curl = ef_curl_api(NULL, 0)->easy_init();
	if (!c->curl || !c->watch_curl)
		goto oom;
	return 0;
oom:
	ef_etcd_free(c);
	snprintf(c->err, sizeof(c->err), "etcd: out of memory");
	return -ENOMEM;
}

int ef_etcd_init_list(struct ef_etcd *c, const char *list, const struct ef_etcd_tls *tls)
{
	const char *eps[EF_ETCD_MAX_ENDPOINTS];
	char *copy = strdup(list), *save = NULL, *tok;
	size_t n = 0;
	int ret;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == EF_ETCD_MAX_ENDPOINTS) {
			n++;
			break;
		}
		eps[n++] = tok;
	}
	ret = ef_etcd_init(c, eps, n, tls);
	free(copy);
	return ret;
}

void ef_etcd_free(struct ef_etcd *c)
{
	for (size_t i = 0; i < c->n_endpoints; i++)
		free(c->endpoints[i]);
	c->n_endpoints = 0;
	free(c->ca);
	free(c->cert);
	free(c->key);
	c->ca = c->cert = c->key = NULL;
	if (c->curl)
		ef_curl_api(NULL, 0)->easy_cleanup(c->curl);
	if (c->watch_curl)
		ef_curl_api(NULL, 0)->easy_cleanup(c->watch_curl);
	c->curl = c->watch_curl = NULL;
}

const char *ef_etcd_error(const struct ef_etcd *c)
{
	return c->err;
}

const char *ef_etcd_endpoint(const struct ef_etcd *c)
{
	return c->n_endpoints ? c->endpoints[c->current] : "etcd";
}

static void setup(struct ef_etcd *c, CURL *h, const char *url, const char *body, long max_ms,
		  struct body *b, struct curl_slist *hdr)
{
	const struct ef_curl_api *cu = ef_curl_api(NULL, 0);

	cu->easy_reset(h);
	cu->easy_setopt(h, CURLOPT_URL, url);
	cu->easy_setopt(h, CURLOPT_POSTFIELDS, body);
	cu->easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, max_ms);
	cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			max_ms < ETCD_CONNECT_MS ? max_ms : ETCD_CONNECT_MS);
	cu->easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	cu->easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 5L);
	cu->easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
	cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(h, CURLOPT_WRITEDATA, b);
	cu->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	cu->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	cu->easy_setopt(h, CURLOPT_XFERINFODATA, c);
	cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->ca)
		cu->easy_setopt(h, CURLOPT_CAINFO, c->ca);
	if (c->cert)
		cu->easy_setopt(h, CURLOPT_SSLCERT, c->cert);
	if (c->key)
		cu->easy_setopt(h, CURLOPT_SSLKEY, c->key);
}

/* The gateway's error body: {"error":..,"message":..,"code":N} (gRPC
 * codes: 5 not found, 9 failed precondition, 14 unavailable). */
static int http_error(struct ef_etcd *c, const char *what, long status, const struct body *b,
		      bool *next)
{
	struct json_object *o = b->buf ? json_tokener_parse(b->buf) : NULL, *m = NULL;
	int code = (int)ef_etcd_json_int(o, "code");

	json_object_object_get_ex(o, "message", &m);
	snprintf(c->err, sizeof(c->err), "etcd %s: %s: HTTP %ld: %s", c->endpoints[c->current],
		 what, status, m ? json_object_get_string(m) : "no message");
	json_object_put(o);
	*next = status >= 500 || code == 14;
	return code == 5 ? -ENOENT : code == 9 ? -EAGAIN : *next ? -EHOSTUNREACH : -EIO;
}

static int curl_error(struct ef_etcd *c, const char *what, CURLcode res, const struct body *b,
		      bool *next)
{
	*next = false;
	if (res == CURLE_ABORTED_BY_CALLBACK && c->stop && *c->stop) {
		snprintf(c->err, sizeof(c->err), "etcd %s: %s: stopped", c->endpoints[c->current],
			 what);
		return -EINTR;
	}
	if (res == CURLE_WRITE_ERROR && b->sink_ret) {
		/* The reader said why (ef_etcd_watch's messages), unless the
		 * answer was too large for it. */
		if (b->sink_ret == -EFBIG)
			snprintf(c->err, sizeof(c->err), "etcd %s: %s: the answer is too large",
				 c->endpoints[c->current], what);
		return b->sink_ret;
	}
	snprintf(c->err, sizeof(c->err), "etcd %s: %s: %s", c->endpoints[c->current], what,
		 ef_curl_api(NULL, 0)->easy_strerror(res));
	*next = true;
	return res == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
	       : res == CURLE_SSL_CONNECT_ERROR || res == CURLE_PEER_FAILED_VERIFICATION
		       ? -EPROTO
		       : -ECONNREFUSED;
}

/* One endpoint. *next: a failure worth trying the next endpoint for. */
static int call_one(struct ef_etcd *c, const char *what, const char *url, const char *body,
		    long max_ms, struct body *b, bool *next)
{
	const struct ef_curl_api *cu = ef_curl_api(NULL, 0);
	struct curl_slist *hdr = cu->slist_append(NULL, "Content-Type: application/json");
	CURL *h = b->sink ? c->watch_curl : c->curl;
	long status = 0;
	CURLcode res;
	int ret = 0;

	if (!hdr)
		return -ENOMEM;
	setup(c, h, url, body, max_ms, b, hdr);
	res = cu->easy_perform(h);
	cu->slist_free_all(hdr);
	*next = false;
	/* A watch ends at its time bound: not an error once it began. */
	if (res == CURLE_OPERATION_TIMEDOUT && b->sink && b->received)
		return 0;
	if (res != CURLE_OK)
		return curl_error(c, what, res, b, next);
	cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		ret = http_error(c, what, status, b, next);
	return ret;
}

int ef_etcd_call(struct ef_etcd *c, const char *what, const char *path, struct json_object *body,
		 long max_ms, ef_etcd_sink_fn sink, void *sink_arg, struct json_object **resp)
{
	const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	char url[512];
	bool next = true;
	int ret = -EINVAL;

	if (resp)
		*resp = NULL;
	for (size_t i = 0; i < c->n_endpoints && next; i++) {
		struct body b = { .sink = sink, .sink_arg = sink_arg };

		if (i)
			c->current = (c->current + 1) % c->n_endpoints;
		snprintf(url, sizeof(url), "%s%s", c->endpoints[c->current], path);
		ret = call_one(c, what, url, text, max_ms ? max_ms : c->timeout_ms, &b, &next);
		if (!ret && resp) {
			*resp = b.buf ? json_tokener_parse(b.buf) : NULL;
			if (!*resp) {
				snprintf(c->err, sizeof(c->err),
					 "etcd %s: %s: the answer is not JSON",
					 c->endpoints[c->current], what);
				ret = -EPROTO;
			}
		}
		free(b.buf);
	}
	return ret;
}

int64_t ef_etcd_json_int(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, name, &v))
		return 0;
	return json_object_get_int64(v); /* the gateway sends "123" */
}
