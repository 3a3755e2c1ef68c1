// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The etcd source in `status` (its "source" object) and in the metrics
 * (issue 18), from a snapshot of the source's state. */
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "daemon.h"
#include "fleet_source.h"

static struct json_object *opt_int(int64_t v)
{
	return v ? json_object_new_int64(v) : NULL;
}

void efd_fleet_status(struct efd *d, struct json_object *resp)
{
	const struct ef_fleet_conf *c = &d->conf.fleet;
	struct json_object *o, *eps;
	struct efd_fleet_status st;
	char when[32];
	struct tm tm;

	if (!d->fleet)
		return;
	efd_fleet_snapshot(d->fleet, &st);
	o = json_object_new_object();
	eps = json_object_new_array();
	for (size_t i = 0; i < c->n_endpoints; i++)
		json_object_array_add(eps, json_object_new_string(c->endpoints[i]));
	json_object_object_add(o, "kind", json_object_new_string("etcd"));
	json_object_object_add(o, "group", json_object_new_string(c->group));
	json_object_object_add(o, "prefix", json_object_new_string(c->prefix));
	json_object_object_add(o, "endpoints", eps);
	json_object_object_add(o, "connected", json_object_new_boolean(st.connected));
	json_object_object_add(o, "state", json_object_new_string(st.state));
	json_object_object_add(o, "applied_revision", opt_int(st.applied_revision));
	json_object_object_add(o, "group_revision", opt_int(st.group_revision));
	json_object_object_add(o, "ruleset_hash",
			       st.ruleset_hash[0] ? json_object_new_string(st.ruleset_hash) : NULL);
	if (st.applied_at)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&st.applied_at, &tm));
	json_object_object_add(o, "applied_at",
			       st.applied_at ? json_object_new_string(when) : NULL);
	json_object_object_add(o, "last_error",
			       st.last_error[0] ? json_object_new_string(st.last_error) : NULL);
	json_object_object_add(o, "error_revision", opt_int(st.error_revision));
	json_object_object_add(o, "apply_errors", json_object_new_uint64(st.apply_errors));
	json_object_object_add(o, "bundle",
			       d->fleet_dir ? json_object_new_string(d->fleet_dir) : NULL);
	json_object_object_add(resp, "source", o);
}

void efd_fleet_render_metrics(FILE *f, struct efd *d)
{
	struct efd_fleet_status st;
	long long age = 0;

	if (!d->fleet)
		return;
	efd_fleet_snapshot(d->fleet, &st);
	if (st.published_at)
		age = (long long)(time(NULL) - st.published_at);
	fprintf(f,
		"# HELP edgefw_fleet_connected Whether the etcd source reaches its cluster (1) or not (0).\n"
		"# TYPE edgefw_fleet_connected gauge\nedgefw_fleet_connected %d\n",
		st.connected);
	fprintf(f,
		"# HELP edgefw_fleet_applied_revision The etcd revision of the group's manifest in force (0: none yet).\n"
		"# TYPE edgefw_fleet_applied_revision gauge\nedgefw_fleet_applied_revision %lld\n",
		(long long)st.applied_revision);
	fprintf(f,
		"# HELP edgefw_fleet_revision_age_seconds How long ago the manifest in force was published: staleness when the group moved on or etcd is unreachable.\n"
		"# TYPE edgefw_fleet_revision_age_seconds gauge\nedgefw_fleet_revision_age_seconds %lld\n",
		age < 0 ? 0 : age);
	fprintf(f,
		"# HELP edgefw_fleet_apply_errors_total Manifests that could not be applied (incomplete, unverifiable or not compiling): the rules in force stayed.\n"
		"# TYPE edgefw_fleet_apply_errors_total counter\nedgefw_fleet_apply_errors_total %llu\n",
		(unsigned long long)st.apply_errors);
}
