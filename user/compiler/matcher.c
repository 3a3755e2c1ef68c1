// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "matcher.h"

static bool field_matches(const struct ef_addr_field *f, uint8_t family,
			  const uint8_t addr[16])
{
	if (f->any)
		return true;
	for (size_t i = 0; i < f->n; i++)
		if (ef_prefix_match(&f->v[i], family, addr))
			return true;
	return false;
}

bool ef_rule_matches(const struct ef_rule *r, const struct ef_packet *pkt)
{
	return field_matches(&r->src, pkt->family, pkt->saddr) &&
	       field_matches(&r->dst, pkt->family, pkt->daddr);
}

int ef_match(const struct ef_ruleset *rs, const struct ef_packet *pkt)
{
	for (size_t i = 0; i < rs->n_rules; i++)
		if (ef_rule_matches(&rs->rules[i], pkt))
			return (int)i;
	return -1;
}

struct ef_decision ef_decide(const struct ef_ruleset *rs,
			     const struct ef_packet *pkt)
{
	struct ef_decision d = { .by = EF_BY_DEFAULT, .rule = -1 };

	d.rule = ef_match(rs, pkt);
	if (d.rule >= 0) {
		d.by = EF_BY_RULE;
		d.action = rs->rules[d.rule].action;
	} else {
		d.action = rs->default_action[pkt->hook];
	}
	return d;
}
