/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one way edgefw grows an array: capacity doubles (from 8) until it
 * holds what is needed, through reallocarray(), so no multiplication of a
 * count by an element size can overflow unnoticed.
 */
#ifndef EDGEFW_GROWTH_H
#define EDGEFW_GROWTH_H

#include <stddef.h>

/* Makes the array that arrp points to (a T **, of *cap elements of size
 * elem) hold at least need elements. On success the pointer and *cap are
 * updated; on failure both are left as they were (the old array stays
 * valid and the caller still owns it). Returns 0, -ENOMEM, or -EOVERFLOW
 * when need * elem does not fit in a size_t. */
int ef_grow(void *arrp, size_t *cap, size_t need, size_t elem);

/* The same with the element size from the pointer: EF_GROW(&v, &cap, n + 1). */
#define EF_GROW(arrp, capp, need) ef_grow((arrp), (capp), (need), sizeof(**(arrp)))

#endif
