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
 * return -EINVAL; host bits set are warnings. Read failures (ef_read_file:
 * only a regular file is read) return the negative errno with an error
 * naming the path. */
int ef_listfile_load(const char *path, struct ef_prefix_list *out, struct ef_diag *d);
/* The same for a list already read: name is what diagnostics call it.
 * Messages quote an entry only when it is made of characters addresses
 * (or host names, by mistake) are written with and no longer than an
 * address can be; other content is described, never copied, so a file
 * that is not a list (named by rules from elsewhere) does not leak
 * through the errors. */
int ef_listfile_parse(const char *name, const char *buf, size_t len, struct ef_prefix_list *out,
		      struct ef_diag *d);
int ef_prefix_list_push(struct ef_prefix_list *l, const struct ef_prefix *p, unsigned line);
void ef_prefix_list_free(struct ef_prefix_list *l);

#endif
