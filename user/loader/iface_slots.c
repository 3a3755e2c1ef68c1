// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "iface_slots.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Zeroes the slot's counters on every CPU. */
static int zero_slot(struct ef_instance *inst, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct edgefw_counter *zeros;
	int ret = 0;

	if (ncpu < 0)
		return ncpu;
	zeros = calloc((size_t)ncpu, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	for (__u32 a = 0; a < EDGEFW_ACT_COUNT && !ret; a++) {
		__u32 idx = slot * EDGEFW_ACT_COUNT + a;

		if (bpf_map_update_elem(inst->maps.iface_stats, &idx, zeros,
					BPF_ANY))
			ret = -errno;
	}
	free(zeros);
	return ret;
}

int ef_iface_slot_claim(struct ef_instance *inst,
			const struct edgefw_attach_key *key, __u32 *slot)
{
	bool used[EDGEFW_MAX_ATTACH] = { false };
	struct edgefw_attach_key cur, next;
	struct edgefw_attach_val val;
	void *prev = NULL;
	__u32 s = EDGEFW_MAX_ATTACH;
	int ret;

	if (!bpf_map_lookup_elem(inst->maps.attachments, key, &val) &&
	    val.slot < EDGEFW_MAX_ATTACH) {
		s = val.slot;
		goto found;
	}
	while (!bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		cur = next;
		prev = &cur;
		if (!bpf_map_lookup_elem(inst->maps.attachments, &cur, &val) &&
		    val.slot < EDGEFW_MAX_ATTACH)
			used[val.slot] = true;
	}
	for (s = 0; s < EDGEFW_MAX_ATTACH && used[s]; s++)
		;
	if (s == EDGEFW_MAX_ATTACH) {
		ef_log_err("instance %s is attached to %d interfaces and hooks already, the most it can count: detach one first",
			   inst->name, EDGEFW_MAX_ATTACH);
		return -ENOSPC;
	}
found:
	ret = zero_slot(inst, s);
	if (ret) {
		ef_log_err("cannot zero the interface counters (slot %u) of instance %s: %s",
			   s, inst->name, strerror(-ret));
		return ret;
	}
	*slot = s;
	return 0;
}
