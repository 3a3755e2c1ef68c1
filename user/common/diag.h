/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Diagnostics collected while reading user input: every error and warning
 * carries FILE:LINE:COL so the operator can jump straight to the mistake.
 */
#ifndef EDGEFW_DIAG_H
#define EDGEFW_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum ef_severity {
	EF_SEV_ERROR = 0,
	EF_SEV_WARNING = 1,
};

struct ef_diag_entry {
	enum ef_severity sev;
	char *file;    /* may be NULL when the message is not about a file */
	unsigned line; /* 1-based, 0 when unknown */
	unsigned col;  /* 1-based, 0 when unknown */
	char *msg;
};

struct ef_diag {
	struct ef_diag_entry *v;
	size_t n, cap;
	size_t errors, warnings;
};

/* Records one message. Allocation failures are counted as errors and the
 * message is dropped, so a caller can never mistake OOM for success. */
void ef_diag_add(struct ef_diag *d, enum ef_severity sev, const char *file, unsigned line,
		 unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define ef_err(d, file, line, col, ...) \
	ef_diag_add((d), EF_SEV_ERROR, (file), (line), (col), __VA_ARGS__)
#define ef_warn(d, file, line, col, ...) \
	ef_diag_add((d), EF_SEV_WARNING, (file), (line), (col), __VA_ARGS__)

/* The one form of a diagnostic, which tools that read `edgefw check`
 * also find in edgefwd's log and control responses:
 * "file:line:col: error: msg", "file: warning: msg" without a position,
 * "WHO: error: msg" without a file (who NULL: "error: msg"). Cut at len. */
#define EF_DIAG_LINE_MAX 4096
void ef_diag_format(const struct ef_diag_entry *e, const char *who, char *buf, size_t len);
/* Every diagnostic formatted, one per line, in the order recorded. */
void ef_diag_print(const struct ef_diag *d, FILE *out);
void ef_diag_free(struct ef_diag *d);

#endif
