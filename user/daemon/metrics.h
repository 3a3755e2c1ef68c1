/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus text exposition (format 0.0.4) at /metrics, served by
 * libmicrohttpd from the daemon's own event loop (no thread): the epoll
 * fd libmicrohttpd exposes is polled with the rest.
 */
#ifndef EDGEFW_METRICS_H
#define EDGEFW_METRICS_H

#include <stdio.h>
#include <sys/socket.h>

#include "daemon.h"

struct efd_metrics;

/* listen: "HOST:PORT" with an IPv4 address or "[IPv6]:PORT". Serves GET
 * /metrics (404 elsewhere, 405 for other methods). 0 or -errno (logged:
 * "metrics: cannot listen on 127.0.0.1:9469: Address in use"). */
int efd_metrics_start(const char *listen, struct efd *d, struct efd_metrics **out);
int efd_metrics_fd(const struct efd_metrics *m);
/* Serves whatever is pending; call when the fd is readable and at least
 * every efd_metrics_timeout_ms() milliseconds (-1: no timeout needed). */
void efd_metrics_run(struct efd_metrics *m);
int efd_metrics_timeout_ms(struct efd_metrics *m);
void efd_metrics_stop(struct efd_metrics *m);

/* The exposition text for d, read from its instance's maps (opened with a
 * shared lock for the read) and d's own state. Pure apart from the map
 * reads; 0 or -errno. Metric names:
 *   edgefw_rule_packets_total{rule,action}  edgefw_rule_bytes_total{rule,action}
 *   edgefw_default_packets_total{hook,action} edgefw_default_bytes_total{hook,action}
 *   edgefw_reason_packets_total{reason}     edgefw_reason_bytes_total{reason}
 *   edgefw_interface_packets_total{interface,hook,action}  (and _bytes_total)
 *   edgefw_interface_attached{interface,hook,mode} 1 or 0 (per target)
 *   edgefw_ruleset_version  edgefw_ruleset_rules  edgefw_ruleset_info{path,hash}
 *   edgefw_ruleset_loaded_timestamp_seconds
 *   edgefw_reloads_total{result="success"|"failure"}
 *   edgefw_last_reload_timestamp_seconds  edgefw_last_reload_success (1/0)
 *   edgefw_drop_log_lines_total  edgefw_drop_log_suppressed_total{rule}
 *   edgefw_drop_log_errors_total  edgefw_instance_up (0 when the maps
 *   cannot be read)  edgefw_daemon_start_timestamp_seconds */
int efd_metrics_render(struct efd *d, FILE *out);

/* The pure part, for tests: writes s as a label value, escaped for the exposition format (\\, \",
 * \n), without the quotes. */
void efd_metrics_write_label(FILE *out, const char *s);

#endif
