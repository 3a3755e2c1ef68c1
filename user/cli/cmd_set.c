// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw set add|del|flush|list: a dynamic set's entries at run time
 * (issue 16). Changes go through the edgefwd owning the instance when
 * there is one (it logs who asked), else straight to the pinned tables;
 * both run the same code (set_request.c). Listing reads the tables.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_result.h"
#include "jsonout.h"
#include "control_client.h"
#include "duration.h"
#include "dynsets.h"
#include "instance.h"
#include "listfile.h"
#include "log.h"
#include "set_request.h"

#define SET_TIMEOUT_MS 10000

struct set_args {
	const char *op, *name, *timeout, *file;
	bool json, force;
	char **addrs;
	int n_addrs;
};

/* Where requests go: a daemon's socket, or an instance opened here. */
struct set_target {
	char sock[EF_SOCKET_PATH_MAX];
	struct ef_instance inst;
	bool direct;
};

static int send_one(struct set_target *t, struct json_object *req, struct json_object **resp)
{
	const char *cmd = json_object_get_string(json_object_object_get(req, "command"));
	int ret;

	if (t->direct) {
		*resp = json_object_new_object();
		if (!*resp)
			return -ENOMEM;
		efd_set_request(&t->inst, cmd, req, *resp);
		return 0;
	}
	ret = efd_control_request(t->sock, req, SET_TIMEOUT_MS, resp);
	if (ret)
		ef_log_err(
			"edgefwd on %s did not answer: %s. A request it already received may still be applied when it resumes (see 'edgefw set list'); nothing more was sent. --force changes the set directly",
			t->sock, strerror(-ret));
	return ret;
}

static int resp_exit(struct json_object *resp, int64_t *done)
{
	struct json_object *o = NULL;
	int code = EF_EXIT_SYSTEM;

	if (json_object_object_get_ex(resp, "exit", &o))
		code = json_object_get_int(o);
	if (json_object_object_get_ex(resp, "done", &o))
		*done += json_object_get_int64(o);
	if (code != EF_EXIT_OK && json_object_object_get_ex(resp, "message", &o)) {
		fprintf(stderr, "edgefw: %s\n", json_object_get_string(o));
		ef_cli_result_error(json_object_get_string(o));
	}
	return code < EF_EXIT_OK || code > EF_EXIT_SYSTEM ? EF_EXIT_SYSTEM : code;
}

/* The entries of the arguments and of --file, as strings. */
static int collect(const struct set_args *a, struct json_object *all)
{
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	char buf[EF_PREFIX_STRLEN];
	int ret = 0;

	for (int i = 0; i < a->n_addrs; i++)
		json_object_array_add(all, json_object_new_string(a->addrs[i]));
	if (!a->file)
		return 0;
	ret = ef_listfile_load(a->file, &l, &d);
	ef_diag_print(&d, stderr);
	ef_diag_free(&d);
	for (size_t i = 0; !ret && i < l.n; i++) {
		ef_prefix_format(&l.v[i], buf, sizeof(buf));
		json_object_array_add(all, json_object_new_string(buf));
	}
	ef_prefix_list_free(&l);
	return ret;
}

static struct json_object *make_req(const struct set_args *a, struct json_object *all, size_t from,
				    size_t n)
{
	struct json_object *req = json_object_new_object(), *arr;
	char cmd[16];

	snprintf(cmd, sizeof(cmd), "set-%s", a->op);
	json_object_object_add(req, "command", json_object_new_string(cmd));
	json_object_object_add(req, "set", json_object_new_string(a->name));
	if (a->timeout)
		json_object_object_add(req, "timeout", json_object_new_string(a->timeout));
	if (strcmp(a->op, "flush")) {
		arr = json_object_new_array();
		for (size_t i = from; i < from + n; i++)
			json_object_array_add(arr,
					      json_object_get(json_object_array_get_idx(all, i)));
		json_object_object_add(req, "entries", arr);
	}
	return req;
}

/* Sends the entries in batches; stops at the first batch that fails. */
static int send_all(const struct set_args *a, struct set_target *t, struct json_object *all)
{
	size_t total = json_object_array_length(all), from = 0;
	int64_t done = 0;
	int code = EF_EXIT_OK;

	do {
		size_t n = total - from > EFD_SET_BATCH ? EFD_SET_BATCH : total - from;
		struct json_object *req = make_req(a, all, from, n), *resp = NULL;

		if (send_one(t, req, &resp))
			code = EF_EXIT_SYSTEM;
		else
			code = resp_exit(resp, &done);
		json_object_put(req);
		json_object_put(resp);
		from += n;
	} while (code == EF_EXIT_OK && from < total);
	ef_cli_result_set("entries", json_object_new_int64(done));
	if (code == EF_EXIT_OK)
		ef_cli_result_say("set '%s': %lld %s %s", a->name, (long long)done,
				  done == 1 ? "entry" : "entries",
				  !strcmp(a->op, "add") ? "added" : "removed");
	return code;
}

