// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The shape of a ClassBench set, to compare a generated set with its seed:
 * what cb_generate means to preserve, measured the same way on both. */
#include <stdlib.h>
#include <string.h>

#include "classbench.h"

struct pfx_stats {
	size_t wild;         /* rules with /0 */
	size_t distinct;     /* distinct non-wildcard prefixes */
	size_t long_ones;    /* of those, /8 or longer */
	size_t nested;       /* of those, inside another one */
	size_t depth_sum;    /* prefixes each is inside of */
	unsigned max_depth;  /* longest chain of prefixes inside each other */
	double mean_lcp;     /* longest common prefix with a sorted neighbour */
	size_t len_hist[33]; /* rules by prefix length */
};

struct shape {
	size_t rules;
	struct pfx_stats f[2];
	size_t both_wild;        /* src and dst both /0 */
	size_t port_class[2][5]; /* any, 0-1023, 1024-65535, exact, range */
	size_t port_distinct[2];
	size_t proto[256], proto_any;
	size_t inexpressible; /* ports on a portless protocol */
	size_t tuples_len;    /* distinct (src length, dst length) */
	size_t tuples_full;   /* ... and protocol given, port kinds */
};

struct pv {
	uint32_t a;
	uint8_t len;
};

static int cmp_pv(const void *x, const void *y)
{
	const struct pv *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (int)a->len - (int)b->len;
}

#define NEST_MIN_LEN 8

static uint32_t mask_of(unsigned len)
{
	return len ? ~0u << (32 - len) : 0;
}

static unsigned lcp(const struct pv *a, const struct pv *b)
{
	uint32_t d = a->a ^ b->a;
	unsigned n = d ? (unsigned)__builtin_clz(d) : 32;
	unsigned cap = a->len < b->len ? a->len : b->len;

	return n < cap ? n : cap;
}

/* Nesting with a stack: sorted by address then length, a prefix's
 * containers come before it, and those still on the stack are exactly the
 * ones containing it. */
static void nesting(const struct pv *v, size_t n, struct pfx_stats *st)
{
	const struct pv **stack = calloc(34, sizeof(*stack));
	size_t depth = 0;
	double lcps = 0;

	if (!stack)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned best = 0;

		while (depth && ((v[i].a ^ stack[depth - 1]->a) & mask_of(stack[depth - 1]->len)))
			depth--;
		/* Only containers of /8 or longer: the /1 and /2 of a few wide
		 * rules contain nearly everything and would hide the shape. */
		if (v[i].len >= NEST_MIN_LEN) {
			if (depth)
				st->nested++;
			stack[depth++] = &v[i];
			st->depth_sum += depth - 1;
			if (depth > st->max_depth)
				st->max_depth = (unsigned)depth;
		}
		if (i > 0)
			best = lcp(&v[i - 1], &v[i]);
		if (i + 1 < n && lcp(&v[i], &v[i + 1]) > best)
			best = lcp(&v[i], &v[i + 1]);
		lcps += best;
	}
	st->mean_lcp = n ? lcps / (double)n : 0;
	free(stack);
}

static void prefix_stats(const struct cb_set *s, int dst, struct pfx_stats *st)
{
	struct pv *v = calloc(s->n ? s->n : 1, sizeof(*v));
	size_t n = 0, k = 0;

	if (!v)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct pv p = { dst ? s->v[i].dst : s->v[i].src,
				dst ? s->v[i].dst_len : s->v[i].src_len };

		st->len_hist[p.len]++;
		if (!p.len)
			st->wild++;
		else
			v[n++] = p;
	}
	qsort(v, n, sizeof(*v), cmp_pv);
	for (size_t i = 0; i < n; i++)
		if (!k || cmp_pv(&v[k - 1], &v[i]))
			v[k++] = v[i];
	st->distinct = k;
	for (size_t i = 0; i < k; i++)
		st->long_ones += v[i].len >= NEST_MIN_LEN;
	nesting(v, k, st);
	free(v);
}

