/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* How edgefw diff and reload --dry-run print a diff (diff.h): text for
 * people, bounded; JSON (user/json.md) for tools. */
#ifndef EDGEFW_DIFF_PRINT_H
#define EDGEFW_DIFF_PRINT_H

#include "classify.h"
#include "diff.h"

/* One side's tables: from its compilation, or (OLD as '@active') as the
 * instance recorded them when it loaded the generation in force (gen_info),
 * the compiler's memory estimate included, so nothing is compiled again. */
struct ef_diff_tables {
	bool from_instance;
	uint64_t memory; /* bytes, the compiler's estimate (ef_compiled_memory) */
	size_t cells, classes, chain_rules, tree_rules, tnodes, tleaves;
};

struct ef_diff_view {
	const char *command; /* "diff" or "reload" */
	char old_label[512], new_label[512];
	size_t max_lines; /* of each list, in text */
	const struct ef_ruleset *old, *new_rs;
	struct ef_diff_tables t_old, t_new;
	const struct ef_diff *d;
	double diff_s, total_s; /* the comparison alone; with the tables */
};

void ef_diff_print_text(const struct ef_diff_view *v);
void ef_diff_print_json(const struct ef_diff_view *v);

#endif
