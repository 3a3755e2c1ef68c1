// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ClassBench-shaped sets of any size from a seed set, and their shape
 * statistics.
 *
 * Each generated rule starts from a template, a seed rule drawn at random,
 * and keeps its shape: protocol, prefix lengths (so the wildcard fraction of
 * each field and the joint length distribution), the class of each port
 * range (any, 0-1023, 1024-65535, exact, arbitrary). The values are drawn
 * again:
 * - a port range of the same class, from a seed rule with the same protocol
 *   (frequency-weighted: port 80 stays common, and stays TCP);
 * - an address prefix: with the seed's ratio of distinct prefixes to rules,
 *   a new one, else one an earlier generated rule already uses with that
 *   length (preferential: shared destination prefixes stay shared). A new
 *   prefix is derived from an existing one (seed or generated): it keeps its
 *   first k bits, k drawn from the seed's distribution of the longest common
 *   prefix between neighbouring prefixes, and differs at bit k. Where k
 *   reaches the length, the new prefix contains or sits inside the old one:
 *   prefixes nest and overlap as the seed's do.
 * Rules are then ordered by their template's position in the seed (with a
 * random offset within one position), so the seed's order holds: specific
 * rules first, the wide ones at the end, and a final rule matching
 * everything stays last and single. Exact duplicates are drawn again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "classbench.h"
#include "xorshift.h"

/* Nesting is measured and reproduced among prefixes this long or longer
 * (as in cbstats.c): a few /1 rules contain half of everything. */
#define NEST_MIN_LEN 8

enum port_class {
	PC_ANY,
	PC_LOW,
	PC_HIGH,
	PC_EXACT,
	PC_RANGE,
	PC_COUNT
};

static enum port_class port_class(uint16_t lo, uint16_t hi)
{
	if (lo == 0 && hi == 65535)
		return PC_ANY;
	if (lo == 0 && hi == 1023)
		return PC_LOW;
	if (lo == 1024 && hi == 65535)
		return PC_HIGH;
	return lo == hi ? PC_EXACT : PC_RANGE;
}

static uint32_t mask_of(unsigned len)
{
	return len ? ~0u << (32 - len) : 0;
}

struct pfx {
	uint32_t addr;
	uint8_t len;
	uint8_t depth; /* pool prefixes (of NEST_MIN_LEN or more) it is inside */
};

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->len - (int)y->len;
}

static unsigned common_bits(const struct pfx *a, const struct pfx *b)
{
	uint32_t diff = a->addr ^ b->addr;
	unsigned n = diff ? (unsigned)__builtin_clz(diff) : 32;
	unsigned cap = a->len < b->len ? a->len : b->len;

	return n < cap ? n : cap;
}

/* The distinct non-wildcard prefixes of one field, sorted. */
static size_t distinct_prefixes(const struct cb_set *s, int dst, struct pfx **out)
{
	struct pfx *v = calloc(s->n ? s->n : 1, sizeof(*v));
	size_t n = 0, k = 0;

	if (!v)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct cb_rule *r = &s->v[i];
		struct pfx p = { dst ? r->dst : r->src, dst ? r->dst_len : r->src_len, 0 };

		if (p.len)
			v[n++] = p;
	}
	qsort(v, n, sizeof(*v), cmp_pfx);
	for (size_t i = 0; i < n; i++)
		if (!k || cmp_pfx(&v[k - 1], &v[i]))
			v[k++] = v[i];
	*out = v;
	return k;
}

/* Per field: the histogram of the longest common prefix between each
 * distinct prefix and its sorted neighbours (how tightly they cluster). */
static void lcp_histogram(const struct pfx *v, size_t n, unsigned hist[33])
{
	memset(hist, 0, 33 * sizeof(*hist));
	for (size_t i = 0; i < n; i++) {
		unsigned best = 0, c;

		if (i > 0 && (c = common_bits(&v[i - 1], &v[i])) > best)
			best = c;
		if (i + 1 < n && (c = common_bits(&v[i], &v[i + 1])) > best)
			best = c;
		hist[best]++;
	}
}

/* A set of prefixes (open addressing; key 0 is "empty", never a key). */
struct pset {
	uint64_t *keys;
	size_t n, cap;
};

