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
#include <stdio.h>
#include <time.h>

#include "capacity.h"
#include "confirm.h"
#include "diag.h"
#include "exitcode.h"
#include "instance.h"
#include "ruleset.h"

/* One (interface, hook) the `interfaces` section asks for. */
struct efd_target {
	char ifname[EF_IFNAME_MAX];
	int ifindex;
	uint32_t hook; /* enum edgefw_hook */
	uint8_t mode;  /* enum ef_attach_mode asked for (XDP) */
	bool attached;
	char xdp_mode[16]; /* "native", "generic" as attached; "" for tc */
	int error;         /* last attach error (negative errno), else 0 */
};

#define EFD_RELOAD_BUCKETS 11

struct efd_reloads {
	uint64_t ok, failed;
	time_t last_ok; /* CLOCK_REALTIME seconds; 0: never */
	time_t last_attempt;
	bool last_failed;
	/* reload_metrics.c: the duration histogram (cumulative buckets) and
	 * the last failure's time (0: never). */
	uint64_t duration_buckets[EFD_RELOAD_BUCKETS];
	uint64_t duration_count;
	double duration_sum;
	time_t last_error;
};

/* The daemon's optional parts: a failure to open one is reported and
 * retried with backoff (parts.c), never fatal, and the rules stay
 * enforced meanwhile. */
enum efd_part {
	EFD_PART_CONTROL,
	EFD_PART_DROPLOG,
	EFD_PART_METRICS,
	EFD_PART_COUNT,
};

struct efd_part_state {
	bool wanted;
	bool up;
	int error;          /* last failure (negative errno), else 0 */
	unsigned backoff_s; /* wait before the next try */
	time_t retry_at;    /* CLOCK_MONOTONIC seconds */
	uint64_t failures;  /* failed attempts since start */
};

struct efd {
	char *config_path;          /* absolute */
	struct ef_ruleset rs;       /* the rules in force */
	struct ef_daemon_conf conf; /* daemon settings in force */
	char instance[EF_INSTANCE_NAME_MAX];
	char socket_path[EF_SOCKET_PATH_MAX];
	struct efd_target *targets; /* sorted by ifname, then hook */
	size_t n_targets;
	struct efd_reloads reloads;
	uint64_t version; /* instance_info.version in force */
	time_t started;
	bool adopted; /* started on pins a previous run left */
	bool stopping;
	/* Drop log lines written and lost (write errors); the BPF side counts
	 * what the rate limit suppressed (log_state). */
	uint64_t log_lines, log_errors;
	/* Rulesets someone else switched in, which the daemon then undid. */
	uint64_t foreign_changes;
	/* Attach attempts refused because the instance was at its capacity
	 * (EDGEFW_MAX_ATTACH attachments). */
	uint64_t attach_refused;
	/* Attachments made as a link's notification was read (link_events.c),
	 * without a full pass. */
	uint64_t attached_on_notification;
	struct efd_part_state parts[EFD_PART_COUNT];
	struct efd_confirm confirm; /* a change awaiting confirmation */
	struct ef_needs used;       /* by the tables in force */

	/* Private to daemon.c and reconcile.c. */
	char *applied_fp; /* interfaces the tables were compiled for */
	int ready_fd;     /* pipe to a waiting parent, or -1 */
	const char *pid_file;
	struct efd_control *control;
	struct efd_droplog *droplog;
	struct efd_metrics *metrics;
	struct efd_linkmon *linkmon;
	int owner_fd; /* the instance's lifetime lock */
	int epoll_fd, signal_fd, settle_fd, tick_fd;
	unsigned ticks;
	long long last_pass_end_ms;  /* CLOCK_MONOTONIC, when the last resync ended */
	long long last_pass_cost_ms; /* and how long it took */
	bool resync_pending;
	bool droplog_stale; /* the instance was created anew, or grew */

	/* fleet_apply.c: the etcd source (daemon.source.etcd). */
	struct efd_fleet *fleet;
	char *fleet_dir;        /* the bundle in force, or NULL */
	const char *fleet_next; /* the bundle a reload is to take */
	bool fleet_hold;        /* no bundle in force yet: hands off */
};

/* Runs the daemon until SIGTERM or SIGINT: loads config_path, attaches,
 * serves. ready_fd (or -1) gets one byte once the daemon is ready.
 * Returns an enum ef_exit for the exit code. */
int efd_run(const char *config_path, const char *pid_file, int ready_fd);

/* reconcile.c: brings the instance in line with rs and the interfaces
 * that exist now: forgets attachments of interfaces that are gone,
 * detaches those rs no longer asks for, switches to rs's tables when
 * `force` or when the interfaces they were compiled for changed, then
 * attaches where missing. Updates d->targets and d->version. Returns an
 * enum ef_exit; compile errors go to diag, the rest is logged. */
int efd_reconcile(struct efd *d, const struct ef_ruleset *rs, bool force, struct ef_diag *diag);

/* parts.c: opens (or closes, when no longer wanted) each optional part
 * as d->conf says; a failure schedules a retry. Returns nothing: failures
 * are logged and shown in d->parts. */
