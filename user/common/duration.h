/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Durations as operators write them: 500ms, 30s, 10m, 2h, 7d, or plain
 * seconds; 0 means "never" where a timeout is asked for. */
#ifndef EDGEFW_DURATION_H
#define EDGEFW_DURATION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define EF_DURATION_MAX_NS (3650ull * 86400 * 1000000000ull) /* ten years */

/* 0, or -EINVAL (not a duration) / -ERANGE (over ten years). */
int ef_parse_duration(const char *s, uint64_t *ns);

/* "10m", "1h30m", "500ms", "0" into buf. */
void ef_format_duration(uint64_t ns, char *buf, size_t len);

/* t as ISO 8601 in UTC (2026-12-05T18:00:00Z), the one time format of
 * edgefw's output; the number of seconds when t cannot be converted. */
void ef_iso_utc(time_t t, char *buf, size_t len);

#endif
