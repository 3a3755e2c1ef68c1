// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The reference matcher, field by field, and the decision around it:
 * fragment policy, first match, hook defaults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "matcher.h"
#include "ruletest.h"

/* A packet between two addresses with the L4 header of its protocol. */
static struct ef_packet pkt(const char *src, const char *dst, uint8_t proto)
{
	struct ef_packet p = { .l4proto = proto,
			       .vlan = EF_VLAN_UNTAGGED,
			       .hook = EDGEFW_HOOK_XDP };
	struct ef_prefix a, b;
	char err[128];

	assert_int_equal(ef_prefix_parse(src, &a, NULL, err, sizeof(err)), 0);
	assert_int_equal(ef_prefix_parse(dst, &b, NULL, err, sizeof(err)), 0);
	assert_int_equal(a.family, b.family);
	p.family = a.family;
	memcpy(p.saddr, a.addr, 16);
	memcpy(p.daddr, b.addr, 16);
	p.has_ports = proto == 6 || proto == 17 || proto == 132;
	p.has_icmp = proto == 1 || proto == 58;
	p.has_tcp_flags = proto == 6;
	return p;
}

/* Parses a one-rule ruleset written as the fields of that rule. */
static void one_rule(struct parsed *p, const char *fields)
{
	char yaml[512];

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nsets:\n  empty: {addresses: []}\n  noports: {ports: []}\n"
		 "  lan: {addresses: [10.0.0.0/8, 'fd00::/8']}\n"
		 "rules:\n  - {name: r, %s, action: drop}\n",
		 fields);
	parse(p, yaml);
	if (p->ret)
		ef_diag_print(&p->d, stderr);
	assert_int_equal(p->ret, 0);
}

static bool matches(const char *fields, const struct ef_packet *pk)
{
	struct parsed p;
	bool m;

	one_rule(&p, fields);
	m = ef_rule_matches(&p.rs.rules[0], pk);
	assert_int_equal(ef_match(&p.rs, pk), m ? 0 : -1);
	done(&p);
	return m;
}

static void test_addresses(void **state)
{
	struct ef_packet v4 = pkt("10.1.2.3", "192.0.2.1", 17);
	struct ef_packet v4b = pkt("11.1.2.3", "192.0.2.1", 17);
	struct ef_packet v6 = pkt("2001:db8::1", "fd00::1", 17);

	(void)state;
	assert_true(matches("proto: any", &v4));
	assert_true(matches("src: 10.0.0.0/8", &v4));
	assert_false(matches("src: 10.0.0.0/8", &v4b));
	assert_false(matches("src: 10.0.0.0/8", &v6));
	assert_true(matches("src: [11.0.0.0/8, '2001:db8::/32']", &v6));
	assert_true(matches("dst: 192.0.2.1", &v4));
	assert_false(matches("dst: 192.0.2.2", &v4));
	assert_true(matches("src: $lan, dst: 192.0.2.0/24", &v4));
	assert_true(matches("dst: $lan", &v6));
	/* Negation is family-scoped. */
	assert_false(matches("src: {not: 10.0.0.0/8}", &v4));
	assert_true(matches("src: {not: 10.0.0.0/8}", &v4b));
	assert_false(matches("src: {not: 10.0.0.0/8}", &v6));
	assert_true(matches("src: {not: [10.0.0.0/8, 'fd00::/8']}", &v6));
	assert_false(matches("dst: {not: $lan}", &v6));
	/* An empty set matches nothing, negated or not. */
	assert_false(matches("src: $empty", &v4));
	assert_false(matches("src: {not: $empty}", &v4));
	assert_false(matches("src: {not: $empty}", &v6));
}

