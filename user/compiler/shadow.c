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
 * 6,273-prefix set is never compared prefix against prefix. Candidates for
 * A are found through an index of every rule's address prefixes: a rule
 * covering B's source must contain B's first source address, and the
 * prefixes containing one address form a short chain. Only rules whose
 * addresses give no such handle are compared with every earlier rule.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"
#include "shadow_internal.h"
#include "u32sort.h"

#define NONE UINT32_MAX

struct rinfo {
	bool dead;
	bool fam[2];            /* families the rule can match: v4, v6 */
	struct iset addr[2][2]; /* [src/dst][v4/v6] */
	struct iset port[2];    /* sport, dport */
};

/* What every comparison reads first, packed so that a scan over thousands
 * of rules stays in cache: each test is a necessary condition for A to
 * cover B. */
struct quick {
	uint64_t proto_sig; /* bit p % 64 for each protocol p; all for any */
	int32_t vlan;
	int16_t icmp_type, icmp_code;
	uint8_t hooks, frag, flags_mask, flags_value, states;
	bool dead, has_ifaces;
	uint8_t port_kind[2];
	uint16_t port_lo[2], port_hi[2]; /* hull of a port list */
};

/* One prefix of one rule's address field, for finding candidates. */
struct pentry {
	u128 lo, hi;
	uint32_t rule;
	uint32_t parent; /* nearest entry containing this one, or NONE */
	uint32_t depth;  /* entries in its chain of containers, itself included */
};

/* Per field and family: which rules could cover a given address. */
struct findex {
	struct pentry *v; /* prefixes of positive fields, nested order */
	size_t n;
	uint32_t *open; /* rules whose field is not written or negated */
	size_t n_open;
};

struct checker {
	const struct ef_ruleset *rs;
	struct rinfo *info;
	struct quick *quick;
	struct findex idx[2][2]; /* [src/dst][v4/v6] */
	uint32_t *cand, *cand_tmp, *stamp;
	size_t n_cand;
	uint64_t work; /* candidate steps so far, against SHADOW_WORK_MAX */
};

/* The check compares rules pairwise where no address narrows the
 * candidates, so its cost can grow with the square of the rules (65,536
 * rules on ports alone: two billion comparisons). It is a warning, not a
 * compilation step: past this many candidate steps (about a second here)
 * it stops and says which rules it did not check. */
#define SHADOW_WORK_MAX (1ull << 27)

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

