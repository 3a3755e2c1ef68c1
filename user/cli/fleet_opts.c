// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The etcd options of `edgefw publish` and `edgefw fleet status`. */
#include "fleet_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

bool ef_fleet_opt(struct ef_fleet_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'e':
		o->etcd = arg;
		return true;
	case 'g':
		o->group = arg;
		return true;
	case 'p':
		o->prefix = arg;
		return true;
	case 'C':
		o->tls.ca = arg;
		return true;
	case 'c':
		o->tls.cert = arg;
		return true;
	case 'k':
		o->tls.key = arg;
		return true;
	case 'j':
		o->json = true;
		return true;
	default:
		return false;
	}
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	return n && n < EF_FLEET_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int ef_fleet_open(struct ef_fleet_opts *o, struct ef_etcd *c)
{
	size_t plen;
	int ret;

	if (!o->prefix)
		o->prefix = EF_FLEET_PREFIX_DEFAULT;
	plen = strlen(o->prefix);
	if (!o->etcd || !o->group) {
		ef_log_err("give the etcd cluster and the group: --etcd URL[,URL...] --group NAME");
		return EF_EXIT_INPUT;
	}
	if (!valid_name(o->group)) {
		ef_log_err("--group '%s' is not valid: use 1-%d letters, digits, '.', '_' or '-'",
			   o->group, EF_FLEET_NAME_MAX - 1);
		return EF_EXIT_INPUT;
	}
	if (!plen || o->prefix[0] != '/' || o->prefix[plen - 1] != '/' ||
	    plen >= EF_FLEET_URL_MAX) {
		ef_log_err("--prefix '%s' must start and end with '/' (default %s)", o->prefix,
			   EF_FLEET_PREFIX_DEFAULT);
		return EF_EXIT_INPUT;
	}
	if (!o->tls.cert != !o->tls.key) {
		ef_log_err("give --cert and --key together (the client certificate and its key)");
		return EF_EXIT_INPUT;
	}
	ret = ef_etcd_init_list(c, o->etcd, &o->tls);
	if (ret == -ELIBACC) {
		ef_log_err("%s", ef_etcd_error(c)); /* libcurl is missing */
		return EF_EXIT_SYSTEM;
	}
	if (ret) {
		ef_log_err("--etcd: %s", ef_etcd_error(c));
		return EF_EXIT_INPUT;
	}
	return EF_EXIT_OK;
}

void ef_fleet_key(const struct ef_fleet_opts *o, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%sgroups/%s/%s", o->prefix, o->group, what);
}
