// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw fleet status --etcd URLS --group G: the group's manifest and
 * every host's status key (written by edgefwd under a lease, so a host
 * that died is gone within its TTL): what each enforces, since when, its
 * last error and packets, and how many enforce the current revision.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "fleet_opts.h"
#include "jsonout.h"
#include "log.h"

struct group_view {
	int64_t revision; /* the manifest's mod_revision; 0: none */
	struct ef_manifest m;
	struct json_object *hosts; /* array of the status objects */
	size_t enforcing;
};

static const char *field(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
		return "-";
	return json_object_get_string(v);
}

static int64_t num(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return 0;
	if (b && !json_object_object_get_ex(v, b, &v))
		return 0;
	return json_object_get_int64(v);
}

static int read_manifest(struct ef_fleet_opts *o, struct ef_etcd *c, struct group_view *g)
{
	struct ef_etcd_range r;
	char key[512], err[256];
	int ret;

	ef_fleet_key(o, "manifest", key, sizeof(key));
	ret = ef_etcd_range(c, key, false, false, &r);
	if (ret) {
		ef_log_err("%s", ef_etcd_error(c));
		return ret;
	}
	if (r.n) {
		g->revision = r.kvs[0].mod_revision;
		if (ef_manifest_parse((const char *)r.kvs[0].value, r.kvs[0].value_len, &g->m, err,
				      sizeof(err)))
			ef_log_warn("group %s: the manifest at revision %lld is not valid: %s",
				    o->group, (long long)g->revision, err);
	}
	ef_etcd_range_free(&r);
	return 0;
}

static int read_hosts(struct ef_fleet_opts *o, struct ef_etcd *c, struct group_view *g)
{
	struct ef_etcd_range r;
	char key[512];
	int ret;

	ef_fleet_key(o, "hosts/", key, sizeof(key));
	ret = ef_etcd_range(c, key, true, false, &r);
	if (ret) {
		ef_log_err("%s", ef_etcd_error(c));
		return ret;
	}
	g->hosts = json_object_new_array();
	for (size_t i = 0; i < r.n; i++) {
		struct json_object *h = json_tokener_parse((const char *)r.kvs[i].value);
		bool current;

		if (!h || !json_object_is_type(h, json_type_object)) {
			ef_log_warn("%s is not a JSON object: skipped", r.kvs[i].key);
			json_object_put(h);
			continue;
		}
		current = g->revision && num(h, "applied_revision", NULL) == g->revision &&
			  !strcmp(field(h, "state"), "enforcing");
		g->enforcing += current;
		json_object_object_add(h, "current", json_object_new_boolean(current));
		json_object_array_add(g->hosts, h);
	}
	ef_etcd_range_free(&r);
	return 0;
}

static void print_text(const struct ef_fleet_opts *o, const struct group_view *g)
{
	size_t n = json_object_array_length(g->hosts);

	if (g->revision)
		printf("group %s: revision %lld (serial %llu, ruleset hash %s, published %s by %s); %zu of %zu hosts enforce it\n",
		       o->group, (long long)g->revision, (unsigned long long)g->m.serial,
		       g->m.ruleset_hash[0] ? g->m.ruleset_hash : "?",
		       g->m.published[0] ? g->m.published : "?",
		       g->m.publisher[0] ? g->m.publisher : "?", g->enforcing, n);
	else
		printf("group %s: nothing published yet; %zu hosts report\n", o->group, n);
	if (!n)
		return;
	printf("%-24s %-12s %9s %-16s %-20s %-9s %12s %12s  %s\n", "HOST", "INSTANCE", "REVISION",
	       "RULESET", "APPLIED", "STATE", "PASSED", "DROPPED", "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(g->hosts, i);

		printf("%-24s %-12s %9lld %-16s %-20s %-9s %12lld %12lld  %s\n", field(h, "host"),
		       field(h, "instance"), (long long)num(h, "applied_revision", NULL),
		       field(h, "ruleset_hash"), field(h, "applied_at"), field(h, "state"),
		       (long long)num(h, "packets", "passed"),
		       (long long)num(h, "packets", "dropped"), field(h, "last_error"));
	}
}

static void print_json(const struct ef_fleet_opts *o, struct group_view *g)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, "ok", json_object_new_boolean(true));
	json_object_object_add(root, "exit", json_object_new_int(EF_EXIT_OK));
	json_object_object_add(root, "group", ef_json_str(o->group));
	json_object_object_add(root, "prefix", ef_json_str(o->prefix));
	json_object_object_add(root, "revision",
			       g->revision ? json_object_new_int64(g->revision) : NULL);
	json_object_object_add(root, "serial",
			       g->revision ? json_object_new_int64((int64_t)g->m.serial) : NULL);
	json_object_object_add(root, "ruleset_hash",
			       g->m.ruleset_hash[0] ? json_object_new_string(g->m.ruleset_hash)
						    : NULL);
	json_object_object_add(root, "published",
			       g->m.published[0] ? json_object_new_string(g->m.published) : NULL);
	json_object_object_add(root, "hosts_total",
			       json_object_new_uint64(json_object_array_length(g->hosts)));
	json_object_object_add(root, "hosts_enforcing", json_object_new_uint64(g->enforcing));
	json_object_object_add(root, "hosts", json_object_get(g->hosts));
	ef_json_envelope(root, "fleet-status");
	ef_json_print(root, true);
	json_object_put(root);
}

static int run_fleet(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { EF_FLEET_LONG_OPTS, { NULL, 0, NULL, 0 } };
	struct ef_fleet_opts o = { 0 };
	struct group_view g = { 0 };
	struct ef_etcd c = { 0 };
	int opt, code;

	(void)cli;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!ef_fleet_opt(&o, opt, optarg))
			return ef_cli_usage(&ef_cmd_fleet);
	if (argc - optind != 1 || strcmp(argv[optind], "status"))
		return ef_cli_usage(&ef_cmd_fleet);
	code = ef_fleet_open(&o, &c);
	if (code)
		goto out;
	code = EF_EXIT_SYSTEM;
	if (read_manifest(&o, &c, &g) || read_hosts(&o, &c, &g))
		goto out;
	if (o.json)
		print_json(&o, &g);
	else
		print_text(&o, &g);
	code = EF_EXIT_OK;
out:
	json_object_put(g.hosts);
	ef_manifest_free(&g.m);
	ef_etcd_free(&c);
	return code;
}

const struct ef_command ef_cmd_fleet = {
	.name = "fleet",
	.usage =
		"status --etcd URL[,URL...] --group G [--prefix P] [--cacert F --cert F --key F] [--json]",
	.summary = "show a fleet group: its published revision and what each host enforces",
	.help = "  --etcd, --group, --prefix, --cacert, --cert, --key: as for publish\n"
		"  --json   one object: group, revision, serial, ruleset_hash, published,\n"
		"           hosts_total, hosts_enforcing and hosts (each host's status\n"
		"           key as edgefwd writes it, plus current: whether it enforces\n"
		"           the group's revision)\n"
		"A host's key lives as long as its edgefwd keeps the lease alive (30 s\n"
		"TTL): a host that stopped is gone from the list within that time.\n",
	.run = run_fleet,
};