static uint64_t pkey(uint32_t addr, unsigned len)
{
	return (uint64_t)addr << 8 | len | 1ull << 40;
}

static size_t pslot(const struct pset *s, uint64_t k)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (s->cap - 1);
}

static bool pset_has(const struct pset *s, uint64_t k)
{
	if (!s->cap)
		return false;
	for (size_t i = pslot(s, k); s->keys[i]; i = (i + 1) & (s->cap - 1))
		if (s->keys[i] == k)
			return true;
	return false;
}

static int pset_add(struct pset *s, uint64_t k)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct pset bigger = { .cap = s->cap ? 2 * s->cap : 4096 };

		bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
		if (!bigger.keys)
			return -ENOMEM;
		for (size_t j = 0; j < s->cap; j++)
			if (s->keys[j] && pset_add(&bigger, s->keys[j]))
				return -ENOMEM; /* cannot happen: room made above */
		free(s->keys);
		*s = bigger;
	}
	for (i = pslot(s, k); s->keys[i]; i = (i + 1) & (s->cap - 1))
		if (s->keys[i] == k)
			return 0;
	s->keys[i] = k;
	s->n++;
	return 0;
}

struct field_model {
	struct pfx *pool; /* seed prefixes, then new ones */
	size_t n_pool, cap_pool;
	unsigned lcp[33];
	unsigned lcp_total;
	double p_new[33];       /* by length: distinct prefixes per rule using one */
	double nested;          /* share of prefixes inside another (cbstats.c) */
	unsigned max_depth;     /* longest chain of prefixes inside each other */
	unsigned seed_depth;    /* the seed's: chains stay within it */
	struct pset exact;      /* the pool's prefixes of NEST_MIN_LEN or more */
	struct pset covers;     /* prefixes with one of those strictly inside */
	struct pfx *by_len[33]; /* prefixes generated rules use, with repeats */
	size_t n_by_len[33], cap_by_len[33];
};

struct gen {
	const struct cb_set *seed;
	size_t n_templates; /* seed rules usable as templates */
	uint64_t rnd;
	struct field_model f[2];
};

static int push_pfx(struct pfx **v, size_t *n, size_t *cap, struct pfx p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct pfx *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = p;
	return 0;
}

/* Records p, and its depth in it: prefixes inside others come after them
 * (the seed's are sorted, new ones are drawn shortest first). */
static int index_prefix(struct field_model *m, struct pfx *p)
{
	int ret = 0;

	p->depth = 0;
	if (p->len < NEST_MIN_LEN)
		return 0;
	for (unsigned l = NEST_MIN_LEN; l < p->len && !ret; l++) {
		p->depth += pset_has(&m->exact, pkey(p->addr & mask_of(l), l));
		ret = pset_add(&m->covers, pkey(p->addr & mask_of(l), l));
	}
	if (p->depth >= m->max_depth)
		m->max_depth = p->depth + 1u;
	return ret ? ret : pset_add(&m->exact, pkey(p->addr, p->len));
}

/* Whether p is already in the pool, inside one of its prefixes or around
 * one (counting prefixes of NEST_MIN_LEN or more only). */
static bool entangled(const struct field_model *m, struct pfx p)
{
	if (p.len < NEST_MIN_LEN)
		return false;
	for (unsigned l = NEST_MIN_LEN; l <= p.len; l++)
		if (pset_has(&m->exact, pkey(p.addr & mask_of(l), l)))
			return true;
	return pset_has(&m->covers, pkey(p.addr, p.len));
}

static int model_field(struct gen *g, int dst)
{
	struct field_model *m = &g->f[dst];
	size_t used[33] = { 0 }, distinct[33] = { 0 };

	m->n_pool = distinct_prefixes(g->seed, dst, &m->pool);
	if (!m->pool)
		return -ENOMEM;
	m->cap_pool = m->n_pool ? m->n_pool : 1;
	lcp_histogram(m->pool, m->n_pool, m->lcp);
	for (int i = 0; i <= 32; i++)
		m->lcp_total += m->lcp[i];
	for (size_t i = 0; i < g->seed->n; i++)
		used[dst ? g->seed->v[i].dst_len : g->seed->v[i].src_len]++;
	for (size_t i = 0; i < m->n_pool; i++)
		distinct[m->pool[i].len]++;
	m->nested = cb_nested_share(g->seed, dst);
	for (size_t i = 0; i < m->n_pool; i++)
		if (index_prefix(m, &m->pool[i]))
			return -ENOMEM;
	m->seed_depth = m->max_depth;
	/* Per length: 2 distinct /1s among 1,800 rules stay 2. */
	for (int l = 0; l <= 32; l++)
		m->p_new[l] = used[l] ? (double)distinct[l] / (double)used[l] : 1.0;
	return 0;
}