/* A rule without `state` covers every state; one with covers its own. */
static bool states_cover(uint8_t a, uint8_t b)
{
	return !a || (b && !(b & ~a));
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
	/* A dynamic condition (a set's entries, a limit) of A that B does not
	 * also need may fail while B's fields match. */
	if (a->cond_mask & ~b->cond_mask)
		return false;
	if (a->vlan != EF_VLAN_ANY && a->vlan != b->vlan)
		return false;
	if (!frag_covers(a->frag, b->frag) || !states_cover(a->states, b->states))
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

static void build_quick(const struct ef_rule *r, const struct rinfo *ri, struct quick *q)
{
	q->proto_sig = r->proto_any ? ~0ull : 0;
	for (unsigned pr = 0; pr < 256 && !r->proto_any; pr++)
		if (ef_rule_has_proto(r, (uint8_t)pr))
			q->proto_sig |= 1ull << (pr % 64);
	q->vlan = r->vlan;
	q->icmp_type = r->icmp_type;
	q->icmp_code = r->icmp_code;
	q->hooks = r->hooks;
	q->frag = r->frag;
	q->states = r->states;
	q->flags_mask = r->tcp_flags_mask;
	q->flags_value = r->tcp_flags_value;
	q->dead = ri->dead;
	q->has_ifaces = r->n_ifaces > 0;
	for (int f = 0; f < 2; f++) {
		const struct iset *s = &ri->port[f];

		q->port_kind[f] = (uint8_t)s->kind;
		if (s->n) {
			q->port_lo[f] = (uint16_t)s->v[0].lo;
			q->port_hi[f] = (uint16_t)s->v[s->n - 1].hi;
		}
	}
}

/* True when A certainly does not cover B; false means "look closer". */
static bool quick_reject(const struct quick *a, const struct quick *b)
{
	if (a->dead || (a->hooks & b->hooks) != b->hooks || (b->proto_sig & ~a->proto_sig) ||
	    (a->has_ifaces && !b->has_ifaces))
		return true;
	if ((a->vlan != EF_VLAN_ANY && a->vlan != b->vlan) ||
	    (a->icmp_type >= 0 && a->icmp_type != b->icmp_type) ||
	    (a->icmp_code >= 0 && a->icmp_code != b->icmp_code) ||
	    (b->flags_mask & a->flags_mask) != a->flags_mask ||
	    (b->flags_value & a->flags_mask) != a->flags_value || !frag_covers(a->frag, b->frag) ||
	    !states_cover(a->states, b->states))
		return true;
	for (int f = 0; f < 2; f++) {
		if (a->port_kind[f] != IS_LIST)
			continue;
		if (b->port_kind[f] == IS_ANY)
			return true;
		if (b->port_kind[f] == IS_LIST &&
		    (b->port_lo[f] < a->port_lo[f] || b->port_hi[f] > a->port_hi[f]))
			return true;
	}
	return false;
}

static bool rule_covers(const struct checker *ck, uint32_t a, uint32_t b)
{
	const struct ef_rule *ra = &ck->rs->rules[a], *rb = &ck->rs->rules[b];
	const struct rinfo *ai = &ck->info[a], *bi = &ck->info[b];

	if (quick_reject(&ck->quick[a], &ck->quick[b]) || !scalars_cover(ra, rb) ||
	    !ifaces_cover(ra, rb))
		return false;
	for (int f = 0; f < 2; f++)
		if (!sh_iset_covers(&ai->port[f], &bi->port[f], PORT_MAX, false))
			return false;
	for (int fam = 0; fam < 2; fam++) {
		if (!bi->fam[fam])
			continue;
		for (int f = 0; f < 2; f++)
			if (!sh_iset_covers(&ai->addr[f][fam], &bi->addr[f][fam], sh_fam_max[fam],
					    true))
				return false;
	}
	return true;
}

/* ---- candidates --------------------------------------------------------- */

static int cmp_pentry(const void *a, const void *b)
{
	const struct pentry *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1; /* the container first */
	return (x->rule > y->rule) - (x->rule < y->rule);
}

static int build_index(struct checker *ck, int f, int fam, struct findex *ix)
{
	const struct ef_ruleset *rs = ck->rs;
	size_t n = 0, depth = 0, *stack = NULL;
	int ret = -1;

	for (size_t r = 0; r < rs->n_rules; r++) {
		const struct iset *s = &ck->info[r].addr[f][fam];

		if (s->kind == IS_LIST)
			n += (f ? rs->rules[r].dst.n : rs->rules[r].src.n);
	}
	ix->v = malloc((n ? n : 1) * sizeof(*ix->v));
	ix->open = malloc((rs->n_rules ? rs->n_rules : 1) * sizeof(*ix->open));
	stack = malloc((n ? n : 1) * sizeof(*stack));
	if (!ix->v || !ix->open || !stack)
		goto out;
	for (size_t r = 0; r < rs->n_rules; r++) {
		const struct ef_addr_field *fld = f ? &rs->rules[r].dst : &rs->rules[r].src;
		enum iset_kind kind = ck->info[r].addr[f][fam].kind;

		if (kind == IS_ANY || kind == IS_NOT) {
			ix->open[ix->n_open++] = (uint32_t)r;
			continue;
		}
		if (kind != IS_LIST)
			continue;
		for (size_t i = 0; i < fld->n; i++) {
			struct ival iv;

			if (fld->v[i].family != (fam ? EF_AF_INET6 : EF_AF_INET))
				continue;
			iv = sh_prefix_ival(&fld->v[i], fam);
			ix->v[ix->n++] = (struct pentry){ iv.lo, iv.hi, (uint32_t)r, NONE, 0 };
		}
	}
	qsort(ix->v, ix->n, sizeof(*ix->v), cmp_pentry);
	/* Prefixes nest or are disjoint: a stack of the open ones gives each
	 * its nearest container. */
	for (size_t i = 0; i < ix->n; i++) {
		while (depth && ix->v[stack[depth - 1]].hi < ix->v[i].hi)
			depth--;
		ix->v[i].parent = depth ? (uint32_t)stack[depth - 1] : NONE;
		ix->v[i].depth = (uint32_t)depth + 1;
		stack[depth++] = i;
	}
	ret = 0;
out:
	free(stack);
	return ret;
}

static void add_cand(struct checker *ck, uint32_t a, uint32_t b)
{
	if (a < b && ck->stamp[a] != b) {
		ck->stamp[a] = b;
		ck->cand[ck->n_cand++] = a;
	}
}

/* The last entry starting at or below x (the head of the chain of those
 * that may contain it), or NONE. */
static uint32_t last_at_or_below(const struct findex *ix, u128 x)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->v[mid].lo <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (uint32_t)(lo - 1) : NONE;
}

