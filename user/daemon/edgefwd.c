// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefwd: the edgefw daemon for edge hosts (see edgefwd(8)). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "liblog.h"
#include "log.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: edgefwd --config FILE [--foreground] [--pid-file FILE]\n"
		     "  --config FILE    the rules file with its `interfaces` and `daemon`\n"
		     "                   sections (see rules/README.md, edgefwd(8))\n"
		     "  --foreground     do not fork (for systemd and tests)\n"
		     "  --pid-file FILE  write the daemon's pid there once it is ready\n"
		     "  -V, --version    print the version and exit\n"
		     "Signals: HUP reloads the config, USR1 reopens the drop log (logrotate),\n"
		     "TERM and INT stop (see on-exit).\n");
}

/* Forks; the parent waits until the child is ready (one byte on the
 * pipe) and exits 0, or exits with the child's status when it failed. */
static int background(int *ready_fd)
{
	int fds[2], status;
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(fds[0]);
		if (setsid() < 0)
			return -errno;
		*ready_fd = fds[1];
		return 0;
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) == 1)
		exit(EF_EXIT_OK);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		exit(WEXITSTATUS(status));
	exit(EF_EXIT_SYSTEM);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *pid_file = NULL;
	bool foreground = false;
	int opt, ready_fd = -1, ret;

	ef_log_set_prog("edgefwd");
	while ((opt = getopt_long(argc, argv, "c:fp:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return EF_EXIT_OK;
		case 'V':
			ef_version_print(stdout, "edgefwd");
			return EF_EXIT_OK;
		default:
			usage(stderr);
			return EF_EXIT_INPUT;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return EF_EXIT_INPUT;
	}
	/* Line-buffered so the journal (or a test) sees each line at once. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	ef_liblog_init();
	if (!foreground) {
		ret = background(&ready_fd);
		if (ret) {
			ef_log_err("cannot start in the background: %s", strerror(-ret));
			return EF_EXIT_SYSTEM;
		}
	}
	return efd_run(config, pid_file, ready_fd);
}
