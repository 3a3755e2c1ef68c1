// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw stats [--json]: per-rule and per-reason counters. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "counters.h"
#include "instance.h"
#include "log.h"

static json_object *counter_json(const char *key, const char *name,
				 const char *action, uint64_t packets,
				 uint64_t bytes)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(name));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "packets", json_object_new_uint64(packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(bytes));
	return o;
}

static void print_json(const char *instance, const struct ef_stats *st)
{
	json_object *root = json_object_new_object();
	json_object *rules = json_object_new_array();
	json_object *defaults = json_object_new_array();
	json_object *reasons = json_object_new_object();

	json_object_object_add(root, "instance", json_object_new_string(instance));
	for (size_t i = 0; i < st->n_rules; i++) {
		const struct ef_rule_stat *r = &st->rules[i];

		json_object_array_add(rules,
				      counter_json("name", r->name,
						   ef_action_name(r->action),
						   r->packets, r->bytes));
	}
	json_object_object_add(root, "rules", rules);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++)
		json_object_array_add(defaults,
				      counter_json("hook", ef_hook_name(h),
						   ef_action_name(st->default_action[h]),
						   st->defaults[h].packets,
						   st->defaults[h].bytes));
	json_object_object_add(root, "defaults", defaults);
	for (unsigned r = 0; r < EDGEFW_REASON_COUNT; r++)
		json_object_object_add(reasons, ef_reason_name(r),
				       json_object_new_uint64(st->reasons[r].packets));
	json_object_object_add(root, "reasons", reasons);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_table(const char *instance, const struct ef_stats *st)
{
	printf("instance %s\n\n", instance);
	printf("%-32s %-8s %14s %16s\n", "RULE", "ACTION", "PACKETS", "BYTES");
	for (size_t i = 0; i < st->n_rules; i++) {
		const struct ef_rule_stat *r = &st->rules[i];

		printf("%-32s %-8s %14llu %16llu\n", r->name,
		       ef_action_name(r->action), (unsigned long long)r->packets,
		       (unsigned long long)r->bytes);
	}
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		char label[48];

		snprintf(label, sizeof(label), "(default %s)", ef_hook_name(h));
		printf("%-32s %-8s %14llu %16llu\n", label,
		       ef_action_name(st->default_action[h]),
		       (unsigned long long)st->defaults[h].packets,
		       (unsigned long long)st->defaults[h].bytes);
	}
	printf("\n%-32s %14s\n", "REASON", "PACKETS");
	for (unsigned r = 0; r < EDGEFW_REASON_COUNT; r++)
		printf("%-32s %14llu\n", ef_reason_name(r),
		       (unsigned long long)st->reasons[r].packets);
}

static int run_stats(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ef_instance inst;
	struct ef_stats st;
	bool json = false;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ef_cli_usage(&ef_cmd_stats);
		json = true;
	}
	if (optind != argc)
		return ef_cli_usage(&ef_cmd_stats);

	ret = ef_instance_open(cli->instance, EF_OPEN_SHARED, &inst);
	if (ret == -ENOENT) {
		ef_log_err("no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
			   cli->instance);
		return EF_EXIT_INPUT;
	}
	if (ret)
		return EF_EXIT_SYSTEM;
	ret = ef_stats_read(&inst, &st);
	ef_instance_close(&inst);
	if (ret)
		return EF_EXIT_SYSTEM;
	if (json)
		print_json(cli->instance, &st);
	else
		print_table(cli->instance, &st);
	ef_stats_free(&st);
	return EF_EXIT_OK;
}

const struct ef_command ef_cmd_stats = {
	.name = "stats",
	.usage = "[--json]",
	.summary = "show per-rule packet and byte counters",
	.help = "  --json   print one JSON object instead of a table\n",
	.run = run_stats,
};
