// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw conntrack [list|count|flush] [--addr A] [--port P] [--proto P]
 * [--json]: the instance's connection table (kern/conntrack.h), and the
 * summary `edgefw stats` shows of it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cttable.h"
#include "instance.h"
#include "log.h"
#include "rules_names.h"

struct ct_opts {
	const char *verb;
	struct ef_ct_filter f;
	bool json;
};

static int parse_filter_addr(const char *s, struct ef_ct_filter *f)
{
	if (inet_pton(AF_INET, s, f->addr) == 1) {
		f->family = 4;
	} else if (inet_pton(AF_INET6, s, f->addr) == 1) {
		f->family = 6;
	} else {
		ef_log_err("--addr %s: not an IPv4 or IPv6 address", s);
		return -EINVAL;
	}
	f->has_addr = true;
	return 0;
}

static int parse_filter_num(const char *opt, const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		ef_log_err("%s %s: not a number from 0 to %u", opt, s, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_ct_opts(int argc, char **argv, struct ct_opts *o)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned v;
	int opt, num;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j') {
			o->json = true;
		} else if (opt == 'a') {
			if (parse_filter_addr(optarg, &o->f))
				return -EINVAL;
		} else if (opt == 'p') {
			if (parse_filter_num("--port", optarg, 65535, &v))
				return -EINVAL;
			o->f.port = (uint16_t)v;
			o->f.has_port = true;
		} else if (opt == 'P') {
			num = ef_name_lookup(ef_proto_names, optarg);
			if (num < 0 && parse_filter_num("--proto", optarg, 255, &v))
				return -EINVAL;
			o->f.proto = (uint8_t)(num < 0 ? (int)v : num);
			o->f.has_proto = true;
		} else {
			return -EINVAL;
		}
	}
	o->verb = optind < argc ? argv[optind++] : "list";
	if (optind != argc ||
	    (strcmp(o->verb, "list") && strcmp(o->verb, "count") && strcmp(o->verb, "flush")))
		return -EINVAL;
	return 0;
}

static void addr_text(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static const char *proto_text(uint8_t proto, char *buf, size_t len)
{
	const char *n = ef_name_of(ef_proto_names, proto);

	if (n)
		return n;
	snprintf(buf, len, "%u", proto);
	return buf;
}

static json_object *flow_json(const struct ef_ct_flow *fl)
{
	json_object *o = json_object_new_object();
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], p[8], ifn[IF_NAMESIZE];

	addr_text(fl->key.family, fl->init_addr, a, sizeof(a));
	addr_text(fl->key.family, fl->resp_addr, b, sizeof(b));
	json_object_object_add(o, "family", json_object_new_int(fl->key.family));
	json_object_object_add(o, "proto",
			       json_object_new_string(proto_text(fl->key.proto, p, sizeof(p))));
	json_object_object_add(o, "src", json_object_new_string(a));
	json_object_object_add(o, "dst", json_object_new_string(b));
	json_object_object_add(o, "sport", json_object_new_int(fl->init_port));
	json_object_object_add(o, "dport", json_object_new_int(fl->resp_port));
	json_object_object_add(o, "state", json_object_new_string(ef_ct_flow_name(fl->e.flow)));
	json_object_object_add(o, "replied",
			       json_object_new_boolean(fl->e.seen & EDGEFW_CT_SEEN_REPLY));
	json_object_object_add(o, "confirmed", json_object_new_boolean(fl->confirmed));
	json_object_object_add(o, "expired", json_object_new_boolean(fl->expired));
	json_object_object_add(o, "hook", json_object_new_string(ef_hook_name(fl->e.hook)));
	json_object_object_add(
		o, "interface",
		json_object_new_string(if_indextoname(fl->e.ifindex, ifn) ? ifn : ""));
	json_object_object_add(o, "age_s", json_object_new_uint64(fl->age_ns / 1000000000ull));
	json_object_object_add(o, "idle_s", json_object_new_uint64(fl->idle_ns / 1000000000ull));
	return o;
}

