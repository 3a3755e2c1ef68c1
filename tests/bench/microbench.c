// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-packet classification cost, measured with BPF_PROG_TEST_RUN: edgefw's
 * XDP and tc programs against baselines (an empty XDP_DROP program, the
 * parser alone, a naive classifier of per-field LPM tries and a hash, and
 * Debian's xdp-filter with the ruleset's exact matches) in the same run,
 * interleaved, so the ratios hold on a noisy machine. Then the cost of a
 * reload: compiling rulesets of growing size, loading them into the instance
 * and switching to them, and the kernel memory the instance's maps take.
 *
 *   microbench [--quick] [--reps N] [--json FILE] [--reload-json FILE]
 *              [--lists DIR] [--classbench-dir DIR] [--classbench-json FILE]
 *              [--classbench-sets NAME,NAME...]
 *              [--cb-budget CPU_SECONDS] [--classbench-only | --no-classbench]
 *              [--shapes] [--conntrack] [--dynamic-only] [--dynamic-json FILE]
 *              [--reload-only] [--scenarios NAME,NAME...]
 *
 * --scenarios: only the per-packet rows of these scenarios (names as in
 * the full set, "10 rules", "v6 10 rules", ...), nothing else: an A/B run
 * of two builds that fits in a few minutes.
 * --reload-only: only the reload table (compile, load + switch, memlock).
 * --conntrack: only the cost of connection tracking (ctbench.c).
 * --dynamic-only: only issue 16's figures (dynbench.c): a rule with and
 * without a per-source limit and behind a dynamic set, and `edgefw set
 * add` (EDGEFW, default build/edgefw) end to end.
 * --classbench-sets: ClassBench files of --classbench-dir to run instead of
 * acl1, fw1 and ipc1 at 1k and 10k (for example sets made from other seeds
 * by ClassBench's db_generator), at most 16.
 * --shapes: only the parse cost by frame shape (parsecost.c), under the
 * first scenario's ruleset.
 * --cycle N, --cycle-flows N, --no-cycle: the per-packet scenarios' XDP
 * programs again with every run a new flow (cycle.c): N runs per flow
 * (50), the first N of the 4,096 flows, or not at all.
 *
 * The reload figures go to their own file (by default reload.json, or
 * reload-quick.json with --quick, next to --json's): results.json stays the
 * per-packet array scripts/bench_plot.sh reads. So do the ClassBench
 * scenarios' (classbench_bench.c; classbench.json or classbench-quick.json)
 * and the rows where every run is a new flow (cycle.json,
 * cycle-quick.json).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.skel.h"
#include "benchutil.h"
#include "classbench_bench.h"
#include "classify.h"
#include "ctbench.h"
#include "cycle.h"
#include "dispatcher.h"
#include "dynbench.h"
#include "edgefw.skel.h"
#include "instance.h"
#include "memory.h"
#include "listfile.h"
#include "naive.h"
#include "packets.h"
#include "parsecost.h"
#include "ruleset.h"
#include "scengen.h"
#include "tables.h"
#include "xdpfilter.h"

#define N_FLOWS 4096

/* Runs per flow of the table where every run is a new flow (cycle.c); 0
 * leaves the table out (--no-cycle). */
static unsigned cycle_per_flow = 50;
/* Flows in that table's cycle (--cycle-flows, at most N_FLOWS): fewer keep
 * every line a flow reads in the caches, so that what is left over the
 * warm figure is branches. */
static unsigned cycle_flows = N_FLOWS;

struct result {
	const char *prog;
	const char *scenario;
	size_t prefixes, rules;
	uint8_t family;
	double median, min, max;
	double ratio; /* median / parse-only's median in the same scenario */
	char note[160];
};

/* Half the flows hit a rule (the blocklist, early, or a service, late),
 * half miss everything. */
static void build_flows(const struct scenario *sc, const struct ef_ruleset *rs, struct pkt *flows)
{
	for (size_t i = 0; i < N_FLOWS; i++) {
		struct pkt_spec s = { .family = sc->family == EF_AF_INET ? 4 : 6,
				      .l4proto = IPPROTO_TCP,
				      .sport = 40000,
				      .dport = 443,
				      .tcp_flags = 0x02,
				      .payload = 16 };
		struct ef_prefix p;

		random_prefix(sc->family, &p);
		host_in(&p, s.saddr);
		random_prefix(sc->family, &p);
		host_in(&p, s.daddr);
		if (i % 4 == 0) {
			const struct ef_addr_field *f = &rs->rules[0].src;

			host_in(&f->v[rnd() % f->n], s.saddr);
		} else if (i % 4 == 1 && rs->n_rules > 1) {
			const struct ef_rule *r = &rs->rules[1 + rnd() % (rs->n_rules - 1)];

			host_in(r->dst.v, s.daddr);
			s.dport = r->dport.v->lo;
			s.l4proto = ef_rule_has_proto(r, IPPROTO_TCP) ? IPPROTO_TCP : IPPROTO_UDP;
		}
		pkt_build(&flows[i], &s);
	}
}

static size_t n_results;
static struct result results[128];

/* Where the chain holds the rules and the address prefixes: skip nodes
 * (kern/edgefw.h, EDGEFW_SKIP) are what "Cache lines per packet" in
 * kern/DESIGN.md counts. */
static void print_placement(const struct ef_compiled *c)
{
	size_t skip = 0, all = 0;

	for (int f = 0; f < EF_FIELD_COUNT; f++)
		for (int fam = 0; fam < EF_FAM_COUNT; fam++)
			for (size_t i = 0; i < c->lpm[f][fam].n; i++) {
				skip += c->lpm[f][fam].v[i].home == EF_HOME_SKIP;
				all++;
			}
	printf("#   %zu rules in the chain, %zu in trees", c->n_chain_rules, c->n_tree_rules);
	for (unsigned t = 0; t < c->n_trees; t++)
		printf("%sIPv%d %s", t ? ", " : " (", c->trees[t].family == EF_AF_INET ? 4 : 6,
		       c->trees[t].trie_word == EF_TREE_NO_TRIE ? "tree"
		       : c->trees[t].trie_word < EDGEFW_TK_DST  ? "src forest"
								: "dst forest");
	printf("%s; %zu of %zu address prefixes behind skip nodes\n", c->n_trees ? ")" : "", skip,
	       all);
}

/* Is name one of the comma-separated names of list? */
static bool name_listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list;; p++) {
		if (!strncmp(p, name, len) && (p[len] == ',' || p[len] == '\0'))
			return true;
		p = strchr(p, ',');
		if (!p)
			return false;
	}
}

