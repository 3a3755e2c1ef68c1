// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rule language's dynamic parts (issue 16): dynamic sets, whose
 * entries change at run time; `limit:`, a token bucket a rule's packets
 * must fit in; `ban:`, which puts a packet's source into a dynamic set
 * from the datapath. After the rules are read, each distinct dynamic
 * condition gets a bit of the condition vector (ef_ruleset.conds).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "rules_internal.h"
#include "strutil.h"

#define LIMIT_RATE_MAX 100000000000ull /* 100 G units per second */

static bool parse_timeout(struct parser *p, const struct ydoc_node *v, const char *what,
			  uint64_t *ns)
{
	int ret;

	if (!rs_expect_kind(p, v, YDOC_SCALAR, what))
		return false;
	ret = ef_parse_duration(v->str, ns);
	if (ret == -ERANGE)
		perr(p, v, "%s '%s' is longer than ten years: use 0 for entries that never expire",
		     what, v->str);
	else if (ret)
		perr(p, v,
		     "%s '%s' is not a duration: write a number with ms, s, m, h or d (10m, 1h, 30s), or 0 for never",
		     what, v->str);
	return !ret;
}

void rs_define_dynamic_set(struct parser *p, struct rs_set *s, const struct ydoc_node *body)
{
	static const char *const keys[] = { "dynamic", "type", "timeout", "size", NULL };
	const struct ydoc_node *v = ydoc_map_get(body, "dynamic");
	char where[EF_SET_NAME_MAX + 8];
	unsigned size = EF_DYNSET_SIZE_DEFAULT;

	snprintf(where, sizeof(where), "set '%s'", s->name);
	s->kind = EF_SET_ADDR;
	s->kind_ok = true;
	s->dynamic = true;
	s->state = RS_SET_DONE;
	for (size_t i = 0; i < body->n_pairs; i++) {
		const char *k = body->pairs[i].key->str;

		if (!strcmp(k, "addresses") || !strcmp(k, "files") || !strcmp(k, "ports")) {
			perr(p, body->pairs[i].key,
			     "set '%s' is dynamic: its entries come at run time ('edgefw set add %s ADDRESS'), it takes no '%s'; define a second, static set for fixed entries",
			     s->name, s->name, k);
			s->bad = true;
		}
	}
	if (s->bad)
		return;
	rs_check_keys(p, body, where, keys);
	if (v && (!rs_expect_kind(p, v, YDOC_SCALAR, "dynamic") || strcmp(v->str, "true"))) {
		perr(p, v, "%s: 'dynamic' takes true (a set without it is static)", where);
		s->bad = true;
	}
	v = ydoc_map_get(body, "type");
	if (v && rs_expect_kind(p, v, YDOC_SCALAR, "type") && strcmp(v->str, "address")) {
		perr(p, v,
		     "%s: dynamic sets hold addresses (IPv4 and IPv6 prefixes); type '%s' is not supported: write 'type: address'",
		     where, v->str);
		s->bad = true;
	}
	v = ydoc_map_get(body, "timeout");
	if (v && !parse_timeout(p, v, "timeout", &s->timeout_ns))
		s->bad = true;
	v = ydoc_map_get(body, "size");
	if (v && rs_expect_kind(p, v, YDOC_SCALAR, "size") &&
	    (!rs_parse_uint(v->str, EF_DYNSET_SIZE_MAX, &size) || !size)) {
		perr(p, v, "%s: size '%s' must be a number of entries from 1 to %u", where, v->str,
		     EF_DYNSET_SIZE_MAX);
		s->bad = true;
	}
	s->size = size;
}

void rs_dynamic_ref(struct parser *p, const struct rs_ctx *c, const struct ydoc_node *n,
		    struct rs_set *s, struct rs_entries *e)
{
	if (c->field < 0) {
		perr(p, n,
		     "%s cannot include dynamic set '$%s': its entries change at run time; name it in a rule's src or dst",
		     c->what, s->name);
		if (c->in_set)
			c->in_set->bad = true;
		return;
	}
	if (e->kind != EF_SET_ADDR) {
		perr(p, n, "%s takes ports, but dynamic set '$%s' holds addresses", c->what,
		     s->name);
		return;
	}
	s->refs++;
	p->rs->sets[s - p->sets].n_refs++;
	e->dyn_set = (uint16_t)(s - p->sets + 1);
	e->n_dyn++;
	e->dyn_node = n;
}