/* How many candidates the field's index gives for address x: its open
 * rules and the chain of prefixes above x. */
static size_t handle_cost(const struct findex *ix, u128 x)
{
	uint32_t e = last_at_or_below(ix, x);

	return ix->n_open + (e == NONE ? 0 : ix->v[e].depth);
}

/* Rules before b with a prefix containing the address x: they, and those
 * whose field is open (any or negated), may cover b's field. */
static void gather(struct checker *ck, const struct findex *ix, u128 x, uint32_t b)
{
	for (uint32_t e = last_at_or_below(ix, x); e != NONE && ck->work < SHADOW_WORK_MAX;
	     e = ix->v[e].parent) {
		ck->work++;
		if (ix->v[e].hi >= x)
			add_cand(ck, ix->v[e].rule, b);
	}
}

/* The first rule before b that covers it, or NONE. */
static uint32_t first_cover(struct checker *ck, uint32_t b)
{
	const struct rinfo *bi = &ck->info[b];
	const struct findex *best = NULL;
	size_t best_cost = 0;
	u128 x = 0;

	/* The address field giving the fewest candidates is the best handle. */
	for (int f = 0; f < 2; f++) {
		for (int fam = 0; fam < 2; fam++) {
			const struct iset *s = &bi->addr[f][fam];
			const struct findex *ix = &ck->idx[f][fam];

			if (!bi->fam[fam] || s->kind != IS_LIST)
				continue;
			size_t cost = handle_cost(ix, s->v[0].lo);

			if (!best || cost < best_cost) {
				best = ix;
				best_cost = cost;
				x = s->v[0].lo;
			}
		}
	}
	if (!best) {
		const struct quick *qb = &ck->quick[b];

		ck->work += b;
		for (uint32_t a = 0; a < b; a++)
			if (!quick_reject(&ck->quick[a], qb) && rule_covers(ck, a, b))
				return a;
		return NONE;
	}
	ck->n_cand = 0;
	gather(ck, best, x, b);
	ef_sort_u32(ck->cand, ck->cand_tmp, ck->n_cand);
	/* The candidates in rule order: the prefixes' merged with the open
	 * rules' (already in order, often thousands). */
	for (size_t i = 0, o = 0; i < ck->n_cand || (o < best->n_open && best->open[o] < b);) {
		uint32_t a;

		ck->work++;
		if (o < best->n_open && best->open[o] < b &&
		    (i == ck->n_cand || best->open[o] < ck->cand[i]))
			a = best->open[o++];
		else
			a = ck->cand[i++];
		if (rule_covers(ck, a, b))
			return a;
	}
	return NONE;
}

/* ---- the check ---------------------------------------------------------- */

