// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The canonical YAML of a ruleset (canon.h). One writer serves two sinks:
 * a growing buffer (show, the copy stored with each generation) and a
 * running FNV-1a 64 (the hash every parse computes), so hashing a ruleset
 * with 100k-entry sets costs no copy of its text.
 */
#include "canon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "rules_names.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

struct cw {
	bool hash_only;
	uint64_t h;
	char *buf;
	size_t len, cap;
	int err;
	size_t preview; /* 0: every set entry */
};

static void cw_put(struct cw *w, const char *s, size_t n)
{
	if (w->hash_only) {
		for (size_t i = 0; i < n; i++)
			w->h = (w->h ^ (uint8_t)s[i]) * FNV_PRIME;
		return;
	}
	if (w->err)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *b;

		while (cap < w->len + n + 1)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (!b) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void cw_str(struct cw *w, const char *s)
{
	cw_put(w, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void cw_fmt(struct cw *w, const char *fmt, ...)
{
	char b[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n > 0)
		cw_put(w, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

/* A YAML double-quoted string: names and patterns may hold '\' and '"'. */
static void cw_quoted(struct cw *w, const char *s)
{
	cw_put(w, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			cw_put(w, "\\", 1);
		cw_put(w, s, 1);
	}
	cw_put(w, "\"", 1);
}

static void cw_prefix(struct cw *w, const struct ef_prefix *p)
{
	char b[64];

	ef_prefix_format(p, b, sizeof(b));
	cw_quoted(w, b);
}

static void cw_port(struct cw *w, const struct ef_port_range *r)
{
	if (r->lo == r->hi)
		cw_fmt(w, "%u", r->lo);
	else
		cw_fmt(w, "%u-%u", r->lo, r->hi);
}

/* ---- sets ------------------------------------------------------------- */

/* A static set's entries, as the first rule field naming it holds them
 * (the parser expands a set into every field that names it, in order). */
struct set_src {
	bool used;
	const struct ef_prefix *pfx;
	const struct ef_port_range *port;
	size_t n;
};

static void find_addr_sets(const struct ef_addr_field *f, struct set_src *s)
{
	for (size_t i = 0; i < f->n_parts; i++) {
		const struct ef_field_part *pt = &f->parts[i];

		if (pt->set >= 0 && !s[pt->set].used)
			s[pt->set] = (struct set_src){ true, f->v + pt->first, NULL, pt->n };
	}
}

static void find_port_sets(const struct ef_port_field *f, struct set_src *s)
{
	for (size_t i = 0; i < f->n_parts; i++) {
		const struct ef_field_part *pt = &f->parts[i];

		if (pt->set >= 0 && !s[pt->set].used)
			s[pt->set] = (struct set_src){ true, NULL, f->v + pt->first, pt->n };
	}
}

bool ef_canon_set_entries(const struct ef_ruleset *rs, size_t set, const struct ef_prefix **pfx,
			  const struct ef_port_range **port, size_t *n)
{
	struct set_src src[1] = { 0 };

	*pfx = NULL;
	*port = NULL;
	*n = 0;
	if (set >= rs->n_sets)
		return false;
	/* find_*_sets index by set: a one-element view around `set`. */
	for (size_t i = 0; i < rs->n_rules && !src[0].used; i++) {
		const struct ef_rule *r = &rs->rules[i];
		const struct ef_field_part *pts[4] = { r->src.parts, r->dst.parts, r->sport.parts,
						       r->dport.parts };
		const size_t np[4] = { r->src.n_parts, r->dst.n_parts, r->sport.n_parts,
				       r->dport.n_parts };

		for (int f = 0; f < 4 && !src[0].used; f++)
			for (size_t k = 0; k < np[f]; k++) {
				if (pts[f][k].set != (int32_t)set)
					continue;
				src[0].used = true;
				src[0].n = pts[f][k].n;
				if (f < 2)
					src[0].pfx = (f ? r->dst.v : r->src.v) + pts[f][k].first;
				else
					src[0].port = (f == 3 ? r->dport.v : r->sport.v) +
						      pts[f][k].first;
				break;
			}
	}
	*pfx = src[0].pfx;
	*port = src[0].port;
	*n = src[0].n;
	return src[0].used;
}

size_t ef_canon_set_first(const struct ef_ruleset *rs, size_t set, size_t max, char (*out)[48])
{
	const struct ef_prefix *pfx;
	const struct ef_port_range *pr;
	size_t n = 0, have;

	ef_canon_set_entries(rs, set, &pfx, &pr, &have);
	for (; n < have && n < max; n++) {
		if (pfx)
			ef_prefix_format(&pfx[n], out[n], sizeof(out[n]));
		else if (pr[n].lo == pr[n].hi)
			snprintf(out[n], sizeof(out[n]), "%u", pr[n].lo);
		else
			snprintf(out[n], sizeof(out[n]), "%u-%u", pr[n].lo, pr[n].hi);
	}
	return n;
}

static void emit_dynamic_set(struct cw *w, const struct ef_set *s)
{
	char d[32];

	cw_fmt(w, "  %s:\n    dynamic: true\n    type: address\n", s->name);
	if (s->timeout_ns) {
		ef_format_duration(s->timeout_ns, d, sizeof(d));
		cw_fmt(w, "    timeout: %s\n", d);
	}
	cw_fmt(w, "    size: %u\n", s->size);
}

static void emit_static_set(struct cw *w, const struct ef_set *s, const struct set_src *src)
{
	size_t shown = src->n;

	cw_fmt(w, "  %s:\n    %s:", s->name, s->kind == EF_SET_ADDR ? "addresses" : "ports");
	if (!src->n) {
		cw_str(w, " []\n");
		return;
	}
	cw_str(w, "\n");
	if (w->preview && shown > w->preview)
		shown = w->preview;
	for (size_t i = 0; i < shown; i++) {
		cw_str(w, "      - ");
		if (src->pfx)
			cw_prefix(w, &src->pfx[i]);
		else
			cw_port(w, &src->port[i]);
		cw_str(w, "\n");
	}
	if (shown < src->n)
		cw_fmt(w,
		       "      # ... and %zu more of %zu entries (edgefw show --full lists them)\n",
		       src->n - shown, src->n);
}

static int emit_sets(struct cw *w, const struct ef_ruleset *rs)
{
	struct set_src *src = calloc(rs->n_sets ? rs->n_sets : 1, sizeof(*src));
	bool any = false;

	if (!src)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		find_addr_sets(&r->src, src);
		find_addr_sets(&r->dst, src);
		find_port_sets(&r->sport, src);
		find_port_sets(&r->dport, src);
	}
	for (size_t i = 0; i < rs->n_sets; i++) {
		const struct ef_set *s = &rs->sets[i];

		if (!s->dynamic && !src[i].used)
			continue;
		if (!any)
			cw_str(w, "sets:\n");
		any = true;
		if (s->dynamic)
			emit_dynamic_set(w, s);
		else
			emit_static_set(w, s, &src[i]);
	}
	free(src);
	return 0;
}

/* ---- rules ------------------------------------------------------------ */

static void emit_parts_open(struct cw *w, const char *key, bool negate)
{
	cw_fmt(w, "    %s: %s[", key, negate ? "{not: " : "");
}

static void emit_parts_close(struct cw *w, bool negate)
{
	cw_str(w, negate ? "]}\n" : "]\n");
}

static void emit_prefix_at(struct cw *w, const void *v, size_t k)
{
	cw_prefix(w, &((const struct ef_prefix *)v)[k]);
}

static void emit_port_at(struct cw *w, const void *v, size_t k)
{
	cw_port(w, &((const struct ef_port_range *)v)[k]);
}

/* A field's parts in order, sets by name and values by elem, in the
 * flow list that emit_parts_open starts. */
static void emit_parts(struct cw *w, const struct ef_ruleset *rs, const char *key, bool negate,
		       const struct ef_field_part *parts, size_t n_parts, const void *v,
		       void (*elem)(struct cw *, const void *, size_t))
{
	bool first = true;

	emit_parts_open(w, key, negate);
	for (size_t i = 0; i < n_parts; i++) {
		const struct ef_field_part *pt = &parts[i];

		if (pt->set >= 0) {
			cw_fmt(w, "%s$%s", first ? "" : ", ", rs->sets[pt->set].name);
			first = false;
			continue;
		}
		for (size_t k = pt->first; k < pt->first + pt->n; k++) {
			cw_str(w, first ? "" : ", ");
			elem(w, v, k);
			first = false;
		}
	}
	emit_parts_close(w, negate);
}

static void emit_addr_field(struct cw *w, const struct ef_ruleset *rs, const char *key,
			    const struct ef_addr_field *f)
{
	if (f->dyn_set) {
		const char *name = rs->sets[f->dyn_set - 1].name;

		if (f->dyn_negate)
			cw_fmt(w, "    %s: {not: $%s}\n", key, name);
		else
			cw_fmt(w, "    %s: $%s\n", key, name);
	}
	if (f->any)
		return;
	emit_parts(w, rs, key, f->negate, f->parts, f->n_parts, f->v, emit_prefix_at);
}

static void emit_port_field(struct cw *w, const struct ef_ruleset *rs, const char *key,
			    const struct ef_port_field *f)
{
	if (f->any)
		return;
	emit_parts(w, rs, key, f->negate, f->parts, f->n_parts, f->v, emit_port_at);
}

static void emit_hooks(struct cw *w, uint8_t hooks)
{
	bool first = true;

	if (hooks == EF_HOOKS_ALL)
		return;
	cw_str(w, "    hooks: [");
	for (unsigned h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		if (!(hooks >> h & 1))
			continue;
		cw_fmt(w, "%s%s", first ? "" : ", ", ef_hook_name(h));
		first = false;
	}
	cw_str(w, "]\n");
}

static void emit_ifaces(struct cw *w, const struct ef_rule *r)
{
	if (!r->n_ifaces)
		return;
	cw_str(w, "    interfaces: [");
	for (size_t i = 0; i < r->n_ifaces; i++) {
		cw_str(w, i ? ", " : "");
		cw_quoted(w, r->ifaces[i]);
	}
	cw_str(w, "]\n");
}

static void emit_proto(struct cw *w, const struct ef_rule *r)
{
	bool first = true;

	if (r->proto_any)
		return;
	cw_str(w, "    proto: [");
	for (unsigned p = 0; p < 256; p++) {
		const char *name;

		if (!ef_rule_has_proto(r, (uint8_t)p))
			continue;
		name = ef_name_of(ef_proto_names, p);
		cw_str(w, first ? "" : ", ");
		if (name)
			cw_str(w, name);
		else
			cw_fmt(w, "%u", p);
		first = false;
	}
	cw_str(w, "]\n");
}

static void emit_l4(struct cw *w, const struct ef_rule *r)
{
	static const char *const frag[] = { "", "no", "first", "later", "yes" };

	if (r->icmp_type >= 0)
		cw_fmt(w, "    icmp-type: %d\n", r->icmp_type);
	if (r->icmp_code >= 0)
		cw_fmt(w, "    icmp-code: %d\n", r->icmp_code);
	if (r->tcp_flags_mask) {
		bool first = true;

		cw_str(w, "    tcp-flags: [");
		for (size_t i = 0; ef_tcp_flag_names[i].name; i++) {
			uint8_t bit = ef_tcp_flag_names[i].num;

			if (!(r->tcp_flags_mask & bit))
				continue;
			cw_fmt(w, "%s\"%s%s\"", first ? "" : ", ",
			       r->tcp_flags_value & bit ? "" : "!", ef_tcp_flag_names[i].name);
			first = false;
		}
		cw_str(w, "]\n");
	}
	if (r->vlan == EF_VLAN_UNTAGGED)
		cw_str(w, "    vlan: none\n");
	else if (r->vlan != EF_VLAN_ANY)
		cw_fmt(w, "    vlan: %d\n", r->vlan);
	if (r->frag != EF_FRAG_ANY && r->frag < sizeof(frag) / sizeof(*frag))
		cw_fmt(w, "    fragment: %s\n", frag[r->frag]);
}

static void emit_state(struct cw *w, const struct ef_rule *r)
{
	bool first = true;

	if (r->states) {
		cw_str(w, "    state: [");
		for (unsigned s = 0; s < EDGEFW_CT_STATES; s++) {
			if (!(r->states >> s & 1))
				continue;
			cw_fmt(w, "%s%s", first ? "" : ", ", ef_ct_state_name(s));
			first = false;
		}
		cw_str(w, "]\n");
	}
	if (r->track != EF_TRACK_DEFAULT)
		cw_fmt(w, "    track: %s\n", r->track ? "true" : "false");
}

static void emit_limit_ban(struct cw *w, const struct ef_ruleset *rs, const struct ef_rule *r)
{
	static const char *const per[] = { "src", "dst", "sport", "dport" };
	const struct ef_limit *l = &r->limit;
	char d[32];

	if (l->on) {
		bool first = true;
		const char *unit = l->period_ns >= 3600000000000ull ? "h"
				   : l->period_ns >= 60000000000ull ? "m"
								    : "s";

		cw_fmt(w, "    limit: {rate: %llu/%s, burst: %llu", (unsigned long long)l->rate,
		       unit, (unsigned long long)l->burst);
		if (l->per) {
			cw_str(w, ", per: [");
			for (unsigned b = 0; b < 4; b++)
				if (l->per >> b & 1) {
					cw_fmt(w, "%s%s", first ? "" : ", ", per[b]);
					first = false;
				}
			cw_str(w, "]");
		}
		cw_str(w, l->bytes ? ", unit: bytes}\n" : "}\n");
	}
	if (r->ban.set) {
		cw_fmt(w, "    ban: {set: %s", rs->sets[r->ban.set - 1].name);
		ef_format_duration(r->ban.timeout_ns, d, sizeof(d));
		cw_fmt(w, ", timeout: %s}\n", d);
	}
}

static void emit_rule(struct cw *w, const struct ef_ruleset *rs, const struct ef_rule *r)
{
	cw_str(w, "  - name: ");
	cw_quoted(w, r->name);
	cw_str(w, "\n");
	emit_hooks(w, r->hooks);
	emit_ifaces(w, r);
	emit_addr_field(w, rs, "src", &r->src);
	emit_addr_field(w, rs, "dst", &r->dst);
	emit_proto(w, r);
	emit_port_field(w, rs, "sport", &r->sport);
	emit_port_field(w, rs, "dport", &r->dport);
	emit_l4(w, r);
	emit_state(w, r);
	cw_fmt(w, "    action: %s\n", ef_action_name(r->action));
	if (r->action == EDGEFW_ACT_REDIRECT) {
		cw_str(w, "    to: ");
		cw_quoted(w, r->redirect_ifname);
		cw_str(w, "\n");
	}
	if (r->log)
		cw_str(w, "    log: true\n");
	emit_limit_ban(w, rs, r);
}

static void emit_defaults(struct cw *w, const struct ef_ruleset *rs)
{
	static const char *const fragpol[] = { "rules", "pass", "drop" };

	cw_str(w, "version: 1\ndefaults:\n");
	for (unsigned h = 0; h < EDGEFW_HOOK_COUNT; h++)
		cw_fmt(w, "  %s: %s\n", ef_hook_name(h), ef_action_name(rs->default_action[h]));
	cw_fmt(w, "  non-ip: %s\n", ef_action_name(rs->non_ip_action));
	cw_fmt(w, "  malformed: %s\n", ef_action_name(rs->malformed_action));
	cw_fmt(w, "  encap-overflow: %s\n", ef_action_name(rs->encap_overflow_action));
	cw_fmt(w, "  fragments: %s\n", rs->frag_policy < 3 ? fragpol[rs->frag_policy] : "rules");
	cw_fmt(w, "  ipv6-ext-overflow: %s\n", ef_action_name(rs->ext_overflow_action));
}

static int emit(struct cw *w, const struct ef_ruleset *rs)
{
	int ret;

	emit_defaults(w, rs);
	ret = emit_sets(w, rs);
	if (ret)
		return ret;
	if (!rs->n_rules)
		cw_str(w, "rules: []\n");
	else
		cw_str(w, "rules:\n");
	for (size_t i = 0; i < rs->n_rules; i++)
		emit_rule(w, rs, &rs->rules[i]);
	return w->err;
}

int ef_canon_text(const struct ef_ruleset *rs, const struct ef_canon_opts *o, char **text,
		  size_t *len)
{
	struct cw w = { .preview = o ? o->set_preview : 0 };
	int ret = emit(&w, rs);

	if (ret) {
		free(w.buf);
		return ret;
	}
	*text = w.buf;
	*len = w.len;
	return 0;
}

int ef_canon_rule(const struct ef_ruleset *rs, size_t idx, char **text, size_t *len)
{
	struct cw w = { 0 };

	if (idx >= rs->n_rules)
		return -EINVAL;
	emit_rule(&w, rs, &rs->rules[idx]);
	if (w.err) {
		free(w.buf);
		return w.err;
	}
	*text = w.buf;
	*len = w.len;
	return 0;
}

int ef_canon_hash(const struct ef_ruleset *rs, uint64_t *hash)
{
	struct cw w = { .hash_only = true, .h = FNV_OFFSET };
	int ret = emit(&w, rs);

	if (!ret)
		*hash = w.h;
	return ret;
}