static void run_scenario(const struct scenario *sc, struct ef_instance *inst,
			 struct bench_bpf *base, const struct prog *progs, size_t n_progs,
			 unsigned reps, unsigned repeat)
{
	char notes[8][sizeof(results[0].note)] = {};
	size_t parse_only = n_progs;
	static const char *const ifnames[] = { "lo" };
	struct ef_prefix_list block;
	struct ef_apply_summary sum;
	struct ef_ruleset rs;
	struct ef_compiled c;
	struct ef_diag d = {};
	struct pkt *flows;
	double *samples;
	struct timespec t0, t1;

	if (build_ruleset(sc, &rs, &block)) {
		printf("# %s: skipped (%s not readable)\n", sc->name, sc->list ? sc->list : "?");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ef_compile(&rs, ifnames, 1, &c, &d) || ef_tables_apply(inst, &rs, &c, &sum)) {
		ef_diag_print(&d, stderr);
		fprintf(stderr, "microbench: %s: cannot load the ruleset\n", sc->name);
		exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %s: %zu prefixes, %zu rules: compiled and loaded in %.0f ms (%zu cells, %zu chain pairs, %zu classes, %u fields)\n",
	       sc->name, block.n, rs.n_rules,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
	       c.n_cells, c.n_chain, c.n_classes, c.n_dims);
	print_placement(&c);

	for (size_t p = 0; p < n_progs && p < 8; p++) {
		struct xdpfilter_counts xc;
		size_t entries;
		int err = 0;

		if (!strcmp(progs[p].name, "parse-only"))
			parse_only = p;
		if (progs[p].kind == PROG_NAIVE) {
			err = naive_load(base, &rs, &entries);
			if (!err)
				snprintf(notes[p], sizeof(notes[p]),
					 "%zu map entries; a rule matches when any one field does",
					 entries);
		} else if (progs[p].kind == PROG_XDPFILTER) {
			err = xdpfilter_fill(&rs, &xc);
			if (!err)
				snprintf(
					notes[p], sizeof(notes[p]),
					"exact matches only: %zu of %zu prefixes (%zu single addresses, map capacity %zu), %zu dports",
					xc.addrs, xc.prefixes, xc.single, xc.capacity, xc.ports);
		}
		if (err) {
			fprintf(stderr, "microbench: %s: cannot load %s: %s\n", sc->name,
				progs[p].name, strerror(-err));
			exit(2);
		}
	}

	flows = xcalloc(N_FLOWS, sizeof(*flows));
	build_flows(sc, &rs, flows);
	for (size_t p = 0; p < n_progs && p < 8; p++) {
		size_t len = strlen(notes[p]);

		if (progs[p].kind == PROG_BASELINE)
			continue;
		snprintf(notes[p] + len, sizeof(notes[p]) - len, "%sdrops %zu/%d flows",
			 len ? "; " : "", bench_count_drops(&progs[p], flows, N_FLOWS), N_FLOWS);
		printf("#   %s: %s\n", progs[p].name, notes[p]);
	}
	samples = xcalloc(n_progs * reps, sizeof(*samples));
	/* Interleaved: every repetition runs every program once. */
	for (unsigned r = 0; r < reps; r++)
		for (size_t p = 0; p < n_progs; p++)
			samples[p * reps + r] = bench_measure(progs[p].fd, flows, N_FLOWS, repeat);
	for (size_t p = 0; p < n_progs; p++)
		qsort(&samples[p * reps], reps, sizeof(*samples), bench_cmp_double);
	if (cycle_per_flow)
		cycle_scenario(base, sc->name, sc->family == EF_AF_INET ? 4 : 6, progs, n_progs,
			       flows, cycle_flows, reps, cycle_per_flow);
	for (size_t p = 0; p < n_progs && n_results < 128; p++) {
		double *s = &samples[p * reps];
		struct result *res = &results[n_results++];

		res->prog = progs[p].name;
		res->scenario = sc->name;
		res->prefixes = block.n;
		res->rules = rs.n_rules;
		res->family = sc->family;
		res->median = s[reps / 2];
		res->min = s[0];
		res->max = s[reps - 1];
		res->ratio = parse_only < n_progs
				     ? res->median / samples[parse_only * reps + reps / 2]
				     : 0;
		if (p < 8) /* same size, terminated by snprintf */
			memcpy(res->note, notes[p], sizeof(res->note));
	}
	free(samples);
	free(flows);
	ef_compiled_free(&c);
	ef_diag_free(&d);
	free_ruleset(&rs, &block);
}

