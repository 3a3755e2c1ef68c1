// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The verdict changes of a change of ruleset (diff.h). A region is a rule
 * of one side (added, removed, changed: both versions, moved: with each
 * rule it crossed as a partner, or naming a set whose entries changed: the
 * changed entries). Its packets: a base inside the rule (and inside the
 * partner, when there is one: where a move can change something), then
 * one field at a time at the corners (first, last) and edges (one before,
 * one after) of each of the field's first entries. Each distinct packet
 * is decided by the reference matcher under both rulesets; the budget
 * (probes and seconds) bounds the whole.
 */
#include "diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff_subset.h"
#include "rules_names.h"

#define ENTRIES_PER_FIELD EF_DIFF_ENTRIES_MAX
#define PARTNERS_MAX EF_DIFF_PARTNERS_MAX

enum dim {
	D_SRC = 0,
	D_DST,
	D_SPORT,
	D_DPORT,
	D_COUNT
};

struct region {
	const struct ef_ruleset *rs; /* the side the rule is on */
	const struct ef_rule *r;
	const struct ef_rule *partner; /* NULL: none */
	int override;                  /* enum dim, -1: none */
	const struct ef_prefix *pfx;   /* override entries */
	const struct ef_port_range *port;
	size_t n;
};

struct prober {
	const struct ef_ruleset *old, *new_rs;
	/* What decides the probes: the whole rulesets, or within a region
	 * the rules of each that can decide its probes (diff_subset.h). */
	const struct ef_ruleset *dec_old, *dec_new;
	struct ef_rule_subset sub_old, sub_new;
	struct ef_diff *d;
	uint64_t *seen;
	size_t seen_cap, max_probes;
	struct timespec start;
	double max_seconds;
	bool stop;
};

/* ---- values ----------------------------------------------------------- */

static const uint8_t def_src4[4] = { 203, 0, 113, 9 };
static const uint8_t def_dst4[4] = { 198, 51, 100, 1 };
static const uint8_t def_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
static const uint8_t def_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

static unsigned fam_bytes(uint8_t family)
{
	return family == EF_AF_INET ? 4 : 16;
}

/* addr += step (+1 or -1) within the family; false when it wraps. */
static bool addr_step(uint8_t family, uint8_t *a, int step)
{
	for (int i = (int)fam_bytes(family) - 1; i >= 0; i--) {
		uint8_t before = a[i];

		a[i] = (uint8_t)(a[i] + step);
		if ((step > 0 && a[i] > before) || (step < 0 && a[i] < before))
			return true;
	}
	return false;
}

static void pfx_bound(const struct ef_prefix *p, bool last, uint8_t out[16])
{
	unsigned bits = fam_bytes(p->family) * 8;

	memcpy(out, p->addr, 16);
	for (unsigned b = p->len; last && b < bits; b++)
		out[b / 8] |= (uint8_t)(0x80 >> (b % 8));
}

/* Up to 4 candidate addresses of p's family around p: first, last, the one
 * before, the one after. Returns how many. */
static size_t pfx_corners(const struct ef_prefix *p, uint8_t out[4][16])
{
	size_t n = 0;

	pfx_bound(p, false, out[n++]);
	pfx_bound(p, true, out[n++]);
	memcpy(out[n], out[0], 16);
	if (addr_step(p->family, out[n], -1))
		n++;
	memcpy(out[n], out[1], 16);
	if (addr_step(p->family, out[n], +1))
		n++;
	return n;
}

static size_t port_corners(const struct ef_port_range *r, uint16_t out[4])
{
	size_t n = 0;

	out[n++] = r->lo;
	out[n++] = r->hi;
	if (r->lo > 0)
		out[n++] = (uint16_t)(r->lo - 1);
	if (r->hi < 65535)
		out[n++] = (uint16_t)(r->hi + 1);
	return n;
}

static void set_addr(struct ef_packet *p, enum dim d, const uint8_t a[16])
{
	memcpy(d == D_SRC ? p->saddr : p->daddr, a, 16);
}

