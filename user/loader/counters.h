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
};

int ef_stats_read(struct ef_instance *inst, struct ef_stats *st);
void ef_stats_free(struct ef_stats *st);

/* Stable names for the reasons, as JSON keys and table labels. */
const char *ef_reason_name(unsigned reason);

#endif