static void flow_line(const struct ef_ct_flow *fl)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], p[8], ifn[IF_NAMESIZE];
	char from[INET6_ADDRSTRLEN + 8], to[INET6_ADDRSTRLEN + 8];
	const char *fmt = fl->key.family == 4 ? "%s:%u" : "[%s]:%u";

	addr_text(fl->key.family, fl->init_addr, a, sizeof(a));
	addr_text(fl->key.family, fl->resp_addr, b, sizeof(b));
	snprintf(from, sizeof(from), fmt, a, fl->init_port);
	snprintf(to, sizeof(to), fmt, b, fl->resp_port);
	printf("%-6s %-41s %-41s %-12s %-3s %-11s %-10s %-16s %8llu %8llu\n",
	       proto_text(fl->key.proto, p, sizeof(p)), from, to,
	       fl->expired ? "expired" : ef_ct_flow_name(fl->e.flow),
	       fl->e.seen & EDGEFW_CT_SEEN_REPLY ? "yes" : "no",
	       fl->confirmed ? "confirmed" : "new", ef_hook_name(fl->e.hook),
	       if_indextoname(fl->e.ifindex, ifn) ? ifn : "?",
	       (unsigned long long)(fl->age_ns / 1000000000ull),
	       (unsigned long long)(fl->idle_ns / 1000000000ull));
}

struct list_ctx {
	const struct ct_opts *o;
	json_object *arr;
	size_t by_flow[EDGEFW_CTF_COUNT], confirmed, unconfirmed, expired;
};

static int visit(const struct ef_ct_flow *fl, void *arg)
{
	struct list_ctx *x = arg;

	if (!ef_ct_filter_match(&x->o->f, fl))
		return 0;
	if (fl->expired)
		x->expired++;
	else if (fl->e.flow < EDGEFW_CTF_COUNT)
		x->by_flow[fl->e.flow]++;
	if (fl->confirmed)
		x->confirmed++;
	else
		x->unconfirmed++;
	if (!strcmp(x->o->verb, "list")) {
		if (x->arr)
			json_object_array_add(x->arr, flow_json(fl));
		else
			flow_line(fl);
	}
	return 0;
}

static void print_count(const struct list_ctx *x, const struct ef_ct_counters *c)
{
	json_object *root, *by;

	if (!x->o->json) {
		printf("%zu flows: %zu confirmed (capacity %u), %zu not confirmed yet (capacity %u), %zu expired\n",
		       x->confirmed + x->unconfirmed, x->confirmed, c->cap, x->unconfirmed,
		       c->new_cap, x->expired);
		for (unsigned f = 0; f < EDGEFW_CTF_COUNT; f++)
			printf("  %-13s %zu\n", ef_ct_flow_name((uint8_t)f), x->by_flow[f]);
		return;
	}
	root = json_object_new_object();
	by = json_object_new_object();
	json_object_object_add(root, "flows",
			       json_object_new_uint64(x->confirmed + x->unconfirmed));
	json_object_object_add(root, "confirmed", json_object_new_uint64(x->confirmed));
	json_object_object_add(root, "unconfirmed", json_object_new_uint64(x->unconfirmed));
	json_object_object_add(root, "expired", json_object_new_uint64(x->expired));
	json_object_object_add(root, "capacity", json_object_new_uint64(c->cap));
	json_object_object_add(root, "unconfirmed_capacity", json_object_new_uint64(c->new_cap));
	for (unsigned f = 0; f < EDGEFW_CTF_COUNT; f++)
		json_object_object_add(by, ef_ct_flow_name((uint8_t)f),
				       json_object_new_uint64(x->by_flow[f]));
	json_object_object_add(root, "by_state", by);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
}

static int open_instance(const struct ef_cli *cli, unsigned flags, struct ef_instance *inst)
{
	int ret = ef_instance_open(cli->instance, flags, inst);

	if (ret == -ENOENT) {
		ef_log_err(
			"no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
			cli->instance);
		return EF_EXIT_INPUT;
	}
	return ret ? EF_EXIT_SYSTEM : EF_EXIT_OK;
}

static int run_flush(const struct ef_cli *cli, const struct ct_opts *o)
{
	struct ef_instance inst;
	size_t removed = 0;
	int code = open_instance(cli, 0, &inst);

	if (code)
		return code;
	code = ef_ct_flush(&inst, &o->f, &removed) ? EF_EXIT_SYSTEM : EF_EXIT_OK;
	ef_instance_close(&inst);
	if (o->json)
		printf("{\"removed\": %zu}\n", removed);
	else
		printf("removed %zu flows\n", removed);
	return code;
}

