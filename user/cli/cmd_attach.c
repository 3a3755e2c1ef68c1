// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw attach / detach. */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "capacity.h"
#include "capacity_floor.h"
#include "cli.h"
#include "cli_result.h"
#include "confirm_state.h"
#include "instance.h"
#include "jsonout.h"
#include "log.h"
#include "recover.h"
#include "ruleset.h"
#include "tables.h"

static size_t count_attachments(const struct ef_instance *inst)
{
	struct edgefw_attach_key key, next;
	size_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* Parses a --hook value into a bit of *mask (1u << enum edgefw_hook). */
static int parse_hook(const char *s, unsigned *mask)
{
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		if (!strcmp(s, ef_hook_name(h))) {
			*mask |= 1u << h;
			return 0;
		}
	}
	ef_log_err("unknown hook '%s': use xdp, tc-ingress or tc-egress", s);
	return -EINVAL;
}

static int size_new_instance(const struct ef_ruleset *rs, const char *ifname)
{
	const char *names[] = { ifname };
	struct ef_needs needs;
	struct ef_compiled c;
	int ret;

	ret = ef_cli_compile_rules(rs, names, 1, &c);
	if (ret)
		return ret;
	ef_needs_of(rs, &c, &needs);
	ef_instance_size_for_needs(&needs);
	ef_compiled_free(&c);
	return 0;
}

/* --conntrack-size N: the connection table of an instance this attach
 * creates (an existing one keeps its own). */
static int parse_ct_size(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX ||
	    ef_instance_set_conntrack_size((__u32)v) || !v) {
		ef_log_err("--conntrack-size %s: give a number of flows from %u to %u", s,
			   EDGEFW_CT_MIN, EDGEFW_CT_MAX);
		return -EINVAL;
	}
	return 0;
}

/* --capacity RESOURCE=N,...: a floor of the instance's maps, added to
 * what earlier --capacity options gave. */
static int parse_capacity(const char *s, struct ef_capacity_spec *spec)
{
	char why[256];

	if (!ef_capacity_spec_parse(s, spec, why, sizeof(why)))
		return 0;
	ef_log_err("--capacity %s: %s", s, why);
	return -EINVAL;
}

/* What `edgefw attach` was asked. */
struct attach_args {
	const char *rules, *ifname;
	unsigned hooks;
	enum ef_xdp_mode mode;
	bool force, json;
	struct ef_capacity_spec capacity;
};

/* The command line into *a; an exit code when it is wrong, else -1. */
static int parse_attach_args(int argc, char **argv, struct attach_args *a)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "hook", required_argument, NULL, 'H' },
		{ "force", no_argument, NULL, 'f' },
		{ "conntrack-size", required_argument, NULL, 'c' },
		{ "capacity", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool mode_given = false;
	int opt;

	*a = (struct attach_args){ .mode = EF_XDP_AUTO };
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:m:H:f", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			a->force = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'c':
			if (parse_ct_size(optarg))
				return EF_EXIT_INPUT;
			break;
		case 'C':
			if (parse_capacity(optarg, &a->capacity))
				return EF_EXIT_INPUT;
			break;
		case 'H':
			if (parse_hook(optarg, &a->hooks))
				return EF_EXIT_INPUT;
			break;
		case 'r':
			a->rules = optarg;
			break;
		case 'm':
			if (ef_xdp_mode_parse(optarg, &a->mode)) {
				ef_log_err("unknown mode '%s': use native, generic or auto",
					   optarg);
				return EF_EXIT_INPUT;
			}
			mode_given = true;
			break;
		default:
			return ef_cli_usage(&ef_cmd_attach);
		}
	}
	if (optind != argc - 1 || !a->rules)
		return ef_cli_usage(&ef_cmd_attach);
	a->ifname = argv[optind];
	if (!a->hooks)
		a->hooks = 1u << EDGEFW_HOOK_XDP;
	/* As in a config's interfaces entry: a mode without XDP is a mistake. */
	if (mode_given && !(a->hooks & (1u << EDGEFW_HOOK_XDP))) {
		ef_log_err(
			"--mode applies to the xdp hook only, which this attach does not name: leave --mode out for tc hooks");
		return EF_EXIT_INPUT;
	}
	return -1;
}

