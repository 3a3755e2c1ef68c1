// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for edgefwd's config sections, `interfaces` and
 * `daemon`: any bytes after "version: 1\n", through the rules parser (the
 * daemon reads its config with it). Seeds are daemon configs.
 *
 * Checked: no crash, leak or out-of-bounds read, and an accepted config
 * holds only what edgefwd can use as it is: a valid instance and group
 * name, absolute socket and drop-log paths that fit their buffers, a
 * metrics address the listener parses, a log rate and on-exit in range,
 * interface patterns that are valid names or globs with known hooks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen.h"
#include "ruleset.h"

#define MAX_INPUT (16u << 10)
#define PREFIX "version: 1\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *value)
{
	fprintf(stderr, "accepted config with %s '%s'\n", what, value);
	abort();
}

/* Letters, digits and punct; not empty; shorter than max. */
static int name_ok(const char *s, size_t max, const char *punct)
{
	size_t n = strnlen(s, max);

	if (!n || n >= max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(punct, c)))
			return 0;
	}
	return 1;
}

static void check_daemon(const struct ef_daemon_conf *c)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (c->instance[0] && !name_ok(c->instance, sizeof(c->instance), "-_"))
		fail("instance", c->instance);
	if (c->control_socket[0] &&
	    (c->control_socket[0] != '/' ||
	     strnlen(c->control_socket, sizeof(c->control_socket)) >= EF_SOCKET_PATH_MAX))
		fail("control-socket", c->control_socket);
	if (c->control_group[0] && (c->control_group[0] == '-' ||
				    !name_ok(c->control_group, sizeof(c->control_group), "._-")))
		fail("control-group", c->control_group);
	if (c->metrics[0] && strcmp(c->metrics, "off") && ef_parse_listen(c->metrics, &ss, &len))
		fail("metrics", c->metrics);
	if (c->drop_log[0] && strcmp(c->drop_log, "-") && c->drop_log[0] != '/')
		fail("drop-log", c->drop_log);
	if (c->log_rate > EF_LOG_RATE_MAX)
		fail("log-rate", "> max");
	if (c->on_exit != EF_ON_EXIT_KEEP && c->on_exit != EF_ON_EXIT_DETACH)
		fail("on-exit", "?");
}

static void check_attach(const struct ef_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_attach; i++) {
		const struct ef_attach_spec *a = &rs->attach[i];
		size_t n = strnlen(a->pattern, sizeof(a->pattern));

		if (!n || n >= sizeof(a->pattern) || strpbrk(a->pattern, "/: \t"))
			fail("interface pattern", a->pattern);
		if (!a->hooks || (a->hooks & ~EF_HOOKS_ALL))
			fail("interface hooks", a->pattern);
		if (a->mode > EF_ATTACH_GENERIC)
			fail("interface mode", a->pattern);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t plen = sizeof(PREFIX) - 1;
	struct ef_ruleset rs;
	struct ef_diag d = { 0 };
	char *buf;

	if (size > MAX_INPUT)
		return 0;
	buf = malloc(plen + size);
	if (!buf)
		return 0;
	memcpy(buf, PREFIX, plen);
	memcpy(buf + plen, data, size);
	if (!ef_ruleset_parse_flags("/nonexistent/edgefwd.yaml", buf, plen + size,
				    EF_PARSE_NO_LIST_FILES, &rs, &d)) {
		check_daemon(&rs.daemon);
		check_attach(&rs);
		ef_ruleset_free(&rs);
	}
	ef_diag_free(&d);
	free(buf);
	return 0;
}
