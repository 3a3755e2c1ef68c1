// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw reload [FILE]: ask the instance's edgefwd to reload, or, when no
 * daemon runs, switch an attached instance to the ruleset in FILE. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_result.h"
#include "jsonout.h"
#include "control_client.h"
#include "instance.h"
#include "log.h"
#include "confirm_state.h"
#include "tables.h"

/* A reload compiles and switches the whole ruleset in the daemon before
 * it answers: allow for a large one. */
#define RELOAD_TIMEOUT_MS 30000

/* What the daemon says of the ruleset, into the JSON outcome. */
static void copy_keys(struct json_object *resp)
{
	static const char *const keys[] = { "file", "rules", "version", "rollback_at" };
	struct json_object *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(resp, keys[i], &v))
			ef_cli_result_set(keys[i], json_object_get(v));
}

/* Prints the daemon's response and returns its exit code. */
static int print_response(struct json_object *resp)
{
	struct json_object *diags, *msg, *ok, *ex;
	bool success;
	int code;

	if (json_object_object_get_ex(resp, "diagnostics", &diags) &&
	    json_object_is_type(diags, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(diags); i++)
			ef_cli_result_diag(
				json_object_get_string(json_object_array_get_idx(diags, i)));
	}
	success = json_object_object_get_ex(resp, "ok", &ok) && json_object_get_boolean(ok);
	if (json_object_object_get_ex(resp, "message", &msg) &&
	    json_object_is_type(msg, json_type_string)) {
		if (success) {
			ef_cli_result_say("%s", json_object_get_string(msg));
		} else {
			fprintf(stderr, "edgefw: %s\n", json_object_get_string(msg));
			ef_cli_result_error(json_object_get_string(msg));
		}
	}
	ef_cli_result_set("via", json_object_new_string("edgefwd"));
	copy_keys(resp);
	/* Trust the daemon's exit code only when it is a documented one. */
	if (json_object_object_get_ex(resp, "exit", &ex) &&
	    json_object_is_type(ex, json_type_int)) {
		code = json_object_get_int(ex);
		if (code >= EF_EXIT_OK && code <= EF_EXIT_SYSTEM)
			return code;
	}
	return success ? EF_EXIT_OK : EF_EXIT_SYSTEM;
}

/* Sends req to the daemon at sock and prints its answer. Returns an exit
 * code, or -ENOENT / -ECONNREFUSED when nobody listens there (the caller
 * decides what then). */
static int daemon_request(const char *sock, struct json_object *req)
{
	struct json_object *resp = NULL;
	int ret = efd_control_request(sock, req, RELOAD_TIMEOUT_MS, &resp);

	switch (ret) {
	case 0:
		ret = print_response(resp);
		break;
	case -ENOENT:
	case -ECONNREFUSED:
		break;
	case -EACCES:
		ef_log_err(
			"cannot use edgefwd's control socket %s: permission denied: must be root",
			sock);
		ret = EF_EXIT_SYSTEM;
		break;
	case -ETIMEDOUT:
		ef_log_err(
			"edgefwd on %s did not answer within %d s: check that it runs (its logs, or systemctl status)",
			sock, RELOAD_TIMEOUT_MS / 1000);
		ret = EF_EXIT_SYSTEM;
		break;
	case -EPROTO:
		ef_log_err(
			"edgefwd on %s sent a response that is not a JSON object: is it an edgefwd of the same version?",
			sock);
		ret = EF_EXIT_SYSTEM;
		break;
	default:
		ef_log_err("cannot talk to edgefwd on %s: %s", sock, strerror(-ret));
		ret = EF_EXIT_SYSTEM;
		break;
	}
	json_object_put(resp);
	return ret;
}

/* Sends {"command":"reload"[,"file":ABS][,"confirm_seconds":N]} to the
 * daemon at sock: see daemon_request. */
static int reload_via_daemon(const char *sock, const char *file, unsigned confirm_s)
{
	struct json_object *req = NULL;
	char abs[PATH_MAX];
	int ret;

	/* The daemon runs elsewhere (another cwd): it needs an absolute
	 * name, and must compare it with its own config file's. */
	if (file && !realpath(file, abs)) {
		/* Same form as the diagnostics of a file that cannot be read. */
		fprintf(stderr, "%s: error: cannot open: %s\n", file, strerror(errno));
		return EF_EXIT_INPUT;
	}
	req = json_object_new_object();
	if (!req) {
		ef_log_err("cannot build the reload request: out of memory");
		return EF_EXIT_SYSTEM;
	}
	json_object_object_add(req, "command", json_object_new_string("reload"));
	if (file) {
		json_object_object_add(req, "file", json_object_new_string(abs));
		ef_cli_result_set("file", ef_json_str(abs));
	}
	if (confirm_s)
		json_object_object_add(req, "confirm_seconds", json_object_new_int64(confirm_s));
	ret = daemon_request(sock, req);
	json_object_put(req);
	return ret;
}

