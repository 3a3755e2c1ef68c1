// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Printing a diff (diff_print.h). */
#include "diff_print.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "jsonout.h"
#include "rules_names.h"

static const char *const kind_word[] = { "added", "removed", "changed", "moved" };

static void entry_text(const struct ef_set_delta *sd, bool added, size_t i, char *buf, size_t len)
{
	const struct ef_prefix *p = added ? sd->pfx_added : sd->pfx_removed;
	const struct ef_port_range *r = added ? sd->port_added : sd->port_removed;

	if (p)
		ef_prefix_format(&p[i], buf, len);
	else if (r[i].lo == r[i].hi)
		snprintf(buf, len, "%u", r[i].lo);
	else
		snprintf(buf, len, "%u-%u", r[i].lo, r[i].hi);
}

static const char *rule_name(const struct ef_diff_view *v, const struct ef_rule_change *c)
{
	return c->new_idx >= 0 ? v->new_rs->rules[c->new_idx].name : v->old->rules[c->old_idx].name;
}

static void text_rules(const struct ef_diff_view *v)
{
	const struct ef_diff *d = v->d;
	static const char mark[] = { '+', '-', '~', '^' };
	size_t shown = 0;

	printf("rules: %zu -> %zu: %zu added, %zu removed, %zu changed, %zu moved\n",
	       v->old->n_rules, v->new_rs->n_rules, d->n_added, d->n_removed, d->n_changed,
	       d->n_moved);
	for (size_t i = 0; i < d->n_rules && shown < v->max_lines; i++, shown++) {
		const struct ef_rule_change *c = &d->rules[i];

		printf("  %c %s: %s", mark[c->kind], rule_name(v, c), kind_word[c->kind]);
		if (c->kind == EF_RC_CHANGED)
			printf(" (%s)%s", c->fields, c->moved ? ", moved" : "");
		if (c->kind == EF_RC_MOVED || c->moved)
			printf(", position %d -> %d", c->old_idx + 1, c->new_idx + 1);
		else if (c->kind == EF_RC_ADDED)
			printf(" at position %d", c->new_idx + 1);
		printf("\n");
	}
	if (d->n_rules > shown)
		printf("  ... and %zu more (--max-changes N, or --json)\n", d->n_rules - shown);
}

static void text_sets(const struct ef_diff_view *v)
{
	const struct ef_diff *d = v->d;
	char e[64];

	if (!d->n_sets)
		printf("sets: no membership change\n");
	for (size_t i = 0; i < d->n_sets; i++) {
		const struct ef_set_delta *sd = &d->sets[i];

		printf("set %s: ", sd->name);
		if (sd->old_idx < 0 || sd->new_idx < 0) {
			printf("%s\n", sd->old_idx < 0 ? "new" : "gone");
			continue;
		}
		if (sd->dynamic) {
			printf("dynamic: timeout or size changed (entries kept, copied into the new size)\n");
			continue;
		}
		printf("%zu -> %zu entries, %zu added, %zu removed", sd->n_old, sd->n_new,
		       sd->added, sd->removed);
		for (size_t k = 0; k < sd->added && k < EF_DIFF_SET_FIRST; k++) {
			entry_text(sd, true, k, e, sizeof(e));
			printf("%s+%s", k ? ", " : ": ", e);
		}
		for (size_t k = 0; k < sd->removed && k < EF_DIFF_SET_FIRST; k++) {
			entry_text(sd, false, k, e, sizeof(e));
			printf("%s-%s", k || sd->added ? ", " : ": ", e);
		}
		printf("\n");
	}
}

/* KiB rounded up on each side; the change is of the bytes, rounded to
 * the nearest KiB, so a change under 512 bytes shows as +0. */
static void text_memory(const struct ef_diff_tables *a, const struct ef_diff_tables *b)
{
	long long ka = (long long)(a->memory + 1023) / 1024;
	long long kb = (long long)(b->memory + 1023) / 1024;
	long long delta = (long long)b->memory - (long long)a->memory;

	printf("memory %lld KiB -> %lld KiB (%+lld KiB, estimated)", ka, kb,
	       (delta + (delta < 0 ? -512 : 512)) / 1024);
}

