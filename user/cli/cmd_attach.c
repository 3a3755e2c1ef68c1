// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefw attach / detach. */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "instance.h"
#include "log.h"
#include "tables.h"
#include "xdp_attach.h"

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

static int run_attach(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	enum ef_xdp_mode mode = EF_XDP_AUTO;
	struct ef_apply_summary sum;
	struct ef_instance inst;
	struct ef_ruleset rs;
	struct ef_compiled c;
	const char *rules = NULL, *ifname;
	bool have_inst = false, loaded = false, compiled = false, reattach;
	const char **ifnames = NULL;
	size_t n_ifnames = 0;
	int ifindex, opt, ret, code = EF_EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:m:", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rules = optarg;
			break;
		case 'm':
			if (ef_xdp_mode_parse(optarg, &mode)) {
				ef_log_err("unknown mode '%s': use native, generic or auto",
					   optarg);
				return EF_EXIT_INPUT;
			}
			break;
		default:
			return ef_cli_usage(&ef_cmd_attach);
		}
	}
	if (optind != argc - 1 || !rules)
		return ef_cli_usage(&ef_cmd_attach);
	ifname = argv[optind];

	/* A bad rules file must change nothing: check it before touching
	 * the kernel. */
	if (ef_cli_load_rules(rules, &rs))
		return EF_EXIT_INPUT;
	loaded = true;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		ef_log_err("interface '%s' does not exist (see 'ip link')", ifname);
		code = EF_EXIT_INPUT;
		goto out;
	}

	ret = ef_instance_open(cli->instance, EF_OPEN_CREATE, &inst);
	if (ret) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	have_inst = true;
	reattach = ef_xdp_is_attached(&inst, ifindex);

	/* `interfaces` patterns resolve against every attached interface. */
	ret = ef_instance_ifnames(&inst, ifname, &ifnames, &n_ifnames);
	if (ret) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	if (ef_cli_compile_rules(&rs, ifnames, n_ifnames, &c)) {
		code = EF_EXIT_INPUT;
		goto out;
	}
	compiled = true;

	ret = ef_tables_apply(&inst, &rs, &c, &sum);
	if (ret) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	if (reattach) {
		printf("edgefw (instance %s) is already attached to %s: rules reloaded from %s (%zu rules)\n",
		       inst.name, ifname, rules, rs.n_rules);
		goto out;
	}
	ret = ef_xdp_attach(&inst, ifindex, ifname, mode);
	if (ret) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	printf("edgefw (instance %s) attached to %s (xdp): %zu rules from %s\n",
	       inst.name, ifname, rs.n_rules, rules);
out:
	if (have_inst) {
		/* A first attach that failed leaves no pins behind. */
		if (code != EF_EXIT_OK && !count_attachments(&inst))
			ef_instance_destroy(&inst);
		else
			ef_instance_close(&inst);
	}
	if (compiled)
		ef_compiled_free(&c);
	if (loaded)
		ef_ruleset_free(&rs);
	free(ifnames);
	return code;
}

/* Finds the recorded XDP attachment for ifname; the interface may be gone,
 * so the recorded name counts as much as the current index. */
static int find_attachment(const struct ef_instance *inst, const char *ifname,
			   struct edgefw_attach_key *out)
{
	struct edgefw_attach_key key, next;
	struct edgefw_attach_val val;
	int ifindex = (int)if_nametoindex(ifname);
	void *prev = NULL;

	while (!bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		key = next;
		prev = &key;
		if (key.hook != EDGEFW_HOOK_XDP ||
		    bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
			continue;
		if ((ifindex && key.ifindex == (__u32)ifindex) ||
		    !strncmp(val.ifname, ifname, sizeof(val.ifname))) {
			*out = key;
			return 0;
		}
	}
	return -ENOENT;
}

static int run_detach(const struct ef_cli *cli, int argc, char **argv)
{
	struct edgefw_attach_key key;
	struct ef_instance inst;
	const char *ifname;
	int ret, code = EF_EXIT_OK;

	if (argc != 2)
		return ef_cli_usage(&ef_cmd_detach);
	ifname = argv[1];

	ret = ef_instance_open(cli->instance, 0, &inst);
	if (ret == -ENOENT) {
		ef_log_err("edgefw instance '%s' is not attached anywhere, so not to %s",
			   cli->instance, ifname);
		return EF_EXIT_INPUT;
	}
	if (ret)
		return EF_EXIT_SYSTEM;

	if (find_attachment(&inst, ifname, &key)) {
		ef_log_err("edgefw instance '%s' is not attached to %s",
			   inst.name, ifname);
		code = EF_EXIT_INPUT;
		goto out;
	}
	ret = ef_xdp_detach(&inst, (int)key.ifindex, ifname);
	if (ret) {
		code = EF_EXIT_SYSTEM;
		goto out;
	}
	printf("edgefw (instance %s) detached from %s\n", inst.name, ifname);
out:
	/* The last detach takes the instance's pins with it. */
	if (!count_attachments(&inst)) {
		if (ef_instance_destroy(&inst))
			code = EF_EXIT_SYSTEM;
	} else {
		ef_instance_close(&inst);
	}
	return code;
}

const struct ef_command ef_cmd_attach = {
	.name = "attach",
	.usage = "IFNAME --rules FILE [--mode native|generic|auto]",
	.summary = "compile FILE and enforce it with XDP on IFNAME",
	.help = "  --rules FILE   the rules file (see rules/README.md)\n"
		"  --mode MODE    native, generic, or auto (default: native,\n"
		"                 falling back to generic with a warning)\n"
		"Attaching an instance again to the same interface reloads the rules.\n",
	.run = run_attach,
};

const struct ef_command ef_cmd_detach = {
	.name = "detach",
	.usage = "IFNAME",
	.summary = "remove edgefw from IFNAME; other XDP programs stay",
	.run = run_detach,
};
