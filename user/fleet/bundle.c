// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The bundle's manifest: building it from files, JSON both ways, and the
 * checks a host makes before fetching anything it names. */
#include "bundle.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

void ef_sha256_hex(const void *data, size_t len, char out[EF_SHA256_HEX])
{
	uint8_t md[EF_SHA256_LEN];

	ef_sha256(data, len, md);
	for (unsigned i = 0; i < EF_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

size_t ef_bundle_chunks_for(uint64_t size)
{
	return (size_t)((size + EF_BUNDLE_CHUNK_MAX - 1) / EF_BUNDLE_CHUNK_MAX);
}

int ef_bundle_path_ok(const char *path)
{
	size_t len = strlen(path);
	const char *c = path;

	if (!len || len > EF_BUNDLE_PATH_MAX || path[0] == '/')
		return -EINVAL;
	for (const char *s = path; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-",
			    *s))
			return -EINVAL;
	while (*c) { /* each component */
		size_t n = strcspn(c, "/");

		if (!n || (n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return -EINVAL;
		c += n + (c[n] == '/');
		if (c[-1] == '/' && !*c)
			return -EINVAL; /* a trailing '/' */
	}
	return 0;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

int ef_manifest_add_file(struct ef_manifest *m, const char *path, const void *data, size_t len)
{
	struct ef_bundle_file *v, *f;
	size_t n = ef_bundle_chunks_for(len);

	if (ef_bundle_path_ok(path) || len > EF_BUNDLE_FILE_MAX ||
	    m->n_files >= EF_BUNDLE_FILES_MAX)
		return -EINVAL;
	for (size_t i = 0; i < m->n_files; i++)
		if (!strcmp(m->files[i].path, path))
			return -EEXIST;
	v = realloc(m->files, (m->n_files + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->files = v;
	f = &v[m->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->chunks = calloc(n ? n : 1, sizeof(*f->chunks));
	if (!f->path || !f->chunks) {
		free(f->path);
		free(f->chunks);
		return -ENOMEM;
	}
	f->size = len;
	f->n_chunks = n;
	ef_sha256_hex(data, len, f->sha256);
	for (size_t i = 0; i < n; i++) {
		size_t off = i * EF_BUNDLE_CHUNK_MAX;
		size_t clen = len - off < EF_BUNDLE_CHUNK_MAX ? len - off : EF_BUNDLE_CHUNK_MAX;

		ef_sha256_hex((const char *)data + off, clen, f->chunks[i]);
	}
	m->n_files++;
	return 0;
}

void ef_manifest_free(struct ef_manifest *m)
{
	for (size_t i = 0; i < m->n_files; i++) {
		free(m->files[i].path);
		free(m->files[i].chunks);
	}
	free(m->files);
	free(m->main);
	memset(m, 0, sizeof(*m));
}

static struct json_object *file_json(const struct ef_bundle_file *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *chunks = json_object_new_array();

	json_object_object_add(o, "path", json_object_new_string(f->path));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
	json_object_object_add(o, "sha256", json_object_new_string(f->sha256));
	for (size_t i = 0; i < f->n_chunks; i++)
		json_object_array_add(chunks, json_object_new_string(f->chunks[i]));
	json_object_object_add(o, "chunks", chunks);
	return o;
}

char *ef_manifest_to_json(const struct ef_manifest *m)
{
	struct json_object *o = json_object_new_object();
	struct json_object *files = json_object_new_array();
	char *text;

	json_object_object_add(o, "format", json_object_new_int(EF_BUNDLE_FORMAT));
	json_object_object_add(o, "serial", json_object_new_int64((int64_t)m->serial));
	json_object_object_add(o, "published", json_object_new_string(m->published));
	json_object_object_add(o, "publisher", json_object_new_string(m->publisher));
	json_object_object_add(o, "ruleset_hash", json_object_new_string(m->ruleset_hash));
	for (size_t i = 0; i < m->n_files; i++)
		json_object_array_add(files, file_json(&m->files[i]));
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "main", json_object_new_string(m->main ? m->main : ""));
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *str_of(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int parse_file(struct json_object *o, struct ef_bundle_file *f, size_t idx, char *err,
		      size_t len)
{
	const char *path = str_of(o, "path"), *sha = str_of(o, "sha256");
	struct json_object *size = NULL, *chunks = NULL;
	int64_t sz;

	if (!path || ef_bundle_path_ok(path))
		return bad(
			err, len,
			"manifest: files[%zu]: path %s%s%s is missing or not a relative path of [A-Za-z0-9._/+-] without '..'",
			idx, path ? "'" : "", path ? path : "", path ? "'" : "");
	if (!json_object_object_get_ex(o, "size", &size) ||
	    !json_object_is_type(size, json_type_int) || (sz = json_object_get_int64(size)) < 0 ||
	    (uint64_t)sz > EF_BUNDLE_FILE_MAX)
		return bad(err, len, "manifest: %s: size is missing or not 0 to %u bytes", path,
			   EF_BUNDLE_FILE_MAX);
	if (!sha || !is_hex64(sha))
		return bad(err, len, "manifest: %s: sha256 is missing or not 64 hex digits", path);
	/* json-c asserts on the length of what is not an array: a manifest
	 * whose chunks are a string must be refused, not abort the host. */
	if (!json_object_object_get_ex(o, "chunks", &chunks) ||
	    !json_object_is_type(chunks, json_type_array))
		return bad(err, len, "manifest: %s: chunks is missing or not an array", path);
	if (json_object_array_length(chunks) != ef_bundle_chunks_for((uint64_t)sz))
		return bad(
			err, len,
			"manifest: %s: %zu chunks for %lld bytes: expected %zu of at most %u bytes",
			path, json_object_array_length(chunks), (long long)sz,
			ef_bundle_chunks_for((uint64_t)sz), EF_BUNDLE_CHUNK_MAX);
	f->path = strdup(path);
	f->n_chunks = json_object_array_length(chunks);
	f->chunks = calloc(f->n_chunks ? f->n_chunks : 1, sizeof(*f->chunks));
	if (!f->path || !f->chunks)
		return bad(err, len, "manifest: out of memory");
	f->size = (uint64_t)sz;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha);
	for (size_t i = 0; i < f->n_chunks; i++) {
		const char *c = json_object_get_string(json_object_array_get_idx(chunks, i));

		if (!c || !is_hex64(c))
			return bad(err, len, "manifest: %s: chunk %zu is not 64 hex digits", path,
				   i);
		snprintf(f->chunks[i], EF_SHA256_HEX, "%s", c);
	}
	return 0;
}

static int parse_header(struct json_object *o, struct ef_manifest *m, char *err, size_t len)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, "format", &v) ||
	    json_object_get_int(v) != EF_BUNDLE_FORMAT)
		return bad(
			err, len,
			"manifest: format is not %d: this edgefw reads format %d only (upgrade it, or publish with this version)",
			EF_BUNDLE_FORMAT, EF_BUNDLE_FORMAT);
	m->format = EF_BUNDLE_FORMAT;
	if (json_object_object_get_ex(o, "serial", &v))
		m->serial = (uint64_t)json_object_get_int64(v);
	if ((s = str_of(o, "published")))
		snprintf(m->published, sizeof(m->published), "%s", s);
	if ((s = str_of(o, "publisher")))
		snprintf(m->publisher, sizeof(m->publisher), "%s", s);
	s = str_of(o, "ruleset_hash");
	if (!s || strlen(s) != 16)
		return bad(err, len, "manifest: ruleset_hash is missing or not 16 hex digits");
	snprintf(m->ruleset_hash, sizeof(m->ruleset_hash), "%s", s);
	s = str_of(o, "main");
	if (!s || !(m->main = strdup(s)))
		return bad(err, len, "manifest: main (the rules file) is missing");
	return 0;
}

int ef_manifest_parse(const char *text, size_t len, struct ef_manifest *m, char *err,
		      size_t err_len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
	struct json_object *files = NULL;
	bool main_found = false;
	int ret;

	memset(m, 0, sizeof(*m));
	if (!o || !json_object_is_type(o, json_type_object)) {
		ret = bad(err, err_len, "manifest: not a JSON object");
		goto out;
	}
	ret = parse_header(o, m, err, err_len);
	if (ret)
		goto out;
	if (!json_object_object_get_ex(o, "files", &files) ||
	    !json_object_is_type(files, json_type_array) || !json_object_array_length(files) ||
	    json_object_array_length(files) > EF_BUNDLE_FILES_MAX) {
		ret = bad(err, err_len, "manifest: files is missing, empty or longer than %d",
			  EF_BUNDLE_FILES_MAX);
		goto out;
	}
	m->files = calloc(json_object_array_length(files), sizeof(*m->files));
	if (!m->files) {
		ret = bad(err, err_len, "manifest: out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(files) && !ret; i++) {
		ret = parse_file(json_object_array_get_idx(files, i), &m->files[i], i, err,
				 err_len);
		m->n_files++;
		for (size_t j = 0; !ret && j < i; j++)
			if (!strcmp(m->files[j].path, m->files[i].path))
				ret = bad(err, err_len, "manifest: %s is listed twice",
					  m->files[i].path);
		main_found |= !ret && !strcmp(m->files[i].path, m->main);
	}
	if (!ret && !main_found)
		ret = bad(err, err_len, "manifest: main '%s' is not one of its files", m->main);
out:
	if (ret)
		ef_manifest_free(m);
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return ret;
}
