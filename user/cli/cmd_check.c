// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw check FILE: validate and compile without root or BPF, like nft -c. */
#include <stdio.h>

#include "cli.h"

static int run_check(const struct ef_cli *cli, int argc, char **argv)
{
	struct ef_ruleset rs;
	struct ef_compiled c;
	size_t prefixes = 0;

	(void)cli;
	if (argc != 2)
		return ef_cli_usage(&ef_cmd_check);
	if (ef_cli_compile(argv[1], &rs, &c))
		return EF_EXIT_INPUT;
	for (int f = 0; f < EF_FIELD_COUNT; f++)
		for (int fam = 0; fam < EF_FAM_COUNT; fam++)
			prefixes += c.lpm[f][fam].n;
	printf("%s: ok: %zu rules, %zu table prefixes, %zu chain entries, ~%zu KiB of maps\n",
	       argv[1], rs.n_rules, prefixes, c.n_chain,
	       (ef_compiled_memory(&c) + 1023) / 1024);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
	return EF_EXIT_OK;
}

const struct ef_command ef_cmd_check = {
	.name = "check",
	.usage = "FILE",
	.summary = "check a rules file and compile it, without root; exit 0 when valid",
	.run = run_check,
};
