// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The decision trees and forests (user/compiler/tree*.c): the boxes a rule
 * becomes, and the compiled tables looked up the way the datapath does
 * against the reference matcher, on random ClassBench-shaped rulesets with
 * leaves small enough to force deep trees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "matcher.h"
#include "ruleset.h"
#include "tree.h"
#include "shared_trie_rules.h"

static uint64_t rng = 0x7265657321ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	assert_non_null(p);
	return p;
}

static void parse_rules(struct ef_ruleset *rs, const char *yaml)
{
	struct ef_diag d = {};

	assert_int_equal(ef_ruleset_parse("t.yaml", yaml, strlen(yaml), rs, &d), 0);
	ef_diag_free(&d);
}

static void compile_opts(const struct ef_ruleset *rs, bool trees, unsigned leaf,
			 struct ef_compiled *c)
{
	static const char *const ifnames[] = { "eth0" };
	struct ef_compile_opts o = { .prefer_trees = trees, .leaf_size = leaf };
	struct ef_diag d = {};
	int ret = ef_compile_with(rs, ifnames, 1, &o, c, &d);

	if (ret)
		ef_diag_print(&d, stdout);
	assert_int_equal(ret, 0);
	ef_diag_free(&d);
}

/* --- boxes --- */

static void test_boxes_of_fields(void **state)
{
	struct ef_ruleset rs;
	struct ef_box b[EF_TREE_MAX_RULE_BOXES];
	const char *why;

	(void)state;
	parse_rules(
		&rs,
		"version: 1\nrules:\n"
		"  - {name: neg, src: {not: 10.0.0.0/8}, proto: [tcp, udp], dport: 80, action: drop}\n"
		"  - {name: six, src: '2001:db8:1::/48', proto: icmpv6, icmp-type: 128, action: drop}\n"
		"  - {name: ifc, interfaces: [eth0], action: drop}\n"
		"  - {name: many, src: [10.0.0.0/8, 12.0.0.0/8, 14.0.0.0/8, 16.0.0.0/8, 18.0.0.0/8], dst: [1.0.0.0/8, 3.0.0.0/8, 5.0.0.0/8, 7.0.0.0/8], action: drop}\n");
	/* Not 10/8 is two ranges, tcp and udp two more: four boxes. */
	assert_int_equal(ef_rule_boxes(&rs.rules[0], 0, EF_AF_INET, b, 16, &why), 4);
	assert_int_equal(b[0].lo[EDGEFW_TK_SRC], 0);
	assert_int_equal(b[0].hi[EDGEFW_TK_SRC], 0x09ffffff);
	assert_int_equal(b[0].lo[EDGEFW_TK_DPORT], 80);
	assert_int_equal(b[0].hi[EDGEFW_TK_DPORT], 80);
	assert_int_equal(b[0].lo[EDGEFW_TK_PROTO], IPPROTO_TCP * EDGEFW_FRAG_STATES);
	assert_int_equal(b[0].hi[EDGEFW_TK_PROTO], IPPROTO_TCP * EDGEFW_FRAG_STATES + 2);
	/* A negated IPv4 list says nothing of IPv6: no IPv6 packet matches. */
	assert_int_equal(ef_rule_boxes(&rs.rules[0], 0, EF_AF_INET6, b, 16, &why), 0);
	/* An IPv6 /48: word 0 one value, word 1 a range, words 2-3 any. */
	assert_int_equal(ef_rule_boxes(&rs.rules[1], 1, EF_AF_INET6, b, 16, &why), 1);
	assert_int_equal(b[0].lo[EDGEFW_TK_SRC], 0x20010db8);
	assert_int_equal(b[0].hi[EDGEFW_TK_SRC], 0x20010db8);
	assert_int_equal(b[0].lo[EDGEFW_TK_SRC + 1], 0x00010000);
	assert_int_equal(b[0].hi[EDGEFW_TK_SRC + 1], 0x0001ffff);
	assert_int_equal(b[0].hi[EDGEFW_TK_SRC + 3], UINT32_MAX);
	assert_int_equal(b[0].lo[EDGEFW_TK_SPORT], 128); /* the ICMP type */
	assert_int_equal(ef_rule_boxes(&rs.rules[1], 1, EF_AF_INET, b, 16, &why), 0);
	/* Interface patterns depend on the attachment: the chain's. */
	assert_int_equal(ef_rule_boxes(&rs.rules[2], 2, EF_AF_INET, b, 16, &why), -EOPNOTSUPP);
	assert_non_null(why);
	/* 5 x 4 prefixes: more boxes than a tree takes for one rule. */
	assert_int_equal(ef_rule_boxes(&rs.rules[3], 3, EF_AF_INET, b, 16, &why), -E2BIG);
	ef_ruleset_free(&rs);
}

