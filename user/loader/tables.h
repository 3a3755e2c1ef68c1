/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Loads a compiled ruleset into an instance's maps: the new tables are built
 * in the generation no packet reads, then one write to `active` switches
 * every hook to them at once. The old generation's tables are released after
 * the switch.
 */
#ifndef EDGEFW_TABLES_H
#define EDGEFW_TABLES_H

#include <stddef.h>

#include "classify.h"
#include "instance.h"
#include "ruleset.h"

struct ef_apply_summary {
	unsigned gen;          /* generation now active */
	size_t rules_added;    /* names new to this instance */
	size_t rules_removed;  /* names no longer present */
	size_t rules_kept;     /* names whose counters carried over */
	unsigned long long version; /* instance_info.version after the switch */
};

/* Returns 0 or a negative errno (logged); on error the ruleset in force is
 * unchanged. */
int ef_tables_apply(struct ef_instance *inst, const struct ef_ruleset *rs,
		    const struct ef_compiled *c, struct ef_apply_summary *sum);

#endif