static void print_results(FILE *json)
{
	printf("\n| program | ruleset | prefixes | rules | family | median ns/pkt | min | max | x parse-only |\n");
	printf("|---|---|---:|---:|---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n_results; i++) {
		const struct result *r = &results[i];

		printf("| %s | %s | %zu | %zu | IPv%d | %.1f | %.1f | %.1f | %.2f |\n", r->prog,
		       r->scenario, r->prefixes, r->rules, r->family == EF_AF_INET ? 4 : 6,
		       r->median, r->min, r->max, r->ratio);
	}
	printf("\nx parse-only: median / parse-only's median in the same scenario. "
	       "xdp-filter holds exact addresses and ports only (no prefixes, no "
	       "combined fields): it gets the blocklist's single addresses, up to "
	       "its map's capacity, and the rules' destination ports. The naive "
	       "classifier looks up each field alone (source and destination LPM "
	       "tries, a (protocol, port) hash) and applies the lowest rule any "
	       "found: exact for the blocklist, not for multi-field rules.\n");
	if (!json)
		return;
	fprintf(json, "[\n");
	for (size_t i = 0; i < n_results; i++) {
		const struct result *r = &results[i];

		fprintf(json,
			"  {\"program\": \"%s\", \"ruleset\": \"%s\", \"prefixes\": %zu, \"rules\": %zu, \"family\": \"ipv%d\", \"median_ns\": %.2f, \"min_ns\": %.2f, \"max_ns\": %.2f, \"ratio_parse_only\": %.3f, \"note\": \"%s\"}%s\n",
			r->prog, r->scenario, r->prefixes, r->rules,
			r->family == EF_AF_INET ? 4 : 6, r->median, r->min, r->max, r->ratio,
			r->note, i + 1 < n_results ? "," : "");
	}
	fprintf(json, "]\n");
}

