// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Interval sets for the shadowing check: address and port fields become
 * sorted, merged interval lists once per rule, so one coverage test costs
 * a binary search per interval (see shadow.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_internal.h"

const u128 sh_fam_max[2] = { 0xffffffffu, ~(u128)0 };

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges overlapping and adjacent intervals in place. */
static void normalize(struct iset *s)
{
	size_t n = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_ival);
	for (size_t i = 1; i < s->n; i++) {
		struct ival *last = &s->v[n];

		if (s->v[i].lo <= last->hi + 1 || last->hi + 1 == 0) {
			if (s->v[i].hi > last->hi)
				last->hi = s->v[i].hi;
			continue;
		}
		s->v[++n] = s->v[i];
	}
	s->n = n + 1;
}

struct ival sh_prefix_ival(const struct ef_prefix *pf, int fi)
{
	unsigned bits = fi ? 128 : 32;
	struct ival iv = { 0, 0 };

	for (unsigned i = 0; i < bits / 8; i++)
		iv.lo = iv.lo << 8 | pf->addr[i];
	iv.hi = iv.lo;
	if (pf->len < bits)
		iv.hi |= (((u128)1 << (bits - pf->len - 1)) << 1) - 1;
	return iv;
}

/* The kind of a written field from the values it kept, and their order. */
static void iset_finish(struct iset *s, bool negate)
{
	s->kind = !s->n ? IS_NONE : negate ? IS_NOT : IS_LIST;
	normalize(s);
}

int sh_build_addr(const struct ef_addr_field *f, int fi, struct iset *s)
{
	uint8_t family = fi ? EF_AF_INET6 : EF_AF_INET;

	if (f->any)
		return 0; /* IS_ANY */
	s->v = malloc((f->n ? f->n : 1) * sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].family == family)
			s->v[s->n++] = sh_prefix_ival(&f->v[i], fi);
	iset_finish(s, f->negate);
	return 0;
}

int sh_build_port(const struct ef_port_field *f, struct iset *s)
{
	if (f->any)
		return 0;
	s->v = malloc((f->n ? f->n : 1) * sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	for (; s->n < f->n; s->n++)
		s->v[s->n] = (struct ival){ f->v[s->n].lo, f->v[s->n].hi };
	iset_finish(s, f->negate);
	return 0;
}

/* Index of the last interval starting at or before x, or -1. */
static ptrdiff_t last_at_or_before(const struct iset *s, u128 x)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].lo <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

/* Every interval of b lies inside one interval of a. */
static bool list_inside(const struct iset *a, const struct iset *b)
{
	if (!b->n)
		return true;
	/* Outside a's hull: the common answer, without a search. */
	if (!a->n || b->v[0].lo < a->v[0].lo || b->v[b->n - 1].hi > a->v[a->n - 1].hi)
		return false;
	for (size_t i = 0; i < b->n; i++) {
		ptrdiff_t k = last_at_or_before(a, b->v[i].lo);

		if (k < 0 || b->v[i].hi > a->v[k].hi)
			return false;
	}
	return true;
}

/* No interval of b meets an interval of a. */
static bool list_disjoint(const struct iset *a, const struct iset *b)
{
	for (size_t i = 0; i < b->n; i++) {
		ptrdiff_t k = last_at_or_before(a, b->v[i].hi);

		if (k >= 0 && a->v[k].hi >= b->v[i].lo)
			return false;
	}
	return true;
}

/* a and b together cover [0, max]: a sweep over both sorted lists. */
static bool union_is_all(const struct iset *a, const struct iset *b, u128 max)
{
	u128 need = 0;
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		const struct ival *v;

		if (j == b->n || (i < a->n && a->v[i].lo <= b->v[j].lo))
			v = &a->v[i++];
		else
			v = &b->v[j++];
		if (v->lo > need)
			return false;
		if (v->hi >= need) {
			if (v->hi >= max)
				return true;
			need = v->hi + 1;
		}
	}
	return false;
}

/* Whether a accepts every value b accepts. Addresses exist in every
 * packet, so an address field not written means every value; ports do not,
 * so a port field not written is wider than every port list. */
bool sh_iset_covers(const struct iset *a, const struct iset *b, u128 max, bool any_is_all)
{
	static const struct iset everything = { .kind = IS_NOT };
	const struct iset *bl = b;

	if (a->kind == IS_ANY || b->kind == IS_NONE)
		return true;
	if (a->kind == IS_NONE)
		return false;
	if (b->kind == IS_ANY) {
		if (!any_is_all)
			return false;
		bl = &everything; /* not in the empty list */
	}
	if (a->kind == IS_LIST)
		return bl->kind == IS_LIST ? list_inside(a, bl) : union_is_all(a, bl, max);
	return bl->kind == IS_LIST ? list_disjoint(a, bl) : list_inside(bl, a);
}
