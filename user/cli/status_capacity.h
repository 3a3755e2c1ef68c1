/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The capacity part of `edgefw status`: how large the instance's
 * ruleset-sized maps are now (sized from the ruleset and any --capacity or
 * daemon.capacity floor, grown by reloads that needed more). */
#ifndef EDGEFW_STATUS_CAPACITY_H
#define EDGEFW_STATUS_CAPACITY_H

#include <json-c/json.h>
#include <stdio.h>

#include "capacity.h"

/* status --json's "capacity" object: each resource by the names
 * --capacity takes (with '_'), and "flows". */
json_object *ef_status_capacity_json(const struct ef_capacity *c);

/* The capacity the "capacity" line of the table does not show. */
void ef_status_capacity_print(FILE *f, const struct ef_capacity *c);

#endif
