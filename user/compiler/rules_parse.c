// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The document, its defaults and its rules; the fields have files of their
 * own (rules_fields.c, rules_sets.c). */
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"
#include "strutil.h"

static int parse_action_word(struct parser *p, const struct ydoc_node *n, const char *what,
			     bool allow_redirect)
{
	return rs_parse_word(p, n, what, rs_action_words,
			     allow_redirect ? EDGEFW_ACT_COUNT : EDGEFW_ACT_REDIRECT);
}

static void parse_version(struct parser *p, const struct ydoc_node *n)
{
	if (!rs_expect_kind(p, n, YDOC_SCALAR, "version"))
		return;
	if (strcmp(n->str, "1") != 0)
		perr(p, n, "unsupported version '%s': this edgefw reads version %d", n->str,
		     RULESET_VERSION);
}

static void parse_policy(struct parser *p, const struct ydoc_node *map, const char *key,
			 uint8_t *out)
{
	const struct ydoc_node *v = ydoc_map_get(map, key);
	int a;

	if (!v)
		return;
	a = parse_action_word(p, v, key, false);
	if (a >= 0)
		*out = (uint8_t)a;
}

static void parse_defaults(struct parser *p, const struct ydoc_node *n)
{
	static const char *const keys[] = {
		"xdp",       "tc-ingress",        "tc-egress",      "non-ip", "malformed",
		"fragments", "ipv6-ext-overflow", "encap-overflow", NULL
	};
	static const char *const frag_words[] = { "rules", "pass", "drop" };
	struct ef_ruleset *rs = p->rs;
	const struct ydoc_node *v;
	int w;

	if (!rs_expect_kind(p, n, YDOC_MAP, "defaults"))
		return;
	rs_check_keys(p, n, "defaults", keys);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		v = ydoc_map_get(n, ef_hook_name(h));
		if (!v)
			continue;
		w = parse_action_word(p, v, "default policy", false);
		if (w >= 0)
			rs->default_action[h] = (uint8_t)w;
	}
	parse_policy(p, n, "non-ip", &rs->non_ip_action);
	parse_policy(p, n, "malformed", &rs->malformed_action);
	parse_policy(p, n, "ipv6-ext-overflow", &rs->ext_overflow_action);
	parse_policy(p, n, "encap-overflow", &rs->encap_overflow_action);
	v = ydoc_map_get(n, "fragments");
	if (v) {
		/* The enum follows the words' order. */
		w = rs_parse_word(p, v, "fragments", frag_words, 3);
		if (w >= 0)
			rs->frag_policy = (uint8_t)(EF_FRAGPOL_RULES + w);
	}
}