static int build_info(const struct ef_ruleset *rs, const struct ef_rule *r, struct rinfo *ri)
{
	const struct ef_addr_field *af[2] = { &r->src, &r->dst };
	const struct ef_port_field *pf[2] = { &r->sport, &r->dport };

	ri->fam[0] = ef_rule_has_family(r, EF_AF_INET);
	ri->fam[1] = ef_rule_has_family(r, EF_AF_INET6);
	ri->dead = (!ri->fam[0] && !ri->fam[1]) ||
		   (r->frag == EF_FRAG_LATER && rs->frag_policy != EF_FRAGPOL_RULES);
	for (int f = 0; f < 2; f++) {
		ri->dead |= !pf[f]->any && !pf[f]->n;
		if (sh_build_port(pf[f], &ri->port[f]))
			return -ENOMEM;
		for (int fam = 0; fam < 2; fam++)
			if (sh_build_addr(af[f], fam, &ri->addr[f][fam]))
				return -ENOMEM;
	}
	return 0;
}

static void checker_free(struct checker *ck)
{
	for (size_t i = 0; ck->info && i < ck->rs->n_rules; i++) {
		for (int f = 0; f < 2; f++) {
			free(ck->info[i].port[f].v);
			for (int fam = 0; fam < 2; fam++)
				free(ck->info[i].addr[f][fam].v);
		}
	}
	for (int f = 0; f < 2; f++) {
		for (int fam = 0; fam < 2; fam++) {
			free(ck->idx[f][fam].v);
			free(ck->idx[f][fam].open);
		}
	}
	free(ck->info);
	free(ck->quick);
	free(ck->cand);
	free(ck->cand_tmp);
	free(ck->stamp);
}

static int checker_init(struct checker *ck, const struct ef_ruleset *rs)
{
	size_t n = rs->n_rules ? rs->n_rules : 1;

	memset(ck, 0, sizeof(*ck));
	ck->rs = rs;
	ck->info = calloc(n, sizeof(*ck->info));
	ck->quick = calloc(n, sizeof(*ck->quick));
	ck->cand = malloc(n * sizeof(*ck->cand));
	ck->cand_tmp = malloc(n * sizeof(*ck->cand_tmp));
	ck->stamp = malloc(n * sizeof(*ck->stamp));
	if (!ck->info || !ck->quick || !ck->cand || !ck->cand_tmp || !ck->stamp)
		return -ENOMEM;
	memset(ck->stamp, 0xff, n * sizeof(*ck->stamp));
	for (size_t r = 0; r < rs->n_rules; r++) {
		if (build_info(rs, &rs->rules[r], &ck->info[r]))
			return -ENOMEM;
		build_quick(&rs->rules[r], &ck->info[r], &ck->quick[r]);
	}
	for (int f = 0; f < 2; f++)
		for (int fam = 0; fam < 2; fam++)
			if (build_index(ck, f, fam, &ck->idx[f][fam]))
				return -ENOMEM;
	return 0;
}

void rs_check_reachability(const struct ef_ruleset *rs, const char *file, struct ef_diag *d)
{
	struct checker ck = { 0 };

	if (checker_init(&ck, rs)) {
		ef_err(d, file, 0, 0, "out of memory checking which rules can match");
		goto out;
	}
	for (uint32_t b = 0; b < rs->n_rules; b++) {
		const struct ef_rule *rb = &rs->rules[b];
		uint32_t a;

		/* Empty sets were reported where they are used. */
		if (!ck.info[b].fam[0] && !ck.info[b].fam[1] && rb->src.n && rb->dst.n)
			ef_warn(d, file, rb->line, rb->col,
				"rule '%s' can never match: its src and dst have no address family in common",
				rb->name);
		if (ck.info[b].dead)
			continue;
		if (ck.work >= SHADOW_WORK_MAX) {
			ef_warn(d, file, rb->line, rb->col,
				"rules from '%s' on were not checked for rules that cover them: the check stopped at its budget of %llu comparisons (they are compiled and enforced as written)",
				rb->name, (unsigned long long)SHADOW_WORK_MAX);
			break;
		}
		a = first_cover(&ck, b);
		if (a != NONE)
			ef_warn(d, file, rb->line, rb->col,
				"rule '%s' can never match: rule '%s' (line %u) matches every packet it does",
				rb->name, rs->rules[a].name, rs->rules[a].line);
	}
out:
	checker_free(&ck);
}
