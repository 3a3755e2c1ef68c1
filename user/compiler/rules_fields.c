// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The match fields that are words or small numbers: hooks, interfaces,
 * proto, ICMP type and code, TCP flags, VLAN, fragment state; and the
 * checks between fields (ports need a port protocol, ...).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"
#include "rules_names.h"
#include "strutil.h"

static const uint8_t hook_bits[EDGEFW_HOOK_COUNT] = {
	[EDGEFW_HOOK_XDP] = 1u << EDGEFW_HOOK_XDP,
	[EDGEFW_HOOK_TC_INGRESS] = 1u << EDGEFW_HOOK_TC_INGRESS,
	[EDGEFW_HOOK_TC_EGRESS] = 1u << EDGEFW_HOOK_TC_EGRESS,
};

void rs_parse_hook_list(struct parser *p, const struct ydoc_node *n, uint8_t *hooks)
{
	const char *const *names = rs_hook_names;
	size_t count;
	uint8_t mask = 0;

	if (!rs_scalar_list(p, n, "hooks", &count))
		return;
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(n, i);
		const char *hint;
		int h = -1;

		if (it->kind != YDOC_SCALAR)
			continue;
		for (int j = 0; j < EDGEFW_HOOK_COUNT; j++)
			if (!strcmp(it->str, names[j]))
				h = j;
		if (h < 0) {
			hint = ef_suggest(it->str, names);
			perr(p, it, "hooks: '%s' is not a hook (xdp, tc-ingress, tc-egress)%s%s%s",
			     it->str, hint ? "; did you mean '" : "", hint ? hint : "",
			     hint ? "'?" : "");
			continue;
		}
		if (mask & hook_bits[h])
			pwarn(p, it, "hooks: duplicate entry %s", it->str);
		mask |= hook_bits[h];
	}
	if (mask)
		*hooks = mask;
}

void rs_parse_hooks(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r)
{
	static const char *const dirs[] = { "ingress", "egress" };
	const struct ydoc_node *hooks = ydoc_map_get(rule, "hooks");
	const struct ydoc_node *dir = ydoc_map_get(rule, "direction");
	int d;

	r->hooks = EF_HOOKS_ALL;
	if (hooks && dir) {
		perr(p, rs_map_key(rule, "direction"),
		     "'hooks' and 'direction' together: use one (direction: ingress is hooks: [xdp, tc-ingress], egress is hooks: tc-egress)");
		return;
	}
	if (hooks)
		rs_parse_hook_list(p, hooks, &r->hooks);
	if (!dir)
		return;
	d = rs_parse_word(p, dir, "direction", dirs, 2);
	if (d == 0)
		r->hooks = hook_bits[EDGEFW_HOOK_XDP] | hook_bits[EDGEFW_HOOK_TC_INGRESS];
	else if (d == 1)
		r->hooks = hook_bits[EDGEFW_HOOK_TC_EGRESS];
}

/* Interface names as the kernel allows them (dev_valid_name), where the
 * fnmatch characters *?[] make a pattern. */
bool rs_valid_iface_pattern(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= EF_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) ||
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

void rs_parse_interfaces(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	size_t count;

	if (!rs_scalar_list(p, n, "interfaces", &count))
		return;
	r->ifaces = calloc(count, sizeof(*r->ifaces));
	if (!r->ifaces) {
		perr(p, n, "out of memory");
		return;
	}
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(n, i);
		bool dup = false;

		if (it->kind != YDOC_SCALAR)
			continue;
		if (!rs_valid_iface_pattern(it->str)) {
			perr(p, it,
			     "interfaces: '%s' is not a valid interface name or pattern (1-%d characters, no '/', ':' or spaces; * ? [ ] match like shell globs)",
			     it->str, EF_IFNAME_MAX - 1);
			continue;
		}
		for (size_t j = 0; j < r->n_ifaces; j++)
			dup |= !strcmp(r->ifaces[j], it->str);
		if (dup) {
			pwarn(p, it, "interfaces: duplicate entry %s", it->str);
			continue;
		}
		ef_strlcpy(r->ifaces[r->n_ifaces++], it->str, EF_IFNAME_MAX);
	}
}

