// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A document's memory: every node, string and array in one arena, so
 * ydoc_free() is a walk over a handful of chunks and aliases can share
 * nodes without reference counting; and the queries on a loaded tree. */
#include <stdlib.h>
#include <string.h>

#include "yamldoc_internal.h"

static struct arena_chunk *arena_chunk_new(size_t cap)
{
	struct arena_chunk *c;

	if (cap > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + cap);
	if (!c)
		return NULL;
	c->next = NULL;
	c->used = 0;
	c->cap = cap;
	return c;
}

void *yd_arena_alloc(struct arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct arena_chunk *c = a->head;
	size_t need;
	void *p;

	if (size > SIZE_MAX - align)
		return NULL;
	need = (size + align - 1) & ~(align - 1);
	if (!need)
		need = align;

	/* Big blocks get a chunk of their own behind the current one, so the
	 * free space of the current chunk is not wasted. */
	if (need > ARENA_BIG) {
		struct arena_chunk *big = arena_chunk_new(need);

		if (!big)
			return NULL;
		big->used = need;
		if (c) {
			big->next = c->next;
			c->next = big;
		} else {
			a->head = big;
		}
		return big->data;
	}
	if (!c || c->cap - c->used < need) {
		c = arena_chunk_new(ARENA_CHUNK);
		if (!c)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	p = (unsigned char *)c->data + c->used;
	c->used += need;
	return p;
}

void *yd_arena_zalloc(struct arena *a, size_t size)
{
	void *p = yd_arena_alloc(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

char *yd_arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = yd_arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void yd_arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void ydoc_free(struct ydoc *doc)
{
	if (doc)
		yd_arena_free(doc->priv);
}

const struct ydoc_node *ydoc_map_get(const struct ydoc_node *map, const char *key)
{
	size_t len;

	if (!map || map->kind != YDOC_MAP || !key)
		return NULL;
	len = strlen(key);
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ydoc_node *k = map->pairs[i].key;

		if (k->kind == YDOC_SCALAR && k->len == len && !memcmp(k->str, key, len))
			return map->pairs[i].value;
	}
	return NULL;
}

const char *ydoc_kind_name(enum ydoc_kind kind)
{
	switch (kind) {
	case YDOC_SCALAR:
		return "scalar";
	case YDOC_SEQ:
		return "sequence";
	case YDOC_MAP:
		return "mapping";
	}
	return "node";
}
