// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw show [--json] [--full]: the ruleset in force, as `nft list
 * ruleset` prints what the kernel enforces. It comes from the instance (the
 * canonical copy of the active generation, gen_rules.h), not from a file
 * that may have changed since the reload: YAML that `edgefw check` accepts
 * and, with --full, compiles to the same ruleset hash.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "canon.h"
#include "cli.h"
#include "gen_rules.h"
#include "instance.h"
#include "jsonout.h"
#include "log.h"

#define SHOW_PREVIEW 5 /* set entries shown without --full */
#define READ_TRIES 3   /* two reloads may pass between state and copy */

void ef_active_rules_free(struct ef_active_rules *a)
{
	free(a->text);
	free((void *)a->ifnames);
	memset(a, 0, sizeof(*a));
}

static int read_copy(struct ef_instance *inst, struct ef_active_rules *a)
{
	struct ef_ruleset_state st;
	int ret = -ESTALE;

	for (int i = 0; i < READ_TRIES && ret == -ESTALE; i++) {
		ret = ef_instance_read_state(inst, &st);
		if (ret)
			return EF_EXIT_SYSTEM;
		if (!st.loaded) {
			ef_log_err(
				"instance '%s' has no ruleset in force yet: attach or reload one",
				inst->name);
			return EF_EXIT_INPUT;
		}
		ret = ef_gen_rules_read(inst->name, st.gen, st.ruleset_hash, &a->text, &a->len);
	}
	if (ret) {
		ef_log_err(
			"cannot read the copy of the ruleset in force in instance '%s' (generation %u, hash %016llx) at %s/%s.gen%u.yaml: %s; reload the rules once with this edgefw to record it",
			inst->name, st.gen, (unsigned long long)st.ruleset_hash, EF_GEN_RULES_DIR,
			inst->name, st.gen,
			ret == -ESTALE ? "it is another ruleset's" : strerror(-ret));
		return EF_EXIT_SYSTEM;
	}
	a->gen = st.gen;
	a->version = st.version;
	a->hash = st.ruleset_hash;
	a->loaded_at = st.loaded_at;
	a->n_rules = st.n_rules;
	a->n_chain_rules = st.n_chain_rules;
	a->cells = st.cells;
	a->classes = st.classes;
	a->tnodes = st.tnodes;
	a->tleaves = st.tleaves;
	a->memory_estimate = st.memory_estimate;
	return 0;
}

int ef_cli_active_rules(const char *instance, struct ef_active_rules *a, struct ef_ruleset *rs)
{
	struct ef_instance inst;
	struct ef_diag d = { 0 };
	char name[96];
	int ret;

	memset(a, 0, sizeof(*a));
	ret = ef_instance_open(instance, EF_OPEN_SHARED, &inst);
	if (ret == -ENOENT) {
		ef_log_err(
			"no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
			instance);
		return EF_EXIT_INPUT;
	}
	if (ret)
		return EF_EXIT_SYSTEM;
	ret = read_copy(&inst, a);
	if (!ret && ef_instance_ifnames(&inst, NULL, &a->ifnames, &a->n_ifnames)) {
		ef_log_err("cannot list the interfaces of instance '%s': out of memory", instance);
		ret = EF_EXIT_SYSTEM;
	}
	ef_instance_close(&inst);
	if (ret)
		ef_active_rules_free(a);
	if (ret || !rs)
		return ret;
	snprintf(name, sizeof(name), "@active(%s)", instance);
	/* The copy holds no list file names: it cannot open anything. */
	if (ef_ruleset_parse_flags(name, a->text, a->len, EF_PARSE_NO_LIST_FILES, rs, &d)) {
		ef_diag_print(&d, stderr);
		ef_log_err(
			"the copy of the ruleset in force in '%s' does not parse with this edgefw (another version wrote it?)",
			instance);
		ef_active_rules_free(a);
		ret = EF_EXIT_SYSTEM;
	}
	ef_diag_free(&d);
	return ret;
}

/* Whether the summary leaves entries out: then it is a different ruleset,
 * with another hash. With every set under the preview it is the full text. */
static bool summary_cuts(const struct ef_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_sets; i++)
		if (!rs->sets[i].dynamic && rs->sets[i].n_entries > SHOW_PREVIEW)
			return true;
	return false;
}

static void iso(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
}

static struct json_object *sets_json(const struct ef_ruleset *rs, bool full)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < rs->n_sets; i++) {
		const struct ef_set *s = &rs->sets[i];
		size_t max = full ? s->n_entries : SHOW_PREVIEW, n = 0;
		char(*first)[48] = calloc(max ? max : 1, sizeof(*first));
		struct json_object *o = json_object_new_object(), *f;

		if (first && !s->dynamic)
			n = ef_canon_set_first(rs, i, max, first);
		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "type",
				       json_object_new_string(s->dynamic               ? "dynamic"
							      : s->kind == EF_SET_ADDR ? "address"
										       : "port"));
		/* A dynamic set's entries live outside the ruleset (set list). */
		json_object_object_add(o, "entries",
				       s->dynamic ? NULL : json_object_new_uint64(s->n_entries));
		f = json_object_new_array();
		for (size_t k = 0; k < n; k++)
			json_object_array_add(f, json_object_new_string(first[k]));
		json_object_object_add(o, "first", f);
		json_object_array_add(arr, o);
		free(first);
	}
	return arr;
}

static void print_json(const char *instance, const struct ef_active_rules *a,
		       const struct ef_ruleset *rs, const char *text, bool full)
{
	struct json_object *root = json_object_new_object();
	char hash[17];

	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)a->hash);
	json_object_object_add(root, "instance", json_object_new_string(instance));
	json_object_object_add(root, "generation", json_object_new_int64(a->gen));
	json_object_object_add(root, "version", json_object_new_uint64(a->version));
	json_object_object_add(root, "ruleset_hash", json_object_new_string(hash));
	json_object_object_add(root, "loaded_at", ef_json_time((time_t)a->loaded_at, -1));
	json_object_object_add(root, "full", json_object_new_boolean(full));
	/* false: a summary, whose text compiles to another hash. */
	json_object_object_add(root, "reproduces_hash",
			       json_object_new_boolean(full || !summary_cuts(rs)));
	json_object_object_add(root, "rules", json_object_new_uint64(rs->n_rules));
	json_object_object_add(root, "sets", sets_json(rs, full));
	json_object_object_add(root, "yaml", ef_json_str(text));
	ef_json_envelope(root, "show");
	ef_json_print(root, true);
	json_object_put(root);
}

static void print_text(const char *instance, const struct ef_active_rules *a,
		       const struct ef_ruleset *rs, const char *text, bool full)
{
	char when[32];

	iso(a->loaded_at, when, sizeof(when));
	printf("# The ruleset in force in instance %s: generation %u, version %llu, loaded at %s.\n",
	       instance, a->gen, (unsigned long long)a->version, when);
	if (full || !summary_cuts(rs))
		printf("# Ruleset hash %016llx: 'edgefw check' of this text compiles to it.\n",
		       (unsigned long long)a->hash);
	else
		printf("# Ruleset hash %016llx.\n"
		       "# SUMMARY, not the ruleset: sets show their first %d entries, so this text does NOT compile to that hash.\n"
		       "# 'edgefw show --full' prints every entry, and compiles to it.\n",
		       (unsigned long long)a->hash, SHOW_PREVIEW);
	fputs(text, stdout);
}

static int run_show(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "full", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ef_canon_opts preview = { .set_preview = SHOW_PREVIEW };
	struct ef_active_rules a;
	struct ef_ruleset rs;
	bool json = false, full = false;
	char *text = NULL;
	size_t len;
	int opt, code;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j' && opt != 'f')
			return ef_cli_usage(&ef_cmd_show);
		json |= opt == 'j';
		full |= opt == 'f';
	}
	if (optind != argc)
		return ef_cli_usage(&ef_cmd_show);
	code = ef_cli_active_rules(cli->instance, &a, &rs);
	if (code)
		return code;
	if (!full && ef_canon_text(&rs, &preview, &text, &len)) {
		ef_log_err("out of memory summarising the ruleset in force");
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	if (json)
		print_json(cli->instance, &a, &rs, full ? a.text : text, full);
	else
		print_text(cli->instance, &a, &rs, full ? a.text : text, full);
out:
	free(text);
	ef_ruleset_free(&rs);
	ef_active_rules_free(&a);
	return code;
}

const struct ef_command ef_cmd_show = {
	.name = "show",
	.usage = "[--json] [--full]",
	.summary = "print the ruleset in force, read from the instance, as YAML",
	.help = "  --full   every set entry (without it: each set's first 5 entries\n"
		"           and how many more); the text then compiles to the\n"
		"           ruleset hash status shows. Without --full, a set cut\n"
		"           short makes the text a summary that compiles to\n"
		"           another hash, and the first lines say so\n"
		"  --json   one JSON object (user/json.md): instance, generation,\n"
		"           version, ruleset_hash, loaded_at, full,\n"
		"           reproduces_hash, rules, sets\n"
		"           (name, type, entries, first), yaml\n"
		"The rules come from the copy stored with the generation in force\n"
		"(/run/edgefw/INSTANCE.genN.yaml), checked against its hash, in\n"
		"canonical form: sets expanded, list files inlined, comments gone.\n",
	.run = run_show,
};
