// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The files behind `edgefw reload --confirm`, with or without a daemon
 * (see confirm_state.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confirm_state.h"
#include "fileio.h"
#include "log.h"
#include "ruleset.h"
#include "strutil.h"
#include "yamldoc.h"

#define DAY_S (24 * 3600)

static int state_path(const char *instance, const char *kind, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.%s.json", EF_SOCKET_DIR, instance, kind);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void ef_rules_copy_free(struct ef_rules_copy *c)
{
	free(c->path);
	free(c->src);
	memset(c, 0, sizeof(*c));
}

void ef_confirm_rec_free(struct ef_confirm_rec *p)
{
	ef_rules_copy_free(&p->back);
	memset(p, 0, sizeof(*p));
}

/* The directory as the daemon makes it: root's, 0755. */
static int ensure_dir(void)
{
	struct stat st;

	if (mkdir(EF_SOCKET_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (lstat(EF_SOCKET_DIR, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022))
		return -EPERM;
	return 0;
}

/* Writes obj to path through a temporary file renamed into place. */
static int write_json(const char *path, struct json_object *obj)
{
	char tmp[PATH_MAX];
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);
	int fd, ret = ensure_dir();

	if (ret)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* Reads path as a JSON object, only when root owns it. */
static int read_json(const char *path, struct json_object **out)
{
	struct json_object *obj;
	struct stat st;
	size_t len;
	char *buf;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022)) {
		close(fd);
		return -EPERM;
	}
	ret = ef_read_fd(fd, YDOC_DEFAULT_MAX_BYTES * 2, &buf, &len);
	close(fd);
	if (ret)
		return ret;
	obj = json_tokener_parse(buf);
	free(buf);
	if (!obj || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return -EBADMSG;
	}
	*out = obj;
	return 0;
}

static struct json_object *copy_to_json(const struct ef_rules_copy *c)
{
	struct json_object *o = json_object_new_object();
	char hash[17];

	snprintf(hash, sizeof(hash), "%016" PRIx64, c->hash);
	json_object_object_add(o, "path", json_object_new_string(c->path));
	json_object_object_add(o, "hash", json_object_new_string(hash));
	snprintf(hash, sizeof(hash), "%016" PRIx64, c->rules_hash);
	json_object_object_add(o, "ruleset_hash", json_object_new_string(hash));
	json_object_object_add(o, "source", json_object_new_string_len(c->src, (int)c->len));
	return o;
}

static const char *get_str(struct json_object *o, const char *key, int *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (len)
		*len = json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Also checks that the source still hashes to what it claims. */
static int copy_from_json(struct json_object *o, struct ef_rules_copy *c)
{
	const char *path = get_str(o, "path", NULL), *hash = get_str(o, "hash", NULL);
	const char *rules_hash = get_str(o, "ruleset_hash", NULL);
	int len = 0;
	const char *src = get_str(o, "source", &len);

	memset(c, 0, sizeof(*c));
	if (!path || !hash || !rules_hash || !src)
		return -EBADMSG;
	c->hash = strtoull(hash, NULL, 16);
	c->rules_hash = strtoull(rules_hash, NULL, 16);
	if (ef_fnv1a64(src, (size_t)len) != c->hash)
		return -EBADMSG;
	c->path = strdup(path);
	c->src = malloc((size_t)len + 1);
	if (!c->path || !c->src) {
		ef_rules_copy_free(c);
		return -ENOMEM;
	}
	memcpy(c->src, src, (size_t)len);
	c->src[len] = '\0';
	c->len = (size_t)len;
	return 0;
}

int ef_applied_save_src(const char *instance, const struct ef_rules_copy *c)
{
	struct json_object *o = copy_to_json(c);
	char file[PATH_MAX];
	int ret = state_path(instance, "applied", file, sizeof(file));

	if (!o)
		return -ENOMEM;
	if (!ret)
		ret = write_json(file, o);
	json_object_put(o);
	return ret;
}

int ef_rules_copy_read(const char *path, uint64_t src_hash, uint64_t rules_hash,
		       struct ef_rules_copy *out)
{
	struct ef_rules_copy c = { 0 };
	char abs[PATH_MAX];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!realpath(path, abs))
		return -errno;
	ret = ef_read_file(abs, YDOC_DEFAULT_MAX_BYTES, &c.src, &c.len);
	if (ret)
		return ret;
	c.path = strdup(abs);
	if (!c.path)
		ret = -ENOMEM;
	else if (ef_fnv1a64(c.src, c.len) != src_hash)
		ret = -ESTALE; /* edited between the load and now */
	if (ret) {
		ef_rules_copy_free(&c);
		return ret;
	}
	c.hash = src_hash;
	c.rules_hash = rules_hash;
	*out = c;
	return 0;
}

int ef_applied_save(const char *instance, const char *path, uint64_t src_hash, uint64_t rules_hash)
{
	struct ef_rules_copy c;
	int ret = ef_rules_copy_read(path, src_hash, rules_hash, &c);

	if (ret)
		return ret;
	ret = ef_applied_save_src(instance, &c);
	ef_rules_copy_free(&c);
	return ret;
}

int ef_applied_load(const char *instance, struct ef_rules_copy *out)
{
	struct json_object *o = NULL;
	char file[PATH_MAX];
	int ret = state_path(instance, "applied", file, sizeof(file));

	if (!ret)
		ret = read_json(file, &o);
	if (!ret)
		ret = copy_from_json(o, out);
	json_object_put(o);
	return ret;
}

int ef_pending_save_kind(const char *instance, const char *kind, const struct ef_confirm_rec *p)
{
	struct json_object *o = json_object_new_object();
	char file[PATH_MAX], hash[17];
	int ret = state_path(instance, kind, file, sizeof(file));

	if (!o)
		return -ENOMEM;
	snprintf(hash, sizeof(hash), "%016" PRIx64, p->new_hash);
	json_object_object_add(o, "new_hash", json_object_new_string(hash));
	json_object_object_add(o, "deadline", json_object_new_int64(p->deadline));
	snprintf(hash, sizeof(hash), "%016" PRIx64, p->token);
	json_object_object_add(o, "token", json_object_new_string(hash));
	json_object_object_add(o, "rollback", copy_to_json(&p->back));
	if (!ret)
		ret = write_json(file, o);
	json_object_put(o);
	return ret;
}

int ef_pending_load_kind(const char *instance, const char *kind, struct ef_confirm_rec *out)
{
	struct json_object *o = NULL, *v;
	char file[PATH_MAX];
	const char *h;
	int ret = state_path(instance, kind, file, sizeof(file));

	memset(out, 0, sizeof(*out));
	if (!ret)
		ret = read_json(file, &o);
	if (ret)
		return ret;
	ret = -EBADMSG;
	h = get_str(o, "new_hash", NULL);
	if (!h || !json_object_object_get_ex(o, "deadline", &v))
		goto out;
	out->deadline = (time_t)json_object_get_int64(v);
	out->new_hash = strtoull(h, NULL, 16);
	h = get_str(o, "token", NULL);
	out->token = h ? strtoull(h, NULL, 16) : 0;
	if (json_object_object_get_ex(o, "rollback", &v))
		ret = copy_from_json(v, &out->back);
out:
	json_object_put(o);
	if (ret)
		ef_confirm_rec_free(out); /* nothing half-read */
	return ret;
}

int ef_pending_remove_kind(const char *instance, const char *kind)
{
	char file[PATH_MAX];
	int ret = state_path(instance, kind, file, sizeof(file));

	if (!ret && unlink(file) && errno != ENOENT)
		ret = -errno;
	return ret;
}

int ef_pending_save(const char *instance, const struct ef_confirm_rec *p)
{
	return ef_pending_save_kind(instance, EF_PENDING_CLI, p);
}

int ef_pending_load(const char *instance, struct ef_confirm_rec *out)
{
	return ef_pending_load_kind(instance, EF_PENDING_CLI, out);
}

int ef_pending_remove(const char *instance)
{
	return ef_pending_remove_kind(instance, EF_PENDING_CLI);
}

void ef_confirm_state_forget(const char *instance)
{
	char file[PATH_MAX];

	ef_pending_remove(instance);
	ef_pending_remove_kind(instance, EF_PENDING_DAEMON);
	if (!state_path(instance, "applied", file, sizeof(file)))
		unlink(file);
}

int ef_parse_confirm_window(const char *s, unsigned *seconds)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v > DAY_S)
		return -EINVAL;
	if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	if (v < 1 || v > DAY_S)
		return -EINVAL;
	*seconds = (unsigned)v;
	return 0;
}
