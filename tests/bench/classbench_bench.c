// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ClassBench scenarios of `make bench`: acl1, fw1 and ipc1 at about
 * 1,000 and 10,000 rules (../shared/data/classbench; --quick: the 1k ones),
 * each line one rule as tests/lib/classbench.h converts it, every rule
 * dropping and the default passing. The last line, which matches
 * everything, is left out so that packets can match no rule.
 *
 * For each set:
 * - the compiler, in a process of its own (`edgefw compile --json`): wall
 *   and CPU time, peak RSS (getrusage of the child), the map memory per
 *   generation it estimates, or its refusal message ("refused: ...") and
 *   what the refusal cost. A set it refuses stops there;
 * - in this process: ef_compile and load + switch (ef_tables_apply) times,
 *   medians;
 * - ns per packet, with BPF_PROG_TEST_RUN, over two flow sets: packets
 *   aimed inside rules of the second half whose winner (by the lines' own
 *   matcher) is in the second half ("late"), and packets no rule matches
 *   ("miss"). Next to parse-only, the naive classifier, xdp-filter with
 *   what it can express, and edgefw holding 10 of the set's rules (a
 *   second instance), all interleaved in the same run: ratios to those are
 *   the figures, never the nanoseconds alone.
 */
#include "classbench_bench.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.skel.h"
#include "benchutil.h"
#include "classbench.h"
#include "classify.h"
#include "dispatcher.h"
#include "edgefw.skel.h"
#include "instance.h"
#include "naive.h"
#include "probe.h"
#include "ruleset.h"
#include "tables.h"
#include "xdpfilter.h"
#include "xorshift.h"

#define CB_FLOWS 2048
#define N_PROGS 7
#define MAX_SETS CBB_MAX_SETS

struct compile_row {
	const char *set;
	size_t lines, rules;
	bool accepted;
	char status[640];
	double wall_s, cpu_s; /* the compiler's process */
	size_t maxrss, estimate;
	double compile_ms, apply_ms; /* in this process, medians */
	double compile_cpu_ms;       /* the same compilations' CPU time */
	size_t late, miss;           /* flows found */
	double late_pos;             /* mean winner position in the rules, 0-1 */
};

struct packet_row {
	const char *set, *traffic, *prog;
	/* x_ten: over the 10-rule instance's program at the same hook (tc
	 * rows over its tc program, the others over its XDP one); x_ten_xdp:
	 * over its XDP program, every row (the column before the tc one). */
	double median, min, max, x_parse, x_ten, x_ten_xdp;
	char note[200];
};

static struct compile_row crows[MAX_SETS];
static size_t n_crows;
static struct packet_row prows[MAX_SETS * 2 * N_PROGS];
static size_t n_prows;

/* The second instance, holding 10 rules of the set's shape (ten_load). */
struct ten {
	struct ef_instance inst;
	struct edgefw_bpf *skel;
	int xdp_fd;
};

