// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefwd as a CrowdSec bouncer (issue 16): every daemon.crowdsec.interval
 * it asks the local API's decisions stream (GET /v1/decisions/stream, the
 * bouncer's key in X-Api-Key; ?startup=true the first time, for every
 * decision in force) and applies the answer to a dynamic set: a new ban
 * becomes an entry whose timeout is the decision's duration, a deleted one
 * is removed. The entries are in the kernel with their own timeouts, so a
 * local API that restarts or stops changes nothing in force; the stream
 * resumes where the API's record of this bouncer says.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crowdsec.h"
#include "daemon.h"
#include "dynsets.h"
#include "httpget.h"
#include "log.h"

#define CS_TIMEOUT_MS 2000

static struct {
	char listen[EF_LISTEN_MAX], key[EF_CROWDSEC_KEY_MAX];
	bool started, down;
	long long next_ms;
} cs;

static long long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Go's time.Duration text ("3h59m58.5s", "1m0s", "-2.1s"); 0 on a
 * negative or zero duration (already expired), -EINVAL when unreadable. */
int efd_go_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *u;
		double ns;
	} units[] = {
		{ "ns", 1 },     { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		{ "h", 3600e9 }, { "m", 60e9 }, { "s", 1e9 },
	};
	bool neg = *s == '-';
	double total = 0;

	s += neg || *s == '+';
	if (!*s)
		return -EINVAL;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t u;

		if (end == s || v < 0)
			return -EINVAL;
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (!strncmp(end, units[u].u, strlen(units[u].u)))
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		total += v * units[u].ns;
		s = end + strlen(units[u].u);
	}
	*ns = neg || total < 1 ? 0 : total > 3.6e18 ? (uint64_t)3.6e18 : (uint64_t)total;
	return 0;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : "";
}

/* One decision: the prefix it bans, or false when it is not for us. */
static bool ban_prefix(struct json_object *dec, struct ef_prefix *p)
{
	const char *scope = str_of(dec, "scope"), *type = str_of(dec, "type");
	char err[128];

	if (strcasecmp(type, "ban") || (strcasecmp(scope, "ip") && strcasecmp(scope, "range")))
		return false;
	return !ef_prefix_parse(str_of(dec, "value"), p, NULL, err, sizeof(err));
}

static void apply(struct ef_dynset *set, struct json_object *doc, size_t *added, size_t *removed,
		  size_t *failed)
{
	struct json_object *arr;
	struct ef_prefix p;
	uint64_t ns;

	if (json_object_object_get_ex(doc, "deleted", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *dec = json_object_array_get_idx(arr, i);

			if (ban_prefix(dec, &p) && !ef_dynset_del(set, &p))
				(*removed)++;
		}
	}
	if (json_object_object_get_ex(doc, "new", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *dec = json_object_array_get_idx(arr, i);

			if (!ban_prefix(dec, &p) || efd_go_duration(str_of(dec, "duration"), &ns) ||
			    !ns)
				continue;
			if (ef_dynset_add(set, &p, ns))
				(*failed)++;
			else
				(*added)++;
		}
	}
}

static int apply_body(struct efd *d, const char *body)
{
	const struct ef_crowdsec_conf *c = &d->conf.crowdsec;
	struct json_object *doc = json_tokener_parse(body);
	size_t added = 0, removed = 0, failed = 0;
	struct ef_instance inst;
	struct ef_dynset set;
	int ret = -EPROTO;

	if (!doc || !json_object_is_type(doc, json_type_object)) {
		ef_log_warn(
			"crowdsec: the local API's answer is not a JSON object; trying again in %u s",
			c->interval_ms / 1000);
		goto out;
	}
	ret = ef_instance_open(d->instance, EF_OPEN_SHARED, &inst);
	if (ret)
		goto out;
	ret = ef_dynset_open(&inst, c->set, &set);
	if (!ret) {
		apply(&set, doc, &added, &removed, &failed);
		ef_dynset_close(&set);
	}
	ef_instance_close(&inst);
	if (added || removed || failed)
		ef_log_info("crowdsec: %zu bans applied to set '%s', %zu lifted%s", added, c->set,
			    removed, failed ? " (some could not be added: the set is full)" : "");
out:
	json_object_put(doc);
	return ret;
}

static void poll_once(struct efd *d)
{
	const struct ef_crowdsec_conf *c = &d->conf.crowdsec;
	char header[EF_CROWDSEC_KEY_MAX + 16], *body = NULL;
	size_t len = 0;
	int status = 0, ret;

	snprintf(header, sizeof(header), "X-Api-Key: %s", c->key);
	ret = efd_http_get(c->listen,
			   cs.started ? "/v1/decisions/stream"
				      : "/v1/decisions/stream?startup=true",
			   header, CS_TIMEOUT_MS, &status, &body, &len);
	if (ret || status != 200) {
		if (!cs.down)
			ef_log_warn(
				"crowdsec: the local API at %s %s%s%s; the bans in force stay, asking again every %u s",
				c->listen, ret ? "does not answer: " : "refused the request: HTTP ",
				ret ? strerror(-ret) : "",
				ret ? ""
				    : (status == 403
					       ? "403 (is the bouncer key right? cscli bouncers list)"
					       : "error"),
				c->interval_ms / 1000);
		cs.down = true;
		free(body);
		return;
	}
	if (cs.down)
		ef_log_info(
			"crowdsec: the local API at %s answers again; the decisions stream resumes",
			c->listen);
	cs.down = false;
	if (!apply_body(d, body))
		cs.started = true;
	free(body);
}

void efd_crowdsec_tick(struct efd *d)
{
	const struct ef_crowdsec_conf *c = &d->conf.crowdsec;
	long long now = mono_ms();

	if (!c->on) {
		cs.listen[0] = '\0';
		return;
	}
	if (strcmp(cs.listen, c->listen) || strcmp(cs.key, c->key)) {
		/* A new API or key (start, reload): everything in force first. */
		memcpy(cs.listen, c->listen, sizeof(cs.listen));
		memcpy(cs.key, c->key, sizeof(cs.key));
		cs.started = cs.down = false;
		cs.next_ms = now;
		ef_log_info(
			"crowdsec: following the decisions of the local API at %s every %u s into set '%s'",
			c->listen, c->interval_ms / 1000, c->set);
	}
	if (now < cs.next_ms)
		return;
	cs.next_ms = now + c->interval_ms;
	poll_once(d);
}
