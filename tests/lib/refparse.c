// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The reference packet parser (see refparse.h). Each layer is one function
 * that takes the offset of its header and the end of the bytes it may use
 * (the frame's length, or the end of the PPPoE payload or IP datagram that
 * holds it) and either hands the next layer its offset and end or names the
 * outcome. The rule in every one: a header that does not fit entirely
 * before that end is malformed at its layer.
 *
 * Where rules/README.md leaves a detail open, the choice is written where
 * it is made, with the reason.
 */
#include "refparse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "edgefw.h"

/* What the walk through tags, PPPoE and MPLS reads at most. */
#define REF_MAX_TAGS 4
#define REF_MAX_LABELS 4
/* IPv6 extension headers walked; one more is ipv6-ext-overflow. */
#define REF_MAX_EXT 8

/* The bytes one layer may read: [off, end) of the frame. */
struct span {
	const uint8_t *b;
	size_t off;
	size_t end;
};

static bool has(const struct span *s, size_t n)
{
	return s->off <= s->end && n <= s->end - s->off;
}

static unsigned be16_at(const struct span *s, size_t at)
{
	return (unsigned)s->b[s->off + at] << 8 | s->b[s->off + at + 1];
}

/* What layer 2 leaves for layer 3. */
enum l3_kind {
	L3_IPV4,
	L3_IPV6
};

static bool is_tag(unsigned ethertype)
{
	/* 802.1Q, 802.1ad and the legacy QinQ TPIDs. */
	return ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100 ||
	       ethertype == 0x9200 || ethertype == 0x9300;
}

/* MPLS: up to four labels. The first nibble beneath the bottom of the stack
 * names the payload (4 IPv4, 6 IPv6, anything else encap-overflow). A stack
 * whose bottom is not among the first four labels is encap-overflow
 * whether or not more labels follow in the frame. No byte at all beneath
 * the bottom: a truncated MPLS packet, malformed at layer 2. */
static enum ref_outcome mpls(struct span *s, struct ref_parse *out, enum l3_kind *kind)
{
	for (unsigned i = 0;; i++) {
		bool bottom;

		if (i == REF_MAX_LABELS)
			return REF_ENCAP_OVERFLOW;
		if (!has(s, 4))
			return REF_MALFORMED_L2;
		bottom = s->b[s->off + 2] & 0x01;
		s->off += 4;
		out->n_labels++;
		if (bottom)
			break;
	}
	if (!has(s, 1))
		return REF_MALFORMED_L2;
	switch (s->b[s->off] >> 4) {
	case 4:
		*kind = L3_IPV4;
		return REF_IP;
	case 6:
		*kind = L3_IPV6;
		return REF_IP;
	default:
		return REF_ENCAP_OVERFLOW;
	}
}

/* A PPPoE session header (6 bytes: version/type, code, session, length)
 * and the PPP protocol field that opens its payload. The payload's end
 * becomes the end for everything inside; what follows it is padding.
 *
 * The protocol field is read as two bytes, both inside the payload, even
 * when compressed to one (its first byte odd: RFC 1661's protocol field
 * compression). This follows the datapath: a payload that short carries no
 * IP header either, and rules/README.md calls it malformed ("a length past
 * the frame") without saying at which layer. */
static enum ref_outcome pppoe(struct span *s, struct ref_parse *out, unsigned *next)
{
	size_t payload_len;
	unsigned proto;

	out->pppoe = true;
	if (!has(s, 8))
		return REF_MALFORMED_L2;
	if (s->b[s->off] != 0x11) /* version 1, type 1 */
		return REF_MALFORMED_L2;
	payload_len = be16_at(s, 4);
	s->off += 6;
	if (payload_len < 2 || !has(s, payload_len))
		return REF_MALFORMED_L2;
	s->end = s->off + payload_len;
	if (s->b[s->off] & 1) {
		proto = s->b[s->off];
		s->off += 1;
	} else {
		proto = be16_at(s, 0);
		s->off += 2;
	}
	switch (proto) {
	case 0x0021:
		*next = 0x0800;
		return REF_IP;
	case 0x0057:
		*next = 0x86dd;
		return REF_IP;
	case 0x0281:
	case 0x0283:
		*next = 0x8847;
		return REF_IP;
	}
	/* 0x8000 and up: PPP's control protocols (LCP, IPCP, CHAP, ...). */
	return proto >= 0x8000 ? REF_NON_IP : REF_ENCAP_OVERFLOW;
}