/* --- random ClassBench-shaped rulesets --- */

struct shape {
	uint32_t nets[8]; /* /16 networks the addresses come from */
	uint8_t net6[4][16];
};

static void cb_prefix(const struct shape *sh, struct ef_prefix *p, bool v6)
{
	static const uint8_t lens4[] = { 0, 8, 12, 16, 20, 24, 24, 28, 30, 32, 32, 32 };
	static const uint8_t lens6[] = { 0, 16, 32, 48, 64, 96, 127, 128 };
	unsigned bits = v6 ? 128 : 32;

	memset(p, 0, sizeof(*p));
	p->family = v6 ? EF_AF_INET6 : EF_AF_INET;
	if (v6) {
		memcpy(p->addr, sh->net6[below(4)], 16);
		for (unsigned b = 48; b < 128; b++)
			if (rnd() & 1)
				p->addr[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
		p->len = lens6[below(sizeof(lens6))];
	} else {
		uint32_t a = sh->nets[below(8)] | (below(8) << 8) | below(4);

		p->addr[0] = (uint8_t)(a >> 24);
		p->addr[1] = (uint8_t)(a >> 16);
		p->addr[2] = (uint8_t)(a >> 8);
		p->addr[3] = (uint8_t)a;
		p->len = lens4[below(sizeof(lens4))];
	}
	for (unsigned b = p->len; b < bits; b++)
		p->addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
}

static void cb_addr(const struct shape *sh, struct ef_addr_field *f, bool v6)
{
	f->any = below(100) < 30;
	if (f->any)
		return;
	f->negate = !v6 && below(100) < 5;
	f->n = below(100) < 85 ? 1 : 2;
	f->v = xcalloc(f->n, sizeof(*f->v));
	for (size_t i = 0; i < f->n; i++)
		cb_prefix(sh, &f->v[i], v6);
}

static const uint16_t cb_ports[] = { 21, 22, 25, 53, 80, 123, 443, 1024, 8080 };

static void cb_ports_field(struct ef_port_field *f)
{
	unsigned k = below(100);

	f->any = k < 45;
	if (f->any)
		return;
	f->negate = k >= 95;
	f->n = 1;
	f->v = xcalloc(1, sizeof(*f->v));
	if (k < 75) {
		f->v->lo = f->v->hi = cb_ports[below(9)];
	} else {
		f->v->lo = k < 85 ? 1024 : cb_ports[below(9)];
		f->v->hi = 65535;
	}
}

static void set_proto(struct ef_rule *r, uint8_t p)
{
	r->proto_any = false;
	r->protos[p / 8] |= (uint8_t)(1u << (p % 8));
}

static void cb_rule(const struct shape *sh, struct ef_rule *r, size_t i)
{
	bool v6 = below(100) < 15;
	unsigned k = below(100);

	snprintf(r->name, sizeof(r->name), "r%zu", i);
	r->hooks = below(100) < 90 ? EF_HOOKS_ALL : (uint8_t)(1 + below(EF_HOOKS_ALL));
	r->proto_any = true;
	r->sport.any = r->dport.any = true;
	r->icmp_type = r->icmp_code = -1;
	r->vlan = below(100) < 95 ? EF_VLAN_ANY : (int32_t)(10 * (1 + below(2)));
	r->frag = below(100) < 95 ? EF_FRAG_ANY : (uint8_t)(1 + below(4));
	r->action = (uint8_t)below(2);
	cb_addr(sh, &r->src, v6);
	cb_addr(sh, &r->dst, v6);
	if (k < 70) {
		set_proto(r, below(2) ? IPPROTO_TCP : IPPROTO_UDP);
		if (k < 20)
			set_proto(r, IPPROTO_UDP);
		cb_ports_field(&r->sport);
		cb_ports_field(&r->dport);
		if (k >= 60 && !ef_rule_has_proto(r, IPPROTO_UDP)) {
			r->tcp_flags_mask = 0x12;
			r->tcp_flags_value = (uint8_t)(below(2) ? 0x02 : 0x10);
		}
	} else if (k < 80) {
		set_proto(r, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		if (below(2))
			r->icmp_type = (int16_t)(v6 ? 128 : 8);
	} else if (k < 85) {
		set_proto(r, 47);
	}
	if (below(100) < 3) {
		r->n_ifaces = 1;
		r->ifaces = xcalloc(1, sizeof(*r->ifaces));
		snprintf(r->ifaces[0], sizeof(r->ifaces[0]), "eth*");
	}
}

static void cb_ruleset(struct ef_ruleset *rs, size_t n)
{
	struct shape sh;

	for (int i = 0; i < 8; i++)
		sh.nets[i] = (uint32_t)(1 + below(223)) << 24 | below(256) << 16;
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 16; b++)
			sh.net6[i][b] = b < 2 ? (uint8_t)(0x20 + b) : (uint8_t)rnd();
	memset(rs, 0, sizeof(*rs));
	rs->n_rules = n;
	rs->rules = xcalloc(n, sizeof(*rs->rules));
	for (size_t i = 0; i < n; i++)
		cb_rule(&sh, &rs->rules[i], i);
}

static void free_rules(struct ef_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		free(rs->rules[i].src.v);
		free(rs->rules[i].dst.v);
		free(rs->rules[i].sport.v);
		free(rs->rules[i].dport.v);
		free(rs->rules[i].ifaces);
	}
	free(rs->rules);
}

