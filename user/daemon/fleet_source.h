/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * edgefwd's etcd source (issue 18). A thread of its own does all etcd I/O:
 * it reads the group's manifest, fetches and verifies the bundle into the
 * state directory, watches for the next manifest, keeps the host's lease
 * alive and writes its status key. It never touches the instance: a
 * verified bundle directory is handed to the event loop (efd_fleet_fd
 * becomes readable), which reloads it like SIGHUP and answers with
 * efd_fleet_done; the thread then records and reports the outcome.
 */
#ifndef EDGEFW_FLEET_SOURCE_H
#define EDGEFW_FLEET_SOURCE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ruleset.h"

#define EFD_FLEET_ERR_MAX 512

/* What status and metrics show; a copy taken under the source's lock. */
struct efd_fleet_status {
	bool connected;
	int64_t group_revision;   /* the manifest's, as last read; 0: none */
	int64_t applied_revision; /* 0: none */
	char ruleset_hash[17];
	time_t applied_at, published_at;
	uint64_t apply_errors;
	char last_error[EFD_FLEET_ERR_MAX]; /* "" when none */
	int64_t error_revision;
	const char *state; /* "enforcing", "stale", "error" */
};

struct efd_fleet;

/* The bundle in force at start (persisted; revision 0: none) seeds what
 * the status says until etcd answers. */
struct ef_manifest;
int efd_fleet_start(struct efd_fleet **out, const struct ef_fleet_conf *c, const char *instance,
		    int64_t applied_revision, const struct ef_manifest *applied);
/* Readable when a bundle waits for the event loop. */
int efd_fleet_fd(const struct efd_fleet *f);
/* 1 with the bundle's directory and revision; 0 when none waits. */
int efd_fleet_take(struct efd_fleet *f, char *dir, size_t len, int64_t *revision);
/* The event loop's answer for that bundle: err NULL when in force. */
void efd_fleet_done(struct efd_fleet *f, int64_t revision, const char *err);
void efd_fleet_set_packets(struct efd_fleet *f, uint64_t passed, uint64_t dropped);
void efd_fleet_snapshot(struct efd_fleet *f, struct efd_fleet_status *st);
/* Stops the thread (within about a second) and revokes the lease. */
void efd_fleet_stop(struct efd_fleet *f);
/* STATE_DIR/INSTANCE. */
void efd_fleet_state_dir(const struct ef_fleet_conf *c, const char *instance, char *buf,
			 size_t len);

#endif