/* Ethernet, tags, PPPoE, MPLS: leaves s on the IP header, its end the end
 * of the PPPoE payload when there is one, else the frame's. */
static enum ref_outcome layer2(struct span *s, struct ref_parse *out, enum l3_kind *kind)
{
	enum ref_outcome o;
	unsigned type;

	if (!has(s, 14))
		return REF_MALFORMED_L2;
	type = be16_at(s, 12);
	s->off += 14;
	while (is_tag(type)) {
		/* A fifth tag is past the walk, however the frame goes on. */
		if (out->n_tags == REF_MAX_TAGS)
			return REF_ENCAP_OVERFLOW;
		if (!has(s, 4))
			return REF_MALFORMED_L2;
		out->pkt.vlan = (int32_t)(be16_at(s, 0) & 0x0fff);
		type = be16_at(s, 2);
		s->off += 4;
		out->n_tags++;
	}
	if (type == 0x8864) {
		o = pppoe(s, out, &type);
		if (o != REF_IP)
			return o;
	}
	switch (type) {
	case 0x8847:
	case 0x8848:
		return mpls(s, out, kind);
	case 0x0800:
		*kind = L3_IPV4;
		return REF_IP;
	case 0x86dd:
		*kind = L3_IPV6;
		return REF_IP;
	case 0x88e7: /* 802.1ah, MAC-in-MAC */
		return REF_ENCAP_OVERFLOW;
	default:
		return REF_NON_IP;
	}
}

/* IPv4: the header whole, version 4, ihl at least 5, and the datagram
 * (total length, at least the header) inside what carries it. A GSO skb
 * of BIG TCP carries total length 0: the datagram is then the rest of the
 * frame. s ends on the L4 header, its end the datagram's. */
static enum ref_outcome ipv4(struct span *s, const struct ref_frame *f, struct ef_packet *pkt)
{
	const uint8_t *h = s->b + s->off;
	size_t hlen, total;
	unsigned frag;

	if (!has(s, 20) || h[0] >> 4 != 4 || (h[0] & 15) < 5)
		return REF_MALFORMED_L3;
	hlen = (size_t)(h[0] & 15) * 4;
	total = be16_at(s, 2);
	if (total == 0 && f->gso && h[9] == 6)
		total = f->len - s->off;
	if (total < hlen || !has(s, total))
		return REF_MALFORMED_L3;
	pkt->family = EF_AF_INET;
	memcpy(pkt->saddr, h + 12, 4);
	memcpy(pkt->daddr, h + 16, 4);
	pkt->l4proto = h[9];
	frag = be16_at(s, 6);
	if (frag & 0x1fff)
		pkt->frag = EDGEFW_FRAG_LATER; /* an offset: the middle */
	else if (frag & 0x2000)
		pkt->frag = EDGEFW_FRAG_FIRST; /* more fragments, offset 0 */
	s->end = s->off + total;
	s->off += hlen;
	return REF_IP;
}