/* An address inside prefix p, or anywhere of its family. */
static void addr_in(const struct ef_addr_field *f, uint8_t family, uint8_t out[16])
{
	unsigned bits = family == EF_AF_INET ? 32 : 128;

	memset(out, 0, 16);
	for (unsigned i = 0; i < bits / 8; i++)
		out[i] = (uint8_t)rnd();
	if (f->any || !f->n || f->negate || f->v[0].family != family || below(10) == 0)
		return;
	for (unsigned b = 0; b < f->v[0].len; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));

		out[b / 8] = (uint8_t)((out[b / 8] & ~m) | (f->v[0].addr[b / 8] & m));
	}
}

static uint16_t port_in(const struct ef_port_field *f)
{
	if (f->any || !f->n || below(10) == 0)
		return (uint16_t)rnd();
	return (uint16_t)(f->v[0].lo + below(f->v[0].hi - f->v[0].lo + 1u));
}

/* A packet aimed inside rule r's first box most of the time. */
static void aimed_packet(const struct ef_rule *r, struct ef_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->family = !r->src.any && r->src.n   ? r->src.v[0].family
		    : !r->dst.any && r->dst.n ? r->dst.v[0].family
		    : below(4)                ? EF_AF_INET
					      : EF_AF_INET6;
	addr_in(&r->src, p->family, p->saddr);
	addr_in(&r->dst, p->family, p->daddr);
	p->l4proto =
		below(5) ? IPPROTO_TCP
			 : (uint8_t[]){ IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, 47 }[below(4)];
	for (unsigned q = 0; !r->proto_any && q < 256 && below(4); q++)
		if (ef_rule_has_proto(r, (uint8_t)q)) {
			p->l4proto = (uint8_t)q;
			break;
		}
	p->frag = below(10) ? EDGEFW_FRAG_NONE : (uint8_t)(1 + below(2));
	if (p->frag != EDGEFW_FRAG_LATER) {
		p->has_ports = p->l4proto == IPPROTO_TCP || p->l4proto == IPPROTO_UDP;
		p->has_tcp_flags = p->l4proto == IPPROTO_TCP;
		p->has_icmp = p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6;
	}
	p->sport = port_in(&r->sport);
	p->dport = port_in(&r->dport);
	p->icmp_type = r->icmp_type >= 0 && below(4) ? (uint8_t)r->icmp_type : (uint8_t)rnd();
	p->icmp_code = (uint8_t)below(2);
	p->tcp_flags = (uint8_t[]){ 0x02, 0x10, 0x12, 0x11 }[below(4)];
	p->vlan = below(4) ? EF_VLAN_UNTAGGED : (int32_t)(10 * below(3));
	p->hook = below(EDGEFW_HOOK_COUNT);
	p->ifname = below(4) ? "eth0" : NULL;
}

