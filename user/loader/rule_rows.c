// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rule counters' rows per CPU (rule_rows.h). */
#include "rule_rows.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* The section kern/maps.h puts the rows' bound in. */
#define RULE_ROWS_SECTION ".rodata.rules"
#define LINE 64u

__u32 ef_rule_rows_value_size(__u32 slots)
{
	__u32 bytes = (slots ? slots : 1) * (__u32)sizeof(struct edgefw_counter);

	return (bytes + LINE - 1) / LINE * LINE;
}

static int possible_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : -EINVAL;
}

int ef_rule_rows_size(struct bpf_map *rule_stats, __u32 slots)
{
	int ncpu = possible_cpus(), ret;

	if (ncpu < 0)
		return ncpu;
	ret = bpf_map__set_max_entries(rule_stats, (__u32)ncpu);
	if (!ret)
		ret = bpf_map__set_value_size(rule_stats, ef_rule_rows_value_size(slots));
	return ret;
}

int ef_rule_rows_create(__u32 slots)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	int ncpu = possible_cpus(), fd;

	if (ncpu < 0)
		return ncpu;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rule_stats", sizeof(__u32),
			    ef_rule_rows_value_size(slots), (__u32)ncpu, &opts);
	return fd < 0 ? -errno : fd;
}

int ef_rule_rows_bound(struct bpf_object *obj, __u32 slots)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, RULE_ROWS_SECTION);

	if (!m)
		return -ENOENT;
	return bpf_map__set_initial_value(m, &slots, sizeof(slots));
}

/* The array's rows, mapped (*len bytes) with prot; *rows the slots in a
 * row, *ncpu the rows. */
static void *map_rows(int fd, int prot, size_t *len, __u32 *rows, __u32 *ncpu)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.value_size % sizeof(struct edgefw_counter)) {
		errno = EINVAL;
		return NULL;
	}
	*len = (size_t)info.value_size * info.max_entries;
	*rows = info.value_size / (__u32)sizeof(struct edgefw_counter);
	*ncpu = info.max_entries;
	p = mmap(NULL, *len, prot, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Slots [first, first + n) summed over the CPUs into out[0..n). */
static int sum_rows(int fd, __u32 first, __u32 n, struct edgefw_counter *out)
{
	const volatile struct edgefw_counter *c;
	__u32 rows, ncpu;
	size_t len;

	c = map_rows(fd, PROT_READ, &len, &rows, &ncpu);
	if (!c)
		return -errno;
	memset(out, 0, (size_t)n * sizeof(*out));
	/* A CPU's row at a time: in address order. */
	for (__u32 cpu = 0; cpu < ncpu; cpu++) {
		const volatile struct edgefw_counter *row = &c[(size_t)cpu * rows];

		for (__u32 i = 0; i < n && first + i < rows; i++) {
			out[i].packets += row[first + i].packets;
			out[i].bytes += row[first + i].bytes;
		}
	}
	munmap((void *)c, len);
	return first + n <= rows ? 0 : -ERANGE;
}

int ef_rule_rows_read(int fd, struct edgefw_counter *out, __u32 n)
{
	return sum_rows(fd, 0, n, out);
}

int ef_rule_rows_slot(int fd, __u32 slot, struct edgefw_counter *out)
{
	return sum_rows(fd, slot, 1, out);
}

int ef_rule_rows_zero(int fd, __u32 slot)
{
	volatile struct edgefw_counter *c;
	__u32 rows, ncpu;
	size_t len;

	c = map_rows(fd, PROT_READ | PROT_WRITE, &len, &rows, &ncpu);
	if (!c)
		return -errno;
	for (__u32 cpu = 0; cpu < ncpu && slot < rows; cpu++) {
		c[(size_t)cpu * rows + slot].packets = 0;
		c[(size_t)cpu * rows + slot].bytes = 0;
	}
	munmap((void *)c, len);
	return slot < rows ? 0 : -ERANGE;
}
