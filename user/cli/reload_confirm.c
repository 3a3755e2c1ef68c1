// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Lockout safety without a daemon: `edgefw reload FILE --confirm 30s`
 * switches the rules in and leaves a guard process behind that switches
 * the previous rules back at the deadline unless `edgefw confirm` comes
 * first. (With an edgefwd owning the instance, both go to the daemon
 * instead: cmd_reload.c, user/daemon/confirm.c; `edgefw confirm` itself:
 * cmd_confirm.c.)
 *
 * The guard is forked before anything changes and lives in a session of
 * its own, so the command that started it may die at any point (an SSH
 * session cut by the new rules, a kill, a closed terminal) and the
 * rollback still happens. What it needs is on disk (confirm_state.h):
 * whichever process acts takes the instance's lock and rereads the record
 * first, so the guard, `confirm` and another reload never race.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_result.h"
#include "jsonout.h"
#include <json-c/json.h>
#include "confirm_state.h"
#include "duration.h"
#include "instance.h"
#include "log.h"
#include "tables.h"

#define GUARD_POLL_S 1

/* Switches p's rollback rules in, while the unconfirmed rules are still
 * in force (someone may have switched others in by hand since). */
static void roll_back_locked(struct ef_instance *inst, const struct ef_confirm_rec *p)
{
	struct ef_apply_summary sum;
	struct ef_ruleset_state st;
	struct ef_diag d = { 0 };
	struct ef_ruleset rs;

	if (ef_instance_read_state(inst, &st))
		return;
	if (!st.loaded || st.ruleset_hash != p->new_hash) {
		syslog(LOG_WARNING,
		       "instance %s: the unconfirmed rules are no longer in force: nothing to roll back",
		       inst->name);
		return;
	}
	if (ef_ruleset_parse(p->back.path, p->back.src, p->back.len, &rs, &d)) {
		syslog(LOG_ERR,
		       "instance %s: cannot roll back: %s no longer compiles (%zu errors: a list file changed?)",
		       inst->name, p->back.path, d.errors);
		ef_diag_free(&d);
		return;
	}
	ef_diag_free(&d);
	if (ef_cli_apply(inst, &rs, NULL, &sum) == EF_EXIT_OK) {
		ef_applied_save_src(inst->name, &p->back);
		syslog(LOG_WARNING,
		       "instance %s: no confirmation came: rolled back to %s (%016" PRIx64
		       "), generation %u",
		       inst->name, p->back.path, p->back.rules_hash, sum.gen);
	} else {
		syslog(LOG_ERR, "instance %s: rollback to %s failed", inst->name, p->back.path);
	}
	ef_ruleset_free(&rs);
}

/* At the deadline: under the instance's lock, the record is looked at
 * again (confirm may have won the race) and acted on. Messages go to
 * syslog: the guard has no terminal. */
static void guard_deadline(const char *instance, uint64_t token)
{
	struct ef_instance inst;
	struct ef_confirm_rec p;
	int ret = ef_instance_open(instance, 0, &inst);

	if (ret) {
		if (ret == -ENOENT) /* detached meanwhile: nothing to guard */
			ef_pending_remove(instance);
		else
			syslog(LOG_ERR, "instance %s: cannot open it to roll back: %s", instance,
			       strerror(-ret));
		return;
	}
	if (!ef_pending_load(instance, &p) && p.token == token) {
		roll_back_locked(&inst, &p);
		ef_pending_remove(instance);
	}
	ef_confirm_rec_free(&p);
	ef_instance_close(&inst);
}

/* Whether the command armed this guard: it writes one byte on the pipe
 * once the record is saved. End of file without it (the command failed,
 * or died) leaves the record to say. */
static bool guard_armed(const char *instance, uint64_t token, int armed_fd)
{
	struct ef_confirm_rec p;
	bool mine;
	char c;

	if (read(armed_fd, &c, 1) == 1)
		return true;
	mine = !ef_pending_load(instance, &p) && p.token == token;
	ef_confirm_rec_free(&p);
	return mine;
}

