/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-rule counter slots. A rule keeps the slot (and so the counters) its
 * name has in the ruleset in force; new names get slots that ruleset does
 * not use, zeroed. Each generation names its slots in its own half of
 * rule_meta, written before the switch.
 */
#ifndef EDGEFW_SLOTS_H
#define EDGEFW_SLOTS_H

#include "instance.h"
#include "ruleset.h"
#include "tables.h"

/* slot_of[i]: rule i's slot, by its name in the ruleset st describes (the
 * one in force). Zeroes the new names' counters: no rule in force points
 * at them, so no packet sees it. Counts kept, added and removed names in
 * sum. 0 or a negative errno (logged); nothing in force changes. */
int ef_slots_assign(struct ef_instance *inst, const struct ef_ruleset_state *st,
		    const struct ef_ruleset *rs, __u32 *slot_of, struct ef_apply_summary *sum);
/* How many slots loading rs needs: the names in force (kept until the
 * switch) and rs's new ones. 0 or a negative errno (logged). */
int ef_slots_needed(struct ef_instance *inst, const struct ef_ruleset_state *st,
		    const struct ef_ruleset *rs, size_t *needed);
/* Writes generation gen's whole half of rule_meta: rs's rules at their
 * slots, every other slot empty. Call only for the inactive generation. */
int ef_slots_write_meta(struct ef_instance *inst, __u32 gen, const struct ef_ruleset *rs,
			const __u32 *slot_of);

#endif
