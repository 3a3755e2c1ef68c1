/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `edgefw stats --watch` rates, and what the counts print the same way. */
#ifndef EDGEFW_STATS_RATES_H
#define EDGEFW_STATS_RATES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "counters.h"
#include "stats_ct.h"

/* "passed", "dropped", "redirected": the JSON keys of each action. */
extern const char *const ef_stats_decision_key[EDGEFW_ACT_COUNT];

/* {"packets": packets, "bytes": bytes}, taking both references. */
json_object *ef_stats_pair_json(json_object *packets, json_object *bytes);

/* The interface table's header; unit is "" for counts, "/s" for rates. */
void ef_stats_iface_header(const char *unit);

/* Rates between two reads secs apart (by_slot: for each rule slot, 1 +
 * the rule's index in prev, 0 when prev has none), as one JSON line or
 * tables, with the connection table's. */
void ef_stats_print_rates(const char *instance, const struct ef_stats *prev,
			  const struct ef_stats *st, const size_t *by_slot,
			  const struct ef_ct_snap *ct_prev, const struct ef_ct_snap *ct,
			  double secs, bool json);

#endif
