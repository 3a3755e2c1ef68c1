/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_CTBENCH_H
#define EDGEFW_BENCH_CTBENCH_H

#include <stddef.h>

#include "benchutil.h"
#include "instance.h"

/* ns/packet of return traffic under a stateless ruleset, a stateful one
 * with the flows established, and the same with a table miss (ctbench.c),
 * for each of progs (edgefw's programs on inst's maps). */
void ct_bench(struct ef_instance *inst, const struct prog *progs, size_t n_progs, unsigned reps,
	      unsigned repeat);

#endif
