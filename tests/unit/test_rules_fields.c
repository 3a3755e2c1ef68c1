// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The match fields of a rule: every accepted form, every error and warning
 * at its exact position. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ruleset.h"
#include "ruletest.h"

/* One rule on line 3; its first field after the name starts at column 15. */
#define R(fields) "version: 1\nrules:\n  - {name: a, " fields "}\n"

/* Parses R(fields), asserting success, into p. */
static const struct ef_rule *rule_of(struct parsed *p, const char *yaml)
{
	parse(p, yaml);
	if (p->ret)
		ef_diag_print(&p->d, stderr);
	assert_int_equal(p->ret, 0);
	assert_int_equal(p->rs.n_rules, 1);
	return &p->rs.rules[0];
}

static void test_unwritten_fields(void **state)
{
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	r = rule_of(&p, R("action: drop"));
	assert_int_equal(r->hooks, EF_HOOKS_ALL);
	assert_int_equal(r->n_ifaces, 0);
	assert_true(r->src.any && r->dst.any && r->proto_any);
	assert_true(r->sport.any && r->dport.any);
	assert_int_equal(r->icmp_type, -1);
	assert_int_equal(r->icmp_code, -1);
	assert_int_equal(r->tcp_flags_mask, 0);
	assert_int_equal(r->vlan, EF_VLAN_ANY);
	assert_int_equal(r->frag, EF_FRAG_ANY);
	done(&p);
}

static void test_hooks(void **state)
{
	static const struct diag_case errors[] = {
		{ R("hooks: [xpd], action: drop"), 3, 23,
		  "hooks: 'xpd' is not a hook (xdp, tc-ingress, tc-egress); did you mean 'xdp'?" },
		{ R("hooks: [], action: drop"), 3, 22, "hooks is an empty list" },
		{ R("hooks: {xdp: 1}, action: drop"), 3, 22,
		  "hooks must be a scalar or a list, not a mapping" },
		{ R("hooks: xdp, direction: ingress, action: drop"), 3, 27,
		  "'hooks' and 'direction' together: use one" },
		{ R("direction: in, action: drop"), 3, 26,
		  "direction 'in' is not one of: ingress, egress" },
	};
	struct parsed p;

	(void)state;
	assert_int_equal(rule_of(&p, R("hooks: xdp, action: drop"))->hooks, 1u << EDGEFW_HOOK_XDP);
	done(&p);
	assert_int_equal(rule_of(&p, R("hooks: [tc-ingress, tc-egress], action: drop"))->hooks,
			 1u << EDGEFW_HOOK_TC_INGRESS | 1u << EDGEFW_HOOK_TC_EGRESS);
	done(&p);
	assert_int_equal(rule_of(&p, R("direction: ingress, action: drop"))->hooks,
			 1u << EDGEFW_HOOK_XDP | 1u << EDGEFW_HOOK_TC_INGRESS);
	done(&p);
	assert_int_equal(rule_of(&p, R("direction: egress, action: drop"))->hooks,
			 1u << EDGEFW_HOOK_TC_EGRESS);
	done(&p);
	expect_errors(errors, N_CASES(errors));
	expect_warning(R("hooks: [xdp, xdp], action: drop"), 3, 28, "hooks: duplicate entry xdp");
}

