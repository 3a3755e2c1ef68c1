/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Crash-safe attach-and-record. An attachment is recorded in the
 * instance's `attachments` map *before* the program goes onto the hook,
 * as pending (prog_id 0), and completed with the program's id after. A
 * process killed in between leaves a pending record; the next edgefw or
 * edgefwd that opens the instance finds the program on that hook, checks
 * that it is edgefw's and this instance's (it uses the instance's maps),
 * and adopts it, or forgets the record when nothing of ours is there.
 */
#ifndef EDGEFW_RECOVER_H
#define EDGEFW_RECOVER_H

#include <stdbool.h>

#include "edgefw.h"
#include "attach_record.h"
#include "instance.h"

/* True when the program with id uses the instance's maps. */
bool ef_prog_is_ours(const struct ef_instance *inst, __u32 prog_id);

/* Settles every pending record: adopts edgefw's program found on the
 * hook, forgets the record otherwise. Returns how many were adopted. */
int ef_hook_recover_all(struct ef_instance *inst);

#endif
