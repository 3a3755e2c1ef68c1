// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The filter is put, replaced, found and removed with libbpf's bpf_tc_*
 * calls (cls_bpf on clsact), which send the same rtnetlink requests this
 * file used to build by hand. Why cls_bpf and not a tcx link, with the
 * times of all three paths: kern/DESIGN.md, "Attaching at tc".
 *
 * libbpf reports the kernel's extended ack only as a warning; each call
 * runs inside a liblog hold, and the message goes into our own error line
 * (ef_liblog_kernel_msg), which says what was being done and where.
 */
#include "tc_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "attach_record.h"
#include "iface_slots.h"
#include "liblog.h"
#include "log.h"
#include "progs.h"

static const char *hook_dir(enum edgefw_hook hook)
{
	return hook == EDGEFW_HOOK_TC_EGRESS ? "egress" : "ingress";
}

static void tc_hook(struct bpf_tc_hook *h, int ifindex, enum edgefw_hook hook)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = hook == EDGEFW_HOOK_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

/* Our filter's place: libbpf's opts with only pref and handle set. */
static void our_filter(struct bpf_tc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = EF_TC_HANDLE;
	o->priority = EF_TC_PREF;
}

/* ": the kernel's message", or "" when it sent none. */
static const char *kmsg_sep(void)
{
	return ef_liblog_kernel_msg()[0] ? ": " : "";
}

/* Creates clsact only when absent (-EEXIST from libbpf is fine). */
/* Interfaces come and go: not an error of ours or theirs. */
static void went_away(const char *ifname, enum edgefw_hook hook)
{
	ef_liblog_drop();
	ef_log_info("%s went away before edgefw could attach to its %s hook", ifname,
		    hook_dir(hook));
}

static int ensure_clsact(int ifindex, const char *ifname, enum edgefw_hook hook)
{
	struct bpf_tc_hook h;
	int ret;

	tc_hook(&h, ifindex, hook);
	ef_liblog_hold();
	ret = bpf_tc_hook_create(&h);
	if (ret == -EEXIST)
		ret = 0;
	if (ret == -ENODEV)
		went_away(ifname, hook);
	else if (ret)
		ef_log_err("cannot add a clsact qdisc to %s: %s%s%s (see 'tc qdisc show dev %s')",
			   ifname, strerror(-ret), kmsg_sep(), ef_liblog_kernel_msg(), ifname);
	ef_liblog_release(false);
	return ret;
}

/* replace false adds (never replacing a filter that sits where ours would:
 * NLM_F_EXCL); true swaps the program of ours in place. */
static int put_filter(int ifindex, const char *ifname, enum edgefw_hook hook, int prog_fd,
		      bool replace)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int ret;

	tc_hook(&h, ifindex, hook);
	our_filter(&o);
	o.prog_fd = prog_fd;
	o.flags = replace ? BPF_TC_F_REPLACE : 0;
	ef_liblog_hold();
	ret = bpf_tc_attach(&h, &o);
	if (ret == -ENODEV)
		went_away(ifname, hook);
	else if (ret)
		ef_log_err(
			"cannot %s edgefw's tc filter (pref %u, handle 0x%x) on %s %s: %s%s%s (see 'tc filter show dev %s %s')",
			replace ? "replace" : "add", EF_TC_PREF, EF_TC_HANDLE, ifname,
			hook_dir(hook), strerror(-ret), kmsg_sep(), ef_liblog_kernel_msg(), ifname,
			hook_dir(hook));
	ef_liblog_release(false);
	return ret;
}

static int del_filter(int ifindex, const char *ifname, enum edgefw_hook hook)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int ret;

	/* With the handle, only our filter goes, not the whole priority. */
	tc_hook(&h, ifindex, hook);
	our_filter(&o);
	ef_liblog_hold();
	ret = bpf_tc_detach(&h, &o);
	if (ret)
		ef_log_err(
			"cannot remove edgefw's tc filter from %s %s: %s%s%s (remove it with 'tc filter del dev %s %s pref %u')",
			ifname, hook_dir(hook), strerror(-ret), kmsg_sep(), ef_liblog_kernel_msg(),
			ifname, hook_dir(hook), EF_TC_PREF);
	ef_liblog_release(false);
	return ret;
}

