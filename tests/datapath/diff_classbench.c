// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The differential test on ClassBench sets: the shared ones
 * (../shared/data/classbench, each line one rule as tests/lib/classbench.h
 * converts it) and generated ones shaped like them, with packets aimed
 * inside rule boxes (a rule, then a point inside its prefixes, ports and
 * protocol), near them (one field moved elsewhere) and anywhere. For every
 * packet on every hook: the BPF verdict and winning rule equal the
 * reference matcher's (diff.c).
 *
 * A set the compiler does not accept within the budget (EFW_CB_BUDGET
 * seconds of CPU, default 5, the target for the 10k sets, and 60
 * with EFW_TEST_FULL; and 1 GiB, the bound for any input) is skipped
 * with its message: `edgefw check` runs first in a process of its own, so a
 * refusal after gigabytes costs this test nothing. The sets the compiler
 * accepts are then checked, with no change here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classbench.h"
#include "diff.h"
#include "probe.h"
#include "xorshift.h"

struct source {
	const struct cb_set *set;
	size_t *kept; /* indices of lines that became rules */
	size_t n_kept;
	uint64_t rnd;
};

static const uint8_t other_protos[] = { 6, 17, 1, 47, 132, 50, 89 };

static unsigned below(struct source *src, unsigned n)
{
	return (unsigned)xorshift_below(&src->rnd, n);
}

/* A point in a rule's box, or near it (one field moved), or anywhere. */
static void aim(struct source *src, struct cb_packet *c)
{
	unsigned kind = below(src, 100);

	cb_aim(&src->set->v[src->kept[below(src, (unsigned)src->n_kept)]], &src->rnd, c);
	if (kind < 60)
		return;
	if (kind < 80) {
		switch (below(src, 4)) {
		case 0:
			c->src = (uint32_t)xorshift_next(&src->rnd);
			break;
		case 1:
			c->dst = (uint32_t)xorshift_next(&src->rnd);
			break;
		case 2:
			c->proto = other_protos[below(src, sizeof(other_protos))];
			break;
		default:
			c->dport = (uint16_t)xorshift_next(&src->rnd);
			break;
		}
		return;
	}
	c->src = (uint32_t)xorshift_next(&src->rnd);
	c->dst = (uint32_t)xorshift_next(&src->rnd);
	c->proto = other_protos[below(src, sizeof(other_protos))];
	c->sport = (uint16_t)xorshift_next(&src->rnd);
	c->dport = (uint16_t)xorshift_next(&src->rnd);
}

static void put32(uint8_t *out, uint32_t a)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(a >> (24 - 8 * i));
}

/* The frame: mostly plain IPv4 as ClassBench thinks of packets, some
 * fragments, VLAN tags and IPv6 (which rules without addresses match). */
static void next_packet(void *ctx, unsigned i, struct pkt_spec *s)
{
	struct source *src = ctx;
	struct cb_packet c;
	unsigned odd = below(src, 100);

	(void)i;
	aim(src, &c);
	memset(s, 0, sizeof(*s));
	s->family = 4;
	put32(s->saddr, c.src);
	put32(s->daddr, c.dst);
	s->l4proto = c.proto;
	s->sport = c.sport;
	s->dport = c.dport;
	s->tcp_flags = (uint8_t)xorshift_next(&src->rnd);
	s->icmp_type = (uint8_t)below(src, 16);
	s->icmp_code = (uint8_t)below(src, 4);
	s->payload = below(src, 16);
	/* In IPv6 these numbers are extension headers the parser walks
	 * (AH, ...), not protocols: a frame claiming one without it would
	 * not be the packet the reference matcher is told about. */
	if (odd >= 7 && odd < 10 &&
	    (c.proto == 0 || c.proto == 43 || c.proto == 44 || c.proto == 51 || c.proto == 60))
		s->l4proto = 6;
	if (odd < 4) {
		s->frag = (uint8_t)(1 + below(src, 2));
	} else if (odd < 7) {
		s->n_vlan = 1;
		s->vlan[0] = (uint16_t)(1 + below(src, 4094));
	} else if (odd < 10) {
		uint64_t a = xorshift_next(&src->rnd), b = xorshift_next(&src->rnd);

		s->family = 6;
		memcpy(s->saddr, &a, 8);
		memcpy(s->daddr, &b, 8);
		s->saddr[0] = 0x20;
		s->daddr[0] = 0x20;
		if (s->l4proto == 1)
			s->l4proto = 58;
	}
}

