/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What `edgefw reload --confirm` needs to roll an instance back, kept in
 * EF_SOCKET_DIR (/run/edgefw, root's, like the pins: gone after a reboot,
 * as the instance is). Without a daemon:
 *
 *   INSTANCE.applied.json  the rules file the CLI last switched in (path,
 *                          FNV-1a hash, source bytes), written after every
 *                          attach and reload; a rollback point is valid
 *                          only while its hash is the hash in force.
 *   INSTANCE.confirm.json  a change awaiting confirmation: its deadline,
 *                          the hash of the unconfirmed rules, the rules to
 *                          go back to (path, hash, source) and the pid of
 *                          the guard process that rolls back.
 *
 * With edgefwd (user/daemon/confirm.h), which holds its window in memory
 * and keeps it on disk so that a restarted edgefwd still rolls back:
 *
 *   INSTANCE.edgefwd-confirm.json  the same record as INSTANCE.confirm.json
 *                          (token 0: the daemon is the guard).
 *
 * All are written whole to a temporary file and renamed into place, and
 * read only when they are root-owned regular files (O_NOFOLLOW). Callers
 * hold the instance's lock, which serializes every change to them.
 */
#ifndef EDGEFW_LOADER_CONFIRM_STATE_H
#define EDGEFW_LOADER_CONFIRM_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* A rules file as it was switched in. */
struct ef_rules_copy {
	char *path;          /* absolute: list files resolve from its directory */
	uint64_t hash;       /* FNV-1a 64 of src: the copy is intact */
	uint64_t rules_hash; /* the ruleset hash src compiled to (status) */
	char *src;
	size_t len;
};

struct ef_confirm_rec {
	time_t deadline;   /* CLOCK_REALTIME seconds */
	uint64_t new_hash; /* the unconfirmed rules */
	uint64_t token;    /* which guard process watches it */
	struct ef_rules_copy back;
};

void ef_rules_copy_free(struct ef_rules_copy *c);
void ef_confirm_rec_free(struct ef_confirm_rec *p);

/* Records path (whose bytes must still hash to src_hash: a file edited
 * since it was read is not recorded, -ESTALE) as the instance's applied
 * rules, which compiled to ruleset hash rules_hash. 0 or -errno. */
int ef_applied_save(const char *instance, const char *path, uint64_t src_hash, uint64_t rules_hash);
/* The same from a copy in memory (a rollback: the file has changed). */
int ef_applied_save_src(const char *instance, const struct ef_rules_copy *c);
/* 0, -ENOENT when none was recorded, or another -errno (logged). */
int ef_applied_load(const char *instance, struct ef_rules_copy *out);

/* The bytes of path, which must still hash to src_hash (-ESTALE when it
 * was edited since it was read), as a copy that compiled to rules_hash. */
int ef_rules_copy_read(const char *path, uint64_t src_hash, uint64_t rules_hash,
		       struct ef_rules_copy *out);

/* Whose record: the CLI's guard's, or edgefwd's. */
#define EF_PENDING_CLI "confirm"
#define EF_PENDING_DAEMON "edgefwd-confirm"

int ef_pending_save_kind(const char *instance, const char *kind, const struct ef_confirm_rec *p);
int ef_pending_load_kind(const char *instance, const char *kind, struct ef_confirm_rec *out);
int ef_pending_remove_kind(const char *instance, const char *kind);
/* The CLI's record (EF_PENDING_CLI). */
int ef_pending_save(const char *instance, const struct ef_confirm_rec *p);
/* 0, -ENOENT when nothing awaits confirmation, or another -errno. */
int ef_pending_load(const char *instance, struct ef_confirm_rec *out);
int ef_pending_remove(const char *instance);

/* Removes both files: the instance is gone. */
void ef_confirm_state_forget(const char *instance);

/* "30s", "2m", "1h", "90": seconds, 1 s to a day; -EINVAL otherwise. */
int ef_parse_confirm_window(const char *s, unsigned *seconds);

#endif
