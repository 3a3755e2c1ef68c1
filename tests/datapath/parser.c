// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parser edge cases: truncation at every byte, bad header lengths,
 * extension chains at and past the bound, fragments, tags, tunnels. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

static const char *const rules =
	"version: 1\n"
	"defaults: {xdp: pass, tc-ingress: pass, tc-egress: pass,\n"
	"           malformed: drop, ipv6-ext-overflow: drop, fragments: rules}\n"
	"rules:\n"
	"  - {name: blocked, src: [10.66.0.0/16, \"2001:db8:66::/48\"], action: drop}\n"
	"  - {name: http, proto: tcp, dport: 80, action: drop}\n"
	"  - {name: dns, proto: udp, dport: 53, action: drop}\n";

static enum dp_verdict run_all_same(struct dp *dp, const struct pkt *p)
{
	enum dp_verdict v = dp_run(dp, EDGEFW_HOOK_XDP, p);

	/* The tc programs parse the same bytes the same way. */
	if (dp_run(dp, EDGEFW_HOOK_TC_INGRESS, p) != v)
		return DP_ERROR;
	return v;
}

static void check(struct dp *dp, const char *desc, const struct pkt *p, enum dp_verdict want)
{
	enum dp_verdict got = run_all_same(dp, p);

	tap(got == want, "%s (got %d, want %d)", desc, got, want);
}

static struct pkt_spec base(const char *src, const char *dst, uint8_t proto, uint16_t dport)
{
	struct pkt_spec s = {
		.l4proto = proto, .sport = 1234, .dport = dport, .tcp_flags = 0x02, .payload = 4
	};

	spec_addrs(&s, src, dst);
	return s;
}

/* Every prefix of a valid frame, from the end of the Ethernet header to
 * the end of the L4 header, must be dropped as malformed (the lengths in
 * the IP header then promise more than the frame holds). */
static void truncations(struct dp *dp, const char *desc, struct pkt_spec s)
{
	struct pkt p, q;
	unsigned bad = 0;

	pkt_build(&p, &s);
	for (size_t cut = 14; cut < p.l4 + 8; cut++) {
		/* test_run refuses skbs shorter than their IP header, so the
		 * tc programs are checked from there on. */
		bool tc_ok = cut >= p.l3 + (s.family == 4 ? 20 : 40);

		q = p;
		q.len = cut;
		if ((tc_ok ? run_all_same(dp, &q) : dp_run(dp, EDGEFW_HOOK_XDP, &q)) != DP_DROP) {
			if (!bad)
				diag("%s: truncated at %zu of %zu bytes not dropped", desc, cut,
				     p.len);
			bad++;
		}
	}
	tap(!bad, "%s truncated at every byte from 14 to %zu is dropped", desc, p.l4 + 8);
}

static void test_truncation(struct dp *dp)
{
	struct pkt_spec s = base("192.0.2.1", "198.51.100.1", IPPROTO_TCP, 443);

	truncations(dp, "IPv4/TCP", s);
	s.n_vlan = 2;
	s.vlan[0] = 1;
	s.vlan[1] = 2;
	s.outer_tpid = 0x88a8;
	truncations(dp, "QinQ IPv4/TCP", s);
	s = base("2001:db8::1", "2001:db8::2", IPPROTO_UDP, 443);
	s.n_ext = 2;
	truncations(dp, "IPv6 + 2 extension headers/UDP", s);
}

