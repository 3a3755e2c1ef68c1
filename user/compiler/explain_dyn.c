// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Explanations with the dynamic conditions (issue 16): whether a dynamic
 * set holds the packet's address and whether a rule's limit has room are
 * not in the rules file. They come, in this order, from what the caller
 * was told (--in SET, --over-limit RULE), from the instance in force (a
 * callback: the CLI reads the tries and buckets), or are assumed (sets
 * empty, limits with room), and every line says which. The decision is
 * the reference matcher's (ef_match_dyn) with those answers.
 */
#include "explain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_names.h"

/* snprintf that may cut: explanations are bounded lines. */
static void textf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void textf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

struct dyn_state {
	const struct ef_ruleset *rs;
	const struct ef_explain_dyn *dyn;
	const struct ef_packet *pkt;
	struct ef_dyn_answer *sets;   /* per set: [2 * set + 0 src, + 1 dst] */
	struct ef_dyn_answer *limits; /* per rule */
	bool *asked;                  /* per rule: its limit was asked */
};

static bool listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static void member_answer(const struct dyn_state *st, int32_t set, const uint8_t addr[16],
			  struct ef_dyn_answer *a)
{
	const struct ef_explain_dyn *d = st->dyn;
	const char *name = st->rs->sets[set].name;
	int live;

	memset(a, 0, sizeof(*a));
	if (d && listed(d->in_sets, d->n_in, name)) {
		a->holds = true;
		a->source = EF_DYN_GIVEN;
		textf(a->detail, sizeof(a->detail), "--in %s", name);
		return;
	}
	live = d && d->live_member ? d->live_member(d->arg, name, st->pkt->family, addr, a) : 1;
	if (!live) {
		a->source = EF_DYN_LIVE;
		return;
	}
	memset(a, 0, sizeof(*a));
	a->source = EF_DYN_ASSUMED;
	if (live < 0)
		textf(a->detail, sizeof(a->detail),
		      "the instance has no set '%s' to read: taken as empty", name);
	else
		textf(a->detail, sizeof(a->detail),
		      "dynamic sets taken as empty; --in %s or --live to say otherwise", name);
}

static void limit_answer(const struct dyn_state *st, int32_t rule, struct ef_dyn_answer *a)
{
	const struct ef_explain_dyn *d = st->dyn;
	const struct ef_rule *r = &st->rs->rules[rule];
	int live;

	memset(a, 0, sizeof(*a));
	if (d && listed(d->over, d->n_over, r->name)) {
		a->source = EF_DYN_GIVEN;
		textf(a->detail, sizeof(a->detail), "--over-limit %s", r->name);
		return;
	}
	live = d && d->live_limit ? d->live_limit(d->arg, r, st->pkt, a) : 1;
	if (!live) {
		a->source = EF_DYN_LIVE;
		return;
	}
	memset(a, 0, sizeof(*a));
	a->holds = true;
	a->source = EF_DYN_ASSUMED;
	if (live < 0)
		textf(a->detail, sizeof(a->detail),
		      "its bucket could not be read: taken to have room");
	else
		textf(a->detail, sizeof(a->detail),
		      "limits taken to have room; --over-limit %s or --live to say otherwise",
		      r->name);
}

static bool view_member(void *arg, int32_t set, uint8_t family, const uint8_t addr[16])
{
	const struct dyn_state *st = arg;

	(void)family;
	return st->sets[2 * set + (addr == st->pkt->saddr ? 0 : 1)].holds;
}

static bool view_take(void *arg, int32_t rule, const struct ef_packet *pkt)
{
	struct dyn_state *st = arg;

	(void)pkt;
	st->asked[rule] = true;
	return st->limits[rule].holds;
}

static const char *source_word(enum ef_dyn_source s)
{
	return s == EF_DYN_LIVE ? "in force now" : s == EF_DYN_GIVEN ? "given" : "assumed";
}

static void set_text(const struct ef_ruleset *rs, const struct ef_addr_field *f,
		     const struct ef_packet *pkt, bool dst, const struct ef_explain_cond *c,
		     char *buf, size_t len)
{
	char addr[48];

	ef_packet_addr_format(pkt->family, dst ? pkt->daddr : pkt->saddr, addr, sizeof(addr));
	textf(buf, len, "%s is %sin dynamic set $%s%s (%s: %s)", addr, c->ans.holds ? "" : "not ",
	      rs->sets[f->dyn_set - 1].name,
	      f->dyn_negate
		      ? (c->matched ? ", as {not: ...} asks" : ", and the field is {not: ...}")
		      : "",
	      source_word(c->ans.source), c->ans.detail);
}

