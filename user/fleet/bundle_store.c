// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A host's copies of bundles (bundle_store.h): fetch, verify, write, switch. */
#include "bundle_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

__attribute__((format(printf, 4, 5))) static int fail(int ret, char *err, size_t len,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

int ef_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *s = buf + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*s = c;
	}
}

/* One file's bytes from its chunks, each checked against its name, then
 * the whole against its size and sha256. */
static int assemble(const struct ef_bundle_file *f, ef_chunk_fetch_fn fetch, void *arg,
		    unsigned char **out, char *err, size_t len)
{
	unsigned char *buf = malloc(f->size ? f->size : 1), *data = NULL;
	char sha[EF_SHA256_HEX];
	size_t off = 0, n = 0;
	int ret = buf ? 0 : -ENOMEM;

	for (size_t i = 0; i < f->n_chunks && !ret; i++) {
		ret = fetch(arg, f->chunks[i], &data, &n, err, len);
		if (ret == -ENOENT)
			ret = fail(ret, err, len, "%s: chunk %zu of %zu (%.12s...) is missing",
				   f->path, i + 1, f->n_chunks, f->chunks[i]);
		if (ret)
			break;
		ef_sha256_hex(data, n, sha);
		if (strcmp(sha, f->chunks[i]))
			ret = fail(
				-EBADMSG, err, len,
				"%s: chunk %zu of %zu (%.12s...) does not match its sha256 (the chunk is %.12s...)",
				f->path, i + 1, f->n_chunks, f->chunks[i], sha);
		else if (n > EF_BUNDLE_CHUNK_MAX || n > f->size - off)
			ret = fail(
				-EBADMSG, err, len,
				"%s: chunk %zu of %zu makes the file longer than its size, %llu bytes",
				f->path, i + 1, f->n_chunks, (unsigned long long)f->size);
		else
			memcpy(buf + off, data, n);
		off += n;
		free(data);
		data = NULL;
	}
	if (!ret && off != f->size)
		ret = fail(-EBADMSG, err, len, "%s: its chunks hold %zu bytes, its size is %llu",
			   f->path, off, (unsigned long long)f->size);
	if (!ret) {
		ef_sha256_hex(buf, off, sha);
		if (strcmp(sha, f->sha256))
			ret = fail(-EBADMSG, err, len, "%s: the file does not match its sha256",
				   f->path);
	}
	if (ret)
		free(buf);
	else
		*out = buf;
	return ret;
}

static int write_file(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX], *slash;
	int fd, ret = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	slash = strrchr(path, '/');
	*slash = '\0';
	ret = ef_mkdir_p(path);
	*slash = '/';
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len && !ret;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);

		if (w < 0 && errno != EINTR)
			ret = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	close(fd);
	return ret;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int fill_dir(const struct ef_manifest *m, const char *text, const char *tmp,
		    ef_chunk_fetch_fn fetch, void *arg, char *err, size_t len)
{
	unsigned char *data = NULL;
	int ret = 0;

	for (size_t i = 0; i < m->n_files && !ret; i++) {
		ret = assemble(&m->files[i], fetch, arg, &data, err, len);
		if (ret)
			break;
		ret = write_file(tmp, m->files[i].path, data, m->files[i].size);
		free(data);
		if (ret)
			fail(ret, err, len, "cannot write %s/%s: %s", tmp, m->files[i].path,
			     strerror(-ret));
	}
	if (!ret && (ret = write_file(tmp, EF_BUNDLE_MANIFEST_FILE, text, strlen(text))))
		fail(ret, err, len, "cannot write %s/%s: %s", tmp, EF_BUNDLE_MANIFEST_FILE,
		     strerror(-ret));
	return ret;
}

int ef_bundle_store(const struct ef_manifest *m, const char *manifest_text, int64_t revision,
		    const char *dir, ef_chunk_fetch_fn fetch, void *arg, char *out, size_t out_len,
		    char *err, size_t err_len)
{
	char tmp[PATH_MAX];
	struct stat st;
	int ret;

	if ((size_t)snprintf(out, out_len, "%s/rev-%lld", dir, (long long)revision) >= out_len ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.tmp-rev-%lld-%d", dir, (long long)revision,
			     (int)getpid()) >= sizeof(tmp))
		return fail(-ENAMETOOLONG, err, err_len, "state directory %s: path too long", dir);
	if (!stat(out, &st) && S_ISDIR(st.st_mode))
		return 0; /* renamed into place whole: complete */
	ret = ef_mkdir_p(dir);
	if (ret)
		return fail(ret, err, err_len, "cannot create the state directory %s: %s", dir,
			    strerror(-ret));
	rm_tree(tmp);
	if (mkdir(tmp, 0700))
		return fail(-errno, err, err_len, "cannot create %s: %s", tmp, strerror(errno));
	ret = fill_dir(m, manifest_text, tmp, fetch, arg, err, err_len);
	if (!ret && rename(tmp, out))
		ret = fail(-errno, err, err_len, "cannot rename %s to %s: %s", tmp, out,
			   strerror(errno));
	if (ret)
		rm_tree(tmp);
	return ret;
}

static void remove_others(const char *dir, const char *keep)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!dh)
		return;
	while ((e = readdir(dh))) {
		if (strncmp(e->d_name, "rev-", 4) && strncmp(e->d_name, ".tmp-rev-", 9))
			continue;
		if (!strcmp(e->d_name, keep))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			rm_tree(path);
	}
	closedir(dh);
}

static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

static int sync_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_F)
		return sync_path(path, 0);
	if (flag == FTW_DP)
		return sync_path(path, O_DIRECTORY);
	return 0;
}

int ef_bundle_set_current(const char *dir, int64_t revision)
{
	char target[64], tmp[PATH_MAX], cur[PATH_MAX];
	int ret;

	snprintf(target, sizeof(target), "rev-%lld", (long long)revision);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.current-%d", dir, (int)getpid()) >=
		    sizeof(tmp) ||
	    (size_t)snprintf(cur, sizeof(cur), "%s/%s", dir, target) >= sizeof(cur))
		return -ENAMETOOLONG;
	/* Durable first: a reboot starts from what current names. */
	ret = nftw(cur, sync_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (ret)
		return ret < 0 ? -errno : ret;
	snprintf(cur, sizeof(cur), "%s/current", dir);
	unlink(tmp);
	if (symlink(target, tmp))
		return -errno;
	if (rename(tmp, cur)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	remove_others(dir, target);
	return sync_path(dir, O_DIRECTORY);
}

int ef_bundle_current(const char *dir, char *out, size_t out_len, int64_t *revision,
		      struct ef_manifest *m)
{
	char link[PATH_MAX], target[64], path[PATH_MAX], err[256];
	char *text = NULL, *end;
	size_t len;
	ssize_t n;
	int ret;

	snprintf(link, sizeof(link), "%s/current", dir);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strncmp(target, "rev-", 4))
		return -EINVAL;
	*revision = strtoll(target + 4, &end, 10);
	if (*end || *revision <= 0)
		return -EINVAL;
	if ((size_t)snprintf(out, out_len, "%s/%s", dir, target) >= out_len)
		return -ENAMETOOLONG;
	if (!m)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", out, EF_BUNDLE_MANIFEST_FILE);
	ret = ef_read_file(path, 64u << 20, &text, &len);
	if (!ret)
		ret = ef_manifest_parse(text, len, m, err, sizeof(err));
	free(text);
	return ret;
}