/* The guard's life: once armed, waits for the deadline while its record
 * is there. The record gone (confirmed) or another guard's (a newer
 * reload) ends it. */
static void guard_run(const char *instance, uint64_t token, int armed_fd)
{
	openlog("edgefw", LOG_PID, LOG_DAEMON);
	if (!guard_armed(instance, token, armed_fd))
		return;
	close(armed_fd);
	for (;;) {
		struct ef_confirm_rec p;
		bool mine = !ef_pending_load(instance, &p) && p.token == token;
		time_t due = p.deadline;

		ef_confirm_rec_free(&p);
		if (!mine)
			return;
		if (time(NULL) >= due) {
			guard_deadline(instance, token);
			return;
		}
		sleep(GUARD_POLL_S);
	}
}

/* Forks the guard into a session of its own, with nothing of this process
 * but its memory and the read end of a pipe: no other descriptor (no
 * lock), no terminal. Returns its pid; *armed_fd is the pipe's write end. */
static pid_t guard_start(const char *instance, uint64_t token, int *armed_fd)
{
	int fds[2], fd;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid != 0) {
		close(fds[0]);
		*armed_fd = fds[1];
		if (pid < 0)
			close(fds[1]);
		return pid;
	}
	setsid();
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (dup2(fds[0], 3) != 3)
		_exit(1);
	close_range(4, ~0U, 0);
	if (chdir("/"))
		_exit(1);
	guard_run(instance, token, 3);
	_exit(0);
}

/* A fresh token: which guard a record belongs to. */
static uint64_t new_token(void)
{
	uint64_t t = 0;

	if (getrandom(&t, sizeof(t), 0) != (ssize_t)sizeof(t))
		t = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	return t | 1;
}

/* The rules to go back to: those of a change still awaiting confirmation
 * (the last confirmed ones; *prev gets that change's record), else the
 * copy recorded when the rules in force were switched in, if it is really
 * them (*prev zeroed). */
static int rollback_point(struct ef_instance *inst, struct ef_rules_copy *back,
			  struct ef_confirm_rec *prev)
{
	struct ef_ruleset_state st;
	int ret;

	if (!ef_pending_load(inst->name, prev)) {
		*back = prev->back;
		back->path = strdup(prev->back.path);
		back->src = malloc(prev->back.len + 1);
		if (!back->path || !back->src) {
			ef_rules_copy_free(back);
			ef_confirm_rec_free(prev);
			ef_log_err("out of memory reading the rollback record");
			return EF_EXIT_SYSTEM;
		}
		memcpy(back->src, prev->back.src, prev->back.len + 1);
		return 0;
	}
	ret = ef_instance_read_state(inst, &st);
	if (ret)
		return EF_EXIT_SYSTEM;
	ret = st.loaded ? ef_applied_load(inst->name, back) : -ENOENT;
	if (!ret && back->rules_hash == st.ruleset_hash)
		return 0;
	if (!ret)
		ef_rules_copy_free(back);
	ef_log_err(
		"cannot reload instance '%s' with --confirm: the rules in force (%016llx) have no copy to roll back to (they were not switched in by edgefw attach or reload of this version%s): reload them once without --confirm, then again with it",
		inst->name, (unsigned long long)st.ruleset_hash,
		ret == -ENOENT || !ret ? "" : ", or the copy is unreadable");
	return EF_EXIT_INPUT;
}

/* The new rules were not switched in. With no earlier change awaiting
 * confirmation, the record goes (the new guard sees it and exits); with
 * one, its record comes back, watched by the new guard (the earlier one
 * stepped down when the record changed), so that change still rolls back
 * at its own deadline. */
static void keep_previous(const char *instance, struct ef_confirm_rec *prev, uint64_t token)
{
	if (!prev->token) {
		ef_pending_remove(instance);
		return;
	}
	prev->token = token;
	if (ef_pending_save(instance, prev))
		ef_log_err(
			"cannot put back the record of the change awaiting confirmation: it will not roll back by itself; confirm it or reload the rules you want");
}

