/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_DYNBENCH_H
#define EDGEFW_BENCH_DYNBENCH_H

#include <stdio.h>

#include "benchutil.h"

struct ef_instance;

/* Issue 16's figures, in this run: ns per packet of one rule alone, the
 * same rule with a per-source limit, and behind a dynamic set of 100k
 * entries, as ratios to the rule alone; then `edgefw set add` (the
 * binary at edgefw_bin) of one entry and of 100,000 from a file, end to
 * end. json (may be NULL) gets them as one object. */
void bench_dynamic(struct ef_instance *inst, const struct prog *xdp, const struct prog *tc,
		   const struct prog *parse_only, const char *edgefw_bin, unsigned reps,
		   unsigned repeat, FILE *json);

#endif
