// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "log.h"
#include "jsonout.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static const char *prog = "edgefw";
static int journal = -1; /* unknown yet */

/* systemd sets JOURNAL_STREAM to stderr's device:inode when stderr goes to
 * the journal; then a "<N>" prefix gives each line its priority. */
static bool to_journal(void)
{
	unsigned long long dev, ino;
	const char *env;
	struct stat st;

	if (journal >= 0)
		return journal;
	env = getenv("JOURNAL_STREAM");
	journal = env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 && !fstat(2, &st) &&
		  st.st_dev == dev && st.st_ino == ino;
	return journal;
}

void ef_log_set_prog(const char *name)
{
	prog = name;
}

static void vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	/* --json: errors and warnings are kept for the JSON error object. */
	if (prio <= 4 && ef_json_capturing()) {
		char line[1024];
		va_list copy;
		int n;

		va_copy(copy, ap);
		n = snprintf(line, sizeof(line), "%s", level);
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, copy);
		va_end(copy);
		ef_json_capture_line(line);
	}
	if (to_journal())
		fprintf(stderr, "<%d>", prio);
	/* EDGEFW_LOG_TIME=1: the wall-clock time (Unix seconds, ms) first,
	 * to line up the logs of several processes (the fleet benchmark). */
	if (!to_journal() && getenv("EDGEFW_LOG_TIME")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "%lld.%03ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	}
	fprintf(stderr, "%s: %s", prog, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ef_log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(3, "error: ", fmt, ap);
	va_end(ap);
}

void ef_log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, "warning: ", fmt, ap);
	va_end(ap);
}

void ef_log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(6, "", fmt, ap);
	va_end(ap);
}

void ef_log_prio(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, "", fmt, ap);
	va_end(ap);
}
