// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Sets of rules, interned: every distinct set gets one id, found again
 * through an open-addressing index on a hash of its words. All pools of a
 * build charge one budget, so a ruleset whose fields multiply stops the
 * build at a known size instead of exhausting the machine.
 */
#include "classify_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cl_charge(struct cl_budget *b, uint64_t words)
{
	b->work += words;
	if (b->work <= b->max_work)
		return true;
	b->hit = "time";
	return false;
}

static uint64_t set_hash(const word_t *s, size_t words)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < words; i++) {
		h ^= s[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return h;
}

static int pool_grow_index(struct set_pool *p)
{
	size_t cap = p->index_cap ? p->index_cap * 2 : 64;
	uint32_t *idx = malloc(cap * sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	memset(idx, 0xff, cap * sizeof(*idx));
	for (size_t i = 0; i < p->n; i++) {
		size_t slot = set_hash(&p->sets[i * p->words], p->words) & (cap - 1);

		while (idx[slot] != UINT32_MAX)
			slot = (slot + 1) & (cap - 1);
		idx[slot] = (uint32_t)i;
	}
	free(p->index);
	p->index = idx;
	p->index_cap = cap;
	return 0;
}

int cl_pool_intern(struct set_pool *p, const word_t *s, uint32_t *id, bool *added)
{
	size_t slot;
	int ret;

	if (added)
		*added = false;
	if (!cl_charge(p->budget, p->words))
		return -E2BIG;
	if ((p->n + 1) * 2 > p->index_cap) {
		ret = pool_grow_index(p);
		if (ret)
			return ret;
	}
	slot = set_hash(s, p->words) & (p->index_cap - 1);
	while (p->index[slot] != UINT32_MAX) {
		uint32_t cand = p->index[slot];

		p->budget->work += p->words;
		if (!memcmp(&p->sets[(size_t)cand * p->words], s, p->words * sizeof(*s))) {
			*id = cand;
			return 0;
		}
		slot = (slot + 1) & (p->index_cap - 1);
	}
	if (p->n >= EDGEFW_MAX_CLASSES) {
		p->budget->hit = "classes";
		return -E2BIG;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		size_t grow = (cap - p->cap) * p->words * sizeof(word_t);
		word_t *sets;

		if (p->budget->set_bytes + grow > p->budget->max_set_bytes) {
			p->budget->hit = "memory for sets of rules";
			return -E2BIG;
		}
		sets = realloc(p->sets, cap * p->words * sizeof(*sets));
		if (!sets)
			return -ENOMEM;
		p->budget->set_bytes += grow;
		p->sets = sets;
		p->cap = cap;
	}
	memcpy(&p->sets[p->n * p->words], s, p->words * sizeof(*s));
	p->index[slot] = (uint32_t)p->n;
	*id = (uint32_t)p->n++;
	if (added)
		*added = true;
	return 0;
}

void cl_pool_free(struct set_pool *p)
{
	if (p->budget)
		p->budget->set_bytes -= p->cap * p->words * sizeof(word_t);
	free(p->sets);
	free(p->index);
	memset(p, 0, sizeof(*p));
}