static void test_interfaces(void **state)
{
	static const struct diag_case errors[] = {
		{ R("interfaces: 'eth0/1', action: drop"), 3, 27,
		  "interfaces: 'eth0/1' is not a valid interface name or pattern" },
		{ R("interfaces: [eth0, 'a:b'], action: drop"), 3, 34, "'a:b' is not a valid" },
		{ R("interfaces: 'a b', action: drop"), 3, 27, "'a b' is not a valid" },
		{ R("interfaces: abcdefghijklmnop, action: drop"), 3, 27,
		  "'abcdefghijklmnop' is not a valid" },
		{ R("interfaces: '..', action: drop"), 3, 27, "'..' is not a valid" },
		{ R("interfaces: [], action: drop"), 3, 27, "interfaces is an empty list" },
	};
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	r = rule_of(&p, R("interfaces: eth0, action: drop"));
	assert_int_equal(r->n_ifaces, 1);
	assert_string_equal(r->ifaces[0], "eth0");
	done(&p);
	r = rule_of(&p, R("interfaces: ['eth*', 'wan[0-9]', abcdefghijklmno], action: drop"));
	assert_int_equal(r->n_ifaces, 3);
	assert_string_equal(r->ifaces[1], "wan[0-9]");
	assert_string_equal(r->ifaces[2], "abcdefghijklmno");
	done(&p);
	expect_errors(errors, N_CASES(errors));
	expect_warning(R("interfaces: [eth0, eth0], action: drop"), 3, 34,
		       "interfaces: duplicate entry eth0");
}

static void test_proto(void **state)
{
	static const struct {
		const char *word;
		int num;
	} names[] = {
		{ "tcp", 6 },     { "udp", 17 },  { "sctp", 132 },     { "icmp", 1 },
		{ "icmpv6", 58 }, { "gre", 47 },  { "esp", 50 },       { "ah", 51 },
		{ "ipip", 4 },    { "ipv6", 41 }, { "ipv6-icmp", 58 }, { "0", 0 },
		{ "255", 255 },   { "'47'", 47 },
	};
	static const struct diag_case errors[] = {
		{ R("proto: tpc, action: drop"), 3, 22,
		  "proto: 'tpc' is not a protocol name or a number from 0 to 255; did you mean 'tcp'?" },
		{ R("proto: 256, action: drop"), 3, 22, "proto: '256' is not a protocol name" },
		{ R("proto: -1, action: drop"), 3, 22, "proto: '-1' is not" },
		{ R("proto: 06, action: drop"), 3, 22, "proto: '06' is not" },
		{ R("proto: [tcp, any], action: drop"), 3, 28,
		  "proto: 'any' cannot be combined with other protocols" },
		{ R("proto: [], action: drop"), 3, 22, "proto is an empty list" },
	};
	struct parsed p;
	const struct ef_rule *r;
	char yaml[128];

	(void)state;
	for (size_t i = 0; i < N_CASES(names); i++) {
		snprintf(yaml, sizeof(yaml), R("proto: %s, action: drop"), names[i].word);
		r = rule_of(&p, yaml);
		assert_false(r->proto_any);
		assert_true(ef_rule_has_proto(r, (uint8_t)names[i].num));
		assert_false(ef_rule_has_proto(r, (uint8_t)(names[i].num + 1)));
		done(&p);
	}
	r = rule_of(&p, R("proto: [tcp, udp, 47], action: drop"));
	assert_true(ef_rule_has_proto(r, 6) && ef_rule_has_proto(r, 17) &&
		    ef_rule_has_proto(r, 47));
	assert_false(ef_rule_has_proto(r, 1));
	done(&p);
	assert_true(rule_of(&p, R("proto: any, action: drop"))->proto_any);
	done(&p);
	expect_errors(errors, N_CASES(errors));
	expect_warning(R("proto: [tcp, 6], action: drop"), 3, 28,
		       "proto: duplicate entry 6 (protocol 6)");
	/* IPv6 extension headers are walked, never matched as proto. */
	expect_warning(R("proto: 44, action: drop"), 3, 22, "proto 44 is an IPv6 extension header");
	expect_warning(
		R("proto: [tcp, ah], action: drop"), 3, 22,
		"proto ah is an IPv6 extension header: for IPv6 edgefw matches the protocol after the extension headers, so ah matches only IPv4 packets");
	expect_clean(R("src: 10.0.0.0/8, proto: ah, action: drop"));
}

