/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * edgefw's one JSON vocabulary (user/json.md), in code: what every JSON
 * object edgefw prints has in common, valid UTF-8 whatever the bytes
 * (interface names, paths), ISO 8601 UTC times, and errors as JSON.
 */
#ifndef EDGEFW_JSONOUT_H
#define EDGEFW_JSONOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct json_object;
struct ef_diag;

/* Bumped when a key changes meaning or goes away (adding keys does not):
 * "schema" in every object. */
#define EF_JSON_SCHEMA 1

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the byte there
 * does not start one (overlong forms, surrogates and code points past
 * U+10FFFF are invalid too). *s must not be NUL. */
size_t ef_utf8_seq_len(const unsigned char *s);
/* Writes s to out with every invalid byte replaced by U+FFFD. */
void ef_utf8_write(FILE *out, const char *s);
/* A JSON string of s, invalid UTF-8 bytes replaced by U+FFFD (json-c
 * would copy them and make the whole document invalid); NULL s: null. */
struct json_object *ef_json_str(const char *s);
/* t as "2026-12-05T15:50:01Z" (ms >= 0: "...01.123Z"); t == 0: null. */
struct json_object *ef_json_time(time_t t, int ms);
/* One named figure, for ef_json_add_u64s. */
struct ef_json_u64 {
	const char *key;
	uint64_t value;
};
/* Adds the n figures of v to o, each as "key": value. */
void ef_json_add_u64s(struct json_object *o, const struct ef_json_u64 *v, size_t n);
/* Adds "schema", "command", "time" (now) and "edgefw_version". */
void ef_json_envelope(struct json_object *root, const char *command);
/* Prints root and a newline on stdout (pretty: indented; else one line)
 * and remembers that this process printed its JSON. */
void ef_json_print(struct json_object *root, bool pretty);
bool ef_json_printed(void);

/* Errors as JSON: while on, error messages (ef_log_err) and diagnostics
 * (ef_json_capture_diag) are kept too, for ef_json_print_error. */
void ef_json_capture(bool on);
bool ef_json_capturing(void);
void ef_json_capture_line(const char *line);
void ef_json_capture_diag(const struct ef_diag *d);
/* The lines kept so far, as a JSON array of strings. */
struct json_object *ef_json_captured(void);
/* The captured diagnostics of input files as objects: file, line,
 * column, severity, message (a new reference). */
struct json_object *ef_json_findings(void);
/* {"ok": false, "exit": code, "message": the first error, "diagnostics":
 * [every error and diagnostic line]} plus the envelope, on stdout. */
void ef_json_print_error(const char *command, int code);

#endif
