// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rule language's dynamic parts (issue 16): dynamic sets, limits and
 * bans parse into conditions with precise errors, and the compiled tables,
 * looked up the way kern/dynset.h does (set conditions first, then the
 * winner's limit, classifying again without it when it says no), agree
 * with the reference matcher for random rulesets, set contents and limit
 * outcomes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "crowdsec.h"
#include "matcher.h"
#include "ruletest.h"

static const char dyn_ok[] =
	"version: 1\n"
	"sets:\n"
	"  ban: {dynamic: true, type: address, timeout: 10m, size: 1000}\n"
	"  allow: {dynamic: true}\n"
	"rules:\n"
	"  - {name: banned, src: $ban, action: drop}\n"
	"  - {name: not-allowed, dst: {not: $allow}, proto: tcp, dport: 22, action: drop}\n"
	"  - name: web\n"
	"    proto: tcp\n"
	"    dport: 80\n"
	"    limit: {rate: 100/s, burst: 200, per: [src, dport]}\n"
	"    action: pass\n"
	"  - name: web-excess\n"
	"    proto: tcp\n"
	"    dport: 80\n"
	"    action: drop\n"
	"    ban: {set: ban, timeout: 1h}\n"
	"  - {name: again, src: $ban, proto: udp, action: drop}\n";

static void test_parse_dynamic(void **state)
{
	struct parsed p;
	const struct ef_rule *r;

	(void)state;
	parse(&p, dyn_ok);
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	assert_true(p.rs.sets[0].dynamic);
	assert_int_equal(p.rs.sets[0].size, 1000);
	assert_true(p.rs.sets[0].timeout_ns == 600ull * 1000000000);
	assert_int_equal(p.rs.sets[1].size, EF_DYNSET_SIZE_DEFAULT);
	/* src in ban, dst not in allow, web's limit: three conditions; the
	 * last rule shares the first's. */
	assert_int_equal(p.rs.n_conds, 3);
	r = &p.rs.rules[0];
	assert_true(r->src.any && r->src.dyn_set == 1 && !r->src.dyn_negate);
	assert_int_equal(r->cond_mask, 1);
	assert_int_equal(p.rs.rules[1].cond_mask, 2);
	assert_true(p.rs.rules[1].dst.dyn_negate);
	r = &p.rs.rules[2];
	assert_true(r->limit.on);
	assert_true(r->limit.rate == 100 && r->limit.burst == 200);
	assert_int_equal(r->limit.per, EDGEFW_PER_SRC | EDGEFW_PER_DPORT);
	assert_int_equal(r->cond_mask, 4);
	assert_int_equal(r->limit_cond, 2);
	r = &p.rs.rules[3];
	assert_int_equal(r->ban.set, 1);
	assert_true(r->ban.timeout_ns == 3600ull * 1000000000);
	assert_int_equal(p.rs.n_bans, 1);
	assert_int_equal(p.rs.rules[4].cond_mask, 1);
	/* A condition is part of what a rule covers: 'again' needs what
	 * 'banned' does and is shadowed; 'web-excess' is not by 'web',
	 * whose limit may say no. */
	expect_diag(&p, EF_SEV_WARNING, 18, 5, "rule 'again' can never match: rule 'banned'");
	expect_no_diag(&p, EF_SEV_WARNING, "'web-excess' can never match");
	done(&p);
}

#define HEAD "version: 1\nsets:\n  ban: {dynamic: true}\n  lan: {addresses: [10.0.0.0/8]}\nrules:\n"

static const struct diag_case dyn_errors[] = {
	{ "version: 1\nsets:\n  d: {dynamic: true, addresses: [10.0.0.1]}\n"
	  "rules:\n  - {name: a, src: $d, action: drop}\n",
	  3, 22, "is dynamic: its entries come at run time" },
	{ "version: 1\nsets:\n  d: {dynamic: true, type: port}\n"
	  "rules:\n  - {name: a, src: $d, action: drop}\n",
	  3, 28, "type 'port' is not supported" },
	{ "version: 1\nsets:\n  d: {dynamic: true, size: 0}\n"
	  "rules:\n  - {name: a, src: $d, action: drop}\n",
	  3, 28, "size '0' must be a number of entries from 1" },
	{ "version: 1\nsets:\n  d: {dynamic: true, timeout: 10x}\n"
	  "rules:\n  - {name: a, src: $d, action: drop}\n",
	  3, 31, "timeout '10x' is not a duration" },
	{ "version: 1\nsets:\n  d: {dynamic: yes}\n"
	  "rules:\n  - {name: a, src: $d, action: drop}\n",
	  3, 16, "'dynamic' takes true" },
	{ "version: 1\nsets:\n  d: {dynamic: true}\n  s: {addresses: [$d]}\n"
	  "rules:\n  - {name: a, src: $s, action: drop}\n",
	  4, 19, "cannot include dynamic set '$d'" },
	{ HEAD "  - {name: a, src: [$ban, 10.0.0.1], action: drop}\n", 6, 21,
	  "dynamic set '$ban' must be the field's only element" },
	{ HEAD "  - {name: a, src: [$ban, $lan], action: drop}\n", 6, 21,
	  "must be the field's only element" },
	{ HEAD "  - {name: a, dport: $ban, proto: tcp, action: drop}\n", 6, 22,
	  "takes ports, but dynamic set '$ban' holds addresses" },
	{ HEAD "  - {name: a, limit: {rate: 10/x}, action: pass}\n", 6, 29,
	  "rate '10/x' is not a rate" },
	{ HEAD "  - {name: a, limit: {rate: 0/s}, action: pass}\n", 6, 29,
	  "rate '0/s' is not a rate" },
	{ HEAD "  - {name: a, limit: {burst: 5}, action: pass}\n", 6, 22, "limit has no 'rate'" },
	{ HEAD "  - {name: a, limit: {rate: 5/s, burst: 0}, action: pass}\n", 6, 41,
	  "burst '0' must be a number from 1" },
	{ HEAD "  - {name: a, limit: {rate: 5/s, per: [rule, src]}, action: pass}\n", 6, 40,
	  "per 'rule' means one bucket for the whole rule" },
	{ HEAD "  - {name: a, limit: {rate: 5/s, per: port}, action: pass}\n", 6, 39,
	  "per 'port' is not one of" },
	{ HEAD "  - {name: a, ban: {set: lan}, action: drop}\n", 6, 26,
	  "ban: 'lan' is not a dynamic set" },
	{ HEAD "  - {name: a, ban: {timeout: 1m}, action: drop}\n", 6, 20, "ban has no 'set'" },
	{ HEAD "  - {name: a, ban: {set: ban, timeout: forever}, action: drop}\n", 6, 40,
	  "ban: timeout 'forever' is not a duration" },
};

static void test_dynamic_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dyn_errors) / sizeof(dyn_errors[0]); i++) {
		const struct diag_case *c = &dyn_errors[i];
		struct parsed p;

		parse(&p, c->yaml);
		assert_int_not_equal(p.ret, 0);
		expect_diag(&p, EF_SEV_ERROR, c->line, c->col, c->text);
		done(&p);
	}
}

