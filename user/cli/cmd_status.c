// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw status [--json]: where an instance is attached, and which ruleset
 * is in force. */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "confirm_state.h"
#include "status_source.h"
#include "instance.h"
#include "jsonout.h"
#include "log.h"
#include "memory.h"
#include "owner.h"
#include "status_capacity.h"
#include "status_memory.h"
#include "tc_attach.h"
#include "version.h"
#include "xdp_attach.h"

struct status_att {
	struct edgefw_attach_key key;
	struct edgefw_attach_val val;
	bool attached; /* the recorded program is still on the hook */
};

struct status {
	struct ef_ruleset_state rs;
	struct status_att att[EDGEFW_MAX_ATTACH];
	size_t n_att;
	struct ef_memory mem;
	struct ef_capacity cap;
};

static int cmp_att(const void *a, const void *b)
{
	const struct status_att *x = a, *y = b;
	int c = strncmp(x->val.ifname, y->val.ifname, sizeof(x->val.ifname));

	if (c)
		return c;
	return (x->key.hook > y->key.hook) - (x->key.hook < y->key.hook);
}

static int status_read(struct ef_instance *inst, struct status *st)
{
	struct edgefw_attach_key key, next;
	void *prev = NULL;
	int ret = ef_instance_read_state(inst, &st->rs);

	if (!ret)
		ret = ef_instance_memory(inst, &st->mem);
	if (!ret)
		ret = ef_instance_capacity(inst, &st->cap);
	if (ret)
		return ret;
	while (st->n_att < EDGEFW_MAX_ATTACH &&
	       !bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		struct status_att *a = &st->att[st->n_att];

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(inst->maps.attachments, &key, &a->val))
			continue;
		a->key = key;
		a->val.ifname[sizeof(a->val.ifname) - 1] = '\0';
		if (key.hook == EDGEFW_HOOK_XDP)
			a->attached = ef_xdp_is_attached(inst, (int)key.ifindex);
		else
			a->attached = ef_tc_is_attached(inst, (int)key.ifindex,
							(enum edgefw_hook)key.hook);
		st->n_att++;
	}
	qsort(st->att, st->n_att, sizeof(st->att[0]), cmp_att);
	return 0;
}

static const char *att_mode(const struct status_att *a)
{
	return a->key.hook == EDGEFW_HOOK_XDP ? ef_xdp_mode_name(a->val.mode) : "tc";
}

/* A change made with reload --confirm, without a daemon, awaiting
 * confirmation (a daemon's shows in its own status). */
static struct json_object *confirmation_json(const char *instance)
{
	struct json_object *o = json_object_new_object();
	struct ef_confirm_rec p;
	bool pending = !ef_pending_load(instance, &p);

	json_object_object_add(o, "pending", json_object_new_boolean(pending));
	json_object_object_add(o, "rollback_at", pending ? ef_json_time(p.deadline, -1) : NULL);
	if (pending)
		ef_confirm_rec_free(&p);
	return o;
}

static struct json_object *owner_json(const struct ef_owner_info *owner)
{
	struct json_object *o;

	if (!owner->pid)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(owner->pid));
	json_object_object_add(o, "config", ef_json_str(owner->config));
	json_object_object_add(o, "socket", ef_json_str(owner->socket));
	return o;
}

static struct json_object *attachments_json(const struct status *st)
{
	struct json_object *atts = json_object_new_array();

	for (size_t i = 0; st && i < st->n_att; i++) {
		const struct status_att *a = &st->att[i];
		json_object *o = json_object_new_object();
		char name[sizeof(a->val.ifname) + 1] = "";

		memcpy(name, a->val.ifname, sizeof(a->val.ifname));
		json_object_object_add(o, "interface", ef_json_str(name));
		json_object_object_add(o, "ifindex", json_object_new_int64(a->key.ifindex));
		json_object_object_add(o, "hook",
				       json_object_new_string(ef_hook_name(a->key.hook)));
		json_object_object_add(o, "mode", json_object_new_string(att_mode(a)));
		json_object_object_add(o, "prog_id", json_object_new_int64(a->val.prog_id));
		json_object_object_add(o, "attached", json_object_new_boolean(a->attached));
		json_object_array_add(atts, o);
	}
	return atts;
}