/* --- reloads --- */

struct reload_result {
	const char *scenario;
	size_t prefixes, rules;
	double compile_ms, apply_ms; /* medians */
	double compile_min, compile_max, apply_min, apply_max;
	uint64_t memlock;  /* bytes the kernel charges for the instance's maps */
	uint64_t prev_gen; /* the previous generation's arrays, not in memlock */
	size_t estimate;   /* ef_compiled_memory */
};

static size_t n_reloads;
static struct reload_result reloads[8];

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Memory of every map of the instance plus the active generation's arrays
 * (*live), and apart what the other generation still holds (*prev: none
 * since the previous generation is released right after the switch). */
static int instance_memlock(const struct ef_instance *inst, uint64_t *live, uint64_t *prev)
{
	struct ef_ruleset_state st;
	struct ef_memory m;
	int ret = ef_instance_read_state(inst, &st);

	if (!ret)
		ret = ef_instance_memory(inst, &m);
	if (ret)
		return ret;
	*live = m.maps + m.gen[st.gen];
	*prev = m.gen[!st.gen];
	return 0;
}

/* reps reloads of one ruleset into an instance that already holds one, so
 * each pays what a real reload does: the new generation's writes, the
 * switch, the grace-period waits and the old generation's deletion. */
static void run_reload(const struct scenario *sc, struct ef_instance *inst, unsigned reps)
{
	static const char *const ifnames[] = { "lo" };
	struct reload_result *res = &reloads[n_reloads];
	struct ef_prefix_list block;
	struct ef_apply_summary sum;
	struct ef_ruleset rs;
	struct ef_compiled c = {};
	double *compile_ms, *apply_ms;
	int err;

	if (n_reloads >= sizeof(reloads) / sizeof(*reloads))
		return;
	if (build_ruleset(sc, &rs, &block)) {
		printf("# reload %s: skipped\n", sc->name);
		return;
	}
	compile_ms = xcalloc(reps, sizeof(*compile_ms));
	apply_ms = xcalloc(reps, sizeof(*apply_ms));
	for (unsigned r = 0; r < reps; r++) {
		struct ef_diag d = {};
		struct timespec t0;

		/* The last compilation is kept for the estimate. */
		ef_compiled_free(&c);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = ef_compile(&rs, ifnames, 1, &c, &d);
		compile_ms[r] = ms_since(&t0);
		if (!err) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			err = ef_tables_apply(inst, &rs, &c, &sum);
			apply_ms[r] = ms_since(&t0);
		}
		if (err) {
			ef_diag_print(&d, stderr);
			fprintf(stderr, "microbench: reload %s: %s\n", sc->name, strerror(-err));
			exit(2);
		}
		ef_diag_free(&d);
	}
	err = instance_memlock(inst, &res->memlock, &res->prev_gen);
	if (err) {
		fprintf(stderr, "microbench: reload %s: cannot read the maps' memory: %s\n",
			sc->name, strerror(-err));
		exit(2);
	}
	qsort(compile_ms, reps, sizeof(*compile_ms), bench_cmp_double);
	qsort(apply_ms, reps, sizeof(*apply_ms), bench_cmp_double);
	res->scenario = sc->name;
	res->prefixes = block.n;
	res->rules = rs.n_rules;
	res->compile_ms = compile_ms[reps / 2];
	res->compile_min = compile_ms[0];
	res->compile_max = compile_ms[reps - 1];
	res->apply_ms = apply_ms[reps / 2];
	res->apply_min = apply_ms[0];
	res->apply_max = apply_ms[reps - 1];
	res->estimate = ef_compiled_memory(&c);
	n_reloads++;
	printf("# reload %s: compile %.1f ms, load+switch %.1f ms (medians of %u), %zu cells, %zu classes\n",
	       sc->name, res->compile_ms, res->apply_ms, reps, c.n_cells, c.n_classes);
	free(compile_ms);
	free(apply_ms);
	ef_compiled_free(&c);
	free_ruleset(&rs, &block);
}

