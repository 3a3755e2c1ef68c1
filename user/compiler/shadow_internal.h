/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The interval sets the shadowing check (shadow.c) compares fields with
 * (shadow_iset.c). Not an API. */
#ifndef EDGEFW_SHADOW_INTERNAL_H
#define EDGEFW_SHADOW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ruleset.h"

typedef unsigned __int128 u128;

/* A closed interval of addresses (as numbers) or ports. */
struct ival {
	u128 lo, hi;
};

enum iset_kind {
	IS_ANY = 0, /* field not written: no condition at all */
	IS_NONE,    /* matches nothing (of this family) */
	IS_LIST,    /* values in v */
	IS_NOT,     /* values not in v */
};

struct iset {
	enum iset_kind kind;
	struct ival *v; /* sorted, disjoint, not adjacent */
	size_t n;
};

/* The largest address of each family (as a number), and port. */
extern const u128 sh_fam_max[2];
#define PORT_MAX ((u128)65535)

/* A field as a sorted, merged interval set: the addresses of family fi
 * (0 IPv4, 1 IPv6), or the ports. 0 or -ENOMEM. */
/* The addresses prefix pf covers, as numbers (family fi). */
struct ival sh_prefix_ival(const struct ef_prefix *pf, int fi);
int sh_build_addr(const struct ef_addr_field *f, int fi, struct iset *s);
int sh_build_port(const struct ef_port_field *f, struct iset *s);
/* Whether a accepts every value b accepts (max: the largest value; an
 * unwritten field means every value when any_is_all, as for addresses). */
bool sh_iset_covers(const struct iset *a, const struct iset *b, u128 max, bool any_is_all);

#endif