static void test_ipv4_lengths(struct dp *dp)
{
	struct pkt_spec s = base("192.0.2.1", "198.51.100.1", IPPROTO_UDP, 443);
	struct edgefw_counter b, a;
	struct pkt p;

	b = dp_reason_counter(dp, EDGEFW_REASON_MALFORMED_L3);
	for (int ihl = 0; ihl < 5; ihl++) {
		pkt_build(&p, &s);
		p.data[p.l3] = (uint8_t)(0x40 | ihl);
		check(dp,
		      ihl == 0   ? "ihl 0 dropped"
		      : ihl == 1 ? "ihl 1 dropped"
		      : ihl == 2 ? "ihl 2 dropped"
		      : ihl == 3 ? "ihl 3 dropped"
				 : "ihl 4 dropped",
		      &p, DP_DROP);
	}
	a = dp_reason_counter(dp, EDGEFW_REASON_MALFORMED_L3);
	tap(a.packets - b.packets == 10, "bad ihl counted as malformed_l3 (%llu)",
	    (unsigned long long)(a.packets - b.packets));

	/* ihl 15: 40 bytes of options (NOPs), then UDP to a dropped port. */
	s.dport = 53;
	pkt_build(&p, &s);
	memmove(&p.data[p.l3 + 60], &p.data[p.l3 + 20], p.len - p.l3 - 20);
	memset(&p.data[p.l3 + 20], 1, 40);
	p.data[p.l3] = 0x4f;
	p.len += 40;
	p.data[p.l3 + 2] = (uint8_t)((p.len - p.l3) >> 8);
	p.data[p.l3 + 3] = (uint8_t)(p.len - p.l3);
	check(dp, "ihl 15: ports read after the options", &p, DP_DROP);
	p.data[p.l4 + 40 + 3] = 54;
	check(dp, "ihl 15: another port passes", &p, DP_PASS);
}

static void test_tcp_doff(struct dp *dp)
{
	struct pkt_spec s = base("192.0.2.1", "198.51.100.1", IPPROTO_TCP, 443);
	struct pkt p;

	for (int doff = 0; doff < 5; doff++) {
		char desc[64];

		pkt_build(&p, &s);
		p.data[p.l4 + 12] = (uint8_t)(doff << 4);
		snprintf(desc, sizeof(desc), "TCP doff %d dropped", doff);
		check(dp, desc, &p, DP_DROP);
	}
	pkt_build(&p, &s);
	p.data[p.l4 + 12] = 15 << 4; /* 60 bytes promised, 24 present */
	check(dp, "TCP doff past the datagram dropped", &p, DP_DROP);
	pkt_build(&p, &s);
	check(dp, "TCP doff 5 passes", &p, DP_PASS);
}

static void test_ext_chain(struct dp *dp)
{
	struct pkt_spec s = base("2001:db8::1", "2001:db8::2", IPPROTO_TCP, 80);
	struct edgefw_counter b, a;
	struct pkt p;

	s.n_ext = 8;
	pkt_build(&p, &s);
	check(dp, "8 extension headers (the bound): port read at the chain's end", &p, DP_DROP);
	s.dport = 81;
	pkt_build(&p, &s);
	check(dp, "8 extension headers, another port passes", &p, DP_PASS);
	s.n_ext = 7;
	s.frag = 1;
	s.dport = 80;
	pkt_build(&p, &s);
	check(dp, "7 headers + fragment header (8): first fragment classified", &p, DP_DROP);

	s.n_ext = 9;
	s.frag = 0;
	s.dport = 81;
	pkt_build(&p, &s);
	b = dp_reason_counter(dp, EDGEFW_REASON_EXT_OVERFLOW);
	check(dp, "9 extension headers: over the bound, dropped by policy", &p, DP_DROP);
	a = dp_reason_counter(dp, EDGEFW_REASON_EXT_OVERFLOW);
	tap(a.packets - b.packets == 2, "counted as ext_overflow");

	s.n_ext = 3;
	pkt_build(&p, &s);
	p.data[p.l3 + 40 + 8 + 1] = 200; /* 2nd header claims 1608 bytes */
	check(dp, "extension header longer than the datagram dropped", &p, DP_DROP);
}