static void print_reloads(FILE *json, unsigned reps)
{
	const double mib = 1024.0 * 1024.0;

	if (!n_reloads)
		return;
	printf("\n| ruleset | prefixes | rules | compile ms | load+switch ms | memlock MiB | estimate MiB |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n_reloads; i++) {
		const struct reload_result *r = &reloads[i];

		printf("| %s | %zu | %zu | %.1f | %.1f | %.1f | %.1f |\n", r->scenario, r->prefixes,
		       r->rules, r->compile_ms, r->apply_ms, (double)r->memlock / mib,
		       (double)r->estimate / mib);
	}
	printf("\nMedians of %u reloads into an instance already holding a ruleset. "
	       "memlock: the kernel's accounting (fdinfo) of the instance's maps "
	       "and the active generation's arrays, whose size is the instance's "
	       "capacity (set for this benchmark, not grown); the other generation "
	       "holds %.1f MiB after the reload. "
	       "estimate: ef_compiled_memory, from the entry counts.\n",
	       reps, (double)reloads[n_reloads - 1].prev_gen / mib);
	if (!json)
		return;
	fprintf(json, "[\n");
	for (size_t i = 0; i < n_reloads; i++) {
		const struct reload_result *r = &reloads[i];

		fprintf(json,
			"  {\"ruleset\": \"%s\", \"prefixes\": %zu, \"rules\": %zu, \"reloads\": %u, \"compile_ms\": %.3f, \"compile_min_ms\": %.3f, \"compile_max_ms\": %.3f, \"apply_ms\": %.3f, \"apply_min_ms\": %.3f, \"apply_max_ms\": %.3f, \"memlock_bytes\": %" PRIu64
			", \"prev_gen_memlock_bytes\": %" PRIu64 ", \"estimate_bytes\": %zu}%s\n",
			r->scenario, r->prefixes, r->rules, reps, r->compile_ms, r->compile_min,
			r->compile_max, r->apply_ms, r->apply_min, r->apply_max, r->memlock,
			r->prev_gen, r->estimate, i + 1 < n_reloads ? "," : "");
	}
	fprintf(json, "]\n");
}

/* An unknown argument (or --help) runs nothing: a typo must not start a
 * run of several minutes that ignores it. */
/* path opened for writing, or NULL when there is none or it cannot be
 * written (said on stderr): the table is printed either way. */
