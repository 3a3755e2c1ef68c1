// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rules that can never match: those whose fields exclude each other, and
 * those an earlier rule covers entirely (shadowing).
 *
 * Rule A covers rule B when every field of A accepts everything the same
 * field of B accepts. A warning must be a proof, so where a field's
 * coverage is not decided exactly (interface globs against globs), the
 * answer is "not covered".
 *
 * Address and port fields become sorted, merged interval lists once per
 * rule, so one coverage test costs a binary search per interval and a
 * 6,273-prefix set is never compared prefix against prefix.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

/* A closed interval of big-endian numbers of `width` bytes. */
struct ival {
	uint8_t lo[16], hi[16];
};

enum iset_kind {
	IS_ANY = 0, /* field not written: no condition at all */
	IS_NONE,    /* matches nothing (of this family) */
	IS_LIST,    /* values in v */
	IS_NOT,     /* values not in v */
};

struct iset {
	enum iset_kind kind;
	struct ival *v; /* sorted, disjoint, not adjacent */
	size_t n;
};

struct rinfo {
	bool dead;
	bool fam[2];               /* families the rule can match: v4, v6 */
	struct iset addr[2][2];    /* [src/dst][v4/v6] */
	struct iset port[2];       /* sport, dport */
};

static const uint8_t fam_width[2] = { 4, 16 };
#define PORT_WIDTH 2

static int cmp_be(const uint8_t *a, const uint8_t *b, unsigned w)
{
	return memcmp(a, b, w);
}

/* a + 1; false when a is the maximum. */
static bool inc_be(uint8_t *a, unsigned w)
{
	for (unsigned i = w; i-- > 0;)
		if (++a[i])
			return true;
	return false;
}

static bool is_max(const uint8_t *a, unsigned w)
{
	for (unsigned i = 0; i < w; i++)
		if (a[i] != 0xff)
			return false;
	return true;
}

static int cmp_ival(const void *a, const void *b, void *arg)
{
	return cmp_be(((const struct ival *)a)->lo, ((const struct ival *)b)->lo,
		      *(const unsigned *)arg);
}

/* Sorts and merges overlapping and adjacent intervals in place. */
static void normalize(struct iset *s, unsigned w)
{
	size_t n = 0;

	if (!s->n)
		return;
	qsort_r(s->v, s->n, sizeof(*s->v), cmp_ival, &w);
	for (size_t i = 1; i < s->n; i++) {
		struct ival *last = &s->v[n];
		uint8_t next[16];

		memcpy(next, last->hi, w);
		if (!inc_be(next, w) || cmp_be(s->v[i].lo, next, w) <= 0) {
			if (cmp_be(s->v[i].hi, last->hi, w) > 0)
				memcpy(last->hi, s->v[i].hi, w);
			continue;
		}
		s->v[++n] = s->v[i];
	}
	s->n = n + 1;
}

static int build_addr(const struct ef_addr_field *f, int fi, struct iset *s)
{
	uint8_t family = fi ? EF_AF_INET6 : EF_AF_INET;
	unsigned w = fam_width[fi];

	if (f->any) {
		s->kind = IS_ANY;
		return 0;
	}
	s->v = malloc((f->n ? f->n : 1) * sizeof(*s->v));
	if (!s->v)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		const struct ef_prefix *pf = &f->v[i];
		struct ival *iv = &s->v[s->n];

		if (pf->family != family)
			continue;
		memcpy(iv->lo, pf->addr, w);
		memcpy(iv->hi, pf->addr, w);
		for (unsigned b = pf->len; b < w * 8; b++)
			iv->hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		s->n++;
	}
	s->kind = !s->n ? IS_NONE : f->negate ? IS_NOT : IS_LIST;
	normalize(s, w);
	return 0;
}

static int build_port(const struct ef_port_field *f, struct iset *s)
{
	if (f->any) {
		s->kind = IS_ANY;
		return 0;
	}
	s->v = calloc(f->n ? f->n : 1, sizeof(*s->v));
	if (!s->v)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		s->v[i].lo[0] = (uint8_t)(f->v[i].lo >> 8);
		s->v[i].lo[1] = (uint8_t)f->v[i].lo;
		s->v[i].hi[0] = (uint8_t)(f->v[i].hi >> 8);
		s->v[i].hi[1] = (uint8_t)f->v[i].hi;
	}
	s->n = f->n;
	s->kind = !s->n ? IS_NONE : f->negate ? IS_NOT : IS_LIST;
	normalize(s, PORT_WIDTH);
	return 0;
}

