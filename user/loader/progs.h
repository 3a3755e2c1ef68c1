/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Verify once, attach many: an instance's XDP and tc programs are loaded
 * (and so verified, ~0.2-0.3 s of CPU each here) once per process and
 * hook, then attached to every interface; the interface's counter slot is
 * found at run time (kern/ifslot.h). The cache holds one descriptor per
 * loaded program; attachments hold the programs themselves, so closing
 * the cache never detaches anything.
 *
 * The one exception is the XDP program that reads stripped VLAN tags
 * through the metadata kfunc: the kernel allows that only to a program
 * bound to one device, so it is loaded per interface (and only where the
 * ruleset in force uses 'vlan:' and the driver gives the tags back).
 */
#ifndef EDGEFW_PROGS_H
#define EDGEFW_PROGS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "instance.h"

/* The kernel's name of each hook's program. */
const char *ef_prog_name(uint32_t hook);

/* A loaded program of the instance for hook (enum edgefw_hook; for XDP
 * the plain, not device-bound one). *fd is the cache's: do not close it,
 * unless *owned (EDGEFW_LOAD_PER_ATTACH=1: a fresh load for every
 * attachment, as before issue 22, kept to measure the difference). 0 or
 * -errno (logged). */
int ef_prog_get(struct ef_instance *inst, uint32_t hook, int *fd, __u32 *id, bool *owned);

/* Loads (verifies) now the programs of the hooks in the mask (bit 1 << enum
 * edgefw_hook) not loaded yet, so that the first interface that appears
 * later attaches without waiting for the verifier (~0.3 s). Nothing in
 * EDGEFW_LOAD_PER_ATTACH=1 mode. 0 or -errno (logged). */
int ef_prog_warm(struct ef_instance *inst, unsigned int hooks);

/* Programs loaded (verified) by this process so far. */
unsigned long ef_prog_loads(void);

/* Closes the cached descriptors (attached programs stay attached). */
void ef_prog_cache_clear(void);

#endif
