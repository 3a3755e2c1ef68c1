/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The record of an attachment, written around the attach itself: pending
 * (prog_id 0) in the instance's `attachments` map before the program goes
 * onto the hook, completed with its id after, or put back as it was when
 * the attach fails. recover.h settles the records a crash left pending.
 */
#ifndef EDGEFW_ATTACH_RECORD_H
#define EDGEFW_ATTACH_RECORD_H

#include <stdbool.h>

#include "edgefw.h"
#include "instance.h"

struct ef_pending {
	struct edgefw_attach_key key;
	struct edgefw_attach_val prev; /* the record it replaces, if any */
	bool had_prev;
};

/* Records key as pending with slot and ifname. 0 or -errno (logged). */
int ef_attach_begin(struct ef_instance *inst, struct ef_pending *p, __u32 slot, const char *ifname);
/* Completes the record with the attached program's id and mode. */
int ef_attach_commit(struct ef_instance *inst, struct ef_pending *p, __u32 prog_id, __u32 mode);
/* The attach failed: puts back what was recorded before. */
void ef_attach_abort(struct ef_instance *inst, struct ef_pending *p);

#endif
