/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the microbenchmark's scenario files share: the programs under test
 * and how one is timed and checked over a set of frames. */
#ifndef EDGEFW_BENCH_UTIL_H
#define EDGEFW_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "packets.h"

/* Whose tables a scenario fills; baselines classify nothing. */
enum prog_kind {
	PROG_BASELINE,
	PROG_EDGEFW,
	PROG_NAIVE,
	PROG_XDPFILTER
};

struct prog {
	const char *name;
	int fd;
	enum prog_kind kind;
	bool tc; /* else XDP: the verdicts differ */
};

/* Mean ns per packet over all flows, each run `repeat` times (exits on a
 * failed test run). */
double bench_measure(int fd, const struct pkt *flows, size_t n, unsigned repeat);

/* How many flows a program drops: its verdicts differ where its semantics
 * do, which the timing alone would hide. */
size_t bench_count_drops(const struct prog *prog, const struct pkt *flows, size_t n);

int bench_cmp_double(const void *a, const void *b);

/* Writes "b-PID[-SUFFIX]" to name and removes a pin directory of that name:
 * the kernel recycles process ids, so one left by a killed run is stale and
 * may even hold another layout version. */
void bench_instance_name(char *name, size_t size, const char *suffix);

struct ef_instance;

/* A test run's packet arrives on loopback (ifindex 1), which nothing
 * attaches to, so it would count in the spare row after the attachment
 * table's miss (kern/ifslot.h), where a deployed instance's packets find
 * their attachment's row at its direct entry. Publishes loopback as
 * attached at XDP (slot 0) and tc ingress (slot 1), so that the benchmark
 * times the deployed path. 0 or -errno. */
int bench_publish_loopback(struct ef_instance *inst);

#endif
