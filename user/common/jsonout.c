// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The JSON vocabulary's common parts (see jsonout.h, user/json.md). */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "diag.h"
#include "jsonout.h"
#include "version.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
static bool printed, capturing;
static char **captured;
static size_t n_captured;
/* The same diagnostics as objects, for editors and CI (check --json). */
static struct json_object *findings;

size_t ef_utf8_seq_len(const unsigned char *s)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void ef_utf8_write(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = ef_utf8_seq_len(p);

		if (n) {
			fwrite(p, 1, n, out);
			p += n;
		} else {
			fputs(replacement, out);
			p++;
		}
	}
}

struct json_object *ef_json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct json_object *o;
	size_t bad = 0, len, n;
	char *buf, *w;

	if (!s)
		return NULL;
	for (len = 0; p[len]; len += n ? n : 1)
		if (!(n = ef_utf8_seq_len(p + len)))
			bad++;
	if (!bad)
		return json_object_new_string(s);
	buf = malloc(len + 2 * bad + 1);
	if (!buf)
		return NULL;
	for (w = buf; *p; p += n ? n : 1) {
		n = ef_utf8_seq_len(p);
		memcpy(w, n ? (const char *)p : replacement, n ? n : 3);
		w += n ? n : 3;
	}
	*w = '\0';
	o = json_object_new_string(buf);
	free(buf);
	return o;
}

struct json_object *ef_json_time(time_t t, int ms)
{
	char buf[40], frac[8] = "";
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm))
		return NULL;
	if (ms >= 0)
		snprintf(frac, sizeof(frac), ".%03d", ms % 1000);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	strcat(buf, frac);
	strcat(buf, "Z");
	return json_object_new_string(buf);
}

void ef_json_add_u64s(struct json_object *o, const struct ef_json_u64 *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, v[i].key, json_object_new_uint64(v[i].value));
}

void ef_json_envelope(struct json_object *root, const char *command)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	json_object_object_add(root, "schema", json_object_new_int(EF_JSON_SCHEMA));
	json_object_object_add(root, "command", json_object_new_string(command));
	json_object_object_add(root, "time", ef_json_time(tv.tv_sec, (int)(tv.tv_usec / 1000)));
	json_object_object_add(root, "edgefw_version", json_object_new_string(ef_version()));
}

void ef_json_print(struct json_object *root, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN);

	printf("%s\n", json_object_to_json_string_ext(root, flags));
	(void)fflush(stdout); /* a closed stdout is the reader's choice */
	printed = true;
}

bool ef_json_printed(void)
{
	return printed;
}

void ef_json_capture(bool on)
{
	capturing = on;
}

bool ef_json_capturing(void)
{
	return capturing;
}

void ef_json_capture_line(const char *line)
{
	char **v;

	if (!capturing)
		return;
	v = realloc(captured, (n_captured + 1) * sizeof(*v));
	if (!v)
		return;
	captured = v;
	captured[n_captured] = strdup(line);
	if (captured[n_captured])
		n_captured++;
}

static void capture_finding(const struct ef_diag_entry *e, const char *sev)
{
	struct json_object *o = json_object_new_object();

	if (!findings)
		findings = json_object_new_array();
	json_object_object_add(o, "file", ef_json_str(e->file));
	json_object_object_add(o, "line", e->line ? json_object_new_int64(e->line) : NULL);
	json_object_object_add(o, "column", e->line ? json_object_new_int64(e->col) : NULL);
	json_object_object_add(o, "severity", json_object_new_string(sev));
	json_object_object_add(o, "message", ef_json_str(e->msg));
	json_object_array_add(findings, o);
}

void ef_json_capture_diag(const struct ef_diag *d)
{
	char line[1024];

	for (size_t i = 0; capturing && i < d->n; i++) {
		const struct ef_diag_entry *e = &d->v[i];
		const char *sev = e->sev == EF_SEV_ERROR ? "error" : "warning";

		if (e->file && e->line)
			snprintf(line, sizeof(line), "%s:%u:%u: %s: %s", e->file, e->line, e->col,
				 sev, e->msg);
		else if (e->file)
			snprintf(line, sizeof(line), "%s: %s: %s", e->file, sev, e->msg);
		else
			snprintf(line, sizeof(line), "%s: %s", sev, e->msg);
		ef_json_capture_line(line);
		capture_finding(e, sev);
	}
}

struct json_object *ef_json_findings(void)
{
	return findings ? json_object_get(findings) : json_object_new_array();
}

struct json_object *ef_json_captured(void)
{
	struct json_object *diags = json_object_new_array();

	for (size_t i = 0; i < n_captured; i++)
		json_object_array_add(diags, ef_json_str(captured[i]));
	return diags;
}

void ef_json_print_error(const char *command, int code)
{
	struct json_object *root = json_object_new_object();
	struct json_object *diags = ef_json_captured();
	const char *first = NULL;

	for (size_t i = 0; i < n_captured && !first; i++)
		if (strstr(captured[i], "error"))
			first = captured[i];
	json_object_object_add(root, "ok", json_object_new_boolean(false));
	json_object_object_add(root, "exit", json_object_new_int(code));
	if (!first)
		first = n_captured ? captured[0] : "failed (see the exit code)";
	if (!strncmp(first, "error: ", 7)) /* the level is in "ok" already */
		first += 7;
	json_object_object_add(root, "message", ef_json_str(first));
	json_object_object_add(root, "diagnostics", diags);
	json_object_object_add(root, "findings", ef_json_findings());
	ef_json_envelope(root, command);
	ef_json_print(root, true);
	json_object_put(root);
}
