// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * daemon.crowdsec: edgefwd follows a CrowdSec local API's decisions
 * stream as a bouncer and applies bans to a dynamic set (issue 16).
 *
 *   daemon:
 *     crowdsec:
 *       url: http://127.0.0.1:8080   # the local API; plain HTTP, an IP
 *       key: 8a1f...                 # cscli bouncers add edgefwd
 *       set: ban                     # a dynamic set of this file
 *       interval: 10s                # how often to ask (1s to 1h)
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "listen.h"
#include "rules_internal.h"
#include "strutil.h"

#define CS_INTERVAL_DEFAULT_MS 10000u

static void parse_url(struct parser *p, const struct ydoc_node *v, struct ef_crowdsec_conf *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *hp;

	if (!rs_expect_kind(p, v, YDOC_SCALAR, "crowdsec: url"))
		return;
	hp = strncmp(v->str, "http://", 7) ? NULL : v->str + 7;
	if (hp && !ef_strlcpy(c->listen, hp, sizeof(c->listen))) {
		size_t n = strlen(c->listen);

		if (n && c->listen[n - 1] == '/') /* http://127.0.0.1:8080/ */
			c->listen[n - 1] = '\0';
	} else {
		hp = NULL;
	}
	if (!hp || ef_parse_listen(c->listen, &ss, &len)) {
		perr(p, v,
		     "crowdsec: url '%s' is not http://IP:PORT (the local API, e.g. http://127.0.0.1:8080; HTTPS and host names are not supported)",
		     v->str);
		c->listen[0] = '\0';
	}
}

static void parse_key(struct parser *p, const struct ydoc_node *v, struct ef_crowdsec_conf *c)
{
	if (!rs_expect_kind(p, v, YDOC_SCALAR, "crowdsec: key"))
		return;
	for (const char *s = v->str; *s; s++) {
		if (*s <= ' ' || *s == 0x7f) {
			perr(p, v,
			     "crowdsec: key must be printable, without spaces (as `cscli bouncers add` prints it)");
			return;
		}
	}
	if (!v->str[0] || ef_strlcpy(c->key, v->str, sizeof(c->key)))
		perr(p, v, "crowdsec: key must be 1-%d characters", EF_CROWDSEC_KEY_MAX - 1);
}

static void parse_set(struct parser *p, const struct ydoc_node *v, struct ef_crowdsec_conf *c)
{
	const char *name;

	if (!rs_expect_kind(p, v, YDOC_SCALAR, "crowdsec: set"))
		return;
	name = v->str[0] == '$' ? v->str + 1 : v->str;
	for (size_t i = 0; i < p->n_sets; i++) {
		if (strcmp(p->sets[i].name, name))
			continue;
		if (!p->sets[i].dynamic)
			break;
		p->sets[i].refs++;
		ef_strlcpy(c->set, name, sizeof(c->set));
		return;
	}
	perr(p, v,
	     "crowdsec: set '%s' is not a dynamic set of this file: define it under 'sets:' with 'dynamic: true'",
	     v->str);
}

void rs_parse_crowdsec(struct parser *p, const struct ydoc_node *n, struct ef_crowdsec_conf *c)
{
	static const char *const keys[] = { "url", "key", "set", "interval", NULL };
	static const char *const need[] = { "url", "key", "set" };
	const struct ydoc_node *v;
	uint64_t ns;

	if (!rs_expect_kind(p, n, YDOC_MAP, "crowdsec"))
		return;
	rs_check_keys(p, n, "crowdsec", keys);
	for (size_t i = 0; i < 3; i++)
		if (!ydoc_map_get(n, need[i]))
			perr(p, n,
			     "crowdsec has no '%s' (url: http://127.0.0.1:8080, key: from `cscli bouncers add edgefwd`, set: a dynamic set)",
			     need[i]);
	c->interval_ms = CS_INTERVAL_DEFAULT_MS;
	if ((v = ydoc_map_get(n, "url")))
		parse_url(p, v, c);
	if ((v = ydoc_map_get(n, "key")))
		parse_key(p, v, c);
	if ((v = ydoc_map_get(n, "set")))
		parse_set(p, v, c);
	if ((v = ydoc_map_get(n, "interval")) &&
	    rs_expect_kind(p, v, YDOC_SCALAR, "crowdsec: interval")) {
		if (ef_parse_duration(v->str, &ns) || ns < 1000000000ull ||
		    ns > 3600ull * 1000000000ull)
			perr(p, v, "crowdsec: interval '%s' must be a duration from 1s to 1h",
			     v->str);
		else
			c->interval_ms = (uint32_t)(ns / 1000000);
	}
	c->on = c->listen[0] && c->key[0] && c->set[0];
}
