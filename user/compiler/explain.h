/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Why a packet gets its action: the reference matcher's decision, with a
 * sentence per field of the deciding rule and, for each earlier rule, the
 * first field that refused the packet. What `edgefw explain` prints.
 */
#ifndef EDGEFW_EXPLAIN_H
#define EDGEFW_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "matcher.h"

#define EF_EXPLAIN_TEXT 256

enum ef_explain_by {
	EF_EXPLAIN_RULE = 0,
	EF_EXPLAIN_DEFAULT,     /* no rule matched: defaults.<hook> */
	EF_EXPLAIN_FRAG_POLICY, /* a non-first fragment: defaults.fragments */
	EF_EXPLAIN_NON_IP,      /* IPv6 neighbour discovery: defaults.non-ip */
};

/* One field of one rule against the packet. */
struct ef_explain_line {
	enum ef_rule_field field;
	bool matched;
	char text[EF_EXPLAIN_TEXT]; /* "10.0.0.0/8 (set $lan) contains 10.1.2.3" */
};

/* A rule before the deciding one, and the first field that refused. */
struct ef_explain_miss {
	size_t rule;
	struct ef_explain_line why;
};

struct ef_explanation {
	enum ef_explain_by by;
	int rule;        /* EF_EXPLAIN_RULE: index into rs->rules, else -1 */
	uint8_t action;  /* enum edgefw_action */
	/* The deciding rule's written fields, in matching order. */
	struct ef_explain_line fields[EF_RF_COUNT];
	size_t n_fields;
	/* Every rule the matcher tried before deciding. */
	struct ef_explain_miss *misses;
	size_t n_misses;
};

/* Decides pkt as ef_decide does (and as the datapath does for neighbour
 * discovery) and says why. Returns 0 or -ENOMEM. */
int ef_explain(const struct ef_ruleset *rs, const struct ef_packet *pkt,
	       struct ef_explanation *out);
void ef_explanation_free(struct ef_explanation *e);

/* Field f of rule r against pkt, in words. */
void ef_explain_field(const struct ef_ruleset *rs, const struct ef_rule *r,
		      enum ef_rule_field f, const struct ef_packet *pkt,
		      struct ef_explain_line *out);

/* Whether rule r wrote field f (an unwritten field accepts everything). */
bool ef_rule_field_written(const struct ef_rule *r, enum ef_rule_field f);

/* "10.1.2.3 -> 192.0.2.1 tcp 40000 -> 22 flags syn, xdp on eth0,
 * untagged, not a fragment" into buf. */
void ef_packet_format(const struct ef_packet *pkt, char *buf, size_t len);

/* The packet's address as text (no prefix length). */
void ef_packet_addr_format(uint8_t family, const uint8_t addr[16], char *buf,
			   size_t len);

#endif