static FILE *json_open(const char *path)
{
	FILE *f = path ? fopen(path, "w") : NULL;

	if (path && !f)
		fprintf(stderr, "microbench: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static void json_close(FILE *f)
{
	if (f)
		fclose(f);
}

/* name in json_path's directory, written into buf (PATH_MAX bytes). */
static const char *beside(const char *json_path, const char *name, char *buf)
{
	char dir[PATH_MAX];

	/* dirname may modify its argument. */
	snprintf(dir, sizeof(dir), "%s", json_path);
	snprintf(buf, PATH_MAX, "%s/%s", dirname(dir), name);
	return buf;
}

static int usage(const char *arg)
{
	bool help = !strcmp(arg, "--help") || !strcmp(arg, "-h");

	if (!help)
		fprintf(stderr, "microbench: unknown or incomplete argument '%s'\n", arg);
	fprintf(help ? stdout : stderr,
		"usage: microbench [--quick] [--reps N] [--repeat N] [--json FILE]\n"
		"       [--reload-only] [--reload-json FILE] [--lists DIR]\n"
		"       [--classbench-dir DIR] [--classbench-json FILE] [--classbench-sets A,B]\n"
		"       [--cb-budget SECONDS] [--classbench-only] [--no-classbench] [--shapes]\n"
		"       [--conntrack] [--dynamic-only] [--dynamic-json FILE] [--scenarios A,B]\n"
		"       [--cycle RUNS_PER_FLOW | --no-cycle] [--cycle-flows N]\n");
	return help ? 0 : 2;
}

int main(int argc, char **argv)
{
	const char *json_path = NULL, *reload_path = NULL, *cb_path = NULL;
	const char *lists = "../shared/data/lists";
	const char *cb_dir = "../shared/data/classbench";
	char reload_default[PATH_MAX], cb_default[PATH_MAX], cycle_default[PATH_MAX];
	const char *cycle_path = NULL;
	bool cb_only = false, no_cb = false;
	bool reload_only = false; /* only the reload table */
	double cb_budget = 600;
	int xf_fd = -1;
	unsigned reps = 5, repeat = 50;
	bool quick = false, shapes_only = false, ct_only = false, dyn_only = false;
	const char *dyn_path = NULL, *cb_sets = NULL, *only = NULL;
	struct edgefw_bpf *skel = NULL;
	struct bench_bpf *base = NULL;
	struct ef_instance inst;
	char name[32], firehol[512];
	FILE *json = NULL;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--reload-only"))
			reload_only = true;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_path = argv[++i];
		else if (!strcmp(argv[i], "--reload-json") && i + 1 < argc)
			reload_path = argv[++i];
		else if (!strcmp(argv[i], "--lists") && i + 1 < argc)
			lists = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--classbench-dir") && i + 1 < argc)
			cb_dir = argv[++i];
		else if (!strcmp(argv[i], "--classbench-json") && i + 1 < argc)
			cb_path = argv[++i];
		else if (!strcmp(argv[i], "--classbench-sets") && i + 1 < argc)
			cb_sets = argv[++i];
		else if (!strcmp(argv[i], "--cb-budget") && i + 1 < argc)
			cb_budget = atof(argv[++i]);
		else if (!strcmp(argv[i], "--classbench-only"))
			cb_only = true;
		else if (!strcmp(argv[i], "--no-classbench"))
			no_cb = true;
		else if (!strcmp(argv[i], "--shapes"))
			shapes_only = true;
		else if (!strcmp(argv[i], "--conntrack"))
			ct_only = true;
		else if (!strcmp(argv[i], "--dynamic-only"))
			dyn_only = true;
		else if (!strcmp(argv[i], "--dynamic-json") && i + 1 < argc)
			dyn_path = argv[++i];
		else if (!strcmp(argv[i], "--scenarios") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--cycle") && i + 1 < argc)
			cycle_per_flow = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-cycle"))
			cycle_per_flow = 0;
		else if (!strcmp(argv[i], "--cycle-flows") && i + 1 < argc)
			cycle_flows = (unsigned)atoi(argv[++i]);
		else
			return usage(argv[i]);
	}
	if (reps < 1)
		reps = 1;
	if (cycle_flows < 1 || cycle_flows > N_FLOWS)
		cycle_flows = N_FLOWS;
	if (!reload_path && json_path)
		reload_path = beside(json_path, quick ? "reload-quick.json" : "reload.json",
				     reload_default);
	if (!cb_path && json_path)
		cb_path = beside(json_path, quick ? "classbench-quick.json" : "classbench.json",
				 cb_default);
	if (json_path)
		cycle_path =
			beside(json_path, quick ? "cycle-quick.json" : "cycle.json", cycle_default);

	snprintf(firehol, sizeof(firehol), "%s/firehol_level1.netset", lists);

	bench_instance_name(name, sizeof(name), NULL);
	/* Room for 100k scattered prefixes: a /32 among others takes up to 64
	 * cells. */
	ef_instance_set_capacity(1u << 23, 1u << 18, EDGEFW_TNODES_DEFAULT, EDGEFW_TLEAVES_DEFAULT);
	ret = ef_instance_open(name, EF_OPEN_CREATE, &inst);
	if (ret)
		return 2;
	skel = edgefw_bpf__open();
	base = bench_bpf__open_and_load();
	if (!skel || !base || ef_instance_reuse_maps(&inst, skel->obj) || edgefw_bpf__load(skel)) {
		fprintf(stderr, "microbench: cannot load the BPF programs\n");
		ret = 2;
		goto out;
	}
	if (bench_publish_loopback(&inst)) {
		ret = 2;
		goto out;
	}
	{
		struct prog progs[] = {
			{ "xdp-drop (empty)", bpf_program__fd(base->progs.bench_xdp_drop),
			  PROG_BASELINE, false },
			{ "parse-only", bpf_program__fd(base->progs.bench_parse_only),
			  PROG_BASELINE, false },
			{ "naive (LPM tries + hash)", bpf_program__fd(base->progs.bench_naive),
			  PROG_NAIVE, false },
			{ "edgefw xdp", bpf_program__fd(skel->progs.edgefw_xdp), PROG_EDGEFW,
			  false },
			{ "edgefw tc", bpf_program__fd(skel->progs.edgefw_tc_ingress), PROG_EDGEFW,
			  true },
			{ "xdp-filter", -1, PROG_XDPFILTER, false },
		};
		size_t n_progs = sizeof(progs) / sizeof(*progs);
		const struct scenario full[] = {
			{ "10 rules", EF_AF_INET, 10, 9, NULL },
			{ "1k prefixes", EF_AF_INET, 1000, 9, NULL },
			{ "10k prefixes", EF_AF_INET, 10000, 9, NULL },
			{ "100k prefixes", EF_AF_INET, 100000, 9, NULL },
			{ "1k prefixes + 10k rules", EF_AF_INET, 1000, 10000, NULL },
			{ "10k prefixes + 10k rules", EF_AF_INET, 10000, 10000, NULL },
			{ "100k prefixes + 10k rules", EF_AF_INET, 100000, 10000, NULL },
			{ "firehol_level1", EF_AF_INET, 0, 9, firehol },
			{ "v6 10 rules", EF_AF_INET6, 10, 9, NULL },
			{ "v6 100k prefixes + 10k rules", EF_AF_INET6, 100000, 10000, NULL },
		};
		const struct scenario quick_set[] = {
			{ "10 rules", EF_AF_INET, 10, 9, NULL },
			{ "100k prefixes + 10k rules", EF_AF_INET, 100000, 10000, NULL },
			{ "v6 100k prefixes + 10k rules", EF_AF_INET6, 100000, 10000, NULL },
		};
		const struct scenario *set = quick ? quick_set : full;
		int xdp_fds[4] = { progs[0].fd, progs[1].fd, progs[2].fd, progs[3].fd };

		if (keep_in_dispatcher(xdp_fds, 4)) {
			fprintf(stderr,
				"microbench: cannot attach the programs in a private namespace\n");
			ret = 2;
			goto out;
		}
		/* In the private namespace: its interface vanishes with us. */
		ret = xdpfilter_start(&progs[n_progs - 1].fd);
		if (ret) {
			printf("# xdp-filter: skipped (%s)\n",
			       ret == -EEXIST ? "another xdp-filter is loaded on this host"
					      : strerror(-ret));
			xdpfilter_stop();
			n_progs--;
		} else {
			xf_fd = progs[n_progs - 1].fd;
		}
		size_t n = cb_only ? 0
			   : quick ? sizeof(quick_set) / sizeof(*quick_set)
				   : sizeof(full) / sizeof(*full);

		printf("# %u repetitions, %d flows, each run %u times per measurement\n", reps,
		       N_FLOWS, repeat);
		const struct parse_prog shapes[] = {
			{ "parse-only", progs[1].fd, false },
			{ "edgefw xdp", progs[3].fd, false },
			{ "edgefw tc", progs[4].fd, true },
		};

		if (ct_only) {
			ct_bench(&inst, &progs[3], 2, reps, repeat);
			goto done;
		}
		if (reload_only)
			goto reloads;
		if (only) {
			for (size_t i = 0; i < sizeof(full) / sizeof(*full); i++)
				if (name_listed(only, full[i].name))
					run_scenario(&full[i], &inst, base, progs, n_progs, reps,
						     repeat);
			goto done;
		}
		if (shapes_only)
			n = 1;
		if (dyn_only || (!shapes_only && !cb_only)) {
			FILE *dj = dyn_path ? fopen(dyn_path, "w") : NULL;
			const char *bin = getenv("EDGEFW");

			bench_dynamic(&inst, &progs[3], &progs[4], &progs[1],
				      bin ? bin : "build/edgefw", reps, repeat, dj);
			if (dj)
				fclose(dj);
			if (dyn_only) {
				ret = 0;
				goto out;
			}
		}
		for (size_t i = 0; i < n; i++)
			run_scenario(&set[i], &inst, base, progs, n_progs, reps, repeat);
		bench_parse_shapes(shapes, sizeof(shapes) / sizeof(*shapes), reps, repeat);
		if (shapes_only)
			goto done;
		ct_bench(&inst, &progs[3], 2, reps, repeat);
reloads:;
		/* Source blocklists as in the per-packet scenarios, with the
		 * same 9 multi-field rules after them. The instance holds the
		 * last scenario's ruleset, so even the first is a reload. */
		const struct scenario reload_full[] = {
			{ "10 prefixes", EF_AF_INET, 10, 9, NULL },
			{ "1k prefixes", EF_AF_INET, 1000, 9, NULL },
			{ "10k prefixes", EF_AF_INET, 10000, 9, NULL },
			{ "100k prefixes", EF_AF_INET, 100000, 9, NULL },
		};
		const struct scenario reload_quick[] = {
			{ "10 prefixes", EF_AF_INET, 10, 9, NULL },
			{ "100k prefixes", EF_AF_INET, 100000, 9, NULL },
		};
		const struct scenario *rset = quick ? reload_quick : reload_full;
		size_t rn = cb_only ? 0
			    : quick ? sizeof(reload_quick) / sizeof(*reload_quick)
				    : sizeof(reload_full) / sizeof(*reload_full);

		for (size_t i = 0; i < rn; i++)
			run_reload(&rset[i], &inst, reps);
	}
done:
	if (!cb_only) {
		json = json_open(json_path);
		print_results(json);
		json_close(json);
		json = json_open(cycle_path);
		cycle_print(json);
		json_close(json);
	}
	json = json_open(cb_only ? NULL : reload_path);
	print_reloads(json, reps);
	json_close(json);
	json = NULL;
	ret = 0;
	if (!no_cb && !shapes_only && !ct_only) {
		struct cbb_env env = { .inst = &inst,
				       .skel = skel,
				       .base = base,
				       .xdpfilter_fd = xf_fd,
				       .reps = reps,
				       .repeat = repeat,
				       .quick = quick,
				       .dir = cb_dir,
				       .sets = cb_sets,
				       .budget_cpu = cb_budget,
				       .json_path = cb_path };

		ret = classbench_bench(&env) ? 2 : 0;
	}
out:
	xdpfilter_stop();
	bench_bpf__destroy(base);
	edgefw_bpf__destroy(skel);
	ef_instance_destroy(&inst);
	return ret;
}