static void test_ports(void **state)
{
	static const struct diag_case errors[] = {
		{ R("proto: tcp, dport: 65536, action: drop"), 3, 34,
		  "dport: port 65536 is outside 0-65535" },
		{ R("proto: tcp, dport: 99999999999999999999, action: drop"), 3, 34,
		  "is outside 0-65535" },
		{ R("proto: tcp, dport: 90-80, action: drop"), 3, 34,
		  "dport: port range 90-80 is inverted: write 80-90" },
		{ R("proto: tcp, sport: [1, 2-1], action: drop"), 3, 38,
		  "sport: port range 2-1 is inverted" },
		{ R("proto: tcp, dport: http, action: drop"), 3, 34,
		  "dport: 'http' is not a port: write a number from 0 to 65535, a range like 1024-65535, or a $set" },
		{ R("proto: tcp, dport: -1, action: drop"), 3, 34, "dport: '-1' is not a port" },
		{ R("proto: tcp, dport: 80-, action: drop"), 3, 34, "dport: '80-' is not a port" },
		{ R("proto: tcp, dport: '1:2', action: drop"), 3, 34,
		  "dport: '1:2' is not a port" },
		{ R("proto: tcp, dport: 080, action: drop"), 3, 34,
		  "dport: port '080' has a leading zero" },
		{ R("proto: tcp, dport: any, action: drop"), 3, 34,
		  "dport: 'any' is not a port: leave dport out to match every port" },
		{ R("proto: tcp, dport: [], action: drop"), 3, 34, "dport is an empty list" },
		{ R("proto: tcp, dport: {not: []}, action: drop"), 3, 40,
		  "dport is an empty list" },
		{ R("proto: tcp, dport: {nt: 1}, action: drop"), 3, 34,
		  "dport must be a value, a $set, a list of them, or {not: ...}" },
		{ R("proto: tcp, dport: {nt: 1}, action: drop"), 3, 35,
		  "unknown key 'nt' in dport; did you mean 'not'?" },
		{ R("proto: tcp, dport: {not: {not: 1}}, action: drop"), 3, 40,
		  "dport: 'not' takes a value or a list, not a mapping (negations do not nest)" },
		{ R("proto: tcp, dport: [[80]], action: drop"), 3, 35,
		  "dport: each item must be a scalar, not a sequence" },
		/* Ports exist only in TCP, UDP and SCTP. */
		{ R("dport: 80, action: drop"), 3, 15,
		  "dport needs 'proto: tcp', 'udp' or 'sctp' (or a list of them)" },
		{ R("sport: 80, proto: any, action: drop"), 3, 15, "sport needs 'proto: tcp'" },
		{ R("proto: [tcp, icmp], sport: 80, action: drop"), 3, 35,
		  "sport needs proto limited to tcp, udp and sctp, but proto also lists icmp" },
		{ R("proto: [udp, 47], dport: 80, action: drop"), 3, 33,
		  "but proto also lists gre" },
	};
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	r = rule_of(&p, R("proto: tcp, dport: 80, action: drop"));
	assert_false(r->dport.any);
	assert_false(r->dport.negate);
	assert_int_equal(r->dport.n, 1);
	assert_int_equal(r->dport.v[0].lo, 80);
	assert_int_equal(r->dport.v[0].hi, 80);
	assert_int_equal(r->dport.line, 3);
	assert_int_equal(r->dport.col, 34);
	assert_true(r->sport.any);
	done(&p);
	r = rule_of(
		&p,
		R("proto: [udp, sctp], sport: '1024-65535', dport: [0, 53, 100 - 200, 65535], action: drop"));
	assert_int_equal(r->sport.v[0].lo, 1024);
	assert_int_equal(r->sport.v[0].hi, 65535);
	assert_int_equal(r->dport.n, 4);
	assert_int_equal(r->dport.v[0].lo, 0);
	assert_int_equal(r->dport.v[2].lo, 100);
	assert_int_equal(r->dport.v[2].hi, 200);
	assert_int_equal(r->dport.v[3].hi, 65535);
	assert_int_equal(r->dport.n_parts, 4);
	assert_int_equal(r->dport.parts[3].set, -1);
	done(&p);
	r = rule_of(&p, R("proto: tcp, dport: {not: [22, 80]}, action: drop"));
	assert_true(r->dport.negate);
	assert_int_equal(r->dport.n, 2);
	done(&p);
	expect_errors(errors, N_CASES(errors));
	expect_warning(R("proto: tcp, dport: [80, 80], action: drop"), 3, 39,
		       "dport: duplicate entry 80 (also at 3:35)");
	expect_warning(R("proto: tcp, dport: [80-90, 85], action: drop"), 3, 42,
		       "dport: 85 is already covered by 80-90 (at 3:35)");
	expect_warning(R("proto: tcp, dport: [85-95, 80-90], action: drop"), 3, 42,
		       "dport: 80-90 overlaps 85-95 (at 3:35)");
	expect_clean(R("proto: tcp, dport: [80-90, 91-95], action: drop"));
}

