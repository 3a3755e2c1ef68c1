// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `edgefw stats --watch`: the rates per second between two reads, as
 * tables or one JSON line per refresh; and the labels and row formats the
 * counts (cmd_stats.c) print the same way.
 */
#include "stats_rates.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "duration.h"
#include "jsonout.h"

const char *const ef_stats_decision_key[EDGEFW_ACT_COUNT] = {
	[EDGEFW_ACT_PASS] = "passed",
	[EDGEFW_ACT_DROP] = "dropped",
	[EDGEFW_ACT_REDIRECT] = "redirected",
};

/* Rates are printed with two decimals: more is noise from timing. */
static json_object *rate_json(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.2f", v);
	return json_object_new_double_s(v, buf);
}

/* A counter's change per second; one that went back was reset (its slot
 * given to a new rule or attachment), so it counts from zero. */
static double rate(uint64_t now, uint64_t before, double secs)
{
	return (double)(now >= before ? now - before : now) / secs;
}

json_object *ef_stats_pair_json(json_object *packets, json_object *bytes)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "packets", packets);
	json_object_object_add(o, "bytes", bytes);
	return o;
}

/* Rates are named apart from counts (user/json.md). */
static json_object *rate_pair_json(double packets, double bytes)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "packets_per_second", rate_json(packets));
	json_object_object_add(o, "bytes_per_second", rate_json(bytes));
	return o;
}

void ef_stats_iface_header(const char *unit)
{
	printf("\n%-16s %-10s %12s%-2s %14s%-2s %12s%-2s %14s%-2s %12s%-2s %14s%-2s\n", "INTERFACE",
	       "HOOK", "PASSED", unit, "BYTES", unit, "DROPPED", unit, "BYTES", unit, "REDIRECTED",
	       unit, "BYTES", unit);
}

/* The previous read of a rule: same slot and name, else NULL (new). */
static const struct ef_rule_stat *prev_rule(const struct ef_stats *prev, const size_t *by_slot,
					    const struct ef_rule_stat *r)
{
	const struct ef_rule_stat *p;

	if (r->slot >= EDGEFW_MAX_RULES || !by_slot[r->slot])
		return NULL;
	p = &prev->rules[by_slot[r->slot] - 1];
	return strcmp(p->name, r->name) ? NULL : p;
}

static const struct ef_iface_stat *prev_iface(const struct ef_stats *prev,
					      const struct ef_iface_stat *f)
{
	for (size_t i = 0; i < prev->n_ifaces; i++) {
		const struct ef_iface_stat *p = &prev->ifaces[i];

		if (p->ifindex == f->ifindex && p->hook == f->hook && p->slot == f->slot)
			return p;
	}
	return NULL;
}

static const struct edgefw_counter zero_counter;

/* Two reads secs apart, and how to show the rates between them. */
struct rates {
	const struct ef_stats *prev, *st;
	const size_t *by_slot;
	double secs;
	bool json;
};

static void rates_header(const char *instance, double secs)
{
	time_t now = time(NULL);
	char when[32] = "";

	/* On a terminal, redraw in place; a pipe gets plain lines. */
	if (isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	ef_iso_utc(now, when, sizeof(when));
	printf("instance %s, %s, per second over the last %.2f s\n\n", instance, when, secs);
	printf("%-32s %-8s %14s %16s\n", "RULE", "ACTION", "PACKETS/S", "BYTES/S");
}

/* One row of a rule or a hook's default: printed, or added to arr. */
static void action_rate(const struct rates *x, json_object *arr, const char *key, const char *name,
			uint8_t action, double pk, double by)
{
	json_object *o;

	if (!x->json) {
		printf("%-32s %-8s %14.1f %16.1f\n", name, ef_action_name(action), pk, by);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(name));
	json_object_object_add(o, "action", json_object_new_string(ef_action_name(action)));
	json_object_object_add(o, "packets_per_second", rate_json(pk));
	json_object_object_add(o, "bytes_per_second", rate_json(by));
	json_object_array_add(arr, o);
}

static void rule_rates(const struct rates *x, json_object *arr)
{
	for (size_t i = 0; i < x->st->n_rules; i++) {
		const struct ef_rule_stat *r = &x->st->rules[i];
		const struct ef_rule_stat *p = prev_rule(x->prev, x->by_slot, r);

		action_rate(x, arr, "name", r->name, r->action,
			    rate(r->packets, p ? p->packets : 0, x->secs),
			    rate(r->bytes, p ? p->bytes : 0, x->secs));
	}
}

static void default_rates(const struct rates *x, json_object *arr)
{
	const struct ef_stats *st = x->st, *prev = x->prev;

	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		char label[48];

		if (x->json)
			snprintf(label, sizeof(label), "%s", ef_hook_name(h));
		else
			snprintf(label, sizeof(label), "(default %s)", ef_hook_name(h));
		action_rate(x, arr, "hook", label, st->default_action[h],
			    rate(st->defaults[h].packets, prev->defaults[h].packets, x->secs),
			    rate(st->defaults[h].bytes, prev->defaults[h].bytes, x->secs));
	}
}

