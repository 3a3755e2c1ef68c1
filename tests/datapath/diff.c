// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The differential test: random rulesets over every field, random packets,
 * and for each packet on each hook the BPF verdict and the counted rule must
 * be the reference matcher's. Reproducible from --seed.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cttable.h"
#include "diff.h"
#include "xorshift.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return xorshift_next(&rng_state);
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

/* A few anchors per family so that random prefixes nest and overlap. */
static uint8_t anchors[2][4][16];

static void random_addr(uint8_t family, uint8_t addr[16])
{
	unsigned bits = family == EF_AF_INET ? 32 : 128;
	unsigned keep = below(bits + 1);

	memcpy(addr, anchors[family == EF_AF_INET6][below(4)], 16);
	for (unsigned b = keep; b < bits; b++)
		if (rnd() & 1)
			addr[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	if (family == EF_AF_INET)
		memset(addr + 4, 0, 12);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static void random_addr_field(struct ef_addr_field *f)
{
	f->any = chance(40);
	if (f->any)
		return;
	f->negate = chance(15);
	f->n = 1 + below(3);
	f->v = xcalloc(f->n, sizeof(*f->v));
	for (size_t i = 0; i < f->n; i++) {
		struct ef_prefix *p = &f->v[i];
		unsigned bits;

		p->family = chance(30) ? EF_AF_INET6 : EF_AF_INET;
		bits = p->family == EF_AF_INET ? 32 : 128;
		random_addr(p->family, p->addr);
		p->len = (uint8_t)(chance(25) ? bits : below(bits + 1));
		for (unsigned b = p->len; b < bits; b++)
			p->addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
	}
}

static const uint16_t port_pool[] = { 0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 32768, 65534, 65535 };
#define N_PORTS (sizeof(port_pool) / sizeof(port_pool[0]))

static uint16_t random_port(void)
{
	return chance(80) ? port_pool[below(N_PORTS)] : (uint16_t)rnd();
}

static void random_port_field(struct ef_port_field *f)
{
	f->any = chance(50);
	if (f->any)
		return;
	f->negate = chance(15);
	f->n = 1 + below(3);
	f->v = xcalloc(f->n, sizeof(*f->v));
	for (size_t i = 0; i < f->n; i++) {
		uint16_t a = random_port(), b = chance(50) ? a : random_port();

		f->v[i].lo = a < b ? a : b;
		f->v[i].hi = a < b ? b : a;
	}
}

static void set_proto(struct ef_rule *r, uint8_t p)
{
	r->proto_any = false;
	r->protos[p / 8] |= (uint8_t)(1u << (p % 8));
}

static const uint8_t icmp_types[] = { 0, 3, 8, 11, 128, 129, 1 };

static void random_rule(struct ef_rule *r, size_t i)
{
	static const char *const globs[] = { "lo", "l*", "eth*", "x?", "[a-m]o" };
	unsigned kind;

	snprintf(r->name, sizeof(r->name), "r%zu", i);
	r->hooks = chance(70) ? EF_HOOKS_ALL : (uint8_t)(1 + below(EF_HOOKS_ALL));
	if (chance(15)) {
		r->n_ifaces = 1 + below(2);
		r->ifaces = xcalloc(r->n_ifaces, sizeof(*r->ifaces));
		for (size_t k = 0; k < r->n_ifaces; k++)
			snprintf(r->ifaces[k], sizeof(r->ifaces[k]), "%s", globs[below(5)]);
	}
	random_addr_field(&r->src);
	random_addr_field(&r->dst);

	r->proto_any = true;
	r->sport.any = r->dport.any = true;
	r->icmp_type = r->icmp_code = -1;
	kind = below(6);
	if (kind == 1 || kind == 2) { /* ports */
		set_proto(r, IPPROTO_TCP);
		if (chance(50))
			set_proto(r, chance(50) ? IPPROTO_UDP : IPPROTO_SCTP);
		random_port_field(&r->sport);
		random_port_field(&r->dport);
		if (kind == 2 && chance(50) &&
		    !(r->protos[IPPROTO_UDP / 8] & (1u << (IPPROTO_UDP % 8))) &&
		    !(r->protos[IPPROTO_SCTP / 8] & (1u << (IPPROTO_SCTP % 8)))) {
			r->tcp_flags_mask = (uint8_t)(rnd() & 0x17);
			r->tcp_flags_value = (uint8_t)(rnd() & r->tcp_flags_mask);
		}
	} else if (kind == 3) { /* ICMP */
		set_proto(r, chance(50) ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		if (chance(70))
			r->icmp_type = icmp_types[below(sizeof(icmp_types))];
		if (chance(30))
			r->icmp_code = (int16_t)below(2);
	} else if (kind == 4) { /* other protocols */
		set_proto(r, chance(50) ? 47 : IPPROTO_UDP);
		if (chance(50))
			set_proto(r, 4);
	}
	r->vlan = chance(80) ? EF_VLAN_ANY : (int32_t[]){ 10, 20, EF_VLAN_UNTAGGED }[below(3)];
	r->frag = chance(80) ? EF_FRAG_ANY : (uint8_t)(1 + below(4));
	r->states = chance(80) ? 0 : (uint8_t)(1 + below(EF_STATES_ALL));
	r->action = chance(50) ? EDGEFW_ACT_DROP : EDGEFW_ACT_PASS;
	r->track = r->action == EDGEFW_ACT_PASS ? (int8_t)below(3) - 1 : EF_TRACK_DEFAULT;
}

static void random_ruleset(struct ef_ruleset *rs, unsigned max_rules)
{
	memset(rs, 0, sizeof(*rs));
	rs->path = NULL;
	rs->n_rules = 1 + below(max_rules);
	rs->rules = xcalloc(rs->n_rules, sizeof(*rs->rules));
	for (size_t i = 0; i < rs->n_rules; i++)
		random_rule(&rs->rules[i], i);
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		rs->default_action[h] = chance(50) ? EDGEFW_ACT_DROP : EDGEFW_ACT_PASS;
	rs->non_ip_action = EDGEFW_ACT_PASS;
	rs->malformed_action = EDGEFW_ACT_DROP;
	rs->ext_overflow_action = EDGEFW_ACT_DROP;
	rs->encap_overflow_action = EDGEFW_ACT_DROP;
	rs->frag_policy = (uint8_t)(chance(70) ? EF_FRAGPOL_RULES : 1 + below(2));
}

static void free_ruleset(struct ef_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		free(rs->rules[i].src.v);
		free(rs->rules[i].dst.v);
		free(rs->rules[i].sport.v);
		free(rs->rules[i].dport.v);
		free(rs->rules[i].ifaces);
	}
	free(rs->rules);
	memset(rs, 0, sizeof(*rs));
}

static const uint8_t protos[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, IPPROTO_ICMPV6, 47, 4, 200
};

/* A random packet. */
static void random_packet(struct pkt_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->family = chance(35) ? 6 : 4;
	random_addr(s->family == 4 ? EF_AF_INET : EF_AF_INET6, s->saddr);
	random_addr(s->family == 4 ? EF_AF_INET : EF_AF_INET6, s->daddr);
	s->l4proto = protos[below(sizeof(protos))];
	s->sport = random_port();
	s->dport = random_port();
	s->icmp_type = icmp_types[below(sizeof(icmp_types))];
	s->icmp_code = (uint8_t)below(2);
	s->tcp_flags = (uint8_t)rnd();
	s->payload = below(16);
	s->n_vlan = (int)below(3);
	s->vlan[0] = (uint16_t[]){ 10, 20, 30 }[below(3)];
	s->vlan[1] = (uint16_t[]){ 10, 20, 30 }[below(3)];
	s->outer_tpid = chance(50) ? 0x88a8 : 0x8100;
	s->frag = chance(75) ? 0 : (uint8_t)(1 + below(2));
	s->n_ext = s->family == 6 ? (int)below(3) : 0;
}

void diff_packet_of(const struct pkt_spec *s, struct ef_packet *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = s->family == 4 ? EF_AF_INET : EF_AF_INET6;
	memcpy(ep->saddr, s->saddr, 16);
	memcpy(ep->daddr, s->daddr, 16);
	ep->l4proto = s->l4proto;
	ep->frag = s->frag == 0   ? EDGEFW_FRAG_NONE
		   : s->frag == 1 ? EDGEFW_FRAG_FIRST
				  : EDGEFW_FRAG_LATER;
	if (s->frag != 2) {
		switch (s->l4proto) {
		case IPPROTO_TCP:
			ep->has_tcp_flags = true;
			ep->tcp_flags = s->tcp_flags;
			/* fall through */
		case IPPROTO_UDP:
		case IPPROTO_SCTP:
			ep->has_ports = true;
			ep->sport = s->sport;
			ep->dport = s->dport;
			break;
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6:
			ep->has_icmp = true;
			ep->icmp_type = s->icmp_type;
			ep->icmp_code = s->icmp_code;
			break;
		}
	}
	ep->vlan = s->n_vlan ? s->vlan[s->n_vlan - 1] : EF_VLAN_UNTAGGED;
	ep->ifname = DP_IFNAME;
}

/* ICMPv6 neighbour discovery is decided by the non-ip policy before the
 * rules; the generator never makes it (types 133-137 are not in its pool). */

static void dump_addr_field(const char *what, const struct ef_addr_field *f)
{
	char buf[EF_PREFIX_STRLEN];

	if (f->any)
		return;
	printf("#   %s%s:", what, f->negate ? " not" : "");
	for (size_t i = 0; i < f->n; i++) {
		ef_prefix_format(&f->v[i], buf, sizeof(buf));
		printf(" %s", buf);
	}
	printf("\n");
}

static void dump_port_field(const char *what, const struct ef_port_field *f)
{
	if (f->any)
		return;
	printf("#   %s%s:", what, f->negate ? " not" : "");
	for (size_t i = 0; i < f->n; i++)
		printf(" %u-%u", f->v[i].lo, f->v[i].hi);
	printf("\n");
}

static void dump_rule(const struct ef_ruleset *rs, size_t i)
{
	const struct ef_rule *r = &rs->rules[i];

	printf("# rule %zu (%s): action %u hooks %#x vlan %d frag %u states %#x track %d icmp %d/%d flags %#x/%#x proto_any %d",
	       i, r->name, r->action, r->hooks, r->vlan, r->frag, r->states, r->track, r->icmp_type,
	       r->icmp_code, r->tcp_flags_mask, r->tcp_flags_value, r->proto_any);
	for (unsigned p = 0; p < 256 && !r->proto_any; p++)
		if (ef_rule_has_proto(r, (uint8_t)p))
			printf(" %u", p);
	for (size_t k = 0; k < r->n_ifaces; k++)
		printf(" if=%s", r->ifaces[k]);
	printf("\n");
	dump_addr_field("src", &r->src);
	dump_addr_field("dst", &r->dst);
	dump_port_field("sport", &r->sport);
	dump_port_field("dport", &r->dport);
}

/* The ruleset (or, when big, the rule the reference picks) and the packet
 * of a mismatch, to reproduce it by hand. */
static void dump(const struct ef_ruleset *rs, const struct ef_packet *ep, int rule)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int af = ep->family == EF_AF_INET ? AF_INET : AF_INET6;

	printf("# defaults %u/%u/%u frag-policy %u\n", rs->default_action[0], rs->default_action[1],
	       rs->default_action[2], rs->frag_policy);
	for (size_t i = 0; i < rs->n_rules; i++)
		if (rs->n_rules <= 64 || (int)i == rule)
			dump_rule(rs, i);
	inet_ntop(af, ep->saddr, sa, sizeof(sa));
	inet_ntop(af, ep->daddr, da, sizeof(da));
	printf("# packet %s -> %s proto %u frag %u ports %d %u/%u icmp %d %u/%u flags %d %#x vlan %d state %u\n",
	       sa, da, ep->l4proto, ep->frag, ep->has_ports, ep->sport, ep->dport, ep->has_icmp,
	       ep->icmp_type, ep->icmp_code, ep->has_tcp_flags, ep->tcp_flags, ep->vlan,
	       ep->ct_state);
}

static enum dp_verdict verdict_of(const struct ef_decision *d)
{
	if (d->action == EDGEFW_ACT_DROP)
		return DP_DROP;
	return d->action == EDGEFW_ACT_REDIRECT ? DP_REDIRECT : DP_PASS;
}

/* The counter a decision moves: the rule's, the hook's default, or the
 * fragment reason's. */
static uint64_t decision_count(struct dp *dp, const struct ef_decision *d, uint32_t hook)
{
	if (d->by == EF_BY_RULE)
		return dp_slot_counter(dp, dp->slot_of[d->rule]).packets;
	if (d->by == EF_BY_DEFAULT)
		return dp_default_counter(dp, hook).packets;
	return dp_reason_counter(dp, EDGEFW_REASON_FRAGMENT).packets;
}

static void mismatch(struct diff_tally *t, const struct ef_ruleset *rs, const struct ef_packet *ep,
		     int rule, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void mismatch(struct diff_tally *t, const struct ef_ruleset *rs, const struct ef_packet *ep,
		     int rule, const char *fmt, ...)
{
	va_list ap;

	t->mismatches++;
	if (t->shown++ >= 5)
		return;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ep && t->shown == 1)
		dump(rs, ep, rule);
}

/* One packet on one hook. Returns whether everything agreed. */
static bool diff_one(struct dp *dp, const struct ef_ruleset *rs, const struct pkt *p,
		     struct ef_packet *ep, uint32_t h, unsigned i, const struct diff_opts *o,
		     uint64_t *hits, struct diff_tally *t)
{
	struct ef_decision d;
	enum dp_verdict want, got;
	uint64_t before = 0;
	bool ok = true;
	int rule;

	ep->hook = h;
	/* The tables are emptied after every run (below): each packet is
	 * the first of its flow. */
	ep->ct_state = ef_ruleset_ct_mode(rs) ? ef_ct_untracked_state(ep) : EDGEFW_CT_NEW;
	d = ef_decide(rs, ep);
	rule = d.by == EF_BY_RULE ? d.rule : -1;
	want = verdict_of(&d);
	if (o->per_packet_winner)
		before = decision_count(dp, &d, h);
	got = dp_run(dp, h, p);
	if (ef_ruleset_ct_mode(rs)) {
		struct edgefw_ct_key k;

		/* The flow this run may have recorded (echo id 0). */
		ef_ct_key_of(ep, 0, &k);
		ef_ct_delete(&dp->inst, &k, false);
	}
	if (rule >= 0)
		hits[rule]++;
	if (ef_compiled_lookup(&dp->c, ep) != rule &&
	    !(ep->frag == EDGEFW_FRAG_LATER && rs->frag_policy != EF_FRAGPOL_RULES))
		t->compiled_mismatches++;
	if (got != want) {
		mismatch(t, rs, ep, rule, "%s packet %u hook %u: BPF %d, reference %d (rule %d)",
			 o->label, i, h, got, want, rule);
		ok = false;
	} else if (o->per_packet_winner && decision_count(dp, &d, h) != before + 1) {
		mismatch(
			t, rs, ep, rule,
			"%s packet %u hook %u: the reference's winner (rule %d, by %d) was not counted",
			o->label, i, h, rule, d.by);
		ok = false;
	}
	t->runs++;
	return ok;
}

bool diff_run(struct dp *dp, const struct ef_ruleset *rs, unsigned n, diff_next_fn next, void *ctx,
	      const struct diff_opts *o, struct diff_tally *t)
{
	uint64_t *hits = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*hits));
	uint64_t *base = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*base));
	bool ok = true;

	if (!hits || !base) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < rs->n_rules; i++)
		base[i] = dp_slot_counter(dp, dp->slot_of[i]).packets;
	for (unsigned i = 0; i < n; i++) {
		struct pkt_spec s;
		struct ef_packet ep;
		struct pkt p;

		next(ctx, i, &s);
		pkt_build(&p, &s);
		diff_packet_of(&s, &ep);
		for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++)
			ok &= diff_one(dp, rs, &p, &ep, h, i, o, hits, t);
	}
	/* The rule that matched, not just the verdict: every counter moved
	 * by exactly the reference matcher's count. */
	for (size_t i = 0; i < rs->n_rules; i++) {
		uint64_t got = dp_slot_counter(dp, dp->slot_of[i]).packets - base[i];

		if (got != hits[i]) {
			mismatch(t, rs, NULL, -1, "%s rule %s: counted %llu, reference %llu",
				 o->label, rs->rules[i].name, (unsigned long long)got,
				 (unsigned long long)hits[i]);
			ok = false;
		}
	}
	free(hits);
	free(base);
	return ok;
}

