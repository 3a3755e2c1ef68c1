/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How large an instance's ruleset-sized maps are: from what the ruleset it
 * holds needs, with headroom, never from a fixed maximum. Pure functions
 * (no BPF): the instance creates its maps with ef_capacity_for's answer,
 * and a reload that needs more grows them (grow.c) with ef_capacity_grow's.
 */
#ifndef EDGEFW_CAPACITY_H
#define EDGEFW_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Entries, per generation where a map holds both. */
struct ef_capacity {
	__u32 cells, classes, tnodes, tleaves; /* each generation's arrays */
	__u32 chain;                           /* hashed chain pairs (chain_tbl holds twice this) */
	__u32 host6;                           /* IPv6 /128 entries (host6_tbl holds twice this) */
	__u32 ct;                              /* ct_tbl flows (ct_new_tbl: a quarter) */
	__u32 limit_slots;                     /* limit_tbl buckets: EDGEFW_LIMIT_SLOTS once a
			    * ruleset has a limit, EF_LIMIT_IDLE_SLOTS before */
	__u32 rules; /* rule counter slots: rule_stats, limit_stats, log_state,
		      * rule_carry (rule_tbl and rule_meta hold twice this) */
};

/* limit_tbl of an instance no ruleset has put a limit in yet: the
 * datapath never reads it (dyn_config has no limit condition), and the
 * slot hash masks with EDGEFW_LIMIT_SLOTS, so its size is all or this. */
#define EF_LIMIT_IDLE_SLOTS 2u

/* What one compiled ruleset uses of each. */
struct ef_needs {
	size_t cells, classes, tnodes, tleaves, chain, host6;
	size_t rules; /* counter slots: the ruleset's names, plus those of
		       * the ruleset in force it does not keep (slots.h) */
	bool tracks;  /* some rule reads or makes connection state */
	bool limits;  /* some rule has a limit */
};

/* What a compiled ruleset needs (rules: its own names only). */
struct ef_ruleset;
struct ef_compiled;
void ef_needs_of(const struct ef_ruleset *rs, const struct ef_compiled *c, struct ef_needs *n);

/* Room for n with an eighth more (so a reload that adds a little does not
 * grow), rounded up; at least each map's floor, at most its maximum.
 * ct_size: the connection table's size when the ruleset tracks (the
 * operator's, or one from the machine's memory); a stateless ruleset
 * gets the smallest table. */
void ef_capacity_for(const struct ef_needs *n, __u32 ct_size, struct ef_capacity *out);

/* True when have holds n: ef_capacity_grow would change nothing. */
bool ef_capacity_fits(const struct ef_capacity *have, const struct ef_needs *n, __u32 ct_size);

/* What have becomes for n: each map that is too small gets
 * ef_capacity_for's size but at least twice its current one (a ruleset
 * that keeps growing grows its maps a logarithmic number of times); the
 * others keep theirs. The connection table grows to ct_size when n tracks,
 * the limit buckets to their full table when n has a limit. */
void ef_capacity_grow(const struct ef_capacity *have, const struct ef_needs *n, __u32 ct_size,
		      struct ef_capacity *out);

/* Bytes the kernel locks for c's maps, by their layouts (an estimate:
 * the kernel's own figure is in memory.h). */
size_t ef_capacity_bytes(const struct ef_capacity *c);

#endif
