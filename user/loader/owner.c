// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An instance's owning daemon: a lifetime lock and who holds it. */
#include "owner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "lockfile.h"
#include "instance.h"
#include "log.h"

#define OWNER_FILE_MAX 4096

int ef_run_dir_ensure(void)
{
	struct stat st;

	if (mkdir(EF_RUN_DIR, 0755) && errno != EEXIST) {
		int err = -errno;

		ef_log_err("cannot create %s: %s", EF_RUN_DIR, strerror(-err));
		return err;
	}
	if (lstat(EF_RUN_DIR, &st)) {
		int err = -errno;

		ef_log_err("cannot check %s: %s", EF_RUN_DIR, strerror(-err));
		return err;
	}
	/* Whoever can write here can swap lock files and sockets. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		ef_log_err(
			"%s is not a directory owned by root and writable only by root (%s, uid %u, mode %04o): remove it, or fix it with chown root:root and chmod 0755",
			EF_RUN_DIR,
			S_ISLNK(st.st_mode)   ? "a symlink"
			: S_ISDIR(st.st_mode) ? "directory"
					      : "not a directory",
			(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int owner_path(const char *instance, char *buf, size_t len)
{
	int n;

	if (!ef_instance_name_valid(instance))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s.owner", EF_RUN_DIR, instance);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "pid N\nconfig PATH\nsocket PATH\n"; unknown lines are ignored. */
static void parse_info(char *text, struct ef_owner_info *info)
{
	char *line, *save = NULL;

	memset(info, 0, sizeof(*info));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "pid ", 4))
			info->pid = (pid_t)strtol(line + 4, NULL, 10);
		else if (!strncmp(line, "config ", 7))
			snprintf(info->config, sizeof(info->config), "%s", line + 7);
		else if (!strncmp(line, "socket ", 7))
			snprintf(info->socket, sizeof(info->socket), "%s", line + 7);
	}
}

static void read_info(int fd, struct ef_owner_info *info)
{
	char *text = NULL;
	size_t len;

	memset(info, 0, sizeof(*info));
	if (lseek(fd, 0, SEEK_SET) == 0 && !ef_read_fd(fd, OWNER_FILE_MAX, &text, &len))
		parse_info(text, info);
	free(text);
}

static int write_info(int fd, const struct ef_owner_info *info)
{
	char buf[OWNER_FILE_MAX];
	int n = snprintf(buf, sizeof(buf), "pid %d\nconfig %s\nsocket %s\n", (int)info->pid,
			 info->config, info->socket);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		return errno ? -errno : -EIO;
	return 0;
}

int ef_owner_acquire(const char *instance, const struct ef_owner_info *info,
		     struct ef_owner_info *holder)
{
	char path[PATH_MAX];
	int fd, held, ret;

	ret = owner_path(instance, path, sizeof(path));
	if (!ret)
		ret = ef_run_dir_ensure();
	if (ret)
		return ret;
	fd = ef_lockfile_acquire(path);
	if (fd == -EBUSY) {
		int rfd = -1;

		/* Who: read through a fresh fd, never taking the lock. */
		held = ef_lockfile_held(path, &rfd);
		if (holder && held == 1)
			read_info(rfd, holder);
		if (rfd >= 0)
			close(rfd);
		return -EBUSY;
	}
	if (fd < 0) {
		ef_log_err(
			"cannot take the owner lock %s: %s%s", path, strerror(-fd),
			fd == -EPERM
				? " (it is not a plain root-owned file writable only by root: remove it)"
				: "");
		return fd;
	}
	ret = write_info(fd, info);
	if (ret) {
		ef_log_err("cannot write %s: %s", path, strerror(-ret));
		ef_lockfile_release(path, fd);
		return ret;
	}
	return fd;
}

void ef_owner_release(const char *instance, int fd)
{
	char path[PATH_MAX];

	if (fd < 0)
		return;
	if (owner_path(instance, path, sizeof(path)))
		close(fd);
	else
		ef_lockfile_release(path, fd);
}

int ef_owner_query(const char *instance, struct ef_owner_info *holder)
{
	char path[PATH_MAX];
	int fd = -1, ret;

	memset(holder, 0, sizeof(*holder));
	ret = owner_path(instance, path, sizeof(path));
	if (ret)
		return ret;
	ret = ef_lockfile_held(path, &fd);
	if (ret < 0)
		ef_log_err("cannot test the owner lock %s: %s", path, strerror(-ret));
	if (ret == 1) {
		read_info(fd, holder);
		close(fd);
	}
	return ret;
}
