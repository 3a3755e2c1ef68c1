// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "xdp_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/if_link.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "active.h"
#include "edgefw.h"
#include "edgefw.skel.h"
#include "iface_slots.h"
#include "progs.h"
#include "xdp_direct.h"
#include "liblog.h"
#include "attach_record.h"
#include "log.h"
#include "rxvlan.h"
#include "strutil.h"

/* Not in the uapi headers before kernel 6.3. */
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

/* The program that reads stripped tags through the XDP metadata kfunc; its
 * name, as the kernel keeps it (15 characters), tells it apart later. */
#define XDP_VLAN_PROG "edgefw_xdp_vlan"

int ef_xdp_mode_parse(const char *s, enum ef_xdp_mode *mode)
{
	if (!strcmp(s, "auto"))
		*mode = EF_XDP_AUTO;
	else if (!strcmp(s, "native"))
		*mode = EF_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = EF_XDP_GENERIC;
	else
		return -EINVAL;
	return 0;
}

const char *ef_xdp_mode_name(unsigned libxdp_mode)
{
	switch (libxdp_mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "generic";
	case XDP_MODE_HW:
		return "offload";
	default:
		return "unknown";
	}
}

int ef_xdp_vlan_prog_load(struct ef_instance *inst, int ifindex, int *fd)
{
	struct edgefw_bpf *skel;
	struct bpf_program *p;
	int ret;

	ret = ef_instance_open_object(inst, &skel);
	if (ret)
		return ret;
	bpf_object__for_each_program(p, skel->obj) bpf_program__set_autoload(p, false);
	p = skel->progs.edgefw_xdp_vlan;
	bpf_program__set_autoload(p, true);
	bpf_program__set_ifindex(p, (__u32)ifindex);
	bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_XDP_DEV_BOUND_ONLY);
	ret = edgefw_bpf__load(skel);
	if (ret)
		ef_log_err("cannot load the BPF program %s: %s", XDP_VLAN_PROG, strerror(-ret));
	else if ((*fd = fcntl(bpf_program__fd(p), F_DUPFD_CLOEXEC, 3)) < 0)
		ret = -errno;
	edgefw_bpf__destroy(skel);
	return ret;
}

/* vlan_kfunc: the device-bound program that reads stripped tags; else the
 * instance's shared XDP program, loaded and verified once (progs.h). */

static int attach_one(struct ef_instance *inst, int ifindex, enum xdp_attach_mode mode,
		      bool vlan_kfunc, __u32 *prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id = 0;
	struct xdp_program *prog = NULL;
	bool owned = true;
	int fd = -1, ret;

	if (vlan_kfunc) {
		ret = ef_xdp_vlan_prog_load(inst, ifindex, &fd);
		if (!ret && bpf_obj_get_info_by_fd(fd, &info, &len))
			ret = -errno;
		id = info.id;
	} else {
		ret = ef_prog_get(inst, EDGEFW_HOOK_XDP, &fd, &id, &owned);
	}
	if (ret)
		goto out;
	if (ef_xdp_direct_usable()) {
		ret = ef_xdp_direct_attach(ifindex, fd, mode == XDP_MODE_SKB);
		if (!ret)
			*prog_id = id;
		goto out;
	}
	/* libxdp's program works on a duplicate of fd. */
	prog = xdp_program__from_fd(fd);
	ret = libxdp_get_error(prog);
	if (ret) {
		prog = NULL;
		ef_log_err("cannot prepare the XDP program: %s", strerror(-ret));
		goto out;
	}
	ret = xdp_program__attach(prog, ifindex, mode, 0);
	if (ret)
		goto out;
	*prog_id = xdp_program__id(prog);
	ef_xdp_direct_learn(ifindex, *prog_id);
out:
	xdp_program__close(prog);
	if (owned && fd >= 0)
		close(fd);
	return ret;
}

/* libxdp falls back to attaching the program alone when the kernel refuses
 * its dispatcher; say so (once per process: the daemon attaches often),
 * since other XDP programs then cannot join. */
static void note_legacy(int ifindex, const char *ifname)
{
	static bool noted;
	struct xdp_multiprog *mp;

	if (noted)
		return;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return;
	noted = xdp_multiprog__is_legacy(mp);
	if (noted)
		ef_log_info(
			"note: libxdp's dispatcher is unavailable here, so edgefw is the only XDP program on %s (EDGEFW_DEBUG=1 shows why)",
			ifname);
	xdp_multiprog__close(mp);
}

/* Says which program holds the hook when libxdp cannot share it. */
static void name_occupant(int ifindex, const char *ifname)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;

	if (libxdp_get_error(mp))
		return;
	p = xdp_multiprog__main_prog(mp);
	if (p && xdp_multiprog__is_legacy(mp))
		ef_log_err(
			"%s already runs XDP program '%s' (id %u) without libxdp's dispatcher, so the two cannot share the interface: detach it first (xdp-loader unload %s --all, or ip link set dev %s xdp off)",
			ifname, xdp_program__name(p), xdp_program__id(p), ifname, ifname);
	xdp_multiprog__close(mp);
}