static int parse_proto_word(struct parser *p, const struct ydoc_node *it)
{
	const char *hint;
	unsigned v;
	int num = ef_name_lookup(ef_proto_names, it->str);

	if (num >= 0)
		return num;
	if (rs_parse_uint(it->str, 255, &v))
		return (int)v;
	hint = ef_name_suggest(ef_proto_names, it->str);
	if (!strcmp(it->str, "any"))
		perr(p, it,
		     "proto: 'any' cannot be combined with other protocols: write 'proto: any' or leave proto out");
	else if (hint)
		perr(p, it,
		     "proto: '%s' is not a protocol name or a number from 0 to 255; did you mean '%s'?",
		     it->str, hint);
	else
		perr(p, it,
		     "proto: '%s' is not a protocol name or a number from 0 to 255 (names: tcp, udp, sctp, icmp, icmpv6, gre, esp, ah, ...)",
		     it->str);
	return -1;
}

void rs_parse_proto(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	size_t count;

	if (n->kind == YDOC_SCALAR && !strcmp(n->str, "any"))
		return;
	if (!rs_scalar_list(p, n, "proto", &count))
		return;
	r->proto_any = false;
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(n, i);
		int num;

		if (it->kind != YDOC_SCALAR)
			continue;
		num = parse_proto_word(p, it);
		if (num < 0)
			continue;
		if (ef_rule_has_proto(r, (uint8_t)num))
			pwarn(p, it, "proto: duplicate entry %s (protocol %d)", it->str, num);
		r->protos[num / 8] |= (uint8_t)(1u << (num % 8));
	}
}

/* Whether the rule's protocols are written and all among allowed. */
static bool protos_within(const struct ef_rule *r, const uint8_t *allowed, size_t n_allowed,
			  int *other)
{
	*other = -1;
	if (r->proto_any)
		return false;
	for (int pr = 0; pr < 256; pr++) {
		bool ok = false;

		if (!ef_rule_has_proto(r, (uint8_t)pr))
			continue;
		for (size_t i = 0; i < n_allowed; i++)
			ok |= allowed[i] == pr;
		if (!ok) {
			*other = pr;
			return false;
		}
	}
	return true;
}

static void proto_text(int num, char *buf, size_t len)
{
	const char *name = ef_name_of(ef_proto_names, (unsigned)num);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%d", num);
}

/* An ICMP type or code: a number, or a name that means one number for
 * every ICMP protocol of the rule. type < 0 parses a type. */
static int parse_icmp_value(struct parser *p, const struct ydoc_node *n, const struct ef_rule *r,
			    int type)
{
	static const uint8_t icmps[2] = { EF_PROTO_ICMP, EF_PROTO_ICMPV6 };
	const char *what = type < 0 ? "icmp-type" : "icmp-code";
	int found[2] = { -1, -1 }, val = -1;
	const char *hint = NULL;
	unsigned v;

	if (!rs_expect_kind(p, n, YDOC_SCALAR, what))
		return -1;
	if (rs_parse_uint(n->str, 255, &v))
		return (int)v;
	for (int i = 0; i < 2; i++) {
		if (!ef_rule_has_proto(r, icmps[i]))
			continue;
		found[i] = type < 0 ? ef_name_lookup(ef_icmp_type_names(icmps[i]), n->str)
				    : ef_icmp_code_lookup(icmps[i], (uint8_t)type, n->str);
		if (found[i] < 0) {
			if (type < 0 && !hint)
				hint = ef_name_suggest(ef_icmp_type_names(icmps[i]), n->str);
			continue;
		}
		if (val >= 0 && val != found[i]) {
			perr(p, n,
			     "%s '%s' is %d for icmp but %d for icmpv6: write one rule per protocol",
			     what, n->str, val, found[i]);
			return -1;
		}
		val = found[i];
	}
	if (val >= 0 && ef_rule_has_proto(r, EF_PROTO_ICMP) &&
	    ef_rule_has_proto(r, EF_PROTO_ICMPV6) && (found[0] < 0 || found[1] < 0)) {
		perr(p, n, "%s '%s' is only an %s name: write one rule per protocol", what, n->str,
		     found[0] < 0 ? "icmpv6" : "icmp");
		return -1;
	}
	if (val >= 0)
		return val;
	if (hint)
		perr(p, n,
		     "%s '%s' is not a number from 0 to 255 or a known name; did you mean '%s'?",
		     what, n->str, hint);
	else
		perr(p, n, "%s '%s' is not a number from 0 to 255 or a known name%s", what, n->str,
		     type < 0 ? "" : " for this type (see rules/README.md)");
	return -1;
}

