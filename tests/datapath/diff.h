/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The differential machinery (diff.c), shared by the random-ruleset test
 * and the ClassBench one (diff_classbench.c): packets through every hook of
 * the real programs, each verdict and winning rule against the reference
 * matcher's, and every rule counter against the reference's count.
 */
#ifndef EDGEFW_TEST_DIFF_H
#define EDGEFW_TEST_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "matcher.h"
#include "packets.h"

/* What the reference matcher sees of the frame s describes: the fields the
 * datapath parses from it (no ports in a later fragment, ...). */
void diff_packet_of(const struct pkt_spec *s, struct ef_packet *ep);

/* Fills the next packet to try (i counts from 0). */
typedef void (*diff_next_fn)(void *ctx, unsigned i, struct pkt_spec *s);

struct diff_tally {
	uint64_t runs;
	unsigned mismatches;          /* verdicts, winners and counters */
	unsigned compiled_mismatches; /* ef_compiled_lookup in userspace */
	unsigned shown;               /* mismatches described so far */
};

struct diff_opts {
	const char *label; /* names the ruleset in diagnostics */
	/* Also check each packet's winner: the counter of the rule the
	 * reference picks (or the hook's default counter) moved by one. Two
	 * map reads per run: worth it where rulesets are big and few. */
	bool per_packet_winner;
};

/* Runs n packets from next through every hook of dp, which holds rs (see
 * dp_load_rs), and adds what disagreed to t. Returns true when everything
 * agreed. The first mismatch is described: rules and packet for a small
 * ruleset, the packet and the two winners for a big one. */
bool diff_run(struct dp *dp, const struct ef_ruleset *rs, unsigned n, diff_next_fn next, void *ctx,
	      const struct diff_opts *o, struct diff_tally *t);

/* diff_run of dp->rs on a fresh tally, reported as one TAP line: what
 * (printf's format and arguments), then ": N packets x 3 hooks, BPF
 * verdicts, winners and counters equal the reference matcher's (M
 * mismatches, K in the userspace lookup)". Returns whether it passed. */
bool diff_run_tap(struct dp *dp, unsigned n, diff_next_fn next, void *ctx,
		  const struct diff_opts *o, const char *what, ...)
	__attribute__((format(printf, 6, 7)));

#endif
