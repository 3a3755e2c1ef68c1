// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "fileio.h"

#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INPUT_OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

static int open_input(int dirfd, const char *path, unsigned flags)
{
	int fd;

	if (flags & EF_READ_BENEATH) {
		/* glibc 2.36 has no wrapper. */
		struct open_how how = {
			.flags = INPUT_OPEN_FLAGS | (flags & EF_READ_NOFOLLOW ? O_NOFOLLOW : 0),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	} else {
		fd = openat(dirfd, path,
			    INPUT_OPEN_FLAGS | (flags & EF_READ_NOFOLLOW ? O_NOFOLLOW : 0));
	}
	return fd < 0 ? -errno : fd;
}

int ef_read_file_at(int dirfd, const char *path, unsigned flags, size_t max, char **bufp,
		    size_t *lenp)
{
	struct stat st;
	int fd, err;

	*bufp = NULL;
	*lenp = 0;
	fd = open_input(dirfd, path, flags);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
	} else if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
	} else if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
	} else {
		/* Non-blocking makes no difference to a regular file. */
		err = ef_read_fd(fd, max, bufp, lenp);
	}
	close(fd);
	return err;
}

int ef_read_file(const char *path, size_t max, char **bufp, size_t *lenp)
{
	return ef_read_file_at(AT_FDCWD, path, 0, max, bufp, lenp);
}

const char *ef_read_strerror(int err)
{
	switch (err) {
	case -EINVAL:
		return "not a regular file (a FIFO, socket or device is never read)";
	case -EFBIG:
		return "larger than the limit";
	case -ELOOP:
		return "a symbolic link, or too many of them";
	case -EXDEV:
		return "outside the directory it must be in";
	case -ENOSYS:
		return "cannot be opened safely: this kernel lacks openat2 (Linux 5.6)";
	default:
		return strerror(-err);
	}
}

int ef_read_input(const char *path, size_t max, const char *too_big_hint, char **bufp, size_t *lenp,
		  struct ef_diag *d)
{
	int err = ef_read_file(path, max, bufp, lenp);

	if (err == -EFBIG)
		ef_err(d, path, 0, 0, "file is larger than the limit of %zu bytes: %s", max,
		       too_big_hint);
	else if (err)
		ef_err(d, path, 0, 0, "cannot read: %s", ef_read_strerror(err));
	return err;
}

int ef_read_fd(int fd, size_t max, char **bufp, size_t *lenp)
{
	struct stat st;
	size_t cap, len = 0;
	char *buf = NULL;
	int err = 0;

	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	/* Regular files are read in one go (the extra byte sees EOF);
	 * pipes and the like grow, and reading one byte past the limit is
	 * enough to know it was crossed. */
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	else
		cap = 4096;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			size_t ncap;
			char *nb;

			if (len > max) {
				err = -EFBIG;
				goto out;
			}
			ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, ncap);
			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	if (len > max) {
		err = -EFBIG;
		goto out;
	}
	buf[len] = '\0'; /* the loop ends on a read with room left */
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	return err;
}