static unsigned draw_lcp(struct gen *g, const struct field_model *m)
{
	uint64_t x;

	if (!m->lcp_total)
		return (unsigned)xorshift_below(&g->rnd, 33);
	x = xorshift_below(&g->rnd, m->lcp_total);
	for (unsigned k = 0; k <= 32; k++) {
		if (x < m->lcp[k])
			return k;
		x -= m->lcp[k];
	}
	return 32;
}

static double uniform(struct gen *g)
{
	return (double)(xorshift_next(&g->rnd) >> 11) / (double)(1ull << 53);
}

/* A shorter prefix (of NEST_MIN_LEN or more) to put a new one inside,
 * not so deep already that the chain would outgrow the seed's. */
static bool nest_base(struct gen *g, const struct field_model *m, unsigned len, struct pfx *base)
{
	for (int tries = 0; m->n_pool && tries < 32; tries++) {
		*base = m->pool[xorshift_below(&g->rnd, m->n_pool)];
		if (base->len >= NEST_MIN_LEN && base->len < len &&
		    base->depth + 2u <= m->seed_depth)
			return true;
	}
	return false;
}

/* The first keep bits of base, bit keep flipped (when both go on that
 * far), random bits after, cut to len. */
static struct pfx derive(struct gen *g, struct pfx base, unsigned keep, unsigned len)
{
	struct pfx p;

	p.addr = (base.addr & mask_of(keep)) | ((uint32_t)xorshift_next(&g->rnd) & ~mask_of(keep));
	if (keep < len && keep < base.len)
		p.addr = (p.addr & ~(0x80000000u >> keep)) | (~base.addr & (0x80000000u >> keep));
	p.addr &= mask_of(len);
	p.len = (uint8_t)len;
	p.depth = 0;
	return p;
}

static struct pfx new_prefix(struct gen *g, struct field_model *m, unsigned len)
{
	struct pfx base = { (uint32_t)xorshift_next(&g->rnd), 32, 0 }, p;
	unsigned keep, cap;

	if (uniform(g) < m->nested && nest_base(g, m, len, &base))
		return derive(g, base, base.len, len);
	/* Elsewhere: parted from a base before either ends, at a point drawn
	 * from the seed's neighbours, and clear of every other prefix (a few
	 * tries: the space near the base may be full). */
	for (int tries = 0; tries < 16; tries++) {
		if (m->n_pool)
			base = m->pool[xorshift_below(&g->rnd, m->n_pool)];
		keep = draw_lcp(g, m);
		cap = len < base.len ? len : base.len;
		if (keep >= cap)
			keep = cap - 1;
		p = derive(g, base, keep, len);
		if (!entangled(m, p))
			break;
	}
	return p;
}

static int draw_prefix(struct gen *g, int dst, unsigned len, struct pfx *out)
{
	struct field_model *m = &g->f[dst];
	double u = uniform(g);
	int ret;

	out->addr = 0;
	out->len = (uint8_t)len;
	if (!len)
		return 0;
	if (m->n_by_len[len] && u >= m->p_new[len]) {
		*out = m->by_len[len][xorshift_below(&g->rnd, m->n_by_len[len])];
		return push_pfx(&m->by_len[len], &m->n_by_len[len], &m->cap_by_len[len], *out);
	}
	*out = new_prefix(g, m, len);
	ret = index_prefix(m, out);
	if (!ret)
		ret = push_pfx(&m->pool, &m->n_pool, &m->cap_pool, *out);
	if (!ret)
		ret = push_pfx(&m->by_len[len], &m->n_by_len[len], &m->cap_by_len[len], *out);
	return ret;
}

/* A port range of the template's class from a seed rule with the same
 * protocol (the template's own when none turns up). */
