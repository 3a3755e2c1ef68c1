/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * edgefwd's state: the rules in force, the attachments the config asks for
 * and what became of them, reload history. One thread owns it: the event
 * loop (daemon.c) and the modules it calls (control, drop log, metrics).
 */
#ifndef EDGEFW_DAEMON_H
#define EDGEFW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "instance.h"
#include "ruleset.h"

/* One (interface, hook) the `interfaces` section asks for. */
struct efd_target {
	char ifname[EF_IFNAME_MAX];
	int ifindex;
	uint32_t hook;      /* enum edgefw_hook */
	uint8_t mode;       /* enum ef_attach_mode asked for (XDP) */
	bool attached;
	char xdp_mode[16];  /* "native", "generic" as attached; "" for tc */
	int error;          /* last attach error (negative errno), else 0 */
};

struct efd_reloads {
	uint64_t ok, failed;
	time_t last_ok;      /* CLOCK_REALTIME seconds; 0: never */
	time_t last_attempt;
	bool last_failed;
};

struct efd {
	char *config_path;         /* absolute */
	struct ef_ruleset rs;      /* the rules in force */
	struct ef_daemon_conf conf; /* daemon settings in force */
	char instance[EF_INSTANCE_NAME_MAX];
	char socket_path[EF_SOCKET_PATH_MAX];
	struct efd_target *targets; /* sorted by ifname, then hook */
	size_t n_targets;
	struct efd_reloads reloads;
	uint64_t version;          /* instance_info.version in force */
	time_t started;
	bool adopted;              /* started on pins a previous run left */
	bool stopping;
	/* Drop log lines written and lost (write errors); the BPF side counts
	 * what the rate limit suppressed (log_state). */
	uint64_t log_lines, log_errors;

	/* Private to daemon.c and reconcile.c. */
	char *applied_fp;           /* interfaces the tables were compiled for */
	int ready_fd;               /* pipe to a waiting parent, or -1 */
	const char *pid_file;
	struct efd_control *control;
	struct efd_droplog *droplog;
	struct efd_metrics *metrics;
	struct efd_linkmon *linkmon;
	int epoll_fd, signal_fd, timer_fd;
	bool resync_pending;
	bool droplog_stale;         /* the instance was created anew */
};

/* Runs the daemon until SIGTERM or SIGINT: loads config_path, attaches,
 * serves. ready_fd (or -1) gets one byte once the daemon is ready.
 * Returns an enum efd_status for the exit code. */
int efd_run(const char *config_path, const char *pid_file, int ready_fd);

/* reconcile.c: brings the instance in line with rs and the interfaces
 * that exist now: forgets attachments of interfaces that are gone,
 * detaches those rs no longer asks for, switches to rs's tables when
 * `force` or when the interfaces they were compiled for changed, then
 * attaches where missing. Updates d->targets and d->version. Returns an
 * enum efd_status; compile errors go to diag, the rest is logged. */
int efd_reconcile(struct efd *d, const struct ef_ruleset *rs, bool force,
		  struct ef_diag *diag);

/* Exit codes of a reload, also returned over the control socket; the same
 * as edgefw's (0 ok, 1 bad input, 2 the system refused). */
enum efd_status {
	EFD_OK = 0,
	EFD_INPUT = 1,
	EFD_SYSTEM = 2,
};

/* Rereads the config file (or `file`, which must then be the config file
 * itself), compiles and switches atomically, then attaches and detaches as
 * its `interfaces` section says. Diagnostics (errors and warnings) are
 * added to diag; on any error the rules in force stay. Returns an
 * enum efd_status; *summary gets one line for the caller. */
int efd_reload(struct efd *d, const char *file, struct ef_diag *diag,
	       char *summary, size_t summary_len);

#endif
