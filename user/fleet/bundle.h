/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What `edgefw publish` puts into etcd and edgefwd takes from it: a bundle
 * (the rules file and the list files it names) as content-addressed chunks
 * of at most 512 KiB, and a manifest naming them:
 *   {"format":1,"serial":N,"published":"RFC3339","publisher":"host",
 *    "ruleset_hash":"16 hex","main":"rules.yaml",
 *    "files":[{"path":"rules.yaml","size":B,"sha256":"hex",
 *              "chunks":["sha256hex",...]}, ...]}
 */
#ifndef EDGEFW_BUNDLE_H
#define EDGEFW_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define EF_BUNDLE_FORMAT 1
#define EF_BUNDLE_CHUNK_MAX (512u * 1024)
/* A bundle's limits, checked on both sides: a manifest claiming more is
 * refused before anything is fetched. */
#define EF_BUNDLE_FILES_MAX 256
#define EF_BUNDLE_FILE_MAX (256u << 20)
#define EF_BUNDLE_PATH_MAX 255
#define EF_SHA256_HEX 65

struct ef_bundle_file {
	char *path; /* relative to the bundle's directory */
	uint64_t size;
	char sha256[EF_SHA256_HEX];
	char (*chunks)[EF_SHA256_HEX];
	size_t n_chunks;
};

struct ef_manifest {
	int format;
	uint64_t serial;
	char published[40]; /* RFC 3339, UTC */
	char publisher[128];
	char ruleset_hash[17];
	char *main; /* the rules file, one of files[] */
	struct ef_bundle_file *files;
	size_t n_files;
};

/* sha256 of len bytes as 64 lowercase hex digits. */
void ef_sha256_hex(const void *data, size_t len, char out[EF_SHA256_HEX]);

/* Whether path may name a file of a bundle: relative, 1-255 characters
 * of [A-Za-z0-9._/+-], no empty, "." or ".." component. */
int ef_bundle_path_ok(const char *path);

/* Adds a file to m: its size, sha256 and chunk names. The caller stores
 * the chunks (the bytes [i * EF_BUNDLE_CHUNK_MAX, ...)). -EEXIST: a file
 * of that path is there already; -EINVAL: a path or size refused. */
int ef_manifest_add_file(struct ef_manifest *m, const char *path, const void *data, size_t len);
void ef_manifest_free(struct ef_manifest *m);

/* New JSON text (caller frees); NULL on OOM. */
char *ef_manifest_to_json(const struct ef_manifest *m);
/* Parses and checks a manifest: format, paths, sizes against chunk counts,
 * hex digests, main among the files. 0, or -EINVAL with err saying what
 * is wrong. */
int ef_manifest_parse(const char *text, size_t len, struct ef_manifest *m, char *err,
		      size_t err_len);

/* The chunk count a file of size bytes has. */
size_t ef_bundle_chunks_for(uint64_t size);

#endif
