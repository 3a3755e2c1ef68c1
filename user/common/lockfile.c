// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

/* Attempts, when the file keeps being removed under us by holders that
 * exit (each leaves it unlinked). */
#define LOCK_TRIES 8

static int lock_whole(int fd, int cmd, short type, struct flock *fl)
{
	*fl = (struct flock){ .l_type = type, .l_whence = SEEK_SET };
	return fcntl(fd, cmd, fl) ? -errno : 0;
}

/* Still the file at path? A holder that exited removed it after we
 * opened it. */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !lstat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int check_file(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	/* Anyone else able to write or link it could steal or fake it. */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    st.st_nlink != 1)
		return -EPERM;
	return 0;
}

int ef_lockfile_acquire(const char *path)
{
	struct flock fl;
	int fd, ret;

	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		ret = check_file(fd);
		if (!ret)
			ret = lock_whole(fd, F_OFD_SETLK, F_WRLCK, &fl);
		if (ret == -EAGAIN || ret == -EACCES)
			ret = -EBUSY;
		if (!ret && still_linked(fd, path))
			return fd;
		close(fd);
		if (ret)
			return ret;
	}
	return -EAGAIN;
}

void ef_lockfile_release(const char *path, int fd)
{
	if (fd < 0)
		return;
	/* Removed while still locked, so whoever opened it meanwhile sees,
	 * once it has the lock, that it is no longer linked. */
	if (still_linked(fd, path))
		unlink(path);
	close(fd);
}

int ef_lockfile_held(const char *path, int *fd_out)
{
	struct flock fl;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = lock_whole(fd, F_OFD_GETLK, F_RDLCK, &fl);
	if (!ret)
		ret = fl.l_type != F_UNLCK;
	if (ret == 1 && fd_out) {
		*fd_out = fd;
		return ret;
	}
	close(fd);
	return ret;
}