static int run_conntrack(const struct ef_cli *cli, int argc, char **argv)
{
	struct list_ctx x = { 0 };
	struct ef_ct_counters c;
	struct ef_instance inst;
	struct ct_opts o;
	int code;

	if (parse_ct_opts(argc, argv, &o))
		return ef_cli_usage(&ef_cmd_conntrack);
	if (!strcmp(o.verb, "flush"))
		return run_flush(cli, &o);
	code = open_instance(cli, EF_OPEN_SHARED, &inst);
	if (code)
		return code;
	x.o = &o;
	if (o.json && !strcmp(o.verb, "list"))
		x.arr = json_object_new_array();
	else if (!o.json && !strcmp(o.verb, "list"))
		printf("%-6s %-41s %-41s %-12s %-3s %-11s %-10s %-16s %8s %8s\n", "PROTO",
		       "INITIATOR", "RESPONDER", "STATE", "REP", "TABLE", "HOOK", "INTERFACE",
		       "AGE", "IDLE");
	if (ef_ct_walk(&inst, visit, &x) || ef_ct_read_counters(&inst, &c))
		code = EF_EXIT_SYSTEM;
	ef_instance_close(&inst);
	if (!code && x.arr)
		printf("%s\n",
		       json_object_to_json_string_ext(
			       x.arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (!code && !strcmp(o.verb, "count"))
		print_count(&x, &c);
	if (x.arr)
		json_object_put(x.arr);
	return code;
}

const struct ef_command ef_cmd_conntrack = {
	.name = "conntrack",
	.usage = "[list|count|flush] [--addr ADDR] [--port N] [--proto P] [--json]",
	.summary = "list, count or flush the connection table",
	.help = "  list (default)    every tracked flow: initiator, responder, state,\n"
		"                    whether a reply was seen, its table (confirmed,\n"
		"                    or new: not confirmed yet), where it was recorded,\n"
		"                    age and idle seconds\n"
		"  count             flows by state and table, and the capacities\n"
		"  flush             remove the flows (those the filters select)\n"
		"  --addr ADDR       only flows with ADDR on either side\n"
		"  --port N          only flows with port N on either side\n"
		"  --proto P         only flows of protocol P (name or number)\n"
		"  --json            JSON instead of text\n",
	.run = run_conntrack,
};

/* For `edgefw stats`: packets by connection state, table events, entries
 * and capacities; into root when given, else as a table. Nothing when the
 * instance cannot be read (stats already said so). */
void ef_cli_ct_stats(const char *instance, void *json_root)
{
	json_object *root = json_root;
	struct ef_ct_counters c;
	struct ef_instance inst;
	size_t n[2] = { 0, 0 };
	json_object *o;
	int ret;

	if (ef_instance_open(instance, EF_OPEN_SHARED, &inst))
		return;
	ret = ef_ct_read_counters(&inst, &c);
	if (!ret)
		ret = ef_ct_count(&inst, n);
	ef_instance_close(&inst);
	if (ret)
		return;
	if (!root) {
		printf("\n%-32s %14s\n", "CONNTRACK", "COUNT");
		for (unsigned i = 0; i < EDGEFW_CTS_COUNT; i++)
			printf("%-32s %14llu\n", ef_ct_stat_name(i), (unsigned long long)c.v[i]);
		printf("%-32s %14zu of %u\n", "flows confirmed", n[0], c.cap);
		printf("%-32s %14zu of %u\n", "flows not confirmed yet", n[1], c.new_cap);
		return;
	}
	o = json_object_new_object();
	for (unsigned i = 0; i < EDGEFW_CTS_COUNT; i++)
		json_object_object_add(o, ef_ct_stat_name(i), json_object_new_uint64(c.v[i]));
	json_object_object_add(o, "flows", json_object_new_uint64(n[0]));
	json_object_object_add(o, "flows_unconfirmed", json_object_new_uint64(n[1]));
	json_object_object_add(o, "capacity", json_object_new_uint64(c.cap));
	json_object_object_add(o, "unconfirmed_capacity", json_object_new_uint64(c.new_cap));
	json_object_object_add(root, "conntrack", o);
}
