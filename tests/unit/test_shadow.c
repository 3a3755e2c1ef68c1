// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Rules that can never match: shadowing by an earlier rule, field by field,
 * and only when it is proven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "matcher.h"
#include "ruletest.h"

/* Rule a on line 3, rule b on line 4. */
#define AB(a, b)                                                   \
	"version: 1\nrules:\n  - {name: a, " a ", action: drop}\n" \
	"  - {name: b, " b ", action: pass}\n"

#define SHADOWED "rule 'b' can never match: rule 'a' (line 3) matches every packet it does"

/* Pairs where rule a covers everything rule b matches. */
static const char *const covered[][2] = {
	{ "src: 10.0.0.0/8", "src: 10.1.0.0/16" },
	{ "src: 10.0.0.0/8", "src: [10.1.0.0/16, 10.2.3.4]" },
	{ "src: [0.0.0.0/1, 128.0.0.0/1]", "src: 10.0.0.0/8, dst: 192.0.2.0/24" },
	{ "src: [0.0.0.0/0, '::/0']", "proto: tcp" },
	{ "src: 0.0.0.0/0", "dst: 10.0.0.0/8" },
	{ "dst: {not: 192.0.2.0/24}", "dst: 198.51.100.0/24" },
	{ "dst: {not: 192.0.2.0/24}", "dst: {not: [192.0.0.0/16, 10.0.0.0/8]}" },
	{ "src: [0.0.0.0/1, 192.0.0.0/2]", "src: {not: 128.0.0.0/2}" },
	{ "proto: any", "proto: tcp" },
	{ "proto: [tcp, udp]", "proto: udp, dport: 53" },
	{ "proto: tcp, dport: 1-1024", "proto: tcp, dport: [22, 80, 443]" },
	{ "proto: tcp, dport: [1-100, 101-200]", "proto: tcp, dport: 50-150" },
	{ "proto: tcp, dport: {not: 22}", "proto: tcp, dport: [80, 443]" },
	{ "proto: tcp, dport: {not: 22}", "proto: tcp, dport: {not: [20-25]}" },
	{ "proto: tcp, dport: [0-21, 23-65535]", "proto: tcp, dport: {not: 22}" },
	{ "proto: icmp", "proto: icmp, icmp-type: 8" },
	{ "proto: icmp, icmp-type: 3", "proto: icmp, icmp-type: 3, icmp-code: 1" },
	{ "proto: tcp, tcp-flags: syn", "proto: tcp, tcp-flags: [syn, '!ack']" },
	{ "vlan: 5, proto: udp", "vlan: 5, proto: udp, dport: 53" },
	{ "fragment: yes", "fragment: first" },
	{ "fragment: yes", "fragment: later" },
	{ "hooks: [xdp, tc-ingress]", "hooks: xdp" },
	{ "direction: ingress", "hooks: tc-ingress" },
	{ "interfaces: 'eth*'", "interfaces: [eth0, eth1]" },
	{ "interfaces: [eth0, 'wan*']", "interfaces: ['wan*']" },
	{ "proto: any", "interfaces: eth0, vlan: none, src: 10.0.0.0/8" },
	{ "src: $s", "src: [$s]" },
};

