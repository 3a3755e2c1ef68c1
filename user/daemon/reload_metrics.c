// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Metrics of reloads (a duration histogram, the last error's time) and of
 * the instance's capacity and use, apart from metrics.c's families. */
#include <inttypes.h>
#include <stdio.h>

#include "capacity_floor.h"
#include "daemon.h"
#include "edgefw.h"

/* Upper bounds of the reload-duration buckets, seconds: a small ruleset
 * reloads in tens of milliseconds, ClassBench-sized ones in seconds. */
static const double bounds[EFD_RELOAD_BUCKETS] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

void efd_reload_observe(struct efd *d, double secs, bool ok)
{
	struct efd_reloads *r = &d->reloads;

	for (int i = 0; i < EFD_RELOAD_BUCKETS; i++)
		if (secs <= bounds[i])
			r->duration_buckets[i]++;
	r->duration_count++;
	r->duration_sum += secs;
	if (!ok)
		r->last_error = time(NULL);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void efd_metrics_render_reloads(FILE *f, const struct efd *d)
{
	const struct efd_reloads *r = &d->reloads;

	header(f, "edgefw_reload_duration_seconds", "histogram",
	       "How long reloads took (compile, switch, attach), successful or not.");
	for (int i = 0; i < EFD_RELOAD_BUCKETS; i++)
		fprintf(f, "edgefw_reload_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			bounds[i], r->duration_buckets[i]);
	fprintf(f, "edgefw_reload_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
		r->duration_count);
	fprintf(f, "edgefw_reload_duration_seconds_sum %.6f\n", r->duration_sum);
	fprintf(f, "edgefw_reload_duration_seconds_count %" PRIu64 "\n", r->duration_count);
	header(f, "edgefw_last_reload_error_timestamp_seconds", "gauge",
	       "When a reload last failed (Unix time; 0: never). The failures are counted in edgefw_reloads_total{result=\"failure\"}.");
	fprintf(f, "edgefw_last_reload_error_timestamp_seconds %lld\n",
		(long long)(r->last_error > 0 ? r->last_error : 0));
}

static void cap_use(FILE *f, const char *what, uint64_t cap, uint64_t used)
{
	fprintf(f, "edgefw_capacity{resource=\"%s\"} %" PRIu64 "\n", what, cap);
	fprintf(f, "edgefw_usage{resource=\"%s\"} %" PRIu64 "\n", what, used);
}

void efd_metrics_render_capacity(FILE *f, const struct efd *d, const struct ef_capacity *cap,
				 size_t n_rules, size_t n_attached)
{
	header(f, "edgefw_capacity", "gauge",
	       "Entries the instance has room for, per resource (the ruleset-sized maps: per generation, sized from the ruleset and daemon.capacity, grown by a reload that needs more).");
	header(f, "edgefw_usage", "gauge", "Entries the ruleset in force uses, per resource.");
	for (int r = 0; cap && r < EF_CAP_COUNT; r++)
		cap_use(f, ef_cap_json_key((enum ef_cap_res)r),
			ef_capacity_get(cap, (enum ef_cap_res)r),
			ef_needs_get(&d->used, (enum ef_cap_res)r));
	cap_use(f, "rules", EDGEFW_MAX_RULES, n_rules);
	cap_use(f, "attachments", EDGEFW_MAX_ATTACH, n_attached);
}
