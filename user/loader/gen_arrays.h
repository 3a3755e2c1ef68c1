/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A generation's own arrays (cells, classes, tree nodes and leaves), made
 * and put in the generation's map-in-map slots; see gen_arrays.c. */
#ifndef EDGEFW_GEN_ARRAYS_H
#define EDGEFW_GEN_ARRAYS_H

#include <stddef.h>
#include <linux/types.h>

#include "classify.h"
#include "instance.h"
#include "slot_ops.h"

/* Creates and fills generation gen's arrays for c, with each rule's
 * verdict (by index) in the chain's last classes, and starts putting them
 * in the generation's slots: each slot change waits for an RCU grace
 * period, which passes while the caller writes the rest of the
 * generation. Safe while gen is not active and no packet reads it (the
 * last switch away from it waited for readers). 0 or a negative errno
 * (logged); end must follow either way. */
struct ef_gen_install {
	struct ef_slot_op ops[4];
	const char *what[4];
	size_t n;
	int fds[4];
	__u32 gen;
	bool started;
	struct ef_slot_ops_pending pending;
};
int ef_gen_arrays_begin(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c,
			const struct edgefw_verdict *verdicts, struct ef_gen_install *in);
/* Waits for the slot changes begin started. 0 or a negative errno
 * (logged); the slots may then hold a mix, which the generation's config
 * does not point packets at until it is written. */
int ef_gen_arrays_end(struct ef_instance *inst, struct ef_gen_install *in);

/* Empties generation gen's slots, so the previous generation's arrays
 * are freed right after a switch rather than at the next reload. Safe
 * once gen is not active: a packet still reading an array keeps it until
 * it is done. extra (may be NULL) is one more slot change made at the
 * same time, its result left in extra->err. 0 or a negative errno of the
 * release itself (logged). */
int ef_gen_arrays_release(struct ef_instance *inst, __u32 gen, struct ef_slot_op *extra);

/* One syscall per batch instead of one per entry; site names the call
 * for fault injection (fault.h). */
int ef_update_batch(int fd, const void *keys, const void *vals, size_t n, const char *site);

/* Writes values[0..n) at entries [first, first + n) of an mmapable array
 * of __u32, whose elements the kernel lays out 8 bytes apart. */
int ef_mmap_write(int fd, size_t entries, size_t first, const __u32 *values, size_t n,
		  const char *site);
/* Writes the upper halves hi[0..n) of an mmapable array of
 * EDGEFW_CELL_SIZE elements with entries elements that holds cells
 * [base, base + entries); the others are not its. */
int ef_mmap_write_hi(int fd, size_t entries, size_t base, const struct ef_cell_hi *hi, size_t n,
		     const char *site);

#endif