void rs_parse_icmp(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r)
{
	static const uint8_t icmps[2] = { EF_PROTO_ICMP, EF_PROTO_ICMPV6 };
	const struct ydoc_node *t = ydoc_map_get(rule, "icmp-type");
	const struct ydoc_node *c = ydoc_map_get(rule, "icmp-code");
	char other[16];
	int bad, v;

	r->icmp_type = r->icmp_code = -1;
	if (!t && !c)
		return;
	if (!t) {
		perr(p, rs_map_key(rule, "icmp-code"),
		     "icmp-code needs icmp-type: a code means something only under a type");
		return;
	}
	if (!protos_within(r, icmps, 2, &bad)) {
		if (bad < 0) {
			perr(p, rs_map_key(rule, "icmp-type"),
			     "icmp-type needs 'proto: icmp' or 'proto: icmpv6' (or both)");
		} else {
			proto_text(bad, other, sizeof(other));
			perr(p, rs_map_key(rule, "icmp-type"),
			     "icmp-type needs proto limited to icmp and icmpv6, but proto also lists %s",
			     other);
		}
		return;
	}
	v = parse_icmp_value(p, t, r, -1);
	if (v < 0)
		return;
	r->icmp_type = (int16_t)v;
	if (ef_rule_has_proto(r, EF_PROTO_ICMPV6) && v >= EF_ICMPV6_ND_FIRST &&
	    v <= EF_ICMPV6_ND_LAST)
		pwarn(p, t,
		      "ICMPv6 type %d is neighbour discovery, which defaults.non-ip decides before the rules: this rule never sees it over IPv6",
		      v);
	if (!c)
		return;
	v = parse_icmp_value(p, c, r, r->icmp_type);
	if (v >= 0)
		r->icmp_code = (int16_t)v;
}

void rs_parse_tcp_flags(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	size_t count;

	if (!rs_scalar_list(p, n, "tcp-flags", &count))
		return;
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(n, i);
		bool neg;
		const char *name, *hint;
		int bit;
		char lower[16];

		if (it->kind != YDOC_SCALAR)
			continue;
		if (!it->len) {
			perr(p, it,
			     "tcp-flags: empty flag name; to require a flag to be clear, quote it: \"!ack\" (YAML reads a bare !ack as a tag)");
			continue;
		}
		neg = it->str[0] == '!';
		name = it->str + neg;
		bit = ef_name_lookup(ef_tcp_flag_names, name);
		if (bit < 0) {
			size_t k;

			for (k = 0; name[k] && k + 1 < sizeof(lower); k++)
				lower[k] = (char)tolower((unsigned char)name[k]);
			lower[k] = '\0';
			hint = ef_name_lookup(ef_tcp_flag_names, lower) >= 0
				       ? lower
				       : ef_name_suggest(ef_tcp_flag_names, name);
			perr(p, it,
			     "tcp-flags: '%s' is not a TCP flag (fin, syn, rst, psh, ack, urg, ece, cwr; '!' before one means clear)%s%s%s",
			     it->str, hint ? "; did you mean '" : "", hint ? hint : "",
			     hint ? "'?" : "");
			continue;
		}
		if (r->tcp_flags_mask & bit) {
			if (!!(r->tcp_flags_value & bit) == !neg)
				pwarn(p, it, "tcp-flags: duplicate entry %s", it->str);
			else
				perr(p, it, "tcp-flags: %s is both required and excluded", name);
			continue;
		}
		r->tcp_flags_mask |= (uint8_t)bit;
		if (!neg)
			r->tcp_flags_value |= (uint8_t)bit;
	}
}

