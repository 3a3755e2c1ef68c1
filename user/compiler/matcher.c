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

int ef_match(const struct ef_ruleset *rs, const struct ef_packet *pkt,
	     uint32_t hook)
{
	(void)hook; /* every rule applies to every hook for now */
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		if (field_matches(&r->src, pkt->family, pkt->saddr) &&
		    field_matches(&r->dst, pkt->family, pkt->daddr))
			return (int)i;
	}
	return -1;
}