static char *to_yaml(const struct cb_set *set, const struct cb_yaml_opts *yo, size_t *len)
{
	struct cb_yaml_stats st;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f || cb_write_yaml(f, set, yo, &st) || fclose(f)) {
		fprintf(stderr, "classbench: cannot write the rules: %s\n", strerror(errno));
		exit(2);
	}
	return buf;
}

/* edgefw check on the text, in a child under the budget. Returns true when
 * it accepted; else why not in why. */
static bool compiler_accepts(const char *yaml, size_t len, bool full, char *why, size_t why_len)
{
	char path[] = "/tmp/efw-cb-XXXXXX";
	const char *budget = getenv("EFW_CB_BUDGET");
	struct probe_limits lim = { .cpu_seconds = budget ? atof(budget)
						   : full ? 60
							  : 5,
				    .seconds = 600,
				    .rss_bytes = 1ul << 30 };
	struct probe_result r;
	int fd = mkstemp(path);
	bool ok;

	if (fd < 0 || write(fd, yaml, len) != (ssize_t)len) {
		snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(path);
		return false;
	}
	close(fd);
	probe_run((char *[]){ (char *)probe_edgefw(), "check", path, NULL }, &lim, &r);
	unlink(path);
	probe_describe(&r, &lim, why, why_len);
	ok = r.outcome == PROBE_OK;
	probe_result_free(&r);
	return ok;
}

/* One set, converted with yo, through the differential machinery. */
static void run_set(struct dp *dp, const char *label, const struct cb_set *set,
		    const struct cb_yaml_opts *yo, unsigned packets, bool probe,
		    const struct dp_cb_opts *o)
{
	struct source src = { .set = set, .rnd = xorshift_seed(o->seed ^ set->n) };
	struct diff_opts dop = { .label = label, .per_packet_winner = true };
	struct diff_tally t = { 0 };
	struct ef_ruleset rs;
	struct ef_diag d = { 0 };
	char why[700];
	size_t len;
	char *yaml = to_yaml(set, yo, &len);
	bool ok;
	int ret;

	if (probe && !compiler_accepts(yaml, len, o->full, why, sizeof(why))) {
		tap(true, "classbench %s: %zu lines x %u packets # SKIP %s", label, set->n, packets,
		    why);
		free(yaml);
		return;
	}
	src.kept = calloc(set->n, sizeof(*src.kept));
	for (size_t i = 0; src.kept && i < set->n; i++)
		if (cb_rule_kept(set, i, yo))
			src.kept[src.n_kept++] = i;
	if (ef_ruleset_parse(label, yaml, len, &rs, &d) || !src.n_kept) {
		ef_diag_print(&d, stdout);
		tap(false, "classbench %s: the converted rules parse", label);
		goto out;
	}
	ret = dp_load_rs(dp, &rs);
	if (ret == -E2BIG && dp->have_c) {
		/* Compiled, but bigger than this test's instance: the CLI
		 * would size one for it; this test keeps a fixed one. */
		tap(true,
		    "classbench %s: %zu rules x %u packets # SKIP it needs more table room than the test's instance holds (%u cells, %u classes): %s",
		    label, rs.n_rules, packets, DP_CB_CELLS, DP_CB_CLASSES, dp->error);
		ef_ruleset_free(&rs);
		goto out;
	}
	if (ret) {
		tap(false, "classbench %s: %zu rules load: %s", label, rs.n_rules, dp->error);
		ef_ruleset_free(&rs);
		goto out;
	}
	ok = diff_run(dp, &rs, packets, next_packet, &src, &dop, &t);
	tap(ok && !t.compiled_mismatches && (!dp->opts.prefer_trees || dp->c.n_tree_rules),
	    "classbench %s: %zu rules (%zu in the chain, %zu in trees) x %u packets x 3 hooks: BPF verdicts, winning rules and counters equal the reference matcher's (%llu runs, %u mismatches, %u in the compiled tables)",
	    label, rs.n_rules, dp->c.n_chain_rules, dp->c.n_tree_rules, packets,
	    (unsigned long long)t.runs, t.mismatches, t.compiled_mismatches);
	ef_ruleset_free(&rs);
out:
	ef_diag_free(&d);
	free(src.kept);
	free(yaml);
}

