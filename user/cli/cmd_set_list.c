// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw set list [NAME] [--json]: read from the pinned tables (reading
 * needs no daemon, and a large set would not fit a control response). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "duration.h"
#include "dynsets.h"
#include "instance.h"
#include "log.h"

struct list_out {
	struct json_object *arr; /* --json */
	size_t n;
};

static int print_entry(void *arg, const struct ef_prefix *p, uint64_t left)
{
	struct list_out *o = arg;
	char buf[EF_PREFIX_STRLEN], d[32];

	ef_prefix_format(p, buf, sizeof(buf));
	o->n++;
	if (o->arr) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "prefix", json_object_new_string(buf));
		json_object_object_add(e, "expires_in_ms",
				       left ? json_object_new_int64((int64_t)(left / 1000000))
					    : NULL);
		json_object_array_add(o->arr, e);
		return 0;
	}
	/* Whole seconds are what an operator reads. */
	ef_format_duration(left / 1000000000ull * 1000000000ull, d, sizeof(d));
	printf("%s%s%s\n", buf, left ? " expires in " : "",
	       left ? (left < 1000000000ull ? "<1s" : d) : "");
	return 0;
}

static struct json_object *set_summary(struct ef_dynset *s, size_t live, size_t expired)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(s->meta.name));
	json_object_object_add(o, "entries", json_object_new_uint64(live));
	json_object_object_add(o, "expired", json_object_new_uint64(expired));
	json_object_object_add(o, "size", json_object_new_uint64(s->meta.size));
	json_object_object_add(o, "timeout_ms",
			       json_object_new_uint64(s->meta.timeout_ns / 1000000));
	return o;
}

static int list_one(struct ef_instance *inst, const char *name, bool json)
{
	struct list_out o = { .arr = json ? json_object_new_array() : NULL };
	struct json_object *doc;
	struct ef_dynset s;
	size_t live = 0, expired = 0;
	int ret = ef_dynset_open(inst, name, &s);

	if (ret) {
		json_object_put(o.arr);
		return ret == -ENOENT ? EF_EXIT_INPUT : EF_EXIT_SYSTEM;
	}
	ret = ef_dynset_walk(&s, print_entry, &o);
	if (!ret && json) {
		ret = ef_dynset_count(&s, &live, &expired);
		doc = set_summary(&s, live, expired);
		json_object_object_add(doc, "list", o.arr);
		o.arr = NULL;
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
		json_object_put(doc);
	}
	if (ret)
		ef_log_err("cannot read set '%s': %s", name, strerror(-ret));
	json_object_put(o.arr);
	ef_dynset_close(&s);
	return ret ? EF_EXIT_SYSTEM : EF_EXIT_OK;
}

static int list_all(struct ef_instance *inst, bool json)
{
	char names[EDGEFW_MAX_DYNSETS][EDGEFW_DYNSET_NAME_MAX], tmo[32];
	struct json_object *arr = json_object_new_array();
	size_t n = 0, live, expired;
	int code = EF_EXIT_OK;

	if (ef_dynset_names(inst, names, &n)) {
		json_object_put(arr);
		return EF_EXIT_SYSTEM;
	}
	if (!json)
		printf("%-24s %10s %8s %10s %8s\n", "SET", "ENTRIES", "EXPIRED", "SIZE", "TIMEOUT");
	for (size_t i = 0; i < n; i++) {
		struct ef_dynset s;

		if (ef_dynset_open(inst, names[i], &s) || ef_dynset_count(&s, &live, &expired)) {
			code = EF_EXIT_SYSTEM;
			continue;
		}
		ef_format_duration(s.meta.timeout_ns, tmo, sizeof(tmo));
		if (json)
			json_object_array_add(arr, set_summary(&s, live, expired));
		else
			printf("%-24s %10zu %8zu %10u %8s\n", names[i], live, expired, s.meta.size,
			       s.meta.timeout_ns ? tmo : "none");
		ef_dynset_close(&s);
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	json_object_put(arr);
	return code;
}

int ef_cli_set_list(const struct ef_cli *cli, const char *name, bool json)
{
	struct ef_instance inst;
	int ret = ef_instance_open(cli->instance, EF_OPEN_SHARED | EF_OPEN_DYNSETS, &inst);

	if (ret == -ENOENT) {
		ef_log_err("no edgefw instance '%s' is loaded", cli->instance);
		return EF_EXIT_INPUT;
	}
	if (ret)
		return EF_EXIT_SYSTEM;
	ret = name ? list_one(&inst, name, json) : list_all(&inst, json);
	ef_instance_close(&inst);
	return ret;
}