/* The pre-daemon behaviour: compile FILE and switch the instance here. */
static int reload_direct(const struct ef_cli *cli, const char *file)
{
	struct ef_ruleset_state st;
	struct ef_apply_summary sum;
	struct ef_instance inst;
	struct ef_ruleset rs;
	bool have_inst = false;
	int ret, code = EF_EXIT_OK;

	/* A bad file is rejected before the instance is even looked at. */
	if (ef_cli_load_rules(file, &rs))
		return EF_EXIT_INPUT;

	/* The exclusive lock serializes this with every other change. */
	ret = ef_instance_open(cli->instance, 0, &inst);
	if (ret == -ENOENT) {
		ef_log_err(
			"no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
			cli->instance);
		code = EF_EXIT_INPUT;
		goto out;
	}
	if (ret) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	have_inst = true;

	code = ef_cli_apply(&inst, &rs, NULL, &sum);
	if (code != EF_EXIT_OK)
		goto out;
	ef_cli_result_say(
		"edgefw (instance %s) reloaded %s: %zu rules; %zu added, %zu removed, %zu kept with their counters; generation %u active",
		inst.name, file, rs.n_rules, sum.rules_added, sum.rules_removed, sum.rules_kept,
		sum.gen);
	if (sum.ct_removed)
		ef_cli_result_say("removed %zu tracked flows the new rules no longer accept",
				  sum.ct_removed);
	ef_cli_result_set("rules", json_object_new_uint64(rs.n_rules));
	ef_cli_result_set("generation", json_object_new_int((int)sum.gen));
	if (!ef_instance_read_state(&inst, &st))
		ef_cli_result_set("version", json_object_new_uint64(st.version));
out:
	if (have_inst)
		ef_instance_close(&inst);
	ef_ruleset_free(&rs);
	return code;
}

/* The daemon's socket: --socket, else the owner's, else the instance's
 * default path. *owner: 1 when an edgefwd owns the instance. Returns an
 * exit code when none can be named, else -1. */
static int pick_socket(const struct ef_cli *cli, const char **sock, char *buf, size_t len,
		       int *owner, int *owner_pid)
{
	*owner = 0;
	if (*sock)
		return -1;
	/* The owning daemon says where it listens. */
	*owner = ef_cli_owner_socket(cli, buf, len, owner_pid);
	if (*owner < 0)
		return EF_EXIT_SYSTEM;
	if (*owner && buf[0]) {
		*sock = buf;
		return -1;
	}
	if (efd_control_default_path(cli->instance, buf, len)) {
		ef_log_err("instance name '%s' is too long for a control socket path",
			   cli->instance);
		return EF_EXIT_INPUT;
	}
	*sock = buf;
	return -1;
}

int ef_cli_confirm_via_daemon(const struct ef_cli *cli, const char *sock)
{
	char buf[EF_SOCKET_PATH_MAX];
	bool explicit_sock = sock != NULL;
	struct json_object *req;
	int ret, owner, owner_pid = 0;

	ret = pick_socket(cli, &sock, buf, sizeof(buf), &owner, &owner_pid);
	if (ret >= 0)
		return ret;
	req = json_object_new_object();
	if (!req)
		return EF_EXIT_SYSTEM;
	json_object_object_add(req, "command", json_object_new_string("confirm"));
	ret = daemon_request(sock, req);
	json_object_put(req);
	if (ret != -ENOENT && ret != -ECONNREFUSED)
		return ret;
	if (explicit_sock || owner) {
		ef_log_err(
			"edgefwd%s does not answer on %s: nothing was confirmed (it rolls back at the deadline)",
			owner ? " (which owns the instance)" : "", sock);
		return EF_EXIT_SYSTEM;
	}
	return -ENOENT;
}

