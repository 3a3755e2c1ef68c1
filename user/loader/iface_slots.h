/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-attachment counter slots: every (interface, hook) an instance is
 * attached to owns one row of iface_stats, recorded in its attachments
 * entry and compiled into its program as attach_slot.
 */
#ifndef EDGEFW_IFACE_SLOTS_H
#define EDGEFW_IFACE_SLOTS_H

#include "edgefw.h"
#include "instance.h"

/* The slot for key: the one already recorded for it (an attachment being
 * replaced), else the lowest slot no attachment uses. Its counters are
 * zeroed, since they now count a new attachment. 0, -ENOSPC when all
 * EDGEFW_MAX_ATTACH slots are taken, or another -errno; errors are logged. */
int ef_iface_slot_claim(struct ef_instance *inst,
			const struct edgefw_attach_key *key, __u32 *slot);

#endif