static void test_icmp(void **state)
{
	static const struct {
		const char *fields;
		int type, code;
	} ok[] = {
		{ "proto: icmp, icmp-type: echo-request", 8, -1 },
		{ "proto: icmpv6, icmp-type: echo-request", 128, -1 },
		{ "proto: icmp, icmp-type: echo-reply, icmp-code: 0", 0, 0 },
		{ "proto: icmp, icmp-type: destination-unreachable, icmp-code: port-unreachable", 3,
		  3 },
		{ "proto: icmpv6, icmp-type: destination-unreachable, icmp-code: port-unreachable",
		  1, 4 },
		{ "proto: icmp, icmp-type: 3, icmp-code: fragmentation-needed", 3, 4 },
		{ "proto: icmpv6, icmp-type: packet-too-big", 2, -1 },
		{ "proto: icmpv6, icmp-type: time-exceeded, icmp-code: hop-limit-exceeded", 3, 0 },
		{ "proto: [icmp, icmpv6], icmp-type: 255, icmp-code: 255", 255, 255 },
		{ "proto: [icmp, 58], icmp-type: '8'", 8, -1 },
	};
	static const struct diag_case errors[] = {
		{ R("proto: [icmp, icmpv6], icmp-type: echo-request, action: pass"), 3, 49,
		  "icmp-type 'echo-request' is 8 for icmp but 128 for icmpv6: write one rule per protocol" },
		{ R("proto: [icmp, icmpv6], icmp-type: source-quench, action: pass"), 3, 49,
		  "icmp-type 'source-quench' is only an icmp name: write one rule per protocol" },
		{ R("proto: [icmpv6, icmp], icmp-type: packet-too-big, action: pass"), 3, 49,
		  "is only an icmpv6 name" },
		{ R("proto: icmp, icmp-code: 3, action: pass"), 3, 28,
		  "icmp-code needs icmp-type: a code means something only under a type" },
		{ R("icmp-type: 8, action: pass"), 3, 15,
		  "icmp-type needs 'proto: icmp' or 'proto: icmpv6' (or both)" },
		{ R("proto: [icmp, tcp], icmp-type: 8, action: pass"), 3, 35,
		  "icmp-type needs proto limited to icmp and icmpv6, but proto also lists tcp" },
		{ R("proto: icmp, icmp-type: echo-reqest, action: pass"), 3, 39,
		  "icmp-type 'echo-reqest' is not a number from 0 to 255 or a known name; did you mean 'echo-request'?" },
		{ R("proto: icmp, icmp-type: 256, action: pass"), 3, 39, "icmp-type '256' is not" },
		{ R("proto: icmp, icmp-type: packet-too-big, action: pass"), 3, 39,
		  "icmp-type 'packet-too-big' is not" },
		{ R("proto: icmp, icmp-type: 8, icmp-code: port-unreachable, action: pass"), 3, 53,
		  "icmp-code 'port-unreachable' is not a number from 0 to 255 or a known name for this type" },
		{ R("proto: icmp, icmp-type: [8], action: pass"), 3, 39,
		  "icmp-type must be a scalar, not a sequence" },
	};
	struct parsed p;
	const struct ef_rule *r;
	char yaml[256];

	(void)state;
	for (size_t i = 0; i < N_CASES(ok); i++) {
		snprintf(yaml, sizeof(yaml), R("%s, action: pass"), ok[i].fields);
		r = rule_of(&p, yaml);
		assert_int_equal(r->icmp_type, ok[i].type);
		assert_int_equal(r->icmp_code, ok[i].code);
		done(&p);
	}
	expect_errors(errors, N_CASES(errors));
	/* Neighbour discovery never reaches the rules over IPv6. */
	expect_warning(
		R("proto: icmpv6, icmp-type: neighbor-solicitation, action: drop"), 3, 41,
		"ICMPv6 type 135 is neighbour discovery, which defaults.non-ip decides before the rules");
	expect_clean(R("proto: icmpv6, icmp-type: 128, action: drop"));
}

