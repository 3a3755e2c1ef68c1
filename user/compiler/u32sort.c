// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "u32sort.h"

#include <string.h>

static void insertion_sort(uint32_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;

		for (; j && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

void ef_sort_u32(uint32_t *v, uint32_t *tmp, size_t n)
{
	if (n < 48) {
		insertion_sort(v, n);
		return;
	}
	for (unsigned shift = 0; shift < 32; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;

		for (size_t i = 0; i < n; i++)
			count[(v[i] >> shift) & 255]++;
		if (count[(v[0] >> shift) & 255] == n)
			continue;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = count[d];

			count[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(v[i] >> shift) & 255]++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
}
