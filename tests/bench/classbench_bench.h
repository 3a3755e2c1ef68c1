/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_CLASSBENCH_H
#define EDGEFW_BENCH_CLASSBENCH_H

#include <stdbool.h>

struct bench_bpf;
struct edgefw_bpf;
struct ef_instance;

/* What the ClassBench scenarios run on, set up by microbench's main. */
#define CBB_MAX_SETS 16

struct cbb_env {
	struct ef_instance *inst; /* the benchmark's instance, sized big */
	struct edgefw_bpf *skel;  /* edgefw's programs on it */
	struct bench_bpf *base;   /* parse-only and the naive classifier */
	int xdpfilter_fd;         /* -1 when xdp-filter is not available */
	unsigned reps, repeat;
	bool quick;            /* the 1k sets only */
	const char *dir;       /* the ClassBench sets */
	const char *sets;      /* NULL, or comma-separated file names in dir */
	double budget_cpu;     /* CPU seconds the compiler may take */
	const char *json_path; /* NULL: no JSON */
};

/* acl1, fw1 and ipc1 at 1k and 10k rules, or env->sets (at most
 * CBB_MAX_SETS; see classbench_bench.c):
 * prints the tables, writes the JSON. 0, or a negative errno when the
 * benchmark itself could not run. */
int classbench_bench(const struct cbb_env *env);

#endif
