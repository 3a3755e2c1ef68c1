// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Frames larger than their linear part. XDP: BPF_PROG_TEST_RUN puts what
 * does not fit one page into fragments, like a multi-buffer jumbo frame, so
 * the parser must take the length from bpf_xdp_get_buff_len() and copy
 * headers lying in a fragment. tc: a GSO super-packet of BIG TCP carries IP
 * length 0, its real length being the skb's. */
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"

static const char *const rules =
	"version: 1\n"
	"defaults: {xdp: pass, tc-ingress: pass, tc-egress: pass, malformed: drop}\n"
	"rules:\n"
	"  - {name: blocked, src: [10.66.0.0/16, \"2001:db8:66::/48\"], action: drop}\n"
	"  - {name: dns, proto: udp, dport: 53, action: drop}\n";

#define JUMBO_LEN 9014 /* MTU 9000 + Ethernet */
#define EXT_LEN 2048   /* the longest extension header */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t eth(uint8_t *f, uint16_t proto)
{
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(f + 12, proto);
	return 14;
}

/* IPv4 + UDP filling len bytes; tot_len as given (the real one when -1). */
static void jumbo4(uint8_t *f, size_t len, const char *src, uint16_t dport, long tot_len)
{
	uint8_t *ip = f + eth(f, 0x0800), fam;

	memset(ip, 0, len - 14);
	ip[0] = 0x45;
	put16(ip + 2, tot_len < 0 ? (uint32_t)(len - 14) : (uint32_t)tot_len);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	parse_addr(src, &fam, ip + 12);
	parse_addr("198.51.100.1", &fam, ip + 16);
	put16(ip + 20, 40000);
	put16(ip + 22, dport);
	put16(ip + 24, (uint32_t)(len - 14 - 20));
}

/* IPv6 with two 2 KiB destination-options headers, then UDP at offset
 * 4150: past the first buffer. */
static size_t ext6(uint8_t *f, size_t len, const char *src, uint16_t dport)
{
	uint8_t *ip = f + eth(f, 0x86dd), fam;
	size_t l4 = 14 + 40 + 2 * EXT_LEN;

	memset(ip, 0, len - 14);
	ip[0] = 0x60;
	put16(ip + 4, (uint32_t)(len - 14 - 40));
	ip[6] = 60;
	ip[7] = 64;
	parse_addr(src, &fam, ip + 8);
	parse_addr("2001:db8::2", &fam, ip + 24);
	for (int i = 0; i < 2; i++) {
		uint8_t *h = ip + 40 + (size_t)i * EXT_LEN;

		h[0] = i ? IPPROTO_UDP : 60;
		h[1] = EXT_LEN / 8 - 1; /* the rest: Pad1 options (zeros) */
	}
	put16(f + l4, 40000);
	put16(f + l4 + 2, dport);
	put16(f + l4 + 4, (uint32_t)(len - l4));
	return l4;
}

/* XDP only (the tc test runs take no more than a page). */
static void check_xdp(struct dp *dp, const char *desc, const uint8_t *f, size_t len,
		      enum dp_verdict want, unsigned reason, const char *rule)
{
	struct edgefw_counter b, a;
	enum dp_verdict got;

	b = rule ? dp_rule_counter(dp, rule) : dp_reason_counter(dp, reason);
	got = dp_run_raw(dp, EDGEFW_HOOK_XDP, f, len, NULL);
	a = rule ? dp_rule_counter(dp, rule) : dp_reason_counter(dp, reason);
	tap(got == want && a.packets == b.packets + 1 && a.bytes == b.bytes + len,
	    "xdp: %s: %s (got %s), counted once with all %zu bytes (%llu, %llu)", desc,
	    dp_verdict_name(want), dp_verdict_name(got), len,
	    (unsigned long long)(a.packets - b.packets), (unsigned long long)(a.bytes - b.bytes));
}

