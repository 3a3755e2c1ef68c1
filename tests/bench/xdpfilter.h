/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_XDPFILTER_H
#define EDGEFW_BENCH_XDPFILTER_H

#include <stddef.h>
#include <stdint.h>

struct ef_ruleset;

/* Debian's xdp-filter (xdp-tools), loaded by its own tool on a veth of the
 * current (private) network namespace, then fed through its pinned maps:
 * it has no batch command, and one `xdp-filter ip` per address takes
 * minutes for 60k addresses. */
struct xdpfilter_counts {
	size_t addrs;    /* exact addresses loaded */
	size_t single;   /* /32 or /128 in the blocklist */
	size_t prefixes; /* in the blocklist: the rest cannot be expressed */
	size_t capacity; /* its address map's max_entries */
	size_t ports;
};

/* Creates the veth, runs `xdp-filter load`, opens its maps and returns its
 * program's fd in *prog_fd. -EEXIST when another xdp-filter is loaded on
 * this host: its maps are shared, so the benchmark leaves it alone.
 * Returns 0 or a negative errno; unloads on exit. */
int xdpfilter_start(int *prog_fd);

/* Replaces its addresses and ports with the ruleset's equivalent exact
 * matches: the blocklist's (rule 0's) single source addresses, up to its
 * map's capacity, and the destination ports of the other rules. */
int xdpfilter_fill(const struct ef_ruleset *rs, struct xdpfilter_counts *n);

/* The same for multi-field rules: the single source and destination
 * addresses of every rule, up to the map's capacity, and every rule's
 * destination ports. prefixes counts every address entry of the rules. */
int xdpfilter_fill_all(const struct ef_ruleset *rs, struct xdpfilter_counts *n);

/* Opens the maps of an xdp-filter already loaded (by `xdp-filter load`,
 * scripts/bench_e2e.sh) through its pins. Returns 0 or a negative errno. */
int xdpfilter_open(void);

/* Replaces its addresses with the IPv4 source addresses v4 (network
 * order), n of them, each denied exactly: the most it can express of a
 * prefix blocklist for traffic from those addresses. -E2BIG past its
 * map's capacity. */
int xdpfilter_deny_sources(const uint32_t *v4, size_t n, struct xdpfilter_counts *c);

/* `xdp-filter unload`; safe to call twice. */
void xdpfilter_stop(void);

#endif
