// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Named sets and the fields that may use them (src, dst, sport, dport).
 *
 * A set is resolved once, the first time something needs it, into a flat
 * list of entries; a field copies the entries of the sets it names, so the
 * compiler and the matcher see plain lists. Every entry remembers where it
 * was written and which written element brought it, so duplicates and
 * overlaps can be reported at the right place, once: overlaps inside a set
 * are reported where the set is defined, not again in each rule using it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listfile.h"
#include "growth.h"
#include "rules_internal.h"
#include "strutil.h"

static int entries_reserve(struct rs_entries *e, size_t more)
{
	size_t cap;
	void *v;

	if (more <= e->cap - e->n)
		return 0;
	if (more > SIZE_MAX / 2 - e->n)
		return -ENOMEM;
	cap = e->cap ? e->cap : 16;
	while (cap < e->n + more)
		cap *= 2;
	if (e->kind == EF_SET_ADDR) {
		v = realloc(e->pfx, cap * sizeof(*e->pfx));
		if (!v)
			return -ENOMEM;
		e->pfx = v;
	} else {
		v = realloc(e->port, cap * sizeof(*e->port));
		if (!v)
			return -ENOMEM;
		e->port = v;
	}
	v = realloc(e->org, cap * sizeof(*e->org));
	if (!v)
		return -ENOMEM;
	e->org = v;
	e->cap = cap;
	return 0;
}

static int entries_add_part(struct rs_entries *e, const struct ydoc_node *n, int32_t set,
			    size_t first)
{
	if (EF_GROW(&e->parts, &e->parts_cap, e->n_parts + 1))
		return -ENOMEM;
	e->parts[e->n_parts++] = (struct ef_field_part){
		.line = n->line,
		.col = n->col,
		.set = set,
		.first = first,
		.n = e->n - first,
	};
	return 0;
}

static void entries_free(struct rs_entries *e)
{
	free(e->pfx);
	free(e->port);
	free(e->org);
	free(e->parts);
	memset(e, 0, sizeof(*e));
}

static const char *suggest_set(struct parser *p, const char *name)
{
	const char **cands = calloc(p->n_sets + 1, sizeof(*cands));
	const char *hint = NULL;

	if (!cands)
		return NULL;
	for (size_t i = 0; i < p->n_sets; i++)
		cands[i] = p->sets[i].name;
	hint = ef_suggest(name, cands);
	free(cands);
	return hint;
}

static const char *kind_noun(enum ef_set_kind kind)
{
	return kind == EF_SET_ADDR ? "addresses" : "ports";
}

/* ---- limits ---------------------------------------------------------- */

static int fam_idx(uint8_t family)
{
	return family == EF_AF_INET6;
}

/* Whether a rule field may take entries [from, from + n) of src; counts
 * them. Reports once per field and family when the bound is crossed. */
static bool within_limits(struct parser *p, const struct rs_ctx *c, const struct ydoc_node *n,
			  const struct rs_entries *src, size_t from, size_t cnt)
{
	size_t add[2] = { 0, 0 };
	bool ok = true;

	if (c->field < 0)
		return true;
	if (src->kind == EF_SET_PORT) {
		if (cnt > EF_MAX_FIELD_ENTRIES - p->port_total[c->field]) {
			if (!p->port_over[c->field])
				perr(p, n,
				     "%s: the rules' %s fields would hold more than %u port ranges: use the set in fewer rules",
				     c->what, c->what, EF_MAX_FIELD_ENTRIES);
			p->port_over[c->field] = true;
			return false;
		}
		p->port_total[c->field] += cnt;
		return true;
	}
	for (size_t i = from; i < from + cnt; i++)
		add[fam_idx(src->pfx[i].family)]++;
	for (int f = 0; f < 2; f++) {
		if (add[f] <= EF_MAX_FIELD_ENTRIES - p->addr_total[c->field][f])
			continue;
		if (!p->addr_over[c->field][f])
			perr(p, n,
			     "%s: the rules' %s fields would hold more than %u %s prefixes, the table limit: use the set in fewer rules",
			     c->what, c->what, EF_MAX_FIELD_ENTRIES, f ? "IPv6" : "IPv4");
		p->addr_over[c->field][f] = true;
		ok = false;
	}
	if (ok)
		for (int f = 0; f < 2; f++)
			p->addr_total[c->field][f] += add[f];
	return ok;
}

/* ---- elements -------------------------------------------------------- */

static void resolve_set(struct parser *p, struct rs_set *s);

static void add_set_ref(struct parser *p, const struct rs_ctx *c, const struct ydoc_node *n,
			struct rs_entries *e)
{
	const char *name = n->str + 1;
	struct rs_set *s;
	size_t first = e->n;
	uint32_t elem = p->next_elem++;
	int32_t idx;