static void test_too_many_conditions(void **state)
{
	char yaml[4096];
	size_t off;
	struct parsed p;

	(void)state;
	off = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nrules:\n");
	for (int i = 0; i < 9; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
					"  - {name: r%d, limit: {rate: 1/s}, action: pass}\n", i);
	parse(&p, yaml);
	assert_int_not_equal(p.ret, 0);
	expect_diag(&p, EF_SEV_ERROR, 11, 5, "a ruleset may hold 8 dynamic conditions");
	done(&p);
}

/* ---- compiled tables against the matcher ---------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* Set contents: for each set, which of the addresses 10.0.0.0-7 it holds. */
struct oracle {
	uint8_t members[3];
	uint64_t seed;
};

static bool member(void *arg, int32_t set, uint8_t family, const uint8_t addr[16])
{
	const struct oracle *o = arg;

	return family == EF_AF_INET && set >= 0 && set < 3 && addr[3] < 8 &&
	       (o->members[set] >> addr[3]) & 1;
}

/* A limit's answer: a fixed function of the rule and the packet, so the
 * matcher and the emulated datapath can be asked in their own order. */
static bool take(void *arg, int32_t rule, const struct ef_packet *pkt)
{
	const struct oracle *o = arg;
	uint64_t h = o->seed ^ ((uint64_t)rule * 0x9e3779b97f4a7c15ull) ^
		     ((uint64_t)pkt->saddr[3] << 8 | pkt->daddr[3]) ^ pkt->dport;

	h *= 0xff51afd7ed558ccdull;
	return (h >> 40) & 1;
}

