/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A command's outcome (reload, confirm): lines of text on stdout, or with
 * --json one result object in user/json.md's vocabulary: ok, exit,
 * message (the lines said, joined), diagnostics, the command's own keys,
 * and the envelope. A failure with --json prints the error object instead
 * (edgefw.c), with what was said as diagnostics.
 */
#ifndef EDGEFW_CLI_RESULT_H
#define EDGEFW_CLI_RESULT_H

#include <stdbool.h>

struct json_object;

/* Starts the outcome of command; keys: its own keys, each null until set
 * (user/json.md: keys are always present). */
void ef_cli_result_begin(const char *command, bool json, const char *const *keys);
bool ef_cli_result_json(void);
/* Sets one of the command's declared keys (takes v; ignored without
 * --json, or for a key the command did not declare). */
void ef_cli_result_set(const char *key, struct json_object *v);
/* One line of the outcome: printed, or kept for "message". */
void ef_cli_result_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line of the daemon's diagnostics: stderr, and kept for "diagnostics". */
void ef_cli_result_diag(const char *line);
/* A failure the daemon (or the set code) reported: kept as an error line,
 * which the error object's "message" then is. */
void ef_cli_result_error(const char *msg);
/* Prints the JSON object when code is EF_EXIT_OK; returns code. */
int ef_cli_result_end(int code);

#endif
