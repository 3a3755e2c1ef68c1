/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Changes to map-in-map slots, made at once. The kernel waits for an RCU
 * grace period after every change of a map-in-map; waits that run at the
 * same time can share one, so a reload that installs a generation's
 * arrays, or empties the previous generation's slots, need not pay one
 * wait per slot (not shown on the loaded project machine: kern/DESIGN.md).
 */
#ifndef EDGEFW_SLOT_OPS_H
#define EDGEFW_SLOT_OPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* More slots than a reload ever changes at once. */
#define SLOT_OPS_MAX 8

struct ef_slot_op {
	int outer; /* the map-in-map */
	__u32 slot;
	int inner;        /* the map to put in the slot; -1 empties it */
	const char *site; /* fault injection site (fault.h) */
	int err;          /* out: 0 or a negative errno */
};

/* Runs ops[0..n) concurrently, a thread each (inline when a thread cannot
 * be made). Emptying a slot that holds nothing succeeds. Returns 0 or the
 * first failed op's error; every op's own result is in its err. Nothing
 * is logged: the caller knows what each slot is. */
int ef_slot_ops_run(struct ef_slot_op *ops, size_t n);

/* The same in two steps, so that the caller works while the kernel
 * waits: start runs each op in a thread of its own and returns at once
 * (-E2BIG, nothing started, beyond SLOT_OPS_MAX); finish, which must
 * follow every start that returned 0, waits for them all and returns as
 * ef_slot_ops_run does. ops must stay valid in between. */
struct ef_slot_ops_pending {
	struct ef_slot_op *ops;
	size_t n;
	pthread_t tid[SLOT_OPS_MAX];
	bool started[SLOT_OPS_MAX];
};
int ef_slot_ops_start(struct ef_slot_op *ops, size_t n, struct ef_slot_ops_pending *p);
int ef_slot_ops_finish(struct ef_slot_ops_pending *p);

/* True when slot of outer holds a map. */
int ef_slot_used(int outer, __u32 slot);

#endif