static unsigned check_ruleset(const struct ef_ruleset *rs, const struct ef_compiled *c,
			      unsigned packets)
{
	unsigned hits = 0;

	for (unsigned i = 0; i < packets; i++) {
		struct ef_packet p;
		int want;

		aimed_packet(&rs->rules[below((unsigned)rs->n_rules)], &p);
		want = ef_match(rs, &p);
		if (ef_compiled_lookup(c, &p) != want) {
			char s[64], d[64];

			inet_ntop(p.family == EF_AF_INET ? AF_INET : AF_INET6, p.saddr, s,
				  sizeof(s));
			inet_ntop(p.family == EF_AF_INET ? AF_INET : AF_INET6, p.daddr, d,
				  sizeof(d));
			print_error(
				"%s -> %s proto %u ports %u/%u hook %u: compiled %d, reference %d\n",
				s, d, p.l4proto, p.sport, p.dport, p.hook,
				ef_compiled_lookup(c, &p), want);
			fail();
		}
		hits += want >= 0;
	}
	return hits;
}

static void test_random_trees_against_reference(void **state)
{
	unsigned hits = 0, tree_rules = 0, forests = 0;

	(void)state;
	for (int round = 0; round < 60; round++) {
		struct ef_ruleset rs;
		struct ef_compiled c;

		cb_ruleset(&rs, 20 + below(300));
		compile_opts(&rs, true, 1 + below(4), &c);
		tree_rules += (unsigned)c.n_tree_rules;
		for (unsigned t = 0; t < c.n_trees; t++)
			forests += c.trees[t].trie_word != EF_TREE_NO_TRIE;
		hits += check_ruleset(&rs, &c, 2000);
		ef_compiled_free(&c);
		free_rules(&rs);
	}
	/* The test must exercise what it is about. */
	assert_true(tree_rules > 1000);
	assert_true(forests > 30);
	assert_true(hits > 60 * 2000 / 3);
}

/* Without a preference the chain takes what fits its budget: a few hundred
 * such rules fit, and the lookups agree either way. */
static void test_random_default_against_reference(void **state)
{
	(void)state;
	for (int round = 0; round < 10; round++) {
		struct ef_ruleset rs;
		struct ef_compiled c;

		cb_ruleset(&rs, 100 + below(200));
		compile_opts(&rs, false, 0, &c);
		assert_int_equal(c.n_chain_rules + c.n_tree_rules, rs.n_rules);
		check_ruleset(&rs, &c, 2000);
		ef_compiled_free(&c);
		free_rules(&rs);
	}
}

