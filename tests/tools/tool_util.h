/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the test traffic tools share: each is one file and one program, so
 * these are static functions in a header rather than a library. */
#ifndef EDGEFW_TOOL_UTIL_H
#define EDGEFW_TOOL_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set by SIGTERM and SIGINT once catch_stop_signals() ran. */
static volatile sig_atomic_t stop;

static inline void on_stop_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Without SA_RESTART, so a blocking poll or sleep returns EINTR and the
 * tool prints what it counted. */
static inline void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* A decimal number without sign: 0 or -1. */
static inline int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