/* One hook's outcome, {"hook": ..., "result": ...}, for the JSON's
 * "hooks" array. */
static void add_hook_result(struct json_object *hooks, uint32_t h, const char *result)
{
	struct json_object *o;

	if (!hooks)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "hook", json_object_new_string(ef_hook_name(h)));
	json_object_object_add(o, "result", json_object_new_string(result));
	json_object_array_add(hooks, o);
}

/* Attaches to the hooks asked for that are not attached yet (reattached:
 * those that are, whose rules the apply just reloaded): all of them, or,
 * on failure, none of those this call added. Each hook's outcome goes to
 * hooks (NULL without --json). An exit code. */
static int attach_hooks(struct ef_instance *inst, const struct attach_args *a, int ifindex,
			unsigned reattached, size_t n_rules, struct json_object *hooks)
{
	unsigned added = 0;
	int code = EF_EXIT_OK;

	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		if (!(a->hooks & (1u << h)))
			continue;
		if (reattached & (1u << h)) {
			ef_cli_result_say(
				"edgefw (instance %s) is already attached to %s (%s): rules reloaded from %s (%zu rules)",
				inst->name, a->ifname, ef_hook_name(h), a->rules, n_rules);
			add_hook_result(hooks, h, "reloaded");
			continue;
		}
		if (ef_hook_attach(inst, ifindex, a->ifname, h, a->mode)) {
			code = EF_EXIT_SYSTEM;
			break;
		}
		added |= 1u << h;
		ef_cli_result_say("edgefw (instance %s) attached to %s (%s): %zu rules from %s",
				  inst->name, a->ifname, ef_hook_name(h), n_rules, a->rules);
		add_hook_result(hooks, h, "attached");
	}
	for (uint32_t h = 0; code != EF_EXIT_OK && h < EDGEFW_HOOK_COUNT; h++)
		if ((added & (1u << h)) && !ef_hook_detach(inst, ifindex, a->ifname, h))
			ef_log_info("detached %s (%s) again", a->ifname, ef_hook_name(h));
	return code;
}

static int run_attach(const struct ef_cli *cli, int argc, char **argv)
{
	static const char *const keys[] = {
		"instance", "interface", "file", "rules", "hooks", NULL
	};
	struct json_object *hooks = NULL;
	struct attach_args a;
	char what[128];
	unsigned reattached = 0;
	struct ef_apply_summary sum;
	struct ef_instance inst;
	struct ef_ruleset rs;
	bool have_inst = false;
	int ifindex, code;

	code = parse_attach_args(argc, argv, &a);
	if (code >= 0)
		return code;
	/* A bad rules file must change nothing: check it before touching
	 * the kernel. */
	if (ef_cli_load_rules(a.rules, &rs))
		return EF_EXIT_INPUT;
	ef_cli_result_begin("attach", a.json, keys);
	ef_cli_result_set("instance", ef_json_str(cli->instance));
	ef_cli_result_set("interface", ef_json_str(a.ifname));
	ef_cli_result_set("file", ef_json_str(a.rules));
	ef_cli_result_set("rules", json_object_new_int64((int64_t)rs.n_rules));
	if (a.json)
		hooks = json_object_new_array();

	ifindex = (int)if_nametoindex(a.ifname);
	if (!ifindex) {
		ef_log_err("interface '%s' does not exist (see 'ip link')", a.ifname);
		code = EF_EXIT_INPUT;
		goto out;
	}

	/* Compiling once before touching the kernel refuses a ruleset that
	 * cannot fit, and sizes the instance should this attach create it
	 * (at least --capacity; an existing one grows to it). */
	ef_instance_set_capacity_floor(&a.capacity);
	if (size_new_instance(&rs, a.ifname)) {
		code = EF_EXIT_INPUT;
		goto out;
	}
	snprintf(what, sizeof(what), "edgefw attach %s --rules %s", a.ifname, a.rules);
	code = ef_cli_owner_gate(cli, what, a.force);
	if (code != EF_EXIT_OK)
		goto out;
	if (ef_instance_open(cli->instance, EF_OPEN_CREATE, &inst)) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	have_inst = true;
	ef_hook_recover_all(&inst);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++)
		if ((a.hooks & (1u << h)) && ef_hook_is_attached(&inst, ifindex, h))
			reattached |= 1u << h;

	code = ef_cli_apply(&inst, &rs, a.ifname, &sum);
	if (code == EF_EXIT_OK)
		code = attach_hooks(&inst, &a, ifindex, reattached, rs.n_rules, hooks);
	ef_cli_result_set("hooks", json_object_get(hooks));
