/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the YAML loader's files share: yamldoc.c (the events), yamldoc_arena.c
 * (the memory of a document and the queries on it), yamldoc_keys.c
 * (duplicate keys). Not an API: yamldoc.h is. */
#ifndef EDGEFW_YAMLDOC_INTERNAL_H
#define EDGEFW_YAMLDOC_INTERNAL_H

#include <limits.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

#include "yamldoc.h"

#define ARENA_CHUNK (64u << 10)
#define ARENA_BIG (ARENA_CHUNK / 4)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct arena {
	struct arena_chunk *head;
};

void *yd_arena_alloc(struct arena *a, size_t size);
void *yd_arena_zalloc(struct arena *a, size_t size);
char *yd_arena_strndup(struct arena *a, const char *s, size_t len);
void yd_arena_free(struct arena *a);

struct anchor {
	struct anchor *next; /* same bucket, newest first */
	const char *name;
	struct ydoc_node *node;
	size_t size;    /* nodes in the anchored subtree after expansion */
	unsigned level; /* nesting levels inside the node, 0 for a scalar */
	bool complete;  /* false while the anchored collection is open */
};

struct frame {
	struct ydoc_node *node;
	struct anchor *anchor;
	size_t total_at_start;
	unsigned level; /* deepest nesting among the children so far */
	/* Children; for a mapping keys and values alternate. */
	struct ydoc_node **kids;
	size_t n, cap;
	/* Keys seen so far in a big mapping: pair index + 1, 0 = empty. */
	size_t *kh;
	size_t kh_cap;
	bool kh_ready; /* kh indexes this mapping (not one the buffer held) */
	/* Where each key was written, for "first at" in duplicate
	 * messages: a key that is an alias shares the anchored node, whose
	 * line and col are the anchor's. */
	unsigned *kpos;
	size_t kpos_cap;
};

struct loader {
	const char *name;
	struct ef_diag *d;
	struct arena *a;
	const char *buf;
	size_t len;
	size_t total, max_nodes;
	unsigned max_depth;
	struct frame *stack;
	size_t depth, stack_cap;
	struct anchor **buckets;
	size_t n_buckets, n_anchors;
	unsigned n_docs;
	unsigned soft_errors;
	struct ydoc_node *root;
	bool root_empty;
};

/* Duplicate detection switches from a scan to a hash set past this many
 * keys: most mappings are tiny and a scan is faster there. */
#define SMALL_MAP 8

static inline size_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

static inline bool key_eq(const struct ydoc_node *a, const struct ydoc_node *b)
{
	return a->len == b->len && !memcmp(a->str, b->str, a->len);
}

/* Positions are 1-based for people; libyaml counts from 0. */
static inline unsigned mark_line(const yaml_mark_t *m)
{
	return m->line >= UINT_MAX ? UINT_MAX : (unsigned)m->line + 1;
}

static inline unsigned mark_col(const yaml_mark_t *m)
{
	return m->column >= UINT_MAX ? UINT_MAX : (unsigned)m->column + 1;
}

/* A mapping's children: push one; note where its newest key was written;
 * find an earlier key equal to the newest (its pair index, or SIZE_MAX;
 * *err gets -ENOMEM when the index could not be built). */
int yd_frame_push_kid(struct frame *f, struct ydoc_node *n);
int yd_frame_note_key_pos(struct frame *f, const yaml_mark_t *m);
size_t yd_frame_find_dup(struct frame *f, int *err);

#endif
