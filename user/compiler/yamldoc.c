// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * YAML loading with libyaml's event parser. The tree is built while events
 * arrive so every limit (depth, node count after alias expansion) is checked
 * at the moment it is crossed: an alias bomb fails after a few hundred events
 * instead of after expanding billions of nodes.
 *
 * All nodes, strings and arrays live in one arena owned by the document, so
 * ydoc_free() is a walk over a handful of chunks and aliases can share nodes
 * without reference counting.
 */
#include "yamldoc_internal.h"

#include "fileio.h"
#include "growth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define TAG_STR "tag:yaml.org,2002:str"
#define TAG_SEQ "tag:yaml.org,2002:seq"
#define TAG_MAP "tag:yaml.org,2002:map"

static struct anchor *anchor_find(struct loader *l, const char *name)
{
	struct anchor *an;

	if (!l->n_buckets)
		return NULL;
	an = l->buckets[hash_bytes(name, strlen(name)) & (l->n_buckets - 1)];
	for (; an; an = an->next)
		if (!strcmp(an->name, name))
			return an;
	return NULL;
}

/* A redefined anchor shadows the old one: aliases refer to the most recent
 * definition, as YAML says, and the old node stays valid in the tree. */
static int anchor_add(struct loader *l, const char *name, struct ydoc_node *node,
		      struct anchor **out)
{
	struct anchor *an;
	size_t b;

	if (l->n_anchors >= l->n_buckets) {
		size_t nb = l->n_buckets ? l->n_buckets * 2 : 64;
		struct anchor **v = calloc(nb, sizeof(*v));

		if (!v)
			return -ENOMEM;
		/* Walk each old chain from its tail so newest stays first. */
		for (size_t i = 0; i < l->n_buckets; i++) {
			struct anchor *chain = NULL, *next;

			for (an = l->buckets[i]; an; an = next) {
				next = an->next;
				an->next = chain;
				chain = an;
			}
			for (an = chain; an; an = next) {
				next = an->next;
				b = hash_bytes(an->name, strlen(an->name)) & (nb - 1);
				an->next = v[b];
				v[b] = an;
			}
		}
		free(l->buckets);
		l->buckets = v;
		l->n_buckets = nb;
	}
	an = yd_arena_zalloc(l->a, sizeof(*an));
	if (!an)
		return -ENOMEM;
	an->name = yd_arena_strndup(l->a, name, strlen(name));
	if (!an->name)
		return -ENOMEM;
	an->node = node;
	b = hash_bytes(name, strlen(name)) & (l->n_buckets - 1);
	an->next = l->buckets[b];
	l->buckets[b] = an;
	l->n_anchors++;
	*out = an;
	return 0;
}

/* Counts nodes as they would exist with every alias expanded. */
static int count_nodes(struct loader *l, size_t add, bool alias, const yaml_mark_t *m)
{
	if (add <= l->max_nodes && l->total <= l->max_nodes - add) {
		l->total += add;
		return 0;
	}
	if (alias)
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "alias expansion exceeds %zu nodes: the document "
		       "would grow too large (an alias bomb?); use fewer "
		       "aliases",
		       l->max_nodes);
	else
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "document has more than %zu nodes: split it into "
		       "smaller files",
		       l->max_nodes);
	return -EFBIG;
}

/* Hooks a complete or just opened node into its parent. m is where the
 * node (or the alias standing for it) was written; level is the nesting
 * inside it, which only aliases bring in complete. */
