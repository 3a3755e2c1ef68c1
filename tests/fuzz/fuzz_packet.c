// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the datapath's packet parser: each input is a frame
 * run through the real XDP program and one of the tc programs with
 * BPF_PROG_TEST_RUN, and the verdict and the counters it moved must be what
 * the reference parser and matcher (tests/lib/refparse.c,
 * user/compiler/matcher.c) say, under the ruleset of
 * tests/datapath/refcheck.c. On a disagreement the frame (hex) and both
 * decisions go to stderr and the target aborts, so libFuzzer keeps the
 * input.
 *
 * Input: byte 0 chooses, bit 0 the tc program (0 tc-ingress, 1 tc-egress),
 * bit 1 a GSO skb at tc (gso_size set: IP length 0 is BIG TCP's); the
 * other bits are ignored. The rest is the frame, its length the frame's
 * real length. Frames a hook's test run does not take are not run there:
 * under 14 bytes; at tc, over a page, and IPv4 or IPv6 frames shorter than
 * their IP header (the kernel refuses them; the lengths are probed at
 * start and printed).
 *
 * Needs root. The programs run against an instance t-fz-<pid> whose pins
 * are removed as soon as its ruleset is loaded (the maps live on through
 * this process's descriptors), so no pin outlives the run, however it ends.
 * Without root the target exits with status 77, which run_target.sh
 * reports as skipped.
 *
 * The coverage that guides libFuzzer is the reference parser's and the
 * matcher's: the BPF programs' paths are invisible to it, but each of the
 * reference's branches stands for one of the datapath's documented cases.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"
#include "refcheck.h"
#include "refparse.h"

/* As the seeds' file names say: selector bits. */
#define SEL_TC_EGRESS 0x01
#define SEL_GSO 0x02

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dp dp;
static struct dp_ref ref;
static bool dp_started, ref_ready;

static void print_totals(void)
{
	fprintf(stderr, "fuzz_packet: %lu runs checked, %lu not run (length)", ref.runs,
		ref.skipped);
	for (int o = 0; o < REF_OUTCOMES; o++)
		if (ref.by_outcome[o])
			fprintf(stderr, ", %s %lu", ref_outcome_name((enum ref_outcome)o),
				ref.by_outcome[o]);
	fprintf(stderr, "\n");
}

static void cleanup(void)
{
	if (ref_ready) {
		print_totals();
		dp_ref_free(&ref);
		ref_ready = false;
	}
	if (dp_started) {
		dp_teardown(&dp);
		dp_started = false;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int ret;

	(void)argc;
	(void)argv;
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz_packet: needs root (BPF_PROG_TEST_RUN): skipped\n");
		exit(77);
	}
	/* Registered first: a setup that fails half-way leaves nothing. */
	atexit(cleanup);
	dp_started = true;
	ret = dp_setup_named(&dp, "t-fz");
	if (ret) {
		fprintf(stderr, "fuzz_packet: cannot load the programs into a test instance: %s\n",
			strerror(-ret));
		exit(1);
	}
	ret = dp_ref_init(&ref, &dp);
	if (ret) {
		fprintf(stderr, "fuzz_packet: cannot load the reference check's ruleset: %s\n",
			strerror(-ret));
		exit(1);
	}
	ref_ready = true;
	ret = dp_unpin(&dp);
	if (ret) {
		fprintf(stderr, "fuzz_packet: cannot remove the test instance's pins: %s\n",
			strerror(-ret));
		exit(1);
	}
	fprintf(stderr,
		"fuzz_packet: test runs take frames of %zu-%zu bytes at XDP, %zu-%zu at tc (IPv4 from %zu, IPv6 from %zu)\n",
		ref.min_len[EDGEFW_HOOK_XDP][0], ref.max_len[EDGEFW_HOOK_XDP],
		ref.min_len[EDGEFW_HOOK_TC_INGRESS][0], ref.max_len[EDGEFW_HOOK_TC_INGRESS],
		ref.min_len[EDGEFW_HOOK_TC_INGRESS][1], ref.min_len[EDGEFW_HOOK_TC_INGRESS][2]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t tc_hook;
	bool gso;

	if (size < 1)
		return 0;
	tc_hook = data[0] & SEL_TC_EGRESS ? EDGEFW_HOOK_TC_EGRESS : EDGEFW_HOOK_TC_INGRESS;
	gso = data[0] & SEL_GSO;
	if (dp_ref_check(&ref, EDGEFW_HOOK_XDP, data + 1, size - 1, false, stderr) &&
	    dp_ref_check(&ref, tc_hook, data + 1, size - 1, gso, stderr))
		return 0;
	fprintf(stderr, "# input: selector byte %#04x (%s%s), then the frame\n", data[0],
		dp_hook_name(tc_hook), gso ? ", GSO skb" : "");
	cleanup();
	abort();
}
