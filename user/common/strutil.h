/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_STRUTIL_H
#define EDGEFW_STRUTIL_H

#include <stddef.h>
#include <stdint.h>

/* The candidate closest to word by edit distance, when it is close enough
 * to be a plausible typo; NULL otherwise. cands ends with NULL. */
const char *ef_suggest(const char *word, const char *const *cands);

uint64_t ef_fnv1a64(const void *data, size_t len);

/* Copies src into dst (size bytes), always NUL-terminated. Returns 0, or
 * -ENAMETOOLONG when src did not fit (dst then holds a truncated copy). */
int ef_strlcpy(char *dst, const char *src, size_t size);

#endif
