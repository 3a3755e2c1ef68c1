/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Chunk garbage collection that a concurrent `edgefw publish` survives
 * (issue 18). A publish marks itself in flight, from before it reads the
 * manifest until its own manifest is in place, with a key under
 * GROUP/publishing/ attached to a lease (a publisher that dies leaves no
 * marker for long). The collector deletes chunks only in transactions
 * that also require the manifest to be still the one whose chunks it kept
 * and no publish to be in flight. So a chunk a running publish wrote, or
 * found there already and did not write, is never deleted under it; a
 * publish that starts after a deletion finds the chunk missing and writes
 * it again.
 *
 * gdir is the group's key directory, PREFIX "groups/" GROUP "/".
 */
#ifndef EDGEFW_PUBLISH_GC_H
#define EDGEFW_PUBLISH_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd.h"

/* How long a dead publisher's marker holds collection back. */
#define EF_PUBLISH_MARK_TTL_S 60

/* Marks a publish in flight: *lease (0 on error) carries the marker. */
int ef_publish_mark(struct ef_etcd *c, const char *gdir, int64_t *lease);
/* Takes the marker away (its lease revoked); lease 0: nothing to do. */
int ef_publish_unmark(struct ef_etcd *c, int64_t lease);

struct ef_publish_gc {
	size_t deleted; /* chunks deleted */
	bool skipped;   /* a publish was in flight or the manifest moved on */
};

/* Keeps the chunks of new_text (the manifest in place at manifest_rev),
 * old_text (the one it replaced, may be NULL) and GROUP/manifest.prev,
 * deletes the other chunks, then stores old_text as manifest.prev: all in
 * transactions guarded as above (a failed guard stops it, out->skipped).
 * 0, or a negative errno (ef_etcd_error says why). */
int ef_publish_collect(struct ef_etcd *c, const char *gdir, int64_t manifest_rev,
		       const char *new_text, const char *old_text, struct ef_publish_gc *out);

#endif