static int attach(struct loader *l, struct ydoc_node *n, unsigned level, const yaml_mark_t *m)
{
	struct frame *f;
	size_t dup;
	int err;

	if (!l->depth) {
		l->root = n;
		return 0;
	}
	f = &l->stack[l->depth - 1];
	if (level > f->level)
		f->level = level;
	err = yd_frame_push_kid(f, n);
	if (err)
		return err;
	if (f->node->kind != YDOC_MAP || f->n % 2 == 0)
		return 0;

	/* n is a key. */
	err = yd_frame_note_key_pos(f, m);
	if (err)
		return err;
	if (n->kind != YDOC_SCALAR) {
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "mapping key is a %s: keys must be plain names or "
		       "strings",
		       ydoc_kind_name(n->kind));
		l->soft_errors++;
		return 0;
	}
	if (n->plain && n->len == 2 && !memcmp(n->str, "<<", 2)) {
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "merge keys ('<<') are not supported: write the keys "
		       "out in full");
		l->soft_errors++;
		return 0;
	}
	dup = yd_frame_find_dup(f, &err);
	if (err)
		return err;
	if (dup != SIZE_MAX) {
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "duplicate key '%.*s' (first at %u:%u): remove one of "
		       "them",
		       n->len > 80 ? 80 : (int)n->len, n->str, f->kpos[2 * dup],
		       f->kpos[2 * dup + 1]);
		l->soft_errors++;
	}
	return 0;
}

/* Standard tags that do not change how edgefw reads a node are accepted;
 * anything else would silently mean something the compiler ignores. */
static void check_tag(struct loader *l, const yaml_char_t *tag, enum ydoc_kind kind,
		      const yaml_mark_t *m)
{
	const char *t = (const char *)tag;
	const char *want;

	if (!t)
		return;
	switch (kind) {
	case YDOC_SCALAR:
		want = TAG_STR;
		if (!strcmp(t, "!"))
			return;
		break;
	case YDOC_SEQ:
		want = TAG_SEQ;
		break;
	default:
		want = TAG_MAP;
		break;
	}
	if (!strcmp(t, want))
		return;
	ef_err(l->d, l->name, mark_line(m), mark_col(m),
	       "tag '%s' is not supported on a %s: remove it (only !!str, "
	       "!!seq and !!map are accepted)",
	       t, ydoc_kind_name(kind));
	l->soft_errors++;
}

static struct ydoc_node *node_new(struct loader *l, enum ydoc_kind kind, const yaml_mark_t *m)
{
	struct ydoc_node *n = yd_arena_zalloc(l->a, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->line = mark_line(m);
	n->col = mark_col(m);
	return n;
}

static int on_scalar(struct loader *l, const yaml_event_t *e)
{
	const yaml_mark_t *m = &e->start_mark;
	const char *tag = (const char *)e->data.scalar.tag;
	struct ydoc_node *n;
	struct anchor *an;
	int err;

	err = count_nodes(l, 1, false, m);
	if (err)
		return err;
	check_tag(l, e->data.scalar.tag, YDOC_SCALAR, m);
	n = node_new(l, YDOC_SCALAR, m);
	if (!n)
		return -ENOMEM;
	n->len = e->data.scalar.length;
	n->str = yd_arena_strndup(l->a, (const char *)e->data.scalar.value, n->len);
	if (!n->str)
		return -ENOMEM;
	/* An explicit !!str or ! makes the scalar a string like quotes do. */
	n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag;
	if (e->data.scalar.anchor) {
		err = anchor_add(l, (const char *)e->data.scalar.anchor, n, &an);
		if (err)
			return err;
		an->size = 1;
		an->complete = true;
	}
	if (!l->depth)
		l->root_empty = n->plain && !n->len && !e->data.scalar.anchor;
	return attach(l, n, 0, m);
}

static int on_alias(struct loader *l, const yaml_event_t *e)
{
	const yaml_mark_t *m = &e->start_mark;
	const char *name = (const char *)e->data.alias.anchor;
	struct anchor *an = anchor_find(l, name);
	int err;

	if (!an) {
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "undefined alias '*%s': define the anchor '&%s' "
		       "before using it",
		       name, name);
		return -EINVAL;
	}
	if (!an->complete) {
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "alias '*%s' refers to a node that contains it: "
		       "recursive structures are not supported",
		       name);
		return -EINVAL;
	}
	/* An alias copies the anchored node's nesting to where it is used:
	 * check it, or a consumer walking the tree could recurse too deep. */
	if (an->level > l->max_depth - l->depth) {
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "alias '*%s' nests deeper than %u levels: flatten the "
		       "document",
		       name, l->max_depth);
		return -EFBIG;
	}
	err = count_nodes(l, an->size, true, m);
	if (err)
		return err;
	return attach(l, an->node, an->level, m);
}

