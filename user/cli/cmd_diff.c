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
#include "l1.h"
#include "log.h"

/* OLD's warnings were given when it was loaded (or will be by `check`):
 * only NEW's are worth their quadratic pass here. */
static int load_side(const struct ef_cli *cli, const char *arg, bool is_old, struct ef_ruleset *rs,
		     char *label, size_t len, struct ef_diff_tables *t, struct ef_active_rules *act)
{
	struct ef_active_rules a;
	int code;

	if (strcmp(arg, "@active")) {
		snprintf(label, len, "%s", arg);
		return ef_cli_load_rules_flags(arg, is_old ? EF_PARSE_NO_REACHABILITY : 0, rs)
			       ? EF_EXIT_INPUT
			       : EF_EXIT_OK;
	}
	code = ef_cli_active_rules(cli->instance, &a, rs);
	if (!code) {
		snprintf(label, len, "@active (instance %s, generation %u, version %llu)",
			 cli->instance, a.gen, (unsigned long long)a.version);
		/* What the instance recorded when it loaded the ruleset in
		 * force, memory estimate included: no compilation needed. */
		*t = (struct ef_diff_tables){
			.from_instance = true,
			.memory = a.memory_estimate,
			.cells = a.cells,
			.classes = a.classes,
			.chain_rules = a.n_chain_rules,
			.tree_rules = a.n_rules - a.n_chain_rules,
			.tnodes = a.tnodes,
			.tleaves = a.tleaves,
		};
		/* Kept for the interfaces the other side is compiled for. */
		ef_active_rules_free(act);
		*act = a;
		return code;
	}
	ef_active_rules_free(&a);
	return code;
}

/* A side's compilation, for its tables, runs beside the comparison: on
 * a 10k-rule ruleset it costs about as much (the compiler is pure). Only
 * the figures are kept. */
struct compile_job {
	pthread_t thread;
	const struct ef_ruleset *rs;
	const struct ef_active_rules *act; /* its interfaces, when set */
	struct ef_diff_tables *t;
	struct ef_diag d; /* printed by the main thread, after the join */
	int ret;
	bool started;
};

static void *compile_thread(void *arg)
{
	struct compile_job *j = arg;
	struct ef_compiled c;

	j->ret = ef_compile(j->rs, j->act ? j->act->ifnames : NULL, j->act ? j->act->n_ifnames : 0,
			    &c, &j->d);
	if (j->ret)
		return NULL;
	*j->t = (struct ef_diff_tables){
		.memory = ef_compiled_memory(&c),
		.cells = c.n_cells + ef_l1_extra(&c), /* as the instance counts */
		.classes = c.n_classes,
		.chain_rules = c.n_chain_rules,
		.tree_rules = c.n_tree_rules,
		.tnodes = c.n_tnodes,
		.tleaves = c.n_tleaves,
	};
	ef_compiled_free(&c);
	return NULL;
}

/* Nothing to do for a side whose tables the instance gave. Against
 * '@active' (act->ifnames set), the other side is compiled for the
 * instance's interfaces, as a reload would: the two sides' figures then
 * count the same interface contexts. */
static void compile_start(struct compile_job *j, const struct ef_ruleset *rs,
			  struct ef_diff_tables *t, const struct ef_active_rules *act)
{
	*j = (struct compile_job){ .rs = rs, .t = t, .act = act->ifnames ? act : NULL };
	if (t->from_instance)
		return;
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

static void print_diff(const struct ef_diff_view *v, bool json)
{
	if (json)
		ef_diff_print_json(v);
	else
		ef_diff_print_text(v);
}

int ef_cli_diff(const struct ef_cli *cli, const char *old_arg, const char *new_arg, bool json,
		size_t max_changes, const char *command)
{
	struct ef_diff_view v = { .command = command, .max_lines = max_changes };
	struct ef_active_rules act = { 0 };
	struct ef_ruleset old, new_rs;
	struct compile_job jobs[2];
	struct ef_diff d;
	int code, diff_ret, ret_old, ret_new;
	double t0 = now_s();

	if (!strcmp(old_arg, "-") && !strcmp(new_arg, "-")) {
		ef_log_err("only one of OLD and NEW can be '-' (standard input)");
		return EF_EXIT_INPUT;
	}
	code = load_side(cli, old_arg, true, &old, v.old_label, sizeof(v.old_label), &v.t_old,
			 &act);
	if (code)
		return code;
	code = load_side(cli, new_arg, false, &new_rs, v.new_label, sizeof(v.new_label), &v.t_new,
			 &act);
	if (code) {
		ef_ruleset_free(&old);
		ef_active_rules_free(&act);
		return code;
	}
	/* The tables decide whether the new rules fit (a reload would fail
	 * the same way): a ruleset that does not compile is an error. */
	compile_start(&jobs[0], &old, &v.t_old, &act);
	compile_start(&jobs[1], &new_rs, &v.t_new, &act);
	diff_ret = ef_diff_rulesets(&old, &new_rs, NULL, &d);
	v.diff_s = now_s() - t0;
	ret_old = compile_wait(&jobs[0]);
	ret_new = compile_wait(&jobs[1]);
	v.total_s = now_s() - t0;
	v.old = &old;
	v.new_rs = &new_rs;
	v.d = &d;
	if (ret_old || ret_new)
		code = EF_EXIT_INPUT;
	else if (diff_ret)
		ef_log_err("out of memory comparing the rulesets");
	else
		print_diff(&v, json);
	if (diff_ret)
		code = EF_EXIT_SYSTEM;
	else
		ef_diff_free(&d);
	ef_ruleset_free(&new_rs);
	ef_ruleset_free(&old);
	ef_active_rules_free(&act);
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
				ef_log_err(
					"--max-changes %s: give a number of lines from 0 to 100000",
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
	.summary =
		"what changing ruleset OLD into NEW does: rules, sets, counters, tables, verdicts",
	.help = "OLD and NEW are rules files, '-' (standard input, one of them) or\n"
		"'@active' (the ruleset in force in the instance, as 'show' reads it).\n"
		"Prints the rules added, removed, changed (which fields) and moved;\n"
		"set entries added and removed; counters kept, new and gone; the\n"
		"tables' sizes and estimated memory, old -> new ('@active': as the\n"
		"instance recorded them at load); and the verdict changes: packets built\n"
		"from the corners and edges of every changed rule's match region,\n"
		"decided by the reference matcher under OLD and NEW, whose action or\n"
		"deciding rule differs, grouped by (old outcome -> new outcome).\n"
		"'no verdict change' when none does. A budget bounds the probes\n"
		"(200,000 packets, 0.8 s of CPU), and so do coverage bounds (the\n"
		"first 128 rules a moved rule crossed, the first 8 entries of a\n"
		"field); the output says when either cut what was probed.\n"
		"  --json           one JSON object (user/json.md)\n"
		"  --max-changes N  lines of each list and examples shown (default 20)\n"
		"Needs no root unless '@active' is given.\n",
	.run = run_diff,
};
