// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rules file -> struct ef_ruleset. Every check reports FILE:LINE:COL and
 * parsing goes on after an error, so one run shows every mistake; the
 * result is used only when there were none.
 */
#include "ruleset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strutil.h"
#include "yamldoc.h"

#define RULESET_VERSION 1

struct parser {
	const char *file;
	struct ef_diag *d;
	struct ef_ruleset *rs;
};

static const char *const action_names[EDGEFW_ACT_COUNT] = {
	[EDGEFW_ACT_PASS] = "pass",
	[EDGEFW_ACT_DROP] = "drop",
	[EDGEFW_ACT_REDIRECT] = "redirect",
};

static const char *const hook_names[EDGEFW_HOOK_COUNT] = {
	[EDGEFW_HOOK_XDP] = "xdp",
	[EDGEFW_HOOK_TC_INGRESS] = "tc-ingress",
	[EDGEFW_HOOK_TC_EGRESS] = "tc-egress",
};

const char *ef_action_name(uint8_t action)
{
	return action < EDGEFW_ACT_COUNT ? action_names[action] : "?";
}

const char *ef_hook_name(uint32_t hook)
{
	return hook < EDGEFW_HOOK_COUNT ? hook_names[hook] : "?";
}

#define perr(p, node, ...) \
	ef_err((p)->d, (p)->file, (node)->line, (node)->col, __VA_ARGS__)
#define pwarn(p, node, ...) \
	ef_warn((p)->d, (p)->file, (node)->line, (node)->col, __VA_ARGS__)

static bool expect_kind(struct parser *p, const struct ydoc_node *n,
			enum ydoc_kind kind, const char *what)
{
	if (n->kind == kind)
		return true;
	perr(p, n, "%s must be a %s, not a %s", what, ydoc_kind_name(kind),
	     ydoc_kind_name(n->kind));
	return false;
}

/* Reports every key of map not in known, with a suggestion for near misses. */
static void check_keys(struct parser *p, const struct ydoc_node *map,
		       const char *where, const char *const *known)
{
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ydoc_node *k = map->pairs[i].key;
		const char *hint;
		bool found = false;

		for (size_t j = 0; known[j]; j++)
			found |= !strcmp(k->str, known[j]);
		if (found)
			continue;
		hint = ef_suggest(k->str, known);
		if (hint)
			perr(p, k, "unknown key '%s' in %s; did you mean '%s'?",
			     k->str, where, hint);
		else
			perr(p, k, "unknown key '%s' in %s", k->str, where);
	}
}

/* Looks a scalar up in names[0..n); returns its index or -1 after an error
 * that lists the valid words. */
static int parse_word(struct parser *p, const struct ydoc_node *n,
		      const char *what, const char *const *names, int count)
{
	char list[256] = "";
	size_t used = 0;

	if (!expect_kind(p, n, YDOC_SCALAR, what))
		return -1;
	for (int i = 0; i < count; i++)
		if (names[i] && !strcmp(n->str, names[i]))
			return i;
	for (int i = 0; i < count && used < sizeof(list); i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s",
				 i ? ", " : "", names[i]);
		if (w > 0)
			used += (size_t)w;
	}
	perr(p, n, "%s '%s' is not one of: %s", what, n->str, list);
	return -1;
}

static int parse_action_word(struct parser *p, const struct ydoc_node *n,
			     const char *what, bool allow_redirect)
{
	int a = parse_word(p, n, what, action_names,
			   allow_redirect ? EDGEFW_ACT_COUNT : EDGEFW_ACT_REDIRECT);

	return a;
}

static void parse_version(struct parser *p, const struct ydoc_node *n)
{
	if (!expect_kind(p, n, YDOC_SCALAR, "version"))
		return;
	if (strcmp(n->str, "1") != 0)
		perr(p, n, "unsupported version '%s': this edgefw reads version %d",
		     n->str, RULESET_VERSION);
}

static void parse_defaults(struct parser *p, const struct ydoc_node *n)
{
	static const char *const keys[] = { "xdp", "tc-ingress", "tc-egress",
					    "non-ip", "malformed", NULL };
	struct ef_ruleset *rs = p->rs;

	if (!expect_kind(p, n, YDOC_MAP, "defaults"))
		return;
	check_keys(p, n, "defaults", keys);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		const struct ydoc_node *v = ydoc_map_get(n, hook_names[h]);
		int a;

		if (!v)
			continue;
		a = parse_action_word(p, v, "default policy", false);
		if (a >= 0)
			rs->default_action[h] = (uint8_t)a;
	}
	for (int i = 0; i < 2; i++) {
		const char *key = i ? "malformed" : "non-ip";
		const struct ydoc_node *v = ydoc_map_get(n, key);
		int a;

		if (!v)
			continue;
		a = parse_action_word(p, v, key, false);
		if (a < 0)
			continue;
		if (i)
			rs->malformed_action = (uint8_t)a;
		else
			rs->non_ip_action = (uint8_t)a;
	}
}

