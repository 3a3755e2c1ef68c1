/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one way edgefw reads an input file: the rules file (which is also
 * edgefwd's config) and the list files it names.
 *
 * A file is opened once, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, and
 * everything after that looks at the descriptor, never at the path again:
 * fstat() must say a regular file, so a FIFO swapped in for a list file
 * neither blocks the open (O_NONBLOCK) nor the read (refused), and a
 * device is never read; the size is checked before reading and again
 * while reading (the file may grow).
 */
#ifndef EDGEFW_FILEIO_H
#define EDGEFW_FILEIO_H

#include <stddef.h>

enum ef_read_flags {
	/* The last component must not be a symbolic link (-ELOOP). */
	EF_READ_NOFOLLOW = 0x1,
	/* path is resolved beneath dirfd and must stay there: an absolute
	 * path, "..", or a symbolic link leading out of dirfd is refused
	 * (-EXDEV), as are /proc magic links (openat2 RESOLVE_BENEATH |
	 * RESOLVE_NO_MAGICLINKS; -ENOSYS before Linux 5.6). */
	EF_READ_BENEATH = 0x2,
};

/* Reads the file at path (relative to dirfd: AT_FDCWD or a directory)
 * whole into a NUL-terminated malloc'ed buffer, at most max bytes.
 * Returns 0, or -EISDIR (a directory), -EINVAL (not a
 * regular file: FIFO, socket, device), -EFBIG (over max), -ELOOP, -EXDEV
 * (see the flags) or the -errno of open/fstat/read. ef_read_strerror()
 * turns those into words. */
int ef_read_file_at(int dirfd, const char *path, unsigned flags, size_t max, char **bufp,
		    size_t *lenp);
/* The same relative to the working directory, symbolic links followed. */
int ef_read_file(const char *path, size_t max, char **bufp, size_t *lenp);

/* What an error of ef_read_file*() means, for messages ("not a regular
 * file (FIFO, socket or device)", "larger than the limit", ...; strerror
 * for the rest). */
const char *ef_read_strerror(int err);

struct ef_diag;
/* ef_read_file() for an input named on its own (not from another file):
 * a failure is recorded in d as "PATH: error: cannot read: WHY", or for
 * -EFBIG "file is larger than the limit of MAX bytes: HINT". */
int ef_read_input(const char *path, size_t max, const char *too_big_hint, char **bufp, size_t *lenp,
		  struct ef_diag *d);

/* Reads everything from fd, at most max bytes, into a NUL-terminated
 * malloc'ed buffer. Returns 0, -EFBIG past max, -ENOMEM, or the read's
 * -errno. Input files go through ef_read_file*(), which checks the
 * descriptor first. */
int ef_read_fd(int fd, size_t max, char **bufp, size_t *lenp);

#endif
