// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "xdp_direct.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

/* libxdp names its dispatcher programs so (15 characters kept). */
#define DISPATCHER_NAME "xdp_dispatcher"

static enum {
	UNKNOWN,
	DIRECT,
	DISPATCHER
} seen;

bool ef_xdp_is_dispatcher(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool yes = false;
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		yes = !strncmp(info.name, DISPATCHER_NAME, strlen(DISPATCHER_NAME));
	close(fd);
	return yes;
}

int ef_xdp_hook_query(int ifindex, struct ef_xdp_hook *h)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	memset(h, 0, sizeof(*h));
	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	h->prog_id = q.prog_id;
	h->attach_mode = q.attach_mode;
	return 0;
}

void ef_xdp_direct_learn(int ifindex, __u32 prog_id)
{
	struct ef_xdp_hook h;

	if (seen != UNKNOWN || ef_xdp_hook_query(ifindex, &h) || !h.prog_id)
		return;
	if (h.prog_id == prog_id)
		seen = DIRECT;
	else if (ef_xdp_is_dispatcher(h.prog_id))
		seen = DISPATCHER;
}

bool ef_xdp_direct_usable(void)
{
	return seen == DIRECT;
}

static __u32 mode_flags(__u8 attach_mode)
{
	switch (attach_mode) {
	case XDP_ATTACHED_SKB:
		return XDP_FLAGS_SKB_MODE;
	case XDP_ATTACHED_HW:
		return XDP_FLAGS_HW_MODE;
	default:
		return XDP_FLAGS_DRV_MODE;
	}
}

int ef_xdp_direct_attach(int ifindex, int fd, bool generic)
{
	__u32 flags =
		XDP_FLAGS_UPDATE_IF_NOEXIST | (generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	return bpf_xdp_attach(ifindex, fd, flags, NULL) ? -errno : 0;
}

int ef_xdp_direct_detach(int ifindex, __u32 prog_id, __u8 attach_mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int fd = bpf_prog_get_fd_by_id(prog_id), ret = 0;

	if (fd < 0)
		return -ENOENT;
	/* REPLACE with old_prog_fd: the kernel removes it only if it is
	 * still the program on the hook, never one that took its place. */
	opts.old_prog_fd = fd;
	if (bpf_xdp_attach(ifindex, -1, XDP_FLAGS_REPLACE | mode_flags(attach_mode), &opts))
		ret = errno == EEXIST ? -ENOENT : -errno;
	close(fd);
	return ret;
}

int ef_xdp_direct_replace(int ifindex, int fd, __u32 old_id, __u8 attach_mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int old = bpf_prog_get_fd_by_id(old_id), ret = 0;

	if (old < 0)
		return -ENOENT;
	/* Only if old is still the program there; atomic for packets. */
	opts.old_prog_fd = old;
	if (bpf_xdp_attach(ifindex, fd, XDP_FLAGS_REPLACE | mode_flags(attach_mode), &opts))
		ret = -errno;
	close(old);
	return ret;
}