static int push_prefix(struct ef_addr_field *f, const struct ef_prefix *pf)
{
	struct ef_prefix *v = realloc(f->v, (f->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	v[f->n++] = *pf;
	f->v = v;
	return 0;
}

static void parse_prefix_into(struct parser *p, const struct ydoc_node *n,
			      const char *what, struct ef_addr_field *f)
{
	char err[128];
	struct ef_prefix pf;
	unsigned flags = 0;
	char text[EF_PREFIX_STRLEN];

	if (!expect_kind(p, n, YDOC_SCALAR, what))
		return;
	if (ef_prefix_parse(n->str, &pf, &flags, err, sizeof(err))) {
		perr(p, n, "%s: %s", what, err);
		return;
	}
	if (flags & EF_PREFIX_HOST_BITS) {
		ef_prefix_format(&pf, text, sizeof(text));
		pwarn(p, n, "host bits set in %s, using %s", n->str, text);
	}
	if (push_prefix(f, &pf))
		perr(p, n, "out of memory");
}

static void parse_addr_field(struct parser *p, const struct ydoc_node *n,
			     const char *what, struct ef_addr_field *f)
{
	f->any = false;
	f->line = n->line;
	f->col = n->col;
	if (n->kind == YDOC_SEQ) {
		if (!n->n_items)
			perr(p, n, "%s is an empty list: it would match nothing; remove the rule or the field", what);
		for (size_t i = 0; i < n->n_items; i++)
			parse_prefix_into(p, n->items[i], what, f);
		return;
	}
	parse_prefix_into(p, n, what, f);
}

static bool valid_rule_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= EDGEFW_RULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

static bool valid_ifname(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= EF_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

static void parse_rule(struct parser *p, const struct ydoc_node *n,
		       struct ef_rule *r)
{
	static const char *const keys[] = { "name", "src", "dst", "action",
					    "to", "log", NULL };
	const struct ydoc_node *v;
	int a;

	r->line = n->line;
	r->col = n->col;
	r->src.any = r->dst.any = true;
	r->action = EDGEFW_ACT_PASS;
	if (!expect_kind(p, n, YDOC_MAP, "a rule"))
		return;
	check_keys(p, n, "a rule", keys);

	v = ydoc_map_get(n, "name");
	if (!v)
		perr(p, n, "rule has no 'name': every rule needs a unique name (letters, digits, '-', '_', '.')");
	else if (expect_kind(p, v, YDOC_SCALAR, "name")) {
		if (!valid_rule_name(v->str))
			perr(p, v, "rule name '%s' is invalid: use 1-%d letters, digits, '-', '_' or '.'",
			     v->str, EDGEFW_RULE_NAME_MAX - 1);
		else
			ef_strlcpy(r->name, v->str, sizeof(r->name));
	}

	v = ydoc_map_get(n, "src");
	if (v)
		parse_addr_field(p, v, "src", &r->src);
	v = ydoc_map_get(n, "dst");
	if (v)
		parse_addr_field(p, v, "dst", &r->dst);

	v = ydoc_map_get(n, "action");
	if (!v) {
		perr(p, n, "rule '%s' has no 'action' (pass, drop or redirect)",
		     r->name);
	} else {
		a = parse_action_word(p, v, "action", true);
		if (a >= 0)
			r->action = (uint8_t)a;
	}

	v = ydoc_map_get(n, "to");
	if (r->action == EDGEFW_ACT_REDIRECT && !v)
		perr(p, n, "rule '%s' redirects but has no 'to: IFNAME'", r->name);
	if (v && r->action != EDGEFW_ACT_REDIRECT)
		perr(p, v, "'to' is only valid with 'action: redirect'");
	if (v && r->action == EDGEFW_ACT_REDIRECT &&
	    expect_kind(p, v, YDOC_SCALAR, "to")) {
		if (!valid_ifname(v->str))
			perr(p, v, "'%s' is not a valid interface name (1-15 characters, no '/', ':' or spaces)",
			     v->str);
		else
			ef_strlcpy(r->redirect_ifname, v->str,
				   sizeof(r->redirect_ifname));
	}

	v = ydoc_map_get(n, "log");
	if (v && expect_kind(p, v, YDOC_SCALAR, "log")) {
		if (!strcmp(v->str, "true"))
			r->log = true;
		else if (strcmp(v->str, "false"))
			perr(p, v, "log must be true or false, not '%s'", v->str);
	}
}

static void parse_rules(struct parser *p, const struct ydoc_node *n)
{
	struct ef_ruleset *rs = p->rs;

	if (!expect_kind(p, n, YDOC_SEQ, "rules"))
		return;
	if (n->n_items > EDGEFW_MAX_RULES) {
		perr(p, n, "%zu rules exceed the limit of %d", n->n_items,
		     EDGEFW_MAX_RULES);
		return;
	}
	rs->rules = calloc(n->n_items ? n->n_items : 1, sizeof(*rs->rules));
	if (!rs->rules) {
		perr(p, n, "out of memory for %zu rules", n->n_items);
		return;
	}
	rs->n_rules = n->n_items;
	for (size_t i = 0; i < n->n_items; i++) {
		struct ef_rule *r = &rs->rules[i];

		parse_rule(p, n->items[i], r);
		if (!r->name[0])
			continue;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(rs->rules[j].name, r->name)) {
				perr(p, n->items[i],
				     "duplicate rule name '%s' (first at %u:%u): names identify counters and must be unique",
				     r->name, rs->rules[j].line, rs->rules[j].col);
				break;
			}
		}
	}
}

static void parse_document(struct parser *p, const struct ydoc_node *root)
{
	static const char *const keys[] = { "version", "defaults", "rules",
					    NULL };
	const struct ydoc_node *v;

	if (!root) {
		ef_err(p->d, p->file, 0, 0,
		       "the file is empty: write at least 'version: 1'");
		return;
	}
	if (!expect_kind(p, root, YDOC_MAP, "the document"))
		return;
	check_keys(p, root, "the document", keys);

	v = ydoc_map_get(root, "version");
	if (!v)
		perr(p, root, "missing 'version: %d' at the top", RULESET_VERSION);
	else
		parse_version(p, v);
	v = ydoc_map_get(root, "defaults");
	if (v)
		parse_defaults(p, v);
	v = ydoc_map_get(root, "rules");
	if (v)
		parse_rules(p, v);
}

int ef_ruleset_parse(const char *name, const char *buf, size_t len,
		     struct ef_ruleset *rs, struct ef_diag *d)
{
	struct parser p = { .file = name, .d = d, .rs = rs };
	size_t errors_before = d->errors;
	struct ydoc *doc = NULL;
	int ret;

	memset(rs, 0, sizeof(*rs));
	/* Defaults that keep a host reachable when the file says nothing. */
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		rs->default_action[h] = EDGEFW_ACT_PASS;
	rs->non_ip_action = EDGEFW_ACT_PASS;
	rs->malformed_action = EDGEFW_ACT_DROP;
	rs->hash = ef_fnv1a64(buf, len);
	rs->path = strdup(name);
	if (!rs->path) {
		ret = -ENOMEM;
		goto out;
	}

	ret = ydoc_load_buffer(name, buf, len, NULL, &doc, d);
	if (ret)
		goto out;
	parse_document(&p, doc->root);
	ret = d->errors > errors_before ? -EINVAL : 0;
out:
	ydoc_free(doc);
	if (ret)
		ef_ruleset_free(rs);
	return ret;
}

static int read_file(const char *path, char **out, size_t *out_len,
		     struct ef_diag *d)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ef_err(d, path, 0, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		ef_err(d, path, 0, 0, "cannot stat: %s", strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		ef_err(d, path, 0, 0, "not a regular file");
		goto out;
	}
	if ((unsigned long long)st.st_size > YDOC_DEFAULT_MAX_BYTES) {
		ret = -EFBIG;
		ef_err(d, path, 0, 0,
		       "file is %lld bytes, over the limit of %u: split large address lists into list files",
		       (long long)st.st_size, YDOC_DEFAULT_MAX_BYTES);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		ef_err(d, path, 0, 0, "out of memory reading the file");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			ef_err(d, path, 0, 0, "cannot read: %s", strerror(-ret));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

int ef_ruleset_load(const char *path, struct ef_ruleset *rs, struct ef_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	memset(rs, 0, sizeof(*rs));
	ret = read_file(path, &buf, &len, d);
	if (ret)
		return ret;
	ret = ef_ruleset_parse(path, buf, len, rs, d);
	free(buf);
	return ret;
}

void ef_ruleset_free(struct ef_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		free(rs->rules[i].src.v);
		free(rs->rules[i].dst.v);
	}
	free(rs->rules);
	free(rs->path);
	memset(rs, 0, sizeof(*rs));
}

static bool field_has_family(const struct ef_addr_field *f, uint8_t family)
{
	if (f->any)
		return true;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].family == family)
			return true;
	return false;
}

bool ef_rule_has_family(const struct ef_rule *r, uint8_t family)
{
	return field_has_family(&r->src, family) &&
	       field_has_family(&r->dst, family);
}
