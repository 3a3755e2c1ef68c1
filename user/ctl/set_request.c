// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The set-add, set-del and set-flush requests; see set_request.h. */
#include "set_request.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "duration.h"
#include "dynsets.h"
#include "exitcode.h"
#include "log.h"

bool efd_set_command(const char *command)
{
	return !strcmp(command, "set-add") || !strcmp(command, "set-del") ||
	       !strcmp(command, "set-flush");
}

static void result(struct json_object *resp, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(struct json_object *resp, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(resp, "ok", json_object_new_boolean(code == 0));
	json_object_object_add(resp, "exit", json_object_new_int(code));
	json_object_object_add(resp, "message", json_object_new_string(msg));
}

/* Every entry parsed into *out (n of them), or a message and exit 1. */
static int parse_entries(struct json_object *req, struct json_object *resp, struct ef_prefix **out,
			 size_t *n)
{
	struct json_object *arr = NULL;
	char err[128];
	size_t len;

	if (!json_object_object_get_ex(req, "entries", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		result(resp, EF_EXIT_INPUT, "bad request: no \"entries\" array");
		return -EINVAL;
	}
	len = json_object_array_length(arr);
	if (len > EFD_SET_BATCH) {
		result(resp, EF_EXIT_INPUT, "bad request: %zu entries, at most %d per request", len,
		       EFD_SET_BATCH);
		return -E2BIG;
	}
	*out = calloc(len + 1, sizeof(**out));
	if (!*out) {
		result(resp, EF_EXIT_SYSTEM, "out of memory for %zu entries", len);
		return -ENOMEM;
	}
	for (size_t i = 0; i < len; i++) {
		struct json_object *it = json_object_array_get_idx(arr, i);
		const char *s = json_object_is_type(it, json_type_string)
					? json_object_get_string(it)
					: NULL;

		if (!s || ef_prefix_parse(s, &(*out)[i], NULL, err, sizeof(err))) {
			result(resp, EF_EXIT_INPUT,
			       "entry %zu '%.60s' is not an address or prefix: %s; nothing was changed",
			       i + 1, s ? s : "(not a string)",
			       s ? err : "write \"192.0.2.1\" or \"2001:db8::/64\"");
			free(*out);
			*out = NULL;
			return -EINVAL;
		}
	}
	*n = len;
	return 0;
}

static int parse_timeout(struct json_object *req, struct json_object *resp, uint64_t *ns)
{
	struct json_object *t = NULL;
	const char *s;

	*ns = EF_DYNSET_TIMEOUT_DEFAULT;
	if (!json_object_object_get_ex(req, "timeout", &t))
		return 0;
	s = json_object_is_type(t, json_type_string) ? json_object_get_string(t) : "";
	if (ef_parse_duration(s, ns)) {
		result(resp, EF_EXIT_INPUT,
		       "timeout '%.40s' is not a duration: write 30s, 10m, 1h, 7d, or 0 for never",
		       s);
		return -EINVAL;
	}
	return 0;
}

static void do_add(struct ef_dynset *set, const char *name, struct json_object *req,
		   struct json_object *resp)
{
	struct ef_prefix *v = NULL;
	char buf[EF_PREFIX_STRLEN];
	uint64_t timeout;
	size_t n = 0, done = 0;
	int ret = 0;

	if (parse_timeout(req, resp, &timeout) || parse_entries(req, resp, &v, &n))
		return;
	for (; done < n && !ret; done++)
		ret = ef_dynset_add(set, &v[done], timeout);
	json_object_object_add(resp, "done",
			       json_object_new_int64((int64_t)(ret ? done - 1 : done)));
	if (ret) {
		ef_prefix_format(&v[done - 1], buf, sizeof(buf));
		if (ret == -ENOSPC)
			result(resp, EF_EXIT_SYSTEM,
			       "set '%s' is full (%u entries per family): %s and the %zu after it were not added; remove entries or raise the set's size in the rules and reload",
			       name, set->meta.size, buf, n - done);
		else
			result(resp, EF_EXIT_SYSTEM,
			       "cannot add %s to set '%s': %s (%zu of %zu added)", buf, name,
			       strerror(-ret), done - 1, n);
	} else {
		result(resp, EF_EXIT_OK, "set '%s': %zu %s added", name, n,
		       n == 1 ? "entry" : "entries");
	}
	free(v);
}

static void do_del(struct ef_dynset *set, const char *name, struct json_object *req,
		   struct json_object *resp)
{
	struct json_object *missing = json_object_new_array();
	struct ef_prefix *v = NULL;
	char buf[EF_PREFIX_STRLEN];
	size_t n = 0, done = 0;
	int ret = 0;

	if (parse_entries(req, resp, &v, &n)) {
		json_object_put(missing);
		return;
	}
	for (size_t i = 0; i < n && (!ret || ret == -ENOENT); i++) {
		ret = ef_dynset_del(set, &v[i]);
		ef_prefix_format(&v[i], buf, sizeof(buf));
		if (ret == -ENOENT)
			json_object_array_add(missing, json_object_new_string(buf));
		else if (!ret)
			done++;
	}
	json_object_object_add(resp, "done", json_object_new_int64((int64_t)done));
	if (ret && ret != -ENOENT)
		result(resp, EF_EXIT_SYSTEM, "cannot remove %s from set '%s': %s", buf, name,
		       strerror(-ret));
	else if (json_object_array_length(missing))
		result(resp, EF_EXIT_INPUT, "set '%s': %zu removed; %zu not in the set (first: %s)",
		       name, done, json_object_array_length(missing),
		       json_object_get_string(json_object_array_get_idx(missing, 0)));
	else
		result(resp, EF_EXIT_OK, "set '%s': %zu %s removed", name, done,
		       done == 1 ? "entry" : "entries");
	json_object_object_add(resp, "missing", missing);
	free(v);
}

void efd_set_request(struct ef_instance *inst, const char *command, struct json_object *req,
		     struct json_object *resp)
{
	struct json_object *jn = NULL;
	struct ef_dynset set;
	const char *name;
	size_t n = 0;
	int ret;

	if (!json_object_object_get_ex(req, "set", &jn) ||
	    !json_object_is_type(jn, json_type_string)) {
		result(resp, EF_EXIT_INPUT, "bad request: no \"set\" name");
		return;
	}
	name = json_object_get_string(jn);
	ret = ef_dynset_open(inst, name, &set);
	if (ret) {
		result(resp, ret == -ENOENT ? 1 : 2, "instance '%s' has no dynamic set '%.64s'%s",
		       inst->name, name, ret == -ENOENT ? "" : " that can be opened");
		return;
	}
	if (!strcmp(command, "set-add")) {
		do_add(&set, name, req, resp);
	} else if (!strcmp(command, "set-del")) {
		do_del(&set, name, req, resp);
	} else {
		ret = ef_dynset_flush(&set, &n);
		json_object_object_add(resp, "done", json_object_new_int64((int64_t)n));
		if (ret)
			result(resp, EF_EXIT_SYSTEM, "cannot flush set '%s': %s (%zu removed)",
			       name, strerror(-ret), n);
		else
			result(resp, EF_EXIT_OK, "set '%s' flushed: %zu entries removed", name, n);
	}
	ef_dynset_close(&set);
}
