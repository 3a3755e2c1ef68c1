// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every run a new flow. The micro benchmark runs each flow 50 times in a
 * row (bench_measure), so after a flow's first run its path's lines are
 * in L1 and its branches learnt: it measures instructions and dependent
 * loads. A receiver sees each packet's flow after the others', which is
 * what the end-to-end benchmark measures, with a receive path's noise
 * around it. Here the same programs run behind a wrapper that writes the
 * next flow's headers into the frame before a tail call (kern/bench.bpf.c,
 * bench_cycle): one test run walks the whole cycle of flows many times,
 * each run a flow whose lines and branches the other flows' runs had
 * since. The wrapper's own instructions are the empty program's row; its
 * flow table (64 bytes a flow, read in order) also takes room in the
 * caches, which that row does not show: a program with more lines of its
 * own loses more of them to it.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "bench.skel.h"
#include "cycle.h"

struct cycle_row {
	const char *prog;
	const char *scenario;
	int family;
	double median, min, max;
	double ratio;   /* median / parse-only's median in the scenario */
	double over_xf; /* median / xdp-filter's, for edgefw's row; 0 if none */
};

static struct cycle_row rows[64];
static size_t n_rows;

static void die(const char *what, int err)
{
	fprintf(stderr, "microbench: every run a new flow: %s: %s\n", what, strerror(err));
	exit(2);
}

/* The wrapper's flow table: each flow's 64 bytes after the Ethernet header
 * (zero past its end), and a frame long enough for every flow. */
static void load_flows(struct bench_bpf *base, const struct pkt *flows, size_t n, struct pkt *frame)
{
	int fd = bpf_map__fd(base->maps.cycle_flows);
	size_t longest = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t hdr[CYCLE_HDR_BYTES] = {};
		uint32_t key = (uint32_t)i;
		size_t len = flows[i].len > ETH_HLEN ? flows[i].len - ETH_HLEN : 0;

		if (flows[i].l3 != ETH_HLEN)
			die("a flow's IP header is not right after its Ethernet header", EINVAL);
		memcpy(hdr, flows[i].data + ETH_HLEN, len < sizeof(hdr) ? len : sizeof(hdr));
		if (bpf_map_update_elem(fd, &key, hdr, BPF_ANY))
			die("cannot fill the flow table", errno);
		if (flows[i].len > flows[longest].len)
			longest = i;
	}
	*frame = flows[longest];
	if (frame->len < ETH_HLEN + CYCLE_HDR_BYTES)
		frame->len = ETH_HLEN + CYCLE_HDR_BYTES; /* pkt's buffer is larger */
	base->data->cycle_n = (uint32_t)n;
}

/* Puts every CPU's place in the cycle at flow i (a per-CPU value is
 * copied in 8-byte slots, one per possible CPU). */
static void cycle_seek(struct bench_bpf *base, uint32_t i)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t zero = 0;
	uint64_t *pos;

	if (ncpu <= 0)
		die("cannot count the CPUs", -ncpu);
	pos = calloc((size_t)ncpu, sizeof(*pos));
	if (!pos)
		die("out of memory", ENOMEM);
	for (int c = 0; c < ncpu; c++)
		pos[c] = i;
	if (bpf_map_update_elem(bpf_map__fd(base->maps.cycle_pos), &zero, pos, BPF_ANY))
		die("cannot set the cycle's position", errno);
	free(pos);
}

/* The wrapper that tail-calls fd: the one whose program array takes it
 * (a program for multi-buffer frames only goes in the other's), or -errno
 * when neither does (a program array refuses some programs, one with
 * extensions for one). */
static int wrapper_for(struct bench_bpf *base, int fd)
{
	uint32_t zero = 0;

	if (!bpf_map_update_elem(bpf_map__fd(base->maps.cycle_prog), &zero, &fd, BPF_ANY))
		return bpf_program__fd(base->progs.bench_cycle);
	if (!bpf_map_update_elem(bpf_map__fd(base->maps.cycle_prog_frags), &zero, &fd, BPF_ANY))
		return bpf_program__fd(base->progs.bench_cycle_frags);
	return -errno;
}

static uint32_t run_once(int fd, const void *data, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (uint32_t)len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		die("test run failed", errno);
	return opts.retval;
}

/* The wrapper is only a way to time the program: through it, every flow
 * must get the verdict the program gives it alone. */
static void check_verdicts(struct bench_bpf *base, const struct prog *p, int wrapper,
			   const struct pkt *flows, size_t n, const struct pkt *frame)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t alone = run_once(p->fd, flows[i].data, flows[i].len), cycled;

		cycle_seek(base, (uint32_t)i);
		cycled = run_once(wrapper, frame->data, frame->len);
		if (cycled != alone) {
			fprintf(stderr,
				"microbench: every run a new flow: %s gives flow %zu verdict %u through the wrapper, %u alone\n",
				p->name, i, cycled, alone);
			exit(2);
		}
	}
}

static double call_ns(int wrapper, const struct pkt *frame, uint32_t repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame->data,
		    .data_size_in = (uint32_t)frame->len, .repeat = repeat);
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bpf_prog_test_run_opts(wrapper, &opts))
		die("test run failed", errno);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
}

