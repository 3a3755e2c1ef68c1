/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_NAIVE_H
#define EDGEFW_BENCH_NAIVE_H

#include <stddef.h>

struct bench_bpf;
struct ef_ruleset;

/* Empties the naive classifier's maps (kern/bench.bpf.c) and fills them with
 * rs: every source and destination prefix, every (protocol, port) of the
 * rules, each mapped to the lowest rule naming it. *entries gets the number
 * of map entries written. Returns 0 or a negative errno. */
int naive_load(struct bench_bpf *skel, const struct ef_ruleset *rs, size_t *entries);

/* The same for rulesets whose port ranges the service hash cannot hold
 * (ClassBench's 1024-65535): ranges of NAIVE_MAX_RANGE ports or more, and
 * services past the hash's capacity, are left out and counted in *skipped.
 * The lookups per packet, what is timed, stay the same. */
#define NAIVE_MAX_RANGE 64
int naive_load_partial(struct bench_bpf *skel, const struct ef_ruleset *rs, size_t *entries,
		       size_t *skipped);

#endif
