/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The compiled form of a ruleset: the exact contents of the BPF tables, with
 * no BPF in sight, so it can be built and checked without root.
 *
 * Each address field maps an address to an equivalence class: the set of
 * rules whose field matches that address. The LPM table holds, for every
 * prefix any rule names (and /0), the class of the addresses whose longest
 * match it is. The combination table maps a (src class, dst class) pair to
 * the first rule in both sets; a pair with no common rule is absent and the
 * default applies.
 */
#ifndef EDGEFW_CLASSIFY_H
#define EDGEFW_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "edgefw.h"
#include "ruleset.h"

/* Upper bounds the compiler refuses to exceed (never truncates). */
#define EF_MAX_LPM_ENTRIES (1u << 20)
#define EF_MAX_COMBOS (1u << 20)

enum ef_field {
	EF_FIELD_SRC = 0,
	EF_FIELD_DST,
	EF_FIELD_COUNT
};

enum ef_family_idx {
	EF_FAM_V4 = 0,
	EF_FAM_V6,
	EF_FAM_COUNT
};

struct ef_lpm_entry {
	struct ef_prefix prefix;
	uint32_t class_id;
};

struct ef_lpm_table {
	struct ef_lpm_entry *v;
	size_t n;
};

struct ef_combo_entry {
	struct edgefw_combo_key key;
	uint32_t rule; /* index into the ruleset's rules */
};

struct ef_compiled {
	struct ef_lpm_table lpm[EF_FIELD_COUNT][EF_FAM_COUNT];
	struct ef_combo_entry *combos;
	size_t n_combos;
	size_t n_classes[EF_FIELD_COUNT];
};

/* Builds the tables for rs. Returns 0, or a negative errno with the reason
 * in d (-E2BIG when a table would exceed its bound). */
int ef_compile(const struct ef_ruleset *rs, struct ef_compiled *out,
	       struct ef_diag *d);
void ef_compiled_free(struct ef_compiled *c);

/* Bytes the kernel tables will take, roughly, for reports. */
size_t ef_compiled_memory(const struct ef_compiled *c);

#endif