static void limit_text(const struct ef_rule *r, const struct ef_explain_cond *c, char *buf,
		       size_t len)
{
	const struct ef_limit *l = &r->limit;
	const char *per = l->period_ns >= 3600000000000ull ? "h"
			  : l->period_ns >= 60000000000ull ? "m"
							   : "s";

	textf(buf, len, "%s limit %llu/%s, burst %llu %s (%s: %s)",
	      c->ans.holds ? "within the" : "over the", (unsigned long long)l->rate, per,
	      (unsigned long long)l->burst, l->bytes ? "bytes" : "packets",
	      source_word(c->ans.source), c->ans.detail);
}

/* Rule i's dynamic conditions the matcher asked about, in its order, into
 * out->conds; the first that refused into *refused (or -1). */
static void rule_conds(const struct dyn_state *st, size_t i, struct ef_explanation *out,
		       int *refused)
{
	const struct ef_rule *r = &st->rs->rules[i];
	const struct ef_addr_field *fields[2] = { &r->src, &r->dst };

	*refused = -1;
	for (int k = 0; k < 2; k++) {
		const struct ef_addr_field *f = fields[k];
		struct ef_explain_cond *c;

		if (!f->dyn_set)
			continue;
		c = &out->conds[out->n_conds++];
		c->rule = i;
		c->field = k ? EF_RF_DST : EF_RF_SRC;
		c->ans = st->sets[2 * (f->dyn_set - 1) + k];
		c->matched = c->ans.holds != f->dyn_negate;
		out->assumed |= c->ans.source == EF_DYN_ASSUMED;
		set_text(st->rs, f, st->pkt, k, c, c->text, sizeof(c->text));
		if (!c->matched) {
			*refused = (int)(out->n_conds - 1);
			return;
		}
	}
	if (r->limit.on && st->asked[i]) {
		struct ef_explain_cond *c = &out->conds[out->n_conds++];

		c->rule = i;
		c->field = EF_RF_COUNT;
		c->ans = st->limits[i];
		c->matched = c->ans.holds;
		out->assumed |= c->ans.source == EF_DYN_ASSUMED;
		limit_text(r, c, c->text, sizeof(c->text));
		if (!c->matched)
			*refused = (int)(out->n_conds - 1);
	}
}

static int dyn_state_init(struct dyn_state *st, const struct ef_ruleset *rs,
			  const struct ef_packet *pkt, const struct ef_explain_dyn *dyn)
{
	memset(st, 0, sizeof(*st));
	st->rs = rs;
	st->dyn = dyn;
	st->pkt = pkt;
	st->sets = calloc(2 * rs->n_sets + 1, sizeof(*st->sets));
	st->limits = calloc(rs->n_rules + 1, sizeof(*st->limits));
	st->asked = calloc(rs->n_rules + 1, sizeof(*st->asked));
	if (!st->sets || !st->limits || !st->asked)
		return -ENOMEM;
	for (size_t s = 0; s < rs->n_sets; s++) {
		if (!rs->sets[s].dynamic)
			continue;
		member_answer(st, (int32_t)s, pkt->saddr, &st->sets[2 * s]);
		member_answer(st, (int32_t)s, pkt->daddr, &st->sets[2 * s + 1]);
	}
	for (size_t i = 0; i < rs->n_rules; i++)
		if (rs->rules[i].limit.on)
			limit_answer(st, (int32_t)i, &st->limits[i]);
	return 0;
}

static void dyn_state_free(struct dyn_state *st)
{
	free(st->sets);
	free(st->limits);
	free(st->asked);
}

static bool is_nd(const struct ef_packet *pkt)
{
	return pkt->family == EF_AF_INET6 && pkt->l4proto == EF_PROTO_ICMPV6 && pkt->has_icmp &&
	       pkt->frag != EDGEFW_FRAG_LATER && pkt->icmp_type >= EF_ICMPV6_ND_FIRST &&
	       pkt->icmp_type <= EF_ICMPV6_ND_LAST;
}

/* The rule refused pkt: its first static field that did, else its first
 * dynamic condition that did (*miss unchanged when it matched). */
