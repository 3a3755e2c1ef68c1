// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rules of one side that can decide a region's probes (diff_subset.h).
 *
 * Every probe of a region is its base packet with at most one of the four
 * dimensions (src, dst, sport, dport) changed: family, protocol, hook,
 * interface, fragment, flags and state are the base's. A rule that matches
 * such a probe therefore matches the base in every field but that one
 * dimension. Keeping, in order, the rules that fail the base in at most
 * one dimension and in no other field loses no rule that can match a
 * probe, so the reference matcher (ef_decide) run over the subset decides
 * each probe exactly as over the whole ruleset: the same first match, the
 * same default, the same fragments policy (the subset keeps the ruleset's
 * settings). On ClassBench sets a region keeps tens of rules of 10,000.
 */
#include "diff_subset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "matcher.h"

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The field as one IPv4 prefix, when it is exactly that: what
 * ef_prefix_match tests then is the first len bits. */
static void addr4_of(const struct ef_addr_field *f, struct ef_subset_addr4 *a)
{
	const struct ef_prefix *p = f->v;

	a->one = !f->any && !f->negate && f->n == 1 && p->family == EF_AF_INET && p->len <= 32;
	if (!a->one)
		return;
	a->mask = p->len ? ~0u << (32 - p->len) : 0;
	a->value = be32_at(p->addr) & a->mask;
}

/* Whether the rule's src (d 0) or dst (d 1) holds the base's address. */
static bool addr_holds(const struct ef_subset_addr4 *a, const struct ef_rule *r, int d,
		       const struct ef_packet *base)
{
	const uint8_t *addr = d ? base->daddr : base->saddr;

	if (a->one && base->family == EF_AF_INET)
		return (be32_at(addr) & a->mask) == a->value;
	return ef_rule_field_matches(r, d ? EF_RF_DST : EF_RF_SRC, base);
}

int ef_rule_subset_init(struct ef_rule_subset *s, const struct ef_ruleset *full)
{
	memset(s, 0, sizeof(*s));
	s->full = full;
	s->view = *full;
	s->view.rules = NULL;
	s->view.n_rules = 0;
	if (!full->n_rules)
		return 0;
	s->buf = calloc(full->n_rules, sizeof(*s->buf));
	s->addr4 = calloc(full->n_rules, sizeof(*s->addr4));
	if (!s->buf || !s->addr4) {
		ef_rule_subset_free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < full->n_rules; i++) {
		addr4_of(&full->rules[i].src, &s->addr4[i][0]);
		addr4_of(&full->rules[i].dst, &s->addr4[i][1]);
	}
	return 0;
}

void ef_rule_subset_free(struct ef_rule_subset *s)
{
	free(s->buf);
	free(s->addr4);
	s->buf = NULL;
	s->addr4 = NULL;
}

static bool is_dimension(enum ef_rule_field f)
{
	return f == EF_RF_SRC || f == EF_RF_DST || f == EF_RF_SPORT || f == EF_RF_DPORT;
}

/* Whether r can match a packet that differs from base in one dimension
 * at most (and never in family: a probe keeps its base's). The addresses
 * first, by their IPv4 form when they have one: on large rulesets most
 * rules fail both there. */
static bool may_match_near(const struct ef_rule *r, const struct ef_subset_addr4 a[2],
			   const struct ef_packet *base)
{
	unsigned missed = !addr_holds(&a[0], r, 0, base) + !addr_holds(&a[1], r, 1, base);

	if (missed > 1 || !ef_rule_has_family(r, base->family))
		return false;
	missed += !ef_rule_field_matches(r, EF_RF_SPORT, base) +
		  !ef_rule_field_matches(r, EF_RF_DPORT, base);
	if (missed > 1)
		return false;
	for (int f = 0; f < EF_RF_COUNT; f++)
		if (!is_dimension((enum ef_rule_field)f) &&
		    !ef_rule_field_matches(r, (enum ef_rule_field)f, base))
			return false;
	return true;
}

const struct ef_ruleset *ef_rule_subset_near(struct ef_rule_subset *s, const struct ef_packet *base)
{
	const struct ef_ruleset *full = s->full;
	size_t n = 0;

	if (!s->buf)
		return full;
	for (size_t i = 0; i < full->n_rules; i++) {
		if (!may_match_near(&full->rules[i], s->addr4[i], base))
			continue;
		/* Past half, the copy costs more than it saves. */
		if (++n > full->n_rules / 2)
			return full;
		s->buf[n - 1] = full->rules[i];
	}
	s->view.rules = s->buf;
	s->view.n_rules = n;
	s->kept += n;
	s->built++;
	return &s->view;
}
