/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The hot window (kern/edgefw.h EDGEFW_HOT_SLOTS, EDGEFW_HOT_CLASSES;
 * kern/maps.h edgefw_hot, edgefw_hot_classes, in data_bss): per
 * generation, the chain's dense stage tables in stage order while they
 * fit, then the copies of the level-1 cells with an upper half (l1.h)
 * while they fit, and the first EDGEFW_HOT_CLASSES classes. The kernel
 * reads them with a load instead of an array lookup. Where each lands is
 * a function of the compiled ruleset alone (ef_hot_plan), so the config's
 * stage offsets (tables.c, computed from these bases), the level-1 cells'
 * copy indices (l1.c) and the window's contents agree; `cells` and
 * `classes` keep every cell and class as before, and the compiler's
 * numbering does not change.
 */
#ifndef EDGEFW_HOT_H
#define EDGEFW_HOT_H

#include <stddef.h>
#include <linux/types.h>

#include "classify.h"
#include "edgefw.h"
#include "instance.h"

struct ef_hot_plan {
	/* Each stage's base (from field 1): its slot in the window, else its
	 * base in `cells`. The kernel reads not this but gen_config.stages[]
	 * .off, which tables.c derives from it (base - row0 * width). */
	__u32 base[EDGEFW_DIM_COUNT - 1];
	__u32 slots_used;    /* by the stage tables */
	__u32 l1_at;         /* the first level-1 copy's slot (even) */
	size_t l1_in_window; /* the first copies (l1.c's order) in the window */
};

/* Where c's stage tables and level-1 copies (n_l1 of them) go. */
void ef_hot_plan(const struct ef_compiled *c, size_t n_l1, struct ef_hot_plan *p);

/* Writes generation gen's stage tables per p into the window of bss
 * (mapped by the caller, generation gen not in force). */
struct edgefw_bpf__bss;
void ef_hot_fill_stages(struct edgefw_bpf__bss *bss, __u32 gen, const struct ef_compiled *c,
			const struct ef_hot_plan *p);

/* Writes generation gen's class window: vals[0, n) up to
 * EDGEFW_HOT_CLASSES, the rest zeroed. 0 or a negative errno (logged). */
int ef_hot_classes_write(const struct ef_instance *inst, __u32 gen,
			 const struct edgefw_class_info *vals, size_t n);

#endif
