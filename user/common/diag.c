// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"

void ef_diag_add(struct ef_diag *d, enum ef_severity sev, const char *file,
		 unsigned line, unsigned col, const char *fmt, ...)
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

void ef_diag_print(const struct ef_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct ef_diag_entry *e = &d->v[i];
		const char *sev = e->sev == EF_SEV_ERROR ? "error" : "warning";

		if (e->file && e->line)
			fprintf(out, "%s:%u:%u: %s: %s\n", e->file, e->line,
				e->col, sev, e->msg);
		else if (e->file)
			fprintf(out, "%s: %s: %s\n", e->file, sev, e->msg);
		else
			fprintf(out, "%s: %s\n", sev, e->msg);
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
