// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A diff's outcomes and probes as one line of text each (diff.h). */
#include "diff.h"

#include <arpa/inet.h>
#include <stdio.h>

#include "rules_names.h"

void ef_outcome_format(const struct ef_outcome *o, char *buf, size_t len)
{
	const char *act = ef_action_name(o->action);

	if (o->by == EF_BY_RULE)
		snprintf(buf, len, "%s (rule %s)", act, o->rule);
	else if (o->by == EF_BY_FRAG_POLICY)
		snprintf(buf, len, "%s (fragments policy)", act);
	else
		snprintf(buf, len, "%s (default)", act);
}

static void endpoint(const struct ef_packet *p, const uint8_t *a, uint16_t port, bool ports,
		     char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == EF_AF_INET ? AF_INET : AF_INET6, a, s, sizeof(s));
	if (!ports)
		snprintf(buf, len, "%s", s);
	else if (p->family == EF_AF_INET)
		snprintf(buf, len, "%s:%u", s, port);
	else
		snprintf(buf, len, "[%s]:%u", s, port);
}

void ef_flow_format(const struct ef_packet *p, char *buf, size_t len)
{
	const char *proto = ef_name_of(ef_proto_names, p->l4proto);
	bool ports = p->has_ports && p->frag != EDGEFW_FRAG_LATER;
	char src[64], dst[64], pnum[8], flags[64];
	size_t used;

	snprintf(pnum, sizeof(pnum), "%u", p->l4proto);
	endpoint(p, p->saddr, p->sport, ports, src, sizeof(src));
	endpoint(p, p->daddr, p->dport, ports, dst, sizeof(dst));
	used = (size_t)snprintf(buf, len, "%s %s -> %s", proto ? proto : pnum, src, dst);
#define MORE(...)                                                                               \
	(used += (size_t)snprintf(buf + (used < len ? used : len), used < len ? len - used : 0, \
				  __VA_ARGS__))
	if (p->has_icmp && p->frag != EDGEFW_FRAG_LATER)
		MORE(" type %u code %u", p->icmp_type, p->icmp_code);
	if (p->has_tcp_flags && p->tcp_flags != 0x02) {
		ef_tcp_flags_format(0xff, p->tcp_flags, flags, sizeof(flags));
		MORE(" flags %s", flags);
	}
	if (p->vlan != EF_VLAN_UNTAGGED)
		MORE(" vlan %d", p->vlan);
	if (p->frag != EDGEFW_FRAG_NONE)
		MORE(" fragment %s", p->frag == EDGEFW_FRAG_FIRST ? "first" : "later");
	if (p->ct_state != ef_ct_untracked_state(p))
		MORE(" state %s", ef_ct_state_name(p->ct_state));
	if (p->hook != EDGEFW_HOOK_XDP)
		MORE(" at %s", ef_hook_name(p->hook));
	if (p->ifname && p->ifname[0])
		MORE(" on %s", p->ifname);
#undef MORE
}