	if (!rs_valid_name(name, EF_SET_NAME_MAX, "-_")) {
		perr(p, n,
		     "%s: '%s' is not a valid set reference: write $NAME, NAME being 1-%d letters, digits, '-' or '_'",
		     c->what, n->str, EF_SET_NAME_MAX - 1);
		return;
	}
	s = rs_find_set(p, name);
	if (!s) {
		const char *hint = suggest_set(p, name);

		if (hint)
			perr(p, n, "%s: unknown set '$%s'; did you mean '$%s'?", c->what, name,
			     hint);
		else
			perr(p, n, "%s: unknown set '$%s': define it under 'sets:'", c->what, name);
		return;
	}
	if (s->dynamic) {
		rs_dynamic_ref(p, c, n, s, e);
		return;
	}
	idx = (int32_t)(s - p->sets);
	s->refs++;
	if (c->field >= 0)
		p->rs->sets[idx].n_refs++;
	if (s->kind_ok && s->kind != e->kind) {
		perr(p, n, "%s takes %s, but set '$%s' (defined at %u:%u) holds %s", c->what,
		     kind_noun(e->kind), name, s->key->line, s->key->col, kind_noun(s->kind));
		return;
	}
	if (s->state == RS_SET_RESOLVING) {
		perr(p, n,
		     "%s: $%s leads back to the set being defined: sets cannot include themselves, directly or through others",
		     c->what, name);
		if (c->in_set)
			c->in_set->bad = true;
		return;
	}
	resolve_set(p, s);
	if (s->bad || !s->kind_ok) {
		if (c->in_set)
			c->in_set->bad = true;
		return;
	}
	if (!within_limits(p, c, n, &s->e, 0, s->e.n))
		return;
	if (entries_reserve(e, s->e.n)) {
		perr(p, n, "out of memory copying set '$%s'", name);
		return;
	}
	for (size_t i = 0; i < s->e.n; i++) {
		if (e->kind == EF_SET_ADDR)
			e->pfx[e->n] = s->e.pfx[i];
		else
			e->port[e->n] = s->e.port[i];
		e->org[e->n] = (struct rs_origin){
			.file = p->file,
			.line = n->line,
			.col = n->col,
			.elem = elem,
			.via = idx,
		};
		e->n++;
	}
	if (entries_add_part(e, n, idx, first))
		perr(p, n, "out of memory");
}

static void add_value(struct parser *p, const struct rs_ctx *c, const struct ydoc_node *n,
		      struct rs_entries *e)
{
	struct ef_prefix pf;
	struct ef_port_range pr;
	size_t first = e->n;

	if (e->kind == EF_SET_ADDR ? !rs_parse_prefix(p, n, c->what, &pf)
				   : !rs_parse_port_range(p, n, c->what, &pr))
		return;
	if (entries_reserve(e, 1)) {
		perr(p, n, "out of memory");
		return;
	}
	if (e->kind == EF_SET_ADDR)
		e->pfx[e->n] = pf;
	else
		e->port[e->n] = pr;
	e->org[e->n] = (struct rs_origin){
		.file = p->file,
		.line = n->line,
		.col = n->col,
		.elem = p->next_elem++,
		.via = -1,
	};
	e->n++;
	if (!within_limits(p, c, n, e, first, 1)) {
		e->n = first;
		return;
	}
	if (entries_add_part(e, n, -1, first))
		perr(p, n, "out of memory");
}

/* Whether item i of a list repeats an earlier item word for word. */
static bool listed_before(const struct ydoc_node *list, size_t i)
{
	if (list->kind != YDOC_SEQ)
		return false;
	for (size_t j = 0; j < i; j++) {
		const struct ydoc_node *it = list->items[j];

		if (it->kind == YDOC_SCALAR && !strcmp(it->str, list->items[i]->str))
			return true;
	}
	return false;
}

/* Adds each item of a scalar-or-list node. */
static void add_list(struct parser *p, const struct rs_ctx *c, const struct ydoc_node *list,
		     struct rs_entries *e)
{
	size_t count;

	if (!rs_scalar_list(p, list, c->what, &count))
		return;
	for (size_t i = 0; i < count; i++) {
		const struct ydoc_node *it = rs_list_item(list, i);

		if (it->kind != YDOC_SCALAR)
			continue;
		if (it->str[0] == '$' && listed_before(list, i))
			pwarn(p, it, "%s: set '%s' is named twice", c->what, it->str);
		else if (it->str[0] == '$')
			add_set_ref(p, c, it, e);
		else
			add_value(p, c, it, e);
	}
}

/* ---- sets ------------------------------------------------------------ */

