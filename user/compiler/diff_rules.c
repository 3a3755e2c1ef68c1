// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The structure of a change (diff.h): rules matched by name, moves as the
 * complement of the longest increasing run (O(n log n): 10k rules in
 * milliseconds), fields compared by their canonical lines, set entries by
 * sorted merge, counters by name.
 */
#include "diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"

struct name_idx {
	const char *name;
	int32_t idx;
};

static int cmp_name_idx(const void *a, const void *b)
{
	return strcmp(((const struct name_idx *)a)->name, ((const struct name_idx *)b)->name);
}

/* The index of each rule of rs by name, sorted for bsearch. */
static struct name_idx *index_rules(const struct ef_ruleset *rs)
{
	struct name_idx *v = calloc(rs->n_rules + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < rs->n_rules; i++)
		v[i] = (struct name_idx){ rs->rules[i].name, (int32_t)i };
	qsort(v, rs->n_rules, sizeof(*v), cmp_name_idx);
	return v;
}

static int32_t find_rule(const struct name_idx *v, size_t n, const char *name)
{
	const struct name_idx key = { name, -1 };
	const struct name_idx *hit = bsearch(&key, v, n, sizeof(*v), cmp_name_idx);

	return hit ? hit->idx : -1;
}

static int add_change(struct ef_diff *d, const struct ef_rule_change *c)
{
	struct ef_rule_change *v;

	if (!(d->n_rules & (d->n_rules + 1))) { /* at 0, 1, 3, 7, ...: grow */
		v = realloc(d->rules, (d->n_rules * 2 + 2) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->rules = v;
	}
	d->rules[d->n_rules++] = *c;
	return 0;
}

/* The keys ("dport", "action") whose lines differ between two canonical
 * rule texts, into out. */
static void changed_fields(const char *a, const char *b, char *out, size_t len)
{
	static const char *const keys[] = {
		"hooks",     "interfaces", "src",       "dst",   "proto",    "sport", "dport",
		"icmp-type", "icmp-code",  "tcp-flags", "vlan",  "fragment", "state", "track",
		"action",    "to",         "log",       "limit", "ban",      NULL,
	};
	size_t used = 0;

	out[0] = '\0';
	for (size_t k = 0; keys[k]; k++) {
		char pat[32];
		const char *la, *lb;
		size_t na = 0, nb = 0;

		snprintf(pat, sizeof(pat), "\n    %s: ", keys[k]);
		la = strstr(a, pat);
		lb = strstr(b, pat);
		if (la)
			na = strcspn(la + 1, "\n");
		if (lb)
			nb = strcspn(lb + 1, "\n");
		if (!la && !lb)
			continue;
		if (la && lb && na == nb && !memcmp(la, lb, na + 1))
			continue;
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s",
					 used ? ", " : "", keys[k]);
	}
}

static bool same_limit(const struct ef_rule *a, const struct ef_rule *b)
{
	const struct ef_limit *x = &a->limit, *y = &b->limit;

	return x->on == y->on && x->rate == y->rate && x->period_ns == y->period_ns &&
	       x->burst == y->burst && x->per == y->per && x->bytes == y->bytes;
}

/* Rules in both: kept counters, changed text, limits restarting. */
static int compare_common(const struct ef_ruleset *o, const struct ef_ruleset *n, int32_t old_i,
			  int32_t new_i, bool moved, struct ef_diff *d)
{
	struct ef_rule_change c = {
		.kind = EF_RC_MOVED, .moved = moved, .old_idx = old_i, .new_idx = new_i
	};
	char *ta = NULL, *tb = NULL;
	size_t la, lb;
	int ret;

	d->counters_kept++;
	if (o->rules[old_i].limit.on && !same_limit(&o->rules[old_i], &n->rules[new_i]))
		d->limits_reset++;
	ret = ef_canon_rule(o, (size_t)old_i, &ta, &la);
	if (!ret)
		ret = ef_canon_rule(n, (size_t)new_i, &tb, &lb);
	if (!ret && (la != lb || memcmp(ta, tb, la))) {
		c.kind = EF_RC_CHANGED;
		changed_fields(ta, tb, c.fields, sizeof(c.fields));
		d->n_changed++;
		ret = add_change(d, &c);
	} else if (!ret && moved) {
		d->n_moved++;
		ret = add_change(d, &c);
	}
	free(ta);
	free(tb);
	return ret;
}

