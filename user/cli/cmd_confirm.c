// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `edgefw confirm`: keeps a change made with `reload --confirm`, through
 * edgefwd when one owns the instance (cmd_reload.c), otherwise by removing
 * the record the rollback guard watches (reload_confirm.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_result.h"
#include "jsonout.h"
#include <json-c/json.h>
#include "confirm_state.h"
#include "instance.h"
#include "log.h"

/* `edgefw confirm` without a daemon. */
static int confirm_direct(const struct ef_cli *cli)
{
	struct ef_instance inst;
	struct ef_confirm_rec p;
	int ret = ef_instance_open(cli->instance, EF_OPEN_NOWAIT, &inst);

	if (ret == -EWOULDBLOCK) /* the guard may be rolling back right now */
		ret = ef_instance_open(cli->instance, 0, &inst);
	if (ret) {
		if (ret == -ENOENT)
			ef_log_err("no edgefw instance '%s' is loaded: nothing to confirm",
				   cli->instance);
		return ret == -ENOENT ? EF_EXIT_INPUT : EF_EXIT_SYSTEM;
	}
	ret = ef_pending_load(inst.name, &p);
	if (ret) {
		ef_log_err("nothing awaits confirmation on instance '%s'%s", inst.name,
			   ret == -ENOENT ? " (too late, or confirmed already?)"
					  : ": the record is unreadable");
		ef_instance_close(&inst);
		return ret == -ENOENT ? EF_EXIT_INPUT : EF_EXIT_SYSTEM;
	}
	ret = ef_pending_remove(inst.name);
	if (ret)
		ef_log_err("cannot remove %s/%s.confirm.json: %s", EF_SOCKET_DIR, inst.name,
			   strerror(-ret));
	else
		ef_cli_result_say("edgefw (instance %s): confirmed: the rules in force (%016" PRIx64
				  ") stay",
				  inst.name, p.new_hash);
	ef_confirm_rec_free(&p);
	ef_instance_close(&inst);
	return ret ? EF_EXIT_SYSTEM : EF_EXIT_OK;
}

static int run_confirm(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { "instance", "via", NULL };
	const char *sock = NULL;
	bool json = false;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		if (opt == 's')
			sock = optarg;
		else if (opt == 'j')
			json = true;
		else if (opt == 'h')
			return ef_cli_help(&ef_cmd_confirm);
		else
			return ef_cli_usage(&ef_cmd_confirm);
	}
	if (optind != argc)
		return ef_cli_usage(&ef_cmd_confirm);
	ef_cli_result_begin("confirm", json, keys);
	ef_cli_result_set("instance", ef_json_str(cli->instance));
	ret = ef_cli_confirm_via_daemon(cli, sock);
	if (ret < 0) {
		ef_cli_result_set("via", json_object_new_string("edgefw"));
		ret = confirm_direct(cli);
	}
	return ef_cli_result_end(ret);
}

const struct ef_command ef_cmd_confirm = {
	.name = "confirm",
	.usage = "[--socket PATH] [--json]",
	.summary = "keep a change made with reload --confirm (else it rolls back)",
	.help = "  --socket PATH  edgefwd's control socket (default: the owning daemon's)\n"
		"  --json         print the outcome as one JSON object (edgefw-json(7))\n"
		"After 'edgefw reload [FILE] --confirm DURATION', the new rules roll\n"
		"back by themselves at the end of DURATION unless this command comes\n"
		"first: run it from a new connection to prove the rules let you in.\n"
		"Through edgefwd when one owns the instance; otherwise it removes\n"
		"the record the rollback guard watches. Exit 1: nothing awaits\n"
		"confirmation (too late: the rules rolled back already).\n",
	.run = run_confirm,
};