/* Mean ns per run. Timed around the call, not by the kernel's figure,
 * which is whole nanoseconds (a step of 2% here), less the cost of a call
 * of two runs (the median of three): a call of more than one switches
 * the XDP programs' static key on and off (bpf_prog_change_xdp), 0.3-0.5
 * ms here. And after one pass over the cycle, which finds the program's
 * lines evicted by the programs run before it, as the later passes do
 * not. */
static double measure(int wrapper, const struct pkt *frame, size_t n, unsigned per_flow)
{
	double s[3];
	double setup;

	for (int i = 0; i < 3; i++)
		s[i] = call_ns(wrapper, frame, 2);
	qsort(s, 3, sizeof(*s), bench_cmp_double);
	setup = s[1];

	call_ns(wrapper, frame, (uint32_t)n);
	return (call_ns(wrapper, frame, (uint32_t)(n * per_flow)) - setup) / (double)(n * per_flow);
}

static void keep_rows(const char *scenario, int family, const struct prog *progs,
		      const size_t *which, size_t n_which, double *samples, unsigned reps)
{
	double parse_only = 0, xdp_filter = 0;

	for (size_t k = 0; k < n_which; k++) {
		double *s = &samples[k * reps];

		qsort(s, reps, sizeof(*s), bench_cmp_double);
		if (!strcmp(progs[which[k]].name, "parse-only"))
			parse_only = s[reps / 2];
		if (progs[which[k]].kind == PROG_XDPFILTER)
			xdp_filter = s[reps / 2];
	}
	for (size_t k = 0; k < n_which && n_rows < sizeof(rows) / sizeof(*rows); k++) {
		const struct prog *p = &progs[which[k]];
		const double *s = &samples[k * reps];
		struct cycle_row *r = &rows[n_rows++];

		*r = (struct cycle_row){ .prog = p->name,
					 .scenario = scenario,
					 .family = family,
					 .median = s[reps / 2],
					 .min = s[0],
					 .max = s[reps - 1] };
		r->ratio = parse_only > 0 ? r->median / parse_only : 0;
		if (p->kind == PROG_EDGEFW && xdp_filter > 0)
			r->over_xf = r->median / xdp_filter;
	}
}

void cycle_scenario(struct bench_bpf *base, const char *scenario, int family,
		    const struct prog *progs, size_t n_progs, const struct pkt *flows, size_t n,
		    unsigned reps, unsigned per_flow)
{
	size_t which[8], n_which = 0;
	int wrappers[8];
	double *samples;
	struct pkt frame;

	if (n > CYCLE_FLOWS_MAX)
		die("too many flows", E2BIG);
	load_flows(base, flows, n, &frame);
	for (size_t p = 0; p < n_progs && n_which < 8; p++) {
		if (progs[p].tc || progs[p].fd < 0)
			continue;
		wrappers[n_which] = wrapper_for(base, progs[p].fd);
		if (wrappers[n_which] < 0) {
			printf("#   every run a new flow: %s left out (no wrapper takes it: %s)\n",
			       progs[p].name, strerror(-wrappers[n_which]));
			continue;
		}
		check_verdicts(base, &progs[p], wrappers[n_which], flows, n, &frame);
		which[n_which++] = p;
	}
	samples = calloc(n_which * reps, sizeof(*samples));
	if (!samples)
		die("out of memory", ENOMEM);
	/* Interleaved, as bench_measure's rows: each repetition runs every
	 * program once. A program array holds one target, so it is set
	 * again before each run. */
	for (unsigned r = 0; r < reps; r++)
		for (size_t k = 0; k < n_which; k++) {
			if (wrapper_for(base, progs[which[k]].fd) < 0)
				die("a program array no longer takes its program", EINVAL);
			samples[k * reps + r] = measure(wrappers[k], &frame, n, per_flow);
		}
	keep_rows(scenario, family, progs, which, n_which, samples, reps);
	free(samples);
}

void cycle_print(FILE *json)
{
	if (!n_rows)
		return;
	printf("\nEvery run a new flow (each run the next of the scenario's flows, through "
	       "a wrapper whose cost is the empty program's row):\n\n");
	printf("| program | ruleset | family | median ns/pkt | min | max | x parse-only | x xdp-filter |\n");
	printf("|---|---|---|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n_rows; i++) {
		const struct cycle_row *r = &rows[i];

		printf("| %s | %s | IPv%d | %.1f | %.1f | %.1f | %.2f |", r->prog, r->scenario,
		       r->family, r->median, r->min, r->max, r->ratio);
		if (r->over_xf > 0)
			printf(" %.3f |\n", r->over_xf);
		else
			printf(" |\n");
	}
	if (!json)
		return;
	fprintf(json, "[\n");
	for (size_t i = 0; i < n_rows; i++) {
		const struct cycle_row *r = &rows[i];

		fprintf(json,
			"  {\"program\": \"%s\", \"ruleset\": \"%s\", \"family\": \"ipv%d\", \"median_ns\": %.2f, \"min_ns\": %.2f, \"max_ns\": %.2f, \"ratio_parse_only\": %.3f, \"ratio_xdp_filter\": %.3f}%s\n",
			r->prog, r->scenario, r->family, r->median, r->min, r->max, r->ratio,
			r->over_xf, i + 1 < n_rows ? "," : "");
	}
	fprintf(json, "]\n");
}