/* A field naming a dynamic set: that set alone, or {not: $set}. */
bool rs_dynamic_field(struct parser *p, const struct rs_ctx *c, const struct rs_entries *e)
{
	if (!e->n_dyn)
		return true;
	if (e->n_dyn > 1 || e->n || e->n_parts) {
		perr(p, e->dyn_node,
		     "%s: dynamic set '%s' must be the field's only element (write %s: %s, or %s: {not: %s}); put other addresses in a rule of their own",
		     c->what, e->dyn_node->str, c->what, e->dyn_node->str, c->what,
		     e->dyn_node->str);
		return false;
	}
	return true;
}

/* "100/s", "6000/m", "10/h" */
static bool parse_rate(struct parser *p, const struct ydoc_node *v, uint64_t *rate,
		       uint64_t *per_ns)
{
	static const struct {
		const char *w;
		uint64_t s;
	} per[] = {
		{ "s", 1 },       { "second", 1 }, { "m", 60 },
		{ "minute", 60 }, { "h", 3600 },   { "hour", 3600 },
	};
	const char *slash = strchr(v->str, '/');
	uint64_t n = 0;
	const char *q;

	for (q = v->str; q < (slash ? slash : v->str) && *q >= '0' && *q <= '9'; q++)
		n = n > LIMIT_RATE_MAX ? n : n * 10 + (uint64_t)(*q - '0');
	if (slash && q == slash && q != v->str && n >= 1 && n <= LIMIT_RATE_MAX) {
		for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++) {
			if (!strcmp(slash + 1, per[i].w)) {
				*rate = n;
				*per_ns = per[i].s * 1000000000ull;
				return true;
			}
		}
	}
	perr(p, v,
	     "limit: rate '%s' is not a rate: write COUNT/s, COUNT/m or COUNT/h with COUNT from 1 to %llu (100/s)",
	     v->str, (unsigned long long)LIMIT_RATE_MAX);
	return false;
}

static void parse_per(struct parser *p, const struct ydoc_node *v, struct ef_limit *l)
{
	static const char *const names[] = { "rule", "src", "dst", "sport", "dport", NULL };
	static const uint8_t bits[] = { 0, EDGEFW_PER_SRC, EDGEFW_PER_DST, EDGEFW_PER_SPORT,
					EDGEFW_PER_DPORT };
	size_t count;

	if (!rs_scalar_list(p, v, "limit: per", &count))
		return;
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(v, i);
		int w;

		if (it->kind != YDOC_SCALAR)
			continue;
		w = rs_parse_word(p, it, "limit: per", names, 5);
		if (w == 0 && count > 1)
			perr(p, it,
			     "limit: per 'rule' means one bucket for the whole rule; it cannot be combined with fields");
		if (w >= 0)
			l->per |= bits[w];
	}
}

void rs_parse_limit(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	static const char *const keys[] = { "rate", "burst", "per", "unit", NULL };
	static const char *const unit_names[] = { "packets", "bytes", NULL };
	struct ef_limit *l = &r->limit;
	const struct ydoc_node *v;
	uint64_t per_ns = 1000000000ull;
	unsigned burst;

	if (!rs_expect_kind(p, n, YDOC_MAP, "limit"))
		return;
	rs_check_keys(p, n, "limit", keys);
	l->line = n->line;
	l->col = n->col;
	v = ydoc_map_get(n, "unit");
	if (v && rs_parse_word(p, v, "limit: unit", unit_names, 2) == 1)
		l->bytes = true;
	v = ydoc_map_get(n, "rate");
	if (!v) {
		perr(p, n,
		     "limit has no 'rate' (100/s: packets a second; with 'unit: bytes', bytes)");
		return;
	}
	if (!rs_expect_kind(p, v, YDOC_SCALAR, "limit: rate") ||
	    !parse_rate(p, v, &l->rate, &per_ns))
		return;
	/* By default the bucket holds one period's worth. */
	l->burst = l->rate > 4000000000u ? 4000000000u : l->rate;
	if ((v = ydoc_map_get(n, "burst"))) {
		if (!rs_expect_kind(p, v, YDOC_SCALAR, "limit: burst"))
			return;
		if (!rs_parse_uint(v->str, 4000000000u, &burst) || !burst) {
			perr(p, v,
			     "limit: burst '%s' must be a number from 1 to 4000000000 (%s the bucket holds)",
			     v->str, l->bytes ? "bytes" : "packets");
			return;
		}
		l->burst = burst;
	}
	if ((v = ydoc_map_get(n, "per")))
		parse_per(p, v, l);
	l->period_ns = per_ns;
	l->on = true;
}

static const struct rs_set *find_dynamic(struct parser *p, const struct ydoc_node *v)
{
	const char *name = v->str[0] == '$' ? v->str + 1 : v->str;

	for (size_t i = 0; i < p->n_sets; i++)
		if (!strcmp(p->sets[i].name, name))
			return p->sets[i].dynamic ? &p->sets[i] : NULL;
	return NULL;
}