static void print_armed(const struct ef_instance *inst, const struct ef_ruleset *rs,
			const struct ef_apply_summary *sum, time_t deadline, pid_t guard)
{
	char when[32];

	ef_iso_utc(deadline, when, sizeof(when));
	ef_cli_result_say(
		"edgefw (instance %s) reloaded %s: %zu rules; %zu added, %zu removed, %zu kept with their counters; generation %u active",
		inst->name, rs->path, rs->n_rules, sum->rules_added, sum->rules_removed,
		sum->rules_kept, sum->gen);
	ef_cli_result_say(
		"rolls back at %s unless 'edgefw --instance %s confirm' follows (guard pid %d)",
		when, inst->name, (int)guard);
	ef_cli_result_set("rules", json_object_new_uint64(rs->n_rules));
	ef_cli_result_set("generation", json_object_new_int((int)sum->gen));
	ef_cli_result_set("rollback_at", json_object_new_string(when));
}

int ef_cli_reload_confirm(const struct ef_cli *cli, const char *file, unsigned seconds)
{
	struct ef_confirm_rec p = { .token = new_token() }, prev = { 0 };
	struct ef_apply_summary sum;
	struct ef_instance inst;
	struct ef_ruleset rs;
	int code, armed_fd = -1;
	pid_t guard;

	if (ef_cli_load_rules(file, &rs))
		return EF_EXIT_INPUT;
	p.deadline = time(NULL) + seconds;
	p.new_hash = rs.hash;
	/* Before anything changes: from here on, whatever happens to this
	 * process, the guard is there. */
	guard = guard_start(cli->instance, p.token, &armed_fd);
	if (guard < 0) {
		ef_log_err("cannot start the rollback guard: %s: nothing was changed",
			   strerror(errno));
		ef_ruleset_free(&rs);
		return EF_EXIT_SYSTEM;
	}
	code = ef_instance_open(cli->instance, 0, &inst);
	if (code) {
		if (code == -ENOENT)
			ef_log_err(
				"no edgefw instance '%s' is loaded: attach one first (edgefw attach IFNAME --rules FILE)",
				cli->instance);
		code = code == -ENOENT ? EF_EXIT_INPUT : EF_EXIT_SYSTEM;
		goto out_guard;
	}
	code = rollback_point(&inst, &p.back, &prev);
	if (code == EF_EXIT_OK && ef_pending_save(inst.name, &p)) {
		ef_log_err("cannot record the rollback in %s: nothing was changed", EF_SOCKET_DIR);
		code = EF_EXIT_SYSTEM;
	}
	if (code == EF_EXIT_OK) {
		if (write(armed_fd, "", 1) != 1) /* the guard watches from now */
			ef_log_warn(
				"cannot tell the rollback guard (pid %d) it is armed: it finds out from %s",
				(int)guard, EF_SOCKET_DIR);
		code = ef_cli_apply(&inst, &rs, NULL, &sum);
		if (code == EF_EXIT_OK)
			print_armed(&inst, &rs, &sum, p.deadline, guard);
		else
			keep_previous(inst.name, &prev, p.token);
	}
	ef_confirm_rec_free(&prev);
	ef_instance_close(&inst);
out_guard:
	close(armed_fd); /* unarmed, the guard exits */
	ef_confirm_rec_free(&p);
	ef_ruleset_free(&rs);
	return code;
}

bool ef_cli_confirm_pending(const char *instance, char *why, size_t len)
{
	struct ef_confirm_rec p;
	char when[32];

	if (ef_pending_load(instance, &p))
		return false;
	ef_iso_utc(p.deadline, when, sizeof(when));
	snprintf(
		why, len,
		"a change awaits confirmation until %s (then it rolls back): run 'edgefw --instance %s confirm' to keep it, or reload with --confirm to replace it",
		when, instance);
	ef_confirm_rec_free(&p);
	return true;
}