void efd_parts_apply(struct efd *d);
/* Retries the parts whose backoff has passed; call once a second. */
void efd_parts_retry(struct efd *d);
/* The drop log's output changed (or the instance was created anew, when
 * old_out is ""): reopen it. */
void efd_droplog_switch(struct efd *d, const char *old_out);
void efd_parts_close(struct efd *d);
/* SIGUSR1 (logrotate): reopens the drop log's file, nothing else. */
void efd_droplog_reopen_signal(struct efd *d);
const char *efd_part_name(enum efd_part p);
/* Adds fd to the event loop with tag; 0 or -errno. */
int efd_watch(struct efd *d, int fd, unsigned tag);

/* Event tags of the loop (epoll data). */
enum efd_ev_tag {
	EFD_EV_SIGNAL = 1,
	EFD_EV_SETTLE,
	EFD_EV_TICK,
	EFD_EV_LINKS,
	EFD_EV_CONTROL,
	EFD_EV_DROPLOG,
	EFD_EV_METRICS,
	EFD_EV_FLEET,
};

/* reload.c: the reload paths and the control requests. */
void efd_notify_status(struct efd *d, const char *state);
/* Logs diagnostics in the compiler's FILE:LINE:COL form. */
void efd_print_diag(const struct ef_diag *diag);
void efd_socket_path_of(const struct ef_daemon_conf *c, const char *inst, char *buf, size_t len);
void efd_reload_and_log(struct efd *d, const char *why);
struct json_object;
struct efd_peer;
void efd_on_control(void *arg, const char *command, const struct efd_peer *peer,
		    struct json_object *req, struct json_object *resp);

/* Makes rs (compiled and switched in already) the rules in force: the
 * ruleset it replaces is freed or kept as a rollback point (confirm.c);
 * rs is moved (zeroed); the optional parts follow its daemon section. */
void efd_adopt(struct efd *d, struct ef_ruleset *rs);
/* A reload asked for over the control socket, answered in resp. */
int efd_reload_for_peer(struct efd *d, const struct efd_peer *peer, const char *file,
			struct json_object *resp);
/* Response helpers: "ok", "exit", "message"; "diagnostics". */
void efd_set_result(struct json_object *resp, int status, const char *msg);
struct ef_diag;
void efd_add_diag(struct json_object *resp, const struct ef_diag *diag);

/* reload_metrics.c: observes one reload; renders its metrics and the
 * instance's capacity and use (cap NULL: unknown). */
void efd_reload_observe(struct efd *d, double secs, bool ok);
void efd_metrics_render_reloads(FILE *f, const struct efd *d);
/* edgefw_memlock_bytes and edgefw_map_memlock_bytes (memory_metrics.c). */
struct ef_memory;
struct ef_ruleset_state;
void efd_metrics_render_memory(FILE *f, const struct ef_memory *m,
			       const struct ef_ruleset_state *rs);
void efd_metrics_render_capacity(FILE *f, const struct efd *d, const struct ef_capacity *cap,
				 size_t n_rules, size_t n_attached);

/* A reload's result, also returned over the control socket: an enum
 * ef_exit (exitcode.h), edgefw's exit codes. */

/* Rereads the config file (or `file`, which must then be the config file
 * itself), compiles and switches atomically, then attaches and detaches as
 * its `interfaces` section says. Diagnostics (errors and warnings) are
 * added to diag; on any error the rules in force stay. Returns an
 * enum ef_exit; *summary gets one line for the caller. */
int efd_reload(struct efd *d, const char *file, struct ef_diag *diag, char *summary,
	       size_t summary_len);

/* fleet_apply.c: the etcd source on the event loop's side. */
/* The rules a reload takes: the config file; with an etcd source, the
 * bundle (d->fleet_next, else the one in force) with the config file's
 * interfaces and daemon sections. */
int efd_load_rules(struct efd *d, struct ef_ruleset *rs, struct ef_diag *diag);
/* At start, after load_config: with an etcd source, the rules to start
 * with are the last bundle applied (persisted); without one, the daemon
 * holds (adopted pins stay as they are) until etcd gives one. */
void efd_fleet_begin(struct efd *d);
/* Once the rules are in force: the source's thread and its event; seed:
 * its status starts from the bundle in force (same group). */
int efd_fleet_launch(struct efd *d, bool seed);
/* A reload whose config names a changed etcd source while no bundle is
 * in force (the source never answered, or the rules came from the file):
 * the rules in force stay, the source restarts with the new settings and
 * the bundle it gives is the next reload. 1 when that was done (summary
 * says so); 0: a reload as usual. */
int efd_fleet_reload_held(struct efd *d, char *summary, size_t len);
/* After a reload put its rules in force: a changed daemon.source (old:
 * the settings the source ran with) stops the old watch and starts the
 * new one; the rules in force stay until the new source gives a bundle. */
void efd_fleet_reconfigure(struct efd *d, const struct ef_fleet_conf *old);
bool efd_fleet_conf_equal(const struct ef_fleet_conf *a, const struct ef_fleet_conf *b);
void efd_on_fleet(struct efd *d);
void efd_fleet_tick(struct efd *d);
void efd_fleet_status(struct efd *d, struct json_object *resp);
void efd_fleet_render_metrics(FILE *f, struct efd *d);
void efd_fleet_end(struct efd *d);

#endif