unsigned ef_xdp_mode_from_kernel(unsigned attach_mode)
{
	switch (attach_mode) {
	case XDP_ATTACHED_DRV:
		return XDP_MODE_NATIVE;
	case XDP_ATTACHED_SKB:
		return XDP_MODE_SKB;
	case XDP_ATTACHED_HW:
		return XDP_MODE_HW;
	default:
		return XDP_MODE_UNSPEC;
	}
}

int ef_xdp_attach(struct ef_instance *inst, int ifindex, const char *ifname, enum ef_xdp_mode mode)
{
	struct ef_pending pend = { .key = { .ifindex = (__u32)ifindex, .hook = EDGEFW_HOOK_XDP } };
	struct ef_rxvlan rx = { 0 };
	enum xdp_attach_mode xmode;
	__u32 prog_id = 0, slot;
	int ret;

	ret = ef_iface_slot_claim(inst, &pend.key, &slot);
	if (!ret)
		ret = ef_attach_begin(inst, &pend, slot, ifname);
	if (ret)
		return ret;
	xmode = mode == EF_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	if (xmode == XDP_MODE_NATIVE)
		ef_rxvlan_query(ifindex, ifname, &rx);
	ef_liblog_hold();
	/* Tags the driver strips come back through its XDP metadata where it
	 * gives them; a device-bound program is native only, and loaded for
	 * this interface alone, so only when the ruleset reads VLAN ids. */
	if (rx.xdp_meta && ef_xdp_ruleset_uses_vlan(inst)) {
		ret = attach_one(inst, ifindex, xmode, true, &prog_id);
		if (ret && ret != -EBUSY && ret != -EEXIST) {
			ef_liblog_release(false);
			ef_log_warn(
				"cannot attach the device-bound XDP program to %s (%s): attaching the plain one, which cannot read the tags the driver strips",
				ifname, strerror(-ret));
			ef_liblog_hold();
			ret = attach_one(inst, ifindex, xmode, false, &prog_id);
		}
	} else {
		ret = attach_one(inst, ifindex, xmode, false, &prog_id);
	}
	/* Generic mode helps where the driver lacks XDP, not where another
	 * program holds the hook. */
	if (ret && mode == EF_XDP_AUTO && ret != -EBUSY && ret != -EEXIST) {
		ef_liblog_release(false);
		ef_log_warn(
			"native XDP on %s failed (%s): falling back to generic mode, which is slower",
			ifname, strerror(-ret));
		ef_liblog_hold();
		xmode = XDP_MODE_SKB;
		ret = attach_one(inst, ifindex, xmode, false, &prog_id);
	}
	if (ret == -ENODEV) {
		/* Interfaces come and go: not an error of ours or theirs. */
		ef_liblog_drop();
		ef_liblog_release(false);
		ef_attach_abort(inst, &pend);
		ef_log_info("%s went away before XDP could be attached to it", ifname);
		return ret;
	}
	ef_liblog_release(ret != 0);
	if (ret) {
		ef_attach_abort(inst, &pend);
		ef_log_err("cannot attach XDP to %s in %s mode: %s", ifname,
			   ef_xdp_mode_name(xmode), strerror(-ret));
		if (ret == -EBUSY || ret == -EEXIST)
			name_occupant(ifindex, ifname);
		return ret;
	}
	note_legacy(ifindex, ifname);
	ret = ef_attach_commit(inst, &pend, prog_id, xmode);
	if (ret) {
		ef_log_err("attached to %s but cannot record it in %s: %s; detaching again", ifname,
			   inst->dir, strerror(-ret));
		/* The pending record lets detach find the program. */
		ef_xdp_detach_prog(inst, ifindex, ifname, prog_id);
		return ret;
	}
	ef_xdp_vlan_check(inst, ifindex, ifname);
	return 0;
}

bool ef_xdp_ruleset_uses_vlan(struct ef_instance *inst)
{
	struct edgefw_gen_config cfg;
	struct edgefw_active act;

	if (ef_active_read(inst->maps.data_active, &act) || !act.loaded ||
	    ef_gen_config_read(inst->maps.data_active, act.gen, &cfg))
		return false;
	for (unsigned i = 0; i < cfg.n_dims && i < EDGEFW_DIM_COUNT; i++)
		if (cfg.dims[i] == EDGEFW_DIM_VLAN)
			return true;
	return false;
}

bool ef_xdp_reads_stripped_tags(__u32 prog_id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool yes;

	if (fd < 0)
		return false;
	yes = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	      !strncmp(info.name, XDP_VLAN_PROG, sizeof(info.name));
	close(fd);
	return yes;
}