static void iface_rates(const struct rates *x, json_object *arr)
{
	if (!x->json)
		ef_stats_iface_header("/s");
	for (size_t i = 0; i < x->st->n_ifaces; i++) {
		const struct ef_iface_stat *f = &x->st->ifaces[i];
		const struct ef_iface_stat *p = prev_iface(x->prev, f);
		json_object *o = NULL;

		if (x->json) {
			o = json_object_new_object();
			json_object_object_add(o, "interface", ef_json_str(f->ifname));
			json_object_object_add(o, "hook",
					       json_object_new_string(ef_hook_name(f->hook)));
		} else {
			printf("%-16s %-10s", f->ifname, ef_hook_name(f->hook));
		}
		for (unsigned a = 0; a < EDGEFW_ACT_COUNT; a++) {
			const struct edgefw_counter *b = p ? &p->act[a] : &zero_counter;
			double pk = rate(f->act[a].packets, b->packets, x->secs);
			double by = rate(f->act[a].bytes, b->bytes, x->secs);

			if (x->json)
				json_object_object_add(o, ef_stats_decision_key[a],
						       rate_pair_json(pk, by));
			else
				printf(" %14.1f %16.1f", pk, by);
		}
		if (x->json)
			json_object_array_add(arr, o);
		else
			printf("\n");
	}
}

static void reason_rates(const struct rates *x, json_object *obj)
{
	if (!x->json)
		printf("\n%-32s %14s %16s\n", "REASON", "PACKETS/S", "BYTES/S");
	for (unsigned r = 0; r < EDGEFW_REASON_COUNT; r++) {
		double pk = rate(x->st->reasons[r].packets, x->prev->reasons[r].packets, x->secs);
		double by = rate(x->st->reasons[r].bytes, x->prev->reasons[r].bytes, x->secs);

		if (x->json)
			json_object_object_add(obj, ef_reason_name(r), rate_pair_json(pk, by));
		else
			printf("%-32s %14.1f %16.1f\n", ef_reason_name(r), pk, by);
	}
}

/* Rates between two reads secs apart, as one JSON line or tables. */
void ef_stats_print_rates(const char *instance, const struct ef_stats *prev,
			  const struct ef_stats *st, const size_t *by_slot,
			  const struct ef_ct_snap *ct_prev, const struct ef_ct_snap *ct,
			  double secs, bool json)
{
	const struct rates x = {
		.prev = prev, .st = st, .by_slot = by_slot, .secs = secs, .json = json
	};
	json_object *root = NULL, *rules = NULL, *defaults = NULL;
	json_object *reasons = NULL, *ifaces = NULL;

	if (json) {
		root = json_object_new_object();
		rules = json_object_new_array();
		defaults = json_object_new_array();
		reasons = json_object_new_object();
		ifaces = json_object_new_array();
		json_object_object_add(root, "instance", json_object_new_string(instance));
		json_object_object_add(root, "seconds", rate_json(secs));
	} else {
		rates_header(instance, secs);
	}
	rule_rates(&x, rules);
	default_rates(&x, defaults);
	iface_rates(&x, ifaces);
	reason_rates(&x, reasons);
	if (json) {
		json_object_object_add(root, "rules", rules);
		json_object_object_add(root, "defaults", defaults);
		json_object_object_add(root, "reasons", reasons);
		json_object_object_add(root, "interfaces", ifaces);
		ef_ct_snap_print(ct_prev, ct, secs, root);
		ef_json_envelope(root, "stats");
		ef_json_print(root, false);
		json_object_put(root);
	} else {
		ef_ct_snap_print(ct_prev, ct, secs, NULL);
		printf("\n");
	}
	/* Readers of a pipe see each refresh as it is made. */
	(void)fflush(stdout);
}
