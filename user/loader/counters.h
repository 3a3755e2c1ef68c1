/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading an instance's counters, summed over CPUs. */
#ifndef EDGEFW_COUNTERS_H
#define EDGEFW_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "edgefw.h"
#include "instance.h"

struct ef_rule_stat {
	char name[EDGEFW_RULE_NAME_MAX];
	uint32_t slot;
	uint32_t order;
	uint8_t action;
	uint64_t packets, bytes;
	struct edgefw_counter over_limit; /* packets its limit sent on */
};

/* A dynamic set (issue 16): its entries now and what the datapath did. */
struct ef_dynset_stat {
	char name[EDGEFW_DYNSET_NAME_MAX];
	uint32_t size;
	uint64_t timeout_ns;
	uint64_t entries, expired;             /* expired: not yet removed */
	uint64_t counters[EDGEFW_DSTAT_COUNT]; /* enum edgefw_dyn_stat */
};

/* One attachment's counters, by final decision (enum edgefw_action). */
struct ef_iface_stat {
	char ifname[16];
	uint32_t ifindex;
	uint32_t hook;
	uint32_t slot;
	struct edgefw_counter act[EDGEFW_ACT_COUNT];
};

struct ef_stats {
	struct ef_rule_stat *rules; /* in ruleset order */
	size_t n_rules;
	struct edgefw_counter defaults[EDGEFW_HOOK_COUNT];
	uint8_t default_action[EDGEFW_HOOK_COUNT];
	struct edgefw_counter reasons[EDGEFW_REASON_COUNT];
	struct ef_iface_stat *ifaces; /* by interface name, then hook */
	size_t n_ifaces;
	struct ef_ruleset_state state; /* the ruleset the names are from */
	struct ef_dynset_stat *sets;
	size_t n_sets;
};

/* dyn_counters.c: the dynamic sets' part of ef_stats_read. */
int ef_stats_read_dynsets(struct ef_instance *inst, struct edgefw_counter *buf, int ncpu,
			  struct ef_stats *st);
/* "match", "expired", "ban", "ban_fail". */
const char *ef_dyn_stat_name(unsigned what);

int ef_stats_read(struct ef_instance *inst, struct ef_stats *st);
void ef_stats_free(struct ef_stats *st);

/* Stable names for the reasons, as JSON keys and table labels. */
const char *ef_reason_name(unsigned reason);

#endif
