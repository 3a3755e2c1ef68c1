// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Encapsulations on all three hooks: VLAN stacks of 3 and 4 tags in every
 * order of 802.1Q and 802.1ad, PPPoE sessions (IPv4, IPv6, PPP control and
 * other protocols), MPLS stacks of 1 to 4 labels, and what lies past the
 * parser's walk (encap-overflow). Each carries a packet from a blocked
 * source, one to a blocked port and an allowed one, and each verdict must
 * be counted where it was decided. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

static const char *const rules =
	"version: 1\n"
	"defaults: {xdp: pass, tc-ingress: pass, tc-egress: pass, non-ip: pass,\n"
	"           malformed: drop, encap-overflow: drop}\n"
	"rules:\n"
	"  - {name: blocked, src: [10.66.0.0/16, \"2001:db8:66::/48\"], action: drop}\n"
	"  - {name: dns, proto: udp, dport: 53, action: drop}\n"
	"  - {name: vlan-300, vlan: 300, action: drop}\n";

/* The three packets every encapsulation carries, per family. */
enum load {
	ALLOWED,
	BLOCKED_SRC,
	BLOCKED_PORT,
	LOADS
};

static const char *const load_label[LOADS] = { "allowed", "from a blocked source",
					       "to a blocked port" };

static struct pkt_spec load_spec(int family, enum load l)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP,
			      .sport = 40000,
			      .dport = l == BLOCKED_PORT ? 53 : 443,
			      .payload = 8 };

	if (family == 4)
		spec_addrs(&s, l == BLOCKED_SRC ? "10.66.1.1" : "192.0.2.1", "198.51.100.1");
	else
		spec_addrs(&s, l == BLOCKED_SRC ? "2001:db8:66::1" : "2001:db8::1", "2001:db8::2");
	return s;
}

static const char *const load_counted[LOADS] = { "default", "rule:blocked", "rule:dns" };
static const enum dp_verdict load_verdict[LOADS] = { DP_PASS, DP_DROP, DP_DROP };

/* Applies the encapsulation in `encap` to the three packets of a family and
 * checks them on every hook: one TAP line. */
static void check_loads(struct dp *dp, const char *desc, int family, const struct pkt_spec *encap)
{
	char why[160] = "";
	enum load bad = LOADS;

	for (enum load l = ALLOWED; l < LOADS && bad == LOADS; l++) {
		struct pkt_spec s = load_spec(family, l);
		struct pkt p;

		memcpy(s.vlan, encap->vlan, sizeof(s.vlan));
		memcpy(s.tpid, encap->tpid, sizeof(s.tpid));
		s.n_vlan = encap->n_vlan;
		s.pppoe = encap->pppoe;
		s.ppp_proto = encap->ppp_proto;
		s.n_mpls = encap->n_mpls;
		s.mpls_cw = encap->mpls_cw;
		pkt_build(&p, &s);
		if (!dp_check_hooks(dp, p.data, p.len, load_verdict[l], load_counted[l], why,
				    sizeof(why)))
			bad = l;
	}
	tap(bad == LOADS, "%s, IPv%d: allowed passes, blocked source and port dropped%s%s%s", desc,
	    family, bad == LOADS ? "" : " (", bad == LOADS ? "" : load_label[bad],
	    bad == LOADS ? "" : ")");
	if (bad != LOADS)
		diag("%s", why);
}

/* One frame on every hook, with its verdict and where it is counted. */
static void check_frame(struct dp *dp, const char *desc, const struct pkt *p, enum dp_verdict want,
			const char *counted)
{
	char why[160];
	bool ok = dp_check_hooks(dp, p->data, p->len, want, counted, why, sizeof(why));

	tap(ok, "%s: %s, counted as %s", desc, dp_verdict_name(want), counted);
	if (!ok)
		diag("%s", why);
}

static void test_vlan_orders(struct dp *dp)
{
	for (int n = 3; n <= 4; n++) {
		for (unsigned order = 0; order < 1u << n; order++) {
			struct pkt_spec e = { .n_vlan = n };
			char desc[64];
			size_t k;

			k = (size_t)snprintf(desc, sizeof(desc), "%d tags", n);
			for (int i = 0; i < n; i++) {
				e.tpid[i] = order & (1u << i) ? 0x88a8 : 0x8100;
				e.vlan[i] = (uint16_t)(100 + i);
				k += (size_t)snprintf(desc + k, sizeof(desc) - k, "%s%s",
						      i ? "/" : " ",
						      e.tpid[i] == 0x88a8 ? "ad" : "q");
			}
			check_loads(dp, desc, 4, &e);
			check_loads(dp, desc, 6, &e);
		}
	}
}

