// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw compile FILE [--json]: what the compiler makes of a rules file:
 * rules, sets, which structure holds which rules (the chain and its
 * fields, the decision trees and their shape), table sizes, memory. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"
#include "jsonout.h"
#include "l1.h"

struct table_sizes {
	size_t v4_prefixes[EF_FIELD_COUNT];
	size_t v6_prefixes[EF_FIELD_COUNT];
	size_t dense_pairs, hashed_pairs;
};

static void measure(const struct ef_compiled *c, struct table_sizes *t)
{
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		t->v4_prefixes[f] = c->lpm[f][EF_FAM_V4].n;
		t->v6_prefixes[f] = c->lpm[f][EF_FAM_V6].n;
	}
	t->hashed_pairs = c->n_hashed;
	t->dense_pairs = c->n_chain - c->n_hashed;
}

static const char *tree_kind(const struct ef_tree_info *t)
{
	if (t->trie_word == EF_TREE_NO_TRIE)
		return "tree";
	return t->trie_word < EDGEFW_TK_DST ? "src forest" : "dst forest";
}

/* The rules a structure holds, by name, in order. */
static json_object *held_json(const struct ef_ruleset *rs, const struct ef_compiled *c,
			      uint8_t held)
{
	json_object *a = json_object_new_array();

	for (size_t r = 0; r < rs->n_rules; r++)
		if (c->held[r] == held)
			json_object_array_add(a, json_object_new_string(rs->rules[r].name));
	return a;
}

static json_object *chain_json(const struct ef_ruleset *rs, const struct ef_compiled *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rules", json_object_new_uint64(c->n_chain_rules));
	json_object_object_add(o, "limit_reached",
			       c->chain_limit ? json_object_new_string(c->chain_limit) : NULL);
	json_object_object_add(o, "rule_names", held_json(rs, c, EF_HELD_CHAIN));
	json_object_object_add(o, "tree_rule_names", held_json(rs, c, EF_HELD_TREES));
	return o;
}

static json_object *trees_json(const struct ef_compiled *c)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < c->n_trees; i++) {
		const struct ef_tree_info *t = &c->trees[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "kind", json_object_new_string(tree_kind(t)));
		json_object_object_add(
			o, "family",
			json_object_new_string(t->family == EF_AF_INET ? "ipv4" : "ipv6"));
		json_object_object_add(o, "rules", json_object_new_uint64(t->rules));
		json_object_object_add(o, "boxes", json_object_new_uint64(t->boxes));
		json_object_object_add(o, "prefixes", json_object_new_uint64(t->prefixes.n));
		json_object_object_add(o, "depth", json_object_new_uint64(t->depth));
		json_object_object_add(o, "max_node_lookups", json_object_new_uint64(t->steps));
		json_object_object_add(o, "nodes", json_object_new_uint64(t->nodes));
		json_object_object_add(o, "leaves", json_object_new_uint64(t->leaves));
		json_object_object_add(o, "leaf_entries", json_object_new_uint64(t->leaf_entries));
		json_object_object_add(o, "max_leaf", json_object_new_uint64(t->max_leaf));
		json_object_object_add(o, "bytes", json_object_new_uint64(t->bytes));
		json_object_array_add(a, o);
	}
	return a;
}

static void print_json(const char *path, const struct ef_ruleset *rs, const struct ef_compiled *c,
		       const struct table_sizes *t)
{
	json_object *root = json_object_new_object();
	json_object *sets = json_object_new_array();
	json_object *fields = json_object_new_array();
	json_object *tables = json_object_new_object();

	json_object_object_add(root, "file", json_object_new_string(path));
	json_object_object_add(root, "rules", json_object_new_uint64(rs->n_rules));
	for (size_t i = 0; i < rs->n_sets; i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "name", json_object_new_string(rs->sets[i].name));
		json_object_object_add(s, "kind",
				       json_object_new_string(rs->sets[i].kind == EF_SET_ADDR
								      ? "addresses"
								      : "ports"));
		json_object_object_add(s, "entries", json_object_new_uint64(rs->sets[i].n_entries));
		json_object_object_add(s, "references", json_object_new_uint64(rs->sets[i].n_refs));
		json_object_array_add(sets, s);
	}
	json_object_object_add(root, "sets", sets);
	for (unsigned i = 0; i < c->n_dims; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "field", json_object_new_string(ef_dim_name(c->dims[i])));
		json_object_object_add(f, "classes",
				       json_object_new_uint64(c->n_leaf_classes[c->dims[i]]));
		if (i)
			json_object_object_add(f, "dense",
					       json_object_new_boolean(c->stages[i].width != 0));
		json_object_array_add(fields, f);
	}
	json_object_object_add(root, "chained_fields", fields);
	json_object_object_add(root, "chain", chain_json(rs, c));
	json_object_object_add(root, "trees", trees_json(c));
	json_object_object_add(tables, "ipv4_src_prefixes",
			       json_object_new_uint64(t->v4_prefixes[EF_FIELD_SRC]));
	json_object_object_add(tables, "ipv4_dst_prefixes",
			       json_object_new_uint64(t->v4_prefixes[EF_FIELD_DST]));
	json_object_object_add(tables, "ipv6_src_prefixes",
			       json_object_new_uint64(t->v6_prefixes[EF_FIELD_SRC]));
	json_object_object_add(tables, "ipv6_dst_prefixes",
			       json_object_new_uint64(t->v6_prefixes[EF_FIELD_DST]));
	/* As an instance holds them: with the copies of level-1 cells (l1.h). */
	json_object_object_add(tables, "cells",
			       json_object_new_uint64(c->n_cells + ef_l1_extra(c)));
	json_object_object_add(tables, "classes", json_object_new_uint64(c->n_classes));
	json_object_object_add(tables, "dense_pairs", json_object_new_uint64(t->dense_pairs));
	json_object_object_add(tables, "hashed_pairs", json_object_new_uint64(t->hashed_pairs));
	json_object_object_add(tables, "context_entries", json_object_new_uint64(c->n_ctx));
	json_object_object_add(tables, "tree_nodes", json_object_new_uint64(c->n_tnodes));
	json_object_object_add(tables, "tree_leaf_entries", json_object_new_uint64(c->n_tleaves));
	json_object_object_add(root, "tables", tables);
	json_object_object_add(root, "memory_bytes", json_object_new_uint64(ef_compiled_memory(c)));
	ef_json_envelope(root, "compile");
	ef_json_print(root, true);
	json_object_put(root);
}

