/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The operator's capacity floor (capacity_spec.h) in the loader: an
 * instance this process creates makes each ruleset-sized map at least the
 * floor, and a reload or attach grows an existing instance's smaller maps
 * to it (grow.h), atomically like any growth. A ruleset that needs more
 * than the floor grows the instance beyond it; capacity never shrinks.
 */
#ifndef EDGEFW_CAPACITY_FLOOR_H
#define EDGEFW_CAPACITY_FLOOR_H

#include <stdbool.h>
#include <stddef.h>

#include "capacity.h"
#include "capacity_spec.h"

/* The floor for what this process creates and grows from now on (all 0:
 * none, the default). */
void ef_instance_set_capacity_floor(const struct ef_capacity_spec *s);

/* Raises each of c's resources to the floor. */
void ef_capacity_floor_raise(struct ef_capacity *c);

bool ef_capacity_equal(const struct ef_capacity *a, const struct ef_capacity *b);

/* One resource of a capacity, and of a ruleset's needs. */
__u32 ef_capacity_get(const struct ef_capacity *c, enum ef_cap_res r);
size_t ef_needs_get(const struct ef_needs *n, enum ef_cap_res r);

#endif