void rs_parse_ban(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	static const char *const keys[] = { "set", "timeout", NULL };
	const struct ydoc_node *v;
	const struct rs_set *s;

	if (!rs_expect_kind(p, n, YDOC_MAP, "ban"))
		return;
	rs_check_keys(p, n, "ban", keys);
	r->ban.line = n->line;
	r->ban.col = n->col;
	v = ydoc_map_get(n, "set");
	if (!v) {
		perr(p, n,
		     "ban has no 'set': name the dynamic set the source goes into (ban: {set: ban, timeout: 10m})");
		return;
	}
	if (!rs_expect_kind(p, v, YDOC_SCALAR, "ban: set"))
		return;
	s = find_dynamic(p, v);
	if (!s) {
		perr(p, v,
		     "ban: '%s' is not a dynamic set: define it under 'sets:' with 'dynamic: true'",
		     v->str);
		return;
	}
	((struct rs_set *)s)->refs++;
	r->ban.set = (uint16_t)(s - p->sets + 1);
	r->ban.timeout_ns = s->timeout_ns;
	if ((v = ydoc_map_get(n, "timeout")))
		parse_timeout(p, v, "ban: timeout", &r->ban.timeout_ns);
}

/* The condition's bit, added when new. -1 when the ruleset has no room. */
static int cond_bit(struct ef_ruleset *rs, const struct ef_cond *c)
{
	for (size_t i = 0; i < rs->n_conds; i++) {
		const struct ef_cond *o = &rs->conds[i];

		if (c->kind != EDGEFW_COND_LIMIT && o->kind == c->kind && o->set == c->set &&
		    o->negate == c->negate)
			return (int)i;
	}
	if (rs->n_conds == EDGEFW_MAX_CONDS)
		return -1;
	rs->conds[rs->n_conds] = *c;
	return (int)rs->n_conds++;
}

static void rule_conds(struct parser *p, struct ef_rule *r, size_t idx)
{
	struct ef_cond want[3];
	size_t n = 0;

	if (r->src.dyn_set)
		want[n++] = (struct ef_cond){ EDGEFW_COND_SET_SRC, r->src.dyn_negate,
					      r->src.dyn_set - 1, -1 };
	if (r->dst.dyn_set)
		want[n++] = (struct ef_cond){ EDGEFW_COND_SET_DST, r->dst.dyn_negate,
					      r->dst.dyn_set - 1, -1 };
	if (r->limit.on)
		want[n++] = (struct ef_cond){ EDGEFW_COND_LIMIT, false, -1, (int32_t)idx };
	for (size_t i = 0; i < n; i++) {
		int bit = cond_bit(p->rs, &want[i]);

		if (bit < 0) {
			ef_err(p->d, p->file, r->line, r->col,
			       "rule '%s': a ruleset may hold %d dynamic conditions (a dynamic set named in src or dst, with or without 'not', and each limit); this rule needs one more. Share sets between rules or merge limits",
			       r->name, EDGEFW_MAX_CONDS);
			return;
		}
		r->cond_mask |= (uint8_t)(1u << bit);
		if (want[i].kind == EDGEFW_COND_LIMIT)
			r->limit_cond = (int8_t)bit;
	}
}

static void rule_ban(struct parser *p, struct ef_rule *r)
{
	struct ef_ruleset *rs = p->rs;
	size_t i;

	if (!r->ban.set)
		return;
	for (i = 0; i < rs->n_bans; i++)
		if (rs->bans[i].set == r->ban.set && rs->bans[i].timeout_ns == r->ban.timeout_ns)
			break;
	if (i == EDGEFW_MAX_CONDS) {
		ef_err(p->d, p->file, r->ban.line, r->ban.col,
		       "rule '%s': a ruleset may ban into %d distinct (set, timeout) pairs; this is one more: share a timeout between rules",
		       r->name, EDGEFW_MAX_CONDS);
		return;
	}
	if (i == rs->n_bans)
		rs->bans[rs->n_bans++] = r->ban;
	r->ban_idx = (uint8_t)i;
}

void rs_assign_conds(struct parser *p)
{
	struct ef_ruleset *rs = p->rs;

	for (size_t i = 0; i < p->n_sets; i++) {
		rs->sets[i].dynamic = p->sets[i].dynamic;
		rs->sets[i].timeout_ns = p->sets[i].timeout_ns;
		rs->sets[i].size = p->sets[i].size;
	}
	for (size_t i = 0; i < rs->n_rules; i++) {
		rs->rules[i].limit_cond = -1;
		rule_conds(p, &rs->rules[i], i);
		rule_ban(p, &rs->rules[i]);
	}
}
