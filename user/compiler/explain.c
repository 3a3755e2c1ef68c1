// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Explanations. Whether a field matches always comes from the reference
 * matcher (ef_rule_field_matches); this file only finds the words: which
 * written element contains the value, or what the packet lacks.
 */
#include "explain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_names.h"

/* Written elements named in a sentence before "...". */
#define LIST_MAX 4

struct sbuf {
	char *p;
	size_t len, used;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->used >= b->len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	b->used += (size_t)w;
	if (b->used >= b->len && b->len > 4)
		memcpy(b->p + b->len - 4, "...", 4);
}

void ef_packet_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len)
{
	if (!inet_ntop(family == EF_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void proto_add(struct sbuf *b, unsigned proto)
{
	const char *name = ef_name_of(ef_proto_names, proto);

	if (name)
		sb_add(b, "%s", name);
	else
		sb_add(b, "%u", proto);
}

static void vlan_add(struct sbuf *b, int32_t vlan)
{
	if (vlan == EF_VLAN_UNTAGGED)
		sb_add(b, "untagged");
	else
		sb_add(b, "vlan %d", (int)vlan);
}

static const char *frag_text(uint8_t frag)
{
	return frag == EDGEFW_FRAG_FIRST   ? "a first fragment"
	       : frag == EDGEFW_FRAG_LATER ? "a non-first fragment"
					   : "not a fragment";
}

static void flags_add(struct sbuf *b, uint8_t flags)
{
	size_t used = b->used;

	for (size_t i = 0; ef_tcp_flag_names[i].name; i++)
		if (flags & ef_tcp_flag_names[i].num)
			sb_add(b, "%s%s", b->used > used ? "," : "", ef_tcp_flag_names[i].name);
	if (b->used == used)
		sb_add(b, "none");
}

void ef_packet_format(const struct ef_packet *pkt, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	bool later = pkt->frag == EDGEFW_FRAG_LATER;

	if (len)
		buf[0] = '\0';
	ef_packet_addr_format(pkt->family, pkt->saddr, s, sizeof(s));
	ef_packet_addr_format(pkt->family, pkt->daddr, d, sizeof(d));
	sb_add(&b, "%s -> %s, proto ", s, d);
	proto_add(&b, pkt->l4proto);
	if (pkt->has_ports && !later)
		sb_add(&b, ", sport %u, dport %u", pkt->sport, pkt->dport);
	if (pkt->has_icmp && !later)
		sb_add(&b, ", icmp-type %u, icmp-code %u", pkt->icmp_type, pkt->icmp_code);
	if (pkt->has_tcp_flags && !later) {
		sb_add(&b, ", tcp-flags ");
		flags_add(&b, pkt->tcp_flags);
	}
	sb_add(&b, ", hook %s", ef_hook_name(pkt->hook));
	if (pkt->ifname)
		sb_add(&b, ", interface %s", pkt->ifname);
	sb_add(&b, ", ");
	vlan_add(&b, pkt->vlan);
	sb_add(&b, ", %s", frag_text(pkt->frag));
}

bool ef_rule_field_written(const struct ef_rule *r, enum ef_rule_field f)
{
	switch (f) {
	case EF_RF_HOOK:
		return r->hooks != EF_HOOKS_ALL;
	case EF_RF_IFACE:
		return r->n_ifaces;
	case EF_RF_SRC:
		return !r->src.any;
	case EF_RF_DST:
		return !r->dst.any;
	case EF_RF_PROTO:
		return !r->proto_any;
	case EF_RF_SPORT:
		return !r->sport.any;
	case EF_RF_DPORT:
		return !r->dport.any;
	case EF_RF_ICMP_TYPE:
		return r->icmp_type >= 0;
	case EF_RF_ICMP_CODE:
		return r->icmp_code >= 0;
	case EF_RF_TCP_FLAGS:
		return r->tcp_flags_mask;
	case EF_RF_VLAN:
		return r->vlan != EF_VLAN_ANY;
	case EF_RF_FRAG:
		return r->frag != EF_FRAG_ANY;
	case EF_RF_STATE:
		return r->states;
	default:
		return false;
	}
}

/* ---- address and port fields ------------------------------------------ */

/* The written element that brought entry i: " (set $x)" or "". */
static void origin_add(struct sbuf *b, const struct ef_ruleset *rs,
		       const struct ef_field_part *parts, size_t n_parts, size_t i)
{
	for (size_t k = 0; k < n_parts; k++) {
		const struct ef_field_part *pt = &parts[k];

		if (i < pt->first || i >= pt->first + pt->n)
			continue;
		if (pt->set >= 0 && (size_t)pt->set < rs->n_sets)
			sb_add(b, " (set $%s)", rs->sets[pt->set].name);
		return;
	}
}

typedef void (*entry_fn)(struct sbuf *b, const void *v, size_t i);

static void prefix_entry(struct sbuf *b, const void *v, size_t i)
{
	char t[EF_PREFIX_STRLEN];

	ef_prefix_format(&((const struct ef_prefix *)v)[i], t, sizeof(t));
	sb_add(b, "%s", t);
}

static void port_entry(struct sbuf *b, const void *v, size_t i)
{
	const struct ef_port_range *r = &((const struct ef_port_range *)v)[i];

	if (r->lo == r->hi)
		sb_add(b, "%u", r->lo);
	else
		sb_add(b, "%u-%u", r->lo, r->hi);
}

/* "[$lan, 192.0.2.0/24]" as written, or the entries when parts are
 * unknown. */
static void elements_add(struct sbuf *b, const struct ef_ruleset *rs,
			 const struct ef_field_part *parts, size_t n_parts, const void *v, size_t n,
			 entry_fn entry)
{
	size_t count = n_parts ? n_parts : n;

	sb_add(b, "[");
	for (size_t k = 0; k < count && k < LIST_MAX; k++) {
		sb_add(b, "%s", k ? ", " : "");
		if (!n_parts)
			entry(b, v, k);
		else if (parts[k].set >= 0 && (size_t)parts[k].set < rs->n_sets)
			sb_add(b, "$%s", rs->sets[parts[k].set].name);
		else
			entry(b, v, parts[k].first);
	}
	if (count > LIST_MAX)
		sb_add(b, ", ... %zu more", count - LIST_MAX);
	sb_add(b, "]");
}

/* What an address or port field says about a value: hit is the index of
 * the first entry containing it, or n. */
struct list_view {
	const struct ef_ruleset *rs;
	bool negate;
	const void *v;
	size_t n;
	const struct ef_field_part *parts;
	size_t n_parts;
	entry_fn entry;
};

static void list_explain(struct sbuf *b, const struct list_view *l, const char *value, size_t hit)
{
	if (hit < l->n) {
		l->entry(b, l->v, hit);
		origin_add(b, l->rs, l->parts, l->n_parts, hit);
		if (l->negate)
			sb_add(b, " contains %s, which 'not' excludes", value);
		else
			sb_add(b, " contains %s", value);
		return;
	}
	sb_add(b, "%s is %s ", value, l->negate ? "in none of" : "not in");
	elements_add(b, l->rs, l->parts, l->n_parts, l->v, l->n, l->entry);
	if (l->negate)
		sb_add(b, " (not)");
}

static void addr_explain(struct sbuf *b, const struct ef_ruleset *rs, const struct ef_addr_field *f,
			 uint8_t family, const uint8_t addr[16])
{
	struct list_view l = { rs, f->negate, f->v, f->n, f->parts, f->n_parts, prefix_entry };
	char value[INET6_ADDRSTRLEN];
	bool covered = false;
	size_t hit = f->n;

	ef_packet_addr_format(family, addr, value, sizeof(value));
	for (size_t i = 0; i < f->n; i++) {
		covered |= f->v[i].family == family;
		if (hit == f->n && ef_prefix_match(&f->v[i], family, addr))
			hit = i;
	}
	if (!f->n) {
		sb_add(b, "the field is empty (its sets have no entries): it matches nothing");
		return;
	}
	if (f->negate && !covered) {
		sb_add(b, "not ");
		elements_add(b, rs, f->parts, f->n_parts, f->v, f->n, prefix_entry);
		sb_add(b, " lists no %s prefix, so it matches no %s address",
		       family == EF_AF_INET6 ? "IPv6" : "IPv4",
		       family == EF_AF_INET6 ? "IPv6" : "IPv4");
		return;
	}
	list_explain(b, &l, value, hit);
}

static void no_l4_add(struct sbuf *b, const struct ef_packet *pkt, const char *what)
{
	sb_add(b, "the packet has no %s (", what);
	if (pkt->frag == EDGEFW_FRAG_LATER) {
		sb_add(b, "a non-first fragment");
	} else {
		sb_add(b, "proto ");
		proto_add(b, pkt->l4proto);
	}
	sb_add(b, ")");
}

static void port_explain(struct sbuf *b, const struct ef_ruleset *rs, const struct ef_port_field *f,
			 const struct ef_packet *pkt, uint16_t port)
{
	struct list_view l = { rs, f->negate, f->v, f->n, f->parts, f->n_parts, port_entry };
	char value[8];
	size_t hit = f->n;

	if (!pkt->has_ports || pkt->frag == EDGEFW_FRAG_LATER) {
		no_l4_add(b, pkt, "ports");
		return;
	}
	if (!f->n) {
		sb_add(b, "the field is empty (its sets have no entries): it matches nothing");
		return;
	}
	snprintf(value, sizeof(value), "%u", port);
	for (size_t i = 0; i < f->n && hit == f->n; i++)
		if (f->v[i].lo <= port && port <= f->v[i].hi)
			hit = i;
	list_explain(b, &l, value, hit);
}

/* ---- the other fields -------------------------------------------------- */

static void icmp_value_add(struct sbuf *b, uint8_t l4proto, int type, int code)
{
	const struct ef_name_num *t = ef_icmp_type_names(l4proto);
	const char *name;

	if (code < 0) {
		name = t ? ef_name_of(t, (unsigned)type) : NULL;
		sb_add(b, "%d%s%s%s", type, name ? " (" : "", name ? name : "", name ? ")" : "");
		return;
	}
	name = ef_icmp_code_name(l4proto, (uint8_t)type, (uint8_t)code);
	sb_add(b, "%d%s%s%s", code, name ? " (" : "", name ? name : "", name ? ")" : "");
}

static void icmp_explain(struct sbuf *b, const struct ef_rule *r, const struct ef_packet *pkt,
			 bool code, bool matched)
{
	int want = code ? r->icmp_code : r->icmp_type;
	int got = code ? pkt->icmp_code : pkt->icmp_type;

	if (!pkt->has_icmp || pkt->frag == EDGEFW_FRAG_LATER) {
		no_l4_add(b, pkt, "ICMP header");
		return;
	}
	sb_add(b, "%s ", code ? "code" : "type");
	icmp_value_add(b, pkt->l4proto, code ? pkt->icmp_type : got, code ? got : -1);
	sb_add(b, " is %s", matched ? "" : "not ");
	icmp_value_add(b, pkt->l4proto, code ? pkt->icmp_type : want, code ? want : -1);
}

static void hooks_add(struct sbuf *b, uint8_t hooks)
{
	size_t used = b->used;

	sb_add(b, "[");
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++)
		if (hooks & (1u << h))
			sb_add(b, "%s%s", b->used > used + 1 ? ", " : "", ef_hook_name(h));
	sb_add(b, "]");
}

static void ifaces_explain(struct sbuf *b, const struct ef_rule *r, const struct ef_packet *pkt)
{
	if (!pkt->ifname) {
		sb_add(b, "no interface given, and the rule applies only on [");
	} else {
		for (size_t i = 0; i < r->n_ifaces; i++) {
			if (!fnmatch(r->ifaces[i], pkt->ifname, 0)) {
				sb_add(b, "%s matches %s", pkt->ifname, r->ifaces[i]);
				return;
			}
		}
		sb_add(b, "%s matches none of [", pkt->ifname);
	}
	for (size_t i = 0; i < r->n_ifaces; i++)
		sb_add(b, "%s%s", i ? ", " : "", r->ifaces[i]);
	sb_add(b, "]");
}

static void protos_add(struct sbuf *b, const struct ef_rule *r)
{
	bool first = true;

	sb_add(b, "[");
	for (unsigned pr = 0; pr < 256; pr++) {
		if (!ef_rule_has_proto(r, (uint8_t)pr))
			continue;
		sb_add(b, "%s", first ? "" : ", ");
		proto_add(b, pr);
		first = false;
	}
	sb_add(b, "]");
}

static const char *frag_word(uint8_t frag)
{
	static const char *const words[] = {
		[EF_FRAG_ANY] = "any",     [EF_FRAG_NO] = "no",   [EF_FRAG_FIRST] = "first",
		[EF_FRAG_LATER] = "later", [EF_FRAG_YES] = "yes",
	};

	return frag <= EF_FRAG_YES ? words[frag] : "?";
}

void ef_explain_field(const struct ef_ruleset *rs, const struct ef_rule *r, enum ef_rule_field f,
		      const struct ef_packet *pkt, struct ef_explain_line *out)
{
	struct sbuf b = { out->text, sizeof(out->text), 0 };
	bool m = ef_rule_field_matches(r, f, pkt);
	char want[64];

	out->field = f;
	out->matched = m;
	out->text[0] = '\0';
	if (!ef_rule_field_written(r, f)) {
		sb_add(&b, "any");
		return;
	}
	switch (f) {
	case EF_RF_HOOK:
		sb_add(&b, "%s is %sin ", ef_hook_name(pkt->hook), m ? "" : "not ");
		hooks_add(&b, r->hooks);
		break;
	case EF_RF_IFACE:
		ifaces_explain(&b, r, pkt);
		break;
	case EF_RF_SRC:
		addr_explain(&b, rs, &r->src, pkt->family, pkt->saddr);
		break;
	case EF_RF_DST:
		addr_explain(&b, rs, &r->dst, pkt->family, pkt->daddr);
		break;
	case EF_RF_PROTO:
		proto_add(&b, pkt->l4proto);
		sb_add(&b, " is %sin ", m ? "" : "not ");
		protos_add(&b, r);
		break;
	case EF_RF_SPORT:
		port_explain(&b, rs, &r->sport, pkt, pkt->sport);
		break;
	case EF_RF_DPORT:
		port_explain(&b, rs, &r->dport, pkt, pkt->dport);
		break;
	case EF_RF_ICMP_TYPE:
	case EF_RF_ICMP_CODE:
		icmp_explain(&b, r, pkt, f == EF_RF_ICMP_CODE, m);
		break;
	case EF_RF_TCP_FLAGS:
		if (!pkt->has_tcp_flags || pkt->frag == EDGEFW_FRAG_LATER) {
			no_l4_add(&b, pkt, "TCP header");
			break;
		}
		ef_tcp_flags_format(r->tcp_flags_mask, r->tcp_flags_value, want, sizeof(want));
		sb_add(&b, "flags ");
		flags_add(&b, pkt->tcp_flags);
		sb_add(&b, " %s %s", m ? "satisfy" : "do not satisfy", want);
		break;
	case EF_RF_VLAN:
		vlan_add(&b, pkt->vlan);
		sb_add(&b, " %s ", m ? "is" : "is not");
		if (r->vlan == EF_VLAN_UNTAGGED)
			sb_add(&b, "untagged ('vlan: none')");
		else
			sb_add(&b, "vlan %d", (int)r->vlan);
		break;
	case EF_RF_FRAG:
		sb_add(&b, "%s %s 'fragment: %s'", frag_text(pkt->frag),
		       m ? "matches" : "does not match", frag_word(r->frag));
		break;
	case EF_RF_STATE:
		sb_add(&b, "state %s is %sin [", ef_ct_state_name(pkt->ct_state), m ? "" : "not ");
		for (unsigned s = 0, n = 0; s < EDGEFW_CT_STATES; s++)
			if ((r->states >> s) & 1)
				sb_add(&b, "%s%s", n++ ? ", " : "", ef_ct_state_name(s));
		sb_add(&b, "]");
		break;
	default:
		break;
	}
}
