// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The connection-tracking fields of a rule: `state` (which connection
 * states it matches) and `track` (whether a new flow it passes is
 * recorded). The tracker itself is kern/conntrack.h; rules/README.md gives
 * the meaning of each state.
 */
#include <string.h>

#include "rules_internal.h"

static const char *const state_names[EDGEFW_CT_STATES] = {
	[EDGEFW_CT_NEW] = "new",
	[EDGEFW_CT_ESTABLISHED] = "established",
	[EDGEFW_CT_RELATED] = "related",
	[EDGEFW_CT_INVALID] = "invalid",
};

const char *ef_ct_state_name(unsigned state)
{
	return state < EDGEFW_CT_STATES ? state_names[state] : "?";
}

void rs_parse_state(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	uint8_t states = 0;
	size_t count;

	if (!rs_scalar_list(p, n, "state", &count))
		return;
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *item = rs_list_item(n, i);
		int w;

		if (!item || item->kind != YDOC_SCALAR)
			continue;
		w = rs_parse_word(p, item, "state", state_names, EDGEFW_CT_STATES);
		if (w < 0)
			continue;
		if ((states >> w) & 1)
			pwarn(p, item, "state '%s' is listed twice", item->str);
		states |= (uint8_t)(1u << w);
	}
	if (states == EF_STATES_ALL)
		pwarn(p, n,
		      "state lists every state (new, established, related, invalid): the field matches every packet and can be left out");
	r->states = states;
}

void rs_parse_track(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	if (!rs_expect_kind(p, n, YDOC_SCALAR, "track"))
		return;
	if (!strcmp(n->str, "true"))
		r->track = EF_TRACK_YES;
	else if (!strcmp(n->str, "false"))
		r->track = EF_TRACK_NO;
	else
		perr(p, n,
		     "track must be true or false, not '%s' (YAML 1.1 words like yes, no, on, off are not booleans here)",
		     n->str);
}

/* A rule that records flows must pass them, and can record only new ones. */
void rs_check_state_fields(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r)
{
	const struct ydoc_node *k = rs_map_key(rule, "track");
	char label[RS_LABEL_MAX];

	rs_rule_label(r, label, sizeof(label));
	if (k && r->action != EDGEFW_ACT_PASS)
		perr(p, k,
		     "track applies only to rules with 'action: pass': %s %s its packets, so they start no flow",
		     label, r->action == EDGEFW_ACT_DROP ? "drops" : "redirects");
	else if (k && r->track == EF_TRACK_YES && r->states && !(r->states & (1u << EDGEFW_CT_NEW)))
		perr(p, k,
		     "'track: true' records new flows, but %s matches only state %s: add 'new' to its state or remove track",
		     label,
		     r->states & (1u << EDGEFW_CT_ESTABLISHED)
			     ? "established/related/invalid packets"
			     : "related/invalid packets");
	k = rs_map_key(rule, "state");
	if (k && r->states && r->frag == EF_FRAG_LATER && !(r->states & (1u << EDGEFW_CT_INVALID)))
		perr(p, k,
		     "'fragment: later' with state can never match: a non-first fragment has no ports to find its flow by, so its state is always invalid");
}

/* After every rule: `track` does something only in a ruleset that reads
 * states. */
void rs_check_ruleset_state(struct parser *p, const struct ydoc_node *rules)
{
	const struct ef_ruleset *rs = p->rs;
	const struct ydoc_node *k;

	if (ef_ruleset_ct_mode(rs))
		return;
	for (size_t i = 0; i < rs->n_rules && i < rules->n_items; i++) {
		k = rs_map_key(rules->items[i], "track");
		if (k && rules->items[i]->kind == YDOC_MAP) {
			pwarn(p, k,
			      "track has no effect: no rule of this ruleset has 'state', so nothing is looked up or recorded");
			return;
		}
	}
}

uint8_t ef_ruleset_ct_mode(const struct ef_ruleset *rs)
{
	uint8_t mode = 0;

	for (size_t i = 0; i < rs->n_rules; i++) {
		if (rs->rules[i].states)
			mode |= EDGEFW_CT_MODE_STATE;
		if (rs->rules[i].track == EF_TRACK_YES)
			mode |= EDGEFW_CT_MODE_INGRESS_TRACK;
	}
	/* Recording flows is useful only to a ruleset that reads states. */
	return mode & EDGEFW_CT_MODE_STATE ? mode : 0;
}

/* Whether a rule matches every packet its states name at its hooks,
 * whatever the rest of the packet: `state` and `hooks` are its only
 * fields, and it has nothing decided per packet (sets, limits, bans) or
 * reported from the classifier (log). */
static bool rule_is_state_only(const struct ef_rule *r)
{
	return r->states && !r->n_ifaces && r->src.any && r->dst.any && !r->src.dyn_set &&
	       !r->dst.dyn_set && r->proto_any && r->sport.any && r->dport.any &&
	       r->icmp_type < 0 && r->icmp_code < 0 && !r->tcp_flags_mask &&
	       r->vlan == EF_VLAN_ANY && r->frag == EF_FRAG_ANY && !r->cond_mask && !r->limit.on &&
	       !r->ban.set && !r->log;
}

uint8_t ef_ruleset_ct_first(const struct ef_ruleset *rs)
{
	uint8_t bits = 0;

	if (!rs->n_rules || !ef_ruleset_ct_mode(rs) || !rule_is_state_only(&rs->rules[0]))
		return 0;
	for (unsigned st = 0; st < EDGEFW_CT_STATES; st++)
		if (rs->rules[0].states & (1u << st))
			bits |= EDGEFW_CT_MODE_FIRST(st);
	return bits;
}
