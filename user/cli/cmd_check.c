// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw check FILE: validate and compile without root or BPF, like nft -c. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"
#include "jsonout.h"

static void print_json(const char *path, const struct ef_ruleset *rs, const struct ef_compiled *c,
		       size_t prefixes)
{
	struct json_object *root = json_object_new_object();
	char hash[17];

	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)rs->hash);

	json_object_object_add(root, "ok", json_object_new_boolean(true));
	json_object_object_add(root, "exit", json_object_new_int(EF_EXIT_OK));
	json_object_object_add(root, "file", ef_json_str(path));
	json_object_object_add(root, "rules", json_object_new_uint64(rs->n_rules));
	json_object_object_add(root, "ruleset_hash", json_object_new_string(hash));
	json_object_object_add(root, "table_prefixes", json_object_new_uint64(prefixes));
	json_object_object_add(root, "chain_entries", json_object_new_uint64(c->n_chain));
	json_object_object_add(root, "memory_bytes", json_object_new_uint64(ef_compiled_memory(c)));
	json_object_object_add(root, "diagnostics", ef_json_captured());
	json_object_object_add(root, "findings", ef_json_findings());
	ef_json_envelope(root, "check");
	ef_json_print(root, true);
	json_object_put(root);
}

static int run_check(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ef_ruleset rs;
	struct ef_compiled c;
	size_t prefixes = 0;
	bool json = false;
	int opt;

	(void)cli;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j')
			return ef_cli_usage(&ef_cmd_check);
		json = true;
	}
	if (argc - optind != 1)
		return ef_cli_usage(&ef_cmd_check);
	if (ef_cli_compile(argv[optind], &rs, &c))
		return EF_EXIT_INPUT;
	for (int f = 0; f < EF_FIELD_COUNT; f++)
		for (int fam = 0; fam < EF_FAM_COUNT; fam++)
			prefixes += c.lpm[f][fam].n;
	if (json)
		print_json(argv[optind], &rs, &c, prefixes);
	else
		printf("%s: ok: %zu rules, %zu table prefixes, %zu chain entries, ~%zu KiB of maps, ruleset hash %016llx\n",
		       argv[optind], rs.n_rules, prefixes, c.n_chain,
		       (ef_compiled_memory(&c) + 1023) / 1024, (unsigned long long)rs.hash);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
	return EF_EXIT_OK;
}

const struct ef_command ef_cmd_check = {
	.name = "check",
	.usage = "FILE [--json]",
	.summary = "check a rules file and compile it, without root; exit 0 when valid",
	.help = "  --json   one JSON object on stdout (user/json.md): ok, exit, file,\n"
		"           rules, ruleset_hash (what status shows once it is in force),\n"
		"           table_prefixes, chain_entries, memory_bytes and the\n"
		"           diagnostics, as lines and as objects (findings: file,\n"
		"           line, column, severity, message); errors also come as a\n"
		"           JSON object (exit 1)\n"
		"FILE '-' reads the rules from standard input (list files are then\n"
		"named relative to the working directory).\n",
	.run = run_check,
};
