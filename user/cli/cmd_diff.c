// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw diff OLD NEW [--json] and reload --dry-run FILE: what a change of
 * ruleset does before it is made (user/compiler/diff.h): rules, sets,
 * counters, tables, and the packets whose verdict changes. OLD and NEW are
 * files, '-' (standard input) or '@active' (the ruleset in force, from the
 * instance, as `edgefw show` reads it).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "diff.h"
#include "diff_print.h"
#include "jsonout.h"
#include "log.h"

static int load_side(const struct ef_cli *cli, const char *arg,
		     struct ef_ruleset *rs, char *label, size_t len)
{
	struct ef_active_rules a;
	int code;

	if (strcmp(arg, "@active")) {
		snprintf(label, len, "%s", arg);
		return ef_cli_load_rules(arg, rs) ? EF_EXIT_INPUT : EF_EXIT_OK;
	}
	code = ef_cli_active_rules(cli->instance, &a, rs);
	if (!code)
		snprintf(label, len, "@active (instance %s, generation %u, version %llu)",
			 cli->instance, a.gen, (unsigned long long)a.version);
	ef_active_rules_free(&a);
	return code;
}

/* The two compilations run beside the comparison: on a 10k-rule ruleset
 * each costs more than the comparison itself, and they share nothing
 * (the compiler is pure). */
struct compile_job {
	pthread_t thread;
	const struct ef_ruleset *rs;
	struct ef_compiled *c;
	struct ef_diag d; /* printed by the main thread, after the join */
	int ret;
	bool started;
};

static void *compile_thread(void *arg)
{
	struct compile_job *j = arg;

	j->ret = ef_compile(j->rs, NULL, 0, j->c, &j->d);
	return NULL;
}

static void compile_start(struct compile_job *j, const struct ef_ruleset *rs,
			  struct ef_compiled *c)
{
	*j = (struct compile_job){ .rs = rs, .c = c };
	j->started = !pthread_create(&j->thread, NULL, compile_thread, j);
	if (!j->started) /* no thread: compile here */
		compile_thread(j);
}

static int compile_wait(struct compile_job *j)
{
	if (j->started)
		pthread_join(j->thread, NULL);
	ef_diag_print(&j->d, stderr);
	ef_json_capture_diag(&j->d);
	ef_diag_free(&j->d);
	return j->ret;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int ef_cli_diff(const struct ef_cli *cli, const char *old_arg,
		const char *new_arg, bool json, size_t max_changes,
		const char *command)
{
	struct ef_diff_view v = { .command = command, .max_lines = max_changes };
	struct ef_ruleset old, new_rs;
	struct compile_job jobs[2];
	bool compiled_old = false, compiled_new = false;
	struct ef_diff d;
	int code, diff_ret = -1;
	double t0 = now_s();

	if (!strcmp(old_arg, "-") && !strcmp(new_arg, "-")) {
		ef_log_err("only one of OLD and NEW can be '-' (standard input)");
		return EF_EXIT_INPUT;
	}
	code = load_side(cli, old_arg, &old, v.old_label, sizeof(v.old_label));
	if (code)
		return code;
	code = load_side(cli, new_arg, &new_rs, v.new_label, sizeof(v.new_label));
	if (code) {
		ef_ruleset_free(&old);
		return code;
	}
	/* The tables decide whether the new rules fit (a reload would fail
	 * the same way): a ruleset that does not compile is an error. */
	compile_start(&jobs[0], &old, &v.c_old);
	compile_start(&jobs[1], &new_rs, &v.c_new);
	diff_ret = ef_diff_rulesets(&old, &new_rs, NULL, &d);
	v.diff_s = now_s() - t0;
	compiled_old = !compile_wait(&jobs[0]);
	compiled_new = !compile_wait(&jobs[1]);
	if (!compiled_old || !compiled_new) {
		code = EF_EXIT_INPUT;
		goto out_diff;
	}
	if (diff_ret) {
		ef_log_err("out of memory comparing the rulesets");
		code = EF_EXIT_SYSTEM;
		goto out_diff;
	}
	v.total_s = now_s() - t0;
	v.old = &old;
	v.new_rs = &new_rs;
	v.d = &d;
	if (json)
		ef_diff_print_json(&v);
	else
		ef_diff_print_text(&v);
out_diff:
	if (!diff_ret)
		ef_diff_free(&d);
	if (compiled_new)
		ef_compiled_free(&v.c_new);
	if (compiled_old)
		ef_compiled_free(&v.c_old);
	ef_ruleset_free(&new_rs);
	ef_ruleset_free(&old);
	return code;
}

static int run_diff(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "max-changes", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long max = 20;
	bool json = false;
	char *end;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j') {
			json = true;
		} else if (opt == 'm') {
			max = strtoul(optarg, &end, 10);
			if (*end || !optarg[0] || max > 100000) {
				ef_log_err("--max-changes %s: give a number of lines from 0 to 100000",
					   optarg);
				return EF_EXIT_INPUT;
			}
		} else {
			return ef_cli_usage(&ef_cmd_diff);
		}
	}
	if (argc - optind != 2)
		return ef_cli_usage(&ef_cmd_diff);
	return ef_cli_diff(cli, argv[optind], argv[optind + 1], json, max, "diff");
}

const struct ef_command ef_cmd_diff = {
	.name = "diff",
	.usage = "OLD NEW [--json] [--max-changes N]",
	.summary = "what changing ruleset OLD into NEW does: rules, sets, counters, tables, verdicts",
	.help = "OLD and NEW are rules files, '-' (standard input, one of them) or\n"
		"'@active' (the ruleset in force in the instance, as 'show' reads it).\n"
		"Prints the rules added, removed, changed (which fields) and moved;\n"
		"set entries added and removed; counters kept, new and gone; the\n"
		"tables' size and memory; and the verdict changes: packets built\n"
		"from the corners and edges of every changed rule's match region,\n"
		"decided by the reference matcher under OLD and NEW, whose action or\n"
		"deciding rule differs, grouped by (old outcome -> new outcome).\n"
		"'no verdict change' when none does. A budget bounds the probes\n"
		"(200,000 packets, 0.8 s of CPU); the output says when it was reached.\n"
		"  --json           one JSON object (user/json.md)\n"
		"  --max-changes N  lines of each list and examples shown (default 20)\n"
		"Needs no root unless '@active' is given.\n",
	.run = run_diff,
};
