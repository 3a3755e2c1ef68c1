// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attach records that survive a crash; see recover.h. */
#include "recover.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iface_slots.h"
#include "log.h"
#include "ruleset.h"
#include "tc_attach.h"
#include "xdp_attach.h"

static int map_id_of(int fd, __u32 *id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
}

bool ef_prog_is_ours(const struct ef_instance *inst, __u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[64], active_id = 0;
	bool ours = false;
	int fd;

	if (!prog_id || map_id_of(inst->maps.data_active, &active_id))
		return false;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		__u32 n = info.nr_map_ids < 64 ? info.nr_map_ids : 64;

		for (__u32 i = 0; i < n && !ours; i++)
			ours = ids[i] == active_id;
	}
	close(fd);
	return ours;
}

/* The program on the hook now (0: none), and for XDP its mode. */
static __u32 prog_on_hook(int ifindex, __u32 hook, __u32 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 id = 0;

	*mode = 0;
	if (hook != EDGEFW_HOOK_XDP)
		return ef_tc_prog_on_hook(ifindex, (enum edgefw_hook)hook, &id) ? 0 : id;
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	*mode = q.attach_mode;
	return q.prog_id;
}

static bool recover_one(struct ef_instance *inst, const struct edgefw_attach_key *key,
			struct edgefw_attach_val *val)
{
	__u32 mode, id = prog_on_hook((int)key->ifindex, key->hook, &mode);
	const char *hook = ef_hook_name(key->hook);

	if (id && ef_prog_is_ours(inst, id)) {
		val->prog_id = id;
		val->mode = ef_xdp_mode_from_kernel(mode);
		if (!bpf_map_update_elem(inst->maps.attachments, key, val, BPF_EXIST)) {
			ef_log_warn(
				"found edgefw's program (id %u) on %s (%s) from an attach that was interrupted: adopted it",
				id, val->ifname, hook);
			return true;
		}
	}
	ef_log_warn(
		"an attach to %s (%s) was interrupted before the program was in place: forgot it",
		val->ifname, hook);
	ef_attachment_forget(inst, key);
	return false;
}

int ef_hook_recover_all(struct ef_instance *inst)
{
	struct edgefw_attach_key keys[EDGEFW_MAX_ATTACH], key, next;
	struct edgefw_attach_val val;
	size_t n = 0;
	void *prev = NULL;
	int adopted = 0;

	/* Collect first: updating while walking could restart the walk. */
	while (n < EDGEFW_MAX_ATTACH &&
	       !bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		keys[n++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_lookup_elem(inst->maps.attachments, &keys[i], &val) && !val.prog_id)
			adopted += recover_one(inst, &keys[i], &val);
	return adopted;
}
