/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rules of one ruleset that can decide packets near a base packet
 * (diff_probe.c): those the base fails in at most one of src, dst, sport,
 * dport and in no other field, in order, with the ruleset's settings. The
 * reference matcher decides every packet that differs from the base in
 * one of those dimensions the same over the subset as over the whole
 * ruleset (diff_subset.c says why), at a fraction of the cost.
 */
#ifndef EDGEFW_DIFF_SUBSET_H
#define EDGEFW_DIFF_SUBSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"
#include "ruleset.h"

/* An address field that is one IPv4 prefix, as a value and a mask, so
 * that the subset tests it without the general matcher. */
struct ef_subset_addr4 {
	uint32_t value, mask; /* host order */
	bool one;             /* the field is exactly that prefix */
};

struct ef_rule_subset {
	const struct ef_ruleset *full;
	struct ef_subset_addr4 (*addr4)[2]; /* per rule: src, dst */
	struct ef_ruleset view;             /* full's settings, the subset's rules */
	struct ef_rule *buf;                /* shallow copies of full's rules */
	size_t built, kept;                 /* subsets made, rules they kept in all */
};

/* 0 or -ENOMEM. full must outlive s. */
int ef_rule_subset_init(struct ef_rule_subset *s, const struct ef_ruleset *full);
void ef_rule_subset_free(struct ef_rule_subset *s);

/* The subset for packets near base (valid until the next call), or the
 * whole ruleset when the subset would keep more than half of it. */
const struct ef_ruleset *ef_rule_subset_near(struct ef_rule_subset *s,
					     const struct ef_packet *base);

#endif
