/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-attachment counter slots: every (interface, hook) an instance is
 * attached to owns one row of iface_stats, recorded in its attachments
 * entry and in the slot maps the programs read at run time
 * (kern/ifslot.h), so one loaded program serves every interface.
 */
#ifndef EDGEFW_IFACE_SLOTS_H
#define EDGEFW_IFACE_SLOTS_H

#include <stddef.h>

#include "edgefw.h"
#include "instance.h"

/* The slot for key: the one already recorded for it (an attachment being
 * replaced), else the lowest slot no attachment uses. Its counters are
 * zeroed, since they now count a new attachment. 0, -ENOSPC when all
 * EDGEFW_MAX_ATTACH slots are taken, or another -errno; errors are logged. */
int ef_iface_slot_claim(struct ef_instance *inst, const struct edgefw_attach_key *key, __u32 *slot);

/* Tells the programs that packets on key count in slot. 0 or -errno. */
int ef_iface_slot_publish(struct ef_instance *inst, const struct edgefw_attach_key *key,
			  __u32 slot);
/* Forgets an attachment: its record and its slot-map entry (the slot is
 * free again). */
void ef_attachment_forget(struct ef_instance *inst, const struct edgefw_attach_key *key);

/* Every attachment record, read in batches: keys and vals (room for
 * EDGEFW_MAX_ATTACH entries each) get them, *n how many. 0 or -errno. */
int ef_attachments_read(struct ef_instance *inst, struct edgefw_attach_key *keys,
			struct edgefw_attach_val *vals, size_t *n);

#endif
