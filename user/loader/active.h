/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The instance's global data (kern/maps.h active_state, struct
 * edgefw_state; pinned as data_active): which generation is in force and
 * each generation's gen_config, which a packet reads at a constant
 * address, with no lookup. Reads go through the map; writes through a
 * shared mapping of it, so the switch is one 8-byte store with release
 * ordering and a generation's config is written in place without
 * rewriting the one in force.
 */
#ifndef EDGEFW_ACTIVE_H
#define EDGEFW_ACTIVE_H

#include <linux/types.h>

#include "edgefw.h"

/* The switch word, from fd (the data_active map). 0 or a negative errno. */
int ef_active_read(int fd, struct edgefw_active *act);

/* Generation gen's config. 0 or a negative errno. */
int ef_gen_config_read(int fd, __u32 gen, struct edgefw_gen_config *cfg);

/* Writes generation gen's config; only while gen is not in force (no
 * packet reads it). 0 or a negative errno (errno of the mapping). */
int ef_gen_config_write(int fd, __u32 gen, const struct edgefw_gen_config *cfg);

/* Switches to next in one store, after everything written before it.
 * 0 or a negative errno. */
int ef_active_switch(int fd, const struct edgefw_active *next);

#endif
