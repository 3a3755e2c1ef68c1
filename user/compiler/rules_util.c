// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Checks on YAML nodes that every part of the rules parser needs. */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"
#include "strutil.h"

bool rs_valid_name(const char *s, size_t max, const char *punct)
{
	size_t len = strlen(s);

	if (!len || len >= max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(punct, c)))
			return false;
	}
	return true;
}

void rs_rule_label(const struct ef_rule *r, char *buf, size_t len)
{
	if (r->name[0])
		snprintf(buf, len, "rule '%s'", r->name);
	else
		snprintf(buf, len, "this rule");
}

bool rs_is_null(const struct ydoc_node *n)
{
	return n->kind == YDOC_SCALAR && n->plain &&
	       (!n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

bool rs_expect_kind(struct parser *p, const struct ydoc_node *n, enum ydoc_kind kind,
		    const char *what)
{
	if (n->kind == kind)
		return true;
	if (rs_is_null(n))
		perr(p, n, "%s has no value: write a %s or remove the key", what,
		     ydoc_kind_name(kind));
	else
		perr(p, n, "%s must be a %s, not a %s", what, ydoc_kind_name(kind),
		     ydoc_kind_name(n->kind));
	return false;
}

/* Words other firewalls use for what edgefw calls differently: a plain
 * edit distance would not find these. */
static const struct {
	const char *word, *means;
} synonyms[] = {
	{ "protocol", "proto" },     { "port", "dport" },         { "ports", "dport" },
	{ "source", "src" },         { "saddr", "src" },          { "from", "src" },
	{ "destination", "dst" },    { "daddr", "dst" },          { "iface", "interfaces" },
	{ "ifname", "interfaces" },  { "dev", "interfaces" },     { "flags", "tcp-flags" },
	{ "frag", "fragment" },      { "verdict", "action" },     { "target", "action" },
	{ "prefixes", "addresses" }, { "networks", "addresses" }, { "policy", "xdp" },
	{ "icmp", "icmp-type" },     { "icmpv6", "icmp-type" },   { "type", "icmp-type" },
	{ "code", "icmp-code" },     { "vlan-id", "vlan" },       { "direction", "hooks" },
};

static bool is_known(const char *const *known, const char *word)
{
	for (size_t j = 0; known[j]; j++)
		if (!strcmp(word, known[j]))
			return true;
	return false;
}

static const char *synonym(const char *word, const char *const *known)
{
	for (size_t i = 0; i < sizeof(synonyms) / sizeof(*synonyms); i++)
		if (!strcmp(word, synonyms[i].word) && is_known(known, synonyms[i].means))
			return synonyms[i].means;
	return NULL;
}

void rs_check_keys(struct parser *p, const struct ydoc_node *map, const char *where,
		   const char *const *known)
{
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ydoc_node *k = map->pairs[i].key;
		const char *hint;

		if (is_known(known, k->str))
			continue;
		if (!strcmp(k->str, "comment") || !strcmp(k->str, "description")) {
			perr(p, k,
			     "unknown key '%s' in %s; write comments as YAML comments ('# ...')",
			     k->str, where);
			continue;
		}
		hint = synonym(k->str, known);
		if (!hint)
			hint = ef_suggest(k->str, known);
		if (hint)
			perr(p, k, "unknown key '%s' in %s; did you mean '%s'?", k->str, where,
			     hint);
		else
			perr(p, k, "unknown key '%s' in %s", k->str, where);
	}
}

int rs_parse_word(struct parser *p, const struct ydoc_node *n, const char *what,
		  const char *const *names, int count)
{
	char list[256] = "";
	size_t used = 0;

	if (!rs_expect_kind(p, n, YDOC_SCALAR, what))
		return -1;
	for (int i = 0; i < count; i++)
		if (names[i] && !strcmp(n->str, names[i]))
			return i;
	for (int i = 0; i < count && used < sizeof(list); i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
		if (w > 0)
			used += (size_t)w;
	}
	perr(p, n, "%s '%s' is not one of: %s", what, n->str, list);
	return -1;
}

bool rs_parse_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	/* Decimal only, and no leading zeros: YAML 1.1 tools read 0755 as
	 * octal, so such a number could mean different things. */
	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

const struct ydoc_node *rs_map_key(const struct ydoc_node *map, const char *key)
{
	if (map->kind != YDOC_MAP)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			return map->pairs[i].key;
	return NULL;
}

bool rs_scalar_list(struct parser *p, const struct ydoc_node *n, const char *what, size_t *count)
{
	*count = 0;
	if (n->kind == YDOC_MAP) {
		perr(p, n, "%s must be a scalar or a list, not a mapping", what);
		return false;
	}
	if (n->kind == YDOC_SCALAR) {
		if (rs_is_null(n)) {
			perr(p, n, "%s has no value: write a value or remove the key", what);
			return false;
		}
		*count = 1;
		return true;
	}
	if (!n->n_items) {
		perr(p, n,
		     "%s is an empty list: it would match nothing; remove the rule or the field",
		     what);
		return false;
	}
	for (size_t i = 0; i < n->n_items; i++)
		if (n->items[i]->kind != YDOC_SCALAR)
			perr(p, n->items[i], "%s: each item must be a scalar, not a %s", what,
			     ydoc_kind_name(n->items[i]->kind));
	*count = n->n_items;
	return true;
}

const struct ydoc_node *rs_list_item(const struct ydoc_node *n, size_t i)
{
	return n->kind == YDOC_SCALAR ? n : n->items[i];
}

void rs_format_pos(const struct parser *p, const char *file, unsigned line, unsigned col, char *buf,
		   size_t len)
{
	if (file == p->file || !strcmp(file, p->file))
		snprintf(buf, len, "%u:%u", line, col);
	else if (col)
		snprintf(buf, len, "%s:%u:%u", file, line, col);
	else
		snprintf(buf, len, "%s:%u", file, line);
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
	return field_has_family(&r->src, family) && field_has_family(&r->dst, family);
}

struct rs_set *rs_find_set(struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_sets; i++)
		if (!strcmp(p->sets[i].name, name))
			return &p->sets[i];
	return NULL;
}

