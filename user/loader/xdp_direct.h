/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * XDP without libxdp, once libxdp has shown that its dispatcher cannot
 * load here (the kernel refuses its freplace programs) and so attaches
 * edgefw as the interface's only program anyway. Then every further
 * attach, check and detach is one netlink call: libxdp would try (and
 * fail) to load a dispatcher for every interface, and libxdp 1.3.1 leaks
 * a program descriptor each time it reads what an interface holds
 * (xdp-tools issue #343), which a daemon following thousands of
 * interfaces cannot afford.
 */
#ifndef EDGEFW_XDP_DIRECT_H
#define EDGEFW_XDP_DIRECT_H

#include <linux/types.h>
#include <stdbool.h>

/* What sits on ifindex's XDP hook: its program id (0: none) and the
 * kernel's XDP_ATTACHED_* mode. 0 or -errno (the interface is gone, say). */
struct ef_xdp_hook {
	__u32 prog_id;
	__u8 attach_mode;
};
int ef_xdp_hook_query(int ifindex, struct ef_xdp_hook *h);
/* Is the program with this id libxdp's dispatcher? */
bool ef_xdp_is_dispatcher(__u32 prog_id);

/* libxdp attached our program with id prog_id to ifindex: remember
 * whether it did so alone (no dispatcher here). */
void ef_xdp_direct_learn(int ifindex, __u32 prog_id);
/* True once libxdp was seen attaching without its dispatcher. */
bool ef_xdp_direct_usable(void);

/* Attaches fd alone to ifindex (generic: skb mode), never replacing a
 * program already there (-EBUSY/-EEXIST). 0 or -errno. */
int ef_xdp_direct_attach(int ifindex, int fd, bool generic);
/* Removes program prog_id from ifindex only if it is still the one there
 * (in kernel mode attach_mode). 0, -ENOENT when another program took its
 * place, or -errno. */
int ef_xdp_direct_detach(int ifindex, __u32 prog_id, __u8 attach_mode);

/* Puts fd on ifindex's hook in place of the program old_id, in one step
 * (attach_mode: XDP_ATTACHED_*). 0 or a negative errno. */
int ef_xdp_direct_replace(int ifindex, int fd, __u32 old_id, __u8 attach_mode);

#endif
