/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Growing an instance's ruleset-sized maps without detaching it, when a
 * reload needs more than they hold. The verifier fixes each generation
 * array's size into the programs (inlined lookups need one size per outer
 * map), so a growth is new maps and new programs:
 *
 *  1. each map too small is made again at its new size (capacity.h) and
 *     filled with what the ruleset in force has in it (grow_maps.h);
 *  2. the programs are loaded against them, every other map shared
 *     (dynamic sets, limits, the drop log; the rule counters unless the
 *     rule slots grew, when their totals are carried: grow_maps.h);
 *  3. each attachment's program is swapped in one step (XDP_FLAGS_REPLACE,
 *     a tc filter replace): every packet meets the old program with the
 *     old maps or the new one with the new maps, both deciding by the
 *     ruleset in force;
 *  4. the new maps take the old ones' pins; the old ones go with the last
 *     program that used them.
 *
 * The reload then fills the new maps' other generation and switches as
 * always. Refused, with nothing changed, where a program cannot be swapped
 * (libxdp's dispatcher, a device-bound VLAN program, an attachment not
 * visible from this network namespace).
 */
#ifndef EDGEFW_GROW_H
#define EDGEFW_GROW_H

#include <stdbool.h>

#include "instance.h"

struct ef_ruleset;
struct ef_compiled;

/* Grows inst's maps for c when they are too small. *grew says whether it
 * did. 0, or a negative errno (logged) with the instance as it was. Call
 * with the exclusive lock, before writing the inactive generation. */
int ef_grow_for(struct ef_instance *inst, const struct ef_ruleset *rs, const struct ef_compiled *c,
		const struct ef_ruleset_state *cur, bool *grew);

#endif
