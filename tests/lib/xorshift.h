/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* xorshift64*: the same sequence from a seed on every machine, for tests and
 * benchmarks that must be reproducible from --seed. */
#ifndef EDGEFW_TEST_XORSHIFT_H
#define EDGEFW_TEST_XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

/* A value in [0, n), n > 0. */
static inline uint64_t xorshift_below(uint64_t *state, uint64_t n)
{
	return xorshift_next(state) % n;
}

/* A state from any seed (0 would stay 0 forever). */
static inline uint64_t xorshift_seed(uint64_t seed)
{
	return seed ? seed : 0x9e3779b97f4a7c15ull;
}

#endif
