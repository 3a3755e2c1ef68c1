/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The drop log: reads the instance's log_ring (BPF ring buffer) and writes
 * one JSON object per event and line, e.g.
 * {"time":"2026-11-23T10:00:00.123Z","rule":"block-bad","action":"drop",
 *  "interface":"eth0","hook":"xdp","family":"ipv4","protocol":"udp",
 *  "src":"10.0.0.1","dst":"10.0.0.2","sport":1234,"dport":53,
 *  "length":74,"vlan":100}
 * (vlan only when tagged; sport/dport only when the packet has them; ICMP
 * has "icmp_type"/"icmp_code" instead; a fragment "fragment": "first" or
 * "later"; "sets", "over_limit" and "ban" when dynamic state decided, see
 * droplog_dyn.h and user/json.md).
 */
#ifndef EDGEFW_DROPLOG_H
#define EDGEFW_DROPLOG_H

#include <stddef.h>
#include <stdint.h>

#include "instance.h"

struct efd_droplog;

/* Opens the ring buffer of an open instance (its maps stay the instance's
 * to close: the droplog dups what it keeps) and the output: "-" is
 * stdout, anything else a file opened for appending (created 0640).
 * 0 or -errno (logged). */
int efd_droplog_open(const struct ef_instance *inst, const char *output, struct efd_droplog **out);
/* An fd that becomes readable when events are waiting (for epoll). */
int efd_droplog_fd(const struct efd_droplog *l);
/* Writes every waiting event; flushes the output. Returns the number of
 * lines written or -errno. */
int efd_droplog_consume(struct efd_droplog *l);
/* Lines written and events lost to write errors since open. */
void efd_droplog_counts(const struct efd_droplog *l, uint64_t *lines, uint64_t *errors);
/* Reopens the output file (after logrotate; on SIGHUP). */
int efd_droplog_reopen(struct efd_droplog *l);
void efd_droplog_close(struct efd_droplog *l);

/* The JSON object of one event, without the newline, NUL-terminated in
 * buf (the pure part of efd_droplog_consume, for tests). rule: the rule's
 * name; ifname: NULL for "if<N>"; dyn: the dynamic state that decided
 * (droplog_dyn.h), or NULL; realtime_offset_ns: CLOCK_REALTIME minus
 * CLOCK_MONOTONIC. Returns the length, -ENOSPC when buf is too small or
 * -ENOMEM. */
struct edgefw_log_event;
struct efd_dyn_names;
int efd_droplog_format(const struct edgefw_log_event *e, const char *rule, const char *ifname,
		       const struct efd_dyn_names *dyn, int64_t realtime_offset_ns, char *buf,
		       size_t len);

/* Sets the rate limit (events per second per rule; 0 logs nothing) in the
 * instance's log_config map. */
int efd_droplog_set_rate(const struct ef_instance *inst, uint32_t rate);

#endif