static void load_file(struct parser *p, struct rs_set *s, const struct ydoc_node *n)
{
	struct ef_prefix_list l = {};
	const char *path;
	char *buf = NULL;
	size_t len = 0;

	if (rs_read_list_file(p, s->name, n, &path, &buf, &len))
		goto bad;
	if (ef_listfile_parse(path, buf, len, &l, p->d))
		goto bad;
	if (entries_reserve(&s->e, l.n)) {
		perr(p, n, "out of memory loading '%s'", path);
		goto bad;
	}
	for (size_t i = 0; i < l.n; i++) {
		s->e.pfx[s->e.n] = l.v[i];
		/* Lists put entries at the start of the line; the reader
		 * keeps no column. */
		s->e.org[s->e.n] = (struct rs_origin){
			.file = path,
			.line = l.line[i],
			.col = 1,
			.elem = p->next_elem++,
			.via = -1,
		};
		s->e.n++;
	}
	free(buf);
	ef_prefix_list_free(&l);
	return;
bad:
	free(buf);
	ef_prefix_list_free(&l);
	s->bad = true;
}

static void resolve_set(struct parser *p, struct rs_set *s)
{
	char what[EF_SET_NAME_MAX + 8];
	struct rs_ctx c = { .what = what, .field = -1, .in_set = s, .node = s->key };
	const struct ydoc_node *v;
	size_t errors = p->d->errors, count;

	if (s->state != RS_SET_PENDING || !s->kind_ok)
		return;
	s->state = RS_SET_RESOLVING;
	snprintf(what, sizeof(what), "set '%s'", s->name);
	s->e.kind = s->kind;
	v = ydoc_map_get(s->body, s->kind == EF_SET_PORT ? "ports" : "addresses");
	/* An empty inline list is fine in a set: it may be filled later, or
	 * only its files may have entries. */
	if (v && !(v->kind == YDOC_SEQ && !v->n_items))
		add_list(p, &c, v, &s->e);
	v = ydoc_map_get(s->body, "files");
	if (v && rs_scalar_list(p, v, "files", &count)) {
		for (size_t i = 0; i < count; i++) {
			const struct ydoc_node *it = rs_list_item(v, i);

			if (it->kind != YDOC_SCALAR)
				continue;
			if (listed_before(v, i))
				pwarn(p, it, "set '%s': list file '%s' is listed twice", s->name,
				      it->str);
			else
				load_file(p, s, it);
		}
	}
	if (p->d->errors != errors)
		s->bad = true;
	if (!s->bad)
		rs_check_overlaps(p, &c, &s->e);
	s->state = RS_SET_DONE;
}

/* Reads what a set's keys say it is; the entries come later. */
static void define_set(struct parser *p, struct rs_set *s, const struct ydoc_node *key,
		       const struct ydoc_node *body)
{
	static const char *const keys[] = { "addresses", "files", "ports", NULL };
	const struct ydoc_node *ports, *addrs, *files;
	char where[EF_SET_NAME_MAX + 8];

	s->key = key;
	s->body = body;
	if (!rs_valid_name(key->str, EF_SET_NAME_MAX, "-_")) {
		perr(p, key, "set name '%s' is invalid: use 1-%d letters, digits, '-' or '_'",
		     key->str, EF_SET_NAME_MAX - 1);
		s->bad = true;
		return;
	}
	ef_strlcpy(s->name, key->str, sizeof(s->name));
	if (body->kind != YDOC_MAP) {
		perr(p, body,
		     "set '%s' must be a mapping: {addresses: [...], files: [...]} or {ports: [...]}",
		     s->name);
		s->bad = true;
		return;
	}
	if (rs_map_key(body, "dynamic")) {
		rs_define_dynamic_set(p, s, body);
		return;
	}
	snprintf(where, sizeof(where), "set '%s'", s->name);
	rs_check_keys(p, body, where, keys);
	ports = rs_map_key(body, "ports");
	addrs = rs_map_key(body, "addresses");
	files = rs_map_key(body, "files");
	if (ports && (addrs || files)) {
		perr(p, ports,
		     "set '%s' mixes ports with addresses: a set holds one kind; define two sets",
		     s->name);
		s->bad = true;
		return;
	}
	if (!ports && !addrs && !files) {
		perr(p, key, "set '%s' has no entries: give it 'addresses', 'files' or 'ports'",
		     s->name);
		s->bad = true;
		return;
	}
	s->kind = ports ? EF_SET_PORT : EF_SET_ADDR;
	s->kind_ok = true;
}

