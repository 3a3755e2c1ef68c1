/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The memory part of `edgefw status`: what the instance's maps lock. */
#ifndef EDGEFW_STATUS_MEMORY_H
#define EDGEFW_STATUS_MEMORY_H

#include <json-c/json.h>
#include <stdio.h>

#include "instance.h"
#include "memory.h"

/* status --json's "memory" object. */
json_object *ef_status_memory_json(const struct ef_memory *m, const struct ef_ruleset_state *rs);

/* status's "memory" line and its largest maps. */
void ef_status_memory_print(FILE *f, const struct ef_memory *m, const struct ef_ruleset_state *rs);

#endif
