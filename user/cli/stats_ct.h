/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The connection table in `edgefw stats --watch` (issue 15). */
#ifndef EDGEFW_STATS_CT_H
#define EDGEFW_STATS_CT_H

#include <stdbool.h>
#include <stddef.h>

#include "cttable.h"

struct ef_ct_snap {
	bool ok; /* read; else the refresh shows nothing */
	struct ef_ct_counters c;
	size_t flows[2]; /* confirmed, not confirmed yet */
};

/* The counters and entry counts of an open instance. */
void ef_ct_snap_read(const struct ef_instance *inst, struct ef_ct_snap *s);
/* Per-second rates of the counters between prev and cur, secs apart, and
 * the entries now against the capacity: a table on stdout, or "conntrack"
 * in the JSON root (user/json.md, stats --watch). */
struct json_object;
void ef_ct_snap_print(const struct ef_ct_snap *prev, const struct ef_ct_snap *cur, double secs,
		      struct json_object *root);

#endif