static void expect4(const struct ef_ruleset *rs, const struct ef_compiled *c, const char *src,
		    const char *dst, uint8_t proto, uint16_t dport, int want)
{
	struct ef_packet p = { .family = EF_AF_INET,
			       .l4proto = proto,
			       .has_ports = true,
			       .has_tcp_flags = proto == IPPROTO_TCP,
			       .sport = 40000,
			       .dport = dport,
			       .tcp_flags = 0x10,
			       .vlan = EF_VLAN_UNTAGGED };

	assert_int_equal(inet_pton(AF_INET, src, p.saddr), 1);
	assert_int_equal(inet_pton(AF_INET, dst, p.daddr), 1);
	assert_int_equal(ef_match(rs, &p), want);
	assert_int_equal(ef_compiled_lookup(c, &p), want);
}

/* Narrow sources make a source forest whose one-leaf subtrees sit in the
 * trie's cells; a /8 enclosing them is in each of them. */
static void test_forest(void **state)
{
	struct ef_ruleset rs;
	struct ef_compiled c;

	(void)state;
	parse_rules(&rs, "version: 1\nrules:\n"
			 "  - {name: a, src: 10.1.1.0/24, proto: tcp, dport: 22, action: pass}\n"
			 "  - {name: b, src: 10.1.2.0/24, proto: tcp, dport: 80, action: pass}\n"
			 "  - {name: c, src: 10.1.0.0/16, proto: udp, action: drop}\n"
			 "  - {name: d, src: 10.1.1.7, action: drop}\n");
	compile_opts(&rs, true, 4, &c);
	assert_int_equal(c.n_trees, 1);
	assert_int_equal(c.trees[0].trie_word, EDGEFW_TK_SRC);
	assert_int_equal(c.trees[0].prefixes.n, 4);
	assert_int_equal(c.n_tnodes, 0); /* every subtree is one leaf */
	assert_int_equal(c.n_chain_rules, 0);
	expect4(&rs, &c, "10.1.1.7", "1.1.1.1", IPPROTO_TCP, 22, 0);
	expect4(&rs, &c, "10.1.1.7", "1.1.1.1", IPPROTO_TCP, 23, 3);
	expect4(&rs, &c, "10.1.2.9", "1.1.1.1", IPPROTO_UDP, 80, 2);
	expect4(&rs, &c, "10.1.9.9", "1.1.1.1", IPPROTO_TCP, 80, -1);
	expect4(&rs, &c, "10.2.1.7", "1.1.1.1", IPPROTO_UDP, 22, -1);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
}

/* A forest over an address the chain uses too shares the chain's trie
 * (user/compiler/addr4_pair.c): one walk gives both the chain's class and
 * the forest's subtree, nested prefixes of either side included. */
static void test_forest_shares_the_chains_trie(void **state)
{
	struct ef_ruleset rs;
	struct ef_compiled c;

	(void)state;
	parse_rules(&rs, SHARED_TRIE_RULES);
	compile_opts(&rs, true, 4, &c);
	assert_int_equal(c.n_trees, 1);
	assert_int_equal(c.trees[0].trie_word, EDGEFW_TK_SRC);
	assert_true(c.trees[0].paired);
	assert_int_equal(c.pair_l1[EF_FIELD_SRC], c.trees[0].root);
	assert_int_equal(c.pair_l1[EF_FIELD_DST], 0);
	assert_int_equal(c.held[0], EF_HELD_CHAIN);
	assert_int_equal(c.held[1], EF_HELD_TREES);
	expect4(&rs, &c, "10.1.1.7", "1.1.1.1", IPPROTO_TCP, 22, 1);
	expect4(&rs, &c, "10.1.1.200", "192.0.2.1", IPPROTO_TCP, 22, 1);
	expect4(&rs, &c, "10.1.2.7", "1.1.1.1", IPPROTO_UDP, 80, 4);
	expect4(&rs, &c, "10.1.9.9", "1.1.1.1", IPPROTO_TCP, 80, -1);
	expect4(&rs, &c, "11.1.1.7", "1.1.1.1", IPPROTO_TCP, 22, -1);
	check_ruleset(&rs, &c, 4000);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
}

/* Nested prefixes down to /32 in one /16 take the shared trie to its
 * last level: there the compiler widens chunks (kern/edgefw.h,
 * EDGEFW_A4_WIDE), 8 bits per read, and the lookups still agree with the
 * reference, at the prefixes' edges too. */
