/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a change of ruleset does (edgefw diff, reload --dry-run), from the
 * two parsed rulesets alone (pure, like the rest of the compiler):
 *
 * - rules added, removed, changed (their canonical text differs: which
 *   fields) and moved (out of the longest run of rules the two keep in the
 *   same order); rules are the same rule when they have the same name, as
 *   their counters are;
 * - set membership deltas (entries added and removed, by name);
 * - counters kept (a name in both), new (from zero) and gone, limits whose
 *   buckets restart (diff_rules.c);
 * - the verdict changes (diff_probe.c): packets built from the corners and
 *   edges of every changed region (an added, removed, changed or moved
 *   rule; a rule naming a set whose entries changed, around those
 *   entries), decided by the reference matcher (ef_decide) under both, kept
 *   when the action, what decided or the deciding rule differs; grouped by
 *   (old outcome, new outcome), within a budget of probes and time.
 */
#ifndef EDGEFW_DIFF_H
#define EDGEFW_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "matcher.h"
#include "ruleset.h"

enum ef_rule_change_kind {
	EF_RC_ADDED = 0,
	EF_RC_REMOVED,
	EF_RC_CHANGED, /* may have moved too */
	EF_RC_MOVED,   /* the same rule elsewhere in the order */
};

struct ef_rule_change {
	uint8_t kind;
	bool moved;       /* EF_RC_CHANGED: also moved */
	int32_t old_idx;  /* -1: not in the old ruleset */
	int32_t new_idx;  /* -1: not in the new one */
	char fields[160]; /* EF_RC_CHANGED: "dport, action" */
};

#define EF_DIFF_SET_FIRST 4

struct ef_set_delta {
	char name[EF_SET_NAME_MAX];
	int32_t old_idx, new_idx; /* -1: absent on that side */
	bool dynamic;
	bool settings_changed; /* dynamic: timeout or size */
	size_t n_old, n_new;   /* entries (static sets) */
	/* The entries only one side has, sorted; prefixes for an address
	 * set, ranges for a port set. */
	struct ef_prefix *pfx_added, *pfx_removed;
	struct ef_port_range *port_added, *port_removed;
	size_t added, removed;
};

/* An outcome as the reference matcher gives it. */
struct ef_outcome {
	uint8_t action;                  /* enum edgefw_action */
	uint8_t by;                      /* enum ef_decided_by */
	char rule[EDGEFW_RULE_NAME_MAX]; /* EF_BY_RULE: the rule's name */
};

#define EF_DIFF_EXAMPLES 5
#define EF_DIFF_GROUPS_MAX 64

struct ef_verdict_group {
	struct ef_outcome from, to;
	size_t packets;
	struct ef_packet ex[EF_DIFF_EXAMPLES];
	char ex_ifname[EF_DIFF_EXAMPLES][EF_IFNAME_MAX];
	size_t n_ex;
};

struct ef_diff_opts {
	size_t max_probes;  /* 0: EF_DIFF_PROBES_DEFAULT */
	double max_seconds; /* 0: EF_DIFF_SECONDS_DEFAULT: CPU seconds of the probes */
};

#define EF_DIFF_PROBES_DEFAULT 200000
/* Rules a moved rule crossed that are probed with it, and entries of a
 * field whose corners are probed. */
#define EF_DIFF_PARTNERS_MAX 128
#define EF_DIFF_ENTRIES_MAX 8
#define EF_DIFF_SECONDS_DEFAULT 0.8

struct ef_diff {
	struct ef_rule_change *rules;
	size_t n_rules;
	size_t n_added, n_removed, n_changed, n_moved;
	struct ef_set_delta *sets;
	size_t n_sets;
	/* Counters follow rule names; limit buckets the name and the limit. */
	size_t counters_kept, counters_new, counters_gone, limits_reset;
	/* Verdict changes. */
	struct ef_verdict_group *groups;
	size_t n_groups;
	size_t groups_dropped;  /* changed packets of groups past the bound */
	size_t probes;          /* distinct packets decided under both */
	size_t changed_packets; /* of those, whose outcome differs */
	size_t regions, regions_probed;
	bool budget_hit;
	/* Coverage the bounds cut (EF_DIFF_PARTNERS_MAX, EF_DIFF_ENTRIES_MAX):
	 * moved rules that crossed more rules than were probed with them,
	 * and probed fields with more entries than had their corners probed. */
	size_t partners_cut, entries_cut;
	int32_t *old_of_new; /* per new rule: its old index, -1 when added */
};

/* 0 or -ENOMEM. The rulesets must outlive d (it points into them). */
int ef_diff_rulesets(const struct ef_ruleset *old, const struct ef_ruleset *new_rs,
		     const struct ef_diff_opts *o, struct ef_diff *d);
void ef_diff_free(struct ef_diff *d);

/* diff_probe.c: the verdict changes of d's regions (ef_diff_rulesets
 * calls it). */
int ef_diff_verdicts(const struct ef_ruleset *old, const struct ef_ruleset *new_rs,
		     const struct ef_diff_opts *o, struct ef_diff *d);

/* A probe on one line, shorter than explain's ef_packet_format:
 * "tcp 203.0.113.9:1234 -> 198.51.100.1:22" (with " at tc-egress" when
 * the hook is not xdp, " on IF" for an interface, and the other fields
 * that are not the defaults' when they matter). */
void ef_flow_format(const struct ef_packet *p, char *buf, size_t len);
/* "pass (default)", "drop (rule ssh)", "drop (fragments policy)". */
void ef_outcome_format(const struct ef_outcome *o, char *buf, size_t len);

#endif