static void draw_ports(struct gen *g, const struct cb_rule *t, int dst, uint16_t *lo, uint16_t *hi)
{
	enum port_class want =
		dst ? port_class(t->dport_lo, t->dport_hi) : port_class(t->sport_lo, t->sport_hi);

	*lo = dst ? t->dport_lo : t->sport_lo;
	*hi = dst ? t->dport_hi : t->sport_hi;
	if (want != PC_EXACT && want != PC_RANGE)
		return;
	for (int tries = 0; tries < 64; tries++) {
		const struct cb_rule *r = &g->seed->v[xorshift_below(&g->rnd, g->n_templates)];
		uint16_t l = dst ? r->dport_lo : r->sport_lo;
		uint16_t h = dst ? r->dport_hi : r->sport_hi;

		if (r->proto == t->proto && r->proto_mask == t->proto_mask &&
		    port_class(l, h) == want) {
			*lo = l;
			*hi = h;
			return;
		}
	}
}

struct placed {
	struct cb_rule r;
	double key;
	size_t tpl;     /* the template, a seed rule */
	unsigned tries; /* drawn from it before, all duplicates */
};

static int cmp_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/* Exact duplicates, by open addressing on the rule's fields. */
struct dedup {
	struct cb_rule *slots;
	bool *used;
	size_t cap;
};

