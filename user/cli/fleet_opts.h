/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What `edgefw publish` and `edgefw fleet status` share: the etcd options
 * (--etcd URL[,URL...] --group G [--prefix P] [--cacert F --cert F
 * --key F]) and the group's key names. */
#ifndef EDGEFW_FLEET_OPTS_H
#define EDGEFW_FLEET_OPTS_H

#include <stdbool.h>

#include "etcd.h"
#include "ruleset.h"

struct ef_fleet_opts {
	const char *etcd, *group, *prefix;
	struct ef_etcd_tls tls;
	bool json;
};

/* getopt_long's long options for these, ending the caller's table. */
#define EF_FLEET_LONG_OPTS                                                                         \
	{ "etcd", required_argument, NULL, 'e' }, { "group", required_argument, NULL, 'g' },       \
		{ "prefix", required_argument, NULL, 'p' },                                        \
		{ "cacert", required_argument, NULL, 'C' },                                        \
		{ "cert", required_argument, NULL, 'c' }, { "key", required_argument, NULL, 'k' }, \
	{                                                                                          \
		"json", no_argument, NULL, 'j'                                                     \
	}

/* Takes one option getopt_long returned: true when it was one of these. */
bool ef_fleet_opt(struct ef_fleet_opts *o, int opt, const char *arg);
/* Checks what was given (--etcd, --group, names) and opens the client.
 * Prints why not and returns an exit code. */
int ef_fleet_open(struct ef_fleet_opts *o, struct ef_etcd *c);
/* PREFIX groups/G/WHAT into buf. */
void ef_fleet_key(const struct ef_fleet_opts *o, const char *what, char *buf, size_t len);

#endif
