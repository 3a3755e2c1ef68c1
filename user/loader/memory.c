// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "memory.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int ef_map_memlock(int fd, uint64_t *bytes)
{
	char path[64], line[128];
	int ret = -ENODATA;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, bytes) == 1) {
			ret = 0;
			break;
		}
	(void)fclose(f); /* read only: nothing to lose */
	return ret;
}

/* Adds the memlock of the map in slot gen of a map-in-map (a lookup gives
 * the inner map's id, not a descriptor); an empty slot adds nothing. */
static int add_inner(int outer, __u32 gen, uint64_t *sum)
{
	uint64_t bytes = 0;
	__u32 id;
	int fd, ret;

	if (bpf_map_lookup_elem(outer, &gen, &id))
		return errno == ENOENT ? 0 : -errno;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0) /* freed between the lookup and here */
		return errno == ENOENT ? 0 : -errno;
	ret = ef_map_memlock(fd, &bytes);
	close(fd);
	*sum += bytes;
	return ret;
}

static int add_gen(const struct ef_instance *inst, __u32 gen, uint64_t *sum)
{
	const int outer[] = { inst->maps.cells_tbl, inst->maps.class_tbl, inst->maps.tnode_tbl,
			      inst->maps.tleaf_tbl };
	int ret = 0;

	for (size_t i = 0; i < sizeof(outer) / sizeof(*outer) && !ret; i++)
		ret = add_inner(outer[i], gen, sum);
	return ret;
}

int ef_instance_memory(const struct ef_instance *inst, struct ef_memory *m)
{
	const char *failed = "";
	uint64_t bytes;
	int ret = 0;

	memset(m, 0, sizeof(*m));
#define EF_MAP_MEMORY(mname)                                    \
	if (!ret && m->n_maps < EF_MEMORY_MAPS_MAX) {           \
		bytes = 0;                                      \
		ret = ef_map_memlock(inst->maps.mname, &bytes); \
		failed = #mname;                                \
		m->map[m->n_maps].name = #mname;                \
		m->map[m->n_maps++].bytes = bytes;              \
		m->maps += bytes;                               \
	}
	EF_PINNED_MAPS(EF_MAP_MEMORY)
#undef EF_MAP_MEMORY
	for (__u32 g = 0; g < EDGEFW_GENERATIONS && !ret; g++) {
		failed = "the generation's arrays";
		ret = add_gen(inst, g, &m->gen[g]);
	}
	if (ret) {
		ef_log_err("cannot read the memory of %s (%s): %s", inst->dir, failed,
			   strerror(-ret));
		return ret;
	}
	m->total = m->maps;
	for (__u32 g = 0; g < EDGEFW_GENERATIONS; g++)
		m->total += m->gen[g];
	return 0;
}
