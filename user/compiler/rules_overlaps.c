// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Duplicates and overlaps among the entries of a field or a set: sorted
 * once, then each entry that another covers is reported where it was
 * written, with where the covering one came from. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listfile.h"
#include "growth.h"
#include "rules_internal.h"
#include "strutil.h"

struct overlap_scan {
	struct parser *p;
	const struct rs_ctx *c;
	const struct rs_entries *e;
	size_t reported;
};

static int cmp_entry(const void *a, const void *b, void *arg)
{
	const struct rs_entries *sort_entries = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c;

	if (sort_entries->kind == EF_SET_ADDR) {
		c = ef_prefix_cmp(&sort_entries->pfx[i], &sort_entries->pfx[j]);
	} else {
		const struct ef_port_range *x = &sort_entries->port[i];
		const struct ef_port_range *y = &sort_entries->port[j];

		/* Wider first among equal starts, so it covers the rest. */
		c = x->lo != y->lo   ? (x->lo < y->lo ? -1 : 1)
		    : x->hi != y->hi ? (x->hi > y->hi ? -1 : 1)
				     : 0;
	}
	return c ? c : (i > j) - (i < j);
}

static void format_entry(const struct rs_entries *e, size_t i, char *buf, size_t len)
{
	if (e->kind == EF_SET_ADDR)
		ef_prefix_format(&e->pfx[i], buf, len);
	else if (e->port[i].lo == e->port[i].hi)
		snprintf(buf, len, "%u", e->port[i].lo);
	else
		snprintf(buf, len, "%u-%u", e->port[i].lo, e->port[i].hi);
}

/* "(at 3:14)" or "(set $x, at 3:14)" for entry i. */
static void format_origin(const struct overlap_scan *s, size_t i, char *buf, size_t len)
{
	const struct rs_origin *o = &s->e->org[i];
	char pos[320];

	rs_format_pos(s->p, o->file, o->line, o->col, pos, sizeof(pos));
	if (o->via >= 0)
		snprintf(buf, len, "set $%s, at %s", s->p->sets[o->via].name, pos);
	else
		snprintf(buf, len, "at %s", pos);
}

/* Entry `in` overlaps entry `cover` (written elsewhere). */
static void report_overlap(struct overlap_scan *s, size_t cover, size_t in)
{
	const struct rs_entries *e = s->e;
	char a[EF_PREFIX_STRLEN], b[EF_PREFIX_STRLEN], where[400];
	size_t later = cover > in ? cover : in, other = later == in ? cover : in;
	bool same, inside;
	const struct rs_origin *o;

	if (++s->reported > RS_OVERLAP_REPORTS)
		return;
	if (e->kind == EF_SET_ADDR) {
		same = !ef_prefix_cmp(&e->pfx[cover], &e->pfx[in]);
		inside = true;
	} else {
		same = e->port[cover].lo == e->port[in].lo && e->port[cover].hi == e->port[in].hi;
		inside = e->port[in].hi <= e->port[cover].hi;
	}
	if (same) {
		o = &e->org[later];
		format_entry(e, later, a, sizeof(a));
		format_origin(s, other, where, sizeof(where));
		ef_warn(s->p->d, o->file, o->line, o->col, "%s: duplicate entry %s (also %s)",
			s->c->what, a, where);
		return;
	}
	/* The redundant entry is where the fix goes. */
	if (!inside)
		in = later, cover = other;
	o = &e->org[in];
	format_entry(e, in, a, sizeof(a));
	format_entry(e, cover, b, sizeof(b));
	format_origin(s, cover, where, sizeof(where));
	ef_warn(s->p->d, o->file, o->line, o->col, "%s: %s %s %s (%s)", s->c->what, a,
		inside ? "is already covered by" : "overlaps", b, where);
}

/* Reports entries that repeat or overlap others brought by a different
 * element; one sort, one pass. */
void rs_check_overlaps(struct parser *p, const struct rs_ctx *c, const struct rs_entries *e)
{
	struct overlap_scan s = { .p = p, .c = c, .e = e };
	size_t *idx, cover = SIZE_MAX;

	if (e->n < 2)
		return;
	idx = malloc(e->n * sizeof(*idx));
	if (!idx) {
		perr(p, c->node, "out of memory checking %s for duplicates", c->what);
		return;
	}
	for (size_t i = 0; i < e->n; i++)
		idx[i] = i;
	qsort_r(idx, e->n, sizeof(*idx), cmp_entry, (void *)e);
	for (size_t k = 0; k < e->n; k++) {
		size_t i = idx[k];
		bool hit;

		if (cover == SIZE_MAX)
			hit = false;
		else if (e->kind == EF_SET_ADDR)
			hit = ef_prefix_contains(&e->pfx[cover], &e->pfx[i]);
		else
			hit = e->port[i].lo <= e->port[cover].hi;
		if (hit && e->org[i].elem != e->org[cover].elem)
			report_overlap(&s, cover, i);
		if (!hit || (e->kind == EF_SET_PORT && e->port[i].hi > e->port[cover].hi))
			cover = i;
	}
	if (s.reported > RS_OVERLAP_REPORTS)
		pwarn(p, c->node, "%s: %zu more duplicate or overlapping entries not shown",
		      c->what, s.reported - RS_OVERLAP_REPORTS);
	free(idx);
}
