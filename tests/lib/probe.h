/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Runs a program (edgefw check or compile) as a child under a time and
 * memory budget and reports what it did: its exit status, wall time, peak
 * RSS, output, and the first error it printed. Tests use it to learn
 * whether the compiler accepts a ruleset without risking their own memory
 * on one it refuses after gigabytes; benchmarks to measure the compiler's
 * peak RSS in a process of its own.
 */
#ifndef EDGEFW_TEST_PROBE_H
#define EDGEFW_TEST_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct probe_limits {
	double seconds;     /* wall time; 0: none */
	double cpu_seconds; /* CPU time, which other load on the machine
			       * does not stretch; 0: none */
	size_t rss_bytes;   /* resident memory; 0: none */
};

enum probe_outcome {
	PROBE_OK = 0, /* exited 0 */
	PROBE_FAILED, /* exited non-zero: refused */
	PROBE_TIME,   /* killed: over the wall time budget */
	PROBE_CPU,    /* killed: over the CPU time budget */
	PROBE_MEMORY, /* killed: over the memory budget */
	PROBE_ERROR,  /* could not run, or died by a signal */
};

struct probe_result {
	enum probe_outcome outcome;
	int status;         /* exit status when it exited */
	double seconds;     /* wall time */
	double cpu_seconds; /* user + system time */
	size_t maxrss;      /* peak RSS, bytes (getrusage of the child) */
	char *out;          /* stdout, NUL-terminated (may be empty) */
	char error[512];    /* the first "error:" line of stderr, else its
			     * last line, else why it could not run */
};

/* Runs argv (argv[0] a path) with stdin from /dev/null. Returns 0 when the
 * child ran (see outcome), or a negative errno with r->error set. */
int probe_run(char *const argv[], const struct probe_limits *lim, struct probe_result *r);
void probe_result_free(struct probe_result *r);

/* The compiler's own words: error without the "FILE:LINE:COL: error: "
 * before them (the file is a temporary one). */
const char *probe_message(const struct probe_result *r);

/* "refused after 12.3 s (812 MiB): MESSAGE", "over the test's budget of
 * 30 s: killed after 30.0 s (1.2 GiB)", ... for reports. */
void probe_describe(const struct probe_result *r, const struct probe_limits *lim, char *buf,
		    size_t len);

/* The edgefw binary to run: $EDGEFW, else build/edgefw (tests run from the
 * checkout root). */
const char *probe_edgefw(void);

#endif
