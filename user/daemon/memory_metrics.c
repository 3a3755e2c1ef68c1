// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The instance's locked kernel memory as Prometheus metrics. */
#include <inttypes.h>
#include <stdio.h>

#include "daemon.h"
#include "memory.h"

void efd_metrics_render_memory(FILE *f, const struct ef_memory *m,
			       const struct ef_ruleset_state *rs)
{
	fprintf(f,
		"# HELP edgefw_memlock_bytes Kernel memory the instance's maps lock, as the kernel accounts it (fdinfo memlock): part=\"tables\" for the maps every generation shares, part=\"generation\" for one generation's own arrays (the previous generation's are released right after a reload).\n"
		"# TYPE edgefw_memlock_bytes gauge\n");
	fprintf(f,
		"edgefw_memlock_bytes{part=\"tables\",generation=\"\",active=\"\"} %" PRIu64 "\n",
		m->maps);
	for (unsigned g = 0; g < EDGEFW_GENERATIONS; g++)
		fprintf(f,
			"edgefw_memlock_bytes{part=\"generation\",generation=\"%u\",active=\"%s\"} %" PRIu64
			"\n",
			g, rs->loaded && rs->gen == g ? "true" : "false", m->gen[g]);
	fprintf(f,
		"# HELP edgefw_map_memlock_bytes Kernel memory each pinned map of the instance locks.\n"
		"# TYPE edgefw_map_memlock_bytes gauge\n");
	for (unsigned i = 0; i < m->n_maps; i++)
		fprintf(f, "edgefw_map_memlock_bytes{map=\"%s\"} %" PRIu64 "\n", m->map[i].name,
			m->map[i].bytes);
}
