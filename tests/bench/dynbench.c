// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cost of dynamic sets and limits (issue 16), in the microbenchmark's
 * run. The three rulesets differ only in what issue 16 adds; each
 * repetition loads and measures each in turn, so slow minutes on the
 * shared machine hit all of them alike, and the ratios are taken per
 * repetition's medians. The rulesets are measured with the XDP and the tc
 * program, each against the plain rule in the same program.
 *
 * EFW_DYNBENCH_DATAPATH_ONLY=1 in the environment skips the `edgefw set
 * add` timings (for runs that compare datapath builds only); =2 also the
 * set row, whose 100,000 entries take most of a repetition's time.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "dynbench.h"
#include "benchutil.h"
#include "dynsets.h"
#include "instance.h"
#include "ruleset.h"
#include "tables.h"

#define DYN_FLOWS 4096
#define DYN_SOURCES 1024

enum {
	R_PLAIN,
	R_LIMIT,
	R_SET,
	R_COUNT
};

static const char *const rule_names[R_COUNT] = {
	"one rule (udp dport 7000 pass)",
	"the same rule with limit per src",
	"the same rule behind src: $ban (100k entries)",
};

static const char *const rulesets[R_COUNT] = {
	"version: 1\nrules:\n"
	"  - {name: svc, proto: udp, dport: 7000, action: pass}\n",
	/* A rate no flow reaches: every packet pays the bucket, none trips. */
	"version: 1\nrules:\n"
	"  - name: svc\n    proto: udp\n    dport: 7000\n"
	"    limit: {rate: 100000000000/s, burst: 4000000000, per: src}\n"
	"    action: pass\n",
	"version: 1\nsets:\n  ban: {dynamic: true, size: 200000}\nrules:\n"
	"  - {name: banned, src: $ban, action: drop}\n"
	"  - {name: svc, proto: udp, dport: 7000, action: pass}\n",
};

static int load(struct ef_instance *inst, const char *yaml)
{
	static const char *const ifnames[] = { "lo" };
	struct ef_apply_summary sum;
	struct ef_ruleset rs;
	struct ef_compiled c;
	struct ef_diag d = { 0 };
	int ret = ef_ruleset_parse("dynbench.yaml", yaml, strlen(yaml), &rs, &d);

	if (!ret) {
		ret = ef_compile(&rs, ifnames, 1, &c, &d);
		if (!ret) {
			ret = ef_tables_apply(inst, &rs, &c, &sum);
			ef_compiled_free(&c);
		}
		ef_ruleset_free(&rs);
	}
	ef_diag_print(&d, stderr);
	ef_diag_free(&d);
	return ret;
}

static void build_flows(struct pkt *flows)
{
	for (size_t i = 0; i < DYN_FLOWS; i++) {
		struct pkt_spec s = { .family = 4,
				      .l4proto = IPPROTO_UDP,
				      .sport = 40000,
				      .dport = 7000,
				      .payload = 16 };
		uint32_t src = 0xc6336400u + (uint32_t)(i % DYN_SOURCES); /* 198.51.100.0 + */

		s.saddr[0] = (uint8_t)(src >> 24);
		s.saddr[1] = (uint8_t)(src >> 16);
		s.saddr[2] = (uint8_t)(src >> 8);
		s.saddr[3] = (uint8_t)src;
		s.daddr[0] = 192, s.daddr[1] = 0, s.daddr[2] = 2, s.daddr[3] = 1;
		pkt_build(&flows[i], &s);
	}
}

