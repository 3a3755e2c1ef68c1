/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_FILEIO_H
#define EDGEFW_FILEIO_H

#include <stddef.h>

/* Reads everything from fd, at most max bytes, into a NUL-terminated
 * malloc'ed buffer. Returns 0, -EFBIG past max, -ENOMEM, or the read's
 * -errno. */
int ef_read_fd(int fd, size_t max, char **bufp, size_t *lenp);

#endif
