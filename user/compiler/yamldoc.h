/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A YAML document read with libyaml into an immutable tree whose every node
 * remembers where it was written, so later stages can report FILE:LINE:COL.
 * Loading enforces limits (file size, nesting depth, alias expansion) so a
 * hostile file cannot exhaust memory or time.
 */
#ifndef EDGEFW_YAMLDOC_H
#define EDGEFW_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum ydoc_kind {
	YDOC_SCALAR = 0,
	YDOC_SEQ,
	YDOC_MAP,
};

struct ydoc_node;

struct ydoc_pair {
	struct ydoc_node *key; /* always a scalar (other keys are rejected) */
	struct ydoc_node *value;
};

struct ydoc_node {
	enum ydoc_kind kind;
	unsigned line; /* 1-based */
	unsigned col;  /* 1-based */
	/* YDOC_SCALAR */
	const char *str; /* NUL-terminated */
	size_t len;      /* bytes, excluding the NUL (str may hold NULs) */
	bool plain;      /* written unquoted: 80 is a number, "80" a string */
	/* YDOC_SEQ */
	struct ydoc_node **items;
	size_t n_items;
	/* YDOC_MAP, in file order; duplicate keys are a load error */
	struct ydoc_pair *pairs;
	size_t n_pairs;
};

/* A zero field means its YDOC_DEFAULT_* value. */
struct ydoc_limits {
	size_t max_bytes;   /* input size */
	unsigned max_depth; /* nesting of sequences and mappings */
	size_t max_nodes;   /* nodes after alias expansion */
};

#define YDOC_DEFAULT_MAX_BYTES (64u << 20)
#define YDOC_DEFAULT_MAX_DEPTH 64u
#define YDOC_DEFAULT_MAX_NODES 4000000u

struct ydoc {
	const char *name;       /* file name used in diagnostics */
	struct ydoc_node *root; /* NULL for an empty document */
	void *priv;
};

/* Loads one document. On error returns a negative errno (-EINVAL for bad
 * input, -EFBIG over limits, -ENOMEM, or the open/read errno) and records
 * FILE:LINE:COL diagnostics in d; *out is then NULL. lim may be NULL for
 * the defaults. More than one document in the stream is an error. */
int ydoc_load_file(const char *path, const struct ydoc_limits *lim, struct ydoc **out,
		   struct ef_diag *d);
int ydoc_load_buffer(const char *name, const char *buf, size_t len, const struct ydoc_limits *lim,
		     struct ydoc **out, struct ef_diag *d);
void ydoc_free(struct ydoc *doc);

/* Value of key in a mapping, NULL when absent or when map is not a mapping. */
const struct ydoc_node *ydoc_map_get(const struct ydoc_node *map, const char *key);

/* Human name of a node's kind for messages: "scalar", "sequence", "mapping". */
const char *ydoc_kind_name(enum ydoc_kind kind);

#endif
