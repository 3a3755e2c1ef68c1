// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dptest [--seed N] [--rulesets N] [--packets N] [--trees N] [--pcaps DIR]
 *        [--cb-packets N] [--cb-rulesets N] [--frames N] [--corpus DIR]
 *        [--only cases|ifslot|faults|parser|dynamic|encap|conntrack|ctmove|large|pcap|diff|v6wide|
 *               l1reload|hotwin|pairstale|forestprobe|ref|classbench]
 *
 * --trees N: the differential test compiles every Nth ruleset preferring
 * decision trees, with leaves of 1 to 3 boxes (default 2, half of them;
 * 0: never), so both structures and their combination are exercised.
 *
 * EFW_TEST_FULL=1: the ClassBench group runs more packets and bigger
 * generated sets, and gives the compiler a longer budget.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"
#include "instance.h"

int main(int argc, char **argv)
{
	uint64_t seed = 0x5eed;
	unsigned rulesets = 200, packets = 1000, frames = 10000;
	unsigned trees_every = 2;
	const char *full = getenv("EFW_TEST_FULL");
	struct dp_cb_opts cb = { .seed = 0xcb, .packets = 2000, .rulesets = 6, .max_rules = 600 };
	const char *only = NULL, *pcaps = "tests/datapath/pcaps";
	const char *corpus = "tests/fuzz/corpus/packet";
	struct dp dp;
	int ret;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rulesets"))
			rulesets = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--packets"))
			packets = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--only"))
			only = argv[i + 1];
		else if (!strcmp(argv[i], "--cb-packets"))
			cb.packets = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--cb-rulesets"))
			cb.rulesets = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--pcaps"))
			pcaps = argv[i + 1];
		else if (!strcmp(argv[i], "--frames"))
			frames = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--corpus"))
			corpus = argv[i + 1];
		else if (!strcmp(argv[i], "--trees"))
			trees_every = (unsigned)strtoul(argv[i + 1], NULL, 0);
	}
	if (full && !strcmp(full, "1")) {
		cb.full = true;
		cb.packets *= 10;
		cb.rulesets *= 5;
		cb.max_rules = 5000;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP datapath tests need root (BPF_PROG_TEST_RUN)\n");
		return 0;
	}
	ret = dp_setup(&dp);
	tap(ret == 0, "load the XDP and tc programs against a fresh instance (%s)",
	    ret ? strerror(-ret) : "ok");
	if (ret) {
		dp_teardown(&dp);
		printf("1..%d\n", tap_count());
		return 1;
	}
	dp.trees_every = trees_every;
	if (!only || !strcmp(only, "cases")) {
		dp_test_cases(&dp);
		dp_test_droplog(&dp);
		dp_test_stale_pins();
	}
	if (!only || !strcmp(only, "ifslot"))
		dp_test_ifslot(&dp);
	if (!only || !strcmp(only, "dynamic")) {
		dp_test_dynamic(&dp);
		dp_test_dynamic_query(&dp);
		dp_test_tree_limit(&dp);
	}
	if (!only || !strcmp(only, "faults"))
		dp_test_faults(&dp);
	if (!only || !strcmp(only, "parser"))
		dp_test_parser(&dp);
	if (!only || !strcmp(only, "encap"))
		dp_test_encap(&dp);
	if (!only || !strcmp(only, "conntrack"))
		dp_test_conntrack(&dp);
	if (!only || !strcmp(only, "ctmove"))
		dp_test_ctmove(&dp);
	if (!only || !strcmp(only, "large"))
		dp_test_large(&dp);
	if (!only || !strcmp(only, "pcap"))
		dp_test_pcaps(&dp, pcaps);
	if (!only || !strcmp(only, "diff")) {
		dp_test_differential(&dp, seed, rulesets, packets);
		dp_test_v6_lengths(&dp);
		dp_test_addr_skips(&dp);
		dp_test_v6_forests(&dp);
		dp_test_forest_skips(&dp);
	}
	if (!only || !strcmp(only, "diff") || !strcmp(only, "forestprobe"))
		dp_test_forest_probe(&dp);
	if (!only || !strcmp(only, "diff") || !strcmp(only, "pairstale"))
		dp_test_pair_stale(&dp);
	if (!only || !strcmp(only, "diff") || !strcmp(only, "v6wide"))
		dp_test_v6_wide(&dp);
	if (!only || !strcmp(only, "diff") || !strcmp(only, "l1reload"))
		dp_test_l1_reload(&dp);
	if (!only || !strcmp(only, "diff") || !strcmp(only, "hotwin"))
		dp_test_hot_window(&dp);
	if (!only || !strcmp(only, "ref"))
		dp_test_refparse(&dp, seed, frames, corpus);
	dp_teardown(&dp);
	if (!only || !strcmp(only, "classbench")) {
		/* 10k-rule sets need more table room than the default
		 * instance has: a fresh, bigger one. */
		ef_instance_set_capacity(DP_CB_CELLS, DP_CB_CLASSES, EDGEFW_TNODES_DEFAULT,
					 EDGEFW_TLEAVES_DEFAULT);
		ret = dp_setup(&dp);
		tap(ret == 0,
		    "load the programs against an instance sized for ClassBench sets (%s)",
		    ret ? strerror(-ret) : "ok");
		if (!ret)
			dp_test_classbench(&dp, &cb);
		dp_teardown(&dp);
	}
	printf("1..%d\n", tap_count());
	return tap_failures() ? 1 : 0;
}
