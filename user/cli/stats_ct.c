// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "stats_ct.h"

#include <json-c/json.h>
#include <stdio.h>

void ef_ct_snap_read(const struct ef_instance *inst, struct ef_ct_snap *s)
{
	s->flows[0] = s->flows[1] = 0;
	s->ok = !ef_ct_read_counters(inst, &s->c) && !ef_ct_count(inst, s->flows);
}

static double ct_rate(const struct ef_ct_snap *prev, const struct ef_ct_snap *cur, unsigned i,
		      double secs)
{
	/* A counter that went back (the instance was made again) starts over. */
	uint64_t d = cur->c.v[i] >= prev->c.v[i] ? cur->c.v[i] - prev->c.v[i] : cur->c.v[i];

	return secs > 0 ? (double)d / secs : 0;
}

/* As stats --watch writes every rate: two decimals. */
static struct json_object *rate_obj(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.2f", v);
	return json_object_new_double_s(v, buf);
}

void ef_ct_snap_print(const struct ef_ct_snap *prev, const struct ef_ct_snap *cur, double secs,
		      struct json_object *root)
{
	struct json_object *o, *pk, *fl;

	if (!cur->ok || !prev->ok)
		return;
	if (!root) {
		printf("\n%-32s %14s\n", "CONNTRACK", "PER SECOND");
		for (unsigned i = 0; i < EDGEFW_CTS_COUNT; i++)
			printf("%-32s %14.1f\n", ef_ct_stat_name(i), ct_rate(prev, cur, i, secs));
		printf("%-32s %14zu of %u\n", "flows confirmed", cur->flows[0], cur->c.cap);
		printf("%-32s %14zu of %u\n", "flows not confirmed yet", cur->flows[1],
		       cur->c.new_cap);
		return;
	}
	o = json_object_new_object();
	pk = json_object_new_object();
	fl = json_object_new_object();
	/* Packets by the state the tracker gave them, then flow events. */
	for (unsigned i = 0; i < EDGEFW_CTS_COUNT; i++)
		json_object_object_add(i < EDGEFW_CTS_CREATED ? pk : fl, ef_ct_stat_name(i),
				       rate_obj(ct_rate(prev, cur, i, secs)));
	json_object_object_add(o, "packets_per_second", pk);
	json_object_object_add(o, "flows_per_second", fl);
	json_object_object_add(o, "flows", json_object_new_uint64(cur->flows[0]));
	json_object_object_add(o, "flows_unconfirmed", json_object_new_uint64(cur->flows[1]));
	json_object_object_add(o, "capacity", json_object_new_uint64(cur->c.cap));
	json_object_object_add(o, "unconfirmed_capacity", json_object_new_uint64(cur->c.new_cap));
	json_object_object_add(root, "conntrack", o);
}
