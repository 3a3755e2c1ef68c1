// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *probe_edgefw(void)
{
	const char *e = getenv("EDGEFW");

	return e && *e ? e : "build/edgefw";
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmRSS of a live process, bytes; 0 when it cannot be read. */
static size_t rss_of(pid_t pid)
{
	char path[64], line[128];
	size_t kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* User + system time of a live process, seconds; 0 when unreadable. */
static double cpu_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* After the command name in parentheses: state, then fields 4-13,
	 * then utime and stime (fields 14 and 15). */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static char *slurp(FILE *f)
{
	long len;
	char *buf;

	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc((size_t)len + 1);
	if (!buf)
		return NULL;
	buf[fread(buf, 1, (size_t)len, f)] = 0;
	return buf;
}

/* The first line saying "error:", else the last non-empty line. */
static void first_error(const char *text, char *out, size_t len)
{
	const char *line = text, *last = NULL;

	out[0] = 0;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (n && memmem(line, n, "error:", 6)) {
			snprintf(out, len, "%.*s", (int)n, line);
			return;
		}
		if (n)
			last = line;
		line = end ? end + 1 : NULL;
	}
	if (last)
		snprintf(out, len, "%.*s", (int)strcspn(last, "\n"), last);
}

static void child(char *const argv[], FILE *out, FILE *err)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0 || dup2(fileno(out), 1) < 0 || dup2(fileno(err), 2) < 0)
		_exit(127);
	execv(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Waits for pid, killing it when it outgrows the limits. */
static void watch(pid_t pid, const struct probe_limits *lim, double t0, struct probe_result *r,
		  int *wstatus)
{
	struct rusage ru;
	bool killed = false;

	for (;;) {
		pid_t w = wait4(pid, wstatus, WNOHANG, &ru);
		double t = now_s() - t0;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			r->outcome = PROBE_ERROR;
			return;
		}
		if (!killed && lim->seconds > 0 && t > lim->seconds) {
			r->outcome = PROBE_TIME;
			killed = true;
		} else if (!killed && lim->cpu_seconds > 0 && cpu_of(pid) > lim->cpu_seconds) {
			r->outcome = PROBE_CPU;
			killed = true;
		} else if (!killed && lim->rss_bytes && rss_of(pid) > lim->rss_bytes) {
			r->outcome = PROBE_MEMORY;
			killed = true;
		}
		if (killed)
			kill(pid, SIGKILL);
		usleep(killed ? 1000 : 20000);
	}
	r->seconds = now_s() - t0;
	r->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	r->maxrss = (size_t)ru.ru_maxrss * 1024;
	if (killed)
		return;
	if (WIFEXITED(*wstatus)) {
		r->status = WEXITSTATUS(*wstatus);
		r->outcome = r->status == 0     ? PROBE_OK
			     : r->status == 127 ? PROBE_ERROR
						: PROBE_FAILED;
	} else {
		r->outcome = PROBE_ERROR;
	}
}

int probe_run(char *const argv[], const struct probe_limits *lim, struct probe_result *r)
{
	FILE *out = tmpfile(), *err = tmpfile();
	char *errtext = NULL;
	int wstatus = 0, ret = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (!out || !err) {
		ret = -errno;
		snprintf(r->error, sizeof(r->error), "no temporary file: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(r->error, sizeof(r->error), "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, out, err);
	watch(pid, lim, now_s(), r, &wstatus);
	r->out = slurp(out);
	errtext = slurp(err);
	if (errtext)
		first_error(errtext, r->error, sizeof(r->error));
	if (!r->out)
		r->out = strdup("");
out:
	free(errtext);
	if (out)
		fclose(out);
	if (err)
		fclose(err);
	return ret;
}

void probe_result_free(struct probe_result *r)
{
	free(r->out);
	r->out = NULL;
}

const char *probe_message(const struct probe_result *r)
{
	const char *e = strstr(r->error, "error: ");

	return e ? e + 7 : r->error;
}

void probe_describe(const struct probe_result *r, const struct probe_limits *lim, char *buf,
		    size_t len)
{
	double mib = (double)r->maxrss / (1024.0 * 1024.0);

	switch (r->outcome) {
	case PROBE_OK:
		snprintf(buf, len, "accepted in %.1f s (%.1f s CPU, %.0f MiB)", r->seconds,
			 r->cpu_seconds, mib);
		break;
	case PROBE_FAILED:
		snprintf(buf, len, "refused after %.1f s (%.1f s CPU, %.0f MiB): %s", r->seconds,
			 r->cpu_seconds, mib, probe_message(r));
		break;
	case PROBE_TIME:
		snprintf(buf, len,
			 "over the budget of %.0f s: stopped after %.1f s (%.0f MiB so far)",
			 lim->seconds, r->seconds, mib);
		break;
	case PROBE_CPU:
		snprintf(buf, len,
			 "over the budget of %.0f s of CPU: stopped after %.1f s (%.0f MiB so far)",
			 lim->cpu_seconds, r->seconds, mib);
		break;
	case PROBE_MEMORY:
		snprintf(buf, len, "over the budget of %.0f MiB: stopped after %.1f s (%.1f s CPU)",
			 (double)lim->rss_bytes / (1024.0 * 1024.0), r->seconds, r->cpu_seconds);
		break;
	default:
		snprintf(buf, len, "could not run: %s", r->error[0] ? r->error : "died");
		break;
	}
}
