/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The instance's connection table from userspace (kern/conntrack.h keeps
 * it): listing, counting and flushing flows for `edgefw conntrack`, its
 * counters for stats and metrics, and the check after a reload that
 * removes the flows the new ruleset would no longer accept.
 */
#ifndef EDGEFW_LOADER_CTTABLE_H
#define EDGEFW_LOADER_CTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "edgefw.h"
#include "instance.h"
#include "matcher.h"
#include "ruleset.h"

/* One flow as userspace shows it: the initiator's side first. */
struct ef_ct_flow {
	struct edgefw_ct_key key;
	struct edgefw_ct_entry e;
	bool confirmed; /* in ct_tbl (else ct_new_tbl) */
	uint8_t init_addr[16], resp_addr[16];
	uint16_t init_port, resp_port;
	uint64_t age_ns, idle_ns; /* since created, since last seen */
	bool expired;             /* past its timeout: packets ignore it */
};

/* Which flows a list, count or flush is about; zeroed: every flow. */
struct ef_ct_filter {
	uint8_t family;   /* 0: any; 4 or 6 */
	uint8_t addr[16]; /* either side; with family */
	bool has_addr;
	uint16_t port; /* either side */
	bool has_port;
	uint8_t proto;
	bool has_proto;
};

bool ef_ct_filter_match(const struct ef_ct_filter *f, const struct ef_ct_flow *fl);

/* Calls fn for every flow of both tables of both families (fn returns
 * non-zero to stop), the unconfirmed tables first: a flow the datapath
 * moves to the confirmed table meanwhile is visited once or twice, never
 * missed. 0 or a negative errno (logged). */
typedef int (*ef_ct_visit_fn)(const struct ef_ct_flow *fl, void *arg);
int ef_ct_walk(const struct ef_instance *inst, ef_ct_visit_fn fn, void *arg);

/* The table key of the flow packet p belongs to (its ICMP echo identifier
 * in echo_id), normalised as kern/conntrack.h does. */
void ef_ct_key_of(const struct ef_packet *p, uint16_t echo_id, struct edgefw_ct_key *k);

/* k as ct4_tbl and ct4_new_tbl spell an IPv4 flow's key. */
void ef_ct_key4_of(const struct edgefw_ct_key *k, struct edgefw_ct4_key *k4);
/* The flow with key k written to or removed from the table it belongs in
 * (ct_tbl or ct_new_tbl by confirmed; their ct4_ pair for IPv4). 0 or a
 * negative errno (not logged). */
int ef_ct_update(const struct ef_instance *inst, const struct edgefw_ct_key *k, bool confirmed,
		 const struct edgefw_ct_entry *e, uint64_t flags);
int ef_ct_delete(const struct ef_instance *inst, const struct edgefw_ct_key *k, bool confirmed);

/* The flow tables' filter (kern/ct_filter.h, user/loader/ct_filter.c): the
 * slot of a key as its family's table spells it (16 bytes for IPv4, 40 for
 * IPv6), and the raise of that slot's deadline for the confirmed or the
 * unconfirmed table, for a flow last seen at last_seen with that timeout,
 * which ef_ct_update does before it writes a flow. 0 or a negative errno. */
uint32_t ef_ct_filter_slot(const void *key, bool v4);
int ef_ct_filter_raise(const struct ef_instance *inst, const void *key, bool v4, bool confirmed,
		       uint64_t last_seen, uint64_t timeout_ns);

/* Removes the flows f matches; *removed counts them. */
int ef_ct_flush(const struct ef_instance *inst, const struct ef_ct_filter *f, size_t *removed);

/* The timeout of a flow in its state, in nanoseconds (kern/conntrack.h). */
uint64_t ef_ct_timeout_ns(const struct edgefw_ct_entry *e);
const char *ef_ct_flow_name(uint8_t flow);

/* ct_stats summed over CPUs, and the tables' capacities. */
struct ef_ct_counters {
	uint64_t v[EDGEFW_CTS_COUNT];
	/* Entries of ct_tbl and ct_new_tbl: each family's tables (ct4_tbl,
	 * ct4_new_tbl for IPv4) have these. */
	uint32_t cap, new_cap;
};
int ef_ct_read_counters(const struct ef_instance *inst, struct ef_ct_counters *out);
/* Confirmed flows (n[0]) and unconfirmed ones (n[1]) of both families, expired ones included,
 * read in batches (a few syscalls per 4,096 entries, not two per entry:
 * for stats --watch). 0 or -errno (not logged). */
int ef_ct_count(const struct ef_instance *inst, size_t n[2]);
const char *ef_ct_stat_name(unsigned idx);

/* After a switch to rs (compiled as c): removes every flow whose first
 * packet rs would not pass on the hook and interface it was recorded at,
 * and every flow when rs reads no state. *removed counts them. */
int ef_ct_revalidate(const struct ef_instance *inst, const struct ef_ruleset *rs,
		     const struct ef_compiled *c, size_t *removed);

#endif
