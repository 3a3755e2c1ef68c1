/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Removing one generation's entries from the tables both generations
 * share (chain, interface context, IPv6 host and prefix tables). Call only
 * for a generation no packet reads: the inactive one, once the packets
 * that read it before the switch are done (ef_tables_apply waits for them).
 */
#ifndef EDGEFW_PURGE_H
#define EDGEFW_PURGE_H

#include <linux/types.h>

#include "instance.h"

/* 0 once none of gen's entries is left, or the first error (a negative
 * errno, not logged: whether it matters is the caller's to say); entries
 * not deleted yet stay, for the next purge. */
int ef_purge_gen(struct ef_instance *inst, __u32 gen);

#endif
