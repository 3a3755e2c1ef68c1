/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_LOG_H
#define EDGEFW_LOG_H

/* Messages for the operator on stderr, prefixed with the program's name.
 * They say what failed, on what, and, where it helps, what to do. */
void ef_log_set_prog(const char *name);
void ef_log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ef_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ef_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* With the priority (3 error, 4 warning, 6 info) but no "error: " word,
 * for messages that carry their own, like "FILE:LINE:COL: error: ...". */
void ef_log_prio(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