static void test_xdp_frags(struct dp *dp)
{
	uint8_t *f = calloc(1, JUMBO_LEN);

	if (!f) {
		tap(false, "allocate a jumbo frame");
		return;
	}
	jumbo4(f, JUMBO_LEN, "192.0.2.1", 443, -1);
	check_xdp(dp, "9000-byte IPv4/UDP datagram, allowed", f, JUMBO_LEN, DP_PASS,
		  EDGEFW_REASON_DEFAULT_PASS, NULL);
	jumbo4(f, JUMBO_LEN, "10.66.1.1", 443, -1);
	check_xdp(dp, "9000-byte datagram from a blocked source", f, JUMBO_LEN, DP_DROP, 0,
		  "blocked");
	jumbo4(f, JUMBO_LEN, "192.0.2.1", 53, -1);
	check_xdp(dp, "9000-byte datagram to a blocked port", f, JUMBO_LEN, DP_DROP, 0, "dns");
	jumbo4(f, 5014, "192.0.2.1", 443, 9000);
	check_xdp(dp, "IPv4 length past the end of a 5000-byte frame", f, 5014, DP_DROP,
		  EDGEFW_REASON_MALFORMED_L3, NULL);

	ext6(f, JUMBO_LEN, "2001:db8::1", 53);
	check_xdp(dp, "IPv6, UDP header in a fragment (offset 4150), blocked port", f, JUMBO_LEN,
		  DP_DROP, 0, "dns");
	ext6(f, JUMBO_LEN, "2001:db8::1", 443);
	check_xdp(dp, "IPv6, UDP header in a fragment, allowed", f, JUMBO_LEN, DP_PASS,
		  EDGEFW_REASON_DEFAULT_PASS, NULL);
	ext6(f, JUMBO_LEN, "2001:db8:66::1", 443);
	check_xdp(dp, "IPv6, UDP header in a fragment, blocked source", f, JUMBO_LEN, DP_DROP, 0,
		  "blocked");
	ext6(f, 4154, "2001:db8::1", 443);
	check_xdp(dp, "IPv6, UDP header cut short in a fragment", f, 4154, DP_DROP,
		  EDGEFW_REASON_MALFORMED_L4, NULL);
	free(f);
}

/* tc with a GSO skb: BIG TCP's length-0 IP headers take the skb's length. */
static void check_gso(struct dp *dp, const char *desc, const struct pkt *p, bool gso,
		      enum dp_verdict want)
{
	struct __sk_buff skb = { .gso_size = gso ? 1448 : 0, .gso_segs = gso ? 45 : 0 };

	for (uint32_t h = EDGEFW_HOOK_TC_INGRESS; h <= EDGEFW_HOOK_TC_EGRESS; h++) {
		enum dp_verdict got = dp_run_raw(dp, h, p->data, p->len, &skb);

		tap(got == want, "%s: %s: %s (got %s)", dp_hook_name(h), desc,
		    dp_verdict_name(want), dp_verdict_name(got));
	}
}

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

static void test_big_tcp(struct dp *dp)
{
	struct pkt_spec s = { .l4proto = IPPROTO_TCP,
			      .sport = 40000,
			      .dport = 443,
			      .tcp_flags = 0x10,
			      .payload = 400 };
	struct pkt p;

	spec_addrs(&s, "10.66.1.1", "198.51.100.1");
	pkt_build(&p, &s);
	p.data[p.l3 + 2] = p.data[p.l3 + 3] = 0;
	check_gso(dp, "GSO IPv4 with length 0 (BIG TCP) from a blocked source", &p, true, DP_DROP);
	spec_addrs(&s, "192.0.2.1", "198.51.100.1");
	pkt_build(&p, &s);
	p.data[p.l3 + 2] = p.data[p.l3 + 3] = 0;
	check_gso(dp, "GSO IPv4 with length 0, allowed", &p, true, DP_PASS);
	check_gso(dp, "IPv4 with length 0 and no GSO: malformed", &p, false, DP_DROP);

	spec_addrs(&s, "2001:db8:66::1", "2001:db8::2");
	pkt_build(&p, &s);
	p.data[p.l3 + 4] = p.data[p.l3 + 5] = 0;
	check_gso(dp, "GSO IPv6 with payload length 0 from a blocked source", &p, true, DP_DROP);
	spec_addrs(&s, "2001:db8::1", "2001:db8::2");
	pkt_build(&p, &s);
	p.data[p.l3 + 4] = p.data[p.l3 + 5] = 0;
	check_gso(dp, "GSO IPv6 with payload length 0, allowed", &p, true, DP_PASS);
}

void dp_test_large(struct dp *dp)
{
	tap(dp_load_yaml(dp, rules) == 0, "large-frame test ruleset loads");
	test_xdp_frags(dp);
	test_big_tcp(dp);
}