/* Pairs where rule b still matches something rule a does not. */
static const char *const not_covered[][2] = {
	{ "src: 10.0.0.0/8", "src: 10.0.0.0/7" },
	{ "src: 10.0.0.0/8", "src: [10.1.0.0/16, 11.0.0.0/8]" },
	{ "src: 10.0.0.0/8", "proto: tcp" },
	{ "src: 0.0.0.0/0", "proto: tcp" }, /* IPv6 too */
	{ "dst: {not: 192.0.2.0/24}", "dst: 192.0.0.0/16" },
	{ "dst: {not: 192.0.2.0/24}", "proto: udp" },
	{ "dst: {not: [192.0.0.0/16]}", "dst: {not: 192.0.2.0/24}" },
	{ "src: [0.0.0.0/1]", "src: {not: 128.0.0.0/2}" },
	{ "proto: tcp", "proto: [tcp, udp]" },
	{ "proto: tcp", "dst: 10.0.0.0/8" },
	{ "proto: tcp, dport: 0-65535", "proto: tcp" }, /* later fragments */
	{ "proto: tcp, dport: 1-100", "proto: tcp, dport: 50-150" },
	{ "proto: tcp, dport: {not: 22}", "proto: tcp, dport: 20-25" },
	{ "proto: tcp, dport: {not: [20-25]}", "proto: tcp, dport: {not: 22}" },
	{ "proto: icmp, icmp-type: 8", "proto: icmp" },
	{ "proto: icmp, icmp-type: 8", "proto: icmp, icmp-type: 0" },
	{ "proto: tcp, tcp-flags: [syn, '!ack']", "proto: tcp, tcp-flags: syn" },
	{ "proto: tcp, tcp-flags: syn", "proto: tcp, tcp-flags: '!syn'" },
	{ "vlan: 5", "vlan: 6" },
	{ "vlan: 5", "vlan: none" },
	{ "fragment: first", "fragment: yes" },
	{ "fragment: no", "proto: tcp" },
	{ "hooks: xdp", "direction: ingress" },
	{ "interfaces: eth0", "proto: tcp" },
	{ "interfaces: 'eth*'", "interfaces: 'eth1*'" }, /* globs are not compared */
	{ "src: $e", "src: 10.0.0.0/8" },
};

/* Rule a then rule b, from each pair; b must be reported shadowed by a
 * exactly when `shadowed`. */
static void check_pairs(const char *const (*pairs)[2], size_t n, bool shadowed)
{
	char yaml[512];
	struct parsed p;

	for (size_t i = 0; i < n; i++) {
		snprintf(yaml, sizeof(yaml),
			 "version: 1\nrules:\n  - {name: a, %s, action: drop}\n"
			 "  - {name: b, %s, action: pass}\n"
			 "sets: {s: {addresses: [10.0.0.0/8]}, e: {addresses: []}}\n",
			 pairs[i][0], pairs[i][1]);
		parse(&p, yaml);
		assert_int_equal(p.ret, 0);
		if (shadowed != !!find_diag(&p, EF_SEV_WARNING, 4, 5,
					    shadowed ? SHADOWED : "can never match")) {
			ef_diag_print(&p.d, stderr);
			fail_msg("rule b %s in:\n%s",
				 shadowed ? "not reported shadowed" : "reported unreachable", yaml);
		}
		done(&p);
	}
}

static void test_shadowed(void **state)
{
	(void)state;
	check_pairs(covered, N_CASES(covered), true);
}

static void test_not_shadowed(void **state)
{
	(void)state;
	check_pairs(not_covered, N_CASES(not_covered), false);
}

static void test_order_and_first_cover(void **state)
{
	struct parsed p;

	(void)state;
	/* A later rule never shadows an earlier one. */
	parse(&p, AB("src: 10.1.0.0/16", "src: 10.0.0.0/8"));
	assert_int_equal(p.d.n, 0);
	done(&p);
	/* The first covering rule is named, once. */
	parse(&p, "version: 1\nrules:\n"
		  "  - {name: x, src: 10.0.0.0/8, action: drop}\n"
		  "  - {name: y, src: 10.0.0.0/8, action: pass}\n"
		  "  - {name: z, src: 10.1.0.0/16, action: pass}\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.warnings, 2);
	expect_diag(&p, EF_SEV_WARNING, 4, 5,
		    "rule 'y' can never match: rule 'x' (line 3) matches every packet it does");
	expect_diag(&p, EF_SEV_WARNING, 5, 5, "rule 'z' can never match: rule 'x' (line 3)");
	done(&p);
}

static void test_dead_rules(void **state)
{
	struct parsed p;

	(void)state;
	expect_warning(
		AB("proto: tcp", "src: 10.0.0.0/8, dst: '2001:db8::/32'"), 4, 5,
		"rule 'b' can never match: its src and dst have no address family in common");
	/* A rule that matches nothing covers nothing. */
	parse(&p, "version: 1\nsets: {e: {addresses: []}}\nrules:\n"
		  "  - {name: a, src: $e, action: drop}\n"
		  "  - {name: b, src: $e, action: pass}\n");
	assert_int_equal(p.ret, 0);
	expect_no_diag(&p, EF_SEV_WARNING, "matches every packet");
	done(&p);
}

/* Many rules with a big set: one sort per rule, not a prefix-by-prefix
 * comparison, so this is quick even under the sanitizers. */
static void test_big_sets(void **state)
{
	size_t cap = 4u << 20, used = 0;
	char *yaml = malloc(cap);
	struct parsed p;

	(void)state;
	assert_non_null(yaml);
	used += (size_t)snprintf(yaml, cap, "version: 1\nsets:\n  big:\n    addresses:\n");
	for (unsigned i = 0; i < 6000; i++)
		used += (size_t)snprintf(yaml + used, cap - used, "      - 10.%u.%u.0/24\n", i >> 8,
					 i & 255);
	used += (size_t)snprintf(yaml + used, cap - used,
				 "rules:\n  - {name: big, src: $big, action: drop}\n");
	for (unsigned i = 0; i < 100; i++)
		used += (size_t)snprintf(
			yaml + used, cap - used,
			"  - {name: r%u, src: $big, proto: udp, dport: %u, action: pass}\n", i, i);
	used += (size_t)snprintf(yaml + used, cap - used,
				 "  - {name: last, src: 11.0.0.0/8, action: pass}\n");
	parse(&p, yaml);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.d.warnings, 100);
	expect_diag(&p, EF_SEV_WARNING, 6007, 5,
		    "rule 'r0' can never match: rule 'big' (line 6006)");
	done(&p);
	free(yaml);
}