static bool is_ext(unsigned nh)
{
	/* hop-by-hop, routing, fragment, AH, destination options */
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/* The extension chain, inside the datagram. Fragment header: offset not 0
 * is a later fragment, whose protocol is the fragment header's next header
 * and which has no L4 header; offset 0 with M set is a first fragment. */
static enum ref_outcome ipv6_ext(struct span *s, struct ef_packet *pkt, unsigned nh)
{
	for (unsigned n = 0; is_ext(nh); n++) {
		size_t hlen;

		if (n == REF_MAX_EXT)
			return REF_EXT_OVERFLOW;
		if (nh == 44) {
			unsigned offset_m;

			if (!has(s, 8))
				return REF_MALFORMED_EXT;
			offset_m = be16_at(s, 2);
			nh = s->b[s->off];
			s->off += 8;
			if (offset_m >> 3) {
				pkt->frag = EDGEFW_FRAG_LATER;
				break;
			}
			if (offset_m & 1)
				pkt->frag = EDGEFW_FRAG_FIRST;
			continue;
		}
		if (!has(s, 2))
			return REF_MALFORMED_EXT;
		/* AH counts 4-byte units minus 2; the others 8-byte units
		 * minus 1. */
		hlen = nh == 51 ? ((size_t)s->b[s->off + 1] + 2) * 4
				: ((size_t)s->b[s->off + 1] + 1) * 8;
		if (!has(s, hlen))
			return REF_MALFORMED_EXT;
		nh = s->b[s->off];
		s->off += hlen;
	}
	pkt->l4proto = (uint8_t)nh;
	return REF_IP;
}

/* IPv6: the fixed header whole, version 6, the payload inside what carries
 * it (a GSO skb's payload length 0: the rest of the frame). */
static enum ref_outcome ipv6(struct span *s, const struct ref_frame *f, struct ef_packet *pkt)
{
	const uint8_t *h = s->b + s->off;
	size_t payload;

	if (!has(s, 40) || h[0] >> 4 != 6)
		return REF_MALFORMED_L3;
	payload = be16_at(s, 4);
	if (payload == 0 && f->gso && f->len > s->off + 40)
		payload = f->len - s->off - 40;
	if (!has(s, 40 + payload))
		return REF_MALFORMED_L3;
	pkt->family = EF_AF_INET6;
	memcpy(pkt->saddr, h + 8, 16);
	memcpy(pkt->daddr, h + 24, 16);
	s->end = s->off + 40 + payload;
	s->off += 40;
	return ipv6_ext(s, pkt, h[6]);
}

/* The L4 header of anything but a later fragment: TCP 20 bytes and its
 * data offset (5 to 15 words) inside the datagram, UDP 8, SCTP's common
 * header 12, ICMP and ICMPv6 4 (type, code, checksum: what every message
 * has). Other protocols have no L4 fields. */
static enum ref_outcome layer4(struct span *s, struct ef_packet *pkt)
{
	const uint8_t *h = s->b + s->off;
	size_t need;

	if (pkt->frag == EDGEFW_FRAG_LATER)
		return REF_IP;
	switch (pkt->l4proto) {
	case 6:
		need = 20;
		break;
	case 17:
		need = 8;
		break;
	case 132:
		need = 12;
		break;
	case 1:
	case 58:
		if (!has(s, 4))
			return REF_MALFORMED_L4;
		pkt->has_icmp = true;
		pkt->icmp_type = h[0];
		pkt->icmp_code = h[1];
		if (pkt->family == EF_AF_INET6 && pkt->l4proto == 58 && h[0] >= 133 && h[0] <= 137)
			return REF_ND;
		return REF_IP;
	default:
		return REF_IP;
	}
	if (!has(s, need))
		return REF_MALFORMED_L4;
	if (pkt->l4proto == 6) {
		if (h[12] >> 4 < 5 || !has(s, (size_t)(h[12] >> 4) * 4))
			return REF_MALFORMED_L4;
		pkt->has_tcp_flags = true;
		pkt->tcp_flags = h[13];
	}
	pkt->has_ports = true;
	pkt->sport = (uint16_t)be16_at(s, 0);
	pkt->dport = (uint16_t)be16_at(s, 2);
	return REF_IP;
}

void ref_parse_frame(const struct ref_frame *f, struct ref_parse *out)
{
	struct span s = { .b = f->data, .off = 0, .end = f->len };
	enum l3_kind kind = L3_IPV4;
	enum ref_outcome o;

	memset(out, 0, sizeof(*out));
	out->pkt.vlan = EF_VLAN_UNTAGGED;
	out->pkt.frag = EDGEFW_FRAG_NONE;
	o = layer2(&s, out, &kind);
	if (o == REF_IP)
		o = kind == L3_IPV4 ? ipv4(&s, f, &out->pkt) : ipv6(&s, f, &out->pkt);
	if (o == REF_IP)
		o = layer4(&s, &out->pkt);
	out->outcome = o;
}

static const char *const outcome_names[REF_OUTCOMES] = {
	[REF_IP] = "ip",
	[REF_NON_IP] = "non_ip",
	[REF_ND] = "nd",
	[REF_MALFORMED_L2] = "malformed_l2",
	[REF_MALFORMED_L3] = "malformed_l3",
	[REF_MALFORMED_EXT] = "malformed_ext",
	[REF_MALFORMED_L4] = "malformed_l4",
	[REF_EXT_OVERFLOW] = "ext_overflow",
	[REF_ENCAP_OVERFLOW] = "encap_overflow",
};

const char *ref_outcome_name(enum ref_outcome o)
{
	return o < REF_OUTCOMES ? outcome_names[o] : "?";
}

/* The reason each policy outcome is counted under, and its policy. */
static void policy_of(const struct ef_ruleset *rs, enum ref_outcome o, unsigned *reason,
		      uint8_t *action)
{
	static const unsigned reasons[REF_OUTCOMES] = {
		[REF_NON_IP] = EDGEFW_REASON_NON_IP,
		[REF_ND] = EDGEFW_REASON_ND,
		[REF_MALFORMED_L2] = EDGEFW_REASON_MALFORMED_L2,
		[REF_MALFORMED_L3] = EDGEFW_REASON_MALFORMED_L3,
		[REF_MALFORMED_EXT] = EDGEFW_REASON_MALFORMED_EXT,
		[REF_MALFORMED_L4] = EDGEFW_REASON_MALFORMED_L4,
		[REF_EXT_OVERFLOW] = EDGEFW_REASON_EXT_OVERFLOW,
		[REF_ENCAP_OVERFLOW] = EDGEFW_REASON_ENCAP_OVERFLOW,
	};

	*reason = reasons[o];
	switch (o) {
	case REF_NON_IP:
	case REF_ND:
		*action = rs->non_ip_action;
		break;
	case REF_EXT_OVERFLOW:
		*action = rs->ext_overflow_action;
		break;
	case REF_ENCAP_OVERFLOW:
		*action = rs->encap_overflow_action;
		break;
	default:
		*action = rs->malformed_action;
		break;
	}
}

struct ref_decision ref_decide(const struct ef_ruleset *rs, const struct ref_parse *p,
			       uint32_t hook, const char *ifname)
{
	struct ref_decision d = { .rule = -1 };
	struct ef_packet pkt = p->pkt;
	struct ef_decision m;

	if (p->outcome != REF_IP) {
		d.by = REF_BY_REASON;
		policy_of(rs, p->outcome, &d.reason, &d.action);
		return d;
	}
	pkt.hook = hook;
	pkt.ifname = ifname;
	m = ef_decide(rs, &pkt);
	d.action = m.action;
	switch (m.by) {
	case EF_BY_RULE:
		d.by = REF_BY_RULE;
		d.rule = m.rule;
		break;
	case EF_BY_FRAG_POLICY:
		d.by = REF_BY_REASON;
		d.reason = EDGEFW_REASON_FRAGMENT;
		break;
	default:
		d.by = REF_BY_DEFAULT;
		d.reason = m.action == EDGEFW_ACT_DROP ? EDGEFW_REASON_DEFAULT_DROP
						       : EDGEFW_REASON_DEFAULT_PASS;
		break;
	}
	return d;
}

void ref_parse_format(const struct ref_parse *p, char *buf, size_t len)
{
	static const char *const frag[] = { "not-frag", "first-frag", "later-frag" };
	const struct ef_packet *k = &p->pkt;
	char sa[INET6_ADDRSTRLEN] = "?", da[INET6_ADDRSTRLEN] = "?", vlan[16];
	int af = k->family == EF_AF_INET6 ? AF_INET6 : AF_INET;
	int n;

	if (k->vlan == EF_VLAN_UNTAGGED)
		snprintf(vlan, sizeof(vlan), "untagged");
	else
		snprintf(vlan, sizeof(vlan), "vlan %d", (int)k->vlan);
	n = snprintf(buf, len, "%s (%u tags%s, %u labels, %s)", ref_outcome_name(p->outcome),
		     p->n_tags, p->pppoe ? ", pppoe" : "", p->n_labels, vlan);
	if (n < 0 || (size_t)n >= len || (p->outcome != REF_IP && p->outcome != REF_ND))
		return;
	inet_ntop(af, k->saddr, sa, sizeof(sa));
	inet_ntop(af, k->daddr, da, sizeof(da));
	n += snprintf(buf + n, len - (size_t)n, ": ipv%d %s -> %s proto %u %s",
		      af == AF_INET ? 4 : 6, sa, da, k->l4proto, frag[k->frag % 3]);
	if ((size_t)n < len && k->has_ports)
		n += snprintf(buf + n, len - (size_t)n, " sport %u dport %u", k->sport, k->dport);
	if ((size_t)n < len && k->has_icmp)
		n += snprintf(buf + n, len - (size_t)n, " icmp %u/%u", k->icmp_type, k->icmp_code);
	if ((size_t)n < len && k->has_tcp_flags)
		snprintf(buf + n, len - (size_t)n, " flags %#x", k->tcp_flags);
}
