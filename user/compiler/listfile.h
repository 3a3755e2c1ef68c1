/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Address list files as operators download them: FireHOL .netset (`#`
 * comment lines), Spamhaus DROP (`; SBL...` trailers), plain lists of
 * addresses and prefixes, one per line, blank lines ignored.
 */
#ifndef EDGEFW_LISTFILE_H
#define EDGEFW_LISTFILE_H

#include "addr.h"
#include "diag.h"

/* List files past this size are refused rather than read. */
#define EF_LISTFILE_MAX_BYTES (256u << 20)

struct ef_prefix_list {
	struct ef_prefix *v;
	unsigned *line; /* source line of each entry, for diagnostics */
	size_t n, cap;
};

/* Appends every entry of the file to out. Bad entries are reported as
 * PATH:LINE:COL errors (all of them, not just the first) and make the call
 * return -EINVAL; host bits set are warnings. Open/read failures return the
 * negative errno with an error naming the path. */
int ef_listfile_load(const char *path, struct ef_prefix_list *out,
		     struct ef_diag *d);
int ef_prefix_list_push(struct ef_prefix_list *l, const struct ef_prefix *p,
			unsigned line);
void ef_prefix_list_free(struct ef_prefix_list *l);

#endif