static void test_proto_ports(void **state)
{
	struct ef_packet tcp = pkt("10.0.0.1", "10.0.0.2", 6);
	struct ef_packet udp = pkt("10.0.0.1", "10.0.0.2", 17);
	struct ef_packet gre = pkt("10.0.0.1", "10.0.0.2", 47);

	(void)state;
	tcp.sport = 40000;
	tcp.dport = 22;
	udp.dport = 53;
	assert_true(matches("proto: tcp", &tcp));
	assert_false(matches("proto: tcp", &udp));
	assert_true(matches("proto: [udp, 47]", &gre));
	assert_true(matches("proto: tcp, dport: 22", &tcp));
	assert_false(matches("proto: tcp, dport: 23", &tcp));
	assert_true(matches("proto: tcp, dport: [80, 20-30]", &tcp));
	assert_true(matches("proto: tcp, sport: 1024-65535, dport: 22", &tcp));
	assert_false(matches("proto: tcp, sport: 0-1023", &tcp));
	assert_true(matches("proto: [tcp, udp], dport: {not: 22}", &udp));
	assert_false(matches("proto: [tcp, udp], dport: {not: 22}", &tcp));
	assert_true(matches("proto: tcp, dport: 0-65535", &tcp));
	/* Ports need a packet that carries them. */
	tcp.has_ports = false;
	assert_false(matches("proto: tcp, dport: 0-65535", &tcp));
	assert_false(matches("proto: tcp, dport: {not: 1}", &tcp));
	assert_true(matches("proto: tcp", &tcp));
	tcp.has_ports = true;
	tcp.frag = EDGEFW_FRAG_LATER;
	assert_false(matches("proto: tcp, dport: 22", &tcp));
	/* An empty port set matches nothing, negated or not. */
	tcp.frag = EDGEFW_FRAG_NONE;
	assert_false(matches("proto: tcp, dport: $noports", &tcp));
	assert_false(matches("proto: tcp, dport: {not: $noports}", &tcp));
}

static void test_icmp_flags(void **state)
{
	struct ef_packet echo = pkt("10.0.0.1", "10.0.0.2", 1);
	struct ef_packet echo6 = pkt("2001:db8::1", "2001:db8::2", 58);
	struct ef_packet syn = pkt("10.0.0.1", "10.0.0.2", 6);

	(void)state;
	echo.icmp_type = 8;
	echo6.icmp_type = 128;
	echo6.icmp_code = 1;
	assert_true(matches("proto: icmp, icmp-type: echo-request", &echo));
	assert_false(matches("proto: icmp, icmp-type: echo-reply", &echo));
	assert_true(matches("proto: icmp, icmp-type: 8, icmp-code: 0", &echo));
	assert_false(matches("proto: icmp, icmp-type: 8, icmp-code: 1", &echo));
	assert_true(matches("proto: icmpv6, icmp-type: echo-request, icmp-code: 1", &echo6));
	assert_false(matches("proto: icmp, icmp-type: 128", &echo6));
	assert_true(matches("proto: [icmp, icmpv6], icmp-type: 128", &echo6));
	echo.has_icmp = false;
	assert_false(matches("proto: icmp, icmp-type: 8", &echo));
	assert_true(matches("proto: icmp", &echo));

	syn.tcp_flags = 0x02;
	assert_true(matches("proto: tcp, tcp-flags: [syn, '!ack']", &syn));
	assert_true(matches("proto: tcp, tcp-flags: '!rst'", &syn));
	syn.tcp_flags = 0x12;
	assert_false(matches("proto: tcp, tcp-flags: [syn, '!ack']", &syn));
	assert_true(matches("proto: tcp, tcp-flags: [syn, ack]", &syn));
	syn.frag = EDGEFW_FRAG_LATER;
	assert_false(matches("proto: tcp, tcp-flags: '!rst'", &syn));
}

