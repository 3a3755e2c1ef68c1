// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>

#include "cli.h"

int ef_cli_usage(const struct ef_command *cmd)
{
	fprintf(stderr, "usage: edgefw %s %s\n", cmd->name, cmd->usage);
	fprintf(stderr, "see 'edgefw help %s'\n", cmd->name);
	return EF_EXIT_INPUT;
}

int ef_cli_compile(const char *path, struct ef_ruleset *rs,
		   struct ef_compiled *c)
{
	struct ef_diag d = {};
	int ret;

	ret = ef_ruleset_load(path, rs, &d);
	if (!ret) {
		ret = ef_compile(rs, c, &d);
		if (ret)
			ef_ruleset_free(rs);
	}
	ef_diag_print(&d, stderr);
	ef_diag_free(&d);
	return ret;
}

int ef_cli_exit_for(int err)
{
	switch (err) {
	case 0:
		return EF_EXIT_OK;
	case -ENOENT:
	case -ENODEV:
	case -EINVAL:
	case -EEXIST:
		return EF_EXIT_INPUT;
	default:
		return EF_EXIT_SYSTEM;
	}
}