bool rs_valid_ifname(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= EF_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

static void parse_name(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	const struct ydoc_node *v = ydoc_map_get(n, "name");

	if (!v)
		perr(p, n,
		     "rule has no 'name': every rule needs a unique name (letters, digits, '-', '_', '.')");
	else if (rs_expect_kind(p, v, YDOC_SCALAR, "name")) {
		if (!rs_valid_name(v->str, EDGEFW_RULE_NAME_MAX, "-_."))
			perr(p, v,
			     "rule name '%s' is invalid: use 1-%d letters, digits, '-', '_' or '.'",
			     v->str, EDGEFW_RULE_NAME_MAX - 1);
		else
			ef_strlcpy(r->name, v->str, sizeof(r->name));
	}
}

static void parse_action(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	const struct ydoc_node *v = ydoc_map_get(n, "action");
	char label[RS_LABEL_MAX];
	int a;

	rs_rule_label(r, label, sizeof(label));
	if (!v) {
		perr(p, n, "%s has no 'action' (pass, drop or redirect)", label);
	} else {
		a = parse_action_word(p, v, "action", true);
		if (a >= 0)
			r->action = (uint8_t)a;
	}

	v = ydoc_map_get(n, "to");
	if (r->action == EDGEFW_ACT_REDIRECT && !v)
		perr(p, n, "%s redirects but has no 'to: IFNAME'", label);
	if (v && r->action != EDGEFW_ACT_REDIRECT)
		perr(p, v, "'to' is only valid with 'action: redirect'");
	if (v && r->action == EDGEFW_ACT_REDIRECT && rs_expect_kind(p, v, YDOC_SCALAR, "to")) {
		if (!rs_valid_ifname(v->str))
			perr(p, v,
			     "'%s' is not a valid interface name (1-15 characters, no '/', ':' or spaces)",
			     v->str);
		else if (strpbrk(v->str, "*?["))
			perr(p, v,
			     "'%s' is a pattern: a redirect goes to one interface, named in full",
			     v->str);
		else
			ef_strlcpy(r->redirect_ifname, v->str, sizeof(r->redirect_ifname));
	}

	v = ydoc_map_get(n, "log");
	if (v && rs_expect_kind(p, v, YDOC_SCALAR, "log")) {
		if (!strcmp(v->str, "true"))
			r->log = true;
		else if (!strcmp(v->str, "false"))
			r->log = false;
		else
			perr(p, v,
			     "log must be true or false, not '%s' (YAML 1.1 words like yes, no, on, off are not booleans here)",
			     v->str);
	}
}

static void parse_rule(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	static const char *const keys[] = {
		"name",  "hooks",    "direction", "interfaces", "src",       "dst",
		"proto", "sport",    "dport",     "icmp-type",  "icmp-code", "tcp-flags",
		"vlan",  "fragment", "state",     "track",      "action",    "to",
		"log",   "limit",    "ban",       NULL,
	};
	const struct ydoc_node *v;

	r->line = n->line;
	r->col = n->col;
	r->hooks = EF_HOOKS_ALL;
	r->src.any = r->dst.any = true;
	r->proto_any = true;
	r->sport.any = r->dport.any = true;
	r->icmp_type = r->icmp_code = -1;
	r->vlan = EF_VLAN_ANY;
	r->frag = EF_FRAG_ANY;
	r->track = EF_TRACK_DEFAULT;
	r->action = EDGEFW_ACT_PASS;
	if (!rs_expect_kind(p, n, YDOC_MAP, "a rule"))
		return;
	rs_check_keys(p, n, "a rule", keys);

	parse_name(p, n, r);
	rs_parse_hooks(p, n, r);
	if ((v = ydoc_map_get(n, "interfaces")))
		rs_parse_interfaces(p, v, r);
	if ((v = ydoc_map_get(n, "src")))
		rs_parse_addr_field(p, v, RS_SRC, &r->src);
	if ((v = ydoc_map_get(n, "dst")))
		rs_parse_addr_field(p, v, RS_DST, &r->dst);
	if ((v = ydoc_map_get(n, "proto")))
		rs_parse_proto(p, v, r);
	if ((v = ydoc_map_get(n, "sport")))
		rs_parse_port_field(p, v, RS_SPORT, &r->sport);
	if ((v = ydoc_map_get(n, "dport")))
		rs_parse_port_field(p, v, RS_DPORT, &r->dport);
	rs_parse_icmp(p, n, r);
	if ((v = ydoc_map_get(n, "tcp-flags")))
		rs_parse_tcp_flags(p, v, r);
	if ((v = ydoc_map_get(n, "vlan")))
		rs_parse_vlan(p, v, r);
	if ((v = ydoc_map_get(n, "fragment")))
		rs_parse_fragment(p, v, r);
	if ((v = ydoc_map_get(n, "state")))
		rs_parse_state(p, v, r);
	if ((v = ydoc_map_get(n, "track")))
		rs_parse_track(p, v, r);
	parse_action(p, n, r);
	if ((v = ydoc_map_get(n, "limit")))
		rs_parse_limit(p, v, r);
	if ((v = ydoc_map_get(n, "ban")))
		rs_parse_ban(p, v, r);
	rs_check_rule_fields(p, n, r);
	rs_check_state_fields(p, n, r);
}

static int cmp_rule_name(const void *a, const void *b, void *arg)
{
	const struct ef_rule *name_sort_rules = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(name_sort_rules[i].name, name_sort_rules[j].name);

	return c ? c : (i > j) - (i < j);
}

/* Names identify counters: sorted once, so 16k rules cost no more than a
 * few. */
static void check_duplicate_names(struct parser *p, const struct ydoc_node *n)
{
	const struct ef_rule *rules = p->rs->rules;
	size_t count = p->rs->n_rules, first = 0;
	size_t *idx = malloc((count ? count : 1) * sizeof(*idx));

	if (!idx) {
		perr(p, n, "out of memory checking rule names");
		return;
	}
	for (size_t i = 0; i < count; i++)
		idx[i] = i;
	qsort_r(idx, count, sizeof(*idx), cmp_rule_name, (void *)rules);
	for (size_t k = 1; k < count; k++) {
		const struct ef_rule *r = &rules[idx[k]];

		if (strcmp(rules[idx[first]].name, r->name)) {
			first = k;
			continue;
		}
		if (r->name[0])
			perr(p, n->items[idx[k]],
			     "duplicate rule name '%s' (first at %u:%u): names identify counters and must be unique",
			     r->name, rules[idx[first]].line, rules[idx[first]].col);
	}
	free(idx);
}

static void parse_rules(struct parser *p, const struct ydoc_node *n)
{
	struct ef_ruleset *rs = p->rs;

	if (!rs_expect_kind(p, n, YDOC_SEQ, "rules"))
		return;
	if (n->n_items > EDGEFW_MAX_RULES) {
		perr(p, n, "%zu rules exceed the limit of %d", n->n_items, EDGEFW_MAX_RULES);
		return;
	}
	rs->rules = calloc(n->n_items ? n->n_items : 1, sizeof(*rs->rules));
	if (!rs->rules) {
		perr(p, n, "out of memory for %zu rules", n->n_items);
		return;
	}
	rs->n_rules = n->n_items;
	for (size_t i = 0; i < n->n_items; i++)
		parse_rule(p, n->items[i], &rs->rules[i]);
	check_duplicate_names(p, n);
	rs_check_ruleset_state(p, n);
}

void rs_parse_document(struct parser *p, const struct ydoc_node *root)
{
	static const char *const keys[] = { "version",    "defaults", "sets", "rules",
					    "interfaces", "daemon",   NULL };
	const struct ydoc_node *v;
	size_t errors = p->d->errors;

	p->rs->daemon.log_rate = EF_LOG_RATE_DEFAULT;
	if (!root) {
		ef_err(p->d, p->file, 0, 0, "the file is empty: write at least 'version: 1'");
		return;
	}
	if (!rs_expect_kind(p, root, YDOC_MAP, "the document"))
		return;
	rs_check_keys(p, root, "the document", keys);

	/* A host's file with an etcd source may leave the version out: its
	 * rules, versioned, come from etcd. */
	if ((v = ydoc_map_get(root, "version")))
		parse_version(p, v);
	if ((v = ydoc_map_get(root, "defaults")))
		parse_defaults(p, v);
	if ((v = ydoc_map_get(root, "sets")))
		rs_parse_sets(p, v);
	if ((v = ydoc_map_get(root, "rules")))
		parse_rules(p, v);
	if ((v = ydoc_map_get(root, "interfaces")))
		rs_parse_attach(p, v);
	if ((v = ydoc_map_get(root, "daemon")))
		rs_parse_daemon(p, v);
	if (!ydoc_map_get(root, "version") && !p->rs->daemon.fleet.on)
		perr(p, root, "missing 'version: %d' at the top", RULESET_VERSION);
	rs_check_fleet_file(p, root);
	rs_finish_sets(p);
	if (p->d->errors == errors)
		rs_assign_conds(p);
	/* Reachability reasons about whole rules: only meaningful, and only
	 * safe, when every rule parsed. */
	if (p->d->errors == errors && !(p->flags & EF_PARSE_NO_REACHABILITY))
		rs_check_reachability(p->rs, p->file, p->d);
}
