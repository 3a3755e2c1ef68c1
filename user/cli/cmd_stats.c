// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw stats [--json] [--watch SECONDS [--count N]]: per-rule, per-reason
 * and per-interface counters, or their rates per second.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "stats_ct.h"
#include "stats_rates.h"
#include "duration.h"
#include "jsonout.h"
#include "counters.h"
#include "instance.h"
#include "log.h"

/* Longest --watch interval: a day is already more than anyone watches. */
#define WATCH_MAX_SECONDS 86400.0

static json_object *counter_json(const char *key, const char *name, const char *action,
				 uint64_t packets, uint64_t bytes)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(name));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "packets", json_object_new_uint64(packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(bytes));
	return o;
}

/* issue 16: each dynamic set's entries and what the datapath did. */
static json_object *dynsets_json(const struct ef_stats *st)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < st->n_sets; i++) {
		const struct ef_dynset_stat *s = &st->sets[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "entries", json_object_new_uint64(s->entries));
		json_object_object_add(o, "expired", json_object_new_uint64(s->expired));
		json_object_object_add(o, "size", json_object_new_uint64(s->size));
		json_object_object_add(o, "timeout_ms",
				       json_object_new_uint64(s->timeout_ns / 1000000));
		for (unsigned w = 0; w < EDGEFW_DSTAT_COUNT; w++)
			json_object_object_add(o, ef_dyn_stat_name(w),
					       json_object_new_uint64(s->counters[w]));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void print_json(const char *instance, const struct ef_stats *st)
{
	json_object *root = json_object_new_object();
	json_object *rules = json_object_new_array();
	json_object *defaults = json_object_new_array();
	json_object *reasons = json_object_new_object();
	json_object *ifaces = json_object_new_array();

	json_object_object_add(root, "instance", json_object_new_string(instance));
	for (size_t i = 0; i < st->n_rules; i++) {
		const struct ef_rule_stat *r = &st->rules[i];

		json_object *o = counter_json("name", r->name, ef_action_name(r->action),
					      r->packets, r->bytes);

		json_object_object_add(
			o, "over_limit",
			ef_stats_pair_json(json_object_new_uint64(r->over_limit.packets),
					   json_object_new_uint64(r->over_limit.bytes)));
		json_object_array_add(rules, o);
	}
	json_object_object_add(root, "rules", rules);
	json_object_object_add(root, "dynamic_sets", dynsets_json(st));
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++)
		json_object_array_add(defaults,
				      counter_json("hook", ef_hook_name(h),
						   ef_action_name(st->default_action[h]),
						   st->defaults[h].packets, st->defaults[h].bytes));
	json_object_object_add(root, "defaults", defaults);
	for (unsigned r = 0; r < EDGEFW_REASON_COUNT; r++)
		json_object_object_add(
			reasons, ef_reason_name(r),
			ef_stats_pair_json(json_object_new_uint64(st->reasons[r].packets),
					   json_object_new_uint64(st->reasons[r].bytes)));
	json_object_object_add(root, "reasons", reasons);
	for (size_t i = 0; i < st->n_ifaces; i++) {
		const struct ef_iface_stat *f = &st->ifaces[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "interface", ef_json_str(f->ifname));
		json_object_object_add(o, "hook", json_object_new_string(ef_hook_name(f->hook)));
		for (unsigned a = 0; a < EDGEFW_ACT_COUNT; a++)
			json_object_object_add(
				o, ef_stats_decision_key[a],
				ef_stats_pair_json(json_object_new_uint64(f->act[a].packets),
						   json_object_new_uint64(f->act[a].bytes)));
		json_object_array_add(ifaces, o);
	}
	json_object_object_add(root, "interfaces", ifaces);
	ef_cli_ct_stats(instance, root);
	ef_json_envelope(root, "stats");
	ef_json_print(root, true);
	json_object_put(root);
}

static void print_table(const char *instance, const struct ef_stats *st)
{
	printf("instance %s\n\n", instance);
	printf("%-32s %-8s %14s %16s\n", "RULE", "ACTION", "PACKETS", "BYTES");
	for (size_t i = 0; i < st->n_rules; i++) {
		const struct ef_rule_stat *r = &st->rules[i];

		printf("%-32s %-8s %14llu %16llu\n", r->name, ef_action_name(r->action),
		       (unsigned long long)r->packets, (unsigned long long)r->bytes);
	}
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		char label[48];

		snprintf(label, sizeof(label), "(default %s)", ef_hook_name(h));
		printf("%-32s %-8s %14llu %16llu\n", label, ef_action_name(st->default_action[h]),
		       (unsigned long long)st->defaults[h].packets,
		       (unsigned long long)st->defaults[h].bytes);
	}
	ef_stats_iface_header("");
	for (size_t i = 0; i < st->n_ifaces; i++) {
		const struct ef_iface_stat *f = &st->ifaces[i];

		printf("%-16s %-10s", f->ifname, ef_hook_name(f->hook));
		for (unsigned a = 0; a < EDGEFW_ACT_COUNT; a++)
			printf(" %14llu %16llu", (unsigned long long)f->act[a].packets,
			       (unsigned long long)f->act[a].bytes);
		printf("\n");
	}
	if (st->n_sets)
		printf("\n%-24s %10s %8s %10s %12s %10s %8s\n", "DYNAMIC SET", "ENTRIES", "EXPIRED",
		       "SIZE", "MATCHES", "BANS", "BAN-FAIL");
	for (size_t i = 0; i < st->n_sets; i++) {
		const struct ef_dynset_stat *s = &st->sets[i];

		printf("%-24s %10llu %8llu %10u %12llu %10llu %8llu\n", s->name,
		       (unsigned long long)s->entries, (unsigned long long)s->expired, s->size,
		       (unsigned long long)s->counters[EDGEFW_DSTAT_MATCH],
		       (unsigned long long)s->counters[EDGEFW_DSTAT_BAN],
		       (unsigned long long)s->counters[EDGEFW_DSTAT_BAN_FAIL]);
	}
	printf("\n%-32s %14s\n", "REASON", "PACKETS");
	for (unsigned r = 0; r < EDGEFW_REASON_COUNT; r++)
		printf("%-32s %14llu\n", ef_reason_name(r),
		       (unsigned long long)st->reasons[r].packets);
	ef_cli_ct_stats(instance, NULL);
}

