// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The canonical copy of each generation's ruleset (gen_rules.h). */
#include "gen_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "canon.h"
#include "fileio.h"
#include "strutil.h"

/* A canonical text is at most what the parser takes back. */
#define GEN_RULES_MAX (256u << 20)

static int copy_path(const char *instance, uint32_t gen, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.gen%u.yaml", EF_GEN_RULES_DIR, instance, gen);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Through a temporary file renamed into place: a reader sees the old copy
 * or the new one, never half of one. */
static int write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (mkdir(EF_GEN_RULES_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, text, len);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int ef_gen_rules_write(const char *instance, uint32_t gen, const struct ef_ruleset *rs)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int ret = copy_path(instance, gen, path, sizeof(path));

	if (!ret)
		ret = ef_canon_text(rs, NULL, &text, &len);
	if (!ret)
		ret = write_atomic(path, text, len);
	free(text);
	return ret;
}

int ef_gen_rules_read(const char *instance, uint32_t gen, uint64_t hash, char **text, size_t *len)
{
	char path[PATH_MAX], *buf = NULL;
	size_t n = 0;
	int ret = copy_path(instance, gen, path, sizeof(path));

	if (!ret)
		ret = ef_read_file(path, GEN_RULES_MAX, &buf, &n);
	if (ret)
		return ret;
	if (ef_fnv1a64(buf, n) != hash) {
		free(buf);
		return -ESTALE;
	}
	*text = buf;
	*len = n;
	return 0;
}

void ef_gen_rules_forget(const char *instance)
{
	char path[PATH_MAX];

	for (uint32_t gen = 0; gen < 2; gen++)
		if (!copy_path(instance, gen, path, sizeof(path)))
			unlink(path);
}
