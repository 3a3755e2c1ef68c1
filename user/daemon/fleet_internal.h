/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What fleet_source.c (the handoff) and fleet_thread.c (etcd) share. */
#ifndef EDGEFW_FLEET_INTERNAL_H
#define EDGEFW_FLEET_INTERNAL_H

#include <pthread.h>

#include "etcd.h"
#include "fleet_source.h"

#define FLEET_KEY_MAX 512

struct efd_fleet {
	struct ef_fleet_conf conf;
	char instance[32];
	char host[EF_FLEET_NAME_MAX];
	char state_dir[PATH_MAX];
	char key_manifest[FLEET_KEY_MAX], key_status[FLEET_KEY_MAX];
	char key_chunks[FLEET_KEY_MAX];
	struct ef_etcd etcd;
	pthread_t thread;
	bool started;
	volatile int stop;
	int event_fd;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu: the handoff, and what status shows. */
	bool pending, answered;
	char pending_dir[PATH_MAX];
	int64_t pending_rev;
	char answer_err[EFD_FLEET_ERR_MAX];
	bool answer_ok;
	struct efd_fleet_status st;
	uint64_t passed, dropped;

	/* The thread's own. */
	int64_t lease;
	time_t last_status;  /* CLOCK_MONOTONIC seconds */
	time_t last_renew;   /* of the lease, CLOCK_MONOTONIC seconds */
	int64_t seen_rev;    /* the manifest revision last handled */
	int64_t persist_rev; /* applied, not yet made current on disk */
	int64_t watch_from;
	unsigned backoff_s;
	unsigned seed; /* rand_r's, for the backoff's jitter */
	unsigned char *event_value;
	size_t event_len;
	int64_t event_rev;
};

void *efd_fleet_thread(void *arg);
/* The thread hands dir over and waits for the event loop's answer:
 * 0 in force, -EINVAL refused (err says why), -EINTR stopping. */
int efd_fleet_handoff(struct efd_fleet *f, const char *dir, int64_t rev, char *err, size_t len);

#endif
