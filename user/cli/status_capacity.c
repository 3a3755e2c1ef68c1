// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The capacity part of `edgefw status`: see status_capacity.h. */
#include "status_capacity.h"

#include "capacity_floor.h"
#include "capacity_spec.h"

json_object *ef_status_capacity_json(const struct ef_capacity *c)
{
	json_object *o = json_object_new_object();

	for (int r = 0; r < EF_CAP_COUNT; r++)
		json_object_object_add(
			o, ef_cap_json_key((enum ef_cap_res)r),
			json_object_new_uint64(ef_capacity_get(c, (enum ef_cap_res)r)));
	json_object_object_add(o, "flows", json_object_new_uint64(c->ct));
	return o;
}

void ef_status_capacity_print(FILE *f, const struct ef_capacity *c)
{
	fprintf(f, "           hashed pairs %u, IPv6 hosts %u per generation; flows %u\n", c->chain,
		c->host6, c->ct);
}
