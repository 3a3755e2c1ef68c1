/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The `edgefw` command table and what commands share. */
#ifndef EDGEFW_CLI_H
#define EDGEFW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"
#include "classify.h"
#include "exitcode.h"

struct ef_cli {
	const char *instance;
};

struct ef_command {
	const char *name;
	const char *usage;   /* arguments after the command name */
	const char *summary; /* one line for `edgefw help` */
	const char *help;    /* the options, for `edgefw help CMD` */
	int (*run)(const struct ef_cli *cli, int argc, char **argv);
};

extern const struct ef_command ef_cmd_check;
extern const struct ef_command ef_cmd_attach;
extern const struct ef_command ef_cmd_detach;
extern const struct ef_command ef_cmd_stats;
extern const struct ef_command ef_cmd_explain;
extern const struct ef_command ef_cmd_compile;
extern const struct ef_command ef_cmd_reload;
extern const struct ef_command ef_cmd_status;
extern const struct ef_command ef_cmd_conntrack;
extern const struct ef_command ef_cmd_set;
extern const struct ef_command ef_cmd_confirm;
extern const struct ef_command ef_cmd_show;
extern const struct ef_command ef_cmd_diff;
extern const struct ef_command ef_cmd_publish;
extern const struct ef_command ef_cmd_fleet;

/* The ruleset in force in an instance, from the canonical copy of its
 * active generation (gen_rules.h), checked against that generation. */
struct ef_active_rules {
	uint32_t gen;
	uint64_t version, hash, loaded_at;
	char *text; /* the canonical text */
	size_t len;
	/* The generation's tables as the instance recorded them when it
	 * loaded it (gen_info), with the compiler's memory estimate. */
	uint32_t n_rules, n_chain_rules, cells, classes, tnodes, tleaves;
	uint64_t memory_estimate; /* bytes */
	/* The interfaces the instance is attached to: what a reload
	 * compiles a ruleset for (one allocation, ef_instance_ifnames). */
	const char **ifnames;
	size_t n_ifnames;
};
/* 0 with a parsed into rs (may be NULL) and a filled; or an exit code,
 * the reason printed. */
int ef_cli_active_rules(const char *instance, struct ef_active_rules *a, struct ef_ruleset *rs);
void ef_active_rules_free(struct ef_active_rules *a);

/* edgefw diff and reload --dry-run (cmd_diff.c): OLD and NEW are files,
 * "-" or "@active". Returns an exit code. */
int ef_cli_diff(const struct ef_cli *cli, const char *old_arg, const char *new_arg, bool json,
		size_t max_changes, const char *command);

/* Prints "usage: edgefw CMD USAGE" to stderr and returns EF_EXIT_INPUT. */
int ef_cli_usage(const struct ef_command *cmd);
/* Prints the command's help (edgefw help CMD) to stdout: EF_EXIT_OK. */
int ef_cli_help(const struct ef_command *cmd);

/* Reads and checks a rules file, printing every diagnostic to stderr.
 * Returns 0 or a negative errno; on error nothing is left to free. */
int ef_cli_load_rules(const char *path, struct ef_ruleset *rs);
/* The same with enum ef_parse_flags. */
int ef_cli_load_rules_flags(const char *path, unsigned flags, struct ef_ruleset *rs);
/* Compiles for the interfaces named (see ef_compile), printing errors. */
int ef_cli_compile_rules(const struct ef_ruleset *rs, const char *const *ifnames, size_t n_ifnames,
			 struct ef_compiled *c);
/* Compiles rs for the interfaces inst is attached to, plus extra_ifname
 * (may be NULL), and switches the instance to it atomically. Errors are
 * printed; returns an exit code. */
struct ef_instance;
struct ef_apply_summary;
int ef_cli_apply(struct ef_instance *inst, const struct ef_ruleset *rs, const char *extra_ifname,
		 struct ef_apply_summary *sum);

/* owner_gate.c: whether a change (what: "attach eth0", for the logs) may
 * go on, given an edgefwd that may own the instance. EF_EXIT_OK when
 * nobody owns it, or with force (the daemon is told); otherwise prints
 * why and what to do and returns EF_EXIT_INPUT (EF_EXIT_SYSTEM when the
 * owner cannot be read). */
int ef_cli_owner_gate(const struct ef_cli *cli, const char *what, bool force);
/* The control socket of the edgefwd owning the instance: 1 (sock and *pid
 * filled), 0 when none owns it, or -errno. */
int ef_cli_owner_socket(const struct ef_cli *cli, char *sock, size_t len, int *pid);

/* cmd_conntrack.c: the connection table's part of `edgefw stats`, into
 * root (a json_object *) when not NULL, else printed as a table. */
void ef_cli_ct_stats(const char *instance, void *root);
/* cmd_set_list.c: edgefw set list [NAME] [--json]. */
int ef_cli_set_list(const struct ef_cli *cli, const char *name, bool json);
/* Lockout safety (reload_confirm.c, cmd_confirm.c, cmd_reload.c). */
/* reload FILE --confirm SECONDS without a daemon: an exit code. */
int ef_cli_reload_confirm(const struct ef_cli *cli, const char *file, unsigned seconds);
/* True when a change made without a daemon awaits confirmation (why: what
 * to do about it). */
bool ef_cli_confirm_pending(const char *instance, char *why, size_t len);
/* Asks the daemon (sock, or the owner's) to confirm: an exit code, or
 * -ENOENT when no daemon is there to ask. */
int ef_cli_confirm_via_daemon(const struct ef_cli *cli, const char *sock);

/* Both, for no particular interface. */
int ef_cli_compile(const char *path, struct ef_ruleset *rs, struct ef_compiled *c);

#endif