static json_object *usage_json(__u32 used, __u32 cap)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "used", json_object_new_uint64(used));
	json_object_object_add(o, "capacity", json_object_new_uint64(cap));
	return o;
}

/* Which structures hold the rules, and how full the generation's arrays
 * are against what the instance was created with; NULL when no instance. */
static json_object *structures_json(const struct status *st)
{
	const struct ef_ruleset_state *rs;
	json_object *o;

	if (!st)
		return NULL;
	rs = &st->rs;
	o = json_object_new_object();
	json_object_object_add(o, "chain_rules", json_object_new_uint64(rs->n_chain_rules));
	json_object_object_add(o, "tree_rules",
			       json_object_new_uint64(rs->n_rules - rs->n_chain_rules));
	json_object_object_add(o, "cells", usage_json(rs->cells, rs->cells_cap));
	json_object_object_add(o, "classes", usage_json(rs->classes, rs->classes_cap));
	json_object_object_add(o, "tree_nodes", usage_json(rs->tnodes, rs->tnodes_cap));
	json_object_object_add(o, "tree_leaf_entries", usage_json(rs->tleaves, rs->tleaves_cap));
	/* Not per generation: the instance's counter slots. */
	json_object_object_add(o, "rule_slots", usage_json(rs->n_rules, rs->rule_slots_cap));
	return o;
}

/* st NULL: the instance does not exist. */
static void print_json(const char *instance, const struct status *st,
		       const struct ef_owner_info *owner)
{
	json_object *root = json_object_new_object(), *src;
	bool loaded = st && st->rs.loaded;
	char hash[19];

	snprintf(hash, sizeof(hash), "%016llx",
		 st ? (unsigned long long)st->rs.ruleset_hash : 0ULL);
	json_object_object_add(root, "instance", json_object_new_string(instance));
	json_object_object_add(root, "exists", json_object_new_boolean(st != NULL));
	json_object_object_add(root, "loaded", json_object_new_boolean(loaded));
	json_object_object_add(root, "generation", st ? json_object_new_int64(st->rs.gen) : NULL);
	json_object_object_add(root, "ruleset_hash", loaded ? json_object_new_string(hash) : NULL);
	json_object_object_add(root, "loaded_at",
			       loaded ? ef_json_time((time_t)st->rs.loaded_at, -1) : NULL);
	json_object_object_add(root, "version", json_object_new_uint64(st ? st->rs.version : 0));
	json_object_object_add(root, "rules", json_object_new_uint64(st ? st->rs.n_rules : 0));
	json_object_object_add(root, "structures", structures_json(st));
	json_object_object_add(root, "capacity", st ? ef_status_capacity_json(&st->cap) : NULL);
	json_object_object_add(root, "memory",
			       st ? ef_status_memory_json(&st->mem, &st->rs) : NULL);
	json_object_object_add(root, "attachments", attachments_json(st));
	json_object_object_add(root, "managed_by", owner_json(owner));
	json_object_object_add(root, "confirmation", confirmation_json(instance));
	if ((src = ef_cli_daemon_source(owner))) /* issue 18 */
		json_object_object_add(root, "source", src);
	ef_json_envelope(root, "status");
	ef_json_print(root, true);
	json_object_put(root);
}