/* ---- soundness on random rulesets ----------------------------------- */

static uint64_t rng = 88172645463325252ull;

static unsigned below(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *pick(const char *const *v, size_t n)
{
	return v[below((unsigned)n)];
}

#define PICK(v) pick(v, N_CASES(v))

static const char *const addr_fields[] = {
	"10.0.0.0/8",
	"10.1.0.0/16",
	"10.1.2.0/24",
	"10.1.2.3",
	"[10.1.0.0/16, 192.0.2.0/24]",
	"[0.0.0.0/1, 128.0.0.0/1]",
	"'2001:db8::/32'",
	"['::/0', 0.0.0.0/0]",
	"{not: 10.1.0.0/16}",
	"{not: [10.0.0.0/8, 'fd00::/8']}",
	"{not: 192.0.2.0/24}",
};
static const char *const port_fields[] = {
	"22", "[22, 80]", "1-1024", "1000-2000", "{not: 22}", "{not: [1-100]}", "[0-21, 23-65535]",
};
static const char *const proto_fields[] = { "tcp", "udp", "[tcp, udp]" };
static const char *const other_fields[] = {
	"vlan: 5",
	"vlan: none",
	"fragment: no",
	"fragment: yes",
	"fragment: first",
	"hooks: xdp",
	"direction: ingress",
	"interfaces: eth0",
	"interfaces: 'eth*'",
	"interfaces: [eth0, eth1]",
};

static void random_rule(char *buf, size_t len, unsigned i)
{
	size_t used = (size_t)snprintf(buf, len, "  - {name: r%u", i);

	if (below(3))
		used += (size_t)snprintf(buf + used, len - used, ", src: %s", PICK(addr_fields));
	if (below(3) == 0)
		used += (size_t)snprintf(buf + used, len - used, ", dst: %s", PICK(addr_fields));
	if (below(2)) {
		used += (size_t)snprintf(buf + used, len - used, ", proto: %s", PICK(proto_fields));
		if (below(2))
			used += (size_t)snprintf(buf + used, len - used, ", dport: %s",
						 PICK(port_fields));
		if (below(4) == 0)
			used += (size_t)snprintf(buf + used, len - used, ", sport: %s",
						 PICK(port_fields));
	} else if (below(3) == 0) {
		used += (size_t)snprintf(buf + used, len - used, ", proto: icmp, icmp-type: %s",
					 below(2) ? "8" : "0");
	}
	if (below(3) == 0)
		used += (size_t)snprintf(buf + used, len - used, ", %s", PICK(other_fields));
	snprintf(buf + used, len - used, ", action: drop}\n");
}

static const char *const pkt_addrs[] = {
	"10.1.2.3",  "10.1.2.4",    "10.2.0.1", "192.0.2.1",   "8.8.8.8",
	"200.0.0.1", "2001:db8::1", "fd00::1",  "2001:db9::1",
};

static struct ef_packet random_packet(void)
{
	static const uint8_t protos[] = { 6, 17, 1, 47 };
	static const uint16_t ports[] = { 22, 80, 0, 1500, 65535, 443 };
	static const char *const ifnames[] = { "eth0", "eth1", "wan0" };
	struct ef_packet p = { .vlan = EF_VLAN_UNTAGGED };
	struct ef_prefix a, b;
	char err[64];

	do {
		ef_prefix_parse(PICK(pkt_addrs), &a, NULL, err, sizeof(err));
		ef_prefix_parse(PICK(pkt_addrs), &b, NULL, err, sizeof(err));
	} while (a.family != b.family);
	p.family = a.family;
	memcpy(p.saddr, a.addr, 16);
	memcpy(p.daddr, b.addr, 16);
	p.l4proto = protos[below(4)];
	p.frag = (uint8_t)below(3);
	p.has_ports = p.l4proto == 6 || p.l4proto == 17;
	p.has_icmp = p.l4proto == 1;
	p.has_tcp_flags = p.l4proto == 6;
	p.sport = ports[below(6)];
	p.dport = ports[below(6)];
	p.icmp_type = below(2) ? 8 : 0;
	p.vlan = below(2) ? EF_VLAN_UNTAGGED : 5;
	p.hook = below(EDGEFW_HOOK_COUNT);
	p.ifname = below(4) ? ifnames[below(3)] : NULL;
	return p;
}

/* Every shadowing warning is a proof: no packet matches the shadowed rule
 * without matching the rule named as covering it. */
/* 20,000 rules on ports alone give no address handle: every rule is a
 * candidate for every later one, 200 million pairs. The check stops at its
 * budget, says where, and the ruleset is accepted. */
static void test_budget(void **state)
{
	enum {
		N = 20000
	};
	size_t cap = 64 + (size_t)N * 64, off = 0;
	char *yaml = malloc(cap);
	const struct ef_diag_entry *stop = NULL;
	struct parsed p;

	(void)state;
	assert_non_null(yaml);
	off += (size_t)snprintf(yaml + off, cap - off, "version: 1\nrules:\n");
	for (unsigned i = 0; i < N; i++)
		off += (size_t)snprintf(yaml + off, cap - off,
					"  - {name: r%u, proto: tcp, dport: %u, action: drop}\n", i,
					i);
	parse(&p, yaml);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.n_rules, N);
	for (size_t i = 0; i < p.d.n; i++)
		if (strstr(p.d.v[i].msg, "were not checked for rules that cover them"))
			stop = &p.d.v[i];
	assert_non_null(stop);
	assert_int_equal(stop->sev, EF_SEV_WARNING);
	/* Past the square root of twice the budget, before the end. */
	assert_true(stop->line > 3 + 16000 && stop->line < 3 + N);
	done(&p);
	free(yaml);
}

