// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "slot_ops.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "fault.h"

static void *run_one(void *arg)
{
	struct ef_slot_op *op = arg;

	if (op->err)
		return NULL; /* failed by fault injection before the threads */
	if (op->inner >= 0)
		op->err =
			bpf_map_update_elem(op->outer, &op->slot, &op->inner, BPF_ANY) ? -errno : 0;
	else
		op->err = bpf_map_delete_elem(op->outer, &op->slot) && errno != ENOENT ? -errno : 0;
	return NULL;
}

int ef_slot_ops_start(struct ef_slot_op *ops, size_t n, struct ef_slot_ops_pending *p)
{
	*p = (struct ef_slot_ops_pending){ .ops = ops, .n = n };
	if (n > SLOT_OPS_MAX)
		return -E2BIG;
	/* Fault sites are counted in a fixed order, before any thread. */
	for (size_t i = 0; i < n; i++)
		ops[i].err = ef_fault(ops[i].site);
	for (size_t i = 0; i < n; i++)
		p->started[i] = !pthread_create(&p->tid[i], NULL, run_one, &ops[i]);
	return 0;
}

int ef_slot_ops_finish(struct ef_slot_ops_pending *p)
{
	int ret = 0;

	/* An op whose thread could not be made runs here, after the rest
	 * began: it still shares their wait. */
	for (size_t i = 0; i < p->n; i++) {
		if (p->started[i])
			pthread_join(p->tid[i], NULL);
		else
			run_one(&p->ops[i]);
	}
	for (size_t i = 0; i < p->n && !ret; i++)
		ret = p->ops[i].err;
	p->n = 0;
	return ret;
}

int ef_slot_ops_run(struct ef_slot_op *ops, size_t n)
{
	struct ef_slot_ops_pending p;
	int ret = ef_slot_ops_start(ops, n, &p);

	return ret ? ret : ef_slot_ops_finish(&p);
}

int ef_slot_used(int outer, __u32 slot)
{
	__u32 id;

	return !bpf_map_lookup_elem(outer, &slot, &id);
}
