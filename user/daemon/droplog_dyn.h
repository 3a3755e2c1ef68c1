/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The drop log's names for the dynamic state that decided a packet (issue
 * 16): the dynamic sets the deciding rule needed (and whether the address
 * was in each), the rule whose limit the packet was over before, and the
 * set the rule banned the source into. The datapath puts bits and slots in
 * the event (struct edgefw_log_event); this reads what they stand for from
 * the generation's dyn_config and rule_meta halves and dynset_meta.
 */
#ifndef EDGEFW_DROPLOG_DYN_H
#define EDGEFW_DROPLOG_DYN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgefw.h"

/* One event's dynamic state, in names. */
struct efd_dyn_names {
	struct {
		char set[EDGEFW_DYNSET_NAME_MAX];
		const char *field; /* "src" or "dst" */
		bool in;           /* the address was in the set */
	} sets[EDGEFW_MAX_CONDS];
	size_t n_sets;
	char over_limit[EDGEFW_RULE_NAME_MAX]; /* "": none */
	char ban_set[EDGEFW_DYNSET_NAME_MAX];  /* "": no ban */
	uint64_t ban_timeout_ns;               /* 0: never expires */
};

/* What efd_dyn_resolve reads; the caller owns the fds. */
struct efd_dyn_maps {
	int dyn_config, dynset_meta, rule_meta;
};

/* Cached per batch of events: a reload between batches is seen. */
struct efd_dyn_cache {
	uint32_t batch[EDGEFW_GENERATIONS];
	struct edgefw_dyn_config dc[EDGEFW_GENERATIONS];
	bool dc_ok[EDGEFW_GENERATIONS];
	uint32_t meta_batch;
	struct edgefw_dynset_meta meta[EDGEFW_MAX_DYNSETS];
	bool meta_ok;
};

/* Fills *out for event e (cleared when nothing dynamic decided it).
 * batch: the caller's batch number (never 0). Returns true when out has
 * anything to print. A name that cannot be read is left out. */
bool efd_dyn_resolve(const struct efd_dyn_maps *m, struct efd_dyn_cache *c, uint32_t batch,
		     const struct edgefw_log_event *e, struct efd_dyn_names *out);

/* The names from an event and the tables themselves (no maps): the pure
 * part of efd_dyn_resolve. cond_mask: the deciding rule's conditions
 * (rule_meta); over_rule: the name of the rule e->over_slot names, or
 * NULL. */
void efd_dyn_names_fill(const struct edgefw_log_event *e, uint8_t cond_mask,
			const struct edgefw_dyn_config *dc, const struct edgefw_dynset_meta *meta,
			const char *over_rule, struct efd_dyn_names *out);

#endif