/* Index of the last interval starting at or before x, or -1. */
static ptrdiff_t last_at_or_before(const struct iset *s, const uint8_t *x,
				   unsigned w)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_be(s->v[mid].lo, x, w) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

/* Every interval of b lies inside one interval of a. */
static bool list_inside(const struct iset *a, const struct iset *b, unsigned w)
{
	for (size_t i = 0; i < b->n; i++) {
		ptrdiff_t k = last_at_or_before(a, b->v[i].lo, w);

		if (k < 0 || cmp_be(b->v[i].hi, a->v[k].hi, w) > 0)
			return false;
	}
	return true;
}

/* No interval of b meets an interval of a. */
static bool list_disjoint(const struct iset *a, const struct iset *b,
			  unsigned w)
{
	for (size_t i = 0; i < b->n; i++) {
		ptrdiff_t k = last_at_or_before(a, b->v[i].hi, w);

		if (k >= 0 && cmp_be(a->v[k].hi, b->v[i].lo, w) >= 0)
			return false;
	}
	return true;
}

/* a and b together cover every value: a sweep over both sorted lists. */
static bool union_is_all(const struct iset *a, const struct iset *b,
			 unsigned w)
{
	uint8_t need[16] = { 0 };
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		const struct ival *v;

		if (j == b->n || (i < a->n && cmp_be(a->v[i].lo, b->v[j].lo, w) <= 0))
			v = &a->v[i++];
		else
			v = &b->v[j++];
		if (cmp_be(v->lo, need, w) > 0)
			return false;
		if (cmp_be(v->hi, need, w) >= 0) {
			if (is_max(v->hi, w))
				return true;
			memcpy(need, v->hi, w);
			inc_be(need, w);
		}
	}
	return false;
}

/* Whether a accepts every value b accepts. absent_ok: a field that is not
 * written accepts only values that exist (addresses always do; ports do
 * not exist in every packet, so "any" is wider than every port list). */