static int on_start(struct loader *l, const yaml_event_t *e, enum ydoc_kind kind)
{
	const yaml_mark_t *m = &e->start_mark;
	const yaml_char_t *tag, *anchor;
	struct ydoc_node *n;
	struct frame *f;
	size_t total_at_start = l->total;
	int err;

	if (kind == YDOC_SEQ) {
		tag = e->data.sequence_start.tag;
		anchor = e->data.sequence_start.anchor;
	} else {
		tag = e->data.mapping_start.tag;
		anchor = e->data.mapping_start.anchor;
	}
	if (l->depth >= l->max_depth) {
		ef_err(l->d, l->name, mark_line(m), mark_col(m),
		       "nesting deeper than %u levels: flatten the document", l->max_depth);
		return -EFBIG;
	}
	err = count_nodes(l, 1, false, m);
	if (err)
		return err;
	check_tag(l, tag, kind, m);
	n = node_new(l, kind, m);
	if (!n)
		return -ENOMEM;
	err = attach(l, n, 0, m);
	if (err)
		return err;

	if (l->depth == l->stack_cap) {
		size_t cap = l->stack_cap ? l->stack_cap * 2 : 16;
		struct frame *v = realloc(l->stack, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		/* New frames start empty; old ones keep their buffers for
		 * reuse by later collections at the same depth. */
		memset(v + l->stack_cap, 0, (cap - l->stack_cap) * sizeof(*v));
		l->stack = v;
		l->stack_cap = cap;
	}
	f = &l->stack[l->depth++];
	f->node = n;
	f->anchor = NULL;
	f->total_at_start = total_at_start;
	f->level = 0;
	f->n = 0;
	f->kh_ready = false;
	if (anchor) {
		err = anchor_add(l, (const char *)anchor, n, &f->anchor);
		if (err)
			return err;
	}
	return 0;
}

static int on_end(struct loader *l)
{
	struct frame *f = &l->stack[l->depth - 1];
	struct ydoc_node *n = f->node;

	if (n->kind == YDOC_SEQ) {
		if (f->n) {
			n->items = yd_arena_alloc(l->a, f->n * sizeof(*n->items));
			if (!n->items)
				return -ENOMEM;
			memcpy(n->items, f->kids, f->n * sizeof(*n->items));
		}
		n->n_items = f->n;
	} else {
		/* libyaml always pairs keys with values (an empty value is
		 * an empty scalar), so n is even. */
		n->n_pairs = f->n / 2;
		if (n->n_pairs) {
			n->pairs = yd_arena_alloc(l->a, n->n_pairs * sizeof(*n->pairs));
			if (!n->pairs)
				return -ENOMEM;
			for (size_t i = 0; i < n->n_pairs; i++) {
				n->pairs[i].key = f->kids[2 * i];
				n->pairs[i].value = f->kids[2 * i + 1];
			}
		}
	}
	if (f->anchor) {
		f->anchor->size = l->total - f->total_at_start;
		f->anchor->level = f->level + 1;
		f->anchor->complete = true;
	}
	l->depth--;
	if (l->depth && l->stack[l->depth - 1].level < f->level + 1)
		l->stack[l->depth - 1].level = f->level + 1;
	return 0;
}

/* Reader errors (bad UTF-8, control characters) carry only a byte offset;
 * count lines and characters up to it like libyaml's marks do. */
static void offset_to_pos(const char *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned ln = 1, c = 1;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n') {
			ln++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = ln;
	*col = c;
}

static int parser_error(struct loader *l, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return -ENOMEM;
	case YAML_READER_ERROR:
		offset_to_pos(l->buf, l->len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			ef_err(l->d, l->name, line, col,
			       "%s (byte 0x%02x): the file must be UTF-8 text", problem,
			       (unsigned)p->problem_value & 0xff);
		else
			ef_err(l->d, l->name, line, col, "%s: the file must be UTF-8 text",
			       problem);
		return -EINVAL;
	default:
		line = mark_line(&p->problem_mark);
		col = mark_col(&p->problem_mark);
		if (p->context)
			ef_err(l->d, l->name, line, col, "%s (%s that starts at %u:%u)", problem,
			       p->context, mark_line(&p->context_mark), mark_col(&p->context_mark));
		else
			ef_err(l->d, l->name, line, col, "%s", problem);
		return -EINVAL;
	}
}

static int run(struct loader *l, yaml_parser_t *p)
{
	yaml_event_t e;
	bool done = false;
	int err = 0;

	while (!done && !err) {
		if (!yaml_parser_parse(p, &e))
			return parser_error(l, p);
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (l->n_docs++) {
				ef_err(l->d, l->name, mark_line(&e.start_mark),
				       mark_col(&e.start_mark),
				       "a second YAML document starts here: "
				       "edgefw reads one document per file, "
				       "remove the '---' or split the file");
				err = -EINVAL;
			}
			break;
		case YAML_ALIAS_EVENT:
			err = on_alias(l, &e);
			break;
		case YAML_SCALAR_EVENT:
			err = on_scalar(l, &e);
			break;
		case YAML_SEQUENCE_START_EVENT:
			err = on_start(l, &e, YDOC_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			err = on_start(l, &e, YDOC_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			err = on_end(l);
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	return err;
}

int ydoc_load_buffer(const char *name, const char *buf, size_t len, const struct ydoc_limits *lim,
		     struct ydoc **out, struct ef_diag *d)
{
	struct loader l = { 0 };
	yaml_parser_t p;
	bool parser_ok = false;
	size_t max_bytes = YDOC_DEFAULT_MAX_BYTES;
	struct ydoc *doc = NULL;
	int err;

	*out = NULL;
	l.name = name ? name : "<input>";
	l.d = d;
	l.buf = buf;
	l.len = len;
	l.max_nodes = YDOC_DEFAULT_MAX_NODES;
	l.max_depth = YDOC_DEFAULT_MAX_DEPTH;
	if (lim) {
		if (lim->max_bytes)
			max_bytes = lim->max_bytes;
		if (lim->max_nodes)
			l.max_nodes = lim->max_nodes;
		if (lim->max_depth)
			l.max_depth = lim->max_depth;
	}
	if (len > max_bytes) {
		ef_err(d, l.name, 0, 0,
		       "file is %zu bytes, over the limit of %zu bytes: "
		       "split it into smaller files",
		       len, max_bytes);
		err = -EFBIG;
		goto out;
	}

	l.a = calloc(1, sizeof(*l.a));
	if (!l.a) {
		err = -ENOMEM;
		goto out;
	}
	doc = yd_arena_zalloc(l.a, sizeof(*doc));
	if (!doc) {
		err = -ENOMEM;
		goto out;
	}
	doc->priv = l.a;
	doc->name = yd_arena_strndup(l.a, l.name, strlen(l.name));
	if (!doc->name) {
		err = -ENOMEM;
		goto out;
	}

	if (!yaml_parser_initialize(&p)) {
		err = -ENOMEM;
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	err = run(&l, &p);
	if (!err && l.soft_errors)
		err = -EINVAL;
	if (err)
		goto out;

	/* "---" with nothing after it is an empty document, not an empty
	 * string. */
	doc->root = l.root_empty ? NULL : l.root;
	*out = doc;
out:
	if (err == -ENOMEM)
		ef_err(d, l.name, 0, 0, "out of memory while loading YAML");
	if (parser_ok)
		yaml_parser_delete(&p);
	for (size_t i = 0; i < l.stack_cap; i++) {
		free(l.stack[i].kids);
		free(l.stack[i].kh);
		free(l.stack[i].kpos);
	}
	free(l.stack);
	free(l.buckets);
	if (!*out)
		yd_arena_free(l.a);
	return err;
}

int ydoc_load_file(const char *path, const struct ydoc_limits *lim, struct ydoc **out,
		   struct ef_diag *d)
{
	size_t max = lim && lim->max_bytes ? lim->max_bytes : YDOC_DEFAULT_MAX_BYTES;
	char *buf = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	err = ef_read_input(path, max, "split it into smaller files", &buf, &len, d);
	if (!err)
		err = ydoc_load_buffer(path, buf, len, lim, out, d);
	free(buf);
	return err;
}