static double ms_since(clockid_t clock, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(clock, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static char *yaml_text(const struct cb_set *set, const struct cb_yaml_opts *yo, size_t *len)
{
	struct cb_yaml_stats st;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (cb_write_yaml(f, set, yo, &st)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	return fclose(f) ? NULL : buf;
}

static int parse_text(const char *name, const char *yaml, size_t len, struct ef_ruleset *rs,
		      char *why, size_t why_len)
{
	struct ef_diag d = { 0 };
	int ret = ef_ruleset_parse(name, yaml, len, rs, &d);

	for (size_t i = 0; ret && i < d.n; i++)
		if (d.v[i].sev == EF_SEV_ERROR) {
			snprintf(why, why_len, "%s", d.v[i].msg);
			break;
		}
	ef_diag_free(&d);
	return ret;
}

/* `edgefw compile --json` on the text in a child: what it costs and says. */
static void compile_in_child(const struct cbb_env *env, const char *yaml, size_t len,
			     struct compile_row *row)
{
	char path[] = "/tmp/efw-cbb-XXXXXX";
	struct probe_limits lim = { .cpu_seconds = env->budget_cpu,
				    .seconds = 3 * env->budget_cpu,
				    .rss_bytes = 8ul << 30 };
	struct probe_result r;
	json_object *root, *mem;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, yaml, len) != (ssize_t)len) {
		snprintf(row->status, sizeof(row->status), "cannot write %s", path);
		if (fd >= 0)
			close(fd);
		unlink(path);
		return;
	}
	close(fd);
	printf("# %s: compiling in a child (budget %.0f s of CPU, 8 GiB)...\n", row->set,
	       env->budget_cpu);
	fflush(stdout);
	probe_run((char *[]){ (char *)probe_edgefw(), "compile", "--json", path, NULL }, &lim, &r);
	unlink(path);
	row->wall_s = r.seconds;
	row->cpu_s = r.cpu_seconds;
	row->maxrss = r.maxrss;
	row->accepted = r.outcome == PROBE_OK;
	if (r.outcome == PROBE_FAILED)
		snprintf(row->status, sizeof(row->status), "refused: %s", probe_message(&r));
	else
		probe_describe(&r, &lim, row->status, sizeof(row->status));
	root = row->accepted ? json_tokener_parse(r.out) : NULL;
	if (root && json_object_object_get_ex(root, "memory_bytes", &mem))
		row->estimate = (size_t)json_object_get_uint64(mem);
	json_object_put(root);
	probe_result_free(&r);
}

/* ef_compile and ef_tables_apply, reps times; the last stays loaded. */
static int compile_and_load(const struct cbb_env *env, const struct ef_ruleset *rs, unsigned reps,
			    struct compile_row *row)
{
	static const char *const ifnames[] = { "lo" };
	double *cms = calloc(reps, sizeof(*cms)), *ams = calloc(reps, sizeof(*ams));
	double *cpu = calloc(reps, sizeof(*cpu));
	int ret = cms && ams && cpu ? 0 : -ENOMEM;

	for (unsigned k = 0; k < reps && !ret; k++) {
		struct ef_apply_summary sum;
		struct ef_compiled c;
		struct ef_diag d = { 0 };
		struct timespec t0, c0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		ret = ef_compile(rs, ifnames, 1, &c, &d);
		cms[k] = ms_since(CLOCK_MONOTONIC, &t0);
		cpu[k] = ms_since(CLOCK_THREAD_CPUTIME_ID, &c0);
		ef_diag_free(&d);
		if (ret)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = ef_tables_apply(env->inst, rs, &c, &sum);
		ams[k] = ms_since(CLOCK_MONOTONIC, &t0);
		ef_compiled_free(&c);
	}
	if (!ret) {
		qsort(cms, reps, sizeof(*cms), bench_cmp_double);
		qsort(ams, reps, sizeof(*ams), bench_cmp_double);
		qsort(cpu, reps, sizeof(*cpu), bench_cmp_double);
		row->compile_ms = cms[reps / 2];
		row->apply_ms = ams[reps / 2];
		row->compile_cpu_ms = cpu[reps / 2];
	}
	free(cms);
	free(ams);
	free(cpu);
	return ret;
}

static void frame_of(const struct cb_packet *c, struct pkt *p)
{
	struct pkt_spec s = { .family = 4,
			      .l4proto = c->proto,
			      .sport = c->sport,
			      .dport = c->dport,
			      .tcp_flags = 0x02,
			      .payload = 16 };

	for (int i = 0; i < 4; i++) {
		s.saddr[i] = (uint8_t)(c->src >> (24 - 8 * i));
		s.daddr[i] = (uint8_t)(c->dst >> (24 - 8 * i));
	}
	pkt_build(p, &s);
}

/* Packets aimed at rules of the second half that the second half wins. */
static size_t late_flows(const struct cb_set *set, const struct cb_yaml_opts *yo, struct pkt *flows,
			 double *mean_pos)
{
	uint64_t rnd = xorshift_seed(0x1a7e ^ set->n);
	size_t n = 0, half = set->n / 2;
	double pos = 0;

	for (size_t tries = 0; n < CB_FLOWS && tries < 200 * CB_FLOWS; tries++) {
		size_t i = half + xorshift_below(&rnd, set->n - half);
		struct cb_packet c;
		long w;

		if (!cb_rule_kept(set, i, yo))
			continue;
		cb_aim(&set->v[i], &rnd, &c);
		w = cb_match(set, 0, set->n, yo, &c);
		if (w < (long)half)
			continue;
		pos += (double)w / (double)set->n;
		frame_of(&c, &flows[n++]);
	}
	*mean_pos = n ? pos / (double)n : 0;
	return n;
}

/* TCP and UDP packets no rule matches. */
static size_t miss_flows(const struct cb_set *set, const struct cb_yaml_opts *yo, struct pkt *flows)
{
	uint64_t rnd = xorshift_seed(0x4d155 ^ set->n);
	size_t n = 0;

	for (size_t tries = 0; n < CB_FLOWS && tries < 200 * CB_FLOWS; tries++) {
		uint64_t x = xorshift_next(&rnd);
		struct cb_packet c = { .src = (uint32_t)x,
				       .dst = (uint32_t)(x >> 32),
				       .proto = xorshift_next(&rnd) & 1 ? 6 : 17 };

		x = xorshift_next(&rnd);
		c.sport = (uint16_t)x;
		c.dport = (uint16_t)(x >> 16);
		if (cb_match(set, 0, set->n, yo, &c) < 0)
			frame_of(&c, &flows[n++]);
	}
	return n;
}

static int ten_open(struct ten *t)
{
	char name[EF_INSTANCE_NAME_MAX];
	int ret;

	memset(t, 0, sizeof(*t));
	t->inst.lock_fd = -1;
	bench_instance_name(name, sizeof(name), "10");
	ef_instance_set_capacity(EDGEFW_CELLS_DEFAULT, EDGEFW_CLASSES_DEFAULT,
				 EDGEFW_TNODES_DEFAULT, EDGEFW_TLEAVES_DEFAULT);
	ret = ef_instance_open(name, EF_OPEN_CREATE, &t->inst);
	if (ret)
		return ret;
	t->skel = edgefw_bpf__open();
	if (!t->skel)
		return -errno;
	ret = ef_instance_reuse_maps(&t->inst, t->skel->obj);
	if (!ret)
		ret = edgefw_bpf__load(t->skel);
	if (!ret)
		ret = bench_publish_loopback(&t->inst);
	if (ret)
		return ret;
	t->xdp_fd = bpf_program__fd(t->skel->progs.edgefw_xdp);
	return keep_in_dispatcher(&t->xdp_fd, 1);
}

static void ten_close(struct ten *t)
{
	edgefw_bpf__destroy(t->skel);
	if (t->inst.lock_fd >= 0 || t->inst.name[0])
		ef_instance_destroy(&t->inst);
}

/* Ten rules of the set's shape in the second instance: for traffic that
 * misses, the set's first 10 rules (no packet matches them); for traffic
 * that hits, its first 9 and a 10th matching every TCP and UDP packet, so
 * that every packet walks every field to a hit, as in the big set. Lines
 * the conversion skips do not count. */
static int ten_load(struct ten *t, const struct cb_set *set, const struct cb_yaml_opts *yo,
		    bool hit)
{
	static const char *const ifnames[] = { "lo" };
	static const char catch_all[] =
		"  - {name: ten-catch-all, proto: [tcp, udp], action: drop}\n";
	struct cb_rule kept[10];
	struct cb_set first = { .v = kept };
	struct ef_apply_summary sum;
	struct ef_ruleset rs;
	struct ef_compiled c;
	struct ef_diag d = { 0 };
	char why[256], *yaml, *text = NULL;
	size_t len, want = hit ? 9 : 10;
	int ret = -ENOMEM;

	/* The first lines that become rules: a set may start with lines the
	 * conversion skips (ports on a protocol without ports). At least one,
	 * so that the YAML has a rule list to append to. */
	for (size_t i = 0; i < set->n && first.n < want; i++)
		if (cb_rule_kept(set, i, yo))
			kept[first.n++] = set->v[i];
	if (!first.n)
		return -ENOENT;
	yaml = yaml_text(&first, yo, &len);
	if (yaml && (text = malloc(len + sizeof(catch_all)))) {
		memcpy(text, yaml, len);
		if (hit) {
			memcpy(text + len, catch_all, sizeof(catch_all) - 1);
			len += sizeof(catch_all) - 1;
		}
		ret = parse_text("ten.yaml", text, len, &rs, why, sizeof(why));
	}
	if (!ret) {
		ret = ef_compile(&rs, ifnames, 1, &c, &d);
		if (!ret)
			ret = ef_tables_apply(&t->inst, &rs, &c, &sum);
		if (!ret)
			ef_compiled_free(&c);
		ef_ruleset_free(&rs);
	}
	ef_diag_free(&d);
	free(yaml);
	free(text);
	return ret;
}

/* Fills the baselines' tables with rs; notes what each holds. */
static int load_baselines(const struct cbb_env *env, const struct ef_ruleset *rs,
			  char notes[N_PROGS][200])
{
	struct xdpfilter_counts xc;
	size_t entries, skipped;
	int ret = naive_load_partial(env->base, rs, &entries, &skipped);

	if (ret)
		return ret;
	snprintf(
		notes[1], sizeof(notes[1]),
		"%zu map entries, %zu port ranges left out; a rule matches when any one field does",
		entries, skipped);
	if (env->xdpfilter_fd >= 0) {
		ret = xdpfilter_fill_all(rs, &xc);
		if (ret)
			return ret;
		snprintf(
			notes[2], sizeof(notes[2]),
			"exact matches only: %zu of %zu addresses (%zu single), %zu dports; any one matching drops",
			xc.addrs, xc.prefixes, xc.single, xc.ports);
	}
	return 0;
}

static void measure_traffic(const struct cbb_env *env, const char *set, const char *traffic,
			    const struct prog *progs, size_t n_progs, const struct pkt *flows,
			    size_t n_flows, char notes[N_PROGS][200])
{
	double *samples = calloc(n_progs * env->reps, sizeof(*samples));
	double parse = 0, ten = 0, ten_tc = 0;

	if (!samples || !n_flows) {
		printf("# %s %s: no flows: %s\n", set, traffic,
		       n_flows ? "out of memory"
			       : "no TCP/UDP packet of 200 random tries per flow falls outside every rule (the set's wide rules cover the address space)");
		free(samples);
		return;
	}
	for (size_t p = 0; p < n_progs; p++) {
		if (progs[p].kind == PROG_BASELINE)
			continue;
		printf("#   %s %s, %s: %s%sdrops %zu/%zu flows\n", set, traffic, progs[p].name,
		       notes[p], notes[p][0] ? "; " : "",
		       bench_count_drops(&progs[p], flows, n_flows), n_flows);
	}
	/* Interleaved: every repetition runs every program once. */
	for (unsigned r = 0; r < env->reps; r++)
		for (size_t p = 0; p < n_progs; p++)
			samples[p * env->reps + r] =
				bench_measure(progs[p].fd, flows, n_flows, env->repeat);
	for (size_t p = 0; p < n_progs; p++)
		qsort(&samples[p * env->reps], env->reps, sizeof(*samples), bench_cmp_double);
	parse = samples[0 * env->reps + env->reps / 2];
	for (size_t p = 0; p < n_progs; p++)
		if (!strcmp(progs[p].name, "edgefw xdp, 10 rules"))
			ten = samples[p * env->reps + env->reps / 2];
		else if (!strcmp(progs[p].name, "edgefw tc, 10 rules"))
			ten_tc = samples[p * env->reps + env->reps / 2];
	for (size_t p = 0; p < n_progs && n_prows < sizeof(prows) / sizeof(*prows); p++) {
		const double *s = &samples[p * env->reps];
		struct packet_row *row = &prows[n_prows++];

		*row = (struct packet_row){ .set = set,
					    .traffic = traffic,
					    .prog = progs[p].name,
					    .median = s[env->reps / 2],
					    .min = s[0],
					    .max = s[env->reps - 1] };
		row->x_parse = parse > 0 ? row->median / parse : 0;
		row->x_ten_xdp = ten > 0 ? row->median / ten : 0;
		/* Like with like: a tc program does more per packet (the skb). */
		row->x_ten = progs[p].tc ? (ten_tc > 0 ? row->median / ten_tc : 0) : row->x_ten_xdp;
		snprintf(row->note, sizeof(row->note), "%s", notes[p]);
	}
	free(samples);
}

static void run_packets(const struct cbb_env *env, struct ten *ten, const struct cb_set *set,
			const struct cb_yaml_opts *yo, const struct ef_ruleset *rs,
			struct compile_row *row)
{
	char notes[N_PROGS][200] = { { 0 } };
	struct prog progs[N_PROGS] = {
		{ "parse-only", bpf_program__fd(env->base->progs.bench_parse_only), PROG_BASELINE,
		  false },
		{ "naive (LPM tries + hash)", bpf_program__fd(env->base->progs.bench_naive),
		  PROG_NAIVE, false },
		{ "xdp-filter", env->xdpfilter_fd, PROG_XDPFILTER, false },
		{ "edgefw xdp, 10 rules", ten->xdp_fd, PROG_EDGEFW, false },
		{ "edgefw xdp", bpf_program__fd(env->skel->progs.edgefw_xdp), PROG_EDGEFW, false },
		{ "edgefw tc", bpf_program__fd(env->skel->progs.edgefw_tc_ingress), PROG_EDGEFW,
		  true },
		{ "edgefw tc, 10 rules", bpf_program__fd(ten->skel->progs.edgefw_tc_ingress),
		  PROG_EDGEFW, true },
	};
	struct pkt *late = calloc(CB_FLOWS, sizeof(*late)), *miss = calloc(CB_FLOWS, sizeof(*miss));
	size_t n_progs = N_PROGS, ten_at = 3;
	int ret;

	if (!late || !miss)
		goto out;
	ret = load_baselines(env, rs, notes);
	if (ret) {
		printf("# %s: cannot load the naive classifier or xdp-filter: %s\n", row->set,
		       strerror(-ret));
		goto out;
	}
	ret = ten_load(ten, set, yo, true);
	if (ret) {
		printf("# %s: cannot load the 10-rule instance: %s\n", row->set, strerror(-ret));
		goto out;
	}
	if (env->xdpfilter_fd < 0) {
		memmove(&progs[2], &progs[3], (N_PROGS - 3) * sizeof(*progs));
		memmove(notes[2], notes[3], (N_PROGS - 3) * sizeof(*notes));
		n_progs--;
		ten_at--;
	}
	row->late = late_flows(set, yo, late, &row->late_pos);
	row->miss = miss_flows(set, yo, miss);
	printf("# %s: %zu late flows (winners at %.0f%% of the rules on average), %zu miss flows\n",
	       row->set, row->late, 100 * row->late_pos, row->miss);
	snprintf(notes[ten_at], sizeof(notes[ten_at]),
		 "the set's first 9 rules and one matching every TCP/UDP packet");
	memcpy(notes[n_progs - 1], notes[ten_at], sizeof(notes[ten_at]));
	measure_traffic(env, row->set, "late rule", progs, n_progs, late, row->late, notes);
	ret = ten_load(ten, set, yo, false);
	if (ret) {
		printf("# %s: cannot load the first 10 rules: %s\n", row->set, strerror(-ret));
		goto out;
	}
	snprintf(notes[ten_at], sizeof(notes[ten_at]), "the set's first 10 rules");
	memcpy(notes[n_progs - 1], notes[ten_at], sizeof(notes[ten_at]));
	measure_traffic(env, row->set, "no rule", progs, n_progs, miss, row->miss, notes);
out:
	free(late);
	free(miss);
}

static void bench_set(const struct cbb_env *env, struct ten *ten, const char *name)
{
	struct compile_row *row = &crows[n_crows];
	struct cb_yaml_opts yo;
	struct ef_ruleset rs;
	struct cb_set set;
	char path[512], err[512];
	size_t len;
	char *yaml;

	snprintf(path, sizeof(path), "%s/%s", env->dir, name);
	if (cb_load(path, &set, err, sizeof(err))) {
		printf("# %s: skipped (%s)\n", name, err);
		return;
	}
	cb_yaml_opts_init(&yo);
	yo.skip_catch_all = true;
	yaml = yaml_text(&set, &yo, &len);
	memset(row, 0, sizeof(*row));
	row->set = name;
	row->lines = set.n;
	n_crows++;
	if (!yaml) {
		snprintf(row->status, sizeof(row->status), "cannot convert: out of memory");
		goto out;
	}
	for (size_t i = 0; i < set.n; i++)
		row->rules += cb_rule_kept(&set, i, &yo);
	compile_in_child(env, yaml, len, row);
	printf("# %s: %s\n", name, row->status);
	if (!row->accepted)
		goto out;
	if (parse_text(name, yaml, len, &rs, err, sizeof(err))) {
		snprintf(row->status, sizeof(row->status), "does not parse here: %s", err);
		goto out;
	}
	if (compile_and_load(env, &rs, set.n > 2000 && env->reps > 3 ? 3 : env->reps, row)) {
		snprintf(row->status, sizeof(row->status), "compiled in the child, not here");
		row->accepted = false;
	} else {
		run_packets(env, ten, &set, &yo, &rs, row);
	}
	ef_ruleset_free(&rs);
out:
	free(yaml);
	cb_set_free(&set);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	fputc('"', f);
}

static void write_json(FILE *f)
{
	fprintf(f, "{\n  \"compile\": [\n");
	for (size_t i = 0; i < n_crows; i++) {
		const struct compile_row *r = &crows[i];

		fprintf(f,
			"    {\"ruleset\": \"%s\", \"lines\": %zu, \"rules\": %zu, \"accepted\": %s, \"status\": ",
			r->set, r->lines, r->rules, r->accepted ? "true" : "false");
		json_str(f, r->status);
		fprintf(f,
			", \"child_wall_s\": %.3f, \"child_cpu_s\": %.3f, \"child_maxrss_bytes\": %zu, \"estimate_bytes\": %zu, \"compile_ms\": %.3f, \"compile_cpu_ms\": %.3f, \"load_switch_ms\": %.3f, \"late_flows\": %zu, \"late_mean_position\": %.3f, \"miss_flows\": %zu}%s\n",
			r->wall_s, r->cpu_s, r->maxrss, r->estimate, r->compile_ms,
			r->compile_cpu_ms, r->apply_ms, r->late, r->late_pos, r->miss,
			i + 1 < n_crows ? "," : "");
	}
	fprintf(f, "  ],\n  \"per_packet\": [\n");
	for (size_t i = 0; i < n_prows; i++) {
		const struct packet_row *r = &prows[i];

		fprintf(f,
			"    {\"ruleset\": \"%s\", \"traffic\": \"%s\", \"program\": \"%s\", \"median_ns\": %.2f, \"min_ns\": %.2f, \"max_ns\": %.2f, \"ratio_parse_only\": %.3f, \"ratio_edgefw_10_rules\": %.3f, \"ratio_edgefw_xdp_10_rules\": %.3f, \"note\": ",
			r->set, r->traffic, r->prog, r->median, r->min, r->max, r->x_parse,
			r->x_ten, r->x_ten_xdp);
		json_str(f, r->note);
		fprintf(f, "}%s\n", i + 1 < n_prows ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

static void print_tables(const struct cbb_env *env)
{
	const double mib = 1024.0 * 1024.0;

	printf("\n| ClassBench set | lines | rules | compiler wall s | CPU s | peak RSS MiB | estimate MiB/generation | compile ms | CPU ms | load+switch ms | status |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (size_t i = 0; i < n_crows; i++) {
		const struct compile_row *r = &crows[i];

		printf("| %s | %zu | %zu | %.2f | %.2f | %.0f | ", r->set, r->lines, r->rules,
		       r->wall_s, r->cpu_s, (double)r->maxrss / mib);
		if (r->accepted)
			printf("%.1f | %.1f | %.1f | %.1f | accepted |\n",
			       (double)r->estimate / mib, r->compile_ms, r->compile_cpu_ms,
			       r->apply_ms);
		else
			printf("- | - | - | - | %s |\n", r->status);
	}
	printf("\ncompiler: `edgefw compile --json` in a child process (its wall and CPU time, peak RSS from getrusage, the map memory per generation it estimates); compile (wall and CPU time) and load+switch: ef_compile and ef_tables_apply in this process, medians of up to %u. Rules: every line but the last, which matches everything, as a drop rule; the default passes.\n",
	       env->reps);
	printf("\n| ClassBench set | traffic | program | median ns/pkt | min | max | x parse-only | x edgefw 10 rules | x edgefw xdp 10 rules |\n");
	printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n_prows; i++) {
		const struct packet_row *r = &prows[i];

		printf("| %s | %s | %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f |\n", r->set,
		       r->traffic, r->prog, r->median, r->min, r->max, r->x_parse, r->x_ten,
		       r->x_ten_xdp);
	}
	printf("\nlate rule: packets aimed inside rules of the second half that a rule of the second half wins; no rule: TCP/UDP packets that match no rule. %d flows each, %u interleaved repetitions, each flow run %u times per measurement. edgefw 10 rules: a second instance with the same packets, holding for late-rule traffic the set's first 9 rules and a 10th that matches every TCP/UDP packet (every packet walks every field to a hit), for no-rule traffic the set's first 10 rules. x edgefw 10 rules: over that instance's program at the same hook (tc rows over its tc program, the others over its XDP program); x edgefw xdp 10 rules: over its XDP program, every row.\n",
	       CB_FLOWS, env->reps, env->repeat);
}

/* The set names to run: env->sets split at commas (into buf), else the
 * shared ones. Returns how many, at most MAX_SETS. */
static size_t set_names(const struct cbb_env *env, char *buf, size_t size, const char **names)
{
	static const char *const shared[] = { "acl1_1k",  "fw1_1k",  "ipc1_1k",
					      "acl1_10k", "fw1_10k", "ipc1_10k" };
	size_t n = 0;

	if (!env->sets) {
		n = env->quick ? 3 : 6;
		memcpy(names, shared, n * sizeof(*names));
		return n;
	}
	snprintf(buf, size, "%s", env->sets);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && n < MAX_SETS;
	     t = strtok_r(NULL, ",", &save))
		names[n++] = t;
	return n;
}

int classbench_bench(const struct cbb_env *env)
{
	const char *names[MAX_SETS];
	char buf[1024];
	size_t n = set_names(env, buf, sizeof(buf), names);
	struct ten ten;
	int ret = ten_open(&ten);
	FILE *json;

	if (ret) {
		fprintf(stderr, "microbench: classbench: cannot set up the 10-rule instance: %s\n",
			strerror(-ret));
		ten_close(&ten);
		return ret;
	}
	for (size_t i = 0; i < n; i++)
		bench_set(env, &ten, names[i]);
	ten_close(&ten);
	print_tables(env);
	if (!env->json_path)
		return 0;
	json = fopen(env->json_path, "w");
	if (!json) {
		fprintf(stderr, "microbench: cannot write %s: %s\n", env->json_path,
			strerror(errno));
		return -errno;
	}
	write_json(json);
	return fclose(json) ? -EIO : 0;
}