/* A change made with reload --confirm without a daemon, if one waits. */
static void print_pending(const char *instance)
{
	struct ef_confirm_rec p;
	char when[32] = "?";
	struct tm tm;

	if (ef_pending_load(instance, &p))
		return;
	if (gmtime_r(&p.deadline, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("confirm    a change awaits confirmation: it rolls back to %016llx at %s unless 'edgefw --instance %s confirm' follows\n",
	       (unsigned long long)p.back.rules_hash, when, instance);
	ef_confirm_rec_free(&p);
}

static void print_table(const char *instance, const struct status *st,
			const struct ef_owner_info *owner)
{
	time_t t = (time_t)st->rs.loaded_at;
	char when[64] = "never";
	struct tm tm;

	if (t && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("instance   %s (edgefw %s)\n", instance, ef_version());
	if (owner->pid)
		printf("managed by edgefwd pid %d, config %s, control socket %s\n", (int)owner->pid,
		       owner->config, owner->socket);
	if (owner->pid) {
		json_object *src = ef_cli_daemon_source(owner);

		ef_cli_print_source(src);
		json_object_put(src);
	}
	printf("ruleset    %016llx, version %llu, loaded %s\n",
	       (unsigned long long)st->rs.ruleset_hash, (unsigned long long)st->rs.version, when);
	printf("generation %u%s\n", st->rs.gen, st->rs.loaded ? "" : " (no ruleset loaded)");
	printf("rules      %u: %u in the chain, %u in decision trees\n", st->rs.n_rules,
	       st->rs.n_chain_rules, st->rs.n_rules - st->rs.n_chain_rules);
	printf("capacity   per generation, used of created: cells %u of %u, classes %u of %u, tree nodes %u of %u, tree leaf entries %u of %u\n",
	       st->rs.cells, st->rs.cells_cap, st->rs.classes, st->rs.classes_cap, st->rs.tnodes,
	       st->rs.tnodes_cap, st->rs.tleaves, st->rs.tleaves_cap);
	ef_status_capacity_print(stdout, &st->cap);
	printf("           rule counter slots %u of %u\n", st->rs.n_rules, st->rs.rule_slots_cap);
	ef_status_memory_print(stdout, &st->mem, &st->rs);
	print_pending(instance);
	printf("\n");
	printf("%-16s %-11s %-8s %8s  %s\n", "INTERFACE", "HOOK", "MODE", "PROG", "STATE");
	for (size_t i = 0; i < st->n_att; i++) {
		const struct status_att *a = &st->att[i];

		printf("%-16s %-11s %-8s %8u  %s\n", a->val.ifname, ef_hook_name(a->key.hook),
		       att_mode(a), a->val.prog_id,
		       a->attached ? "attached" : "missing (edgefw detach, then attach again)");
	}
}

static int run_status(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ef_owner_info owner;
	struct ef_instance inst;
	struct status *st;
	bool json = false;
	int opt, ret, code = EF_EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ef_cli_usage(&ef_cmd_status);
		json = true;
	}
	if (optind != argc)
		return ef_cli_usage(&ef_cmd_status);

	ret = ef_instance_open(cli->instance, EF_OPEN_SHARED, &inst);
	if (ret == -ENOENT && json) {
		/* For a probe: an answer, not an error (documented: exit 0). */
		if (ef_owner_query(cli->instance, &owner) != 1)
			memset(&owner, 0, sizeof(owner));
		print_json(cli->instance, NULL, &owner);
		return EF_EXIT_OK;
	}
	if (ret == -ENOENT) {
		ef_log_err(
			"no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
			cli->instance);
		return EF_EXIT_INPUT;
	}
	if (ret)
		return EF_EXIT_SYSTEM;
	st = calloc(1, sizeof(*st));
	if (!st) {
		ef_log_err("out of memory reading the status of instance '%s'", inst.name);
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	if (status_read(&inst, st)) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	/* Who owns it, if anyone: unknown is shown as nobody. */
	if (ef_owner_query(inst.name, &owner) != 1)
		memset(&owner, 0, sizeof(owner));
	if (json)
		print_json(inst.name, st, &owner);
	else
		print_table(inst.name, st, &owner);
out:
	free(st);
	ef_instance_close(&inst);
	return code;
}

const struct ef_command ef_cmd_status = {
	.name = "status",
	.usage = "[--json]",
	.summary = "show where the instance is attached and which ruleset is in force",
	.help = "  --json   print one JSON object instead of a table (user/json.md);\n"
		"           an instance that does not exist is {\"exists\": false,\n"
		"           \"loaded\": false, ...} with exit 0 (without --json: exit 1)\n"
		"For each attachment: interface, hook, mode (native or generic for\n"
		"XDP), program id and whether that program is still on the hook.\n",
	.run = run_status,
};