/* Reads the counters once; the instance is not kept open between reads so
 * a watch never holds off attach, reload or detach. Returns an exit code. */
static int read_once(const struct ef_cli *cli, struct ef_stats *st, struct ef_ct_snap *ct)
{
	struct ef_instance inst;
	int ret;

	ret = ef_instance_open(cli->instance, EF_OPEN_SHARED, &inst);
	if (ret == -ENOENT) {
		ef_log_err(
			"no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
			cli->instance);
		return EF_EXIT_INPUT;
	}
	if (ret)
		return EF_EXIT_SYSTEM;
	ret = ef_stats_read(&inst, st);
	if (ct)
		ef_ct_snap_read(&inst, ct);
	ef_instance_close(&inst);
	return ret ? EF_EXIT_SYSTEM : EF_EXIT_OK;
}

static volatile sig_atomic_t watch_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static double ts_seconds(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

/* Sleeps until the absolute CLOCK_MONOTONIC deadline or a stop signal. */
static void sleep_until(const struct timespec *deadline)
{
	while (!watch_stop &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
		;
}

/* Prints rates every `seconds` until a signal or `count` refreshes (0: no
 * limit). Returns an exit code. */
static int watch(const struct ef_cli *cli, double seconds, long count, bool json)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct ef_stats prev = { 0 }, cur = { 0 };
	struct ef_ct_snap ct_prev = { 0 }, ct_cur = { 0 };
	struct timespec t_prev, t_cur, deadline;
	time_t step_s = (time_t)seconds;
	long step_ns = (long)((seconds - (double)step_s) * 1e9);
	size_t *by_slot;
	int code;

	by_slot = calloc(EDGEFW_MAX_RULES, sizeof(*by_slot));
	if (!by_slot) {
		ef_log_err("cannot watch counters: %s", strerror(ENOMEM));
		return EF_EXIT_SYSTEM;
	}
	/* No SA_RESTART: the signal must cut the sleep short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	code = read_once(cli, &prev, &ct_prev);
	clock_gettime(CLOCK_MONOTONIC, &t_prev);
	deadline = t_prev;
	for (long n = 0; code == EF_EXIT_OK && !watch_stop && (!count || n < count); n++) {
		deadline.tv_sec += step_s;
		deadline.tv_nsec += step_ns;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		sleep_until(&deadline);
		if (watch_stop)
			break;
		code = read_once(cli, &cur, &ct_cur);
		if (code)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t_cur);
		memset(by_slot, 0, EDGEFW_MAX_RULES * sizeof(*by_slot));
		for (size_t i = 0; i < prev.n_rules; i++)
			if (prev.rules[i].slot < EDGEFW_MAX_RULES)
				by_slot[prev.rules[i].slot] = i + 1;
		ef_stats_print_rates(cli->instance, &prev, &cur, by_slot, &ct_prev, &ct_cur,
				     ts_seconds(&t_cur) - ts_seconds(&t_prev), json);
		ct_prev = ct_cur;
		ef_stats_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		t_prev = t_cur;
	}
	ef_stats_free(&prev);
	ef_stats_free(&cur);
	free(by_slot);
	return code;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > WATCH_MAX_SECONDS) {
		ef_log_err(
			"--watch takes a number of seconds above 0 and at most %.0f, not '%s' (e.g. --watch 1 or --watch 0.5)",
			WATCH_MAX_SECONDS, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_count(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0) {
		ef_log_err("--count takes a number of refreshes above 0, not '%s'", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int run_stats(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct ef_stats st;
	double seconds = 0;
	long count = 0;
	bool json = false;
	int opt, code;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jw:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'w':
			if (parse_seconds(optarg, &seconds))
				return EF_EXIT_INPUT;
			break;
		case 'c':
			if (parse_count(optarg, &count))
				return EF_EXIT_INPUT;
			break;
		default:
			return ef_cli_usage(&ef_cmd_stats);
		}
	}
	if (optind != argc)
		return ef_cli_usage(&ef_cmd_stats);
	if (count && !seconds) {
		ef_log_err("--count only goes with --watch SECONDS (e.g. --watch 1 --count 5)");
		return EF_EXIT_INPUT;
	}
	if (seconds)
		return watch(cli, seconds, count, json);

	code = read_once(cli, &st, NULL);
	if (code)
		return code;
	if (json)
		print_json(cli->instance, &st);
	else
		print_table(cli->instance, &st);
	ef_stats_free(&st);
	return EF_EXIT_OK;
}

const struct ef_command ef_cmd_stats = {
	.name = "stats",
	.usage = "[--json] [--watch SECONDS [--count N]]",
	.summary = "show per-rule, per-reason and per-interface counters",
	.help = "  --json            print one JSON object instead of tables\n"
		"  --watch SECONDS   every SECONDS (above 0, fractions allowed),\n"
		"                    print rates per second until Ctrl-C; with\n"
		"                    --json, one JSON object per line\n"
		"  --count N         stop after N refreshes of --watch\n"
		"Interfaces show packets and bytes passed, dropped and redirected\n"
		"per interface and hook.\n",
	.run = run_stats,
};
