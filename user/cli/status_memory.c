// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "status_memory.h"

#include <stdlib.h>
#include <string.h>

/* Maps named on the text line, the largest first. */
#define LARGEST_SHOWN 5

json_object *ef_status_memory_json(const struct ef_memory *m, const struct ef_ruleset_state *rs)
{
	json_object *o = json_object_new_object(), *gens, *maps;

	json_object_object_add(o, "memlock_bytes", json_object_new_uint64(m->total));
	json_object_object_add(o, "maps_bytes", json_object_new_uint64(m->maps));
	gens = json_object_new_array();
	for (unsigned g = 0; g < EDGEFW_GENERATIONS; g++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "generation", json_object_new_int64(g));
		json_object_object_add(e, "active",
				       json_object_new_boolean(rs->loaded && rs->gen == g));
		json_object_object_add(e, "arrays_bytes", json_object_new_uint64(m->gen[g]));
		json_object_array_add(gens, e);
	}
	json_object_object_add(o, "generations", gens);
	maps = json_object_new_object();
	for (unsigned i = 0; i < m->n_maps; i++)
		json_object_object_add(maps, m->map[i].name,
				       json_object_new_uint64(m->map[i].bytes));
	json_object_object_add(o, "maps", maps);
	return o;
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

static int by_size(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y) - (x > y);
}

void ef_status_memory_print(FILE *f, const struct ef_memory *m, const struct ef_ruleset_state *rs)
{
	/* Bytes in the high bits, the map's index in the low byte: one sort. */
	uint64_t order[EF_MEMORY_MAPS_MAX];

	fprintf(f, "memory     %.1f MiB locked: tables %.1f MiB", mib(m->total), mib(m->maps));
	for (unsigned g = 0; g < EDGEFW_GENERATIONS; g++)
		fprintf(f, ", generation %u's arrays %.1f MiB%s", g, mib(m->gen[g]),
			rs->loaded && rs->gen == g ? " (in force)" : "");
	fprintf(f, "\n");
	for (unsigned i = 0; i < m->n_maps; i++)
		order[i] = m->map[i].bytes << 8 | i;
	qsort(order, m->n_maps, sizeof(*order), by_size);
	fprintf(f, "largest   ");
	for (unsigned i = 0; i < m->n_maps && i < LARGEST_SHOWN; i++)
		fprintf(f, " %s %.1f MiB%s", m->map[order[i] & 0xff].name, mib(order[i] >> 8),
			i + 1 < LARGEST_SHOWN ? "," : "");
	fprintf(f, "\n");
}
