/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The datapath test fixture: the real BPF programs, loaded against a real
 * (uniquely named) instance and run on crafted frames through
 * BPF_PROG_TEST_RUN. Results are printed as TAP.
 */
#ifndef EDGEFW_TEST_DP_H
#define EDGEFW_TEST_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "edgefw.h"
#include "instance.h"
#include "packets.h"
#include "ruleset.h"

/* test_run executes on the loopback device of the test's namespace. */
#define DP_IFNAME "lo"

enum dp_verdict {
	DP_PASS = 0,
	DP_DROP,
	DP_REDIRECT,
	DP_ERROR,
};

struct edgefw_bpf;

struct dp {
	struct ef_instance inst;
	struct edgefw_bpf *skel;
	int prog_fd[EDGEFW_HOOK_COUNT];
	int ncpu;
	struct ef_ruleset rs;
	bool rs_owned; /* rs came from dp_load_yaml and is freed by us */
	struct ef_compiled c;
	bool have_c;
	uint32_t *slot_of;           /* counter slot of each rule */
	struct ef_compile_opts opts; /* how loads compile (defaults: zeros) */
	unsigned trees_every;        /* diff: every Nth ruleset prefers trees; 0 never */
	char error[512];             /* why the last load failed */
	bool unpinned;               /* dp_unpin ran: the maps live on through our fds */
};

void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_failures(void);
int tap_count(void);

int dp_setup(struct dp *dp);
/* The same with the instance named PREFIX-<pid> ("t-dp" for dp_setup). */
int dp_setup_named(struct dp *dp, const char *prefix);
/* Removes the instance's pins, keeping its maps through this process's
 * descriptors (and the loaded programs'): nothing is left in bpffs however
 * the process ends. Rulesets can still be loaded. 0 or a negative errno. */
int dp_unpin(struct dp *dp);
void dp_teardown(struct dp *dp);

/* Parses, compiles and switches to yaml. */
int dp_load_yaml(struct dp *dp, const char *yaml);

/* A buffer of cap bytes starting a ruleset that passes by default at every
 * hook, its rules to follow from *at (NULL when out of memory). */
char *dp_yaml_start(size_t cap, size_t *at);
/* Appends rule i at y + *at: field ("src" or "dst") in prefix/len
 * (family af), proto 6 (tcp) or 17 (udp), dport; pass for i % 3 == 0,
 * else drop. */
void dp_yaml_prefix_rule(char *y, size_t cap, size_t *at, unsigned i, const char *field, int af,
			 const uint8_t *prefix, unsigned len, uint8_t proto, uint16_t dport);

/* Clears an IPv6-sized address's bits from len on. */
void dp_prefix_clear_past(uint8_t a[16], unsigned len);
/* Compiles and switches to rs (owned by the caller, kept until the next
 * load). */
int dp_load_rs(struct dp *dp, const struct ef_ruleset *rs);

/* Runs the frame through the hook's program. */
enum dp_verdict dp_run(struct dp *dp, uint32_t hook, const struct pkt *p);
/* The same for any buffer; skb, when not NULL, is the tc programs' context
 * (gso_size, say). */
struct __sk_buff;
enum dp_verdict dp_run_raw(struct dp *dp, uint32_t hook, const void *data, size_t len,
			   const struct __sk_buff *skb);

const char *dp_verdict_name(enum dp_verdict v);
const char *dp_hook_name(uint32_t hook);
int dp_verdict_parse(const char *s, enum dp_verdict *v);

/* Runs the frame through all three hooks: true when each gives want and
 * counts it (one packet, len bytes) in `counted`: "rule:NAME",
 * "reason:NAME" (as edgefw stats names reasons) or "default". Else why
 * says what differed. */
bool dp_check_hooks(struct dp *dp, const void *data, size_t len, enum dp_verdict want,
		    const char *counted, char *why, size_t why_len);

struct edgefw_counter dp_counter(struct dp *dp, int map_fd, uint32_t idx);
/* Rule counter slot's count, summed over the CPUs' rows. */
struct edgefw_counter dp_slot_counter(struct dp *dp, uint32_t slot);
struct edgefw_counter dp_rule_counter(struct dp *dp, const char *name);
struct edgefw_counter dp_default_counter(struct dp *dp, uint32_t hook);
struct edgefw_counter dp_reason_counter(struct dp *dp, unsigned reason);

/* The test groups. */
void dp_test_cases(struct dp *dp);
/* dynamic.c: dynamic sets and limits against the matcher (issue 16). */
void dp_test_dynamic(struct dp *dp);
void dp_test_stale_pins(void);
/* ifslot.c: the attachment slots, direct and hashed (kern/ifslot.h). */
void dp_test_ifslot(struct dp *dp);
void dp_test_droplog(struct dp *dp);
void dp_test_dynamic_query(struct dp *dp);
void dp_test_faults(struct dp *dp);
void dp_test_parser(struct dp *dp);
void dp_test_encap(struct dp *dp);
void dp_test_large(struct dp *dp);
/* IPv6 prefixes past /48: hashes per length and the LPM trie (v6lens.c). */
void dp_test_v6_lengths(struct dp *dp);
/* Prefixes alone on their branch, behind skip nodes (addrskip.c). */
void dp_test_addr_skips(struct dp *dp);
/* Wide chunks in the chain's IPv6 tries (v6wide.c). */
void dp_test_v6_wide(struct dp *dp);
/* IPv6 rules in a forest behind their address's first word (v6forest.c). */
void dp_test_v6_forests(struct dp *dp);
/* Skip nodes in the forests' tries, IPv4 and IPv6 (forestskip.c). */
void dp_test_forest_skips(struct dp *dp);
/* The lone forest's level-1 probe (forestprobe.c). */
void dp_test_forest_probe(struct dp *dp);
/* The chain's class from a pair is the packet's own (pairstale.c). */
void dp_test_pair_stale(struct dp *dp);
/* Limits beside paired forests: the trees' rule kept across rounds
 * (treelimit.c). */
void dp_test_tree_limit(struct dp *dp);
/* Reloads between rulesets whose level-1 address cells differ (l1reload.c). */
void dp_test_l1_reload(struct dp *dp);
/* Reloads between rulesets that fit the hot window and reach past it
 * in each way (hotwin.c). */
void dp_test_hot_window(struct dp *dp);
void dp_test_conntrack(struct dp *dp);
/* A flow's move between the tables against a lookup on another CPU
 * (ctmove.c). */
void dp_test_ctmove(struct dp *dp);
void dp_test_pcaps(struct dp *dp, const char *dir);
void dp_test_differential(struct dp *dp, uint64_t seed, unsigned rulesets, unsigned packets);
/* The packet fuzz target's corpus and `frames` random frames against the
 * reference parser (refdiff.c). */
void dp_test_refparse(struct dp *dp, uint64_t seed, unsigned frames, const char *corpus);

/* ClassBench sets: the shared ones and generated ones (diff_classbench.c),
 * on an instance of this capacity (acl1_10k needs 5.3 million cells). */
#define DP_CB_CELLS (1u << 23)
#define DP_CB_CLASSES (1u << 20)

struct dp_cb_opts {
	uint64_t seed;
	unsigned packets;   /* per shared set */
	unsigned rulesets;  /* generated sets */
	unsigned max_rules; /* of a generated set */
	bool full;          /* EFW_TEST_FULL: bigger, longer */
};
void dp_test_classbench(struct dp *dp, const struct dp_cb_opts *o);

#endif
