// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The top-level sections only edgefwd reads: `interfaces` (where to attach)
 * and `daemon` (its settings). They live in the rules file so one file
 * describes an edge host's firewall whole, and are checked with the rest
 * so `edgefw check` catches their mistakes too.
 */
#include <stdlib.h>
#include <string.h>

#include "listen.h"
#include "rules_internal.h"
#include "strutil.h"

static void add_spec(struct parser *p, const struct ydoc_node *it, uint8_t hooks, uint8_t mode)
{
	struct ef_ruleset *rs = p->rs;
	struct ef_attach_spec *v, *s;

	if (!rs_valid_iface_pattern(it->str)) {
		perr(p, it,
		     "interfaces: '%s' is not a valid interface name or pattern (1-%d characters, no '/', ':' or spaces; * ? [ ] match like shell globs)",
		     it->str, EF_IFNAME_MAX - 1);
		return;
	}
	for (size_t i = 0; i < rs->n_attach; i++) {
		if (!strcmp(rs->attach[i].pattern, it->str) && (rs->attach[i].hooks & hooks)) {
			pwarn(p, it,
			      "interfaces: '%s' is already listed at line %u with the same hooks; the first entry wins",
			      it->str, rs->attach[i].line);
			break;
		}
	}
	v = realloc(rs->attach, (rs->n_attach + 1) * sizeof(*v));
	if (!v) {
		perr(p, it, "out of memory");
		return;
	}
	rs->attach = v;
	s = &v[rs->n_attach++];
	memset(s, 0, sizeof(*s));
	ef_strlcpy(s->pattern, it->str, sizeof(s->pattern));
	s->hooks = hooks;
	s->mode = mode;
	s->line = it->line;
	s->col = it->col;
}

static void parse_attach_entry(struct parser *p, const struct ydoc_node *n)
{
	static const char *const keys[] = { "name", "hooks", "mode", NULL };
	static const char *const modes[] = { "auto", "native", "generic" };
	const struct ydoc_node *names, *v;
	uint8_t hooks = 1u << EDGEFW_HOOK_XDP;
	int mode = EF_ATTACH_AUTO;
	size_t count;

	if (!rs_expect_kind(p, n, YDOC_MAP, "an interfaces entry"))
		return;
	rs_check_keys(p, n, "an interfaces entry", keys);
	if ((v = ydoc_map_get(n, "hooks")))
		rs_parse_hook_list(p, v, &hooks);
	if ((v = ydoc_map_get(n, "mode"))) {
		mode = rs_parse_word(p, v, "mode", modes, 3);
		if (mode >= 0 && !(hooks & (1u << EDGEFW_HOOK_XDP)))
			perr(p, v,
			     "'mode' applies to the xdp hook only, which this entry does not list");
	}
	names = ydoc_map_get(n, "name");
	if (!names) {
		perr(p, n,
		     "an interfaces entry needs 'name: IFNAME' (a name, a pattern like \"wan*\", or a list)");
		return;
	}
	if (mode < 0 || !rs_scalar_list(p, names, "name", &count))
		return;
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(names, i);

		if (it->kind == YDOC_SCALAR)
			add_spec(p, it, hooks, (uint8_t)mode);
	}
}

void rs_parse_attach(struct parser *p, const struct ydoc_node *n)
{
	if (!rs_expect_kind(p, n, YDOC_SEQ, "interfaces"))
		return;
	for (size_t i = 0; i < n->n_items; i++)
		parse_attach_entry(p, n->items[i]);
}

/* A string setting into buf, refusing what would not fit. */
static void parse_string(struct parser *p, const struct ydoc_node *n, const char *key, char *buf,
			 size_t len)
{
	if (!rs_expect_kind(p, n, YDOC_SCALAR, key))
		return;
	if (!n->len || strlen(n->str) != n->len) {
		perr(p, n, "%s must not be empty", key);
		return;
	}
	if (ef_strlcpy(buf, n->str, len))
		perr(p, n, "%s is longer than %zu characters", key, len - 1);
}

/* A group name as useradd and POSIX allow it: letters, digits, '.', '_'
 * and '-', not first. Whether the group exists is the daemon's to check:
 * the file may be checked on another host. */