static void test_vlan_innermost(struct dp *dp)
{
	struct pkt_spec s = load_spec(4, ALLOWED);
	struct pkt p;

	s.n_vlan = 4;
	s.tpid[0] = 0x88a8;
	s.vlan[0] = 100;
	s.vlan[1] = 101;
	s.vlan[2] = 102;
	s.vlan[3] = 300;
	pkt_build(&p, &s);
	check_frame(dp, "4 tags, innermost 300: the vlan 300 rule", &p, DP_DROP, "rule:vlan-300");
	s.vlan[0] = 300;
	s.vlan[3] = 103;
	pkt_build(&p, &s);
	check_frame(dp, "4 tags, outermost 300, innermost 103: not the vlan rule", &p, DP_PASS,
		    "default");
	s.tpid[0] = 0x9100;
	s.tpid[2] = 0x88a8;
	pkt_build(&p, &s);
	check_frame(dp, "4 tags with the legacy QinQ TPID 0x9100 walked", &p, DP_PASS, "default");

	s = load_spec(4, ALLOWED);
	s.n_vlan = 5;
	pkt_build(&p, &s);
	check_frame(dp, "5 tags (past the walk), allowed inside", &p, DP_DROP,
		    "reason:encap_overflow");
	s = load_spec(6, BLOCKED_SRC);
	s.n_vlan = 6;
	s.tpid[0] = 0x88a8;
	pkt_build(&p, &s);
	check_frame(dp, "6 tags, blocked IPv6 source inside", &p, DP_DROP, "reason:encap_overflow");
}

static void test_pppoe(struct dp *dp)
{
	struct pkt_spec e = { .pppoe = true };
	struct pkt_spec s;
	struct pkt p;

	check_loads(dp, "PPPoE session", 4, &e);
	check_loads(dp, "PPPoE session", 6, &e);
	e.n_vlan = 2;
	e.tpid[0] = 0x88a8;
	check_loads(dp, "PPPoE over QinQ", 4, &e);
	check_loads(dp, "PPPoE over QinQ", 6, &e);
	e.n_vlan = 4;
	check_loads(dp, "PPPoE over 4 tags", 4, &e);
	e.n_vlan = 0;
	e.n_mpls = 2;
	check_loads(dp, "PPPoE carrying MPLS (2 labels)", 4, &e);

	s = load_spec(4, BLOCKED_SRC);
	s.pppoe = true;
	s.ppp_proto = 0xc021; /* LCP */
	pkt_build(&p, &s);
	check_frame(dp, "PPPoE LCP", &p, DP_PASS, "reason:non_ip");
	s.ppp_proto = 0x8057; /* IPV6CP */
	pkt_build(&p, &s);
	check_frame(dp, "PPPoE IPV6CP", &p, DP_PASS, "reason:non_ip");
	s.ppp_proto = 0x002d; /* Van Jacobson compressed TCP/IP */
	pkt_build(&p, &s);
	check_frame(dp, "PPPoE VJ-compressed TCP/IP", &p, DP_DROP, "reason:encap_overflow");

	/* Protocol field compression: the PPP protocol in one byte (0x21). */
	s.ppp_proto = 0;
	pkt_build(&p, &s);
	memmove(&p.data[p.pppoe + 6], &p.data[p.pppoe + 7], p.len - p.pppoe - 7);
	p.len--;
	p.data[p.pppoe + 5]--;
	check_frame(dp, "PPPoE, compressed protocol field (0x21), blocked source", &p, DP_DROP,
		    "rule:blocked");

	s = load_spec(4, BLOCKED_SRC);
	s.pppoe = true;
	pkt_build(&p, &s);
	p.data[p.pppoe] = 0x12;
	check_frame(dp, "PPPoE version 2", &p, DP_DROP, "reason:malformed_l2");
	pkt_build(&p, &s);
	p.data[p.pppoe + 5] += 30;
	check_frame(dp, "PPPoE length past the frame", &p, DP_DROP, "reason:malformed_l2");
	s = load_spec(4, ALLOWED);
	s.pppoe = true;
	pkt_build(&p, &s);
	p.data[p.pppoe + 5] -= 4;
	check_frame(dp, "PPPoE payload shorter than the IP datagram", &p, DP_DROP,
		    "reason:malformed_l3");
	pkt_build(&p, &s);
	p.len += 20; /* padding after the PPPoE payload: not L4 data */
	check_frame(dp, "PPPoE followed by padding", &p, DP_PASS, "default");
}