static void test_vlan_frag(void **state)
{
	struct ef_packet p = pkt("10.0.0.1", "10.0.0.2", 17);

	(void)state;
	assert_true(matches("vlan: none", &p));
	assert_false(matches("vlan: 0", &p));
	p.vlan = 100;
	assert_true(matches("vlan: 100", &p));
	assert_false(matches("vlan: none", &p));
	assert_false(matches("vlan: 101", &p));
	assert_true(matches("proto: any", &p));

	assert_true(matches("fragment: no", &p));
	assert_false(matches("fragment: yes", &p));
	p.frag = EDGEFW_FRAG_FIRST;
	assert_true(matches("fragment: first", &p));
	assert_true(matches("fragment: yes", &p));
	assert_false(matches("fragment: later", &p));
	assert_false(matches("fragment: no", &p));
	p.frag = EDGEFW_FRAG_LATER;
	assert_true(matches("fragment: later", &p));
	assert_true(matches("fragment: yes", &p));
	assert_false(matches("fragment: first", &p));
}

/* `state` matches the state the tracker gave the packet; a packet of no
 * tracked flow is new when it may start one, else invalid. */
static void test_state(void **state)
{
	struct ef_packet p = pkt("10.0.0.1", "10.0.0.2", 6), u, e;

	(void)state;
	p.ct_state = EDGEFW_CT_ESTABLISHED;
	assert_true(matches("state: [established, related]", &p));
	assert_false(matches("state: new", &p));
	assert_true(matches("proto: tcp", &p));
	p.ct_state = EDGEFW_CT_INVALID;
	assert_true(matches("state: invalid", &p));
	assert_false(matches("state: [new, established, related]", &p));

	p.tcp_flags = 0x02;
	assert_int_equal(ef_ct_untracked_state(&p), EDGEFW_CT_NEW);
	p.tcp_flags = 0x12; /* SYN-ACK */
	assert_int_equal(ef_ct_untracked_state(&p), EDGEFW_CT_INVALID);
	p.tcp_flags = 0x03; /* SYN-FIN */
	assert_int_equal(ef_ct_untracked_state(&p), EDGEFW_CT_INVALID);
	p.tcp_flags = 0x02;
	p.frag = EDGEFW_FRAG_LATER;
	assert_int_equal(ef_ct_untracked_state(&p), EDGEFW_CT_INVALID);
	u = pkt("10.0.0.1", "10.0.0.2", 17);
	assert_int_equal(ef_ct_untracked_state(&u), EDGEFW_CT_NEW);
	e = pkt("10.0.0.1", "10.0.0.2", 1);
	e.icmp_type = 8;
	assert_int_equal(ef_ct_untracked_state(&e), EDGEFW_CT_NEW);
	e.icmp_type = 0;
	assert_int_equal(ef_ct_untracked_state(&e), EDGEFW_CT_INVALID);
	e.icmp_type = 3;
	assert_int_equal(ef_ct_untracked_state(&e), EDGEFW_CT_INVALID);
	e = pkt("fd00::1", "fd00::2", 58);
	e.icmp_type = 2; /* packet too big */
	assert_int_equal(ef_ct_untracked_state(&e), EDGEFW_CT_INVALID);
	e.icmp_type = 128;
	assert_int_equal(ef_ct_untracked_state(&e), EDGEFW_CT_NEW);
	e.icmp_type = 129;
	assert_int_equal(ef_ct_untracked_state(&e), EDGEFW_CT_INVALID);
	assert_string_equal(ef_rule_field_name(EF_RF_STATE), "state");
}

static void test_hooks_interfaces(void **state)
{
	struct ef_packet p = pkt("10.0.0.1", "10.0.0.2", 17);

	(void)state;
	assert_true(matches("hooks: xdp", &p));
	assert_false(matches("hooks: tc-egress", &p));
	assert_true(matches("direction: ingress", &p));
	p.hook = EDGEFW_HOOK_TC_EGRESS;
	assert_true(matches("direction: egress", &p));
	assert_false(matches("direction: ingress", &p));

	/* Without an interface, only rules without 'interfaces' match. */
	assert_false(matches("interfaces: '*'", &p));
	p.ifname = "eth0";
	assert_true(matches("interfaces: '*'", &p));
	assert_true(matches("interfaces: 'eth*'", &p));
	assert_true(matches("interfaces: [wan0, 'eth[0-3]']", &p));
	assert_false(matches("interfaces: 'eth[1-3]'", &p));
	assert_false(matches("interfaces: eth", &p));
	assert_true(matches("proto: any", &p));
}