static void print_text(const char *path, const struct ef_ruleset *rs, const struct ef_compiled *c,
		       const struct table_sizes *t)
{
	printf("%s: %zu rules, %zu sets\n", path, rs->n_rules, rs->n_sets);
	for (size_t i = 0; i < rs->n_sets; i++)
		printf("  set %-24s %-9s %8zu entries, %zu rules use it\n", rs->sets[i].name,
		       rs->sets[i].kind == EF_SET_ADDR ? "addresses" : "ports",
		       rs->sets[i].n_entries, rs->sets[i].n_refs);
	printf("\nstructures:\n");
	printf("  chain              %zu rules%s%s%s\n", c->n_chain_rules,
	       c->chain_limit ? " (all of them reached its budget for " : "",
	       c->chain_limit ? c->chain_limit : "", c->chain_limit ? ")" : "");
	for (unsigned i = 0; i < c->n_trees; i++) {
		const struct ef_tree_info *tr = &c->trees[i];

		printf("  %-10s IPv%d   %zu rules (%zu boxes), depth %u, at most %u node lookups, %zu leaves of up to %zu entries (%.1f on average), %zu KiB\n",
		       tree_kind(tr), tr->family == EF_AF_INET ? 4 : 6, tr->rules, tr->boxes,
		       tr->depth, tr->steps, tr->leaves, tr->max_leaf,
		       tr->leaves ? (double)tr->leaf_entries / (double)tr->leaves : 0.0,
		       (tr->bytes + 1023) / 1024);
	}
	printf("  (edgefw compile --json lists the rules each holds)\n");
	printf("\nchained fields (one lookup each, in this order):\n");
	if (!c->n_dims)
		printf("  none: %s\n", rs->n_rules ? "the first rule matches every packet"
						   : "no rules, the defaults decide");
	for (unsigned i = 0; i < c->n_dims; i++)
		printf("  %-16s %8zu classes%s\n", ef_dim_name(c->dims[i]),
		       c->n_leaf_classes[c->dims[i]],
		       !i                   ? ""
		       : c->stages[i].width ? ", dense pairs"
					    : ", hashed pairs");
	printf("\ntables per generation:\n");
	printf("  IPv4 prefixes      src %zu, dst %zu (in %zu trie cells)\n",
	       t->v4_prefixes[EF_FIELD_SRC], t->v4_prefixes[EF_FIELD_DST],
	       c->n_cells + ef_l1_extra(c));
	printf("  IPv6 prefixes      src %zu, dst %zu (LPM trie)\n", t->v6_prefixes[EF_FIELD_SRC],
	       t->v6_prefixes[EF_FIELD_DST]);
	printf("  chain              %zu classes, %zu dense pairs, %zu hashed pairs\n",
	       c->n_classes, t->dense_pairs, t->hashed_pairs);
	printf("  context entries    %zu\n", c->n_ctx);
	printf("  decision trees     %zu nodes, %zu leaf entries\n", c->n_tnodes, c->n_tleaves);
	printf("  memory (estimate)  %zu KiB\n", (ef_compiled_memory(c) + 1023) / 1024);
}

static int run_compile(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct table_sizes t = { 0 };
	struct ef_ruleset rs;
	struct ef_compiled c;
	bool json = false;
	int opt;

	(void)cli;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ef_cli_usage(&ef_cmd_compile);
		json = true;
	}
	if (optind != argc - 1)
		return ef_cli_usage(&ef_cmd_compile);
	if (ef_cli_compile(argv[optind], &rs, &c))
		return EF_EXIT_INPUT;
	measure(&c, &t);
	if (json)
		print_json(argv[optind], &rs, &c, &t);
	else
		print_text(argv[optind], &rs, &c, &t);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
	return EF_EXIT_OK;
}

const struct ef_command ef_cmd_compile = {
	.name = "compile",
	.usage = "FILE [--json]",
	.summary = "show what the compiler makes of FILE: fields, classes, table sizes, memory",
	.help = "  --json   print one JSON object instead of text\n"
		"FILE '-' reads the rules from standard input.\n",
	.run = run_compile,
};
