// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefwd's control socket (server side) and its client (edgefw reload).
 * One JSON request and one JSON response per connection; see control.h. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control_internal.h"
#include "lockfile.h"
#include "log.h"
#include "ruleset.h"

/* mkdir -p of path's parent directory. Directories this creates get mode
 * 0755 whatever the umask is, so that the layout does not depend on how
 * the daemon was started; existing ones are left alone. */
static int make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash, *p;
	int ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0; /* relative name in the cwd, or directly under / */
	*slash = '\0';

	for (p = dir + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (!mkdir(dir, 0755)) {
			if (chmod(dir, 0755)) {
				ret = -errno;
				ef_log_err("cannot set mode 0755 on %s: %s", dir, strerror(-ret));
				break;
			}
		} else if (errno != EEXIST) {
			ret = -errno;
			ef_log_err("cannot create directory %s for the control socket: %s", dir,
				   strerror(-ret));
			break;
		}
		if (last)
			break;
		*p = '/';
	}
	return ret;
}

/* The socket's lock file, held for the daemon's life: whoever holds it
 * may replace the socket file; anyone else must not touch it. Two daemons
 * starting together cannot both remove and bind. */
static int lock_path_of(const char *path, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.lock", path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int take_socket_lock(struct efd_control *c, const char *path)
{
	int ret = lock_path_of(path, c->lock_path, sizeof(c->lock_path));

	if (!ret)
		ret = ef_lockfile_acquire(c->lock_path);
	if (ret >= 0) {
		c->lock_fd = ret;
		return 0;
	}
	if (ret == -EBUSY)
		ef_log_err(
			"another edgefwd listens on %s: stop it first, or give this one another daemon.instance or daemon.control-socket",
			path);
	else
		ef_log_err(
			"cannot lock %s.lock for the control socket: %s%s", path, strerror(-ret),
			ret == -EPERM
				? " (it must be a plain file of root's that only root can write: remove it)"
				: "");
	return ret;
}

/* What is at path already? With the lock held, a socket there is one a
 * daemon that died left: remove it so that bind() can succeed. Anything
 * else is not ours to remove. */
static int clear_stale(const char *path)
{
	struct stat st;
	int ret;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		ef_log_err("cannot check %s for the control socket: %s", path, strerror(-ret));
		return ret;
	}
	if (!S_ISSOCK(st.st_mode)) {
		ef_log_err(
			"%s exists and is not a socket: remove it or set daemon.control-socket to another path",
			path);
		return -EEXIST;
	}
	if (unlink(path) && errno != ENOENT) {
		ret = -errno;
		ef_log_err("cannot remove the stale control socket %s: %s", path, strerror(-ret));
		return ret;
	}
	return 0;
}

/* The listening socket at path (sa), mode 0600 from its creation; *bound
 * once the file exists. 0 or -errno (logged). */
static int bind_listen(struct efd_control *c, const struct sockaddr_un *sa, const char *path,
		       bool *bound)
{
	mode_t old_mask;
	int ret;

	/* Non-blocking: the daemon's event loop polls it and serve() must
	 * never block in accept(). */
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		ef_log_err("cannot create the control socket %s: %s", path, strerror(-ret));
		return ret;
	}
	/* bind() creates the file with the umask applied: with 0177 it is
	 * 0600 from the start, so there is no moment where anyone but root
	 * could connect. The umask is process-wide; the daemon is
	 * single-threaded, so restoring it right away is enough. */
	old_mask = umask(0177);
	ret = bind(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) ? -errno : 0;
	umask(old_mask);
	if (ret) {
		ef_log_err("cannot create the control socket %s: %s", path, strerror(-ret));
		return ret;
	}
	*bound = true;
	/* Explicitly too, in case the file system ignores the umask. */
	if (chmod(path, 0600)) {
		ret = -errno;
		ef_log_err("cannot set mode 0600 on the control socket %s: %s", path,
			   strerror(-ret));
		return ret;
	}
	if (listen(c->fd, CTL_BACKLOG)) {
		ret = -errno;
		ef_log_err("cannot listen on the control socket %s: %s", path, strerror(-ret));
		return ret;
	}
	return 0;
}

