// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A rule as boxes in the trees' key space (kern/edgefw.h, EDGEFW_TK_*).
 *
 * Each field becomes a list of alternatives, each a range per key word it
 * covers: an IPv4 address field one merged range per run of prefixes (a
 * negated list its complement), an IPv6 prefix one range per 32-bit word
 * (the words a /48 fixes are single values, the word it ends in a range,
 * the rest anything), ports their merged ranges (negated: the complement
 * within 0-65535, so a packet without ports, EDGEFW_NO_L4, never matches),
 * an ICMP type or code one value, protocol and fragment state the runs of
 * l4proto * 3 + state they allow. The rule is the union of the cross
 * product of its fields' alternatives. TCP flags and hooks are no ranges:
 * the leaf tests them on each entry. Interface patterns depend on where
 * the instance is attached and negated IPv6 lists have no short range
 * form: rules with those stay in the chain.
 */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "classify_internal.h"

/* One alternative of a field: ranges for up to four consecutive words. */
struct alt {
	uint32_t lo[4], hi[4];
};

enum {
	F_SRC,
	F_DST,
	F_PROTO,
	F_SPORT,
	F_DPORT,
	F_VLAN,
	F_COUNT
};

static const uint8_t field_word[F_COUNT] = {
	EDGEFW_TK_SRC,   EDGEFW_TK_DST,   EDGEFW_TK_PROTO,
	EDGEFW_TK_SPORT, EDGEFW_TK_DPORT, EDGEFW_TK_VLAN,
};

struct alts {
	struct alt v[EF_TREE_MAX_RULE_BOXES];
	size_t n;
	unsigned words; /* key words an alternative covers */
};

static int push(struct alts *a, uint32_t lo, uint32_t hi)
{
	if (a->n == EF_TREE_MAX_RULE_BOXES)
		return -E2BIG;
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	a->v[a->n].lo[0] = lo;
	a->v[a->n].hi[0] = hi;
	a->n++;
	return 0;
}

struct span32 {
	uint32_t lo, hi;
};

static int cmp_span(const void *x, const void *y)
{
	const struct span32 *a = x, *b = y;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* Sorts and merges overlapping or adjacent spans in place; returns how
 * many remain. */
static size_t merge_spans(struct span32 *v, size_t n)
{
	size_t k = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_span);
	for (size_t i = 1; i < n; i++) {
		if (v[i].lo <= v[k].hi || (v[k].hi != UINT32_MAX && v[i].lo == v[k].hi + 1)) {
			if (v[i].hi > v[k].hi)
				v[k].hi = v[i].hi;
		} else {
			v[++k] = v[i];
		}
	}
	return k + 1;
}

/* The spans (merged), or with negate their complement within [0, top]. */
static int push_spans(struct alts *a, struct span32 *v, size_t n, bool negate, uint32_t top)
{
	uint64_t next = 0;
	int ret = 0;

	n = merge_spans(v, n);
	if (!negate) {
		for (size_t i = 0; i < n && !ret; i++)
			ret = push(a, v[i].lo, v[i].hi);
		return ret;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		if (v[i].lo > next)
			ret = push(a, (uint32_t)next, v[i].lo - 1);
		next = (uint64_t)v[i].hi + 1;
	}
	if (!ret && next <= top)
		ret = push(a, (uint32_t)next, top);
	return ret;
}