/* run_reload once the options are read: an exit code. */
static int reload(const struct ef_cli *cli, const char *sock, const char *file, unsigned confirm_s)
{
	char def_sock[EF_SOCKET_PATH_MAX], why[512];
	bool explicit_sock;
	int ret, owner = 0, owner_pid = 0;

	explicit_sock = sock != NULL;
	ret = pick_socket(cli, &sock, def_sock, sizeof(def_sock), &owner, &owner_pid);
	if (ret >= 0)
		return ret;

	/* The daemon, when one runs, owns the instance: reloading behind its
	 * back would be undone by its next reload of its own config. */
	ret = reload_via_daemon(sock, file, confirm_s);
	if (ret != -ENOENT && ret != -ECONNREFUSED)
		return ret;

	if (explicit_sock) {
		ef_log_err(
			"no edgefwd listens on %s: start it, or reload without --socket to load FILE directly",
			sock);
		return EF_EXIT_SYSTEM;
	}
	if (owner) {
		/* Loading behind the owner's back would be undone by it. */
		ef_log_err(
			"instance '%s' is managed by edgefwd (pid %d), but its control socket %s does not answer (edgefwd retries it; see its log): nothing was changed",
			cli->instance, owner_pid, sock);
		return EF_EXIT_SYSTEM;
	}
	if (!file) {
		ef_log_err(
			"no edgefwd listens on %s: give a rules FILE to reload instance %s directly",
			sock, cli->instance);
		return EF_EXIT_INPUT;
	}
	ef_cli_result_set("via", json_object_new_string("edgefw"));
	ef_cli_result_set("file", ef_json_str(file));
	if (confirm_s)
		return ef_cli_reload_confirm(cli, file, confirm_s);
	if (ef_cli_confirm_pending(cli->instance, why, sizeof(why))) {
		ef_log_err("instance '%s': %s", cli->instance, why);
		return EF_EXIT_INPUT;
	}
	return reload_direct(cli, file);
}

static int run_reload(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "confirm", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { "instance", "via",        "file",        "rules",
					    "version",  "generation", "rollback_at", NULL };
	const char *sock = NULL, *file = NULL;
	unsigned confirm_s = 0;
	bool json = false, dry_run = false;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			if (ef_parse_confirm_window(optarg, &confirm_s)) {
				ef_log_err(
					"--confirm %s: give a duration from 1s to 24h (30s, 2m, 1h; a bare number is seconds)",
					optarg);
				return EF_EXIT_INPUT;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'h':
			return ef_cli_help(&ef_cmd_reload);
		default:
			return ef_cli_usage(&ef_cmd_reload);
		}
	}
	if (argc - optind > 1)
		return ef_cli_usage(&ef_cmd_reload);
	if (optind < argc)
		file = argv[optind];
	/* Nothing changes: the file against what is in force, whoever owns
	 * the instance (edgefwd's config or a direct reload alike). */
	if (dry_run && (!file || sock || confirm_s))
		return ef_cli_usage(&ef_cmd_reload);
	if (dry_run)
		return ef_cli_diff(cli, "@active", file, json, 20, "reload");
	ef_cli_result_begin("reload", json, keys);
	ef_cli_result_set("instance", ef_json_str(cli->instance));
	return ef_cli_result_end(reload(cli, sock, file, confirm_s));
}

const struct ef_command ef_cmd_reload = {
	.name = "reload",
	.usage = "[FILE] [--confirm DURATION] [--socket PATH] [--json] | --dry-run FILE [--json]",
	.summary = "reload the rules: through edgefwd, or from FILE, atomically",
	.help = "  --socket PATH  edgefwd's control socket (default:\n"
		"                 " EF_SOCKET_DIR "/INSTANCE.sock); with it, no daemon\n"
		"                 listening there is an error (exit 2)\n"
		"  --json         print the outcome (with --dry-run, the difference) as\n"
		"                 one JSON object (edgefw-json(7))\n"
		"If edgefwd runs for the instance, it reloads its config file (FILE,\n"
		"if given, must be that file): its diagnostics go to stderr, its\n"
		"message to stdout, and its exit code is edgefw's. Only root may ask.\n"
		"Otherwise FILE is required and edgefw reloads directly: the new\n"
		"ruleset is compiled for the interfaces the instance is attached to\n"
		"and switched in with one write: every packet sees the old or the\n"
		"new rules, never a mix. Rules keep their counters by name. A file\n"
		"with any error changes nothing (exit 1).\n"
		"  --confirm DURATION  lockout safety: the new rules roll back by\n"
		"                 themselves after DURATION (30s, 2m, 1h; 1s to 24h)\n"
		"                 unless 'edgefw confirm' follows. The rollback happens\n"
		"                 even if this command or its SSH session dies: edgefwd\n"
		"                 holds it, or without a daemon a guard process of its\n"
		"                 own. While a change awaits confirmation, a reload\n"
		"                 without --confirm is refused (exit 1); one with it\n"
		"                 replaces the change and keeps the same rollback point.\n"
		"  --dry-run FILE  change nothing: what reloading FILE would do against\n"
		"                 the ruleset in force ('edgefw diff @active FILE'):\n"
		"                 rules, sets, counters, tables and verdict changes\n",
	.run = run_reload,
};