out:
	if (have_inst) {
		/* A first attach that failed leaves no pins behind. */
		if (code != EF_EXIT_OK && !count_attachments(&inst))
			ef_instance_destroy(&inst);
		else
			ef_instance_close(&inst);
	}
	ef_ruleset_free(&rs);
	json_object_put(hooks);
	return ef_cli_result_end(code);
}

/* The recorded attachments on ifname, as a mask of hooks, with the
 * interface index each was recorded under. The interface may be gone, so
 * the recorded name counts as much as the current index. */
static unsigned find_attachments(const struct ef_instance *inst, const char *ifname,
				 int ifindex_of[EDGEFW_HOOK_COUNT])
{
	struct edgefw_attach_key key, next;
	struct edgefw_attach_val val;
	int ifindex = (int)if_nametoindex(ifname);
	unsigned found = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		key = next;
		prev = &key;
		if (key.hook >= EDGEFW_HOOK_COUNT ||
		    bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
			continue;
		if ((ifindex && key.ifindex == (__u32)ifindex) ||
		    !strncmp(val.ifname, ifname, sizeof(val.ifname))) {
			found |= 1u << key.hook;
			ifindex_of[key.hook] = (int)key.ifindex;
		}
	}
	return found;
}

/* Whether every hook asked for is attached (hooks: the ones asked for,
 * found: the ones attached); says what is not. */
static int detach_check(const struct ef_instance *inst, const char *ifname, unsigned hooks,
			unsigned found)
{
	int code = EF_EXIT_OK;

	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		if ((hooks & (1u << h)) && !(found & (1u << h))) {
			ef_log_err(
				"edgefw instance '%s' is not attached to %s (%s): see 'edgefw --instance %s status'",
				inst->name, ifname, ef_hook_name(h), inst->name);
			code = EF_EXIT_INPUT;
		}
	}
	if (!hooks) {
		ef_log_err(
			"edgefw instance '%s' is not attached to %s: see 'edgefw --instance %s status'",
			inst->name, ifname, inst->name);
		code = EF_EXIT_INPUT;
	}
	return code;
}

/* Detaches each hook of hooks, and says so (text, or JSON array). */
static int detach_hooks(struct ef_instance *inst, const char *ifname, unsigned hooks,
			const int *ifindex_of, bool json)
{
	struct json_object *done = json ? json_object_new_array() : NULL;
	int code = EF_EXIT_OK;

	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		if (!(hooks & (1u << h)))
			continue;
		if (ef_hook_detach(inst, ifindex_of[h], ifname, h)) {
			code = EF_EXIT_SYSTEM;
			continue;
		}
		ef_cli_result_say("edgefw (instance %s) detached from %s (%s)", inst->name, ifname,
				  ef_hook_name(h));
		add_hook_result(done, h, "detached");
	}
	ef_cli_result_set("hooks", done);
	return code;
}

