/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-rule counter slots. A rule keeps the slot (and so the counters) its
 * name had in the ruleset before; new names get free slots, zeroed.
 */
#ifndef EDGEFW_SLOTS_H
#define EDGEFW_SLOTS_H

#include <stdbool.h>

#include "instance.h"
#include "ruleset.h"
#include "tables.h"

/* meta: all of rule_meta, read here; slot_of[i]: rule i's slot; in_use:
 * slots the new ruleset uses. Counts kept and added names in sum. */
int ef_slots_assign(struct ef_instance *inst, const struct ef_ruleset *rs,
		    struct edgefw_rule_meta *meta, __u32 *slot_of,
		    bool *in_use, struct ef_apply_summary *sum);
/* Names the slots after the switch, so a failed load changes nothing. */
int ef_slots_write_meta(struct ef_instance *inst, const struct ef_ruleset *rs,
			const __u32 *slot_of);
/* Frees (clears and zeroes) the named slots not in_use. */
void ef_slots_release(struct ef_instance *inst,
		      const struct edgefw_rule_meta *meta, const bool *in_use,
		      size_t *count);

#endif