static void set_port(struct ef_packet *p, enum dim d, uint16_t v)
{
	if (d == D_SPORT)
		p->sport = v;
	else
		p->dport = v;
}

static bool dim_matches(const struct ef_rule *r, enum dim d, const struct ef_packet *p)
{
	static const enum ef_rule_field f[D_COUNT] = { EF_RF_SRC, EF_RF_DST, EF_RF_SPORT,
						       EF_RF_DPORT };

	return !r || ef_rule_field_matches(r, f[d], p);
}

/* The entries of dimension d a region probes: the override's, else the
 * rule's own (none for a field it does not write). */
static size_t dim_entries(const struct region *g, const struct ef_rule *r, enum dim d,
			  const struct ef_prefix **pfx, const struct ef_port_range **port)
{
	*pfx = NULL;
	*port = NULL;
	if (r == g->r && g->override == (int)d) {
		*pfx = g->pfx;
		*port = g->port;
		return g->n;
	}
	if (d <= D_DST) {
		const struct ef_addr_field *f = d == D_SRC ? &r->src : &r->dst;

		*pfx = f->any ? NULL : f->v;
		return f->any ? 0 : f->n;
	}
	const struct ef_port_field *f = d == D_SPORT ? &r->sport : &r->dport;

	*port = f->any ? NULL : f->v;
	return f->any ? 0 : f->n;
}

/* Sets dimension d of base to a value inside the region's rule (and its
 * partner, if one fits): the first corner that both accept, else one the
 * rule accepts, else the first corner, else the default already there. */
static void pick_dim(const struct region *g, enum dim d, struct ef_packet *p)
{
	const struct ef_rule *owners[2] = { g->r, g->partner };
	struct ef_packet best = *p, t = *p;
	int best_score = -1;

	for (int o = 0; o < 2 && owners[o]; o++) {
		const struct ef_prefix *pfx;
		const struct ef_port_range *port;
		size_t n = dim_entries(g, owners[o], d, &pfx, &port);

		for (size_t i = 0; i < n && i < ENTRIES_PER_FIELD; i++) {
			uint8_t a[4][16];
			uint16_t v[4];
			size_t k = pfx ? (pfx[i].family == p->family ? pfx_corners(&pfx[i], a) : 0)
				       : port_corners(&port[i], v);

			for (size_t c = 0; c < k; c++) {
				int score;

				if (pfx)
					set_addr(&t, d, a[c]);
				else
					set_port(&t, d, v[c]);
				score = (g->override == (int)d && o == 0) * 4 +
					dim_matches(g->r, d, &t) * 2 +
					dim_matches(g->partner, d, &t);
				if (score > best_score) {
					best_score = score;
					best = t;
				}
			}
		}
	}
	*p = best;
}

/* ---- the base packet -------------------------------------------------- */

static uint8_t pick_family(const struct region *g)
{
	if (g->override >= 0 && g->pfx && g->n)
		return g->pfx[0].family;
	for (uint8_t f = EF_AF_INET;; f = EF_AF_INET6) {
		if (ef_rule_has_family(g->r, f) &&
		    (!g->partner || ef_rule_has_family(g->partner, f)))
			return f;
		if (f == EF_AF_INET6)
			break;
	}
	return ef_rule_has_family(g->r, EF_AF_INET6) && !ef_rule_has_family(g->r, EF_AF_INET)
		       ? EF_AF_INET6
		       : EF_AF_INET;
}

static bool both_have_proto(const struct region *g, uint8_t proto)
{
	return ef_rule_has_proto(g->r, proto) &&
	       (!g->partner || ef_rule_has_proto(g->partner, proto));
}

