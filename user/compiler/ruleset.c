// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rules file -> struct ef_ruleset: reading the file, the entry points and
 * freeing. The language itself is parsed in rules_*.c.
 */
#include "ruleset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"
#include "canon.h"
#include "fileio.h"
#include "strutil.h"
#include "yamldoc.h"

int ef_ruleset_parse_opts(const char *name, const char *buf, size_t len,
			  const struct ef_parse_opts *o, struct ef_ruleset *rs, struct ef_diag *d)
{
	struct parser p = { .file = name,
			    .flags = o ? o->flags : 0,
			    .d = d,
			    .rs = rs,
			    .lists_dir = o ? o->lists_dir : NULL,
			    .opts = o,
			    .lists_fd = -1 };
	size_t errors_before = d->errors;
	struct ydoc *doc = NULL;
	int ret;

	memset(rs, 0, sizeof(*rs));
	/* Defaults that keep a host reachable when the file says nothing. */
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		rs->default_action[h] = EDGEFW_ACT_PASS;
	rs->non_ip_action = EDGEFW_ACT_PASS;
	rs->malformed_action = EDGEFW_ACT_DROP;
	rs->ext_overflow_action = EDGEFW_ACT_DROP;
	rs->encap_overflow_action = EDGEFW_ACT_DROP;
	rs->frag_policy = EF_FRAGPOL_RULES;
	rs->src_hash = ef_fnv1a64(buf, len);
	rs->path = strdup(name);
	if (!rs->path) {
		ret = -ENOMEM;
		goto out;
	}

	ret = ydoc_load_buffer(name, buf, len, NULL, &doc, d);
	if (ret)
		goto out;
	rs_parse_document(&p, doc->root);
	ret = d->errors > errors_before ? -EINVAL : 0;
	/* The hash names what the rules mean, not how the file spells it. */
	if (!ret)
		ret = ef_canon_hash(rs, &rs->hash);
out:
	rs_free_sets(&p);
	ydoc_free(doc);
	if (ret)
		ef_ruleset_free(rs);
	return ret;
}

int ef_ruleset_parse_flags(const char *name, const char *buf, size_t len, unsigned flags,
			   struct ef_ruleset *rs, struct ef_diag *d)
{
	const struct ef_parse_opts o = { .flags = flags };

	return ef_ruleset_parse_opts(name, buf, len, &o, rs, d);
}

int ef_ruleset_parse(const char *name, const char *buf, size_t len, struct ef_ruleset *rs,
		     struct ef_diag *d)
{
	return ef_ruleset_parse_opts(name, buf, len, NULL, rs, d);
}

int ef_ruleset_load(const char *path, struct ef_ruleset *rs, struct ef_diag *d)
{
	return ef_ruleset_load_opts(path, NULL, rs, d);
}

int ef_ruleset_load_opts(const char *path, const struct ef_parse_opts *o, struct ef_ruleset *rs,
			 struct ef_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	memset(rs, 0, sizeof(*rs));
	ret = ef_read_input(path, YDOC_DEFAULT_MAX_BYTES,
			    "split large address lists into list files", &buf, &len, d);
	if (ret)
		return ret;
	ret = ef_ruleset_parse_opts(path, buf, len, o, rs, d);
	free(buf);
	return ret;
}

void ef_ruleset_free(struct ef_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct ef_rule *r = &rs->rules[i];

		free(r->ifaces);
		free(r->src.v);
		free(r->src.parts);
		free(r->dst.v);
		free(r->dst.parts);
		free(r->sport.v);
		free(r->sport.parts);
		free(r->dport.v);
		free(r->dport.parts);
	}
	free(rs->rules);
	free(rs->sets);
	free(rs->attach);
	free(rs->path);
	memset(rs, 0, sizeof(*rs));
}
