// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which file a set's `files:` item means, and reading it.
 *
 * Rules the operator wrote name list files relative to the rules file's
 * directory, or by absolute path, anywhere root can read. Rules from an
 * untrusted source (a remote store, a feed: ef_parse_opts.lists_dir set)
 * must not turn edgefw into a reader of the host's files: they may name
 * only files beneath the lists directory. The name is checked as text
 * first (an absolute name outside the directory is refused without any
 * system call, so errors do not even tell whether it exists), then opened
 * with openat2(RESOLVE_BENEATH) on the directory's descriptor, so "..",
 * an absolute symbolic link or one that leads out of the directory is
 * refused by the kernel, at the moment of opening, with no window for a
 * rename to slip in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "listfile.h"
#include "rules_internal.h"

/* Remembers path for diagnostics and origins; NULL on OOM. */
static const char *keep_path(struct parser *p, char *path)
{
	char **v;

	if (!path)
		return NULL;
	v = realloc(p->paths, (p->n_paths + 1) * sizeof(*v));
	if (!v) {
		free(path);
		return NULL;
	}
	p->paths = v;
	p->paths[p->n_paths++] = path;
	return path;
}

static char *join(const char *dir, size_t dir_len, const char *name)
{
	char *path = malloc(dir_len + 1 + strlen(name) + 1);

	if (path)
		sprintf(path, "%.*s/%s", (int)dir_len, dir, name);
	return path;
}

/* Trusted rules: relative to the rules file's directory. */
static char *trusted_path(const struct parser *p, const char *name)
{
	const char *slash = strrchr(p->file, '/');

	if (name[0] == '/' || !slash)
		return strdup(name);
	return join(p->file, (size_t)(slash - p->file), name);
}

/* Untrusted rules: name relative to the lists directory, or absolute
 * inside it. Returns the part below the directory, or NULL. */
static const char *beneath_name(const char *dir, const char *name)
{
	size_t dl = strlen(dir);

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (name[0] != '/')
		return name;
	if (strncmp(name, dir, dl) || name[dl] != '/')
		return NULL;
	while (name[dl] == '/')
		dl++;
	return name[dl] ? name + dl : NULL;
}

static int open_lists_dir(struct parser *p, const struct ydoc_node *n)
{
	if (p->lists_fd >= 0)
		return 0;
	p->lists_fd = open(p->lists_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->lists_fd >= 0)
		return 0;
	perr(p, n, "cannot open the lists directory %s: %s", p->lists_dir, strerror(errno));
	return -errno;
}

static int read_beneath(struct parser *p, const char *set_name, const struct ydoc_node *n,
			const char **path, char **buf, size_t *len)
{
	const char *rel = beneath_name(p->lists_dir, n->str);
	int ret;

	if (!rel) {
		perr(p, n,
		     "set '%s': list file '%s' is outside the lists directory %s: these rules may name only files there",
		     set_name, n->str, p->lists_dir);
		return -EPERM;
	}
	ret = open_lists_dir(p, n);
	if (ret)
		return ret;
	*path = keep_path(p, join(p->lists_dir, strlen(p->lists_dir), rel));
	if (!*path) {
		perr(p, n, "out of memory");
		return -ENOMEM;
	}
	ret = ef_read_file_at(p->lists_fd, rel, EF_READ_BENEATH, EF_LISTFILE_MAX_BYTES, buf, len);
	if (ret == -EXDEV)
		perr(p, n,
		     "set '%s': list file '%s' leads outside the lists directory %s (through '..' or a symbolic link): refused",
		     set_name, n->str, p->lists_dir);
	else if (ret)
		perr(p, n, "set '%s': cannot read list file '%s': %s", set_name, *path,
		     ef_read_strerror(ret));
	return ret;
}

static int read_list_file(struct parser *p, const char *set_name, const struct ydoc_node *n,
			  const char **path, char **buf, size_t *len)
{
	int ret;

	*buf = NULL;
	*len = 0;
	if (p->flags & EF_PARSE_NO_LIST_FILES) {
		perr(p, n, "set '%s': list file '%s' not read: this parse reads no files", set_name,
		     n->str);
		return -EPERM;
	}
	if (!n->len) {
		perr(p, n, "set '%s': empty file name", set_name);
		return -EINVAL;
	}
	if (strlen(n->str) != n->len) {
		perr(p, n, "set '%s': a NUL byte in a file name", set_name);
		return -EINVAL;
	}
	if (p->lists_dir)
		return read_beneath(p, set_name, n, path, buf, len);

	*path = keep_path(p, trusted_path(p, n->str));
	if (!*path) {
		perr(p, n, "out of memory");
		return -ENOMEM;
	}
	ret = ef_read_file(*path, EF_LISTFILE_MAX_BYTES, buf, len);
	if (ret == -EFBIG)
		perr(p, n, "set '%s': list file '%s' is larger than the limit of %u bytes",
		     set_name, *path, EF_LISTFILE_MAX_BYTES);
	else if (ret)
		perr(p, n, "set '%s': cannot read list file '%s': %s", set_name, *path,
		     ef_read_strerror(ret));
	return ret;
}

int rs_read_list_file(struct parser *p, const char *set_name, const struct ydoc_node *n,
		      const char **path, char **buf, size_t *len)
{
	int ret = read_list_file(p, set_name, n, path, buf, len);

	if (!ret && p->opts && p->opts->on_list_file)
		p->opts->on_list_file(p->opts->on_list_file_arg, n->str, *buf, *len);
	return ret;
}