/* What kern/dynset.h does, on the compiled tables. */
static int datapath(const struct ef_ruleset *rs, const struct ef_compiled *c, struct ef_packet p,
		    struct oracle *o)
{
	unsigned conds = 0;

	for (size_t i = 0; i < rs->n_conds; i++) {
		const struct ef_cond *cd = &rs->conds[i];
		bool holds = true;

		if (cd->kind != EDGEFW_COND_LIMIT)
			holds = member(o, cd->set, p.family,
				       cd->kind == EDGEFW_COND_SET_DST ? p.daddr : p.saddr) !=
				cd->negate;
		if (holds)
			conds |= 1u << i;
	}
	for (int round = 0; round <= EDGEFW_MAX_CONDS; round++) {
		const struct ef_rule *r;
		int w;

		p.conds = (uint8_t)conds;
		w = ef_compiled_lookup(c, &p);
		if (w < 0)
			return -1;
		r = &rs->rules[w];
		if (!r->limit.on || take(o, w, &p))
			return w;
		conds &= ~(1u << r->limit_cond);
	}
	return -1;
}

static void random_rule(char *buf, size_t len, int i)
{
	static const char *const src[] = { "", "src: $s0, ", "src: $s1, ", "src: {not: $s2}, ",
					   "src: 10.0.0.2, " };
	static const char *const dst[] = { "", "", "dst: $s1, ", "dst: {not: $s0}, " };
	static const char *const port[] = { "", "proto: udp, dport: 1-2, ",
					    "proto: udp, dport: 2, " };
	bool limit = rnd() % 3 == 0;

	snprintf(buf, len, "  - {name: r%d, %s%s%s%saction: %s}\n", i, src[rnd() % 5],
		 dst[rnd() % 4], port[rnd() % 3], limit ? "limit: {rate: 10/s}, " : "",
		 rnd() % 2 ? "drop" : "pass");
}

static void test_random_against_reference(void **state)
{
	unsigned checked = 0;

	(void)state;
	for (int round = 0; round < 200; round++) {
		char yaml[8192];
		size_t off;
		struct parsed p;
		struct ef_compiled c;
		struct ef_diag d = { 0 };
		int n_rules = 1 + (int)(rnd() % 10), limits = 0;

		off = (size_t)snprintf(yaml, sizeof(yaml),
				       "version: 1\nsets:\n  s0: {dynamic: true}\n"
				       "  s1: {dynamic: true}\n  s2: {dynamic: true}\n"
				       "rules:\n");
		for (int i = 0; i < n_rules; i++) {
			random_rule(yaml + off, sizeof(yaml) - off, i);
			limits += strstr(yaml + off, "limit") != NULL;
			off += strlen(yaml + off);
		}
		if (limits > 3)
			continue; /* 5 set conditions + 3 limits stay within 8 */
		parse(&p, yaml);
		if (p.ret)
			ef_diag_print(&p.d, stderr);
		assert_int_equal(p.ret, 0);
		assert_int_equal(ef_compile(&p.rs, NULL, 0, &c, &d), 0);
		/* The classes the datapath's early stop reads (EDGEFW_DYN_HELD):
		 * those before a last condition field, and only then. */
		assert_int_equal(c.held_hi > c.held_lo,
				 c.n_dims >= 2 && c.dims[c.n_dims - 1] == EDGEFW_DIM_COND);
		assert_true(c.held_hi <= c.n_classes);
		for (int k = 0; k < 200; k++) {
			struct oracle o = { { (uint8_t)rnd(), (uint8_t)rnd(), (uint8_t)rnd() },
					    rnd() };
			struct ef_dyn_view dv = { member, take, &o };
			struct ef_packet pk = { .family = EF_AF_INET,
						.l4proto = 17,
						.has_ports = true };

			pk.saddr[0] = pk.daddr[0] = 10;
			pk.saddr[3] = (uint8_t)(rnd() % 9);
			pk.daddr[3] = (uint8_t)(rnd() % 9);
			pk.dport = (uint16_t)(rnd() % 3);
			assert_int_equal(datapath(&p.rs, &c, pk, &o),
					 ef_match_dyn(&p.rs, &pk, &dv));
			checked++;
		}
		ef_compiled_free(&c);
		ef_diag_free(&d);
		done(&p);
	}
	assert_true(checked > 20000);
}

