/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Lifetime lock files: an exclusive open-file-description lock
 * (F_OFD_SETLK) on a plain file, held while the fd stays open and dropped
 * by the kernel when the process dies, even by kill -9. Others can test
 * for it (F_OFD_GETLK) without taking it.
 */
#ifndef EDGEFW_LOCKFILE_H
#define EDGEFW_LOCKFILE_H

/* Creates (0644, never through a symlink) and locks path. Returns the
 * locked fd, -EBUSY when another open file holds the lock (the fd is then
 * closed), or another -errno. The file must be a plain file of this user
 * that nobody else can write (-EPERM otherwise). */
int ef_lockfile_acquire(const char *path);
/* Removes path (if it is still the locked file) and closes fd. */
void ef_lockfile_release(const char *path, int fd);
/* 1 when someone holds the lock on path (*fd_out, if not NULL, gets an
 * fd of the file to read, to close by the caller), 0 when nobody does or
 * the file does not exist, or -errno. */
int ef_lockfile_held(const char *path, int *fd_out);

#endif