static void text_tables(const struct ef_diff_view *v)
{
	const struct ef_diff_tables *a = &v->t_old, *b = &v->t_new;

	printf("counters: %zu rules keep their counters, %zu start from zero, %zu go away; %zu limits restart their buckets\n",
	       v->d->counters_kept, v->d->counters_new, v->d->counters_gone, v->d->limits_reset);
	printf("tables: ");
	text_memory(a, b);
	printf("; cells %zu -> %zu; classes %zu -> %zu; chain rules %zu -> %zu; tree rules %zu -> %zu; tree nodes %zu -> %zu; tree leaves %zu -> %zu%s\n",
	       a->cells, b->cells, a->classes, b->classes, a->chain_rules, b->chain_rules,
	       a->tree_rules, b->tree_rules, a->tnodes, b->tnodes, a->tleaves, b->tleaves,
	       a->from_instance ? " (in force: as the instance recorded them at load)" : "");
}

static void text_verdicts(const struct ef_diff_view *v)
{
	const struct ef_diff *d = v->d;
	char from[128], to[128], pkt[256];

	if (!d->changed_packets)
		printf("verdicts: no verdict change (%zu packets probed in %zu changed regions)\n",
		       d->probes, d->regions);
	else
		printf("verdicts: %zu packet(s) change verdict or deciding rule (of %zu probed in %zu changed regions):\n",
		       d->changed_packets, d->probes, d->regions);
	for (size_t i = 0; i < d->n_groups && i < v->max_lines; i++) {
		const struct ef_verdict_group *g = &d->groups[i];

		ef_outcome_format(&g->from, from, sizeof(from));
		ef_outcome_format(&g->to, to, sizeof(to));
		printf("  %s -> %s: %zu packet%s\n", from, to, g->packets,
		       g->packets == 1 ? "" : "s");
		for (size_t k = 0; k < g->n_ex; k++) {
			struct ef_packet p = g->ex[k];

			p.ifname = g->ex_ifname[k][0] ? g->ex_ifname[k] : NULL;
			ef_flow_format(&p, pkt, sizeof(pkt));
			printf("    %s: %s -> %s\n", pkt, from, to);
		}
	}
	if (d->n_groups > v->max_lines || d->groups_dropped)
		printf("  ... and more groups (--json lists %d)\n", EF_DIFF_GROUPS_MAX);
	if (d->budget_hit)
		printf("  budget reached: %zu of %zu regions probed, so there may be more\n",
		       d->regions_probed, d->regions);
	if (d->partners_cut)
		printf("  coverage bound: %zu moved rule(s) crossed more than %d rules; only the first %d were probed with each, so there may be more\n",
		       d->partners_cut, EF_DIFF_PARTNERS_MAX, EF_DIFF_PARTNERS_MAX);
	if (d->entries_cut)
		printf("  coverage bound: %zu probed field(s) had more than %d entries; only the first %d had their edges probed, so there may be more\n",
		       d->entries_cut, EF_DIFF_ENTRIES_MAX, EF_DIFF_ENTRIES_MAX);
}

void ef_diff_print_text(const struct ef_diff_view *v)
{
	printf("edgefw %s: %s -> %s\n", v->command, v->old_label, v->new_label);
	text_rules(v);
	text_sets(v);
	text_tables(v);
	text_verdicts(v);
	printf("time: %.2f s (reading both and comparing %.2f s, beside the compilation%s for the tables)\n",
	       v->total_s, v->diff_s, v->t_old.from_instance ? " of NEW" : "s");
}

/* ---- JSON --------------------------------------------------------------- */

static struct json_object *rules_json(const struct ef_diff_view *v)
{
	struct json_object *o = json_object_new_object(), *lists[4];

	json_object_object_add(o, "old", json_object_new_uint64(v->old->n_rules));
	json_object_object_add(o, "new", json_object_new_uint64(v->new_rs->n_rules));
	for (int k = 0; k < 4; k++)
		lists[k] = json_object_new_array();
	for (size_t i = 0; i < v->d->n_rules; i++) {
		const struct ef_rule_change *c = &v->d->rules[i];
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "name", ef_json_str(rule_name(v, c)));
		json_object_object_add(r, "old_position",
				       c->old_idx < 0 ? NULL : json_object_new_int(c->old_idx + 1));
		json_object_object_add(r, "new_position",
				       c->new_idx < 0 ? NULL : json_object_new_int(c->new_idx + 1));
		if (c->kind == EF_RC_CHANGED) {
			struct json_object *f = json_object_new_array();
			char buf[sizeof(c->fields)], *save = NULL;

			snprintf(buf, sizeof(buf), "%s", c->fields);
			for (char *t = strtok_r(buf, ", ", &save); t;
			     t = strtok_r(NULL, ", ", &save))
				json_object_array_add(f, json_object_new_string(t));
			json_object_object_add(r, "fields", f);
			json_object_object_add(r, "moved", json_object_new_boolean(c->moved));
		}
		json_object_array_add(lists[c->kind], r);
	}
	for (int k = 0; k < 4; k++)
		json_object_object_add(o, kind_word[k], lists[k]);
	return o;
}