static uint8_t pick_proto(const struct region *g, uint8_t family)
{
	const uint8_t icmp = family == EF_AF_INET ? EF_PROTO_ICMP : EF_PROTO_ICMPV6;
	const uint8_t prefs[] = { EF_PROTO_TCP, EF_PROTO_UDP, icmp, EF_PROTO_SCTP };

	for (size_t i = 0; i < sizeof(prefs); i++)
		if (both_have_proto(g, prefs[i]))
			return prefs[i];
	for (unsigned p = 0; p < 256; p++)
		if (both_have_proto(g, (uint8_t)p))
			return (uint8_t)p;
	for (unsigned p = 0; p < 256; p++)
		if (ef_rule_has_proto(g->r, (uint8_t)p))
			return (uint8_t)p;
	return EF_PROTO_TCP;
}

/* A field other than the four dimensions: the rule's value, else the
 * partner's, else def. */
#define PICK(g, field, none, def)                                              \
	((g)->r->field != (none)                         ? (g)->r->field       \
	 : (g)->partner && (g)->partner->field != (none) ? (g)->partner->field \
							 : (def))

static void set_l4(const struct region *g, struct ef_packet *p)
{
	uint8_t proto = p->l4proto;
	uint8_t frag = PICK(g, frag, EF_FRAG_ANY, EF_FRAG_NO);

	p->frag = frag == EF_FRAG_LATER                          ? EDGEFW_FRAG_LATER
		  : frag == EF_FRAG_FIRST || frag == EF_FRAG_YES ? EDGEFW_FRAG_FIRST
								 : EDGEFW_FRAG_NONE;
	p->has_ports = (proto == EF_PROTO_TCP || proto == EF_PROTO_UDP || proto == EF_PROTO_SCTP);
	p->sport = 1234;
	p->dport = 80;
	p->has_icmp = proto == EF_PROTO_ICMP || proto == EF_PROTO_ICMPV6;
	p->icmp_type = (uint8_t)PICK(g, icmp_type, -1, proto == EF_PROTO_ICMP ? 8 : 128);
	p->icmp_code = (uint8_t)PICK(g, icmp_code, -1, 0);
	p->has_tcp_flags = proto == EF_PROTO_TCP;
	p->tcp_flags = g->r->tcp_flags_mask                       ? g->r->tcp_flags_value
		       : g->partner && g->partner->tcp_flags_mask ? g->partner->tcp_flags_value
								  : 0x02; /* a SYN */
}

static void make_base(const struct region *g, struct ef_packet *p)
{
	uint8_t hooks = g->r->hooks & (g->partner ? g->partner->hooks : 0xff);

	memset(p, 0, sizeof(*p));
	p->family = pick_family(g);
	memcpy(p->saddr, p->family == EF_AF_INET ? def_src4 : def_src6, fam_bytes(p->family));
	memcpy(p->daddr, p->family == EF_AF_INET ? def_dst4 : def_dst6, fam_bytes(p->family));
	p->l4proto = pick_proto(g, p->family);
	set_l4(g, p);
	p->vlan = PICK(g, vlan, EF_VLAN_ANY, EF_VLAN_UNTAGGED);
	hooks = hooks ? hooks : g->r->hooks;
	while (p->hook < EDGEFW_HOOK_COUNT - 1 && !(hooks >> p->hook & 1))
		p->hook++;
	/* A literal interface name (not a pattern) can be probed. */
	if (g->r->n_ifaces && !strpbrk(g->r->ifaces[0], "*?[\\"))
		p->ifname = g->r->ifaces[0];
	for (enum dim d = 0; d < D_COUNT; d++)
		pick_dim(g, d, p);
	p->ct_state = ef_ct_untracked_state(p);
	for (unsigned s = 0; g->r->states && s < EDGEFW_CT_STATES; s++)
		if (g->r->states >> s & 1) {
			p->ct_state = (uint8_t)s;
			break;
		}
}

/* ---- deciding --------------------------------------------------------- */