static uint64_t rule_hash(const struct cb_rule *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint32_t w[5] = { r->src, r->dst,
				(uint32_t)r->src_len << 24 | (uint32_t)r->dst_len << 16 |
					r->proto << 8 | r->proto_mask,
				(uint32_t)r->sport_lo << 16 | r->sport_hi,
				(uint32_t)r->dport_lo << 16 | r->dport_hi };

	for (int i = 0; i < 5; i++)
		h = (h ^ w[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static bool same_rule(const struct cb_rule *a, const struct cb_rule *b)
{
	return a->src == b->src && a->dst == b->dst && a->src_len == b->src_len &&
	       a->dst_len == b->dst_len && a->proto == b->proto && a->proto_mask == b->proto_mask &&
	       a->sport_lo == b->sport_lo && a->sport_hi == b->sport_hi &&
	       a->dport_lo == b->dport_lo && a->dport_hi == b->dport_hi;
}

/* True when r was new (and is now recorded). */
static bool dedup_insert(struct dedup *d, const struct cb_rule *r)
{
	size_t i = rule_hash(r) & (d->cap - 1);

	while (d->used[i]) {
		if (same_rule(&d->slots[i], r))
			return false;
		i = (i + 1) & (d->cap - 1);
	}
	d->used[i] = true;
	d->slots[i] = *r;
	return true;
}

/* A rule of a template's shape, addresses to be drawn (place_prefixes). */
static void draw_shape(struct gen *g, size_t t, unsigned tries, struct placed *out)
{
	const struct cb_rule *tpl = &g->seed->v[t];

	out->r = *tpl;
	out->tpl = t;
	out->tries = tries;
	draw_ports(g, tpl, 0, &out->r.sport_lo, &out->r.sport_hi);
	draw_ports(g, tpl, 1, &out->r.dport_lo, &out->r.dport_hi);
	out->key = ((double)t + uniform(g)) / (double)g->seed->n;
}

static int field_len; /* which field cmp_by_len sorts by */
static const struct placed *by_len_of;

static int cmp_by_len(const void *a, const void *b)
{
	const struct cb_rule *x = &by_len_of[*(const size_t *)a].r;
	const struct cb_rule *y = &by_len_of[*(const size_t *)b].r;
	int lx = field_len ? x->dst_len : x->src_len, ly = field_len ? y->dst_len : y->src_len;

	if (lx != ly)
		return lx - ly;
	return (*(const size_t *)a > *(const size_t *)b) -
	       (*(const size_t *)a < *(const size_t *)b);
}

/* Draws the addresses of v[0, n), shortest prefixes first: a short prefix
 * placed late would find no room left that holds no longer one, where a
 * long one always finds room outside the short ones. */
static int place_prefixes(struct gen *g, struct placed *v, size_t n)
{
	size_t *order = calloc(n ? n : 1, sizeof(*order));
	int ret = order ? 0 : -ENOMEM;

	for (int f = 0; f < 2 && !ret; f++) {
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		field_len = f;
		by_len_of = v;
		qsort(order, n, sizeof(*order), cmp_by_len);
		for (size_t i = 0; i < n && !ret; i++) {
			struct cb_rule *r = &v[order[i]].r;
			struct pfx p;

			ret = draw_prefix(g, f, f ? r->dst_len : r->src_len, &p);
			*(f ? &r->dst : &r->src) = p.addr;
		}
	}
	free(order);
	return ret;
}

static void free_gen(struct gen *g)
{
	for (int f = 0; f < 2; f++) {
		free(g->f[f].pool);
		free(g->f[f].exact.keys);
		free(g->f[f].covers.keys);
		for (int l = 0; l <= 32; l++)
			free(g->f[f].by_len[l]);
	}
}

/* Rounds of shapes, then addresses, then duplicates out, until n rules.
 * A duplicate's template is tried again in the next round (a few times),
 * so templates with little room for variety keep their share; the few
 * rules over n leave at random, so no part of the order loses more. */
static int fill(struct gen *g, size_t n, struct placed *v, size_t cap, struct dedup *dd)
{
	struct placed *again = calloc(cap, sizeof(*again));
	size_t made = 0, n_again = 0;
	int ret = again ? 0 : -ENOMEM;

	for (int round = 0; made < n && !ret; round++) {
		size_t want = (n - made) + (n - made) / 16 + 16, kept = made, k = 0;

		if (round == 64) {
			ret = -ENOSPC; /* the seed has too few shapes */
			break;
		}
		if (want > cap - made)
			want = cap - made;
		for (size_t i = 0; i < want; i++, k++) {
			while (k < n_again && again[k].tries >= 8)
				k++; /* that template is full */
			draw_shape(g,
				   k < n_again ? again[k].tpl
					       : xorshift_below(&g->rnd, g->n_templates),
				   k < n_again ? again[k].tries + 1 : 0, &v[made + i]);
		}
		ret = place_prefixes(g, v + made, want);
		n_again = 0;
		for (size_t i = made; i < made + want && !ret; i++)
			if (dedup_insert(dd, &v[i].r))
				v[kept++] = v[i];
			else
				again[n_again++] = v[i];
		made = kept;
	}
	while (!ret && made > n) {
		size_t i = xorshift_below(&g->rnd, made);

		v[i] = v[--made];
	}
	free(again);
	return ret;
}

int cb_generate(const struct cb_set *seed, size_t n, uint64_t seed_value, struct cb_set *out)
{
	struct gen g = { .seed = seed, .n_templates = seed->n, .rnd = xorshift_seed(seed_value) };
	const struct cb_rule *last = seed->n ? &seed->v[seed->n - 1] : NULL;
	bool catch_all = last && cb_is_catch_all(last);
	size_t cap = n + n / 8 + 64;
	struct dedup dd = {};
	struct placed *v = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	if (catch_all)
		g.n_templates--;
	if (!g.n_templates || !n)
		return -EINVAL;
	for (dd.cap = 1024; dd.cap < 2 * cap; dd.cap *= 2)
		;
	dd.slots = calloc(dd.cap, sizeof(*dd.slots));
	dd.used = calloc(dd.cap, sizeof(*dd.used));
	v = calloc(cap, sizeof(*v));
	ret = dd.slots && dd.used && v ? 0 : -ENOMEM;
	if (!ret)
		ret = model_field(&g, 0);
	if (!ret)
		ret = model_field(&g, 1);
	/* The rule matching everything is the seed's last: it stays last. */
	if (!ret && catch_all)
		dedup_insert(&dd, last);
	if (!ret)
		ret = fill(&g, catch_all ? n - 1 : n, v, cap, &dd);
	if (!ret) {
		qsort(v, catch_all ? n - 1 : n, sizeof(*v), cmp_placed);
		if (catch_all)
			v[n - 1].r = *last;
		for (size_t i = 0; i < n && !ret; i++)
			ret = cb_set_add(out, &v[i].r);
	}
	if (ret)
		cb_set_free(out);
	free(v);
	free(dd.slots);
	free(dd.used);
	free_gen(&g);
	return ret;
}