static void parse_group(struct parser *p, const struct ydoc_node *n, char *buf, size_t len)
{
	parse_string(p, n, "control-group", buf, len);
	if (buf[0] && (buf[0] == '-' || !rs_valid_name(buf, len, "._-"))) {
		perr(p, n,
		     "control-group '%s' is not a valid group name: use 1-%zu letters, digits, '.', '_' or '-', not first",
		     buf, len - 1);
		buf[0] = '\0';
	}
}

/* HOST:PORT with an IPv4 address, [IPV6]:PORT, or off. */
static bool valid_listen(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return !strcmp(s, "off") || !ef_parse_listen(s, &ss, &len);
}

void rs_parse_daemon(struct parser *p, const struct ydoc_node *n)
{
	static const char *const keys[] = { "instance", "control-socket", "control-group",
					    "metrics",  "drop-log",       "log-rate",
					    "on-exit",  "conntrack-size", "capacity",
					    "crowdsec", "source",         NULL };
	static const char *const on_exit[] = { "keep", "detach" };
	struct ef_daemon_conf *c = &p->rs->daemon;
	const struct ydoc_node *v;
	unsigned rate;
	int w;

	if (!rs_expect_kind(p, n, YDOC_MAP, "daemon"))
		return;
	rs_check_keys(p, n, "daemon", keys);
	if ((v = ydoc_map_get(n, "instance"))) {
		parse_string(p, v, "instance", c->instance, sizeof(c->instance));
		if (c->instance[0] && !rs_valid_name(c->instance, sizeof(c->instance), "-_")) {
			perr(p, v,
			     "instance '%s' is not a valid name: use 1-%zu letters, digits, '-' or '_'",
			     c->instance, sizeof(c->instance) - 1);
			c->instance[0] = '\0';
		}
	}
	if ((v = ydoc_map_get(n, "control-socket"))) {
		parse_string(p, v, "control-socket", c->control_socket, sizeof(c->control_socket));
		if (c->control_socket[0] && c->control_socket[0] != '/')
			perr(p, v, "control-socket must be an absolute path, not '%s'",
			     c->control_socket);
	}
	if ((v = ydoc_map_get(n, "control-group")))
		parse_group(p, v, c->control_group, sizeof(c->control_group));
	if ((v = ydoc_map_get(n, "metrics"))) {
		parse_string(p, v, "metrics", c->metrics, sizeof(c->metrics));
		if (c->metrics[0] && !valid_listen(c->metrics))
			perr(p, v,
			     "metrics '%s' is not HOST:PORT with an IPv4 address, [IPV6]:PORT or off (e.g. 127.0.0.1:9469)",
			     c->metrics);
	}
	if ((v = ydoc_map_get(n, "drop-log"))) {
		parse_string(p, v, "drop-log", c->drop_log, sizeof(c->drop_log));
		if (c->drop_log[0] && strcmp(c->drop_log, "-") && c->drop_log[0] != '/')
			perr(p, v,
			     "drop-log must be '-' (standard output) or an absolute path, not '%s'",
			     c->drop_log);
	}
	if ((v = ydoc_map_get(n, "log-rate")) && rs_expect_kind(p, v, YDOC_SCALAR, "log-rate")) {
		if (rs_parse_uint(v->str, EF_LOG_RATE_MAX, &rate))
			c->log_rate = rate;
		else
			perr(p, v,
			     "log-rate '%s' is not a number of events per second from 0 to %u",
			     v->str, EF_LOG_RATE_MAX);
	}
	if ((v = ydoc_map_get(n, "on-exit"))) {
		w = rs_parse_word(p, v, "on-exit", on_exit, 2);
		if (w >= 0)
			c->on_exit = (uint8_t)w;
	}
	if ((v = ydoc_map_get(n, "conntrack-size")) &&
	    rs_expect_kind(p, v, YDOC_SCALAR, "conntrack-size")) {
		if (rs_parse_uint(v->str, EDGEFW_CT_MAX, &rate) && rate >= EDGEFW_CT_MIN)
			c->conntrack_size = rate;
		else
			perr(p, v, "conntrack-size '%s' is not a number of flows from %u to %u",
			     v->str, EDGEFW_CT_MIN, EDGEFW_CT_MAX);
	}
	if ((v = ydoc_map_get(n, "capacity")))
		rs_parse_capacity(p, v, &c->capacity);
	if ((v = ydoc_map_get(n, "crowdsec")))
		rs_parse_crowdsec(p, v, &c->crowdsec);
	if ((v = ydoc_map_get(n, "source")))
		rs_parse_source(p, v, &c->fleet);
}
