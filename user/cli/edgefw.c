// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw: the control tool. Commands live in a table; each cmd_*.c file
 * implements one group of them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "instance.h"
#include "liblog.h"
#include "log.h"
#include "version.h"

static const struct ef_command *const commands[] = {
	&ef_cmd_check,
	&ef_cmd_explain,
	&ef_cmd_compile,
	&ef_cmd_attach,
	&ef_cmd_detach,
	&ef_cmd_reload,
	&ef_cmd_confirm,
	&ef_cmd_status,
	&ef_cmd_stats,
	NULL,
};

static void print_help(FILE *out)
{
	fprintf(out,
		"usage: edgefw [--instance NAME] COMMAND [ARGS]\n"
		"\n"
		"XDP/tc packet filter for edge hosts.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(out, "  %-8s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(out,
		"  help     show help for a command: edgefw help COMMAND\n"
		"\n"
		"options:\n"
		"  --instance NAME  which edgefw instance (pins under %s/NAME);\n"
		"                   default: $EDGEFW_INSTANCE or '%s'\n"
		"  -V, --version    print the version and exit\n"
		"\n"
		"exit codes: 0 ok, 1 bad input, 2 system error\n",
		EF_PIN_ROOT, EF_INSTANCE_DEFAULT);
}

static const struct ef_command *find_command(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static int cmd_help(const char *name)
{
	const struct ef_command *cmd;

	if (!name) {
		print_help(stdout);
		return EF_EXIT_OK;
	}
	cmd = find_command(name);
	if (!cmd) {
		ef_log_err("unknown command '%s': see 'edgefw help'", name);
		return EF_EXIT_INPUT;
	}
	return ef_cli_help(cmd);
}

int main(int argc, char **argv)
{
	struct ef_cli cli = { .instance = getenv("EDGEFW_INSTANCE") };
	const struct ef_command *cmd;
	int i = 1;

	ef_log_set_prog("edgefw");
	ef_liblog_init();
	if (!cli.instance || !cli.instance[0])
		cli.instance = EF_INSTANCE_DEFAULT;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--instance") && i + 1 < argc) {
			cli.instance = argv[++i];
		} else if (!strncmp(argv[i], "--instance=", 11)) {
			cli.instance = argv[i] + 11;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_help(stdout);
			return EF_EXIT_OK;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			ef_version_print(stdout, "edgefw");
			return EF_EXIT_OK;
		} else {
			ef_log_err("unknown option '%s': see 'edgefw help'", argv[i]);
			return EF_EXIT_INPUT;
		}
	}
	if (i == argc) {
		print_help(stderr);
		return EF_EXIT_INPUT;
	}
	if (!ef_instance_name_valid(cli.instance)) {
		ef_log_err("invalid instance name '%s': use 1-%d letters, digits, '-' or '_'",
			   cli.instance, EF_INSTANCE_NAME_MAX - 1);
		return EF_EXIT_INPUT;
	}
	if (!strcmp(argv[i], "help"))
		return cmd_help(i + 1 < argc ? argv[i + 1] : NULL);
	cmd = find_command(argv[i]);
	if (!cmd) {
		ef_log_err("unknown command '%s': see 'edgefw help'", argv[i]);
		return EF_EXIT_INPUT;
	}
	return cmd->run(&cli, argc - i, argv + i);
}
