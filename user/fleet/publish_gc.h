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

/* How long a dead publisher's marker holds collection back. A live one
 * renews it (ef_publish_mark_renew), however long the publish takes. */
#define EF_PUBLISH_MARK_TTL_S 60

struct ef_publish_marker {
	int64_t lease; /* 0: none */
	int64_t ttl_s;
	int64_t renewed_ms; /* CLOCK_MONOTONIC, of the grant or last renewal */
};

/* Marks a publish in flight with a key on a lease of ttl_s seconds. */
int ef_publish_mark(struct ef_etcd *c, const char *gdir, int64_t ttl_s,
		    struct ef_publish_marker *m);
/* Keeps the marker alive: renews its lease once a third of the TTL has
 * passed since the last renewal (always when force), so the publisher
 * calls it between its requests (each bounded by the client's timeout).
 * -ETIME: the lease had expired, the marker is gone and with it the guard
 * (a collection may have deleted chunks this publish found present): the
 * publish must not swap its manifest in. */
int ef_publish_mark_renew(struct ef_etcd *c, struct ef_publish_marker *m, bool force);
/* Takes the marker away (its lease revoked); none: nothing to do. */
int ef_publish_unmark(struct ef_etcd *c, struct ef_publish_marker *m);

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
