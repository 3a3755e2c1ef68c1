// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The dynamic sets' counters and sizes, for stats and metrics (issue 16).
 * Counting entries walks the tries: two system calls per entry. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "dynsets.h"

static const char *const names[EDGEFW_DSTAT_COUNT] = {
	[EDGEFW_DSTAT_MATCH] = "matches",
	[EDGEFW_DSTAT_EXPIRED] = "expired_hits",
	[EDGEFW_DSTAT_BAN] = "bans",
	[EDGEFW_DSTAT_BAN_FAIL] = "ban_failures",
};

const char *ef_dyn_stat_name(unsigned what)
{
	return what < EDGEFW_DSTAT_COUNT ? names[what] : "?";
}

static int read_one(struct ef_instance *inst, struct edgefw_counter *buf, int ncpu,
		    const char *name, struct ef_dynset_stat *out)
{
	struct ef_dynset s;
	size_t live = 0, expired = 0;
	int ret = ef_dynset_open(inst, name, &s);

	if (ret)
		return ret;
	memcpy(out->name, s.meta.name, sizeof(out->name));
	out->size = s.meta.size;
	out->timeout_ns = s.meta.timeout_ns;
	ret = ef_dynset_count(&s, &live, &expired);
	out->entries = live;
	out->expired = expired;
	for (unsigned w = 0; w < EDGEFW_DSTAT_COUNT && !ret; w++) {
		__u32 idx = s.slot * EDGEFW_DSTAT_COUNT + w;

		if (bpf_map_lookup_elem(inst->maps.dyn_stats, &idx, buf)) {
			ret = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out->counters[w] += buf[c].packets;
	}
	ef_dynset_close(&s);
	return ret;
}

int ef_stats_read_dynsets(struct ef_instance *inst, struct edgefw_counter *buf, int ncpu,
			  struct ef_stats *st)
{
	char set_names[EDGEFW_MAX_DYNSETS][EDGEFW_DYNSET_NAME_MAX];
	size_t n = 0;
	int ret = ef_dynset_names(inst, set_names, &n);

	if (ret || !n)
		return ret;
	st->sets = calloc(n, sizeof(*st->sets));
	if (!st->sets)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++)
		ret = read_one(inst, buf, ncpu, set_names[i], &st->sets[st->n_sets++]);
	return ret;
}
