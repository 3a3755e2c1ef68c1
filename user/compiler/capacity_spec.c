// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The operator's capacity (capacity_spec.h): `--capacity cells=N,...` on
 * the command line, and in a config
 *
 *   daemon:
 *     capacity:
 *       cells: 2097152
 *       classes: 65536
 */
#include "capacity_spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "edgefw.h"
#include "rules_internal.h"
#include "strutil.h"

/* In enum ef_cap_res order; the parser's list of daemon.capacity keys. */
static const char *const keys[] = { "cells",        "classes",    "tree-nodes", "tree-leaf-entries",
				    "hashed-pairs", "ipv6-hosts", NULL };

static const struct {
	const char *json, *unit;
	uint32_t max;
} res[EF_CAP_COUNT] = {
	[EF_CAP_CELLS] = { "cells", "address trie cells", EDGEFW_CELLS_MAX },
	[EF_CAP_CLASSES] = { "classes", "chain classes", EDGEFW_MAX_CLASSES },
	[EF_CAP_TREE_NODES] = { "tree_nodes", "decision-tree nodes", EDGEFW_TNODES_MAX },
	[EF_CAP_TREE_LEAVES] = { "tree_leaf_entries", "decision-tree leaf entries",
				 EDGEFW_TLEAVES_MAX },
	[EF_CAP_HASHED_PAIRS] = { "hashed_pairs", "hashed pairs", EDGEFW_CHAIN_MAX },
	[EF_CAP_IPV6_HOSTS] = { "ipv6_hosts", "hashed IPv6 prefixes", EDGEFW_HOST6_MAX },
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) == EF_CAP_COUNT + 1, "one key per resource");

const char *ef_cap_key(enum ef_cap_res r)
{
	return keys[r];
}

const char *ef_cap_json_key(enum ef_cap_res r)
{
	return res[r].json;
}

uint32_t ef_cap_max(enum ef_cap_res r)
{
	return res[r].max;
}

int ef_cap_lookup(const char *key)
{
	for (int r = 0; r < EF_CAP_COUNT; r++)
		if (!strcmp(key, keys[r]))
			return r;
	return -1;
}

bool ef_cap_parse_value(enum ef_cap_res r, const char *s, uint32_t *out)
{
	unsigned v;

	if (!rs_parse_uint(s, res[r].max, &v) || !v)
		return false;
	*out = v;
	return true;
}

/* The list of keys, for "use one of" messages. */
static void key_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int r = 0; r < EF_CAP_COUNT && used < len; r++) {
		int w = snprintf(buf + used, len - used, "%s%s", r ? ", " : "", keys[r]);

		if (w > 0)
			used += (size_t)w;
	}
}

/* One "RESOURCE=N" of a --capacity value (item: NUL-terminated). */
static int parse_item(char *item, struct ef_capacity_spec *s, bool given[EF_CAP_COUNT], char *err,
		      size_t len)
{
	char *eq = strchr(item, '=');
	const char *hint;
	char list[128];
	int r;

	if (!eq) {
		snprintf(err, len, "'%s' is not RESOURCE=NUMBER (e.g. cells=2097152)", item);
		return -EINVAL;
	}
	*eq = '\0';
	r = ef_cap_lookup(item);
	if (r < 0) {
		hint = ef_suggest(item, keys);
		key_list(list, sizeof(list));
		snprintf(err, len, "unknown resource '%s'%s%s%s: use %s", item,
			 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "", list);
		return -EINVAL;
	}
	if (given[r]) {
		snprintf(err, len, "%s is given twice", keys[r]);
		return -EINVAL;
	}
	if (!ef_cap_parse_value((enum ef_cap_res)r, eq + 1, &s->floor[r])) {
		snprintf(err, len, "%s '%s' is not a number of %s from 1 to %u", keys[r], eq + 1,
			 res[r].unit, res[r].max);
		return -EINVAL;
	}
	given[r] = true;
	return 0;
}

int ef_capacity_spec_parse(const char *text, struct ef_capacity_spec *s, char *err, size_t len)
{
	bool given[EF_CAP_COUNT] = { false };
	struct ef_capacity_spec next = *s;
	char buf[512], *item, *save = NULL;
	int ret = 0;

	if (ef_strlcpy(buf, text, sizeof(buf))) {
		snprintf(err, len, "longer than %zu characters", sizeof(buf) - 1);
		return -EINVAL;
	}
	if (!strchr(buf, '=')) {
		snprintf(err, len,
			 "give RESOURCE=NUMBER[,RESOURCE=NUMBER]... (e.g. cells=2097152)");
		return -EINVAL;
	}
	for (item = strtok_r(buf, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save))
		ret = parse_item(item, &next, given, err, len);
	if (!ret)
		*s = next;
	return ret;
}

/* daemon.capacity: a mapping of the same keys. */
void rs_parse_capacity(struct parser *p, const struct ydoc_node *n, struct ef_capacity_spec *s)
{
	if (!rs_expect_kind(p, n, YDOC_MAP, "capacity"))
		return;
	rs_check_keys(p, n, "daemon.capacity", keys);
	for (int r = 0; r < EF_CAP_COUNT; r++) {
		const struct ydoc_node *v = ydoc_map_get(n, keys[r]);

		if (!v || !rs_expect_kind(p, v, YDOC_SCALAR, keys[r]))
			continue;
		if (!ef_cap_parse_value((enum ef_cap_res)r, v->str, &s->floor[r]))
			perr(p, v, "capacity: %s '%s' is not a number of %s from 1 to %u", keys[r],
			     v->str, res[r].unit, res[r].max);
	}
}