/* 100,000 addresses in 100.64.0.0/10, none of the flows' sources. */
static int fill_set(struct ef_instance *inst)
{
	struct ef_dynset s;
	int ret = ef_dynset_open(inst, "ban", &s);

	for (uint32_t i = 0; !ret && i < 100000; i++) {
		struct ef_prefix p = { .family = EF_AF_INET, .len = 32 };
		uint32_t a = 0x64400000u + i * 7;

		p.addr[0] = (uint8_t)(a >> 24), p.addr[1] = (uint8_t)(a >> 16);
		p.addr[2] = (uint8_t)(a >> 8), p.addr[3] = (uint8_t)a;
		ret = ef_dynset_add(&s, &p, 0);
	}
	if (!ret || ret != -ENOENT)
		ef_dynset_close(&s);
	return ret;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Runs edgefw ARGS... with output discarded; wall time in ms, < 0 on error.
 * posix_spawn (a vfork in glibc): a fork() of this process, which maps
 * the benchmark's tables, would copy its page tables and time that too. */
static double run_timed(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	double t0;
	int status, ret;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0))
		return -1;
	t0 = now_ms();
	ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		return -1;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return now_ms() - t0;
}

struct cli_times {
	double one_ms, bulk_ms, help_ms, true_ms, inproc_ms;
	double one_p10_ms, true_p10_ms, one_p90_ms, true_p90_ms;
};

/* What `edgefw set add` does once started: open the instance and the set,
 * add one entry, close. Median of n, in ms. */
static double time_inproc(const char *name, unsigned n)
{
	double *t = calloc(n, sizeof(*t)), med = -1;
	struct ef_instance inst;
	struct ef_dynset s;

	for (unsigned r = 0; t && r < n; r++) {
		struct ef_prefix p = { .family = EF_AF_INET,
				       .len = 32,
				       .addr = { 192, 0, 2, (uint8_t)r } };
		double t0 = now_ms();

		/* As `edgefw set add` opens it. */
		if (ef_instance_open(name, EF_OPEN_SHARED | EF_OPEN_DYNSETS, &inst))
			goto out;
		if (ef_dynset_open(&inst, "ban", &s) || ef_dynset_add(&s, &p, 0)) {
			ef_instance_close(&inst);
			goto out;
		}
		ef_dynset_close(&s);
		ef_instance_close(&inst);
		t[r] = now_ms() - t0;
	}
	if (t) {
		qsort(t, n, sizeof(*t), bench_cmp_double);
		med = t[n / 2];
	}
out:
	free(t);
	return med;
}

/* The command runs against an instance of its own, which this process
 * does not hold locked (the benchmark's stays locked for the whole run). */
static void time_cli(const char *bin, unsigned reps, struct cli_times *out)
{
	char path[] = "/tmp/efw-dynbench-XXXXXX", addr[32], name[32];
	double *one = calloc(reps * 4, sizeof(*one)), *bulk = calloc(reps, sizeof(*bulk));
	double *help = calloc(reps * 4, sizeof(*help)), *tru = calloc(reps * 4, sizeof(*tru));
	char *help_argv[] = { (char *)bin, "help", NULL };
	char *true_argv[] = { "/bin/true", NULL };
	char *flush[] = { (char *)bin, "--instance", name, "set", "flush", "ban", NULL };
	struct ef_instance inst;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool made = false;

	memset(out, 0, sizeof(*out));
	bench_instance_name(name, sizeof(name), "cli");
	if (!f || !one || !bulk || !help || !tru || ef_instance_open(name, EF_OPEN_CREATE, &inst))
		goto out;
	made = true;
	if (load(&inst, rulesets[R_SET])) {
		ef_instance_close(&inst);
		goto out;
	}
	ef_instance_close(&inst);
	for (uint32_t i = 0; i < 100000; i++)
		fprintf(f, "10.%u.%u.%u\n", i >> 16, (i >> 8) & 255, i & 255);
	fclose(f);
	f = NULL;
	for (unsigned r = 0; r < reps * 4; r++) {
		char *add[] = { (char *)bin, "--instance", name, "set", "add", "ban", addr, NULL };

		snprintf(addr, sizeof(addr), "203.0.113.%u", r % 250);
		/* The same process start doing nothing, alternated with it. */
		help[r] = run_timed(help_argv);
		one[r] = run_timed(add);
		/* What any process start costs on this machine now. */
		tru[r] = run_timed(true_argv);
	}
	for (unsigned r = 0; r < reps; r++) {
		char *add[] = { (char *)bin, "--instance", name, "set", "add",
				"ban",       "--file",     path, NULL };

		run_timed(flush);
		bulk[r] = run_timed(add);
	}
	out->inproc_ms = time_inproc(name, reps * 4);
	qsort(one, reps * 4, sizeof(*one), bench_cmp_double);
	qsort(help, reps * 4, sizeof(*help), bench_cmp_double);
	out->help_ms = help[0] < 0 ? -1 : help[reps * 2];
	qsort(tru, reps * 4, sizeof(*tru), bench_cmp_double);
	out->true_ms = tru[0] < 0 ? -1 : tru[reps * 2];
	out->true_p10_ms = tru[0] < 0 ? -1 : tru[reps * 4 / 10];
	out->true_p90_ms = tru[0] < 0 ? -1 : tru[reps * 4 * 9 / 10];
	qsort(bulk, reps, sizeof(*bulk), bench_cmp_double);
	out->one_ms = one[0] < 0 ? -1 : one[reps * 2];
	out->one_p10_ms = one[0] < 0 ? -1 : one[reps * 4 / 10];
	out->one_p90_ms = one[0] < 0 ? -1 : one[reps * 4 * 9 / 10];
	out->bulk_ms = bulk[0] < 0 ? -1 : bulk[reps / 2];
out:
	if (f)
		fclose(f);
	if (made && !ef_instance_open(name, 0, &inst))
		ef_instance_destroy(&inst);
	if (fd >= 0)
		unlink(path);
	free(one);
	free(bulk);
	free(help);
	free(tru);
}

