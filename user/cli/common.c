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

int ef_cli_load_rules(const char *path, struct ef_ruleset *rs)
{
	struct ef_diag d = {};
	int ret;

	ret = ef_ruleset_load(path, rs, &d);
	ef_diag_print(&d, stderr);
	ef_diag_free(&d);
	return ret;
}

int ef_cli_compile_rules(const struct ef_ruleset *rs,
			 const char *const *ifnames, size_t n_ifnames,
			 struct ef_compiled *c)
{
	struct ef_diag d = {};
	int ret;

	ret = ef_compile(rs, ifnames, n_ifnames, c, &d);
	ef_diag_print(&d, stderr);
	ef_diag_free(&d);
	return ret;
}

int ef_cli_compile(const char *path, struct ef_ruleset *rs,
		   struct ef_compiled *c)
{
	int ret = ef_cli_load_rules(path, rs);

	if (ret)
		return ret;
	ret = ef_cli_compile_rules(rs, NULL, 0, c);
	if (ret)
		ef_ruleset_free(rs);
	return ret;
}
