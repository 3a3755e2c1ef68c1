/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The instance's global-data maps: the maps libbpf makes of the object's
 * data sections that hold the instance's state (kern/maps.h: `.data.active`,
 * the switch and the generations' configs; `.bss`, fixed tables such as
 * the chain's leaves). Unlike an object's own global data they are pinned
 * with the instance and reused by every program load, so what the loader
 * writes into them is what every program reads. One table here names them:
 * the pin, libbpf's name for the map (its section) and the value's size
 * this edgefw expects. A variable added to an existing section needs no
 * line (the size is the skeleton's); a new section needs one here and one
 * in scripts/skel_maps.sh.
 */
#ifndef EDGEFW_GLOBALS_H
#define EDGEFW_GLOBALS_H

#include <stddef.h>

#include "instance.h"

struct ef_global_map {
	const char *pin;     /* the pin's name, as in EF_PINNED_MAPS */
	const char *section; /* the object's name for the map */
	size_t size;         /* its value's size in this edgefw's object */
	size_t fd_off;       /* offset of its fd in struct ef_maps */
};

/* The global-data map pinned as pin; NULL for any other map. */
const struct ef_global_map *ef_global_by_pin(const char *pin);

/* The object's name for the map pinned as pin: the section of a
 * global-data map, else pin itself. */
const char *ef_global_object_name(const char *pin);

/* Checks that fd, the map pinned as pin, is mmapable with the value size
 * this edgefw's programs read. 0, -errno, or -EPROTO (logged, naming the
 * map and saying to recreate the instance). */
int ef_global_check(int fd, const char *pin);

/* ef_global_check on each global-data map inst has open. */
int ef_globals_check(const struct ef_instance *inst);

/* Pins each global-data map of obj (loaded) under the instance's
 * directory. 0 or a negative errno (logged). */
struct bpf_object;
int ef_globals_pin(const struct ef_instance *inst, struct bpf_object *obj);

/* data_bss (the object's .bss: the leaves, the level-1 tables, the
 * attachment slots) checked and mapped shared for writing, into *out; what
 * names the writer's table for the error; fault_site, when not NULL, is
 * asked first (fault.h) and fails the mapping with EIO. Every writer maps it alone and
 * writes its own bytes. 0, -EPROTO or -errno (logged). The size check
 * cannot see variables reordered within an unchanged size: that is the
 * layout version's job (EDGEFW_LAYOUT_VERSION). */
struct edgefw_bpf__bss;
int ef_bss_map(const struct ef_instance *inst, const char *what, const char *fault_site,
	       struct edgefw_bpf__bss **out);
void ef_bss_unmap(struct edgefw_bpf__bss *bss);

#endif