static void test_forest_wide_chunks(void **state)
{
	struct ef_ruleset rs;
	struct ef_compiled c;
	uint32_t l1;

	(void)state;
	parse_rules(
		&rs,
		"version: 1\nrules:\n"
		"  - {name: i, interfaces: [eth*], src: 10.1.0.0/16, dst: 192.0.2.0/24, action: drop}\n"
		"  - {name: a, src: 10.1.1.17, proto: udp, action: drop}\n"
		"  - {name: b, src: 10.1.1.18, proto: tcp, dport: 80, action: drop}\n"
		"  - {name: c, src: 10.1.1.16/28, proto: tcp, action: pass}\n"
		"  - {name: d, src: 10.1.1.0/24, proto: tcp, dport: 22, action: drop}\n"
		"  - {name: e, src: 10.1.64.0/18, proto: udp, dport: 53, action: pass}\n"
		"  - {name: f, src: 10.1.64.128/25, action: drop}\n"
		"  - {name: g, src: 10.1.0.0/20, proto: tcp, action: drop}\n");
	compile_opts(&rs, true, 4, &c);
	assert_int_equal(c.n_trees, 1);
	assert_true(c.trees[0].paired);
	l1 = c.cells[c.trees[0].root + 0x0a01];
	assert_int_equal(l1 & (EDGEFW_SKIP | EDGEFW_A4_WIDE), EDGEFW_A4_CHUNK | EDGEFW_A4_WIDE);
	expect4(&rs, &c, "10.1.1.17", "1.1.1.1", IPPROTO_UDP, 80, 1);
	expect4(&rs, &c, "10.1.1.18", "1.1.1.1", IPPROTO_TCP, 80, 2);
	expect4(&rs, &c, "10.1.1.19", "1.1.1.1", IPPROTO_TCP, 22, 3);
	expect4(&rs, &c, "10.1.1.32", "1.1.1.1", IPPROTO_TCP, 22, 4);
	expect4(&rs, &c, "10.1.1.15", "192.0.2.9", IPPROTO_TCP, 22, 4);
	expect4(&rs, &c, "10.1.1.15", "192.0.2.9", IPPROTO_UDP, 22, -1); /* i: no interface */
	expect4(&rs, &c, "10.1.64.127", "1.1.1.1", IPPROTO_UDP, 53, 5);
	expect4(&rs, &c, "10.1.64.128", "1.1.1.1", IPPROTO_UDP, 53, 5);
	expect4(&rs, &c, "10.1.64.128", "1.1.1.1", IPPROTO_UDP, 54, 6);
	expect4(&rs, &c, "10.1.15.255", "1.1.1.1", IPPROTO_TCP, 1, 7);
	expect4(&rs, &c, "10.1.16.0", "1.1.1.1", IPPROTO_TCP, 1, -1);
	expect4(&rs, &c, "10.2.1.17", "1.1.1.1", IPPROTO_UDP, 80, -1);
	check_ruleset(&rs, &c, 4000);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
}

/* More boxes than a leaf scans that no threshold separates (they differ
 * only in TCP flags) send rules back to the chain, and nothing is lost. */
static void test_unseparable_rules_go_to_the_chain(void **state)
{
	size_t cap = 1 << 16, used = 0;
	char *yaml = xcalloc(cap, 1);
	struct ef_ruleset rs;
	struct ef_compiled c;
	size_t chain = 0;

	(void)state;
	used += (size_t)snprintf(yaml, cap, "version: 1\nrules:\n");
	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(
			yaml + used, cap - used,
			"  - {name: f%d, dst: 192.0.2.1, proto: tcp, dport: 443, tcp-flags: [\"%ssyn\", \"%sack\"], action: %s}\n",
			i, i & 1 ? "" : "!", i & 2 ? "" : "!", i & 4 ? "drop" : "pass");
	parse_rules(&rs, yaml);
	compile_opts(&rs, true, 1, &c);
	for (size_t r = 0; r < rs.n_rules; r++)
		chain += c.held[r] == EF_HELD_CHAIN;
	assert_true(chain >= 40 - EDGEFW_LEAF_SCAN);
	assert_int_equal(chain, c.n_chain_rules);
	check_ruleset(&rs, &c, 4000);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
	free(yaml);
}