static int open_target(const struct ef_cli *cli, const struct set_args *a, struct set_target *t)
{
	int pid = 0, owner = ef_cli_owner_socket(cli, t->sock, sizeof(t->sock), &pid);
	int ret;

	if (owner < 0)
		return EF_EXIT_SYSTEM;
	t->direct = !owner || !t->sock[0] || a->force;
	ef_cli_result_set("via", json_object_new_string(t->direct ? "edgefw" : "edgefwd"));
	if (owner && a->force)
		ef_log_warn(
			"instance '%s' is managed by edgefwd (pid %d): changing set '%s' directly (--force)",
			cli->instance, pid, a->name);
	if (!t->direct)
		return EF_EXIT_OK;
	ret = ef_instance_open(cli->instance, EF_OPEN_SHARED | EF_OPEN_DYNSETS, &t->inst);
	if (ret == -ENOENT) {
		ef_log_err(
			"no edgefw instance '%s' is loaded: attach one with rules that declare the set first",
			cli->instance);
		return EF_EXIT_INPUT;
	}
	return ret ? EF_EXIT_SYSTEM : EF_EXIT_OK;
}

static int set_change(const struct ef_cli *cli, const struct set_args *a)
{
	struct json_object *all = json_object_new_array();
	struct set_target t = { .direct = false };
	uint64_t ns;
	int code;

	if (a->timeout && ef_parse_duration(a->timeout, &ns)) {
		ef_log_err(
			"--timeout '%s' is not a duration: write 30s, 10m, 1h, 7d, or 0 for never",
			a->timeout);
		json_object_put(all);
		return EF_EXIT_INPUT;
	}
	if (collect(a, all)) {
		json_object_put(all);
		return EF_EXIT_INPUT;
	}
	if (strcmp(a->op, "flush") && !json_object_array_length(all)) {
		ef_log_err("set %s %s: no entries: give addresses or --file LIST", a->op, a->name);
		json_object_put(all);
		return EF_EXIT_INPUT;
	}
	code = open_target(cli, a, &t);
	if (code == EF_EXIT_OK) {
		if (!strcmp(a->op, "flush")) {
			struct json_object *req = make_req(a, all, 0, 0), *resp = NULL;
			int64_t done = 0;

			code = send_one(&t, req, &resp) ? EF_EXIT_SYSTEM : resp_exit(resp, &done);
			if (code == EF_EXIT_OK)
				ef_cli_result_say("set '%s' flushed: %lld entries removed", a->name,
						  (long long)done);
			ef_cli_result_set("entries", json_object_new_int64(done));
			json_object_put(req);
			json_object_put(resp);
		} else {
			code = send_all(a, &t, all);
		}
		if (t.direct)
			ef_instance_close(&t.inst);
	}
	json_object_put(all);
	return code;
}

static int parse_set_args(int argc, char **argv, struct set_args *a)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "t:f:", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			a->timeout = optarg;
			break;
		case 'f':
			a->file = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'F':
			a->force = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind >= argc)
		return -EINVAL;
	a->op = argv[optind++];
	if (optind < argc)
		a->name = argv[optind++];
	a->addrs = argv + optind;
	a->n_addrs = argc - optind;
	return 0;
}

static int run_set(const struct ef_cli *cli, int argc, char **argv)
{
	static const char *const keys[] = { "instance", "set", "operation", "via", "entries", NULL };
	struct set_args a = { 0 };

	if (parse_set_args(argc, argv, &a))
		return ef_cli_usage(&ef_cmd_set);
	if (!strcmp(a.op, "list")) {
		if (a.n_addrs || a.timeout || a.file)
			return ef_cli_usage(&ef_cmd_set);
		return ef_cli_set_list(cli, a.name, a.json);
	}
	if ((strcmp(a.op, "add") && strcmp(a.op, "del") && strcmp(a.op, "flush")) || !a.name ||
	    (a.timeout && strcmp(a.op, "add")) || (!strcmp(a.op, "flush") && (a.n_addrs || a.file)))
		return ef_cli_usage(&ef_cmd_set);
	ef_cli_result_begin("set", a.json, keys);
	ef_cli_result_set("instance", ef_json_str(cli->instance));
	ef_cli_result_set("set", ef_json_str(a.name));
	ef_cli_result_set("operation", json_object_new_string(a.op));
	return ef_cli_result_end(set_change(cli, &a));
}

const struct ef_command ef_cmd_set = {
	.name = "set",
	.usage =
		"add NAME [ADDR...] [--timeout D] [--file LIST] | del NAME [ADDR...] [--file LIST] | flush NAME | list [NAME] (each with [--json])",
	.summary = "change or list a dynamic set's entries, without a reload",
	.help = "  add NAME ADDR...  add addresses or prefixes (IPv4, IPv6); an entry\n"
		"                    already there gets the new timeout\n"
		"  --timeout D       entries expire after D (30s, 10m, 1h, 7d; 0: never);\n"
		"                    default: the set's timeout from the rules\n"
		"  --file LIST       entries from a list file (one per line, # comments)\n"
		"  del NAME ADDR...  remove entries (exit 1 names those not in the set)\n"
		"  flush NAME        remove every entry\n"
		"  list [NAME]       the sets, or one set's live entries with the time\n"
		"                    they have left; --json for a JSON document\n"
		"  --json            add, del, flush: the outcome as one JSON object\n"
		"  --force           change the set directly although an edgefwd owns the\n"
		"                    instance (normally the request goes through it)\n"
		"Each entry is added or removed atomically and applies to the next\n"
		"packet. Entries stay across reloads that keep the set and across\n"
		"edgefwd restarts; a reload that drops the set says so.\n",
	.run = run_set,
};
