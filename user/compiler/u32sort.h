/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Sorting arrays of 32-bit values, which the compiler does in its inner
 * loops (tree splits, shadowing candidates). */
#ifndef EDGEFW_U32SORT_H
#define EDGEFW_U32SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sorts v (n values) in increasing order, with tmp (room for n values) as
 * scratch: a radix sort, 8 bits a pass, skipping the passes in which every
 * value has the same digit (the high bytes of ports or rule indices); short
 * arrays by insertion. Linear where qsort with a compare callback is
 * several times slower on the thousands of values the compiler sorts. */
void ef_sort_u32(uint32_t *v, uint32_t *tmp, size_t n);

#endif
