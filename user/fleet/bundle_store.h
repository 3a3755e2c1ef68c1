/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A host's copy of a bundle: fetched chunk by chunk, each verified, then
 * written as DIR/rev-R/ (a temporary directory renamed into place, so a
 * rev-R that exists is complete) with the manifest beside the files as
 * DIR/rev-R/.manifest.json, and DIR/current a symbolic link to it.
 */
#ifndef EDGEFW_BUNDLE_STORE_H
#define EDGEFW_BUNDLE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"

#define EF_BUNDLE_MANIFEST_FILE ".manifest.json"

/* One chunk's bytes: 0 with *data (malloc'd) and *len; -ENOENT when it is
 * not there; another -errno (err says why) when it cannot be read now. */
typedef int (*ef_chunk_fetch_fn)(void *arg, const char *sha256, unsigned char **data, size_t *len,
				 char *err, size_t err_len);

/* Stores m (revision R) under dir: out gets DIR/rev-R. An existing rev-R
 * is reused as it is. Not synced to disk (no fsync on the way to the
 * switch): ef_bundle_set_current makes it durable. Errors: -ENOENT a chunk is missing, -EBADMSG a
 * chunk or a file does not verify (size or sha256), others from the file
 * system or fetch; err says which file and chunk. */
int ef_bundle_store(const struct ef_manifest *m, const char *manifest_text, int64_t revision,
		    const char *dir, ef_chunk_fetch_fn fetch, void *arg, char *out, size_t out_len,
		    char *err, size_t err_len);
/* Syncs DIR/rev-R to disk, points DIR/current at it (atomically), removes
 * other rev-* directories and syncs DIR. */
int ef_bundle_set_current(const char *dir, int64_t revision);
/* The bundle DIR/current names: out gets its directory, *revision its
 * revision, m its manifest (may be NULL). -ENOENT when there is none. */
int ef_bundle_current(const char *dir, char *out, size_t out_len, int64_t *revision,
		      struct ef_manifest *m);
/* mkdir -p with mode 0700 for what it creates. */
int ef_mkdir_p(const char *path);

#endif