static void test_tcp_flags(void **state)
{
	static const struct diag_case errors[] = {
		{ R("proto: tcp, tcp-flags: [sny], action: pass"), 3, 39,
		  "tcp-flags: 'sny' is not a TCP flag (fin, syn, rst, psh, ack, urg, ece, cwr; '!' before one means clear); did you mean 'syn'?" },
		{ R("proto: tcp, tcp-flags: [SYN], action: pass"), 3, 39, "did you mean 'syn'?" },
		{ R("proto: tcp, tcp-flags: [syn, '!syn'], action: pass"), 3, 44,
		  "tcp-flags: syn is both required and excluded" },
		{ R("tcp-flags: syn, action: pass"), 3, 15, "tcp-flags needs 'proto: tcp'" },
		{ R("proto: [tcp, udp], tcp-flags: syn, action: pass"), 3, 34,
		  "tcp-flags needs 'proto: tcp'" },
		/* YAML reads a bare !ack as a tag on an empty scalar. */
		{ "version: 1\nrules:\n  - name: a\n    proto: tcp\n    tcp-flags:\n"
		  "      - syn\n      - !ack\n    action: pass\n",
		  7, 9, "tag '!ack' is not supported" },
		{ R("proto: tcp, tcp-flags: [syn, ''], action: pass"), 3, 44,
		  "tcp-flags: empty flag name; to require a flag to be clear, quote it: \"!ack\"" },
		{ R("proto: tcp, tcp-flags: [], action: pass"), 3, 38,
		  "tcp-flags is an empty list" },
	};
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	r = rule_of(&p, R("proto: tcp, tcp-flags: [syn, '!ack'], action: pass"));
	assert_int_equal(r->tcp_flags_mask, 0x12);
	assert_int_equal(r->tcp_flags_value, 0x02);
	done(&p);
	r = rule_of(
		&p,
		R("proto: 6, tcp-flags: [fin, syn, rst, psh, ack, urg, ece, cwr], action: pass"));
	assert_int_equal(r->tcp_flags_mask, 0xff);
	assert_int_equal(r->tcp_flags_value, 0xff);
	done(&p);
	r = rule_of(&p, R("proto: tcp, tcp-flags: '!rst', action: pass"));
	assert_int_equal(r->tcp_flags_mask, 0x04);
	assert_int_equal(r->tcp_flags_value, 0);
	done(&p);
	expect_errors(errors, N_CASES(errors));
	expect_warning(R("proto: tcp, tcp-flags: [syn, syn], action: pass"), 3, 44,
		       "tcp-flags: duplicate entry syn");
}