static struct json_object *entries_json(const struct ef_set_delta *sd, bool added)
{
	struct json_object *a = json_object_new_array();
	size_t n = added ? sd->added : sd->removed;
	char e[64];

	for (size_t k = 0; k < n && k < EF_DIFF_SET_FIRST; k++) {
		entry_text(sd, added, k, e, sizeof(e));
		json_object_array_add(a, json_object_new_string(e));
	}
	return a;
}

static struct json_object *sets_json(const struct ef_diff_view *v)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < v->d->n_sets; i++) {
		const struct ef_set_delta *sd = &v->d->sets[i];
		struct json_object *o = json_object_new_object();
		const char *status = sd->old_idx < 0   ? "added"
				     : sd->new_idx < 0 ? "removed"
						       : "changed";

		json_object_object_add(o, "name", json_object_new_string(sd->name));
		json_object_object_add(o, "status", json_object_new_string(status));
		json_object_object_add(o, "dynamic", json_object_new_boolean(sd->dynamic));
		json_object_object_add(o, "old_entries", json_object_new_uint64(sd->n_old));
		json_object_object_add(o, "new_entries", json_object_new_uint64(sd->n_new));
		json_object_object_add(o, "entries_added", json_object_new_uint64(sd->added));
		json_object_object_add(o, "entries_removed", json_object_new_uint64(sd->removed));
		json_object_object_add(o, "first_added", entries_json(sd, true));
		json_object_object_add(o, "first_removed", entries_json(sd, false));
		json_object_array_add(arr, o);
	}
	return arr;
}

#define N_TABLE_FIGURES 7

/* The figures a side's tables have, by their JSON names. */
static void table_figures(const struct ef_diff_tables *t, struct ef_json_u64 v[N_TABLE_FIGURES])
{
	const struct ef_json_u64 f[N_TABLE_FIGURES] = {
		{ "memory_bytes", t->memory },   { "cells", t->cells },
		{ "classes", t->classes },       { "chain_rules", t->chain_rules },
		{ "tree_rules", t->tree_rules }, { "tree_nodes", t->tnodes },
		{ "tree_leaves", t->tleaves },
	};

	memcpy(v, f, sizeof(f));
}

static struct json_object *tables_json(const struct ef_diff_tables *t)
{
	struct ef_json_u64 v[N_TABLE_FIGURES];
	struct json_object *o = json_object_new_object();

	table_figures(t, v);
	ef_json_add_u64s(o, v, N_TABLE_FIGURES);
	json_object_object_add(o, "source",
			       json_object_new_string(t->from_instance ? "instance" : "compiled"));
	return o;
}

/* NEW minus OLD, for each figure tables_json gives. */
static struct json_object *tables_change_json(const struct ef_diff_tables *a,
					      const struct ef_diff_tables *b)
{
	struct ef_json_u64 old[N_TABLE_FIGURES], new[N_TABLE_FIGURES];
	struct json_object *o = json_object_new_object();

	table_figures(a, old);
	table_figures(b, new);
	for (size_t i = 0; i < N_TABLE_FIGURES; i++)
		json_object_object_add(
			o, old[i].key,
			json_object_new_int64((int64_t) new[i].value - (int64_t)old[i].value));
	return o;
}

static struct json_object *outcome_json(const struct ef_outcome *oc)
{
	static const char *const by[] = { "rule", "default", "fragments_policy" };
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "action", json_object_new_string(ef_action_name(oc->action)));
	json_object_object_add(o, "by", json_object_new_string(oc->by < 3 ? by[oc->by] : "?"));
	json_object_object_add(o, "rule", oc->by == EF_BY_RULE ? ef_json_str(oc->rule) : NULL);
	return o;
}

