// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "xdp_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "edgefw.h"
#include "edgefw.skel.h"
#include "iface_slots.h"
#include "liblog.h"
#include "recover.h"
#include "log.h"
#include "strutil.h"

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

static int attach_one(struct ef_instance *inst, int ifindex, __u32 slot,
		      enum xdp_attach_mode mode, __u32 *prog_id)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts);
	struct xdp_program *prog = NULL;
	struct edgefw_bpf *skel;
	int ret;

	ret = ef_instance_open_object(inst, slot, &skel);
	if (ret)
		return ret;
	opts.obj = skel->obj;
	opts.prog_name = "edgefw_xdp";
	prog = xdp_program__create(&opts);
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
out:
	xdp_program__close(prog);
	edgefw_bpf__destroy(skel);
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
		ef_log_info("note: libxdp's dispatcher is unavailable here, so edgefw is the only XDP program on %s (EDGEFW_DEBUG=1 shows why)",
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
		ef_log_err("%s already runs XDP program '%s' (id %u) without libxdp's dispatcher, so the two cannot share the interface: detach it first (xdp-loader unload %s --all, or ip link set dev %s xdp off)",
			   ifname, xdp_program__name(p), xdp_program__id(p),
			   ifname, ifname);
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

int ef_xdp_attach(struct ef_instance *inst, int ifindex, const char *ifname,
		  enum ef_xdp_mode mode)
{
	struct ef_pending pend = { .key = { .ifindex = (__u32)ifindex,
					    .hook = EDGEFW_HOOK_XDP } };
	enum xdp_attach_mode xmode;
	__u32 prog_id = 0, slot;
	int ret;

	ret = ef_iface_slot_claim(inst, &pend.key, &slot);
	if (!ret)
		ret = ef_attach_begin(inst, &pend, slot, ifname);
	if (ret)
		return ret;
	xmode = mode == EF_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	ef_liblog_hold();
	ret = attach_one(inst, ifindex, slot, xmode, &prog_id);
	/* Generic mode helps where the driver lacks XDP, not where another
	 * program holds the hook. */
	if (ret && mode == EF_XDP_AUTO && ret != -EBUSY && ret != -EEXIST) {
		ef_liblog_release(false);
		ef_log_warn("native XDP on %s failed (%s): falling back to generic mode, which is slower",
			    ifname, strerror(-ret));
		ef_liblog_hold();
		xmode = XDP_MODE_SKB;
		ret = attach_one(inst, ifindex, slot, xmode, &prog_id);
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
		ef_log_err("attached to %s but cannot record it in %s: %s; detaching again",
			   ifname, inst->dir, strerror(-ret));
		/* The pending record lets detach find the program. */
		ef_xdp_detach_prog(inst, ifindex, ifname, prog_id);
	}
	return ret;
}

/* The program with id on ifindex, from a multiprog the caller closes. */
static struct xdp_program *find_prog(struct xdp_multiprog *mp, __u32 id)
{
	struct xdp_program *p;

	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return p && xdp_program__id(p) == id ? p : NULL;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p;
	     p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == id)
			return p;
	return NULL;
}

bool ef_xdp_is_attached(struct ef_instance *inst, int ifindex)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex,
					 .hook = EDGEFW_HOOK_XDP };
	struct edgefw_attach_val val;
	struct xdp_multiprog *mp;
	bool found;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
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
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex,
					 .hook = EDGEFW_HOOK_XDP };
	struct edgefw_attach_val val;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
		return -ENOENT;
	return ef_xdp_detach_prog(inst, ifindex, ifname, val.prog_id);
}

int ef_xdp_detach_prog(struct ef_instance *inst, int ifindex,
		       const char *ifname, __u32 prog_id)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex,
					 .hook = EDGEFW_HOOK_XDP };
	struct edgefw_attach_val val = { .prog_id = prog_id };
	struct xdp_multiprog *mp = NULL;
	struct xdp_program *prog;
	int ret = 0;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	ret = libxdp_get_error(mp);
	if (ret) {
		mp = NULL;
		/* The interface is gone, or holds no XDP program: nothing of
		 * ours is left to remove. */
		ef_log_warn("no XDP program found on %s (%s): forgetting the attachment",
			    ifname, strerror(-ret));
		ret = 0;
		goto forget;
	}
	prog = find_prog(mp, val.prog_id);
	if (!prog) {
		ef_log_warn("edgefw's XDP program (id %u) is no longer on %s: forgetting the attachment",
			    val.prog_id, ifname);
		goto forget;
	}
	ret = xdp_program__detach(prog, ifindex,
				  xdp_multiprog__attach_mode(mp), 0);
	if (ret) {
		ef_log_err("cannot detach XDP program %u from %s: %s",
			   val.prog_id, ifname, strerror(-ret));
		goto out;
	}
forget:
	bpf_map_delete_elem(inst->maps.attachments, &key);
out:
	xdp_multiprog__close(mp);
	return ret;
}
