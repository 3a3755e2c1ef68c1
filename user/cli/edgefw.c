// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw: the control tool. Commands live in a table; each cmd_*.c file
 * implements one group of them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "instance.h"
#include "jsonout.h"
#include "liblog.h"
#include "log.h"
#include "version.h"

static const struct ef_command *const commands[] = {
	&ef_cmd_check,  &ef_cmd_explain,   &ef_cmd_compile, &ef_cmd_attach,
	&ef_cmd_detach, &ef_cmd_reload,    &ef_cmd_confirm, &ef_cmd_status,
	&ef_cmd_show,   &ef_cmd_diff,      &ef_cmd_publish, &ef_cmd_fleet,
	&ef_cmd_stats,  &ef_cmd_conntrack, &ef_cmd_set,     NULL,
};

/* Commands that use the pinned maps, BPF or netlink: without root (or
 * CAP_BPF), they are refused up front with a message saying so rather
 * than failing on the first EPERM. check, explain and compile need
 * nothing. */
static const char *const root_commands[] = {
	"attach", "detach", "reload", "confirm", "status", "stats", "show", NULL,
};

/* Effective capability bit n, from /proc/self/status. */
static bool has_cap(unsigned n)
{
	unsigned long long eff = 0;
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	(void)fclose(f); /* read only: nothing to lose */
	return found && n < 64 && (eff >> n & 1);
}

static bool needs_root_and_lacks_it(const char *name)
{
	for (size_t i = 0; root_commands[i]; i++)
		if (!strcmp(root_commands[i], name))
			/* 39: CAP_BPF; 21: CAP_SYS_ADMIN, which covers it. */
			return geteuid() != 0 && !has_cap(39) && !has_cap(21);
	return false;
}

/* What the command's arguments ask for: --help anywhere (edgefw check
 * --help), --json anywhere (errors then come as JSON). */
static void scan_args(int argc, char **argv, bool *help, bool *json)
{
	*help = *json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		*help |= !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help");
		*json |= !strcmp(argv[i], "--json");
	}
}

static int run_command(const struct ef_cli *cli, const struct ef_command *cmd, int argc,
		       char **argv)
{
	bool help, json;
	int code;

	scan_args(argc, argv, &help, &json);
	if (help)
		return ef_cli_help(cmd);
	ef_json_capture(json);
	if (needs_root_and_lacks_it(cmd->name)) {
		ef_log_err("edgefw %s must be run as root (it uses BPF maps and programs%s)",
			   cmd->name,
			   strcmp(cmd->name, "status") && strcmp(cmd->name, "stats")
				   ? " and changes interfaces"
				   : "");
		code = EF_EXIT_SYSTEM;
	} else {
		code = cmd->run(cli, argc, argv);
	}
	/* With --json, a failure that printed no JSON prints one. */
	if (json && code != EF_EXIT_OK && !ef_json_printed())
		ef_json_print_error(cmd->name, code);
	return code;
}

static void print_help(FILE *out)
{
	fprintf(out, "usage: edgefw [--instance NAME] COMMAND [ARGS]\n"
		     "\n"
		     "XDP/tc packet filter for edge hosts.\n"
		     "\n"
		     "commands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(out, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
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

	/* `edgefw help --help` asks about help itself: the general help. */
	if (!name || !strcmp(name, "-h") || !strcmp(name, "--help")) {
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
	return run_command(&cli, cmd, argc - i, argv + i);
}