static struct json_object *packet_json(const struct ef_packet *p, const char *ifname)
{
	struct json_object *o = json_object_new_object();
	const char *proto = ef_name_of(ef_proto_names, p->l4proto);
	char a[INET6_ADDRSTRLEN] = "?", text[256];
	struct ef_packet q = *p;
	int af = p->family == EF_AF_INET ? AF_INET : AF_INET6;
	bool ports = p->has_ports && p->frag != EDGEFW_FRAG_LATER;

	q.ifname = ifname[0] ? ifname : NULL;
	ef_flow_format(&q, text, sizeof(text));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "family",
			       json_object_new_string(af == AF_INET ? "ipv4" : "ipv6"));
	json_object_object_add(o, "protocol",
			       proto ? json_object_new_string(proto)
				     : json_object_new_int(p->l4proto));
	inet_ntop(af, p->saddr, a, sizeof(a));
	json_object_object_add(o, "src", json_object_new_string(a));
	inet_ntop(af, p->daddr, a, sizeof(a));
	json_object_object_add(o, "dst", json_object_new_string(a));
	json_object_object_add(o, "sport", ports ? json_object_new_int(p->sport) : NULL);
	json_object_object_add(o, "dport", ports ? json_object_new_int(p->dport) : NULL);
	json_object_object_add(o, "hook", json_object_new_string(ef_hook_name(p->hook)));
	json_object_object_add(o, "interface", q.ifname ? ef_json_str(q.ifname) : NULL);
	return o;
}

static struct json_object *verdicts_json(const struct ef_diff *d)
{
	struct json_object *o = json_object_new_object(), *groups = json_object_new_array();

	json_object_object_add(o, "changed", json_object_new_boolean(d->changed_packets > 0));
	json_object_object_add(o, "packets", json_object_new_uint64(d->changed_packets));
	json_object_object_add(o, "probes", json_object_new_uint64(d->probes));
	json_object_object_add(o, "regions", json_object_new_uint64(d->regions));
	json_object_object_add(o, "regions_probed", json_object_new_uint64(d->regions_probed));
	json_object_object_add(o, "complete",
			       json_object_new_boolean(!d->budget_hit && !d->groups_dropped &&
						       !d->partners_cut && !d->entries_cut));
	json_object_object_add(o, "moved_rules_partners_cut",
			       json_object_new_uint64(d->partners_cut));
	json_object_object_add(o, "fields_entries_cut", json_object_new_uint64(d->entries_cut));
	for (size_t i = 0; i < d->n_groups; i++) {
		const struct ef_verdict_group *g = &d->groups[i];
		struct json_object *go = json_object_new_object(), *ex = json_object_new_array();

		json_object_object_add(go, "from", outcome_json(&g->from));
		json_object_object_add(go, "to", outcome_json(&g->to));
		json_object_object_add(go, "packets", json_object_new_uint64(g->packets));
		for (size_t k = 0; k < g->n_ex; k++)
			json_object_array_add(ex, packet_json(&g->ex[k], g->ex_ifname[k]));
		json_object_object_add(go, "examples", ex);
		json_object_array_add(groups, go);
	}
	json_object_object_add(o, "groups", groups);
	return o;
}

void ef_diff_print_json(const struct ef_diff_view *v)
{
	struct json_object *root = json_object_new_object(), *t = json_object_new_object();
	struct json_object *c = json_object_new_object();

	json_object_object_add(root, "old", ef_json_str(v->old_label));
	json_object_object_add(root, "new", ef_json_str(v->new_label));
	json_object_object_add(root, "rules", rules_json(v));
	json_object_object_add(root, "sets", sets_json(v));
	json_object_object_add(c, "kept", json_object_new_uint64(v->d->counters_kept));
	json_object_object_add(c, "new", json_object_new_uint64(v->d->counters_new));
	json_object_object_add(c, "gone", json_object_new_uint64(v->d->counters_gone));
	json_object_object_add(c, "limits_reset", json_object_new_uint64(v->d->limits_reset));
	json_object_object_add(root, "counters", c);
	json_object_object_add(t, "old", tables_json(&v->t_old));
	json_object_object_add(t, "new", tables_json(&v->t_new));
	json_object_object_add(t, "change", tables_change_json(&v->t_old, &v->t_new));
	json_object_object_add(root, "tables", t);
	json_object_object_add(root, "verdict_changes", verdicts_json(v->d));
	json_object_object_add(root, "seconds", json_object_new_double(v->total_s));
	ef_json_envelope(root, v->command);
	ef_json_print(root, true);
	json_object_put(root);
}