static void test_soundness_random(void **state)
{
	unsigned warned = 0;

	(void)state;
	for (unsigned set = 0; set < 300; set++) {
		char yaml[8192] = "version: 1\nrules:\n";
		size_t used = strlen(yaml);
		struct parsed p;
		unsigned n = 2 + below(8);

		for (unsigned i = 0; i < n; i++) {
			random_rule(yaml + used, sizeof(yaml) - used, i);
			used += strlen(yaml + used);
		}
		parse(&p, yaml);
		if (p.ret) {
			ef_diag_print(&p.d, stderr);
			fail_msg("random ruleset rejected:\n%s", yaml);
		}
		for (size_t w = 0; w < p.d.n; w++) {
			unsigned a, b;

			if (sscanf(p.d.v[w].msg, "rule 'r%u' can never match: rule 'r%u'", &b,
				   &a) != 2)
				continue;
			warned++;
			for (int k = 0; k < 3000; k++) {
				struct ef_packet pk = random_packet();

				if (ef_rule_matches(&p.rs.rules[b], &pk) &&
				    !ef_rule_matches(&p.rs.rules[a], &pk))
					fail_msg(
						"r%u matches a packet r%u does not, yet was reported shadowed:\n%s",
						b, a, yaml);
			}
		}
		done(&p);
	}
	/* The generator must produce shadowing for the test to mean much. */
	assert_true(warned > 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadowed),
		cmocka_unit_test(test_not_shadowed),
		cmocka_unit_test(test_order_and_first_cover),
		cmocka_unit_test(test_dead_rules),
		cmocka_unit_test(test_big_sets),
		cmocka_unit_test(test_soundness_random),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