static void test_crowdsec_conf(void **state)
{
	static const char base[] =
		"version: 1\nsets:\n  ban: {dynamic: true}\n  lan: {addresses: [10.0.0.0/8]}\n"
		"rules:\n  - {name: a, src: $ban, action: drop}\n  - {name: b, src: $lan, action: pass}\n"
		"daemon:\n  crowdsec: %s\n";
	static const struct {
		const char *conf;
		const char *err;
	} bad[] = {
		{ "{url: https://127.0.0.1:8080, key: k, set: ban}", "is not http://IP:PORT" },
		{ "{url: http://localhost:8080, key: k, set: ban}", "is not http://IP:PORT" },
		{ "{url: http://127.0.0.1:8080, key: 'a b', set: ban}", "without spaces" },
		{ "{url: http://127.0.0.1:8080, key: k, set: lan}",
		  "set 'lan' is not a dynamic set" },
		{ "{url: http://127.0.0.1:8080, key: k, set: ban, interval: 500ms}",
		  "from 1s to 1h" },
		{ "{url: http://127.0.0.1:8080, set: ban}", "crowdsec has no 'key'" },
	};
	char yaml[512];
	struct parsed p;

	(void)state;
	snprintf(yaml, sizeof(yaml), base,
		 "{url: 'http://127.0.0.1:8080/', key: abc123, set: ban, interval: 2s}");
	parse(&p, yaml);
	assert_int_equal(p.ret, 0);
	assert_true(p.rs.daemon.crowdsec.on);
	assert_string_equal(p.rs.daemon.crowdsec.listen, "127.0.0.1:8080");
	assert_string_equal(p.rs.daemon.crowdsec.set, "ban");
	assert_int_equal(p.rs.daemon.crowdsec.interval_ms, 2000);
	done(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml), base, bad[i].conf);
		parse(&p, yaml);
		assert_int_not_equal(p.ret, 0);
		expect_diag(&p, EF_SEV_ERROR, 9, p.d.v[0].col, bad[i].err);
		done(&p);
	}
}

static void test_go_durations(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} ok[] = {
		{ "59.272946421s", 59272946421ull },
		{ "3h59m58s", 14398000000000ull },
		{ "1m0s", 60000000000ull },
		{ "500ms", 500000000ull },
		{ "-2.5s", 0 },
		{ "0s", 0 },
	};
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(efd_go_duration(ok[i].s, &ns), 0);
		assert_true(ns / 1000 == ok[i].ns / 1000);
	}
	assert_int_not_equal(efd_go_duration("", &ns), 0);
	assert_int_not_equal(efd_go_duration("10", &ns), 0);
	assert_int_not_equal(efd_go_duration("5x", &ns), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_dynamic),
		cmocka_unit_test(test_dynamic_errors),
		cmocka_unit_test(test_too_many_conditions),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_crowdsec_conf),
		cmocka_unit_test(test_go_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
