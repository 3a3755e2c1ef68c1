// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which boxes a forest can hold, and over which word of the address an
 * IPv6 forest's trie goes (classify.c's split asks; tree_forest.c builds
 * the trie over the word chosen here).
 */
#include <errno.h>
#include <stdlib.h>

#include "tree.h"

/* A forest's trie starts with 16 bits in its level-1 cell. */
#define FOREST_MIN_LEN 16

bool ef_forest_box(const struct ef_box *b, unsigned word)
{
	uint8_t len;

	return !ef_box_prefix(b, word, &len) && len >= FOREST_MIN_LEN;
}

static int cmp_range(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;

	return (*a > *b) - (*a < *b);
}

/* The spread of an IPv6 part in one word of its address: distinct
 * prefixes and distinct first 16 bits (level-1 cells of the trie over that
 * word), or -ENOENT when a box is not a prefix of /16 or longer there. */
static int v6_word_spread(const struct ef_box *v, size_t n, unsigned word, size_t *distinct,
			  size_t *tops)
{
	uint64_t *r = malloc((n ? n : 1) * sizeof(*r));
	int ret = 0;

	*distinct = *tops = 0;
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		if (!ef_forest_box(&v[i], word))
			ret = -ENOENT;
		r[i] = (uint64_t)v[i].lo[word] << 32 | v[i].hi[word];
	}
	if (!ret) {
		qsort(r, n, sizeof(*r), cmp_range);
		for (size_t i = 0; i < n; i++) {
			*distinct += !i || r[i] != r[i - 1];
			*tops += !i || r[i] >> 48 != r[i - 1] >> 48;
		}
	}
	free(r);
	return ret;
}

/* Whether an IPv6 part is worth a forest, and over which word of its
 * address (base, the address's first, or a later one): every box a prefix
 * of /16 or longer in that word, and at least one distinct prefix per four
 * boxes, so that the trie, not a tree under a few busy prefixes, does most
 * of the separating (rules of one site share its /32: a forest would only
 * add the trie's lookups in front of the same tree). Of the words that
 * fit, the one whose first 16 bits differ most: the first word of global
 * addresses mostly lies in 2000::/12, so a forest of /48-/128 rules over
 * it walks four levels where one over the second word walks one or two
 * (kern/tree_forest6.h reads any word). */
int ef_v6_forest_word(const struct ef_box *v, size_t n, unsigned *word, bool *fits)
{
	unsigned base = *word;
	size_t best = 0;

	*fits = false;
	for (unsigned w = base; w < base + 4; w++) {
		size_t distinct, tops;
		int ret = v6_word_spread(v, n, w, &distinct, &tops);

		if (ret == -ENOENT)
			break; /* a box shorter than this word: none fits past it */
		if (ret)
			return ret;
		if (distinct * 4 >= n && tops > best) {
			best = tops;
			*word = w;
			*fits = true;
		}
	}
	return 0;
}