static int run_detach(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hook", required_argument, NULL, 'H' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { "instance", "interface", "hooks", "instance_removed",
					    NULL };
	struct ef_instance inst;
	const char *ifname;
	bool force = false, json = false;
	char what[128];
	int ifindex_of[EDGEFW_HOOK_COUNT] = { 0 };
	unsigned hooks = 0, found;
	int opt, ret, code = EF_EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "H:f", opts, NULL)) != -1) {
		if (opt == 'f' || opt == 'j') {
			*(opt == 'f' ? &force : &json) = true;
			continue;
		}
		if (opt != 'H')
			return ef_cli_usage(&ef_cmd_detach);
		if (parse_hook(optarg, &hooks))
			return EF_EXIT_INPUT;
	}
	if (optind != argc - 1)
		return ef_cli_usage(&ef_cmd_detach);
	ifname = argv[optind];
	ef_cli_result_begin("detach", json, keys);
	ef_cli_result_set("instance", ef_json_str(cli->instance));
	ef_cli_result_set("interface", ef_json_str(ifname));
	snprintf(what, sizeof(what), "edgefw detach %s", ifname);
	code = ef_cli_owner_gate(cli, what, force);
	if (code != EF_EXIT_OK)
		return code;

	ret = ef_instance_open(cli->instance, 0, &inst);
	if (ret == -ENOENT) {
		ef_log_err("edgefw instance '%s' is not attached anywhere, so not to %s",
			   cli->instance, ifname);
		return EF_EXIT_INPUT;
	}
	if (ret)
		return EF_EXIT_SYSTEM;

	found = find_attachments(&inst, ifname, ifindex_of);
	if (!hooks)
		hooks = found;
	code = detach_check(&inst, ifname, hooks, found);
	if (code == EF_EXIT_OK)
		code = detach_hooks(&inst, ifname, hooks, ifindex_of, json);
	/* The last detach takes the instance's pins with it (and what
	 * reload --confirm kept for it). */
	found = (unsigned)count_attachments(&inst);
	ef_cli_result_set("instance_removed", json_object_new_boolean(!found));
	if (!found) {
		ef_confirm_state_forget(inst.name);
		if (ef_instance_destroy(&inst))
			code = EF_EXIT_SYSTEM;
	} else {
		ef_instance_close(&inst);
	}
	return ef_cli_result_end(code);
}

const struct ef_command ef_cmd_attach = {
	.name = "attach",
	.usage =
		"IFNAME --rules FILE [--hook xdp|tc-ingress|tc-egress]... [--mode native|generic|auto] [--conntrack-size N] [--capacity RESOURCE=N[,...]] [--force] [--json]",
	.summary = "compile FILE and enforce it on IFNAME (XDP or tc)",
	.help = "  --rules FILE   the rules file (see rules/README.md)\n"
		"  --hook HOOK    xdp (default), tc-ingress or tc-egress; repeat\n"
		"                 it to attach several hooks at once\n"
		"  --mode MODE    XDP only: native, generic, or auto (default:\n"
		"                 native, falling back to generic with a warning)\n"
		"  --conntrack-size N  flows the connection table of a new instance\n"
		"                 holds (default: 1/512 of memory; not confirmed\n"
		"                 yet: a quarter more); an existing instance keeps\n"
		"                 its own\n"
		"  --capacity RESOURCE=N[,RESOURCE=N]...  a floor for the\n"
		"                 instance's maps, per generation: cells, classes,\n"
		"                 tree-nodes, tree-leaf-entries, hashed-pairs,\n"
		"                 ipv6-hosts (status shows them; compile --json\n"
		"                 what a ruleset needs). A new instance is made at\n"
		"                 least this large, an existing smaller one grows to\n"
		"                 it in place; a ruleset needing more still grows\n"
		"                 it; capacity never shrinks (edgefw(8))\n"
		"Attaching an instance again to the same interface and hook reloads\n"
		"the rules. tc hooks use a direct-action bpf filter on the clsact\n"
		"qdisc (created when absent, never deleted) at pref 3807, handle\n"
		"0xedf; other filters are left alone.\n"
		"  --force        even on an instance an edgefwd manages (refused\n"
		"                 otherwise, exit 1); edgefwd logs it and puts its\n"
		"                 own rules and attachments back\n"
		"  --json         print the outcome as one JSON object (edgefw-json(7))\n",
	.run = run_attach,
};

const struct ef_command ef_cmd_detach = {
	.name = "detach",
	.usage = "IFNAME [--hook xdp|tc-ingress|tc-egress]... [--force] [--json]",
	.summary = "remove edgefw from IFNAME; other programs and filters stay",
	.help = "  --hook HOOK    detach only this hook (repeatable); default:\n"
		"                 every hook edgefw is attached to on IFNAME\n"
		"  --force        even on an instance an edgefwd manages\n"
		"  --json         print the outcome as one JSON object (edgefw-json(7))\n"
		"The last detach of an instance removes its pinned maps.\n",
	.run = run_detach,
};
