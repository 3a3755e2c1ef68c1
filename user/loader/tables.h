/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Loads a compiled ruleset into an instance's maps: the new tables, and
 * what describes the ruleset (rule names by counter slot, hash, version),
 * are written in the generation no packet and no reader looks at, then one
 * 8-byte store to the switch word in `data_active` (active.c) switches
 * every hook and every reader to them at once.
 * The old generation's entries are removed after the switch.
 */
#ifndef EDGEFW_TABLES_H
#define EDGEFW_TABLES_H

#include <stddef.h>

#include "classify.h"
#include "instance.h"
#include "ruleset.h"

struct ef_apply_summary {
	unsigned gen;               /* generation now active */
	size_t rules_added;         /* names new to this instance */
	size_t rules_removed;       /* names no longer present */
	size_t rules_kept;          /* names whose counters carried over */
	unsigned long long version; /* gen_info version now in force */
	size_t ct_removed;          /* tracked flows the new rules no longer accept */
	bool grew;                  /* the instance's maps grew for this ruleset */
};

/* Either switches to the new ruleset and returns 0, or returns a negative
 * errno (logged) with the ruleset in force, its description and its
 * counters unchanged. Nothing fails after the switch: when the old
 * generation's entries cannot be removed, that is a warning and the next
 * apply removes them first. Call with the instance's exclusive lock. */
int ef_tables_apply(struct ef_instance *inst, const struct ef_ruleset *rs,
		    const struct ef_compiled *c, struct ef_apply_summary *sum);
/* The same, for the ruleset in force compiled again for other interfaces
 * (edgefwd following them): the version stays, since the rules did not
 * change. When another ruleset is in force (its hash differs), the
 * version advances as with ef_tables_apply. */
int ef_tables_apply_same(struct ef_instance *inst, const struct ef_ruleset *rs,
			 const struct ef_compiled *c, struct ef_apply_summary *sum);

#endif
