/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ownership of an instance by one edgefwd. A daemon holds an exclusive
 * lock on /run/edgefw/NAME.owner for its whole life, taken before it
 * touches the instance; the file says who holds it (pid, config, control
 * socket). A second daemon for the instance cannot take the lock and
 * refuses to start; `edgefw attach`, `detach` and `reload` read the file
 * to refuse, or to go through the daemon.
 *
 * The lock is an open-file-description lock (F_OFD_SETLK): a reader can
 * test for it (F_OFD_GETLK) without taking it, so a CLI never makes a
 * daemon's start fail, and it goes away with the daemon's process, even
 * after kill -9.
 */
#ifndef EDGEFW_OWNER_H
#define EDGEFW_OWNER_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define EF_RUN_DIR "/run/edgefw"

struct ef_owner_info {
	pid_t pid;
	char config[PATH_MAX];
	char socket[108]; /* sun_path */
};

/* Takes the lifetime lock of instance for this process and writes info
 * into the lock file. Returns the lock's fd (keep it open; close it, or
 * exit, to release), -EBUSY when another process owns the instance (its
 * info in *holder when not NULL; nothing is logged), or another -errno
 * (logged). */
int ef_owner_acquire(const char *instance, const struct ef_owner_info *info,
		     struct ef_owner_info *holder);
/* Releases the lock and removes the file. */
void ef_owner_release(const char *instance, int fd);

/* 1 when a live process owns instance (its info in *holder), 0 when
 * nobody does, or -errno (logged). Never blocks and never takes the
 * lock. */
int ef_owner_query(const char *instance, struct ef_owner_info *holder);

/* Creates EF_RUN_DIR (0755) when absent and checks that it, or the
 * existing directory, is a real directory owned by root and writable by
 * nobody else. 0 or -errno (logged with what to fix). */
int ef_run_dir_ensure(void);

#endif