/* A port number at s[0, len). Reports and returns false when it is not. */
static bool port_number(struct parser *p, const struct ydoc_node *n, const char *what,
			const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	if (!len || i != len) {
		perr(p, n,
		     "%s: '%s' is not a port: write a number from 0 to 65535, a range like 1024-65535, or a $set",
		     what, n->str);
		return false;
	}
	if (v > 65535) {
		perr(p, n, "%s: port %.*s is outside 0-65535", what, (int)len, s);
		return false;
	}
	if (len > 1 && s[0] == '0') {
		perr(p, n, "%s: port '%.*s' has a leading zero: write it in plain decimal", what,
		     (int)len, s);
		return false;
	}
	*out = (uint16_t)v;
	return true;
}

bool rs_parse_port_range(struct parser *p, const struct ydoc_node *n, const char *what,
			 struct ef_port_range *out)
{
	const char *s = n->str, *dash = strchr(s + (s[0] == '-'), '-');
	size_t llen, rlen;
	const char *r;

	if (!strcmp(s, "any")) {
		perr(p, n, "%s: 'any' is not a port: leave %s out to match every port", what, what);
		return false;
	}
	if (!dash) {
		if (!port_number(p, n, what, s, strlen(s), &out->lo))
			return false;
		out->hi = out->lo;
		return true;
	}
	llen = (size_t)(dash - s);
	while (llen && s[llen - 1] == ' ')
		llen--;
	for (r = dash + 1; *r == ' '; r++)
		;
	rlen = strlen(r);
	if (!port_number(p, n, what, s, llen, &out->lo) ||
	    !port_number(p, n, what, r, rlen, &out->hi))
		return false;
	if (out->lo > out->hi) {
		perr(p, n, "%s: port range %u-%u is inverted: write %u-%u", what, out->lo, out->hi,
		     out->hi, out->lo);
		return false;
	}
	return true;
}

bool rs_parse_prefix(struct parser *p, const struct ydoc_node *n, const char *what,
		     struct ef_prefix *out)
{
	char err[128], text[EF_PREFIX_STRLEN];
	unsigned flags = 0;

	if (ef_prefix_parse(n->str, out, &flags, err, sizeof(err))) {
		if (!strcmp(n->str, "any"))
			perr(p, n,
			     "%s: 'any' is not an address: leave %s out to match every address",
			     what, what);
		else if (rs_valid_name(n->str, EF_SET_NAME_MAX, "-_") && rs_find_set(p, n->str))
			perr(p, n, "%s: %s; did you mean the set '$%s'?", what, err, n->str);
		else
			perr(p, n, "%s: %s", what, err);
		return false;
	}
	if (flags & EF_PREFIX_HOST_BITS) {
		ef_prefix_format(out, text, sizeof(text));
		pwarn(p, n, "host bits set in %s, using %s", n->str, text);
	}
	return true;
}