/* Marks in keep[] the longest increasing subsequence of seq (patience
 * sorting with predecessor links): the common rules that stay in order. */
static int longest_run(const int32_t *seq, size_t n, bool *keep)
{
	size_t *tail = calloc(n + 1, sizeof(*tail)), *prev = calloc(n + 1, sizeof(*prev));
	size_t len = 0;

	if (!tail || !prev) {
		free(tail);
		free(prev);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = len;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (seq[tail[mid]] < seq[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo ? tail[lo - 1] : SIZE_MAX;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	for (size_t i = len ? tail[len - 1] : SIZE_MAX; i != SIZE_MAX; i = prev[i])
		keep[i] = true;
	free(tail);
	free(prev);
	return 0;
}

static int diff_rules(const struct ef_ruleset *o, const struct ef_ruleset *n, struct ef_diff *d)
{
	struct name_idx *on = index_rules(o), *nn = index_rules(n);
	int32_t *seq = calloc(o->n_rules + 1, sizeof(*seq));
	int32_t *old_of = calloc(o->n_rules + 1, sizeof(*old_of));
	bool *keep = calloc(o->n_rules + 1, sizeof(*keep));
	size_t common = 0;
	int ret = -ENOMEM;

	if (!on || !nn || !seq || !old_of || !keep)
		goto out;
	for (size_t i = 0; i < o->n_rules; i++) {
		int32_t j = find_rule(nn, n->n_rules, o->rules[i].name);

		if (j >= 0) {
			old_of[common] = (int32_t)i;
			seq[common++] = j;
		}
	}
	d->old_of_new = malloc((n->n_rules + 1) * sizeof(*d->old_of_new));
	if (!d->old_of_new)
		goto out;
	for (size_t j = 0; j < n->n_rules; j++)
		d->old_of_new[j] = -1;
	for (size_t k = 0; k < common; k++)
		d->old_of_new[seq[k]] = old_of[k];
	ret = longest_run(seq, common, keep);
	for (size_t k = 0; !ret && k < common; k++)
		ret = compare_common(o, n, old_of[k], seq[k], !keep[k], d);
	for (size_t i = 0; !ret && i < o->n_rules; i++)
		if (find_rule(nn, n->n_rules, o->rules[i].name) < 0) {
			const struct ef_rule_change c = { .kind = EF_RC_REMOVED,
							  .old_idx = (int32_t)i,
							  .new_idx = -1 };
			d->n_removed++;
			d->counters_gone++;
			ret = add_change(d, &c);
		}
	for (size_t j = 0; !ret && j < n->n_rules; j++)
		if (find_rule(on, o->n_rules, n->rules[j].name) < 0) {
			const struct ef_rule_change c = { .kind = EF_RC_ADDED,
							  .old_idx = -1,
							  .new_idx = (int32_t)j };
			d->n_added++;
			d->counters_new++;
			ret = add_change(d, &c);
		}
out:
	free(on);
	free(nn);
	free(seq);
	free(old_of);
	free(keep);
	return ret;
}

/* ---- sets ------------------------------------------------------------- */

static int cmp_pfx(const void *a, const void *b)
{
	return ef_prefix_cmp(a, b);
}

static int cmp_port(const void *a, const void *b)
{
	const struct ef_port_range *x = a, *y = b;

	return x->lo != y->lo   ? (x->lo < y->lo ? -1 : 1)
	       : x->hi != y->hi ? (x->hi < y->hi ? -1 : 1)
				: 0;
}

/* Sorted copies of both sides' entries, then one merge: what only one
 * side has goes to *only_a / *only_b. */
static int merge_delta(const void *a, size_t na, const void *b, size_t nb, size_t size,
		       int (*cmp)(const void *, const void *), void **only_a, size_t *n_only_a,
		       void **only_b, size_t *n_only_b)
{
	char *sa = malloc(na * size + 1), *sb = malloc(nb * size + 1);
	char *oa = malloc(na * size + 1), *ob = malloc(nb * size + 1);
	size_t i = 0, j = 0;

	*n_only_a = *n_only_b = 0;
	if (!sa || !sb || !oa || !ob) {
		free(sa), free(sb), free(oa), free(ob);
		return -ENOMEM;
	}
	if (na)
		memcpy(sa, a, na * size);
	if (nb)
		memcpy(sb, b, nb * size);
	qsort(sa, na, size, cmp);
	qsort(sb, nb, size, cmp);
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : cmp(sa + i * size, sb + j * size);

		if (c < 0)
			memcpy(oa + (*n_only_a)++ * size, sa + i++ * size, size);
		else if (c > 0)
			memcpy(ob + (*n_only_b)++ * size, sb + j++ * size, size);
		else
			i++, j++;
	}
	free(sa);
	free(sb);
	*only_a = oa;
	*only_b = ob;
	return 0;
}

static int set_delta(const struct ef_ruleset *o, const struct ef_ruleset *n, int32_t oi, int32_t ni,
		     struct ef_set_delta *sd)
{
	const struct ef_prefix *pa = NULL, *pb = NULL;
	const struct ef_port_range *ra = NULL, *rb = NULL;
	const struct ef_set *so = oi >= 0 ? &o->sets[oi] : NULL;
	const struct ef_set *sn = ni >= 0 ? &n->sets[ni] : NULL;
	size_t na = 0, nb = 0;
	void *x = NULL, *y = NULL;
	int ret;

	memset(sd, 0, sizeof(*sd));
	snprintf(sd->name, sizeof(sd->name), "%s", (so ? so : sn)->name);
	sd->old_idx = oi;
	sd->new_idx = ni;
	sd->dynamic = (so ? so : sn)->dynamic;
	if (sd->dynamic) {
		sd->settings_changed =
			so && sn && (so->timeout_ns != sn->timeout_ns || so->size != sn->size);
		return 0;
	}
	if (so)
		ef_canon_set_entries(o, (size_t)oi, &pa, &ra, &na);
	if (sn)
		ef_canon_set_entries(n, (size_t)ni, &pb, &rb, &nb);
	sd->n_old = na;
	sd->n_new = nb;
	if ((so ? so : sn)->kind == EF_SET_ADDR) {
		ret = merge_delta(pa, na, pb, nb, sizeof(*pa), cmp_pfx, &x, &sd->removed, &y,
				  &sd->added);
		sd->pfx_removed = x;
		sd->pfx_added = y;
	} else {
		ret = merge_delta(ra, na, rb, nb, sizeof(*ra), cmp_port, &x, &sd->removed, &y,
				  &sd->added);
		sd->port_removed = x;
		sd->port_added = y;
	}
	return ret;
}

static int32_t find_set(const struct ef_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_sets; i++)
		if (!strcmp(rs->sets[i].name, name))
			return (int32_t)i;
	return -1;
}

static bool delta_matters(const struct ef_set_delta *sd)
{
	return sd->old_idx < 0 || sd->new_idx < 0 || sd->added || sd->removed ||
	       sd->settings_changed;
}

static int diff_sets(const struct ef_ruleset *o, const struct ef_ruleset *n, struct ef_diff *d)
{
	d->sets = calloc(o->n_sets + n->n_sets + 1, sizeof(*d->sets));
	if (!d->sets)
		return -ENOMEM;
	for (size_t k = 0; k < o->n_sets + n->n_sets; k++) {
		bool from_old = k < o->n_sets;
		const char *name = from_old ? o->sets[k].name : n->sets[k - o->n_sets].name;
		int32_t oi = find_set(o, name), ni = find_set(n, name);
		struct ef_set_delta *sd = &d->sets[d->n_sets];

		if (!from_old && oi >= 0)
			continue; /* seen from the old side */
		if (set_delta(o, n, oi, ni, sd))
			return -ENOMEM;
		if (delta_matters(sd))
			d->n_sets++;
		else
			free(sd->pfx_added), free(sd->pfx_removed), free(sd->port_added),
				free(sd->port_removed);
	}
	return 0;
}

int ef_diff_rulesets(const struct ef_ruleset *old, const struct ef_ruleset *new_rs,
		     const struct ef_diff_opts *o, struct ef_diff *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	ret = diff_rules(old, new_rs, d);
	if (!ret)
		ret = diff_sets(old, new_rs, d);
	if (!ret)
		ret = ef_diff_verdicts(old, new_rs, o, d);
	if (ret)
		ef_diff_free(d);
	return ret;
}

void ef_diff_free(struct ef_diff *d)
{
	for (size_t i = 0; i < d->n_sets; i++) {
		free(d->sets[i].pfx_added);
		free(d->sets[i].pfx_removed);
		free(d->sets[i].port_added);
		free(d->sets[i].port_removed);
	}
	free(d->sets);
	free(d->rules);
	free(d->groups);
	free(d->old_of_new);
	memset(d, 0, sizeof(*d));
}