static void test_mpls(struct dp *dp)
{
	struct pkt_spec e = { 0 };
	struct pkt_spec s;
	struct pkt p;

	for (int n = 1; n <= 4; n++) {
		char desc[48];

		e.n_mpls = n;
		snprintf(desc, sizeof(desc), "MPLS, %d label%s", n, n > 1 ? "s" : "");
		check_loads(dp, desc, 4, &e);
		check_loads(dp, desc, 6, &e);
	}
	e.n_mpls = 3;
	e.n_vlan = 2;
	check_loads(dp, "MPLS (3 labels) over 2 tags", 6, &e);

	s = load_spec(4, BLOCKED_SRC);
	s.n_mpls = 1;
	pkt_build(&p, &s);
	p.data[12] = 0x88; /* multicast MPLS */
	p.data[13] = 0x48;
	check_frame(dp, "MPLS multicast (0x8848), blocked source", &p, DP_DROP, "rule:blocked");
	s = load_spec(4, ALLOWED);
	s.n_mpls = 5;
	pkt_build(&p, &s);
	check_frame(dp, "MPLS, 5 labels (one past the walk)", &p, DP_DROP, "reason:encap_overflow");
	s = load_spec(6, ALLOWED);
	s.n_mpls = 2;
	s.mpls_cw = true;
	pkt_build(&p, &s);
	check_frame(dp, "MPLS pseudowire with a control word", &p, DP_DROP,
		    "reason:encap_overflow");
	s = load_spec(4, ALLOWED);
	s.n_mpls = 1;
	pkt_build(&p, &s);
	p.len = p.l3; /* nothing after the bottom label */
	check_frame(dp, "MPLS with nothing beneath", &p, DP_DROP, "reason:malformed_l2");

	tap(dp_load_yaml(dp, "version: 1\ndefaults: {encap-overflow: pass}\n"
			     "rules: [{name: blocked, src: 10.66.0.0/16, action: drop}]\n") == 0,
	    "encap-overflow: pass loads");
	s = load_spec(4, BLOCKED_SRC);
	s.n_mpls = 5;
	pkt_build(&p, &s);
	check_frame(dp, "encap-overflow: pass lets 5 labels through", &p, DP_PASS,
		    "reason:encap_overflow");
	s.n_mpls = 0;
	s.n_vlan = 5;
	pkt_build(&p, &s);
	check_frame(dp, "encap-overflow: pass lets 5 tags through", &p, DP_PASS,
		    "reason:encap_overflow");
}

/* Every prefix of an encapsulated frame up to its L4 header is dropped. */
static void truncations(struct dp *dp, const char *desc, const struct pkt_spec *s)
{
	struct pkt p, q;
	unsigned bad = 0;

	pkt_build(&p, s);
	for (size_t cut = 14; cut < p.l4 + 8; cut++) {
		q = p;
		q.len = cut;
		for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++)
			if (dp_run(dp, h, &q) != DP_DROP) {
				if (!bad)
					diag("%s: %s passed the frame cut at %zu of %zu bytes",
					     desc, dp_hook_name(h), cut, p.len);
				bad++;
			}
	}
	tap(!bad, "%s truncated at every byte from 14 to %zu is dropped on every hook", desc,
	    p.l4 + 8);
}

static void test_truncation(struct dp *dp)
{
	struct pkt_spec s = load_spec(4, ALLOWED);

	s.l4proto = IPPROTO_TCP;
	s.n_vlan = 4;
	s.tpid[1] = 0x88a8;
	s.pppoe = true;
	truncations(dp, "4 tags + PPPoE + IPv4/TCP", &s);
	s = load_spec(6, ALLOWED);
	s.n_vlan = 1;
	s.n_mpls = 4;
	s.n_ext = 2;
	truncations(dp, "tag + 4 MPLS labels + IPv6/2 extension headers/UDP", &s);
}

void dp_test_encap(struct dp *dp)
{
	tap(dp_load_yaml(dp, rules) == 0, "encapsulation test ruleset loads");
	test_vlan_orders(dp);
	test_vlan_innermost(dp);
	test_pppoe(dp);
	test_truncation(dp);
	test_mpls(dp);
}