void rs_parse_sets(struct parser *p, const struct ydoc_node *n)
{
	struct ef_ruleset *rs = p->rs;

	if (!rs_expect_kind(p, n, YDOC_MAP, "sets"))
		return;
	p->sets = calloc(n->n_pairs ? n->n_pairs : 1, sizeof(*p->sets));
	rs->sets = calloc(n->n_pairs ? n->n_pairs : 1, sizeof(*rs->sets));
	if (!p->sets || !rs->sets) {
		perr(p, n, "out of memory for %zu sets", n->n_pairs);
		return;
	}
	p->n_sets = rs->n_sets = n->n_pairs;
	for (size_t i = 0; i < n->n_pairs; i++) {
		struct rs_set *s = &p->sets[i];

		define_set(p, s, n->pairs[i].key, n->pairs[i].value);
		memcpy(rs->sets[i].name, s->name, sizeof(s->name));
		rs->sets[i].line = s->key->line;
		rs->sets[i].col = s->key->col;
		rs->sets[i].kind = s->kind;
	}
	for (size_t i = 0; i < p->n_sets; i++) {
		resolve_set(p, &p->sets[i]);
		rs->sets[i].n_entries = p->sets[i].e.n;
	}
}

void rs_finish_sets(struct parser *p)
{
	for (size_t i = 0; i < p->n_sets; i++) {
		const struct rs_set *s = &p->sets[i];

		if (!s->refs && s->name[0] && !s->bad)
			pwarn(p, s->key, "set '%s' is never used", s->name);
	}
}

void rs_free_sets(struct parser *p)
{
	for (size_t i = 0; i < p->n_sets; i++)
		entries_free(&p->sets[i].e);
	free(p->sets);
	for (size_t i = 0; i < p->n_paths; i++)
		free(p->paths[i]);
	free(p->paths);
	if (p->lists_fd >= 0)
		close(p->lists_fd);
	p->lists_fd = -1;
	p->sets = NULL;
	p->paths = NULL;
	p->n_sets = p->n_paths = 0;
}

/* ---- fields ---------------------------------------------------------- */

/* src, dst, sport, dport: a value or $set, a list of them, or {not: ...}. */
static void build_field(struct parser *p, const struct rs_ctx *c, const struct ydoc_node *n,
			struct rs_entries *e, bool *negate)
{
	static const char *const keys[] = { "not", NULL };
	const struct ydoc_node *list = n;
	size_t errors = p->d->errors;

	if (n->kind == YDOC_MAP) {
		list = ydoc_map_get(n, "not");
		rs_check_keys(p, n, c->what, keys);
		if (!list) {
			perr(p, n,
			     "%s must be a value, a $set, a list of them, or {not: ...}; this mapping has no 'not'",
			     c->what);
			return;
		}
		*negate = true;
		if (list->kind == YDOC_MAP) {
			perr(p, list,
			     "%s: 'not' takes a value or a list, not a mapping (negations do not nest)",
			     c->what);
			return;
		}
	}
	add_list(p, c, list, e);
	if (p->d->errors != errors || !rs_dynamic_field(p, c, e) || e->n_dyn)
		return;
	rs_check_overlaps(p, c, e);
	if (!e->n)
		pwarn(p, n,
		      "%s matches nothing: the sets it names are empty, so the rule can never match",
		      c->what);
}

/* Parses field `which` of `kind` into e; the caller takes the arrays. */
static void parse_field(struct parser *p, const struct ydoc_node *n, enum ef_set_kind kind,
			enum rs_field_idx which, struct rs_entries *e, bool *negate)
{
	static const char *const names[2][2] = { { "src", "dst" }, { "sport", "dport" } };
	struct rs_ctx c = { .what = names[kind][which], .field = which, .node = n };

	e->kind = kind;
	build_field(p, &c, n, e, negate);
}

void rs_parse_addr_field(struct parser *p, const struct ydoc_node *n, enum rs_field_idx which,
			 struct ef_addr_field *f)
{
	struct rs_entries e = { 0 };

	*f = (struct ef_addr_field){ .line = n->line, .col = n->col };
	parse_field(p, n, EF_SET_ADDR, which, &e, &f->negate);
	if (e.n_dyn == 1 && !e.n && !e.n_parts) {
		/* Only the dynamic condition: no static constraint. */
		f->any = true;
		f->dyn_set = e.dyn_set;
		f->dyn_negate = f->negate;
		f->negate = false;
	}
	f->v = e.pfx;
	f->n = e.n;
	f->parts = e.parts;
	f->n_parts = e.n_parts;
	free(e.org);
}

void rs_parse_port_field(struct parser *p, const struct ydoc_node *n, enum rs_field_idx which,
			 struct ef_port_field *f)
{
	struct rs_entries e = { 0 };

	*f = (struct ef_port_field){ .line = n->line, .col = n->col };
	parse_field(p, n, EF_SET_PORT, which, &e, &f->negate);
	f->v = e.port;
	f->n = e.n;
	f->parts = e.parts;
	f->n_parts = e.n_parts;
	free(e.org);
}