void rs_parse_vlan(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	unsigned v;

	if (n->kind == YDOC_SEQ) {
		perr(p, n, "vlan takes one id or 'none', not a list: write one rule per VLAN");
		return;
	}
	if (!rs_expect_kind(p, n, YDOC_SCALAR, "vlan"))
		return;
	if (!strcmp(n->str, "none"))
		r->vlan = EF_VLAN_UNTAGGED;
	else if (rs_parse_uint(n->str, 4095, &v))
		r->vlan = (int32_t)v;
	else
		perr(p, n, "vlan '%s' is not an id from 0 to 4095 or 'none' (untagged frames)",
		     n->str);
}

void rs_parse_fragment(struct parser *p, const struct ydoc_node *n, struct ef_rule *r)
{
	static const char *const words[] = { "no", "first", "later", "yes" };
	int w = rs_parse_word(p, n, "fragment", words, 4);

	if (w >= 0)
		r->frag = (uint8_t)(EF_FRAG_NO + w);
}

/* Ports, ICMP and flags exist only in packets of their protocols, and
 * never in a non-first fragment. */
static void check_l4(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r)
{
	static const uint8_t port_protos[3] = { EF_PROTO_TCP, EF_PROTO_UDP, EF_PROTO_SCTP };
	static const uint8_t tcp[1] = { EF_PROTO_TCP };
	static const char *const port_keys[2] = { "sport", "dport" };
	const struct ydoc_node *k;
	char other[16];
	int bad;

	for (int i = 0; i < 2; i++) {
		k = rs_map_key(rule, port_keys[i]);
		if (!k || protos_within(r, port_protos, 3, &bad))
			continue;
		if (bad < 0) {
			perr(p, k,
			     "%s needs 'proto: tcp', 'udp' or 'sctp' (or a list of them): only those carry ports",
			     port_keys[i]);
		} else {
			proto_text(bad, other, sizeof(other));
			perr(p, k,
			     "%s needs proto limited to tcp, udp and sctp, but proto also lists %s",
			     port_keys[i], other);
		}
	}
	k = rs_map_key(rule, "tcp-flags");
	if (k && !protos_within(r, tcp, 1, &bad))
		perr(p, k, "tcp-flags needs 'proto: tcp'");

	k = rs_map_key(rule, "fragment");
	if (k && r->frag == EF_FRAG_LATER &&
	    (!r->sport.any || !r->dport.any || r->icmp_type >= 0 || r->tcp_flags_mask))
		perr(p, k,
		     "'fragment: later' with sport, dport, icmp-type or tcp-flags can never match: a non-first fragment carries no L4 header");
}

void rs_check_rule_fields(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r)
{
	static const uint8_t ext_headers[] = { 0, 43, 44, 51, 60 };
	const struct ydoc_node *k;

	check_l4(p, rule, r);

	k = rs_map_key(rule, "fragment");
	if (k && r->frag == EF_FRAG_LATER && p->rs->frag_policy != EF_FRAGPOL_RULES) {
		char label[RS_LABEL_MAX];

		rs_rule_label(r, label, sizeof(label));
		pwarn(p, k,
		      "%s can never match: defaults.fragments is '%s', so non-first fragments never reach the rules",
		      label, p->rs->frag_policy == EF_FRAGPOL_PASS ? "pass" : "drop");
	}

	/* The IPv6 parser walks these headers and matches what follows. */
	k = rs_map_key(rule, "proto");
	for (size_t i = 0; k && !r->proto_any && i < sizeof(ext_headers); i++) {
		char name[16];

		if (!ef_rule_has_proto(r, ext_headers[i]) || !ef_rule_has_family(r, EF_AF_INET6))
			continue;
		proto_text(ext_headers[i], name, sizeof(name));
		pwarn(p, ydoc_map_get(rule, "proto"),
		      "proto %s is an IPv6 extension header: for IPv6 edgefw matches the protocol after the extension headers, so %s matches only IPv4 packets",
		      name, name);
	}
}