static uint32_t word_of(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The range of word w (0-3) of the addresses in prefix p. */
static void prefix_word(const struct ef_prefix *p, unsigned w, uint32_t *lo, uint32_t *hi)
{
	int bits = (int)p->len - 32 * (int)w;
	uint32_t v = word_of(&p->addr[4 * w]);
	uint32_t mask = bits >= 32 ? UINT32_MAX : bits <= 0 ? 0 : ~(UINT32_MAX >> bits);

	*lo = v & mask;
	*hi = *lo | ~mask;
}

static int addr_alts(const struct ef_addr_field *f, uint8_t family, struct alts *a,
		     const char **why)
{
	struct span32 v[EF_TREE_MAX_RULE_BOXES + 1];
	size_t n = 0;

	a->words = family == EF_AF_INET ? 1 : 4;
	if (f->any) {
		a->n = 1;
		memset(&a->v[0], 0, sizeof(a->v[0]));
		for (unsigned w = 0; w < a->words; w++)
			a->v[0].hi[w] = UINT32_MAX;
		return 0;
	}
	if (family == EF_AF_INET6 && f->negate) {
		for (size_t i = 0; i < f->n; i++)
			if (f->v[i].family == family) {
				*why = "negated IPv6 addresses";
				return -EOPNOTSUPP;
			}
		return 0; /* covers no IPv6 address: matches none */
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct ef_prefix *p = &f->v[i];

		if (p->family != family)
			continue;
		if (family == EF_AF_INET6) {
			struct alt *x = &a->v[a->n];

			if (a->n == EF_TREE_MAX_RULE_BOXES)
				return -E2BIG;
			for (unsigned w = 0; w < 4; w++)
				prefix_word(p, w, &x->lo[w], &x->hi[w]);
			a->n++;
			continue;
		}
		if (n == EF_TREE_MAX_RULE_BOXES + 1)
			return -E2BIG;
		prefix_word(p, 0, &v[n].lo, &v[n].hi);
		n++;
	}
	if (family == EF_AF_INET6)
		return 0; /* overlapping IPv6 boxes only cost leaf entries */
	/* A negated list of no IPv4 prefix does not cover IPv4: no match. */
	if (f->negate && !n)
		return 0;
	return push_spans(a, v, n, f->negate, UINT32_MAX);
}

static int port_alts(const struct ef_port_field *f, int16_t icmp, struct alts *a)
{
	struct span32 v[EF_TREE_MAX_RULE_BOXES + 1];

	a->words = 1;
	if (icmp >= 0)
		return push(a, (uint32_t)icmp, (uint32_t)icmp);
	if (f->any)
		return push(a, 0, EDGEFW_NO_L4);
	if (f->n > EF_TREE_MAX_RULE_BOXES + 1)
		return -E2BIG;
	for (size_t i = 0; i < f->n; i++) {
		v[i].lo = f->v[i].lo;
		v[i].hi = f->v[i].hi;
	}
	/* An empty list matches nothing, negated or not. */
	if (!f->n)
		return 0;
	return push_spans(a, v, f->n, f->negate, 65535);
}

static int proto_alts(const struct ef_rule *r, struct alts *a)
{
	int64_t run = -1;
	int ret = 0;

	a->words = 1;
	for (unsigned k = 0; k <= EDGEFW_TREE_PROTO_LEN && !ret; k++) {
		bool in = k < EDGEFW_TREE_PROTO_LEN &&
			  ef_rule_has_proto(r, (uint8_t)(k / EDGEFW_FRAG_STATES)) &&
			  cl_frag_allows(r->frag, k % EDGEFW_FRAG_STATES);

		if (in && run < 0)
			run = k;
		if (!in && run >= 0) {
			ret = push(a, (uint32_t)run, k - 1);
			run = -1;
		}
	}
	return ret;
}

static int field_alts(const struct ef_rule *r, uint8_t family, struct alts f[F_COUNT],
		      const char **why)
{
	int ret;

	memset(f, 0, sizeof(*f) * F_COUNT);
	ret = addr_alts(&r->src, family, &f[F_SRC], why);
	if (!ret)
		ret = addr_alts(&r->dst, family, &f[F_DST], why);
	if (!ret)
		ret = proto_alts(r, &f[F_PROTO]);
	if (!ret)
		ret = port_alts(&r->sport, r->icmp_type, &f[F_SPORT]);
	if (!ret)
		ret = port_alts(&r->dport, r->icmp_code, &f[F_DPORT]);
	f[F_VLAN].words = 1;
	if (!ret)
		ret = r->vlan == EF_VLAN_ANY
			      ? push(&f[F_VLAN], 0, EDGEFW_UNTAGGED)
			      : push(&f[F_VLAN], (uint32_t)r->vlan, (uint32_t)r->vlan);
	return ret;
}

int ef_rule_boxes(const struct ef_rule *r, uint32_t index, uint8_t family, struct ef_box *out,
		  size_t max, const char **why)
{
	struct alts f[F_COUNT];
	size_t total = 1, pick[F_COUNT] = { 0 };
	int ret;

	*why = NULL;
	if (r->n_ifaces) {
		*why = "interface patterns";
		return -EOPNOTSUPP;
	}
	/* The trees' key has no connection state (kern/tree_walk.h): a rule
	 * reading it stays in the chain, whose protocol field carries it. */
	if (r->states) {
		*why = "connection states";
		return -EOPNOTSUPP;
	}
	/* Nor the dynamic conditions (kern/dynset.h): the chain's condition
	 * field carries them. */
	if (r->cond_mask) {
		*why = "dynamic sets or limits";
		return -EOPNOTSUPP;
	}
	ret = field_alts(r, family, f, why);
	if (ret)
		return ret;
	for (int i = 0; i < F_COUNT; i++)
		if (!f[i].n)
			return 0; /* a field no packet of the family passes */
	for (int i = 0; i < F_COUNT; i++) {
		total *= f[i].n;
		if (total > max)
			return -E2BIG;
	}
	for (size_t b = 0; b < total; b++) {
		struct ef_box *x = &out[b];

		memset(x, 0, sizeof(*x));
		x->rule = index;
		x->hooks = r->hooks;
		if (r->tcp_flags_mask) {
			x->flags_mask = EDGEFW_TLEAF_FLAGS_SET | r->tcp_flags_mask;
			x->flags_value = r->tcp_flags_value;
		}
		for (int i = 0; i < F_COUNT; i++)
			for (unsigned w = 0; w < f[i].words; w++) {
				x->lo[field_word[i] + w] = f[i].v[pick[i]].lo[w];
				x->hi[field_word[i] + w] = f[i].v[pick[i]].hi[w];
			}
		/* the next combination, like an odometer */
		for (int i = 0; i < F_COUNT && ++pick[i] == f[i].n; i++)
			pick[i] = 0;
	}
	return (int)total;
}
