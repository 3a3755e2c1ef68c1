// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "confirm_state.h"
#include "fileio.h"
#include "instance.h"
#include "jsonout.h"
#include "log.h"
#include "tables.h"
#include "xdp_attach.h"
#include "yamldoc.h"

int ef_cli_help(const struct ef_command *cmd)
{
	printf("usage: edgefw %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
	if (cmd->help && cmd->help[0])
		printf("\n%s", cmd->help);
	return EF_EXIT_OK;
}

int ef_cli_usage(const struct ef_command *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "error: usage: edgefw %s %s", cmd->name, cmd->usage);
	ef_json_capture_line(line);
	fprintf(stderr, "usage: edgefw %s %s\n", cmd->name, cmd->usage);
	fprintf(stderr, "see 'edgefw help %s'\n", cmd->name);
	return EF_EXIT_INPUT;
}

/* `-`: the rules from standard input, named "<stdin>" in messages; list
 * files are then relative to the working directory. */
static int load_stdin(unsigned flags, struct ef_ruleset *rs, struct ef_diag *d)
{
	size_t len;
	char *buf;
	int ret = ef_read_fd(0, YDOC_DEFAULT_MAX_BYTES, &buf, &len);

	if (ret) {
		ef_err(d, "<stdin>", 0, 0, "cannot read the rules from standard input: %s",
		       ef_read_strerror(ret));
		return ret;
	}
	ret = ef_ruleset_parse_flags("<stdin>", buf, len, flags, rs, d);
	free(buf);
	return ret;
}

int ef_cli_load_rules(const char *path, struct ef_ruleset *rs)
{
	return ef_cli_load_rules_flags(path, 0, rs);
}

int ef_cli_load_rules_flags(const char *path, unsigned flags, struct ef_ruleset *rs)
{
	const struct ef_parse_opts o = { .flags = flags };
	struct ef_diag d = {};
	int ret;

	if (!strcmp(path, "-"))
		ret = load_stdin(flags, rs, &d);
	else
		ret = ef_ruleset_load_opts(path, &o, rs, &d);
	ef_diag_print(&d, stderr);
	ef_json_capture_diag(&d);
	ef_diag_free(&d);
	return ret;
}

int ef_cli_compile_rules(const struct ef_ruleset *rs, const char *const *ifnames, size_t n_ifnames,
			 struct ef_compiled *c)
{
	struct ef_diag d = {};
	int ret;

	ret = ef_compile(rs, ifnames, n_ifnames, c, &d);
	ef_diag_print(&d, stderr);
	ef_json_capture_diag(&d);
	ef_diag_free(&d);
	return ret;
}

int ef_cli_compile(const char *path, struct ef_ruleset *rs, struct ef_compiled *c)
{
	int ret = ef_cli_load_rules(path, rs);

	if (ret)
		return ret;
	ret = ef_cli_compile_rules(rs, NULL, 0, c);
	if (ret)
		ef_ruleset_free(rs);
	return ret;
}

int ef_cli_apply(struct ef_instance *inst, const struct ef_ruleset *rs, const char *extra_ifname,
		 struct ef_apply_summary *sum)
{
	const char **ifnames = NULL;
	struct ef_compiled c;
	size_t n_ifnames = 0;
	int ret, code = EF_EXIT_OK;

	/* `interfaces` patterns resolve against where the instance is. */
	ret = ef_instance_ifnames(inst, extra_ifname, &ifnames, &n_ifnames);
	if (ret) {
		ef_log_err("cannot list the interfaces of instance '%s': %s", inst->name,
			   strerror(-ret));
		return EF_EXIT_SYSTEM;
	}
	if (ef_cli_compile_rules(rs, ifnames, n_ifnames, &c)) {
		code = EF_EXIT_INPUT;
		goto out;
	}
	ret = ef_tables_apply(inst, rs, &c, sum);
	if (ret) {
		/* A redirect to an interface that does not exist is the rules'
		 * fault (exit 1, as documented), not the system's. */
		code = ret == -ENODEV ? EF_EXIT_INPUT : EF_EXIT_SYSTEM;
	} else {
		/* New 'vlan:' rules may meet tags XDP cannot see. */
		ef_xdp_vlan_check_all(inst);
		/* What reload --confirm rolls back to (reload_confirm.c); without
		 * it, only a later --confirm is refused, and says why. */
		ef_applied_save(inst->name, rs->path, rs->src_hash, rs->hash);
	}
	ef_compiled_free(&c);
out:
	free(ifnames);
	return code;
}
