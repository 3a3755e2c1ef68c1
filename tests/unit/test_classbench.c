// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ClassBench tooling the datapath tests and benchmarks stand on
 * (tests/lib): lines read right, converted as the issue says, the rules
 * file parsed by edgefw meaning what the lines mean (the reference matcher
 * and the lines' own matcher agree on every packet), and generated sets
 * reproducible, without duplicates, shaped like their seed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "classbench.h"
#include "matcher.h"
#include "ruletest.h"
#include "xorshift.h"

#define N_SEED CB_SAMPLE_LINES

static void seed_set(struct cb_set *s)
{
	assert_int_equal(cb_sample_set(s), 0);
	assert_int_equal(s->n, N_SEED);
}

/* The rules file for s, as text. */
static char *yaml_of(const struct cb_set *s, const struct cb_yaml_opts *o, struct cb_yaml_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(cb_write_yaml(f, s, o, st), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_parse(void **state)
{
	struct cb_rule r;
	char err[160];

	(void)state;
	assert_int_equal(cb_parse_line(cb_sample_lines[0], &r, err, sizeof(err)), 0);
	assert_int_equal(r.src, 0xd1207de0u);
	assert_int_equal(r.src_len, 28);
	assert_int_equal(r.dst_len, 29);
	assert_int_equal(r.sport_lo, 88);
	assert_int_equal(r.dport_hi, 80);
	assert_int_equal(r.proto, 17);
	assert_int_equal(r.proto_mask, 0xff);
	/* No '@', host bits set: a mask, so they are cleared. */
	assert_int_equal(
		cb_parse_line("10.1.2.3/8 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000",
			      &r, err, sizeof(err)),
		0);
	assert_int_equal(r.src, 0x0a000000u);
	assert_int_equal(
		cb_parse_line("@1.2.3.4/32 1.2.3.4/32 90 : 80 0 : 65535 0x06/0xFF 0x0000/0x0000",
			      &r, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "port range 90 : 80"));
	assert_int_equal(
		cb_parse_line("@1.2.3.4/32 1.2.3.4/32 0 : 65535 0 : 65535 0x06/0x0F 0x0000/0x0000",
			      &r, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		cb_parse_line("@1.2.3.4/33 1.2.3.4/32 0 : 65535 0 : 65535 0x06/0xFF 0x0000/0x0000",
			      &r, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		cb_parse_line(
			"@1.2.3.4/32 1.2.3.4/32 0 : 65535 0 : 65535 0x06/0xFF 0x0000/0x0000 junk",
			&r, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		cb_load("/nonexistent/classbench", &(struct cb_set){ 0 }, err, sizeof(err)),
		-ENOENT);
}

static void test_yaml(void **state)
{
	struct cb_yaml_opts o;
	struct cb_yaml_stats st;
	struct cb_set s;
	struct parsed p;
	char *y;

	(void)state;
	seed_set(&s);
	cb_yaml_opts_init(&o);
	y = yaml_of(&s, &o, &st);
	assert_int_equal(st.rules, N_SEED);
	assert_int_equal(st.portless, 0);
	assert_non_null(strstr(
		y,
		"  - {name: cb1, src: 209.32.125.224/28, dst: 223.78.253.88/29, proto: udp, sport: 88, dport: 80, action: drop}\n"));
	assert_non_null(strstr(
		y,
		"{name: cb2, src: 10.1.0.0/16, dst: 10.2.3.4/32, proto: tcp, dport: 1024-65535, action: drop}"));
	assert_non_null(strstr(y, "{name: cb3, src: 10.1.2.0/24, proto: 1, action: drop}"));
	assert_non_null(strstr(
		y, "{name: cb4, dst: 10.2.0.0/16, proto: [tcp, udp], dport: 53, action: drop}"));
	assert_non_null(strstr(y, "{name: cb6, src: 192.168.0.0/16, proto: 47, action: drop}"));
	assert_non_null(strstr(y, "{name: cb11, action: drop}"));
	parse(&p, y);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.n_rules, N_SEED);
	done(&p);
	free(y);

	/* Ports on ICMP cannot be written: the line goes, counted. */
	s.v[2].dport_lo = s.v[2].dport_hi = 7;
	o.skip_catch_all = true;
	o.pass_percent = 100;
	o.first_line = 101;
	o.name_prefix = "x";
	y = yaml_of(&s, &o, &st);
	assert_int_equal(st.portless, 1);
	assert_int_equal(st.catch_all, 1);
	assert_int_equal(st.rules, N_SEED - 2);
	assert_null(strstr(y, "name: x103,"));
	assert_null(strstr(y, "name: x111,"));
	assert_null(strstr(y, "action: drop"));
	assert_non_null(strstr(y, "{name: x101, "));
	free(y);
	cb_set_free(&s);
}

static void to_ef_packet(const struct cb_packet *c, struct ef_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->family = EF_AF_INET;
	for (int i = 0; i < 4; i++) {
		p->saddr[i] = (uint8_t)(c->src >> (24 - 8 * i));
		p->daddr[i] = (uint8_t)(c->dst >> (24 - 8 * i));
	}
	p->l4proto = c->proto;
	p->has_ports = cb_proto_has_ports(c->proto);
	p->sport = c->sport;
	p->dport = c->dport;
	p->has_icmp = c->proto == 1;
	p->has_tcp_flags = c->proto == 6;
	p->vlan = EF_VLAN_UNTAGGED;
	p->hook = EDGEFW_HOOK_XDP;
}

/* Packets aimed at each rule, and random ones: edgefw's reference matcher
 * on the converted file and the lines' own matcher pick the same rule. */
static void check_agreement(const struct cb_set *s, unsigned per_rule)
{
	struct cb_yaml_opts o;
	struct cb_yaml_stats st;
	uint64_t rnd = 42;
	size_t *index_of;
	struct parsed p;
	char *y;

	cb_yaml_opts_init(&o);
	y = yaml_of(s, &o, &st);
	parse(&p, y);
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	/* Rule k of the file is line index_of[k]. */
	index_of = calloc(p.rs.n_rules, sizeof(*index_of));
	assert_non_null(index_of);
	for (size_t k = 0; k < p.rs.n_rules; k++)
		index_of[k] = strtoul(p.rs.rules[k].name + 2, NULL, 10) - 1;
	for (size_t i = 0; i < s->n * per_rule; i++) {
		struct cb_packet c;
		struct ef_packet e;
		long want;
		int got;

		cb_aim(&s->v[i / per_rule], &rnd, &c);
		if (i % 4 == 3) /* anywhere */
			cb_aim(&s->v[s->n - 1], &rnd, &c);
		to_ef_packet(&c, &e);
		want = cb_match(s, 0, s->n, &o, &c);
		got = ef_match(&p.rs, &e);
		if ((got < 0 ? -1 : (long)index_of[got]) != want)
			fail_msg(
				"packet proto %u %08x -> %08x ports %u/%u: edgefw rule %ld, ClassBench line %ld",
				c.proto, c.src, c.dst, c.sport, c.dport,
				got < 0 ? -1 : (long)index_of[got] + 1, want < 0 ? -1 : want + 1);
	}
	free(index_of);
	done(&p);
	free(y);
}

static void test_matchers_agree(void **state)
{
	static const char *const shared[] = { "acl1_1k", "fw1_1k", "ipc1_1k" };
	struct cb_set s;
	char path[256], err[512];

	(void)state;
	seed_set(&s);
	check_agreement(&s, 2000);
	cb_set_free(&s);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", CB_SHARED_DIR, shared[i]);
		if (cb_load(path, &s, err, sizeof(err))) {
			print_message("skipped %s: %s (the shared ClassBench sets are absent)\n",
				      shared[i], err);
			continue;
		}
		check_agreement(&s, 8);
		cb_set_free(&s);
	}
}

static bool same_sets(const struct cb_set *a, const struct cb_set *b)
{
	return a->n == b->n && !memcmp(a->v, b->v, a->n * sizeof(*a->v));
}

static void test_generate(void **state)
{
	struct cb_set s, a, b, c;
	char err[160];

	(void)state;
	seed_set(&s);
	assert_int_equal(cb_generate(&s, 3000, 7, &a), 0);
	assert_int_equal(cb_generate(&s, 3000, 7, &b), 0);
	assert_int_equal(cb_generate(&s, 3000, 8, &c), 0);
	assert_int_equal(a.n, 3000);
	assert_true(same_sets(&a, &b));
	assert_false(same_sets(&a, &c));
	/* The catch-all stays last and single; no rule twice. */
	assert_true(cb_is_catch_all(&a.v[a.n - 1]));
	for (size_t i = 0; i + 1 < a.n; i++) {
		assert_false(cb_is_catch_all(&a.v[i]));
		for (size_t j = i + 1; j < a.n && j < i + 64; j++)
			assert_memory_not_equal(&a.v[i], &a.v[j], sizeof(a.v[i]));
	}
	/* Written and read back, line for line. */
	for (size_t i = 0; i < a.n; i++) {
		char *line = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&line, &len);
		struct cb_rule r;

		cb_write_line(f, &a.v[i]);
		fclose(f);
		assert_int_equal(cb_parse_line(line, &r, err, sizeof(err)), 0);
		assert_memory_equal(&r, &a.v[i], sizeof(r));
		free(line);
	}
	check_agreement(&a, 2);
	cb_set_free(&a);
	cb_set_free(&b);
	cb_set_free(&c);
	cb_set_free(&s);
}

struct share {
	double src_wild, dst_wild, tcp, exact_dport;
};

static struct share shares(const struct cb_set *s)
{
	struct share h = { 0 };

	for (size_t i = 0; i < s->n; i++) {
		const struct cb_rule *r = &s->v[i];

		h.src_wild += !r->src_len;
		h.dst_wild += !r->dst_len;
		h.tcp += r->proto_mask && r->proto == 6;
		h.exact_dport += r->dport_lo == r->dport_hi;
	}
	h.src_wild /= (double)s->n;
	h.dst_wild /= (double)s->n;
	h.tcp /= (double)s->n;
	h.exact_dport /= (double)s->n;
	return h;
}

/* On real seeds the shares of wildcards, TCP and exact ports carry over
 * to a set five times the size, within 3 points. */
static void test_generate_shape(void **state)
{
	static const char *const shared[] = { "acl1_1k", "fw1_1k", "ipc1_1k" };
	char path[256], err[512];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct cb_set s, g;
		struct share a, b;

		snprintf(path, sizeof(path), "%s/%s", CB_SHARED_DIR, shared[i]);
		if (cb_load(path, &s, err, sizeof(err))) {
			print_message("skipped %s: %s (the shared ClassBench sets are absent)\n",
				      shared[i], err);
			continue;
		}
		assert_int_equal(cb_generate(&s, 5 * s.n, 1, &g), 0);
		a = shares(&s);
		b = shares(&g);
		if (fabs(a.src_wild - b.src_wild) > 0.03 || fabs(a.dst_wild - b.dst_wild) > 0.03 ||
		    fabs(a.tcp - b.tcp) > 0.03 || fabs(a.exact_dport - b.exact_dport) > 0.03)
			fail_msg(
				"%s: seed src/dst wildcard %.3f/%.3f tcp %.3f exact dport %.3f, generated %.3f/%.3f %.3f %.3f",
				shared[i], a.src_wild, a.dst_wild, a.tcp, a.exact_dport, b.src_wild,
				b.dst_wild, b.tcp, b.exact_dport);
		check_agreement(&g, 1);
		cb_set_free(&s);
		cb_set_free(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),          cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_matchers_agree), cmocka_unit_test(test_generate),
		cmocka_unit_test(test_generate_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
