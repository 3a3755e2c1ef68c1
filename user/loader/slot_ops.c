// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "slot_ops.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "fault.h"

/* More slots than a reload ever changes at once. */
#define SLOT_OPS_MAX 8

static void *run_one(void *arg)
{
	struct ef_slot_op *op = arg;

	if (op->err)
		return NULL; /* failed by fault injection before the threads */
	if (op->inner >= 0)
		op->err = bpf_map_update_elem(op->outer, &op->slot, &op->inner,
					      BPF_ANY) ? -errno : 0;
	else
		op->err = bpf_map_delete_elem(op->outer, &op->slot) &&
				  errno != ENOENT ? -errno : 0;
	return NULL;
}

int ef_slot_ops_run(struct ef_slot_op *ops, size_t n)
{
	pthread_t tid[SLOT_OPS_MAX];
	bool started[SLOT_OPS_MAX] = { false };
	int ret = 0;

	if (n > SLOT_OPS_MAX)
		return -E2BIG;
	/* Fault sites are counted in a fixed order, before any thread. */
	for (size_t i = 0; i < n; i++)
		ops[i].err = ef_fault(ops[i].site);
	for (size_t i = 0; i < n; i++) {
		/* The first op runs here; the others beside it. */
		if (i && !pthread_create(&tid[i], NULL, run_one, &ops[i]))
			started[i] = true;
	}
	if (n)
		run_one(&ops[0]);
	for (size_t i = 1; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			run_one(&ops[i]);
	}
	for (size_t i = 0; i < n && !ret; i++)
		ret = ops[i].err;
	return ret;
}

int ef_slot_used(int outer, __u32 slot)
{
	__u32 id;

	return !bpf_map_lookup_elem(outer, &slot, &id);
}
