// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The XDP program each interface needs as 'vlan:' rules come and go
 * (xdp_attach.h, ef_xdp_vlan_follow): where the driver strips tags and
 * gives them back in its XDP metadata, the device-bound program reads
 * them; the shared one does not. Attaching picks by the ruleset in force;
 * a reload that adds or removes 'vlan:' rules swaps the program in place
 * (XDP_FLAGS_REPLACE against the recorded one, as a growth does, grow.c)
 * and records the new one.
 */
#include "xdp_attach.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "edgefw.h"
#include "iface_slots.h"
#include "log.h"
#include "progs.h"
#include "rxvlan.h"
#include "xdp_direct.h"

/* Loads the program ifindex needs; *fd is the caller's to close. */
static int load_wanted(struct ef_instance *inst, int ifindex, bool uses_vlan, int *fd, __u32 *id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	bool owned = true;
	int ret, shared;

	if (uses_vlan) {
		ret = ef_xdp_vlan_prog_load(inst, ifindex, fd);
		if (ret)
			return ret;
	} else {
		ret = ef_prog_get(inst, EDGEFW_HOOK_XDP, &shared, id, &owned);
		if (ret)
			return ret;
		*fd = owned ? shared : fcntl(shared, F_DUPFD_CLOEXEC, 3);
		if (*fd < 0)
			return -errno;
	}
	if (bpf_obj_get_info_by_fd(*fd, &info, &len)) {
		ret = -errno;
		close(*fd);
		return ret;
	}
	*id = info.id;
	return 0;
}

/* Swaps the program of one attachment when it is not the one needed. */
static void follow_one(struct ef_instance *inst, const struct edgefw_attach_key *key,
		       struct edgefw_attach_val *val, bool uses_vlan)
{
	struct ef_rxvlan rx = { 0 };
	struct ef_xdp_hook h = { 0 };
	__u32 id = 0;
	int fd = -1, ret;

	if (val->mode != XDP_MODE_NATIVE || !val->prog_id)
		return;
	ef_rxvlan_query((int)key->ifindex, val->ifname, &rx);
	if (!rx.xdp_meta || ef_xdp_reads_stripped_tags(val->prog_id) == uses_vlan)
		return;
	/* Swapped only where our program holds the hook alone (not under
	 * libxdp's dispatcher), as seen from here. */
	if (ef_xdp_hook_query((int)key->ifindex, &h) || h.prog_id != val->prog_id)
		return;
	ret = load_wanted(inst, (int)key->ifindex, uses_vlan, &fd, &id);
	if (!ret)
		ret = ef_xdp_direct_replace((int)key->ifindex, fd, val->prog_id, h.attach_mode);
	if (fd >= 0)
		close(fd);
	if (ret) {
		ef_log_warn(
			"cannot switch %s to the XDP program %s 'vlan:' rules (%s): its program stays",
			val->ifname, uses_vlan ? "that reads stripped tags for the new" : "without",
			strerror(-ret));
		return;
	}
	val->prog_id = id;
	/* The record names the program detach must remove. */
	if (bpf_map_update_elem(inst->maps.attachments, key, val, BPF_EXIST))
		ef_log_warn("switched %s's XDP program to id %u but cannot record it in %s: %s",
			    val->ifname, id, inst->dir, strerror(errno));
	else
		ef_log_info("switched %s to the %s XDP program (%s 'vlan:' rules)", val->ifname,
			    uses_vlan ? "device-bound" : "shared",
			    uses_vlan ? "the ruleset has" : "the ruleset has no");
}

void ef_xdp_vlan_follow(struct ef_instance *inst, bool uses_vlan)
{
	struct edgefw_attach_key *keys = calloc(EDGEFW_MAX_ATTACH, sizeof(*keys));
	struct edgefw_attach_val *vals = calloc(EDGEFW_MAX_ATTACH, sizeof(*vals));
	size_t n = 0;

	/* What cannot be swapped stays; ef_xdp_vlan_check says what that
	 * means for the tags. */
	if (keys && vals && !ef_attachments_read(inst, keys, vals, &n))
		for (size_t i = 0; i < n; i++)
			if (keys[i].hook == EDGEFW_HOOK_XDP)
				follow_one(inst, &keys[i], &vals[i], uses_vlan);
	free(keys);
	free(vals);
}
