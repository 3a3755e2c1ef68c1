/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The trusted pin tree. /sys/fs/bpf/edgefw and every instance directory
 * below it are opened once, without following symlinks, checked to be
 * real directories owned by root that nobody else can write, and then
 * used only through their descriptors (pins are reached as
 * /proc/self/fd/N/NAME). On a bpffs mounted mode 1777, as many guides
 * mount it, anyone can create /sys/fs/bpf/edgefw first or plant a symlink
 * there; such a component is refused with what is wrong and how to fix
 * it, never used. Only root creates directories; a non-root command
 * creates nothing.
 */
#ifndef EDGEFW_PINTREE_H
#define EDGEFW_PINTREE_H

#include <stdbool.h>
#include <stddef.h>

/* Opens (and with create, as root, creates) the pin root. -ENOENT when
 * absent and not created; -EPERM when untrustworthy (logged); other
 * -errno (logged). Warns once per process when the bpffs is world
 * writable. */
int ef_pintree_open_root(bool create, int *root_fd);
/* Opens (and with create, as root, creates) directory name under parent,
 * shown as shown_path in messages; the same checks. -ENOENT as above,
 * also when parent was removed meanwhile. */
int ef_pintree_open_dir(int parent_fd, const char *name, const char *shown_path, bool create,
			int *fd);
/* "/proc/self/fd/N/NAME": the pin NAME in the directory dir_fd holds. */
int ef_pintree_path(int dir_fd, const char *name, char *buf, size_t len);

#endif
