/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What an instance's maps lock of kernel memory, as the kernel accounts it
 * (the memlock line of each map's fdinfo: a hash map's buckets, an array's
 * elements, an LPM trie's nodes as they are now).
 */
#ifndef EDGEFW_MEMORY_H
#define EDGEFW_MEMORY_H

#include <stdint.h>
#include <linux/types.h>

#include "edgefw.h"
#include "instance.h"

/* The pinned maps, one entry each, in EF_PINNED_MAPS order. */
#define EF_MEMORY_MAPS_MAX 64

struct ef_memory {
	uint64_t total; /* maps + both generations' arrays */
	uint64_t maps;  /* the pinned maps (both generations' shared tables) */
	/* Each generation's own arrays (cells, classes, tree nodes and
	 * leaves): the inactive one holds none once a reload is done. */
	uint64_t gen[EDGEFW_GENERATIONS];
	unsigned n_maps;
	struct {
		const char *name;
		uint64_t bytes;
	} map[EF_MEMORY_MAPS_MAX];
};

/* The memlock of map fd, from /proc/self/fdinfo. 0 or a negative errno. */
int ef_map_memlock(int fd, uint64_t *bytes);

/* Reads every map's memlock and each generation's arrays'. 0 or a
 * negative errno (logged). */
int ef_instance_memory(const struct ef_instance *inst, struct ef_memory *m);

#endif
