// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"

void ef_diag_add(struct ef_diag *d, enum ef_severity sev, const char *file, unsigned line,
		 unsigned col, const char *fmt, ...)
{
	struct ef_diag_entry *e;
	va_list ap;
	char *msg = NULL;
	int len;

	if (sev == EF_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;

	if (EF_GROW(&d->v, &d->cap, d->n + 1))
		goto oom;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		goto oom;
	msg = malloc((size_t)len + 1);
	if (!msg)
		goto oom;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)len + 1, fmt, ap);
	va_end(ap);

	e = &d->v[d->n];
	e->sev = sev;
	e->line = line;
	e->col = col;
	e->msg = msg;
	e->file = file ? strdup(file) : NULL;
	if (file && !e->file)
		goto oom;
	d->n++;
	return;
oom:
	free(msg);
	/* The message is lost but the failure is not: it counts as an error. */
	if (sev != EF_SEV_ERROR) {
		d->warnings--;
		d->errors++;
	}
}

void ef_diag_format(const struct ef_diag_entry *e, const char *who, char *buf, size_t len)
{
	const char *sev = e->sev == EF_SEV_ERROR ? "error" : "warning";

	if (e->file && e->line)
		snprintf(buf, len, "%s:%u:%u: %s: %s", e->file, e->line, e->col, sev, e->msg);
	else if (e->file || who)
		snprintf(buf, len, "%s: %s: %s", e->file ? e->file : who, sev, e->msg);
	else
		snprintf(buf, len, "%s: %s", sev, e->msg);
}

void ef_diag_print(const struct ef_diag *d, FILE *out)
{
	char line[EF_DIAG_LINE_MAX];

	for (size_t i = 0; i < d->n; i++) {
		ef_diag_format(&d->v[i], NULL, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	if (d->n < d->errors + d->warnings)
		fprintf(out, "error: out of memory while recording diagnostics\n");
}

void ef_diag_free(struct ef_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
