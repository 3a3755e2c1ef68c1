/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The canonical form of a ruleset: YAML written from the parsed rules, one
 * way for one meaning. Comments, flow or block style, key order, `direction`
 * against `hooks`, a list file against the same entries inline, all give
 * the same text. Its FNV-1a 64 is the ruleset hash (status, metrics,
 * reload's version), so two hosts with equal hashes enforce the same rules.
 *
 * What it holds: `version`, every `defaults` key, the sets the rules use
 * (entries expanded: sets inside sets and list files are inlined) and every
 * dynamic set, and the rules with every field they constrain. What it does
 * not: the `interfaces` and `daemon` sections, which configure edgefwd and
 * compile to nothing (and `daemon` may hold a CrowdSec key), and static
 * sets no rule uses (they compile to nothing either).
 *
 * Parsing the canonical text gives a ruleset whose canonical text is the
 * same bytes (tests/unit/test_canon.c): `edgefw show --full` round-trips.
 */
#ifndef EDGEFW_CANON_H
#define EDGEFW_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"

struct ef_canon_opts {
	/* 0: every set entry (the canonical text). N: at most N entries per
	 * set, then a comment saying how many more: still a valid ruleset,
	 * but not the same one, so a header comment says so. */
	size_t set_preview;
};

/* The text (malloc'd, NUL-terminated) into *text and *len. o may be NULL
 * (the canonical text). 0 or -ENOMEM. */
int ef_canon_text(const struct ef_ruleset *rs, const struct ef_canon_opts *o, char **text,
		  size_t *len);

/* FNV-1a 64 of the canonical text into *hash, computed without holding
 * the text. 0 or -ENOMEM. */
int ef_canon_hash(const struct ef_ruleset *rs, uint64_t *hash);

/* The first entries (at most max) of static set `set` as the rules hold
 * it, formatted ("10.0.0.0/8", "8000-8100") into out; returns how many.
 * A set no rule uses has none here (it compiles to nothing). */
size_t ef_canon_set_first(const struct ef_ruleset *rs, size_t set, size_t max, char (*out)[48]);

/* The entries of static set `set` as the rules hold them (the slice of
 * the first field naming it): false when no rule names it. */
bool ef_canon_set_entries(const struct ef_ruleset *rs, size_t set, const struct ef_prefix **pfx,
			  const struct ef_port_range **port, size_t *n);

/* Rule idx alone, as the canonical text writes it ("  - name: ..." and
 * one line per field). 0, -EINVAL or -ENOMEM. */
int ef_canon_rule(const struct ef_ruleset *rs, size_t idx, char **text, size_t *len);

#endif
