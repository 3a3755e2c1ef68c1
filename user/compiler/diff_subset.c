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
	return s->buf ? 0 : -ENOMEM;
}

void ef_rule_subset_free(struct ef_rule_subset *s)
{
	free(s->buf);
	s->buf = NULL;
}

static bool is_dimension(enum ef_rule_field f)
{
	return f == EF_RF_SRC || f == EF_RF_DST || f == EF_RF_SPORT ||
	       f == EF_RF_DPORT;
}

/* Whether r can match a packet that differs from base in one dimension
 * at most (and never in family: a probe keeps its base's). The other
 * fields first: they are cheaper, and one miss there is enough. */
static bool may_match_near(const struct ef_rule *r, const struct ef_packet *base)
{
	static const enum ef_rule_field dims[] = { EF_RF_SRC, EF_RF_DST,
						   EF_RF_SPORT, EF_RF_DPORT };
	unsigned missed = 0;

	if (!ef_rule_has_family(r, base->family))
		return false;
	for (int f = 0; f < EF_RF_COUNT; f++)
		if (!is_dimension((enum ef_rule_field)f) &&
		    !ef_rule_field_matches(r, (enum ef_rule_field)f, base))
			return false;
	for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++)
		if (!ef_rule_field_matches(r, dims[i], base) && ++missed > 1)
			return false;
	return true;
}

const struct ef_ruleset *ef_rule_subset_near(struct ef_rule_subset *s,
					     const struct ef_packet *base)
{
	const struct ef_ruleset *full = s->full;
	size_t n = 0;

	if (!s->buf)
		return full;
	for (size_t i = 0; i < full->n_rules; i++) {
		if (!may_match_near(&full->rules[i], base))
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