static void test_vlan(void **state)
{
	static const struct diag_case errors[] = {
		{ R("vlan: 4096, action: drop"), 3, 21,
		  "vlan '4096' is not an id from 0 to 4095 or 'none' (untagged frames)" },
		{ R("vlan: -1, action: drop"), 3, 21, "vlan '-1' is not an id" },
		{ R("vlan: untagged, action: drop"), 3, 21, "vlan 'untagged' is not an id" },
		{ R("vlan: [1, 2], action: drop"), 3, 21,
		  "vlan takes one id or 'none', not a list: write one rule per VLAN" },
	};
	struct parsed p;

	(void)state;
	assert_int_equal(rule_of(&p, R("vlan: 0, action: drop"))->vlan, 0);
	done(&p);
	assert_int_equal(rule_of(&p, R("vlan: 4095, action: drop"))->vlan, 4095);
	done(&p);
	assert_int_equal(rule_of(&p, R("vlan: none, action: drop"))->vlan, EF_VLAN_UNTAGGED);
	done(&p);
	expect_errors(errors, N_CASES(errors));
}

static void test_state_track(void **state)
{
	static const struct diag_case errors[] = {
		{ R("state: [estab], action: pass"), 3, 23,
		  "state 'estab' is not one of: new, established, related, invalid" },
		{ R("track: yes, action: pass"), 3, 22, "track must be true or false, not 'yes'" },
		{ R("track: true, action: drop"), 3, 15,
		  "track applies only to rules with 'action: pass': rule 'a' drops its packets, so they start no flow" },
		{ R("track: true, state: established, action: pass"), 3, 15,
		  "'track: true' records new flows, but rule 'a' matches only state established/related/invalid packets" },
		{ R("fragment: later, state: established, action: drop"), 3, 32,
		  "'fragment: later' with state can never match" },
	};
	static const struct diag_case warnings[] = {
		{ R("state: [new, new], action: pass"), 3, 28, "state 'new' is listed twice" },
		{ R("state: [new, established, related, invalid], action: pass"), 3, 22,
		  "state lists every state" },
	};
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	r = rule_of(&p, R("action: pass"));
	assert_int_equal(r->states, 0);
	assert_int_equal(r->track, EF_TRACK_DEFAULT);
	assert_int_equal(ef_ruleset_ct_mode(&p.rs), 0);
	done(&p);
	r = rule_of(&p, R("state: new, track: true, action: pass"));
	assert_int_equal(r->states, 1u << EDGEFW_CT_NEW);
	assert_int_equal(r->track, EF_TRACK_YES);
	assert_int_equal(ef_ruleset_ct_mode(&p.rs),
			 EDGEFW_CT_MODE_STATE | EDGEFW_CT_MODE_INGRESS_TRACK);
	assert_int_equal(ef_ruleset_ct_first(&p.rs), EDGEFW_CT_MODE_FIRST(EDGEFW_CT_NEW));
	done(&p);
	r = rule_of(&p, R("state: [established, related], track: false, action: pass"));
	assert_int_equal(r->states, (1u << EDGEFW_CT_ESTABLISHED) | (1u << EDGEFW_CT_RELATED));
	assert_int_equal(r->track, EF_TRACK_NO);
	assert_int_equal(ef_ruleset_ct_first(&p.rs),
			 EDGEFW_CT_MODE_FIRST(EDGEFW_CT_ESTABLISHED) |
				 EDGEFW_CT_MODE_FIRST(EDGEFW_CT_RELATED));
	done(&p);
	/* The first rule decides a state alone only when state is all it
	 * reads: any other field, or a log event, needs the classifier. */
	rule_of(&p, R("state: established, proto: tcp, action: pass"));
	assert_int_equal(ef_ruleset_ct_first(&p.rs), 0);
	done(&p);
	rule_of(&p, R("state: established, hooks: [xdp], action: pass"));
	assert_int_equal(ef_ruleset_ct_first(&p.rs), EDGEFW_CT_MODE_FIRST(EDGEFW_CT_ESTABLISHED));
	done(&p);
	rule_of(&p, R("state: established, interfaces: [eth0], action: pass"));
	assert_int_equal(ef_ruleset_ct_first(&p.rs), 0);
	done(&p);
	rule_of(&p, R("state: established, log: true, action: pass"));
	assert_int_equal(ef_ruleset_ct_first(&p.rs), 0);
	done(&p);
	rule_of(&p, R("action: pass"));
	assert_int_equal(ef_ruleset_ct_first(&p.rs), 0);
	done(&p);
	/* track without any state rule records nothing: no mode, a warning. */
	r = rule_of(&p, R("track: true, action: pass"));
	assert_int_equal(ef_ruleset_ct_mode(&p.rs), 0);
	expect_diag(&p, EF_SEV_WARNING, 3, 15, "track has no effect");
	done(&p);
	expect_errors(errors, N_CASES(errors));
	expect_warnings(warnings, N_CASES(warnings));
	expect_clean(R("fragment: later, state: invalid, action: drop"));
}

