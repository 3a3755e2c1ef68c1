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

		if (bpf_map_update_elem(inst->maps.iface_stats, &idx, zeros, BPF_ANY))
			ret = -errno;
	}
	free(zeros);
	return ret;
}

int ef_attachments_read(struct ef_instance *inst, struct edgefw_attach_key *keys,
			struct edgefw_attach_val *vals, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 batch = 0, count;
	void *in = NULL;
	int ret = 0;

	*n = 0;
	/* One system call per batch instead of two per record: the daemon
	 * reads them all for every interface it attaches. */
	while (*n < EDGEFW_MAX_ATTACH) {
		count = (__u32)(EDGEFW_MAX_ATTACH - *n);
		ret = bpf_map_lookup_batch(inst->maps.attachments, in, &batch, keys + *n, vals + *n,
					   &count, &opts);
		ret = ret ? -errno : 0;
		*n += count;
		if (ret)
			break;
		in = &batch;
	}
	return ret == -ENOENT ? 0 : ret;
}

int ef_iface_slot_claim(struct ef_instance *inst, const struct edgefw_attach_key *key, __u32 *slot)
{
	struct edgefw_attach_key *keys = calloc(EDGEFW_MAX_ATTACH, sizeof(*keys));
	struct edgefw_attach_val *vals = calloc(EDGEFW_MAX_ATTACH, sizeof(*vals));
	bool *used = calloc(EDGEFW_MAX_ATTACH, sizeof(*used));
	size_t n = 0;
	__u32 s = EDGEFW_MAX_ATTACH;
	int ret = -ENOMEM;

	if (keys && vals && used)
		ret = ef_attachments_read(inst, keys, vals, &n);
	if (ret) {
		ef_log_err("cannot read the attachments of instance %s: %s", inst->name,
			   strerror(-ret));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (vals[i].slot >= EDGEFW_MAX_ATTACH)
			continue;
		if (keys[i].ifindex == key->ifindex && keys[i].hook == key->hook) {
			s = vals[i].slot;
			goto found;
		}
		used[vals[i].slot] = true;
	}
	for (s = 0; s < EDGEFW_MAX_ATTACH && used[s]; s++)
		;
	if (s == EDGEFW_MAX_ATTACH) {
		ef_log_err(
			"instance %s has %d attachments (interface, hook) already, its capacity: detach one first, or narrow the 'interfaces' patterns",
			inst->name, EDGEFW_MAX_ATTACH);
		ret = -ENOSPC;
		goto out;
	}
found:
	ret = zero_slot(inst, s);
	if (ret)
		ef_log_err("cannot zero the interface counters (slot %u) of instance %s: %s", s,
			   inst->name, strerror(-ret));
	else
		*slot = s;
out:
	free(keys);
	free(vals);
	free(used);
	return ret;
}

static __u32 direct_index(const struct edgefw_attach_key *key)
{
	return (key->ifindex % EDGEFW_IFSLOT_DIRECT) * EDGEFW_HOOK_COUNT + key->hook;
}

/* Entry 0 of ifslot_direct counts ifslot_hash's entries (kern/ifslot.h).
 * Callers hold the instance's lock, so nobody else changes it meanwhile. */
static void hash_count_add(struct ef_instance *inst, int delta)
{
	struct edgefw_ifslot e = { 0 };
	__u32 zero = 0;

	bpf_map_lookup_elem(inst->maps.ifslot_direct, &zero, &e);
	e.slot = delta < 0 && !e.slot ? 0 : e.slot + (__u32)delta;
	(void)bpf_map_update_elem(inst->maps.ifslot_direct, &zero, &e, BPF_ANY);
}

int ef_iface_slot_publish(struct ef_instance *inst, const struct edgefw_attach_key *key, __u32 slot)
{
	struct edgefw_ifslot e = { 0 }, mine = { .ifindex = key->ifindex, .slot = slot };
	__u32 idx = direct_index(key);

	if (key->hook >= EDGEFW_HOOK_COUNT || !key->ifindex)
		return -EINVAL;
	/* Index 0 is the hash's count: multiples of the modulus go there. */
	if (key->ifindex % EDGEFW_IFSLOT_DIRECT &&
	    !bpf_map_lookup_elem(inst->maps.ifslot_direct, &idx, &e) &&
	    (!e.ifindex || e.ifindex == key->ifindex))
		return bpf_map_update_elem(inst->maps.ifslot_direct, &idx, &mine, BPF_ANY) ? -errno
											   : 0;
	if (bpf_map_update_elem(inst->maps.ifslot_hash, key, &slot, BPF_NOEXIST)) {
		if (errno != EEXIST)
			return -errno;
		return bpf_map_update_elem(inst->maps.ifslot_hash, key, &slot, BPF_EXIST) ? -errno
											  : 0;
	}
	hash_count_add(inst, 1);
	return 0;
}

void ef_attachment_forget(struct ef_instance *inst, const struct edgefw_attach_key *key)
{
	struct edgefw_ifslot e = { 0 }, none = { 0 };
	__u32 idx = direct_index(key);

	bpf_map_delete_elem(inst->maps.attachments, key);
	if (key->hook >= EDGEFW_HOOK_COUNT || !key->ifindex)
		return;
	if (key->ifindex % EDGEFW_IFSLOT_DIRECT &&
	    !bpf_map_lookup_elem(inst->maps.ifslot_direct, &idx, &e) && e.ifindex == key->ifindex) {
		(void)bpf_map_update_elem(inst->maps.ifslot_direct, &idx, &none, BPF_ANY);
		return;
	}
	if (!bpf_map_delete_elem(inst->maps.ifslot_hash, key))
		hash_count_add(inst, -1);
}
