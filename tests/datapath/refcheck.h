/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One frame through one hook's program (BPF_PROG_TEST_RUN), judged against
 * the reference parser and matcher (tests/lib/refparse.h): the verdict and
 * which counters moved (the rule's slot, or the reason, or the hook's
 * default and its reason), by one packet and the frame's bytes, with no
 * other counter moving. Used by the packet fuzz target and by dptest.
 */
#ifndef EDGEFW_TEST_REFCHECK_H
#define EDGEFW_TEST_REFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dp.h"

/* The ruleset the checks run under: src/dst prefixes of both families
 * (array trie, /128 table, LPM below /48, negation), protocols, ports,
 * ICMP type and code, TCP flags, VLAN, fragment state, a hook; policies
 * malformed drop, non-ip pass, fragments rules, encap-overflow drop,
 * ipv6-ext-overflow drop, and a different default per hook. */
extern const char *const dp_ref_rules;

struct dp_ref {
	struct dp *dp;
	struct edgefw_counter *now; /* rules, then hooks' defaults, then reasons */
	size_t n_counters;
	/* The frame lengths a hook's test run takes: min_len[hook][k] for
	 * EtherType 0x0800 (k 1), 0x86dd (k 2) and any other (k 0). */
	size_t min_len[EDGEFW_HOOK_COUNT][3];
	size_t max_len[EDGEFW_HOOK_COUNT];
	unsigned long runs, skipped;  /* checked; too short or long to run */
	unsigned long by_outcome[16]; /* checked runs per enum ref_outcome */
};

/* Loads dp_ref_rules into dp, finds the frame lengths each hook's test runs
 * take and reads the counters. 0 or a negative errno (printed). */
int dp_ref_init(struct dp_ref *r, struct dp *dp);
void dp_ref_free(struct dp_ref *r);

/* Runs the frame through hook (with a GSO skb context when gso, tc only)
 * and compares. True when the datapath agrees with the reference, or the
 * frame is too short or long for the hook's test run (counted in
 * r->skipped); else the frame (hex) and both decisions are written to
 * report, each line starting with "# ". */
bool dp_ref_check(struct dp_ref *r, uint32_t hook, const uint8_t *frame, size_t len, bool gso,
		  FILE *report);

#endif
