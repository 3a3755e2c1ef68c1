/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_SCENGEN_H
#define EDGEFW_BENCH_SCENGEN_H

#include <stddef.h>
#include <stdint.h>

#include "listfile.h"
#include "ruleset.h"

struct scenario {
	const char *name;
	uint8_t family;
	size_t prefixes;  /* in the source blocklist */
	size_t rules;     /* multi-field rules after it */
	const char *list; /* a list file instead of generated prefixes */
};

/* The shared pseudo-random sequence (xorshift64*, fixed seed). */
uint64_t rnd(void);

/* calloc that exits with a message when out of memory. */
void *xcalloc(size_t n, size_t size);

/* A random prefix of family, its length drawn like FireHOL level 1's. */
void random_prefix(uint8_t family, struct ef_prefix *p);

/* A random address inside p. */
void host_in(const struct ef_prefix *p, uint8_t out[16]);

/* Rule 0 drops the blocklist (sc->list's prefixes, or sc->prefixes random
 * ones); rules 1..sc->rules each allow or drop one service (destination
 * address, protocol, port); the default drops. Returns 0 or a negative
 * errno (a list file that does not load). */
int build_ruleset(const struct scenario *sc, struct ef_ruleset *rs, struct ef_prefix_list *block);

void free_ruleset(struct ef_ruleset *rs, struct ef_prefix_list *block);

#endif