void ef_xdp_vlan_check(struct ef_instance *inst, int ifindex, const char *ifname)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex, .hook = EDGEFW_HOOK_XDP };
	struct edgefw_attach_val val;
	struct ef_rxvlan rx;

	if (!ef_xdp_ruleset_uses_vlan(inst) ||
	    bpf_map_lookup_elem(inst->maps.attachments, &key, &val) ||
	    ef_rxvlan_query(ifindex, ifname, &rx) || !rx.stripped)
		return;
	if (rx.xdp_meta && ef_xdp_reads_stripped_tags(val.prog_id))
		return;
	ef_log_warn(
		"%s strips VLAN tags on receive (rx VLAN offload) and edgefw's XDP program there cannot read them (%s): at XDP, tagged frames look untagged to 'vlan:' rules. Turn the offload off (ethtool -K %s rxvlan off rx-vlan-stag-hw-parse off) or use the tc hooks, which see the tag",
		ifname,
		val.mode == XDP_MODE_SKB ? "generic mode"
		: rx.xdp_meta
			? "it was attached while the ruleset had no 'vlan:' rule, or the device-bound program could not be loaded: detach and attach again"
			: "the driver does not give them back in its XDP metadata",
		ifname);
}

/* The program with id on ifindex, from a multiprog the caller closes. */
static struct xdp_program *find_prog(struct xdp_multiprog *mp, __u32 id)
{
	struct xdp_program *p;

	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return p && xdp_program__id(p) == id ? p : NULL;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == id)
			return p;
	return NULL;
}

bool ef_xdp_is_attached(struct ef_instance *inst, int ifindex)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex, .hook = EDGEFW_HOOK_XDP };
	struct edgefw_attach_val val;
	struct xdp_multiprog *mp;
	struct ef_xdp_hook h;
	bool found;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val) ||
	    ef_xdp_hook_query(ifindex, &h))
		return false;
	/* Alone on the hook: one netlink call tells. */
	if (!h.prog_id || h.prog_id == val.prog_id)
		return h.prog_id != 0;
	if (!ef_xdp_is_dispatcher(h.prog_id))
		return false;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return false;
	found = find_prog(mp, val.prog_id) != NULL;
	xdp_multiprog__close(mp);
	return found;
}

int ef_xdp_detach(struct ef_instance *inst, int ifindex, const char *ifname)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex, .hook = EDGEFW_HOOK_XDP };
	struct edgefw_attach_val val;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
		return -ENOENT;
	return ef_xdp_detach_prog(inst, ifindex, ifname, val.prog_id);
}

/* Our program alone on the hook (no dispatcher): removed by netlink. */
static int detach_alone(int ifindex, const char *ifname, __u32 prog_id, const struct ef_xdp_hook *h)
{
	int ret;

	if (h->prog_id != prog_id) {
		if (h->prog_id)
			ef_log_warn(
				"edgefw's XDP program (id %u) is no longer on %s: forgetting the attachment",
				prog_id, ifname);
		return 0;
	}
	ret = ef_xdp_direct_detach(ifindex, prog_id, h->attach_mode);
	if (ret == -ENOENT) {
		ef_log_warn(
			"edgefw's XDP program (id %u) is no longer on %s: forgetting the attachment",
			prog_id, ifname);
		ret = 0;
	}
	if (ret)
		ef_log_err("cannot detach XDP program %u from %s: %s", prog_id, ifname,
			   strerror(-ret));
	return ret;
}

int ef_xdp_detach_prog(struct ef_instance *inst, int ifindex, const char *ifname, __u32 prog_id)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex, .hook = EDGEFW_HOOK_XDP };
	struct xdp_multiprog *mp = NULL;
	struct xdp_program *prog;
	struct ef_xdp_hook h;
	int ret;

	ret = ef_xdp_hook_query(ifindex, &h);
	if (ret) {
		/* The interface is gone, and our program with it. */
		ef_log_warn("no XDP program found on %s (%s): forgetting the attachment", ifname,
			    strerror(-ret));
		ret = 0;
		goto forget;
	}
	if (!h.prog_id || h.prog_id == prog_id || !ef_xdp_is_dispatcher(h.prog_id)) {
		ret = detach_alone(ifindex, ifname, prog_id, &h);
		if (ret)
			return ret;
		goto forget;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	ret = libxdp_get_error(mp);
	if (ret) {
		mp = NULL;
		ef_log_warn("no XDP program found on %s (%s): forgetting the attachment", ifname,
			    strerror(-ret));
		ret = 0;
		goto forget;
	}
	prog = find_prog(mp, prog_id);
	if (!prog) {
		ef_log_warn(
			"edgefw's XDP program (id %u) is no longer on %s: forgetting the attachment",
			prog_id, ifname);
		goto forget;
	}
	ret = xdp_program__detach(prog, ifindex, xdp_multiprog__attach_mode(mp), 0);
	if (ret) {
		ef_log_err("cannot detach XDP program %u from %s: %s", prog_id, ifname,
			   strerror(-ret));
		goto out;
	}
forget:
	ef_attachment_forget(inst, &key);
out:
	xdp_multiprog__close(mp);
	return ret;
}

void ef_xdp_vlan_check_all(struct ef_instance *inst)
{
	struct edgefw_attach_key key, next;
	struct edgefw_attach_val val;
	void *prev = NULL;

	if (!ef_xdp_ruleset_uses_vlan(inst))
		return;
	while (!bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		key = next;
		prev = &key;
		if (key.hook != EDGEFW_HOOK_XDP ||
		    bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
			continue;
		val.ifname[sizeof(val.ifname) - 1] = '\0';
		ef_xdp_vlan_check(inst, (int)key.ifindex, val.ifname);
	}
}