int ef_tc_prog_on_hook(int ifindex, enum edgefw_hook hook, __u32 *prog_id)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int ret;

	tc_hook(&h, ifindex, hook);
	our_filter(&o);
	/* A hook without our filter is an answer, not a failure: the
	 * kernel's "not found" stays quiet. */
	ef_liblog_hold();
	ret = bpf_tc_query(&h, &o);
	ef_liblog_release(false);
	*prog_id = ret ? 0 : o.prog_id;
	/* -ENOENT: no bpf filter at our pref and handle (another kind there
	 * is -EINVAL, as is a missing clsact; -ENODEV: no interface). */
	return ret == -ENOENT ? 0 : ret;
}

int ef_tc_attach(struct ef_instance *inst, int ifindex, const char *ifname, enum edgefw_hook hook)
{
	struct ef_pending pend = { .key = { .ifindex = (__u32)ifindex, .hook = (__u32)hook } };
	__u32 prog_id = 0, slot;
	bool begun = false, added = false, owned = false;
	int fd = -1, ret;

	ret = ef_iface_slot_claim(inst, &pend.key, &slot);
	if (ret)
		return ret;
	/* The instance's program for this hook, verified once (progs.h). */
	ret = ef_prog_get(inst, (uint32_t)hook, &fd, &prog_id, &owned);
	if (ret)
		return ret;
	ret = ef_attach_begin(inst, &pend, slot, ifname);
	if (ret)
		goto out;
	begun = true;
	ret = ensure_clsact(ifindex, ifname, hook);
	if (ret)
		goto out;
	ret = put_filter(ifindex, ifname, hook, fd, false);
	if (ret)
		goto out;
	added = true;
	ret = ef_attach_commit(inst, &pend, prog_id, 0);
	if (ret)
		ef_log_err("attached to %s %s but cannot record it in %s: %s; detaching again",
			   ifname, hook_dir(hook), inst->dir, strerror(-ret));
out:
	if (ret && added)
		del_filter(ifindex, ifname, hook);
	if (ret && begun)
		ef_attach_abort(inst, &pend);
	if (owned)
		close(fd);
	return ret;
}

bool ef_tc_is_attached(struct ef_instance *inst, int ifindex, enum edgefw_hook hook)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex, .hook = (__u32)hook };
	struct edgefw_attach_val val;
	__u32 id;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
		return false;
	return !ef_tc_prog_on_hook(ifindex, hook, &id) && id && id == val.prog_id;
}

int ef_tc_detach(struct ef_instance *inst, int ifindex, const char *ifname, enum edgefw_hook hook)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex, .hook = (__u32)hook };
	struct edgefw_attach_val val;
	__u32 id;
	int ret;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
		return -ENOENT;
	ret = ef_tc_prog_on_hook(ifindex, hook, &id);
	if (ret) {
		/* The interface or its clsact qdisc is gone, and our filter
		 * with it; or another kind of filter sits at our place. */
		ef_log_warn("edgefw's tc filter not found on %s %s (%s): forgetting the attachment",
			    ifname, hook_dir(hook), strerror(-ret));
		ret = 0;
		goto forget;
	}
	if (!id || id != val.prog_id) {
		/* Whatever sits there now is not ours to remove. */
		ef_log_warn(
			"edgefw's tc program (id %u) is no longer on %s %s: forgetting the attachment",
			val.prog_id, ifname, hook_dir(hook));
		goto forget;
	}
	ret = del_filter(ifindex, ifname, hook);
	if (ret)
		return ret;
forget:
	ef_attachment_forget(inst, &key);
	return 0;
}

int ef_tc_replace(int ifindex, const char *ifname, enum edgefw_hook hook, int prog_fd)
{
	/* cls_bpf swaps the program under RCU: no packet goes unfiltered. */
	return put_filter(ifindex, ifname, hook, prog_fd, true);
}