static void explain_miss(const struct dyn_state *st, size_t i, struct ef_explanation *out)
{
	const struct ef_rule *r = &st->rs->rules[i];
	struct ef_explain_miss *m = &out->misses[out->n_misses];
	int refused;

	for (int f = 0; f < EF_RF_COUNT; f++) {
		if (ef_rule_field_matches(r, (enum ef_rule_field)f, st->pkt))
			continue;
		m->rule = i;
		ef_explain_field(st->rs, r, (enum ef_rule_field)f, st->pkt, &m->why);
		out->n_misses++;
		return;
	}
	rule_conds(st, i, out, &refused);
	if (refused < 0)
		return;
	m->rule = i;
	m->why.field = out->conds[refused].field;
	m->why.matched = false;
	memcpy(m->why.text, out->conds[refused].text, sizeof(m->why.text));
	out->n_misses++;
}

/* The deciding rule's written fields, then its dynamic conditions. */
static void explain_winner(const struct dyn_state *st, size_t i, struct ef_explanation *out)
{
	const struct ef_rule *r = &st->rs->rules[i];
	size_t first;
	int refused;

	for (int f = 0; f < EF_RF_COUNT; f++) {
		if (!ef_rule_field_written(r, (enum ef_rule_field)f))
			continue;
		ef_explain_field(st->rs, r, (enum ef_rule_field)f, st->pkt,
				 &out->fields[out->n_fields++]);
	}
	first = out->n_conds;
	rule_conds(st, i, out, &refused);
	for (size_t c = first; c < out->n_conds && out->n_fields <= EF_RF_COUNT; c++) {
		struct ef_explain_line *l = &out->fields[out->n_fields++];

		l->field = out->conds[c].field;
		l->matched = out->conds[c].matched;
		memcpy(l->text, out->conds[c].text, sizeof(l->text));
	}
}

int ef_explain_dyn(const struct ef_ruleset *rs, const struct ef_packet *pkt,
		   const struct ef_explain_dyn *dyn, struct ef_explanation *out)
{
	struct dyn_state st;
	struct ef_dyn_view dv;
	size_t tried;
	int ret;

	memset(out, 0, sizeof(*out));
	out->rule = -1;
	if (is_nd(pkt)) {
		out->by = EF_EXPLAIN_NON_IP;
		out->action = rs->non_ip_action;
		return 0;
	}
	if (pkt->frag == EDGEFW_FRAG_LATER && rs->frag_policy != EF_FRAGPOL_RULES) {
		out->by = EF_EXPLAIN_FRAG_POLICY;
		out->action =
			rs->frag_policy == EF_FRAGPOL_PASS ? EDGEFW_ACT_PASS : EDGEFW_ACT_DROP;
		return 0;
	}
	ret = dyn_state_init(&st, rs, pkt, dyn);
	if (ret)
		goto out;
	dv = (struct ef_dyn_view){ view_member, view_take, &st };
	out->rule = ef_match_dyn(rs, pkt, &dv);
	out->by = out->rule >= 0 ? EF_EXPLAIN_RULE : EF_EXPLAIN_DEFAULT;
	out->action = out->rule >= 0                  ? rs->rules[out->rule].action
		      : pkt->hook < EDGEFW_HOOK_COUNT ? rs->default_action[pkt->hook]
						      : EDGEFW_ACT_PASS;
	tried = out->rule >= 0 ? (size_t)out->rule : rs->n_rules;
	/* Up to three dynamic conditions per rule (src, dst, limit). */
	out->misses = calloc(tried + 1, sizeof(*out->misses));
	out->conds = calloc(3 * (tried + 1), sizeof(*out->conds));
	if (!out->misses || !out->conds) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < tried; i++)
		explain_miss(&st, i, out);
	if (out->rule >= 0)
		explain_winner(&st, (size_t)out->rule, out);
out:
	dyn_state_free(&st);
	return ret;
}

const char *ef_explain_field_name(enum ef_rule_field f)
{
	return f == EF_RF_COUNT ? "limit" : ef_rule_field_name(f);
}

int ef_explain(const struct ef_ruleset *rs, const struct ef_packet *pkt, struct ef_explanation *out)
{
	return ef_explain_dyn(rs, pkt, NULL, out);
}

void ef_explanation_free(struct ef_explanation *e)
{
	free(e->misses);
	free(e->conds);
	memset(e, 0, sizeof(*e));
}
