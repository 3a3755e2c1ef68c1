// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The trusted pin tree; see pintree.h. */
#include "pintree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"

static void warn_world_writable(int bpffs_fd)
{
	static bool warned;
	struct stat st;

	if (warned || fstat(bpffs_fd, &st) || !(st.st_mode & S_IWOTH))
		return;
	warned = true;
	ef_log_warn(
		"%s is writable by every user (mode %04o): edgefw keeps its own directory root-only and refuses anything planted in it, but remount it root-only: mount -o remount,mode=0700 %s",
		EF_BPFFS_ROOT, (unsigned)(st.st_mode & 07777), EF_BPFFS_ROOT);
}

/* Like ssh's StrictModes: ours only if root made it and only root can
 * change what is in it. */
static int check_dir(int fd, const char *shown_path)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 022))
		return 0;
	ef_log_err(
		"%s is not edgefw's: %s owned by uid %u with mode %04o, where edgefw needs a directory owned by root that only root can write. Someone else may have created it to capture edgefw's maps: check what is in it, remove it (rm -r %s) and run again",
		shown_path, S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
		(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), shown_path);
	return -EPERM;
}

int ef_pintree_open_dir(int parent_fd, const char *name, const char *shown_path, bool create,
			int *out)
{
	int fd, ret;

	create = create && geteuid() == 0;
	if (create && mkdirat(parent_fd, name, 0700) && errno != EEXIST)
		return errno == ENOENT ? -ENOENT : -errno;
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		/* O_NOFOLLOW on a symlink: ELOOP, or ENOTDIR with O_DIRECTORY. */
		if (ret == -ELOOP || ret == -ENOTDIR) {
			ef_log_err(
				"%s is a symlink or not a directory: edgefw never follows one there (it could point at a directory someone else controls); remove it and run again",
				shown_path);
			return -EPERM;
		}
		if (ret != -ENOENT)
			ef_log_err("cannot open %s: %s%s", shown_path, strerror(-ret),
				   ret == -EACCES ? " (run as root)" : "");
		return ret;
	}
	ret = check_dir(fd, shown_path);
	if (ret) {
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

int ef_pintree_open_root(bool create, int *root_fd)
{
	int bpffs, ret;

	bpffs = open(EF_BPFFS_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bpffs < 0) {
		ret = -errno;
		ef_log_err("cannot open %s: %s", EF_BPFFS_ROOT, strerror(-ret));
		return ret;
	}
	warn_world_writable(bpffs);
	ret = ef_pintree_open_dir(bpffs, "edgefw", EF_PIN_ROOT, create, root_fd);
	close(bpffs);
	return ret;
}

int ef_pintree_path(int dir_fd, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d/%s", dir_fd, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
