// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw reload FILE: switch an attached instance to a new ruleset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "instance.h"
#include "log.h"
#include "tables.h"

static int run_reload(const struct ef_cli *cli, int argc, char **argv)
{
	struct ef_apply_summary sum;
	struct ef_instance inst;
	struct ef_ruleset rs;
	bool have_inst = false;
	int ret, code = EF_EXIT_OK;

	if (argc != 2 || argv[1][0] == '-')
		return ef_cli_usage(&ef_cmd_reload);

	/* A bad file is rejected before the instance is even looked at. */
	if (ef_cli_load_rules(argv[1], &rs))
		return EF_EXIT_INPUT;

	/* The exclusive lock serializes this with every other change. */
	ret = ef_instance_open(cli->instance, 0, &inst);
	if (ret == -ENOENT) {
		ef_log_err("no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
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
	printf("edgefw (instance %s) reloaded %s: %zu rules; %zu added, %zu removed, %zu kept with their counters; generation %u active\n",
	       inst.name, argv[1], rs.n_rules, sum.rules_added,
	       sum.rules_removed, sum.rules_kept, sum.gen);
out:
	if (have_inst)
		ef_instance_close(&inst);
	ef_ruleset_free(&rs);
	return code;
}

const struct ef_command ef_cmd_reload = {
	.name = "reload",
	.usage = "FILE",
	.summary = "switch the attached instance to the rules in FILE, atomically",
	.help = "The new ruleset is compiled for the interfaces the instance is\n"
		"attached to and switched in with one write: every packet sees the\n"
		"old or the new rules, never a mix. Rules keep their counters by\n"
		"name. A file with any error changes nothing (exit 1).\n",
	.run = run_reload,
};