static void next_random(void *ctx, unsigned i, struct pkt_spec *s)
{
	(void)ctx;
	(void)i;
	random_packet(s);
}

void dp_test_differential(struct dp *dp, uint64_t seed, unsigned rulesets, unsigned packets)
{
	struct diff_tally t = { 0 };
	unsigned bad_rulesets = 0;
	char label[32];
	unsigned treed = 0;

	rng_state = seed ? seed : 1;
	for (int f = 0; f < 2; f++)
		for (int a = 0; a < 4; a++)
			for (int b = 0; b < 16; b++)
				anchors[f][a][b] = (uint8_t)rnd();

	for (unsigned r = 0; r < rulesets; r++) {
		struct diff_opts o = { .label = label };
		struct ef_ruleset rs;

		snprintf(label, sizeof(label), "ruleset %u", r);
		random_ruleset(&rs, 24);
		/* Small budgets: rules in trees, next to those the chain keeps. */
		dp->opts.prefer_trees =
			dp->trees_every && r % dp->trees_every == 1 % dp->trees_every;
		dp->opts.leaf_size = 1 + r % 3;
		if (dp_load_rs(dp, &rs)) {
			diag("ruleset %u (seed %llu) failed to load", r, (unsigned long long)seed);
			free_ruleset(&rs);
			bad_rulesets++;
			continue;
		}
		treed += dp->c.n_tree_rules > 0;
		bad_rulesets += !diff_run(dp, &rs, packets, next_random, NULL, &o, &t);
		free_ruleset(&rs);
	}
	tap(bad_rulesets == 0,
	    "differential: %u random rulesets x %u packets x 3 hooks (seed %llu): BPF verdicts and rule counters equal the reference matcher's (%llu runs, %u mismatches)",
	    rulesets, packets, (unsigned long long)seed, (unsigned long long)t.runs, t.mismatches);
	tap(t.compiled_mismatches == 0,
	    "differential: the compiled tables, looked up in userspace, agree too (%u mismatches)",
	    t.compiled_mismatches);
	tap(!dp->trees_every || treed >= rulesets / dp->trees_every / 2,
	    "differential: %u of the rulesets held rules in decision trees (every %u-th prefers them)",
	    treed, dp->trees_every);
	memset(&dp->opts, 0, sizeof(dp->opts));
}

bool diff_run_tap(struct dp *dp, unsigned n, diff_next_fn next, void *ctx,
		  const struct diff_opts *o, const char *what, ...)
{
	struct diff_tally t = { 0 };
	char label[256];
	va_list ap;
	bool ok;

	va_start(ap, what);
	vsnprintf(label, sizeof(label), what, ap);
	va_end(ap);
	ok = diff_run(dp, &dp->rs, n, next, ctx, o, &t) && t.compiled_mismatches == 0;
	tap(ok,
	    "%s: %u packets x 3 hooks, BPF verdicts, winners and counters equal the reference matcher's (%u mismatches, %u in the userspace lookup)",
	    label, n, t.mismatches, t.compiled_mismatches);
	return ok;
}
