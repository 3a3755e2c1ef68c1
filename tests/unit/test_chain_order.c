// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The chain's field order, chosen per ruleset (user/compiler/chain_order.c):
 * a field that stops misses goes first, the default order stays where no
 * field does better, the dynamic conditions stay last, and lookups in any
 * order agree with the reference matcher. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "matcher.h"
#include "ruleset.h"

static uint64_t rnd_state = 0x5eed0a7du;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)rnd_state;
}

struct compiled {
	struct ef_ruleset rs;
	struct ef_compiled c;
};

static void compile(struct compiled *x, const char *yaml)
{
	struct ef_diag d = {};
	int ret = ef_ruleset_parse("t.yaml", yaml, strlen(yaml), &x->rs, &d);

	if (ret)
		ef_diag_print(&d, stderr);
	assert_int_equal(ret, 0);
	assert_int_equal(ef_compile(&x->rs, NULL, 0, &x->c, &d), 0);
	ef_diag_free(&d);
}

static void release(struct compiled *x)
{
	ef_compiled_free(&x->c);
	ef_ruleset_free(&x->rs);
}

/* n rules, each with a wide source (a /1) and destination (a /2) and one
 * of two destination ports: any source and destination leaves a miss
 * alive, the port stops it. extra is appended to rule 0. */
static char *wide_addr_rules(int n, const char *extra)
{
	static const char *const ports[] = { "80", "443" };
	size_t cap = 256 + (size_t)n * 160, off;
	char *yaml = malloc(cap);

	assert_non_null(yaml);
	off = (size_t)snprintf(yaml, cap, "version: 1\nrules:\n");
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(yaml + off, cap - off,
					"  - {name: r%d, src: %s, dst: %d.0.0.0/2, proto: tcp, "
					"dport: %s, %saction: drop}\n",
					i, i % 2 ? "0.0.0.0/1" : "128.0.0.0/1", (i % 4) * 64,
					ports[i / 2 % 2], i ? "" : extra);
	return yaml;
}

static int dim_at(const struct ef_compiled *c, unsigned dim)
{
	for (unsigned i = 0; i < c->n_dims; i++)
		if (c->dims[i] == dim)
			return (int)i;
	return -1;
}

/* Random TCP and UDP packets, half of them to the rules' ports. */
static void expect_reference(const struct compiled *x, int n)
{
	for (int i = 0; i < n; i++) {
		struct ef_packet p = { .family = EF_AF_INET, .has_ports = true };
		uint32_t s = rnd(), d = rnd();

		memcpy(p.saddr, &s, 4);
		memcpy(p.daddr, &d, 4);
		p.l4proto = rnd() % 2 ? 6 : 17;
		p.sport = (uint16_t)rnd();
		p.dport = rnd() % 2 ? (uint16_t)rnd() : rnd() % 2 ? 80 : 443;
		assert_int_equal(ef_compiled_lookup(&x->c, &p), ef_match(&x->rs, &p));
	}
}

static void test_port_before_wide_addresses(void **state)
{
	char *yaml = wide_addr_rules(40, "");
	struct compiled x;

	(void)state;
	compile(&x, yaml);
	/* Default: src dst proto dport; a miss walks them all. */
	assert_int_equal(x.c.n_dims, 4);
	assert_int_equal(x.c.dims[0], EDGEFW_DIM_DPORT);
	assert_true(dim_at(&x.c, EDGEFW_DIM_DPORT) < dim_at(&x.c, EDGEFW_DIM_SRC));
	expect_reference(&x, 20000);
	release(&x);
	free(yaml);
}

static void test_default_order_when_no_field_is_better(void **state)
{
	struct compiled x;
	char yaml[4096];
	size_t off;

	(void)state;
	/* Narrow sources and a port each: the source stops a miss as early. */
	off = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nrules:\n");
	for (int i = 0; i < 20; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
					"  - {name: r%d, src: 10.%d.0.0/16, proto: tcp, "
					"dport: %d, action: drop}\n",
					i, i, 1000 + i);
	compile(&x, yaml);
	assert_int_equal(x.c.n_dims, 3);
	assert_int_equal(x.c.dims[0], EDGEFW_DIM_SRC);
	assert_int_equal(x.c.dims[1], EDGEFW_DIM_PROTO);
	assert_int_equal(x.c.dims[2], EDGEFW_DIM_DPORT);
	expect_reference(&x, 5000);
	release(&x);
}

static void test_conditions_stay_last(void **state)
{
	char *yaml = wide_addr_rules(40, "limit: {rate: 10/s}, ");
	struct compiled x;

	(void)state;
	compile(&x, yaml);
	assert_int_equal(x.c.n_dims, 5);
	assert_int_equal(x.c.dims[0], EDGEFW_DIM_DPORT);
	assert_int_equal(x.c.dims[4], EDGEFW_DIM_COND);
	/* The classes a held condition ends at (EDGEFW_DYN_HELD). */
	assert_true(x.c.held_hi > x.c.held_lo);
	release(&x);
	free(yaml);
}

/* Hooks and connection states (the protocol field's index holds the
 * state): every combination against the reference, in whatever order. */
static void test_hooks_and_states_against_reference(void **state)
{
	struct compiled x;

	(void)state;
	compile(&x, "version: 1\nrules:\n"
		    "  - {name: replies, hooks: [xdp, tc-ingress], state: [established, related], "
		    "action: pass}\n"
		    "  - {name: ssh, hooks: [xdp, tc-ingress], proto: tcp, dport: 22, state: new, "
		    "action: pass}\n"
		    "  - {name: out, hooks: tc-egress, proto: udp, dport: 5300, action: pass}\n");
	for (uint32_t hook = 0; hook < EDGEFW_HOOK_COUNT; hook++)
		for (uint8_t st = 0; st < EDGEFW_CT_STATES; st++)
			for (int i = 0; i < 64; i++) {
				static const uint16_t ports[] = { 22, 53, 5300, 41000 };
				struct ef_packet p = { .family = EF_AF_INET,
						       .has_ports = true,
						       .hook = hook,
						       .ct_state = st };

				p.saddr[0] = p.daddr[0] = 10;
				p.l4proto = i % 2 ? 6 : 17;
				p.sport = ports[i / 2 % 4];
				p.dport = ports[i / 8 % 4];
				assert_int_equal(ef_compiled_lookup(&x.c, &p), ef_match(&x.rs, &p));
			}
	release(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_before_wide_addresses),
		cmocka_unit_test(test_default_order_when_no_field_is_better),
		cmocka_unit_test(test_conditions_stay_last),
		cmocka_unit_test(test_hooks_and_states_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
