/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every run a new flow: the micro benchmark's programs timed through the
 * cycling wrapper (kern/bench.bpf.c, bench_cycle), where a test run
 * repeats one frame but each repetition carries the next flow's headers. */
#ifndef EDGEFW_BENCH_CYCLE_H
#define EDGEFW_BENCH_CYCLE_H

#include <stdio.h>

#include "benchutil.h"

struct bench_bpf;

/* Times every XDP program of progs (the tc ones are left out: the wrapper
 * is an XDP program) over flows, reps interleaved repetitions of each
 * flow run per_flow times across the cycle, and keeps a row per program
 * for cycle_print. Checks first that each program's verdicts through the
 * wrapper are the ones it gives each flow alone (exits when they differ).
 * n at most CYCLE_FLOWS_MAX. */
void cycle_scenario(struct bench_bpf *base, const char *scenario, int family,
		    const struct prog *progs, size_t n_progs, const struct pkt *flows, size_t n,
		    unsigned reps, unsigned per_flow);

/* The rows kept so far, as a table (and as JSON when json is not NULL). */
void cycle_print(FILE *json);

#endif
