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

/* Where explain learned a dynamic condition's state (issue 16). */
enum ef_dyn_source {
	EF_DYN_ASSUMED = 0, /* nothing said: sets empty, limits with room */
	EF_DYN_GIVEN,       /* --in SET, --over-limit RULE */
	EF_DYN_LIVE,        /* read from the instance in force now */
};

/* One dynamic condition's state for the packet. */
struct ef_dyn_answer {
	bool holds; /* a set: the address is in it; a limit: it has room */
	enum ef_dyn_source source;
	char detail[128]; /* "entry 10.9.0.0/24, expires in 598 s" */
};

/* How explain learns the dynamic state; every member may be NULL/0. The
 * live callbacks return 0 with *out filled, or -ENOENT (the instance has
 * no such set or limit: the state is then given or assumed). */
struct ef_explain_dyn {
	int (*live_member)(void *arg, const char *set, uint8_t family, const uint8_t addr[16],
			   struct ef_dyn_answer *out);
	int (*live_limit)(void *arg, const struct ef_rule *r, const struct ef_packet *pkt,
			  struct ef_dyn_answer *out);
	void *arg;
	const char *const *in_sets; /* sets taken to hold the packet's addresses */
	size_t n_in;
	const char *const *over; /* rules whose limit is taken as spent */
	size_t n_over;
};

/* A dynamic condition explain consulted, in the order the matcher asked. */
struct ef_explain_cond {
	size_t rule;
	enum ef_rule_field field; /* EF_RF_SRC, EF_RF_DST; EF_RF_COUNT: limit */
	bool matched;             /* the rule's condition is met */
	struct ef_dyn_answer ans;
	char text[EF_EXPLAIN_TEXT];
};

struct ef_explanation {
	enum ef_explain_by by;
	int rule;       /* EF_EXPLAIN_RULE: index into rs->rules, else -1 */
	uint8_t action; /* enum edgefw_action */
	/* The deciding rule's written fields, in matching order. */
	struct ef_explain_line fields[EF_RF_COUNT + 1]; /* + a limit */
	size_t n_fields;
	/* Every rule the matcher tried before deciding. */
	struct ef_explain_miss *misses;
	size_t n_misses;
	/* Every dynamic condition consulted, and whether any was assumed. */
	struct ef_explain_cond *conds;
	size_t n_conds;
	bool assumed;
};

/* Decides pkt as ef_decide does (and as the datapath does for neighbour
 * discovery) and says why. Returns 0 or -ENOMEM. */
int ef_explain(const struct ef_ruleset *rs, const struct ef_packet *pkt,
	       struct ef_explanation *out);
/* The same with the dynamic state dyn gives (NULL: all assumed). */
int ef_explain_dyn(const struct ef_ruleset *rs, const struct ef_packet *pkt,
		   const struct ef_explain_dyn *dyn, struct ef_explanation *out);
/* A field name, or "limit" for EF_RF_COUNT (a rule's limit). */
const char *ef_explain_field_name(enum ef_rule_field f);
void ef_explanation_free(struct ef_explanation *e);

/* Field f of rule r against pkt, in words. */
void ef_explain_field(const struct ef_ruleset *rs, const struct ef_rule *r, enum ef_rule_field f,
		      const struct ef_packet *pkt, struct ef_explain_line *out);

/* Whether rule r wrote field f (an unwritten field accepts everything). */
bool ef_rule_field_written(const struct ef_rule *r, enum ef_rule_field f);

/* "10.1.2.3 -> 192.0.2.1 tcp 40000 -> 22 flags syn, xdp on eth0,
 * untagged, not a fragment" into buf. */
void ef_packet_format(const struct ef_packet *pkt, char *buf, size_t len);

/* The packet's address as text (no prefix length). */
void ef_packet_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len);

#endif
