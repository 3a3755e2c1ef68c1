// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The operator's capacity floor: see capacity_floor.h. */
#include "capacity_floor.h"

#include <stddef.h>

static struct ef_capacity_spec floor_given;

void ef_instance_set_capacity_floor(const struct ef_capacity_spec *s)
{
	floor_given = *s;
}

/* Where each resource is in struct ef_capacity. */
static const size_t offset[EF_CAP_COUNT] = {
	[EF_CAP_CELLS] = offsetof(struct ef_capacity, cells),
	[EF_CAP_CLASSES] = offsetof(struct ef_capacity, classes),
	[EF_CAP_TREE_NODES] = offsetof(struct ef_capacity, tnodes),
	[EF_CAP_TREE_LEAVES] = offsetof(struct ef_capacity, tleaves),
	[EF_CAP_HASHED_PAIRS] = offsetof(struct ef_capacity, chain),
	[EF_CAP_IPV6_HOSTS] = offsetof(struct ef_capacity, host6),
};

void ef_capacity_floor_raise(struct ef_capacity *c)
{
	for (int r = 0; r < EF_CAP_COUNT; r++) {
		__u32 *v = (__u32 *)((char *)c + offset[r]);

		if (*v < floor_given.floor[r])
			*v = floor_given.floor[r];
	}
}

bool ef_capacity_equal(const struct ef_capacity *a, const struct ef_capacity *b)
{
	return a->cells == b->cells && a->classes == b->classes && a->tnodes == b->tnodes &&
	       a->tleaves == b->tleaves && a->chain == b->chain && a->host6 == b->host6 &&
	       a->ct == b->ct && a->limit_slots == b->limit_slots && a->rules == b->rules;
}

__u32 ef_capacity_get(const struct ef_capacity *c, enum ef_cap_res r)
{
	return *(const __u32 *)((const char *)c + offset[r]);
}

size_t ef_needs_get(const struct ef_needs *n, enum ef_cap_res r)
{
	const size_t v[EF_CAP_COUNT] = {
		[EF_CAP_CELLS] = n->cells,        [EF_CAP_CLASSES] = n->classes,
		[EF_CAP_TREE_NODES] = n->tnodes,  [EF_CAP_TREE_LEAVES] = n->tleaves,
		[EF_CAP_HASHED_PAIRS] = n->chain, [EF_CAP_IPV6_HOSTS] = n->host6,
	};

	return r < EF_CAP_COUNT ? v[r] : 0;
}
