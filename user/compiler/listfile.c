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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest address or prefix as text:
 * "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128". */
#define TOKEN_MAX 49

int ef_prefix_list_push(struct ef_prefix_list *l, const struct ef_prefix *p, unsigned line)
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

/* List files may come from feeds, and their names from rules written
 * elsewhere: a message quotes list content only when it looks like what
 * the line was meant to hold, an address or prefix, or a host name written
 * by mistake. Anything else (a line of /etc/shadow named as a list) is
 * described by its length and first character that cannot be in an
 * address, escaped, so errors never carry whole lines of a file. */
static bool quotable(const char *s, size_t n)
{
	bool v6 = memchr(s, ':', n) != NULL;

	if (!n || n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool hex =
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		bool name =
			(c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '-' || c == '_';

		if (!hex && c != '.' && c != '/' && c != ':' && (v6 || !name))
			return false;
	}
	return true;
}

/* The first character of s[0, n) no address has, as 'c' or '\xNN'. */
static size_t first_odd(const char *s, size_t n, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		      c == '.' || c == ':' || c == '/'))
			break;
	}
	if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '\'')
		snprintf(buf, len, "'%c'", s[i]);
	else
		snprintf(buf, len, "'\\x%02x'", (unsigned char)s[i]);
	return i;
}

static void bad_token(const char *path, unsigned lineno, unsigned col, const char *s, size_t n,
		      struct ef_diag *d)
{
	char c[8];
	size_t at;

	if (n > TOKEN_MAX) {
		ef_err(d, path, lineno, col,
		       "a %zu-character entry is too long to be an address or prefix", n);
		return;
	}
	at = first_odd(s, n, c, sizeof(c));
	ef_err(d, path, lineno, col,
	       "not an address or prefix: %s at column %zu cannot be part of one (write one IPv4 or IPv6 address or prefix per line)",
	       c, col + at);
}

/* Parses one line [p, end). Returns 1 for a bad line (already reported),
 * 0 otherwise, or a negative errno. */
static int load_line(const char *path, unsigned lineno, const char *p, const char *end,
		     struct ef_prefix_list *out, struct ef_diag *d)
{
	char tok[TOKEN_MAX + 1], msg[160];
	const char *s = p, *t, *rest;
	struct ef_prefix pfx;
	unsigned flags, col;
	size_t n;

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
	if (!quotable(s, n)) {
		bad_token(path, lineno, col, s, n, d);
		return 1;
	}
	memcpy(tok, s, n);
	tok[n] = '\0';
	/* Its messages quote tok, which quotable() vetted. */
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
		if (quotable(rest, (size_t)(junk_end - rest)))
			ef_err(d, path, lineno, (unsigned)(rest - p) + 1,
			       "unexpected '%.*s' after '%s': write one address or prefix per line, comments after '#' or ';'",
			       (int)(junk_end - rest), rest, tok);
		else
			ef_err(d, path, lineno, (unsigned)(rest - p) + 1,
			       "unexpected text after '%s': write one address or prefix per line, comments after '#' or ';'",
			       tok);
		return 1;
	}

	if (flags & EF_PREFIX_HOST_BITS) {
		char fixed[EF_PREFIX_STRLEN];

		ef_prefix_format(&pfx, fixed, sizeof(fixed));
		ef_warn(d, path, lineno, col, "host bits set in %s, using %s", tok, fixed);
	}
	return ef_prefix_list_push(out, &pfx, lineno);
}

int ef_listfile_parse(const char *name, const char *buf, size_t len, struct ef_prefix_list *out,
		      struct ef_diag *d)
{
	const char *p = buf, *end = buf + len;
	size_t n0 = out->n, bad = 0;
	unsigned lineno = 0;
	int err;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		lineno++;
		err = load_line(name, lineno, p, le, out, d);
		if (err < 0) {
			ef_err(d, name, lineno, 0, "out of memory after %zu entries", out->n - n0);
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
	return err;
}

int ef_listfile_load(const char *path, struct ef_prefix_list *out, struct ef_diag *d)
{
	size_t len = 0;
	char *buf = NULL;
	int err;

	err = ef_read_input(path, EF_LISTFILE_MAX_BYTES, "split the list", &buf, &len, d);
	if (!err)
		err = ef_listfile_parse(path, buf, len, out, d);
	free(buf);
	return err;
}
