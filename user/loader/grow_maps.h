/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The new maps of a growth (grow.h): each ruleset-sized map that is too
 * small is made again at its new size and filled with what the ruleset in
 * force has in it, so that a program loaded against the new maps decides
 * every packet as the attached one does.
 */
#ifndef EDGEFW_GROW_MAPS_H
#define EDGEFW_GROW_MAPS_H

#include <stdbool.h>
#include <linux/types.h>

#include "capacity.h"
#include "instance.h"

/* The maps a growth can replace, by their pin names. */
enum ef_grow_map {
	EF_GROW_CELLS,
	EF_GROW_CLASSES,
	EF_GROW_TNODES,
	EF_GROW_TLEAVES,
	EF_GROW_CHAIN,
	EF_GROW_HOST6,
	EF_GROW_CT,
	EF_GROW_CT_NEW,
	EF_GROW_CT4,
	EF_GROW_CT4_NEW,
	EF_GROW_LIMIT,
	/* The per-rule-slot tables (capacity.h's rules): the arrays are
	 * copied, the per-CPU counters start from zero in the new maps and
	 * what the old ones counted goes into rule_carry (catch_up). */
	EF_GROW_RULE_TBL,
	EF_GROW_RULE_META,
	EF_GROW_LOG_STATE,
	EF_GROW_RULE_CARRY,
	EF_GROW_RULE_STATS,
	EF_GROW_LIMIT_STATS,
	EF_GROW_COUNT
};

struct ef_grown {
	int fd[EF_GROW_COUNT]; /* the new map, or -1 where the old one stays */
};

const char *ef_grow_map_name(enum ef_grow_map m);
/* The instance's descriptor of map m (a field of inst->maps). */
int *ef_grow_map_slot(struct ef_instance *inst, enum ef_grow_map m);

/* Makes and fills the maps have -> want changes; active is the
 * generation in force (-1: none). 0 or a negative errno (logged), with
 * nothing made. */
int ef_grow_maps_make(struct ef_instance *inst, const struct ef_capacity *have,
		      const struct ef_capacity *want, int active, struct ef_grown *g);

/* Copies the connection tables' entries the new ones lack (flows the
 * datapath added while the programs changed), and adds what the old rule
 * counters hold, final now, to the new rule_carry. Call once no program
 * uses the old maps. Failures are logged: the growth stands. */
void ef_grow_maps_catch_up(struct ef_instance *inst, const struct ef_grown *g);

void ef_grown_close(struct ef_grown *g);

#endif
