// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "benchutil.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ftw.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iface_slots.h"
#include "instance.h"

double bench_measure(int fd, const struct pkt *flows, size_t n, unsigned repeat)
{
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = flows[i].data,
			    .data_size_in = (__u32)flows[i].len, .repeat = repeat);

		if (bpf_prog_test_run_opts(fd, &opts)) {
			fprintf(stderr, "microbench: test run failed: %s\n", strerror(errno));
			exit(2);
		}
		total += opts.duration; /* mean ns of the repeats */
	}
	return (double)total / (double)n;
}

size_t bench_count_drops(const struct prog *prog, const struct pkt *flows, size_t n)
{
	size_t drops = 0;

	for (size_t i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = flows[i].data,
			    .data_size_in = (__u32)flows[i].len, .repeat = 1);

		if (bpf_prog_test_run_opts(prog->fd, &opts)) {
			fprintf(stderr, "microbench: test run failed: %s\n", strerror(errno));
			exit(2);
		}
		drops += opts.retval == (prog->tc ? 2 /* TC_ACT_SHOT */ : XDP_DROP);
	}
	return drops;
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path))
		fprintf(stderr, "microbench: cannot remove stale %s: %s\n", path, strerror(errno));
	return 0;
}

void bench_instance_name(char *name, size_t size, const char *suffix)
{
	char dir[256];

	snprintf(name, size, "b-%d%s%s", (int)getpid(), suffix ? "-" : "", suffix ? suffix : "");
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/edgefw/%s", name);
	if (access(dir, F_OK) == 0)
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int bench_publish_loopback(struct ef_instance *inst)
{
	const struct edgefw_attach_key keys[] = {
		{ .ifindex = 1, .hook = EDGEFW_HOOK_XDP },
		{ .ifindex = 1, .hook = EDGEFW_HOOK_TC_INGRESS },
	};
	int ret = 0;

	for (__u32 i = 0; i < sizeof(keys) / sizeof(keys[0]) && !ret; i++)
		ret = ef_iface_slot_publish(inst, &keys[i], i);
	if (ret)
		fprintf(stderr, "microbench: cannot publish loopback's attachment rows: %s\n",
			strerror(-ret));
	return ret;
}