static bool iset_covers(const struct iset *a, const struct iset *b,
			unsigned w, bool any_is_all)
{
	static const struct iset empty = { .kind = IS_NOT };
	const struct iset *bl = b;

	if (a->kind == IS_ANY || b->kind == IS_NONE)
		return true;
	if (a->kind == IS_NONE)
		return false;
	if (b->kind == IS_ANY) {
		if (!any_is_all)
			return false;
		bl = &empty; /* every value: "not in the empty list" */
	}
	switch (a->kind) {
	case IS_LIST:
		return bl->kind == IS_LIST ? list_inside(a, bl, w) :
					     union_is_all(a, bl, w);
	case IS_NOT:
		return bl->kind == IS_LIST ? list_disjoint(a, bl, w) :
					     list_inside(bl, a, w);
	default:
		return false;
	}
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

static bool ifaces_cover(const struct ef_rule *a, const struct ef_rule *b)
{
	if (!a->n_ifaces)
		return true;
	if (!b->n_ifaces)
		return false;
	for (size_t i = 0; i < b->n_ifaces; i++) {
		bool found = false;

		for (size_t j = 0; j < a->n_ifaces && !found; j++)
			found = !strcmp(a->ifaces[j], b->ifaces[i]) ||
				(!has_glob(b->ifaces[i]) &&
				 !fnmatch(a->ifaces[j], b->ifaces[i], 0));
		if (!found)
			return false;
	}
	return true;
}

static bool frag_covers(uint8_t a, uint8_t b)
{
	if (a == EF_FRAG_ANY || a == b)
		return true;
	return a == EF_FRAG_YES && (b == EF_FRAG_FIRST || b == EF_FRAG_LATER);
}

/* The fields that are single values or bitmaps. */
static bool scalars_cover(const struct ef_rule *a, const struct ef_rule *b)
{
	if ((a->hooks & b->hooks) != b->hooks)
		return false;
	if (a->vlan != EF_VLAN_ANY && a->vlan != b->vlan)
		return false;
	if (!frag_covers(a->frag, b->frag))
		return false;
	if (a->icmp_type >= 0 && a->icmp_type != b->icmp_type)
		return false;
	if (a->icmp_code >= 0 && a->icmp_code != b->icmp_code)
		return false;
	if ((b->tcp_flags_mask & a->tcp_flags_mask) != a->tcp_flags_mask ||
	    (b->tcp_flags_value & a->tcp_flags_mask) != a->tcp_flags_value)
		return false;
	if (!a->proto_any) {
		if (b->proto_any)
			return false;
		for (size_t i = 0; i < sizeof(a->protos); i++)
			if (b->protos[i] & ~a->protos[i])
				return false;
	}
	return true;
}

static bool rule_covers(const struct ef_rule *a, const struct rinfo *ai,
			const struct ef_rule *b, const struct rinfo *bi)
{
	if (!scalars_cover(a, b) || !ifaces_cover(a, b))
		return false;
	for (int f = 0; f < 2; f++)
		if (!iset_covers(&ai->port[f], &bi->port[f], PORT_WIDTH, false))
			return false;
	for (int fam = 0; fam < 2; fam++) {
		if (!bi->fam[fam])
			continue;
		for (int f = 0; f < 2; f++)
			if (!iset_covers(&ai->addr[f][fam], &bi->addr[f][fam],
					 fam_width[fam], true))
				return false;
	}
	return true;
}

static int build_info(const struct ef_ruleset *rs, const struct ef_rule *r,
		      struct rinfo *ri)
{
	const struct ef_addr_field *af[2] = { &r->src, &r->dst };
	const struct ef_port_field *pf[2] = { &r->sport, &r->dport };

	ri->fam[0] = ef_rule_has_family(r, EF_AF_INET);
	ri->fam[1] = ef_rule_has_family(r, EF_AF_INET6);
	ri->dead = (!ri->fam[0] && !ri->fam[1]) ||
		   (r->frag == EF_FRAG_LATER &&
		    rs->frag_policy != EF_FRAGPOL_RULES);
	for (int f = 0; f < 2; f++) {
		ri->dead |= !pf[f]->any && !pf[f]->n;
		if (build_port(pf[f], &ri->port[f]))
			return -1;
		for (int fam = 0; fam < 2; fam++)
			if (build_addr(af[f], fam, &ri->addr[f][fam]))
				return -1;
	}
	return 0;
}

static void free_info(struct rinfo *ri)
{
	for (int f = 0; f < 2; f++) {
		free(ri->port[f].v);
		for (int fam = 0; fam < 2; fam++)
			free(ri->addr[f][fam].v);
	}
}

void rs_check_reachability(const struct ef_ruleset *rs, const char *file,
			   struct ef_diag *d)
{
	struct rinfo *info = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*info));
	size_t built = 0;

	if (!info) {
		ef_err(d, file, 0, 0, "out of memory checking which rules can match");
		return;
	}
	for (; built < rs->n_rules; built++) {
		if (build_info(rs, &rs->rules[built], &info[built])) {
			free_info(&info[built]);
			ef_err(d, file, 0, 0, "out of memory checking which rules can match");
			goto out;
		}
	}
	for (size_t b = 0; b < rs->n_rules; b++) {
		const struct ef_rule *rb = &rs->rules[b];
		const struct ef_addr_field *src = &rb->src, *dst = &rb->dst;

		/* Empty sets were reported where they are used. */
		if (!info[b].fam[0] && !info[b].fam[1] && src->n && dst->n)
			ef_warn(d, file, rb->line, rb->col,
				"rule '%s' can never match: its src and dst have no address family in common",
				rb->name);
		if (info[b].dead)
			continue;
		for (size_t a = 0; a < b; a++) {
			if (info[a].dead ||
			    !rule_covers(&rs->rules[a], &info[a], rb, &info[b]))
				continue;
			ef_warn(d, file, rb->line, rb->col,
				"rule '%s' can never match: rule '%s' (line %u) matches every packet it does",
				rb->name, rs->rules[a].name, rs->rules[a].line);
			break;
		}
	}
out:
	for (size_t i = 0; i < built; i++)
		free_info(&info[i]);
	free(info);
}