double cb_nested_share(const struct cb_set *s, int dst)
{
	struct pfx_stats st;

	memset(&st, 0, sizeof(st));
	prefix_stats(s, dst, &st);
	return st.long_ones ? (double)st.nested / (double)st.long_ones : 0;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

static unsigned port_class_of(uint16_t lo, uint16_t hi)
{
	if (lo == 0 && hi == 65535)
		return 0;
	if (lo == 0 && hi == 1023)
		return 1;
	if (lo == 1024 && hi == 65535)
		return 2;
	return lo == hi ? 3 : 4;
}

static void port_stats(const struct cb_set *s, int dst, struct shape *sh)
{
	uint32_t *v = calloc(s->n ? s->n : 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return;
	for (size_t i = 0; i < s->n; i++) {
		uint16_t lo = dst ? s->v[i].dport_lo : s->v[i].sport_lo;
		uint16_t hi = dst ? s->v[i].dport_hi : s->v[i].sport_hi;

		sh->port_class[dst][port_class_of(lo, hi)]++;
		v[i] = (uint32_t)lo << 16 | hi;
	}
	qsort(v, s->n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < s->n; i++)
		k += !i || v[i] != v[i - 1];
	sh->port_distinct[dst] = k;
	free(v);
}

static size_t distinct_u32(uint32_t *v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		k += !i || v[i] != v[i - 1];
	return k;
}

/* What tuple space search would need: one hash table per distinct tuple,
 * each probed by every packet that reaches it (all of them, for a packet
 * no rule matches). By address lengths alone, a lower bound, and with the
 * protocol given or not and each port field's kind (any, exact, range). */
static void tuple_stats(const struct cb_set *s, struct shape *sh)
{
	uint32_t *a = calloc(s->n ? s->n : 1, sizeof(*a));
	uint32_t *b = calloc(s->n ? s->n : 1, sizeof(*b));

	if (!a || !b)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const struct cb_rule *r = &s->v[i];
		unsigned sk = port_class_of(r->sport_lo, r->sport_hi);
		unsigned dk = port_class_of(r->dport_lo, r->dport_hi);

		a[i] = (uint32_t)r->src_len << 8 | r->dst_len;
		b[i] = a[i] << 16 | (uint32_t) !!r->proto_mask << 8 |
		       (sk ? sk == 3 ? 1u : 2u : 0u) << 4 | (dk ? dk == 3 ? 1u : 2u : 0u);
	}
	sh->tuples_len = distinct_u32(a, s->n);
	sh->tuples_full = distinct_u32(b, s->n);
out:
	free(a);
	free(b);
}

static void measure(const struct cb_set *s, struct shape *sh)
{
	memset(sh, 0, sizeof(*sh));
	sh->rules = s->n;
	prefix_stats(s, 0, &sh->f[0]);
	prefix_stats(s, 1, &sh->f[1]);
	port_stats(s, 0, sh);
	port_stats(s, 1, sh);
	tuple_stats(s, sh);
	for (size_t i = 0; i < s->n; i++) {
		const struct cb_rule *r = &s->v[i];

		sh->both_wild += !r->src_len && !r->dst_len;
		if (r->proto_mask)
			sh->proto[r->proto]++;
		else
			sh->proto_any++;
		sh->inexpressible += !cb_expressible(r);
	}
}

static double pct(size_t x, size_t n)
{
	return n ? 100.0 * (double)x / (double)n : 0;
}

static void row_pct(FILE *out, const char *what, size_t a, size_t na, const struct shape *b,
		    size_t bv, size_t nb)
{
	fprintf(out, "  %-34s %9.2f%%", what, pct(a, na));
	if (b)
		fprintf(out, " %9.2f%%", pct(bv, nb));
	fputc('\n', out);
}

static void row_num(FILE *out, const char *what, double a, const struct shape *b, double bv)
{
	fprintf(out, "  %-34s %10.2f", what, a);
	if (b)
		fprintf(out, " %10.2f", bv);
	fputc('\n', out);
}

static void print_prefixes(FILE *out, const struct shape *a, const struct shape *b)
{
	static const char *const fname[2] = { "src", "dst" };
	char what[64];

	for (int f = 0; f < 2; f++) {
		const struct pfx_stats *x = &a->f[f], *y = b ? &b->f[f] : NULL;

		snprintf(what, sizeof(what), "%s wildcard (/0)", fname[f]);
		row_pct(out, what, x->wild, a->rules, b, y ? y->wild : 0, b ? b->rules : 0);
		snprintf(what, sizeof(what), "%s distinct prefixes per rule", fname[f]);
		row_num(out, what, a->rules ? (double)x->distinct / (double)a->rules : 0, b,
			y && b->rules ? (double)y->distinct / (double)b->rules : 0);
		snprintf(what, sizeof(what), "%s >=/8 inside another >=/8", fname[f]);
		row_pct(out, what, x->nested, x->long_ones, b, y ? y->nested : 0,
			y ? y->long_ones : 0);
		snprintf(what, sizeof(what), "%s >=/8 mean nesting depth", fname[f]);
		row_num(out, what, x->long_ones ? (double)x->depth_sum / (double)x->long_ones : 0,
			b, y && y->long_ones ? (double)y->depth_sum / (double)y->long_ones : 0);
		snprintf(what, sizeof(what), "%s >=/8 deepest nesting", fname[f]);
		row_num(out, what, x->max_depth, b, y ? y->max_depth : 0);
		snprintf(what, sizeof(what), "%s mean common bits w/ neighbour", fname[f]);
		row_num(out, what, x->mean_lcp, b, y ? y->mean_lcp : 0);
	}
	fprintf(out, "  prefix length histogram (%% of rules): src | dst\n");
	for (int len = 0; len <= 32; len++) {
		size_t sa = a->f[0].len_hist[len], da = a->f[1].len_hist[len];
		size_t sb = b ? b->f[0].len_hist[len] : 0, db = b ? b->f[1].len_hist[len] : 0;

		if (!sa && !da && !sb && !db)
			continue;
		fprintf(out, "    /%-2d  %6.2f", len, pct(sa, a->rules));
		if (b)
			fprintf(out, " %6.2f", pct(sb, b->rules));
		fprintf(out, "  | %6.2f", pct(da, a->rules));
		if (b)
			fprintf(out, " %6.2f", pct(db, b->rules));
		fputc('\n', out);
	}
}

static void print_ports(FILE *out, const struct shape *a, const struct shape *b)
{
	static const char *const cname[5] = { "any", "0-1023", "1024-65535", "exact",
					      "other range" };
	char what[64];

	for (int f = 0; f < 2; f++) {
		for (int c = 0; c < 5; c++) {
			snprintf(what, sizeof(what), "%s %s", f ? "dport" : "sport", cname[c]);
			row_pct(out, what, a->port_class[f][c], a->rules, b,
				b ? b->port_class[f][c] : 0, b ? b->rules : 0);
		}
		snprintf(what, sizeof(what), "%s distinct ranges", f ? "dport" : "sport");
		row_num(out, what, (double)a->port_distinct[f], b,
			b ? (double)b->port_distinct[f] : 0);
	}
}

static void print_protos(FILE *out, const struct shape *a, const struct shape *b)
{
	char what[64];

	row_pct(out, "proto any", a->proto_any, a->rules, b, b ? b->proto_any : 0,
		b ? b->rules : 0);
	for (int p = 0; p < 256; p++) {
		if (!a->proto[p] && !(b && b->proto[p]))
			continue;
		snprintf(what, sizeof(what), "proto %d", p);
		row_pct(out, what, a->proto[p], a->rules, b, b ? b->proto[p] : 0, b ? b->rules : 0);
	}
	row_pct(out, "ports on a portless protocol", a->inexpressible, a->rules, b,
		b ? b->inexpressible : 0, b ? b->rules : 0);
}

void cb_print_stats(FILE *out, const char *name_a, const struct cb_set *a, const char *name_b,
		    const struct cb_set *b)
{
	struct shape *sa = calloc(1, sizeof(*sa)), *sb = b ? calloc(1, sizeof(*sb)) : NULL;

	if (!sa || (b && !sb)) {
		fprintf(out, "out of memory\n");
		goto out;
	}
	measure(a, sa);
	if (b)
		measure(b, sb);
	fprintf(out, "  %-34s %10s", "", name_a);
	if (b)
		fprintf(out, " %10s", name_b);
	fputc('\n', out);
	row_num(out, "rules", (double)sa->rules, sb, sb ? (double)sb->rules : 0);
	row_pct(out, "src and dst both wildcard", sa->both_wild, sa->rules, sb,
		sb ? sb->both_wild : 0, sb ? sb->rules : 0);
	print_prefixes(out, sa, sb);
	print_ports(out, sa, sb);
	print_protos(out, sa, sb);
	fprintf(out, "  alternatives' cost per packet:\n");
	row_num(out, "tuples: (src len, dst len)", (double)sa->tuples_len, sb,
		sb ? (double)sb->tuples_len : 0);
	row_num(out, "tuples: + proto, port kinds", (double)sa->tuples_full, sb,
		sb ? (double)sb->tuples_full : 0);
	/* A bit vector per field value: a packet ANDs one per field (src,
	 * dst, sport, dport, proto), a bit per rule. */
	row_num(out, "bit vectors: 64-bit words read", (double)(5 * ((sa->rules + 63) / 64)), sb,
		sb ? (double)(5 * ((sb->rules + 63) / 64)) : 0);
out:
	free(sa);
	free(sb);
}
