// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "iface_slots.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "edgefw.skel.h"
#include "globals.h"
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

/* The direct table (kern/ifslot.h edgefw_ifslots) as the programs see it,
 * through data_bss's shared mapping; *bss for slots_unmap. 0 or -errno
 * (logged). */
static int slots_map(const struct ef_instance *inst, void **bss, union edgefw_ifslot_word **t)
{
	struct edgefw_bpf__bss *p;
	int ret = ef_bss_map(inst, "the attachment slots", NULL, &p);

	if (ret)
		return ret;
	*bss = p;
	*t = (union edgefw_ifslot_word *)((char *)p +
					  offsetof(struct edgefw_bpf__bss, edgefw_ifslots));
	return 0;
}

static void slots_unmap(void *bss)
{
	ef_bss_unmap(bss);
}

_Static_assert(sizeof(union edgefw_ifslot_word) == 8, "an entry is one 8-byte word");

/* One 8-byte store: a packet loads the entry as one word too
 * (ifslot_load), so it sees the old entry or the new one whole. */
static void slot_store(union edgefw_ifslot_word *t, __u32 idx, __u32 ifindex, __u32 slot)
{
	union edgefw_ifslot_word w = { .e = { .ifindex = ifindex, .slot = slot } };

	__atomic_store_n(&t[idx].word, w.word, __ATOMIC_RELEASE);
}

static struct edgefw_ifslot slot_load(const union edgefw_ifslot_word *t, __u32 idx)
{
	union edgefw_ifslot_word w = { .word = __atomic_load_n(&t[idx].word, __ATOMIC_ACQUIRE) };

	return w.e;
}

/* Entry 0 counts ifslot_hash's entries (kern/ifslot.h). Callers hold the
 * instance's lock, so nobody else changes it meanwhile. */
static void hash_count_add(union edgefw_ifslot_word *t, int delta)
{
	__u32 n = slot_load(t, 0).slot;

	slot_store(t, 0, 0, delta < 0 && !n ? 0 : n + (__u32)delta);
}

/* Drops key's hash entry, if any: after the direct entry took it over,
 * or when it goes. */
static void hash_forget(struct ef_instance *inst, union edgefw_ifslot_word *t,
			const struct edgefw_attach_key *key)
{
	if (!bpf_map_delete_elem(inst->maps.ifslot_hash, key))
		hash_count_add(t, -1);
}

/* Why the order of writes is safe (packets run concurrently, the caller
 * holds the instance's lock against other writers):
 * - A direct entry changes only as a whole, between "free" and one
 *   interface's (ifindex, slot), or from one slot to another of the same
 *   interface (claim zeroed the new slot first): a packet's one load sees
 *   the old word or the new one, never an index with another's slot.
 *   Another interface takes an entry only once it is free, so the old
 *   owner's packets meanwhile miss it and count in the spare row (or in
 *   its hash entry), never in the newcomer's slot.
 * - The hash entry is written before the count says the hash holds
 *   anything, and removed before the count drops: at worst a packet looks
 *   into the hash in vain, or counts in the spare row during the call.
 * - A key that moves into its direct entry keeps its hash entry until the
 *   direct one is stored, so its packets always find one of them. */
static int publish(struct ef_instance *inst, union edgefw_ifslot_word *t,
		   const struct edgefw_attach_key *key, __u32 slot)
{
	__u32 idx = direct_index(key);
	struct edgefw_ifslot e = slot_load(t, idx);

	/* Index 0 is the hash's count: multiples of the modulus go there. */
	if (key->ifindex % EDGEFW_IFSLOT_DIRECT && (!e.ifindex || e.ifindex == key->ifindex)) {
		slot_store(t, idx, key->ifindex, slot);
		hash_forget(inst, t, key);
		return 0;
	}
	if (bpf_map_update_elem(inst->maps.ifslot_hash, key, &slot, BPF_NOEXIST)) {
		if (errno != EEXIST)
			return -errno;
		return bpf_map_update_elem(inst->maps.ifslot_hash, key, &slot, BPF_EXIST) ? -errno
											  : 0;
	}
	hash_count_add(t, 1);
	return 0;
}

int ef_iface_slot_publish(struct ef_instance *inst, const struct edgefw_attach_key *key, __u32 slot)
{
	union edgefw_ifslot_word *t;
	void *bss;
	int ret;

	if (key->hook >= EDGEFW_HOOK_COUNT || !key->ifindex)
		return -EINVAL;
	ret = slots_map(inst, &bss, &t);
	if (ret)
		return ret;
	ret = publish(inst, t, key, slot);
	slots_unmap(bss);
	return ret;
}

void ef_attachment_forget(struct ef_instance *inst, const struct edgefw_attach_key *key)
{
	union edgefw_ifslot_word *t;
	__u32 idx = direct_index(key);
	void *bss;

	bpf_map_delete_elem(inst->maps.attachments, key);
	if (key->hook >= EDGEFW_HOOK_COUNT || !key->ifindex || slots_map(inst, &bss, &t))
		return;
	if (key->ifindex % EDGEFW_IFSLOT_DIRECT && slot_load(t, idx).ifindex == key->ifindex)
		slot_store(t, idx, 0, 0);
	hash_forget(inst, t, key);
	slots_unmap(bss);
}