static uint64_t packet_key(const struct ef_packet *p)
{
	struct ef_packet k = *p;
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *b = (const unsigned char *)&k;
	const char *ifn = p->ifname ? p->ifname : "";

	k.ifname = NULL;
	for (size_t i = 0; i < sizeof(k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	for (; *ifn; ifn++)
		h = (h ^ (unsigned char)*ifn) * 0x100000001b3ull;
	return h ? h : 1;
}

/* false when the packet was probed already. */
static bool first_time(struct prober *pr, uint64_t key)
{
	size_t i = key & (pr->seen_cap - 1);

	while (pr->seen[i]) {
		if (pr->seen[i] == key)
			return false;
		i = (i + 1) & (pr->seen_cap - 1);
	}
	pr->seen[i] = key;
	return true;
}

static void outcome_of(const struct ef_ruleset *rs, const struct ef_packet *p, struct ef_outcome *o)
{
	struct ef_decision dc = ef_decide(rs, p);

	memset(o, 0, sizeof(*o));
	o->action = dc.action;
	o->by = (uint8_t)dc.by;
	if (dc.by == EF_BY_RULE)
		snprintf(o->rule, sizeof(o->rule), "%s", rs->rules[dc.rule].name);
}

static bool same_outcome(const struct ef_outcome *a, const struct ef_outcome *b)
{
	return a->action == b->action && a->by == b->by && !strcmp(a->rule, b->rule);
}

static void record(struct prober *pr, const struct ef_packet *p, const struct ef_outcome *from,
		   const struct ef_outcome *to)
{
	struct ef_diff *d = pr->d;
	struct ef_verdict_group *g = NULL;

	d->changed_packets++;
	for (size_t i = 0; i < d->n_groups && !g; i++)
		if (same_outcome(&d->groups[i].from, from) && same_outcome(&d->groups[i].to, to))
			g = &d->groups[i];
	if (!g && d->n_groups == EF_DIFF_GROUPS_MAX) {
		d->groups_dropped++;
		return;
	}
	if (!g) {
		g = &d->groups[d->n_groups++];
		memset(g, 0, sizeof(*g));
		g->from = *from;
		g->to = *to;
	}
	g->packets++;
	if (g->n_ex < EF_DIFF_EXAMPLES) {
		g->ex[g->n_ex] = *p;
		g->ex[g->n_ex].ifname = NULL;
		snprintf(g->ex_ifname[g->n_ex], EF_IFNAME_MAX, "%s", p->ifname ? p->ifname : "");
		g->n_ex++;
	}
}

static double elapsed(const struct prober *pr)
{
	struct timespec now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (double)(now.tv_sec - pr->start.tv_sec) +
	       (double)(now.tv_nsec - pr->start.tv_nsec) / 1e9;
}

static void probe(struct prober *pr, const struct ef_packet *p)
{
	struct ef_outcome from, to;

	if (pr->stop || !first_time(pr, packet_key(p)))
		return;
	if (pr->d->probes >= pr->max_probes ||
	    (!(pr->d->probes & 31) && elapsed(pr) > pr->max_seconds)) {
		pr->stop = pr->d->budget_hit = true;
		return;
	}
	pr->d->probes++;
	outcome_of(pr->dec_old, p, &from);
	outcome_of(pr->dec_new, p, &to);
	if (!same_outcome(&from, &to))
		record(pr, p, &from, &to);
}

static void probe_region(struct prober *pr, const struct region *g)
{
	struct ef_packet base, p;

	make_base(g, &base);
	pr->dec_old = ef_rule_subset_near(&pr->sub_old, &base);
	pr->dec_new = ef_rule_subset_near(&pr->sub_new, &base);
	probe(pr, &base);
	for (enum dim d = 0; d < D_COUNT && !pr->stop; d++) {
		const struct ef_prefix *pfx;
		const struct ef_port_range *port;
		size_t n = dim_entries(g, g->r, d, &pfx, &port);

		pr->d->entries_cut += n > ENTRIES_PER_FIELD;
		for (size_t i = 0; i < n && i < ENTRIES_PER_FIELD; i++) {
			uint8_t a[4][16];
			uint16_t v[4];
			size_t k =
				pfx ? (pfx[i].family == base.family ? pfx_corners(&pfx[i], a) : 0)
				    : port_corners(&port[i], v);

			for (size_t c = 0; c < k; c++) {
				p = base;
				if (pfx)
					set_addr(&p, d, a[c]);
				else
					set_port(&p, d, v[c]);
				probe(pr, &p);
			}
		}
	}
	pr->dec_old = pr->old;
	pr->dec_new = pr->new_rs;
	if (!pr->stop)
		pr->d->regions_probed++;
}

/* ---- the regions of a diff -------------------------------------------- */

static void probe_rule(struct prober *pr, const struct ef_ruleset *rs, int32_t idx,
		       const struct ef_rule *partner)
{
	const struct region g = {
		.rs = rs, .r = &rs->rules[idx], .partner = partner, .override = -1
	};

	pr->d->regions++;
	probe_region(pr, &g);
}

/* A moved rule with each rule it crossed (their order differs between
 * the two rulesets): where one now shadows the other. */
static void probe_moved(struct prober *pr, const struct ef_rule_change *c)
{
	struct ef_diff *d = pr->d;
	const struct ef_ruleset *n = pr->new_rs;
	size_t partners = 0;

	probe_rule(pr, n, c->new_idx, NULL);
	for (size_t j = 0; j < n->n_rules && !pr->stop; j++) {
		int32_t oj = d->old_of_new[j];

		if (oj < 0 || (int32_t)j == c->new_idx ||
		    (oj < c->old_idx) == ((int32_t)j < c->new_idx))
			continue;
		if (partners == PARTNERS_MAX) {
			pr->d->partners_cut++;
			break;
		}
		probe_rule(pr, n, c->new_idx, &n->rules[j]);
		probe_rule(pr, n, (int32_t)j, &n->rules[c->new_idx]);
		partners++;
	}
}

/* Each rule of rs naming set `set` in a field, around the entries dx
 * that changed. */
static void probe_set_users(struct prober *pr, const struct ef_ruleset *rs, int32_t set,
			    const struct ef_set_delta *sd, bool added)
{
	const struct ef_prefix *pfx = added ? sd->pfx_added : sd->pfx_removed;
	const struct ef_port_range *port = added ? sd->port_added : sd->port_removed;
	size_t n = added ? sd->added : sd->removed;

	for (size_t i = 0; n && i < rs->n_rules && !pr->stop; i++) {
		const struct ef_rule *r = &rs->rules[i];
		const struct ef_field_part *parts[D_COUNT] = { r->src.parts, r->dst.parts,
							       r->sport.parts, r->dport.parts };
		const size_t np[D_COUNT] = { r->src.n_parts, r->dst.n_parts, r->sport.n_parts,
					     r->dport.n_parts };

		for (int d = 0; d < D_COUNT; d++)
			for (size_t k = 0; k < np[d]; k++) {
				struct region g = { .rs = rs,
						    .r = r,
						    .override = d,
						    .pfx = pfx,
						    .port = port,
						    .n = n };

				if (parts[d][k].set != set)
					continue;
				pr->d->regions++;
				probe_region(pr, &g);
				break;
			}
	}
}

static void probe_sets(struct prober *pr)
{
	for (size_t i = 0; i < pr->d->n_sets && !pr->stop; i++) {
		const struct ef_set_delta *sd = &pr->d->sets[i];

		/* A set that appears or goes is reached through the rules
		 * that name it, which changed too. */
		if (sd->dynamic || sd->old_idx < 0 || sd->new_idx < 0)
			continue;
		for (int side = 0; side < 2; side++) {
			probe_set_users(pr, pr->old, sd->old_idx, sd, side);
			probe_set_users(pr, pr->new_rs, sd->new_idx, sd, side);
		}
	}
}

static void probe_rules(struct prober *pr)
{
	for (size_t i = 0; i < pr->d->n_rules && !pr->stop; i++) {
		const struct ef_rule_change *c = &pr->d->rules[i];

		if (c->old_idx >= 0 && c->kind != EF_RC_MOVED)
			probe_rule(pr, pr->old, c->old_idx, NULL);
		if (c->new_idx >= 0 && c->kind != EF_RC_MOVED)
			probe_rule(pr, pr->new_rs, c->new_idx, NULL);
		if (c->kind == EF_RC_MOVED || c->moved)
			probe_moved(pr, c);
	}
}

static int cmp_group(const void *a, const void *b)
{
	const struct ef_verdict_group *x = a, *y = b;

	return x->packets != y->packets ? (x->packets > y->packets ? -1 : 1) : 0;
}

/* A changed default changes every packet no rule decides, which no
 * rule's region shows: a few packets of common protocols in both families,
 * to a port rules rarely name, at each hook whose default changed. */
static void probe_defaults(struct prober *pr)
{
	static const uint8_t protos[] = { EF_PROTO_TCP, EF_PROTO_UDP, 0, 47 };
	const struct ef_rule any = { .hooks = EF_HOOKS_ALL,
				     .src.any = true,
				     .dst.any = true,
				     .proto_any = true,
				     .sport.any = true,
				     .dport.any = true,
				     .icmp_type = -1,
				     .icmp_code = -1,
				     .vlan = EF_VLAN_ANY,
				     .track = EF_TRACK_DEFAULT };
	const struct region g = { .rs = pr->new_rs, .r = &any, .override = -1 };
	struct ef_packet p;

	for (unsigned h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		if (pr->old->default_action[h] == pr->new_rs->default_action[h])
			continue;
		pr->d->regions++;
		for (int fam = 0; fam < 2; fam++)
			for (size_t i = 0; i < sizeof(protos); i++) {
				make_base(&g, &p);
				if (fam) {
					p.family = EF_AF_INET6;
					memcpy(p.saddr, def_src6, 16);
					memcpy(p.daddr, def_dst6, 16);
				}
				p.l4proto = protos[i] ? protos[i]
					    : fam     ? EF_PROTO_ICMPV6
						      : EF_PROTO_ICMP;
				set_l4(&g, &p);
				p.dport = 9;
				p.hook = h;
				p.ct_state = ef_ct_untracked_state(&p);
				probe(pr, &p);
			}
		pr->d->regions_probed++;
	}
}

int ef_diff_verdicts(const struct ef_ruleset *old, const struct ef_ruleset *new_rs,
		     const struct ef_diff_opts *o, struct ef_diff *d)
{
	struct prober pr = {
		.old = old,
		.new_rs = new_rs,
		.d = d,
		.dec_old = old,
		.dec_new = new_rs,
		.max_probes = o && o->max_probes ? o->max_probes : EF_DIFF_PROBES_DEFAULT,
		.max_seconds = o && o->max_seconds > 0 ? o->max_seconds : EF_DIFF_SECONDS_DEFAULT,
	};

	pr.seen_cap = 1024;
	while (pr.seen_cap < pr.max_probes * 2)
		pr.seen_cap *= 2;
	pr.seen = calloc(pr.seen_cap, sizeof(*pr.seen));
	d->groups = calloc(EF_DIFF_GROUPS_MAX, sizeof(*d->groups));
	if (!pr.seen || !d->groups || ef_rule_subset_init(&pr.sub_old, old) ||
	    ef_rule_subset_init(&pr.sub_new, new_rs)) {
		ef_rule_subset_free(&pr.sub_old);
		free(pr.seen);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &pr.start);
	probe_defaults(&pr);
	probe_rules(&pr);
	probe_sets(&pr);
	qsort(d->groups, d->n_groups, sizeof(*d->groups), cmp_group);
	ef_rule_subset_free(&pr.sub_new);
	ef_rule_subset_free(&pr.sub_old);
	free(pr.seen);
	return 0;
}