static void test_fragment(void **state)
{
	static const struct {
		const char *word;
		uint8_t frag;
	} ok[] = {
		{ "no", EF_FRAG_NO },
		{ "first", EF_FRAG_FIRST },
		{ "later", EF_FRAG_LATER },
		{ "yes", EF_FRAG_YES },
	};
	static const struct diag_case errors[] = {
		{ R("fragment: maybe, action: drop"), 3, 25,
		  "fragment 'maybe' is not one of: no, first, later, yes" },
		{ R("fragment: later, proto: tcp, dport: 80, action: drop"), 3, 15,
		  "'fragment: later' with sport, dport, icmp-type or tcp-flags can never match: a non-first fragment carries no L4 header" },
		{ R("fragment: later, proto: icmp, icmp-type: 8, action: drop"), 3, 15,
		  "'fragment: later' with" },
		{ R("fragment: later, proto: tcp, tcp-flags: syn, action: drop"), 3, 15,
		  "'fragment: later' with" },
	};
	struct parsed p;
	char yaml[128];

	(void)state;
	for (size_t i = 0; i < N_CASES(ok); i++) {
		snprintf(yaml, sizeof(yaml), R("fragment: %s, action: drop"), ok[i].word);
		assert_int_equal(rule_of(&p, yaml)->frag, ok[i].frag);
		done(&p);
	}
	expect_errors(errors, N_CASES(errors));
	expect_clean(R("fragment: first, proto: tcp, dport: 80, action: drop"));
	/* Later fragments never reach the rules when the policy decides them. */
	expect_warning("version: 1\ndefaults: {fragments: drop}\nrules:\n"
		       "  - {name: a, fragment: later, action: pass}\n",
		       4, 15, "rule 'a' can never match: defaults.fragments is 'drop'");
	expect_clean("version: 1\ndefaults: {fragments: pass}\nrules:\n"
		     "  - {name: a, fragment: yes, action: drop}\n");
}

static void test_redirect_and_log_any_action(void **state)
{
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	r = rule_of(&p, R("action: redirect, to: 'veth-scrub.1', log: true"));
	assert_int_equal(r->action, EDGEFW_ACT_REDIRECT);
	assert_string_equal(r->redirect_ifname, "veth-scrub.1");
	assert_true(r->log);
	done(&p);
	assert_true(rule_of(&p, R("action: pass, log: true"))->log);
	done(&p);
	expect_error(R("action: redirect, to: ''"), 3, 37, "'' is not a valid interface name");
	expect_error(R("action: redirect, to: 'eth*'"), 3, 37,
		     "'eth*' is a pattern: a redirect goes to one interface");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwritten_fields),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_fragment),
		cmocka_unit_test(test_state_track),
		cmocka_unit_test(test_redirect_and_log_any_action),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