int efd_control_open(const char *path, struct efd_control **out)
{
	struct efd_control *c = NULL;
	struct sockaddr_un sa;
	bool bound = false;
	int ret;

	*out = NULL;
	ret = efd_control_addr(path, &sa);
	if (ret) {
		ef_log_err(
			"control socket path '%s' is empty or longer than %zu bytes: choose a shorter daemon.control-socket",
			path, sizeof(sa.sun_path) - 1);
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = -ENOMEM;
		ef_log_err("cannot open the control socket %s: out of memory", path);
		goto fail;
	}
	c->fd = -1;
	c->ep = -1;
	c->timer = -1;
	c->group = (gid_t)-1;
	c->lock_fd = -1;
	memcpy(c->path, sa.sun_path, sizeof(c->path));

	ret = make_parent_dir(path);
	if (!ret)
		ret = take_socket_lock(c, path);
	if (!ret)
		ret = clear_stale(path);
	if (ret)
		goto fail;

	ret = bind_listen(c, &sa, path, &bound);
	if (ret)
		goto fail;
	ret = efd_ctl_conns_init(c);
	if (ret) {
		ef_log_err("cannot set up serving the control socket %s: %s", path, strerror(-ret));
		goto fail;
	}
	*out = c;
	return 0;

fail:
	if (c) {
		efd_ctl_conns_free(c);
		if (c->fd >= 0)
			close(c->fd);
		if (bound)
			unlink(c->path);
		ef_lockfile_release(c->lock_path, c->lock_fd);
		free(c);
	}
	return ret;
}

int efd_control_fd(const struct efd_control *c)
{
	return c ? c->ep : -1;
}

void efd_control_close(struct efd_control *c)
{
	if (!c)
		return;
	efd_ctl_conns_free(c);
	close(c->fd);
	/* Remove the file so that the next daemon finds no stale socket and
	 * edgefw sees at once (ENOENT) that nobody listens. */
	if (unlink(c->path) && errno != ENOENT)
		ef_log_warn("cannot remove the control socket %s: %s", c->path, strerror(errno));
	ef_lockfile_release(c->lock_path, c->lock_fd);
	free(c);
}

const char *efd_control_group(const struct efd_control *c)
{
	return c->group_name;
}

/* Mode first when closing, group first when opening: no moment where the
 * file is open to a group it should not be. */
int efd_control_set_group(struct efd_control *c, gid_t gid, const char *name)
{
	bool open_up = gid != (gid_t)-1;
	gid_t want = open_up ? gid : 0;
	int ret = 0;

	if (!open_up && fchmodat(AT_FDCWD, c->path, 0600, AT_SYMLINK_NOFOLLOW))
		ret = -errno;
	if (!ret && lchown(c->path, (uid_t)-1, want))
		ret = -errno;
	if (!ret && open_up && fchmodat(AT_FDCWD, c->path, 0660, AT_SYMLINK_NOFOLLOW))
		ret = -errno;
	if (ret) {
		ef_log_err(
			"cannot give the control socket %s to group %s: %s; it stays root only%s",
			c->path, open_up ? name : "root", strerror(-ret),
			ret == -EPERM && open_up
				? " (edgefwd needs CAP_CHOWN or to be a member of the group: under systemd, SupplementaryGroups= in a drop-in, see edgefwd(8))"
				: "");
		if (open_up) {
			/* Both, even when the first fails. */
			int back = fchmodat(AT_FDCWD, c->path, 0600, AT_SYMLINK_NOFOLLOW);

			back |= lchown(c->path, (uid_t)-1, 0);
			if (back)
				ef_log_warn(
					"cannot put the control socket %s back to root:root 0600 either: %s",
					c->path, strerror(errno));
		}
		c->group = (gid_t)-1;
		c->group_name[0] = '\0';
		return ret;
	}
	c->group = gid;
	snprintf(c->group_name, sizeof(c->group_name), "%s", open_up ? name : "");
	if (open_up)
		ef_log_info("control socket %s: members of group %s may use status", c->path, name);
	return 0;
}
