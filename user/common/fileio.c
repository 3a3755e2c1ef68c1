// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