static void test_decide(void **state)
{
	struct ef_packet p = pkt("10.0.0.1", "10.0.0.2", 6);
	struct ef_decision d;
	struct parsed rs;

	(void)state;
	parse(&rs, "version: 1\n"
		   "defaults: {xdp: drop, tc-ingress: pass, tc-egress: drop}\n"
		   "rules:\n"
		   "  - {name: ssh, proto: tcp, dport: 22, action: pass}\n"
		   "  - {name: frag, fragment: later, action: redirect, to: lo}\n"
		   "  - {name: lan, src: 10.0.0.0/8, action: pass}\n");
	assert_int_equal(rs.ret, 0);
	p.dport = 22;
	d = ef_decide(&rs.rs, &p);
	assert_int_equal(d.by, EF_BY_RULE);
	assert_int_equal(d.rule, 0);
	assert_int_equal(d.action, EDGEFW_ACT_PASS);

	/* First match wins: 'lan' would match too. */
	p.dport = 80;
	d = ef_decide(&rs.rs, &p);
	assert_int_equal(d.rule, 2);

	/* Policy 'rules': a later fragment meets the rules without ports. */
	p.dport = 22;
	p.frag = EDGEFW_FRAG_LATER;
	d = ef_decide(&rs.rs, &p);
	assert_int_equal(d.by, EF_BY_RULE);
	assert_int_equal(d.rule, 1);
	assert_int_equal(d.action, EDGEFW_ACT_REDIRECT);

	/* No rule: the hook's default. */
	p = pkt("192.0.2.1", "10.0.0.2", 17);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		p.hook = h;
		d = ef_decide(&rs.rs, &p);
		assert_int_equal(d.by, EF_BY_DEFAULT);
		assert_int_equal(d.rule, -1);
		assert_int_equal(d.action, rs.rs.default_action[h]);
	}
	assert_int_equal(rs.rs.default_action[EDGEFW_HOOK_TC_INGRESS], EDGEFW_ACT_PASS);
	done(&rs);

	/* Policies pass and drop decide later fragments before the rules. */
	parse(&rs, "version: 1\ndefaults: {fragments: drop}\n"
		   "rules:\n  - {name: all, action: pass}\n");
	p.frag = EDGEFW_FRAG_LATER;
	d = ef_decide(&rs.rs, &p);
	assert_int_equal(d.by, EF_BY_FRAG_POLICY);
	assert_int_equal(d.rule, -1);
	assert_int_equal(d.action, EDGEFW_ACT_DROP);
	p.frag = EDGEFW_FRAG_FIRST;
	assert_int_equal(ef_decide(&rs.rs, &p).by, EF_BY_RULE);
	done(&rs);
	parse(&rs, "version: 1\ndefaults: {fragments: pass, xdp: drop}\n");
	p.frag = EDGEFW_FRAG_LATER;
	d = ef_decide(&rs.rs, &p);
	assert_int_equal(d.by, EF_BY_FRAG_POLICY);
	assert_int_equal(d.action, EDGEFW_ACT_PASS);
	done(&rs);
}

static void test_field_names(void **state)
{
	(void)state;
	assert_string_equal(ef_rule_field_name(EF_RF_HOOK), "hooks");
	assert_string_equal(ef_rule_field_name(EF_RF_TCP_FLAGS), "tcp-flags");
	assert_string_equal(ef_rule_field_name(EF_RF_FRAG), "fragment");
	assert_string_equal(ef_rule_field_name(EF_RF_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),        cmocka_unit_test(test_proto_ports),
		cmocka_unit_test(test_icmp_flags),       cmocka_unit_test(test_vlan_frag),
		cmocka_unit_test(test_hooks_interfaces), cmocka_unit_test(test_state),
		cmocka_unit_test(test_decide),           cmocka_unit_test(test_field_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
