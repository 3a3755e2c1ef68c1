// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rules a reload takes with an etcd source (issue 18): the bundle's
 * main file, its list files read beneath the bundle's directory only, and
 * the config file's own `interfaces` and `daemon` sections.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_store.h"
#include "daemon.h"
#include "fileio.h"

/* The bundle's main file, from the manifest stored beside it. */
static int bundle_main(const char *dir, char *path, size_t len, struct ef_diag *diag)
{
	char mpath[PATH_MAX + 32], err[256];
	struct ef_manifest m;
	char *text = NULL;
	size_t n;
	int ret;

	snprintf(mpath, sizeof(mpath), "%s/%s", dir, EF_BUNDLE_MANIFEST_FILE);
	ret = ef_read_file(mpath, 64u << 20, &text, &n);
	if (!ret)
		ret = ef_manifest_parse(text, n, &m, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", ef_read_strerror(ret));
	free(text);
	if (ret) {
		ef_err(diag, mpath, 0, 0, "cannot read the bundle's manifest: %s", err);
		return ret;
	}
	snprintf(path, len, "%s/%s", dir, m.main);
	ef_manifest_free(&m);
	return 0;
}

int efd_load_rules(struct efd *d, struct ef_ruleset *rs, struct ef_diag *diag)
{
	struct ef_parse_opts opts = { 0 };
	struct ef_ruleset local;
	const char *dir = d->fleet_next ? d->fleet_next : d->fleet_dir;
	char main[PATH_MAX + 256];
	int ret = ef_ruleset_load(d->config_path, &local, diag);

	if (ret || !local.daemon.fleet.on) { /* the file's own rules */
		*rs = local;
		return ret;
	}
	if (!dir) {
		ef_err(diag, d->config_path, 0, 0,
		       "no bundle of group %s has been applied yet: nothing to reload until etcd gives one",
		       local.daemon.fleet.group);
		ef_ruleset_free(&local);
		return -ENOENT;
	}
	opts.lists_dir = dir; /* the bundle's list files, nothing outside */
	ret = bundle_main(dir, main, sizeof(main), diag);
	if (!ret)
		ret = ef_ruleset_load_opts(main, &opts, rs, diag);
	if (!ret) {
		free(rs->attach);
		rs->attach = local.attach;
		rs->n_attach = local.n_attach;
		rs->daemon = local.daemon;
		local.attach = NULL;
		local.n_attach = 0;
	}
	ef_ruleset_free(&local);
	return ret;
}