static void shared_sets(struct dp *dp, const struct dp_cb_opts *o)
{
	static const char *const names[] = { "acl1_1k",  "fw1_1k",  "ipc1_1k",
					     "acl1_10k", "fw1_10k", "ipc1_10k" };
	struct cb_yaml_opts yo;

	cb_yaml_opts_init(&yo);
	yo.pass_percent = 50;
	yo.seed = o->seed;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char path[256], err[512];
		struct cb_set set;

		snprintf(path, sizeof(path), "%s/%s", CB_SHARED_DIR, names[i]);
		if (cb_load(path, &set, err, sizeof(err))) {
			tap(true, "classbench %s # SKIP %s (the shared ClassBench sets are absent)",
			    names[i], err);
			continue;
		}
		/* Their compilation dominates; half the packets keep the
		 * group within tens of seconds. */
		run_set(dp, names[i], &set, &yo, i < 3 ? o->packets : o->packets / 2, true, o);
		cb_set_free(&set);
	}
}

/* Sets generated from the shared 1k ones (or the sample when absent), of
 * random sizes, half without their catch-all so packets also miss. */
static void generated_sets(struct dp *dp, const struct dp_cb_opts *o)
{
	static const char *const seeds[] = { "acl1_1k", "fw1_1k", "ipc1_1k" };
	uint64_t rnd = xorshift_seed(o->seed);

	for (unsigned k = 0; k < o->rulesets; k++) {
		struct cb_set seed, set;
		struct cb_yaml_opts yo;
		char path[256], err[512], label[128];
		size_t n = 50 + xorshift_below(&rnd, o->max_rules - 49);
		int ret;

		bool shared;

		snprintf(path, sizeof(path), "%s/%s", CB_SHARED_DIR, seeds[k % 3]);
		shared = !cb_load(path, &seed, err, sizeof(err));
		if (!shared && cb_sample_set(&seed)) {
			tap(false, "classbench: a seed set for generated rulesets");
			return;
		}
		ret = cb_generate(&seed, n, o->seed + k, &set);
		/* Every other set with trees preferred and small leaves, so
		 * that trees, forests, the chain and rules spilled from full
		 * leaves to the chain all hold rules of these shapes. */
		dp->opts.prefer_trees = k % 2 == 1;
		dp->opts.leaf_size = dp->opts.prefer_trees ? 1 + k / 2 % 3 : 0;
		snprintf(label, sizeof(label), "generated %zu rules like %s (seed %llu%s)", n,
			 shared ? seeds[k % 3] : "the sample (shared sets absent)",
			 (unsigned long long)(o->seed + k),
			 dp->opts.prefer_trees ? ", trees preferred" : "");
		if (ret) {
			tap(false, "classbench %s: %s", label, strerror(-ret));
			cb_set_free(&seed);
			continue;
		}
		cb_yaml_opts_init(&yo);
		yo.pass_percent = (unsigned)xorshift_below(&rnd, 101);
		yo.seed = o->seed + k;
		yo.skip_catch_all = k % 2;
		yo.default_action = xorshift_next(&rnd) & 1 ? "drop" : "pass";
		run_set(dp, label, &set, &yo, o->packets / 4, n > 2000, o);
		memset(&dp->opts, 0, sizeof(dp->opts));
		cb_set_free(&set);
		cb_set_free(&seed);
	}
}

void dp_test_classbench(struct dp *dp, const struct dp_cb_opts *o)
{
	shared_sets(dp, o);
	generated_sets(dp, o);
}