/* Column of ns[] for ruleset k in program p (0: xdp, 1: tc); the last
 * one is the parser alone. */
#define DYN_COL(k, p) ((p)*R_COUNT + (k))
#define DYN_COLS (2 * R_COUNT + 1)

void bench_dynamic(struct ef_instance *inst, const struct prog *xdp, const struct prog *tc,
		   const struct prog *parse_only, const char *edgefw_bin, unsigned reps,
		   unsigned repeat, FILE *json)
{
	double *ns = calloc((size_t)reps * DYN_COLS, sizeof(*ns));
	double ratio[2 * R_COUNT][64], med[DYN_COLS];
	struct pkt *flows = calloc(DYN_FLOWS, sizeof(*flows));
	const char *dp_only = getenv("EFW_DYNBENCH_DATAPATH_ONLY");
	const struct prog *hooks[2] = { xdp, tc };
	struct cli_times cli = { 0 };

	if (!ns || !flows || reps > 64) {
		fprintf(stderr, "microbench: dynamic sets: out of memory or too many reps\n");
		goto out;
	}
	build_flows(flows);
	for (unsigned r = 0; r < reps; r++) {
		for (int k = 0; k < R_COUNT; k++) {
			if (k == R_SET && dp_only && !strcmp(dp_only, "2"))
				continue;
			if (load(inst, rulesets[k]) || (k == R_SET && fill_set(inst))) {
				fprintf(stderr, "microbench: dynamic sets: cannot load '%s'\n",
					rule_names[k]);
				goto out;
			}
			for (int p = 0; p < 2; p++)
				ns[DYN_COL(k, p) * reps + r] =
					bench_measure(hooks[p]->fd, flows, DYN_FLOWS, repeat);
		}
		ns[(DYN_COLS - 1) * reps + r] =
			bench_measure(parse_only->fd, flows, DYN_FLOWS, repeat);
		for (int p = 0; p < 2; p++)
			for (int k = 0; k < R_COUNT; k++)
				ratio[DYN_COL(k, p)][r] = ns[DYN_COL(k, p) * reps + r] /
							  ns[DYN_COL(R_PLAIN, p) * reps + r];
	}
	for (int c = 0; c < DYN_COLS; c++) {
		qsort(&ns[c * reps], reps, sizeof(*ns), bench_cmp_double);
		med[c] = ns[c * reps + reps / 2];
		if (c < DYN_COLS - 1)
			qsort(ratio[c], reps, sizeof(double), bench_cmp_double);
	}
	bool cli_timed = !dp_only || (strcmp(dp_only, "1") && strcmp(dp_only, "2"));

	if (cli_timed)
		time_cli(edgefw_bin, reps, &cli);

	printf("\n## Dynamic sets and limits (edgefw xdp and tc, %d flows from %d sources, all hitting the rule)\n\n",
	       DYN_FLOWS, DYN_SOURCES);
	printf("| ruleset | xdp median ns/pkt | xdp x one rule | tc median ns/pkt | tc x one rule |\n|---|---:|---:|---:|---:|\n");
	for (int k = 0; k < R_COUNT; k++)
		printf("| %s | %.1f | %.2f | %.1f | %.2f |\n", rule_names[k], med[DYN_COL(k, 0)],
		       ratio[DYN_COL(k, 0)][reps / 2], med[DYN_COL(k, 1)],
		       ratio[DYN_COL(k, 1)][reps / 2]);
	printf("| (parse-only, same flows) | %.1f | %.2f | | |\n", med[DYN_COLS - 1],
	       med[DYN_COLS - 1] / med[R_PLAIN]);
	printf("(x one rule: median of per-repetition ratios to the plain rule in the same program)\n");
	if (!cli_timed)
		goto json;
	printf("\nedgefw set add, one entry, end to end (spawn, exec, open, add): median %.1f ms of %u; `edgefw help` (spawn, exec, exit) alternated with it: %.1f ms\n",
	       cli.one_ms, reps * 4, cli.help_ms);
	printf("/bin/true (spawn, exec, exit) alternated with them: median %.1f ms; 10th percentiles: set add %.1f ms, /bin/true %.1f ms; 90th: set add %.1f ms, /bin/true %.1f ms\n",
	       cli.true_ms, cli.one_p10_ms, cli.true_p10_ms, cli.one_p90_ms, cli.true_p90_ms);
	printf("the same work in this process (open the set's maps and the set, add, close): median %.3f ms\n",
	       cli.inproc_ms);
	printf("edgefw set add --file, 100,000 entries, end to end: median %.0f ms of %u\n",
	       cli.bulk_ms, reps);
json:
	if (json)
		fprintf(json,
			"{\"plain_ns\": %.2f, \"limit_ns\": %.2f, \"set_ns\": %.2f, \"parse_only_ns\": %.2f, "
			"\"limit_ratio\": %.3f, \"set_ratio\": %.3f, \"set_add_one_ms\": %.2f, "
			"\"set_add_100k_ms\": %.1f, \"help_ms\": %.2f, \"set_add_inproc_ms\": %.3f, "
			"\"true_ms\": %.2f, \"set_add_one_p10_ms\": %.2f, \"true_p10_ms\": %.2f, "
			"\"tc_plain_ns\": %.2f, \"tc_limit_ns\": %.2f, \"tc_set_ns\": %.2f, "
			"\"tc_limit_ratio\": %.3f, \"tc_set_ratio\": %.3f}\n",
			med[R_PLAIN], med[R_LIMIT], med[R_SET], med[DYN_COLS - 1],
			ratio[R_LIMIT][reps / 2], ratio[R_SET][reps / 2], cli.one_ms, cli.bulk_ms,
			cli.help_ms, cli.inproc_ms, cli.true_ms, cli.one_p10_ms, cli.true_p10_ms,
			med[DYN_COL(R_PLAIN, 1)], med[DYN_COL(R_LIMIT, 1)], med[DYN_COL(R_SET, 1)],
			ratio[DYN_COL(R_LIMIT, 1)][reps / 2], ratio[DYN_COL(R_SET, 1)][reps / 2]);
out:
	free(ns);
	free(flows);
}
