// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * List files are read whole and scanned in place: one read, no per-line
 * allocation, and the entry array grows by doubling, so a 100k-line list
 * loads in a few milliseconds.
 *
 * A line is: optional blanks, one address or prefix, optional blanks, and
 * optionally a comment starting with '#' or ';' (FireHOL and Spamhaus
 * write both kinds). Lines that are blank or only a comment are skipped.
 * CRLF line ends and a leading UTF-8 byte order mark are tolerated since
 * lists edited on Windows have them.
 */
#include "listfile.h"

#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longer than any address or prefix, so longer tokens need no parsing. */
#define TOKEN_MAX 128

int ef_prefix_list_push(struct ef_prefix_list *l, const struct ef_prefix *p,
			unsigned line)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct ef_prefix *v;
		unsigned *ln;

		if (cap > SIZE_MAX / sizeof(*v))
			return -ENOMEM;
		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		/* v is kept even if line fails: it is only bigger than cap
		 * says, and the next push simply grows it again. */
		l->v = v;
		ln = realloc(l->line, cap * sizeof(*ln));
		if (!ln)
			return -ENOMEM;
		l->line = ln;
		l->cap = cap;
	}
	l->v[l->n] = *p;
	l->line[l->n] = line;
	l->n++;
	return 0;
}

void ef_prefix_list_free(struct ef_prefix_list *l)
{
	free(l->v);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_comment(char c)
{
	return c == '#' || c == ';';
}

/* Parses one line [p, end). Returns 1 for a bad line (already reported),
 * 0 otherwise, or a negative errno. */
static int load_line(const char *path, unsigned lineno, const char *p,
		     const char *end, struct ef_prefix_list *out,
		     struct ef_diag *d)
{
	char tok[TOKEN_MAX], msg[160];
	const char *s = p, *t, *rest;
	struct ef_prefix pfx;
	unsigned flags, col;
	size_t n;
	int err;

	if (end > p && end[-1] == '\r')
		end--;
	while (s < end && is_blank(*s))
		s++;
	if (s == end || is_comment(*s))
		return 0;
	for (t = s; t < end && !is_blank(*t) && !is_comment(*t); t++)
		;
	n = (size_t)(t - s);
	col = (unsigned)(s - p) + 1;

	if (memchr(s, '\0', n)) {
		ef_err(d, path, lineno, col,
		       "NUL byte in an entry: the list must be a text file "
		       "with one address or prefix per line");
		return 1;
	}
	if (n >= sizeof(tok)) {
		ef_err(d, path, lineno, col,
		       "'%.40s...' is too long to be an address or prefix",
		       s);
		return 1;
	}
	memcpy(tok, s, n);
	tok[n] = '\0';
	if (ef_prefix_parse(tok, &pfx, &flags, msg, sizeof(msg))) {
		ef_err(d, path, lineno, col, "%s", msg);
		return 1;
	}

	for (rest = t; rest < end && is_blank(*rest); rest++)
		;
	if (rest < end && !is_comment(*rest)) {
		const char *junk_end = rest;

		while (junk_end < end && !is_blank(*junk_end))
			junk_end++;
		ef_err(d, path, lineno, (unsigned)(rest - p) + 1,
		       "unexpected '%.*s' after '%s': write one address or "
		       "prefix per line, comments after '#' or ';'",
		       junk_end - rest > 40 ? 40 : (int)(junk_end - rest),
		       rest, tok);
		return 1;
	}

	if (flags & EF_PREFIX_HOST_BITS) {
		char fixed[EF_PREFIX_STRLEN];

		ef_prefix_format(&pfx, fixed, sizeof(fixed));
		ef_warn(d, path, lineno, col, "host bits set in %s, using %s",
			tok, fixed);
	}
	err = ef_prefix_list_push(out, &pfx, lineno);
	return err;
}

int ef_listfile_load(const char *path, struct ef_prefix_list *out,
		     struct ef_diag *d)
{
	size_t n0 = out->n, len = 0, bad = 0;
	const char *p, *end;
	unsigned lineno = 0;
	char *buf = NULL;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		ef_err(d, path, 0, 0, "cannot open: %s", strerror(-err));
		goto out;
	}
	err = ef_read_fd(fd, EF_LISTFILE_MAX_BYTES, &buf, &len);
	if (err) {
		ef_err(d, path, 0, 0, "cannot read: %s", strerror(-err));
		goto out;
	}

	p = buf;
	end = buf + len;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		lineno++;
		err = load_line(path, lineno, p, le, out, d);
		if (err < 0) {
			ef_err(d, path, lineno, 0,
			       "out of memory after %zu entries",
			       out->n - n0);
			goto out;
		}
		bad += (size_t)err;
		p = nl ? nl + 1 : end;
	}
	err = bad ? -EINVAL : 0;
out:
	/* All or nothing: a failed load leaves the list as it was. */
	if (err)
		out->n = n0;
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}