/* Rules with interface patterns stay in the chain, beside trees. */
static void test_interface_rules_stay_in_the_chain(void **state)
{
	struct ef_ruleset rs;
	struct ef_compiled c;

	(void)state;
	parse_rules(&rs, "version: 1\nrules:\n"
			 "  - {name: i, interfaces: [eth*], dst: 10.0.0.1, action: drop}\n"
			 "  - {name: t, dst: 10.0.0.0/24, proto: tcp, dport: 22, action: pass}\n");
	compile_opts(&rs, true, 1, &c);
	assert_int_equal(c.held[0], EF_HELD_CHAIN);
	assert_int_equal(c.held[1], EF_HELD_TREES);
	check_ruleset(&rs, &c, 2000);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
}

/* The chain stops as soon as its class so far can match no rule below the
 * trees' (kern/classifier.h, chain_class): each class keeps the lowest rule
 * it can still match. Packets on eth0 aimed at each side of the bound. */
static void test_chain_stops_below_the_trees_rule(void **state)
{
	static const struct {
		const char *src;
		uint16_t dport;
		int want;
	} cases[] = { { "10.1.2.3", 80, 1 }, { "10.1.2.3", 22, 0 }, { "11.0.0.1", 80, 2 } };
	struct ef_ruleset rs;
	struct ef_compiled c;
	bool bound_class = false;

	(void)state;
	parse_rules(&rs, "version: 1\nrules:\n"
			 "  - {name: i, interfaces: [eth*], proto: tcp, dport: 22, action: drop}\n"
			 "  - {name: t, src: 10.1.0.0/16, proto: tcp, action: pass}\n"
			 "  - {name: j, interfaces: [eth*], proto: tcp, action: drop}\n");
	compile_opts(&rs, true, 4, &c);
	assert_int_equal(c.held[0], EF_HELD_CHAIN);
	assert_int_equal(c.held[1], EF_HELD_TREES);
	assert_int_equal(c.chain_min_rule, 0);
	/* A class before the last field with only rule j left: a packet the
	 * tree gave rule t stops there. */
	for (size_t i = 0; i < c.n_classes; i++)
		bound_class |= c.classes[i].rule < 0 && c.classes[i].min_rule == 2;
	assert_true(bound_class);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ef_packet p = { .family = EF_AF_INET,
				       .l4proto = IPPROTO_TCP,
				       .has_ports = true,
				       .has_tcp_flags = true,
				       .sport = 40000,
				       .dport = cases[i].dport,
				       .tcp_flags = 0x10,
				       .vlan = EF_VLAN_UNTAGGED,
				       .ifname = "eth0" };

		assert_int_equal(inet_pton(AF_INET, cases[i].src, p.saddr), 1);
		assert_int_equal(inet_pton(AF_INET, "192.0.2.1", p.daddr), 1);
		assert_int_equal(ef_match(&rs, &p), cases[i].want);
		assert_int_equal(ef_compiled_lookup(&c, &p), cases[i].want);
	}
	check_ruleset(&rs, &c, 2000);
	ef_compiled_free(&c);
	ef_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boxes_of_fields),
		cmocka_unit_test(test_forest),
		cmocka_unit_test(test_forest_shares_the_chains_trie),
		cmocka_unit_test(test_forest_wide_chunks),
		cmocka_unit_test(test_unseparable_rules_go_to_the_chain),
		cmocka_unit_test(test_interface_rules_stay_in_the_chain),
		cmocka_unit_test(test_chain_stops_below_the_trees_rule),
		cmocka_unit_test(test_random_trees_against_reference),
		cmocka_unit_test(test_random_default_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
