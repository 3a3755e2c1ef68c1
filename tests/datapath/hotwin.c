// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The hot window (kern/edgefw.h EDGEFW_HOT_SLOTS, EDGEFW_HOT_CLASSES;
 * user/loader/hot.c): each generation's dense stage tables that fit, the
 * level-1 copies that fit after them and the first classes live in global
 * data, the rest where they were. Three rulesets, each past the window in
 * another way, loaded in turn so that every generation's window is written
 * over by every other kind (each generation's, as they alternate):
 *
 *   S  40 rules over source, destination, protocol and port: every stage
 *      table, every level-1 copy and every class in the window;
 *   W  6,000 rules over the same fields on 2,000 lone source /24s and 60
 *      destinations: more classes than the class window holds, its first
 *      stage table (source x destination) larger than the window, a later
 *      one in it;
 *   L  a blocklist of 40,000 source /24s, each alone in its /16, and a
 *      service rule: more level-1 copies than the window has room for,
 *      so some are read from `cells`.
 *
 * After each switch, packets near the rules (and not) through every hook
 * against the reference matcher: a table read from the wrong place, or a
 * window left from the ruleset before, shows as a mismatch. The checks on
 * the plan make sure each ruleset still reaches past the window the way
 * it is meant to, and the window in force is compared with the plan and
 * the compiled tables directly, whichever packets were sent.
 */
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr4.h"
#include "diff.h"
#include "edgefw.skel.h"
#include "globals.h"
#include "hot.h"
#include "l1.h"
#include "xorshift.h"

#define HW_PACKETS 2000
#define HW_SOURCES 2000 /* W's lone source /24s */
#define HW_DESTS 60
#define HW_W_RULES 6000
#define HW_S_RULES 40
#define HW_L_RULES 40000 /* the blocklist's prefixes */

enum {
	HW_S,
	HW_W,
	HW_L,
	HW_SETS
};

static const uint16_t hw_ports[] = { 22, 25, 53, 80, 110, 143, 443, 993, 995, 3306, 5432, 8080 };
#define HW_NPORTS (sizeof(hw_ports) / sizeof(hw_ports[0]))

static size_t hw_rule(char *y, size_t cap, size_t at, unsigned set, unsigned k, uint64_t *rng)
{
	unsigned i, j, p;

	/* L: one rule, a list of source /24s each alone in its /16 (a lone
	 * prefix folded into its level-1 cell, whose copy the window holds
	 * while it has room), opened here and closed by hw_yaml. */
	if (set == HW_L)
		return at + (size_t)snprintf(y + at, cap - at, "%s%u.%u.0.0/24",
					     k ? ", " : "  - {name: blocked, action: drop, src: [",
					     1 + k / 250, k % 250);
	i = (unsigned)xorshift_below(rng, set == HW_W ? HW_SOURCES : 8);
	j = (unsigned)xorshift_below(rng, set == HW_W ? HW_DESTS : 4);
	p = (unsigned)xorshift_below(rng, HW_NPORTS);
	return at +
	       (size_t)snprintf(
		       y + at, cap - at,
		       "  - {name: r%u, src: %u.%u.7.0/24, dst: 172.%u.1.0/24, proto: %s, dport: %u, action: %s}\n",
		       k, 1 + i / 250, i % 250, 16 + j, k % 2 ? "tcp" : "udp", hw_ports[p],
		       k % 3 ? "drop" : "pass");
}

static char *hw_yaml(unsigned set, uint64_t *rng)
{
	unsigned n = set == HW_S ? HW_S_RULES : set == HW_W ? HW_W_RULES : HW_L_RULES;
	size_t cap = 256 + (size_t)n * 128, at;
	char *y = dp_yaml_start(cap, &at);

	for (unsigned k = 0; y && k < n; k++)
		at = hw_rule(y, cap, at, set, k, rng);
	if (y && set == HW_L)
		snprintf(
			y + at, cap - at,
			"]}\n  - {name: web, dst: 172.16.1.0/24, proto: tcp, dport: 443, action: pass}\n");
	return y;
}

/* Sources near W's and S's (1-9.x.7.y) or L's (1-170.x.0.y), or in
 * their /16s; the destination near W's; the protocol and port mostly a
 * rule's. */
static void hw_next(void *ctx, unsigned i, struct pkt_spec *s)
{
	uint64_t *rng = ctx;
	unsigned r = (unsigned)xorshift_next(rng), q = (unsigned)xorshift_next(rng);

	memset(s, 0, sizeof(*s));
	s->family = 4;
	s->saddr[0] = (uint8_t)(1 + q % (i % 4 == 1 ? 170 : 9));
	s->saddr[1] = (uint8_t)(q >> 8);
	s->saddr[2] = i % 4 == 1 ? 0 : i % 4 == 3 ? (uint8_t)(q >> 16) : 7;
	s->saddr[3] = (uint8_t)(q >> 24);
	s->daddr[0] = 172;
	s->daddr[1] = (uint8_t)(16 + (r >> 19) % (HW_DESTS + 4));
	s->daddr[2] = i % 8 ? 1 : 2;
	s->daddr[3] = (uint8_t)(r >> 24);
	s->l4proto = r & (1u << 27) ? 6 : 17;
	s->sport = 1234;
	s->dport = i % 5 ? hw_ports[(r >> 28) % HW_NPORTS] : 9999;
	s->tcp_flags = 0x02;
}

/* Whether the window of generation gen holds what the plan for c says:
 * each stage table it moved, each level-1 copy a level-1 cell names
 * there (the rulesets have no forest, so level-1 table cell i is c's cell
 * i), and the first classes as the classes array holds them. */
static bool hw_window_matches(struct dp *dp, __u32 gen, const struct ef_hot_plan *p, char *what,
			      size_t n)
{
	const struct ef_compiled *c = &dp->c;
	struct edgefw_bpf__bss *bss;
	size_t bad = 0, copies = 0, classes = 0;
	__u32 id;
	int inner = -1;

	if (ef_bss_map(&dp->inst, "the hot window", NULL, &bss))
		return false;
	for (unsigned i = 1; i < EDGEFW_DIM_COUNT; i++)
		if (c->stages[i].width && p->base[i - 1] < EDGEFW_HOT_SLOTS)
			bad += memcmp((const __u32 *)bss->edgefw_hot[gen] + p->base[i - 1],
				      c->cells + c->stages[i].base,
				      (size_t)c->stage_rows[i] * c->stages[i].width * 4) != 0;
	for (size_t i = 0; i < EDGEFW_L1_CELLS; i++) {
		__u32 v = bss->edgefw_l1[gen][i], at = v & EDGEFW_A4_INDEX;

		if ((v & EDGEFW_L1_FULL_MASK) != EDGEFW_L1_FULL || at >= EDGEFW_HOT_SLOTS)
			continue;
		copies++;
		bad += bss->edgefw_hot[gen][at / 2] !=
		       ((__u64)ef_cell_hi(c, i) << 32 | c->cells[i]);
	}
	if (!bpf_map_lookup_elem(dp->inst.maps.class_tbl, &gen, &id))
		inner = bpf_map_get_fd_by_id(id);
	for (__u32 k = 0; inner >= 0 && k < c->n_classes && k < EDGEFW_HOT_CLASSES; k++) {
		struct edgefw_class_info v;

		classes++;
		bad += bpf_map_lookup_elem(inner, &k, &v) ||
		       memcmp(&v, &bss->edgefw_hot_classes[gen][k], sizeof(v));
	}
	if (inner >= 0)
		close(inner);
	ef_bss_unmap(bss);
	snprintf(what, n, "%zu level-1 copies and %zu classes compared, %zu differ", copies,
		 classes, bad);
	return inner >= 0 && !bad && copies == p->l1_in_window;
}

/* Whether the plan for the compiled ruleset reaches past the window the
 * way set is meant to (the file's comment). */
static bool hw_shape(const struct ef_compiled *c, unsigned set, char *what, size_t n)
{
	struct ef_hot_plan p;
	size_t l1 = ef_l1_extra(c);
	unsigned in = 0, out = 0;

	ef_hot_plan(c, l1, &p);
	for (unsigned i = 1; i < c->n_dims; i++)
		if (c->stages[i].width) {
			in += p.base[i - 1] < EDGEFW_HOT_SLOTS;
			out += p.base[i - 1] >= EDGEFW_HOT_SLOTS;
		}
	snprintf(
		what, n,
		"%zu classes, %u stage tables in the window and %u in cells, %zu of %zu level-1 copies in the window",
		c->n_classes, in, out, p.l1_in_window, l1);
	if (set == HW_S)
		return c->n_classes <= EDGEFW_HOT_CLASSES && in && !out && l1 &&
		       p.l1_in_window == l1;
	/* W: the first table (source x destination) past it, a later one in. */
	if (set == HW_W)
		return c->n_classes > EDGEFW_HOT_CLASSES && c->stages[1].width &&
		       p.base[0] >= EDGEFW_HOT_SLOTS && in;
	return p.l1_in_window < l1 && p.l1_in_window > 0;
}

void dp_test_hot_window(struct dp *dp)
{
	/* In pairs, so that each generation (they alternate) loads S, L, W,
	 * S, W, L, S: every kind over every other. */
	static const unsigned order[] = { HW_S, HW_S, HW_L, HW_L, HW_W, HW_W, HW_S,
					  HW_S, HW_W, HW_W, HW_L, HW_L, HW_S, HW_S };
	static const char *const names[HW_SETS] = { "S (all in the window)",
						    "W (classes, a stage past it)",
						    "L (level-1 copies past it)" };
	uint64_t rng = xorshift_seed(0x407);
	char *yaml[HW_SETS], what[160];

	for (unsigned s = 0; s < HW_SETS; s++)
		yaml[s] = hw_yaml(s, &rng);
	for (unsigned k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		unsigned s = order[k];
		struct diff_opts o = { .label = names[s], .per_packet_winner = true };
		struct ef_ruleset_state st = { 0 };
		struct ef_hot_plan plan;
		int ret = yaml[s] ? dp_load_yaml(dp, yaml[s]) : -1;
		bool ok;

		tap(ret == 0, "hot window reload %u: ruleset %s loads", k + 1, names[s]);
		if (ret)
			break;
		ok = hw_shape(&dp->c, s, what, sizeof(what));
		tap(ok, "hot window reload %u: %s: %s", k + 1, names[s], what);
		ok = ef_instance_read_state(&dp->inst, &st) == 0;
		ef_hot_plan(&dp->c, ef_l1_extra(&dp->c), &plan);
		ok = ok && hw_window_matches(dp, st.gen, &plan, what, sizeof(what));
		tap(ok,
		    "hot window reload %u: generation %u's window holds what the plan says (%s)",
		    k + 1, st.gen, what);
		diff_run_tap(dp, HW_PACKETS, hw_next, &rng, &o, "hot window reload %u, %s", k + 1,
			     names[s]);
	}
	for (unsigned s = 0; s < HW_SETS; s++)
		free(yaml[s]);
}