static void test_fragments(struct dp *dp)
{
	struct pkt_spec s = base("192.0.2.1", "198.51.100.1", IPPROTO_TCP, 80);
	struct pkt p;

	s.frag = 2;
	pkt_build(&p, &s);
	check(dp, "IPv4 later fragment: payload bytes not read as port 80", &p, DP_PASS);
	s = base("10.66.1.1", "198.51.100.1", IPPROTO_TCP, 80);
	s.frag = 2;
	pkt_build(&p, &s);
	check(dp, "IPv4 later fragment from a blocked source dropped", &p, DP_DROP);
	s = base("2001:db8::1", "2001:db8::2", IPPROTO_TCP, 80);
	s.frag = 2;
	s.n_ext = 1;
	pkt_build(&p, &s);
	check(dp, "IPv6 later fragment: payload not read as port 80", &p, DP_PASS);
	s.frag = 1;
	pkt_build(&p, &s);
	check(dp, "IPv6 first fragment: port 80 read", &p, DP_DROP);

	/* A first fragment too short for its TCP header. */
	s = base("192.0.2.1", "198.51.100.1", IPPROTO_TCP, 443);
	s.frag = 1;
	pkt_build(&p, &s);
	p.data[p.l3 + 3] = 20 + 8; /* total length: 8 bytes of TCP */
	check(dp, "first fragment too short for the TCP header dropped", &p, DP_DROP);

	tap(dp_load_yaml(dp, "version: 1\ndefaults: {fragments: drop}\n"
			     "rules: [{name: all, action: pass}]\n") == 0,
	    "fragments: drop loads");
	s = base("192.0.2.1", "198.51.100.1", IPPROTO_TCP, 443);
	s.frag = 2;
	pkt_build(&p, &s);
	check(dp, "fragments: drop decides later fragments before the rules", &p, DP_DROP);
	s.frag = 1;
	pkt_build(&p, &s);
	check(dp, "fragments: drop leaves first fragments to the rules", &p, DP_PASS);
}

static void test_tags_and_tunnels(struct dp *dp)
{
	struct pkt_spec s = base("10.66.1.1", "198.51.100.1", IPPROTO_UDP, 443);
	struct pkt p;

	s.n_vlan = 1;
	s.vlan[0] = 100;
	pkt_build(&p, &s);
	check(dp, "802.1Q tagged blocked source dropped", &p, DP_DROP);
	s.n_vlan = 2;
	s.vlan[1] = 200;
	s.outer_tpid = 0x88a8;
	pkt_build(&p, &s);
	check(dp, "QinQ tagged blocked source dropped", &p, DP_DROP);

	s = base("10.66.1.1", "198.51.100.1", 47, 0);
	pkt_build(&p, &s);
	check(dp, "GRE from a blocked source dropped", &p, DP_DROP);
	s = base("10.66.1.1", "198.51.100.1", 4, 0);
	pkt_build(&p, &s);
	check(dp, "IPIP from a blocked source dropped", &p, DP_DROP);
	s = base("2001:db8:66::1", "2001:db8::2", 41, 0);
	pkt_build(&p, &s);
	check(dp, "IPv6-in-IPv6 from a blocked source dropped", &p, DP_DROP);
	s = base("192.0.2.1", "198.51.100.1", 4, 0);
	pkt_build(&p, &s);
	check(dp, "IPIP from an allowed source passes", &p, DP_PASS);
}

static void test_malformed_policy(struct dp *dp)
{
	struct pkt_spec s = base("192.0.2.1", "198.51.100.1", IPPROTO_UDP, 443);
	struct pkt p;

	tap(dp_load_yaml(dp, "version: 1\n"
			     "defaults: {malformed: pass, ipv6-ext-overflow: pass}\n") == 0,
	    "malformed: pass loads");
	pkt_build(&p, &s);
	p.data[p.l3] = 0x43;
	check(dp, "malformed: pass lets a bad ihl through", &p, DP_PASS);
	s = base("2001:db8::1", "2001:db8::2", IPPROTO_UDP, 443);
	s.n_ext = 9;
	pkt_build(&p, &s);
	check(dp, "ipv6-ext-overflow: pass lets a long chain through", &p, DP_PASS);
}

void dp_test_parser(struct dp *dp)
{
	tap(dp_load_yaml(dp, rules) == 0, "parser test ruleset loads");
	test_truncation(dp);
	test_ipv4_lengths(dp);
	test_tcp_doff(dp);
	test_ext_chain(dp);
	test_tags_and_tunnels(dp);
	test_fragments(dp);
	test_malformed_policy(dp);
}
