// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * daemon.source.etcd: edgefwd takes its rules from an etcd group instead
 * of this file (issue 18). The file keeps what is the host's own:
 *
 *   daemon:
 *     source:
 *       etcd:
 *         endpoints: [https://10.77.0.1:2379, https://10.77.0.2:2379]
 *         prefix: /edgefw/v1/          # default
 *         group: edge-eu
 *         host: NAME                   # default: the host name
 *         tls: {ca: /etc/edgefw/ca.pem, cert: /etc/edgefw/c.pem, key: /etc/edgefw/c-key.pem}
 *         state-dir: /var/lib/edgefw/fleet   # default
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"
#include "strutil.h"

static bool copy_scalar(struct parser *p, const struct ydoc_node *n, const char *what, char *buf,
			size_t len)
{
	if (!rs_expect_kind(p, n, YDOC_SCALAR, what))
		return false;
	if (!n->len || strlen(n->str) != n->len) {
		perr(p, n, "%s must not be empty", what);
		return false;
	}
	if (ef_strlcpy(buf, n->str, len)) {
		perr(p, n, "%s is longer than %zu characters", what, len - 1);
		buf[0] = '\0';
		return false;
	}
	return true;
}

static void parse_endpoints(struct parser *p, const struct ydoc_node *n, struct ef_fleet_conf *c)
{
	static const char what[] = "daemon.source.etcd: endpoints";
	size_t count;

	if (!rs_scalar_list(p, n, what, &count))
		return;
	if (count > EF_FLEET_ENDPOINTS_MAX) {
		perr(p, n, "%s: %zu endpoints: give at most %d (the cluster's members)", what,
		     count, EF_FLEET_ENDPOINTS_MAX);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(n, i);
		char *url = c->endpoints[c->n_endpoints];

		if (it->kind != YDOC_SCALAR || !copy_scalar(p, it, what, url, EF_FLEET_URL_MAX))
			continue;
		if ((strncmp(url, "http://", 7) || !url[7]) &&
		    (strncmp(url, "https://", 8) || !url[8])) {
			perr(p, it,
			     "%s: '%s' is not http://HOST:PORT or https://HOST:PORT (e.g. https://10.77.0.1:2379)",
			     what, url);
			continue;
		}
		c->n_endpoints++;
	}
}

static void parse_name(struct parser *p, const struct ydoc_node *n, const char *key, char *buf)
{
	char what[64];

	snprintf(what, sizeof(what), "daemon.source.etcd: %s", key);
	if (!copy_scalar(p, n, what, buf, EF_FLEET_NAME_MAX))
		return;
	if (!rs_valid_name(buf, EF_FLEET_NAME_MAX, "._-")) {
		perr(p, n, "%s '%s' is not valid: use 1-%d letters, digits, '.', '_' or '-'", what,
		     buf, EF_FLEET_NAME_MAX - 1);
		buf[0] = '\0';
	}
}

static void parse_prefix(struct parser *p, const struct ydoc_node *n, struct ef_fleet_conf *c)
{
	static const char what[] = "daemon.source.etcd: prefix";
	size_t len;

	if (!copy_scalar(p, n, what, c->prefix, sizeof(c->prefix)))
		return;
	len = strlen(c->prefix);
	if (c->prefix[0] != '/' || c->prefix[len - 1] != '/' ||
	    strspn(c->prefix,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") != len)
		perr(p, n,
		     "%s '%s' must start and end with '/' and hold only letters, digits, '/', '.', '_' or '-' (e.g. /edgefw/v1/)",
		     what, c->prefix);
}

static void parse_path(struct parser *p, const struct ydoc_node *n, const char *key, char *buf)
{
	char what[64];

	snprintf(what, sizeof(what), "daemon.source.etcd: %s", key);
	if (copy_scalar(p, n, what, buf, EF_LOG_PATH_MAX) && buf[0] != '/') {
		perr(p, n, "%s must be an absolute path, not '%s'", what, buf);
		buf[0] = '\0';
	}
}

static void parse_tls(struct parser *p, const struct ydoc_node *n, struct ef_fleet_conf *c)
{
	static const char *const keys[] = { "ca", "cert", "key", NULL };
	const struct ydoc_node *v;

	if (!rs_expect_kind(p, n, YDOC_MAP, "daemon.source.etcd: tls"))
		return;
	rs_check_keys(p, n, "daemon.source.etcd: tls", keys);
	if ((v = ydoc_map_get(n, "ca")))
		parse_path(p, v, "tls: ca", c->ca);
	if ((v = ydoc_map_get(n, "cert")))
		parse_path(p, v, "tls: cert", c->cert);
	if ((v = ydoc_map_get(n, "key")))
		parse_path(p, v, "tls: key", c->key);
	if (!c->cert[0] != !c->key[0])
		perr(p, n,
		     "daemon.source.etcd: tls: give both cert and key (the client certificate and its key), or neither");
}

/* What the whole entry needs, once each key is read. */
static void check_etcd(struct parser *p, const struct ydoc_node *n, struct ef_fleet_conf *c)
{
	bool tls = c->ca[0] || c->cert[0];

	if (!ydoc_map_get(n, "endpoints"))
		perr(p, n,
		     "daemon.source.etcd needs 'endpoints: [URL, ...]' (the etcd cluster's client URLs)");
	if (!ydoc_map_get(n, "group"))
		perr(p, n,
		     "daemon.source.etcd needs 'group: NAME' (the group whose rules this host enforces)");
	for (size_t i = 0; i < c->n_endpoints && tls; i++)
		if (!strncmp(c->endpoints[i], "http://", 7))
			perr(p, ydoc_map_get(n, "endpoints"),
			     "daemon.source.etcd: endpoint '%s' is http:// but tls is given: use https:// endpoints with tls",
			     c->endpoints[i]);
	if (!c->prefix[0])
		snprintf(c->prefix, sizeof(c->prefix), "%s", EF_FLEET_PREFIX_DEFAULT);
	if (!c->state_dir[0])
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", EF_FLEET_STATE_DIR_DEFAULT);
}

static void parse_etcd(struct parser *p, const struct ydoc_node *n, struct ef_fleet_conf *c)
{
	static const char *const keys[] = { "endpoints", "prefix",    "group", "host",
					    "tls",       "state-dir", NULL };
	const struct ydoc_node *v;

	if (!rs_expect_kind(p, n, YDOC_MAP, "daemon.source.etcd"))
		return;
	c->on = true;
	rs_check_keys(p, n, "daemon.source.etcd", keys);
	if ((v = ydoc_map_get(n, "endpoints")))
		parse_endpoints(p, v, c);
	if ((v = ydoc_map_get(n, "prefix")))
		parse_prefix(p, v, c);
	if ((v = ydoc_map_get(n, "group")))
		parse_name(p, v, "group", c->group);
	if ((v = ydoc_map_get(n, "host")))
		parse_name(p, v, "host", c->host);
	if ((v = ydoc_map_get(n, "tls")))
		parse_tls(p, v, c);
	if ((v = ydoc_map_get(n, "state-dir")))
		parse_path(p, v, "state-dir", c->state_dir);
	check_etcd(p, n, c);
}

void rs_parse_source(struct parser *p, const struct ydoc_node *n, struct ef_fleet_conf *c)
{
	static const char *const keys[] = { "etcd", NULL };
	const struct ydoc_node *v;

	if (!rs_expect_kind(p, n, YDOC_MAP, "daemon.source"))
		return;
	rs_check_keys(p, n, "daemon.source", keys);
	if ((v = ydoc_map_get(n, "etcd")))
		parse_etcd(p, v, c);
	else
		perr(p, n, "daemon.source needs 'etcd: {...}' (the only source besides this file)");
}

void rs_check_fleet_file(struct parser *p, const struct ydoc_node *root)
{
	static const char *const rules_keys[] = { "rules", "sets", "defaults" };
	const struct ef_fleet_conf *c = &p->rs->daemon.fleet;

	if (!c->on)
		return;
	for (size_t i = 0; i < sizeof(rules_keys) / sizeof(rules_keys[0]); i++) {
		const struct ydoc_node *k = rs_map_key(root, rules_keys[i]);

		if (k)
			perr(p, k,
			     "daemon.source.etcd: a file with an etcd source holds no rules: they come from group %s (remove '%s:', or publish it with `edgefw publish`)",
			     c->group[0] ? c->group : "(none given)", rules_keys[i]);
	}
}
