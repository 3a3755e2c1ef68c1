// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Array growth; see growth.h. */
#include "growth.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GROWTH_FIRST 8

int ef_grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : GROWTH_FIRST;
	void *old, *p;

	if (need <= *cap)
		return 0;
	if (!elem || need > SIZE_MAX / elem)
		return -EOVERFLOW;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (n > SIZE_MAX / elem)
		n = need;
	/* The caller's pointer is a T *, not a void *: copied, not cast, so
	 * no object is read through a type it does not have. */
	memcpy(&old, arrp, sizeof(old));
	p = reallocarray(old, n, elem);
	if (!p)
		return -ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = n;
	return 0;
}
