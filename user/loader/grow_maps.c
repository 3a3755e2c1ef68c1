// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "grow_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edgefw.h"
#include "gen_arrays.h"
#include "log.h"
#include "rule_rows.h"

/* Entries copied per syscall. */
#define COPY_BATCH 4096u

const char *ef_grow_map_name(enum ef_grow_map m)
{
	static const char *const names[EF_GROW_COUNT] = {
		"cells_tbl", "class_tbl",  "tnode_tbl",  "tleaf_tbl",   "chain_tbl",   "host6_tbl",
		"ct_tbl",    "ct_new_tbl", "ct4_tbl",    "ct4_new_tbl", "limit_tbl",   "rule_tbl",
		"rule_meta", "log_state",  "rule_carry", "rule_stats",  "limit_stats",
	};

	return names[m];
}

int *ef_grow_map_slot(struct ef_instance *inst, enum ef_grow_map m)
{
	int *const slots[EF_GROW_COUNT] = {
		&inst->maps.cells_tbl,   &inst->maps.class_tbl,   &inst->maps.tnode_tbl,
		&inst->maps.tleaf_tbl,   &inst->maps.chain_tbl,   &inst->maps.host6_tbl,
		&inst->maps.ct_tbl,      &inst->maps.ct_new_tbl,  &inst->maps.ct4_tbl,
		&inst->maps.ct4_new_tbl, &inst->maps.limit_tbl,   &inst->maps.rule_tbl,
		&inst->maps.rule_meta,   &inst->maps.log_state,   &inst->maps.rule_carry,
		&inst->maps.rule_stats,  &inst->maps.limit_stats,
	};

	return slots[m];
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* A map like old (type, key, value, flags) with max_entries entries. */
static int make_like(int old, __u32 max_entries, int inner_fd, int *fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct bpf_map_info info;
	int ret = map_info(old, &info);

	if (ret)
		return ret;
	opts.map_flags = info.map_flags;
	if (inner_fd >= 0)
		opts.inner_map_fd = (__u32)inner_fd;
	*fd = bpf_map_create(info.type, info.name, info.key_size, info.value_size, max_entries,
			     &opts);
	return *fd < 0 ? -errno : 0;
}

/* Every entry of one hash map into another; with only_new, entries the
 * target has already stay as they are. */
static int copy_hash(int from, int to, __u32 key_size, __u32 value_size, bool only_new)
{
	char *keys = calloc(COPY_BATCH, key_size), *vals = calloc(COPY_BATCH, value_size);
	char *prev = calloc(1, key_size), *next = calloc(1, key_size);
	int ret = -ENOMEM;
	size_t n = 0;
	bool first = true;

	if (!keys || !vals || !prev || !next)
		goto out;
	ret = 0;
	while (!bpf_map_get_next_key(from, first ? NULL : prev, next)) {
		first = false;
		memcpy(prev, next, key_size);
		/* Gone between the two calls (an LRU eviction): skip it. */
		if (bpf_map_lookup_elem(from, next, vals + n * value_size))
			continue;
		memcpy(keys + n * key_size, next, key_size);
		if (++n == COPY_BATCH || only_new) {
			/* Entries already there are newer: they stay. */
			for (size_t i = 0; only_new && i < n; i++)
				if (bpf_map_update_elem(to, keys + i * key_size,
							vals + i * value_size, BPF_NOEXIST) &&
				    errno != EEXIST && !ret)
					ret = -errno;
			if (!only_new)
				ret = ef_update_batch(to, keys, vals, n, "grow_copy");
			n = 0;
			if (ret)
				goto out;
		}
	}
	ret = ef_update_batch(to, keys, vals, n, "grow_copy");
out:
	free(keys);
	free(vals);
	free(prev);
	free(next);
	return ret;
}

/* The old array's first n elements into the new one. */
static int copy_array(int from, int to, __u32 value_size, __u32 flags, __u32 old_entries,
		      __u32 new_entries)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys, done = 0, token = 0;
	char *vals;
	int ret = 0;

	if (flags & BPF_F_MMAPABLE) {
		/* Elements 8 bytes apart (gen_arrays.c): one copy. */
		void *src = mmap(NULL, (size_t)old_entries * 8, PROT_READ, MAP_SHARED, from, 0);
		void *dst = mmap(NULL, (size_t)new_entries * 8, PROT_READ | PROT_WRITE, MAP_SHARED,
				 to, 0);

		if (src != MAP_FAILED && dst != MAP_FAILED)
			memcpy(dst, src, (size_t)old_entries * 8);
		else
			ret = -errno;
		if (src != MAP_FAILED)
			munmap(src, (size_t)old_entries * 8);
		if (dst != MAP_FAILED)
			munmap(dst, (size_t)new_entries * 8);
		return ret;
	}
	keys = calloc(COPY_BATCH, sizeof(*keys));
	vals = calloc(COPY_BATCH, value_size);
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (void *in = NULL; done < old_entries && !ret; in = &token) {
		__u32 n = old_entries - done < COPY_BATCH ? old_entries - done : COPY_BATCH;
		int end = bpf_map_lookup_batch(from, in, &token, keys, vals, &n, &opts);

		if (end && errno != ENOENT)
			ret = -errno;
		else if (n)
			ret = ef_update_batch(to, keys, vals, n, "grow_copy");
		done += n;
		if (end || !n)
			break;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

/* Each generation's arrays: their element size and flags (gen_arrays.c). */
static const struct {
	__u32 value_size, flags;
} arrays[] = {
	[EF_GROW_CELLS] = { EDGEFW_CELL_SIZE, BPF_F_MMAPABLE },
	[EF_GROW_CLASSES] = { sizeof(struct edgefw_class_info), 0 },
	[EF_GROW_TNODES] = { sizeof(struct edgefw_tnode), 0 },
	[EF_GROW_TLEAVES] = { sizeof(struct edgefw_tleaf), 0 },
};

/* The active generation's array of outer at the new size, put in the new
 * outer map (which waits for a grace period). */
static int copy_active(int outer, int new_outer, enum ef_grow_map m, __u32 slot, __u32 old_cap,
		       __u32 new_cap)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = arrays[m].flags);
	struct bpf_map_info info;
	int old = -1, fresh = -1, ret;
	__u32 id;

	if (bpf_map_lookup_elem(outer, &slot, &id))
		return errno == ENOENT ? 0 : -errno;
	old = bpf_map_get_fd_by_id(id);
	if (old < 0)
		return -errno;
	ret = map_info(old, &info);
	if (!ret) {
		fresh = bpf_map_create(BPF_MAP_TYPE_ARRAY, info.name, sizeof(__u32),
				       arrays[m].value_size, new_cap, &opts);
		ret = fresh < 0 ? -errno : 0;
	}
	if (!ret)
		ret = copy_array(old, fresh, arrays[m].value_size, arrays[m].flags, old_cap,
				 new_cap);
	if (!ret && bpf_map_update_elem(new_outer, &slot, &fresh, BPF_ANY))
		ret = -errno;
	close(old);
	if (fresh >= 0)
		close(fresh);
	return ret;
}

static int grow_outer(struct ef_instance *inst, enum ef_grow_map m, __u32 old_cap, __u32 new_cap,
		      int active, int *out)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = arrays[m].flags);
	int old = *ef_grow_map_slot(inst, m), tpl, ret;

	tpl = bpf_map_create(BPF_MAP_TYPE_ARRAY, "efw_template", sizeof(__u32),
			     arrays[m].value_size, new_cap, &opts);
	if (tpl < 0)
		return -errno;
	ret = make_like(old, EDGEFW_GENERATIONS, tpl, out);
	close(tpl);
	if (!ret && active >= 0)
		ret = copy_active(old, *out, m, (__u32)active, old_cap, new_cap);
	return ret;
}

static __u32 cap_of(const struct ef_capacity *c, enum ef_grow_map m)
{
	const __u32 v[EF_GROW_COUNT] = {
		c->cells - EDGEFW_L1_CELLS, /* the level-1 tables are not in it */
		c->classes,
		c->tnodes,
		c->tleaves,
		EDGEFW_GENERATIONS * c->chain,
		EDGEFW_GENERATIONS * c->host6,
		c->ct,
		c->ct / 4,
		c->ct,
		c->ct / 4,
		c->limit_slots,
		EDGEFW_GENERATIONS * c->rules,
		EDGEFW_GENERATIONS * c->rules,
		c->rules,
		c->rules,
		c->rules,
		c->rules,
	};

	return v[m];
}

static int grow_one(struct ef_instance *inst, enum ef_grow_map m, const struct ef_capacity *have,
		    const struct ef_capacity *want, int active, int *out)
{
	int old = *ef_grow_map_slot(inst, m);
	struct bpf_map_info info;
	int ret;

	if (m <= EF_GROW_TLEAVES)
		return grow_outer(inst, m, cap_of(have, m), cap_of(want, m), active, out);
	ret = map_info(old, &info);
	/* The rule counters' rows per CPU grow in width, not in count. */
	if (!ret && m == EF_GROW_RULE_STATS) {
		*out = ef_rule_rows_create(cap_of(want, m));
		ret = *out < 0 ? *out : 0;
	} else if (!ret) {
		ret = make_like(old, cap_of(want, m), -1, out);
	}
	/* The idle limit table holds no bucket a program reads: nothing to
	 * carry (a full one never grows). The per-CPU counters start from
	 * zero: what they held is carried once final (catch_up). */
	if (m == EF_GROW_LIMIT || m == EF_GROW_RULE_STATS || m == EF_GROW_LIMIT_STATS)
		return ret;
	/* Keys that do not depend on the size (EDGEFW_RULE_KEY): the old
	 * entries are the new array's first. log_state's windows may miss
	 * a log line's count while both programs run: a rate, not a total. */
	if (!ret && m >= EF_GROW_RULE_TBL)
		return copy_array(old, *out, info.value_size, 0, info.max_entries, cap_of(want, m));
	/* Both generations' entries: the inactive one's are leftovers the
	 * next fill removes anyway. */
	if (!ret)
		ret = copy_hash(old, *out, info.key_size, info.value_size, false);
	return ret;
}

int ef_grow_maps_make(struct ef_instance *inst, const struct ef_capacity *have,
		      const struct ef_capacity *want, int active, struct ef_grown *g)
{
	int ret = 0;

	for (int m = 0; m < EF_GROW_COUNT; m++)
		g->fd[m] = -1;
	for (int m = 0; m < EF_GROW_COUNT && !ret; m++) {
		if (cap_of(have, m) == cap_of(want, m))
			continue;
		ret = grow_one(inst, m, have, want, active, &g->fd[m]);
		if (ret)
			ef_log_err("cannot make %s/%s again with %u entries: %s", inst->dir,
				   ef_grow_map_name(m), cap_of(want, m), strerror(-ret));
	}
	if (ret)
		ef_grown_close(g);
	return ret;
}

/* Entries [0, n) of an array (a per-CPU one's values are ncpu 8-byte
 * aligned copies in a row) into out, value_size bytes each. */
static int read_array(int fd, __u32 n, size_t value_size, char *out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys = calloc(COPY_BATCH, sizeof(*keys)), token = 0, done = 0;
	char *vals = calloc(COPY_BATCH, value_size);
	int ret = keys && vals ? 0 : -ENOMEM;

	for (void *in = NULL; !ret && done < n; in = &token) {
		__u32 got = n - done < COPY_BATCH ? n - done : COPY_BATCH;
		int end = bpf_map_lookup_batch(fd, in, &token, keys, vals, &got, &opts);

		if (end && errno != ENOENT)
			ret = -errno;
		for (__u32 i = 0; !ret && i < got; i++)
			if (keys[i] < n)
				memcpy(out + (size_t)keys[i] * value_size, vals + i * value_size,
				       value_size);
		done += got;
		if (end || !got)
			break;
	}
	free(keys);
	free(vals);
	return ret;
}

/* Adds the per-CPU sums of a counter array's first n entries to sum. */
static int add_counters(int fd, __u32 n, int ncpu, struct edgefw_counter *sum)
{
	struct edgefw_counter *v = calloc((size_t)n * ncpu, sizeof(*v));
	int ret = v ? read_array(fd, n, (size_t)ncpu * sizeof(*v), (char *)v) : -ENOMEM;

	for (size_t i = 0; !ret && i < (size_t)n * ncpu; i++) {
		sum[i / ncpu].packets += v[i].packets;
		sum[i / ncpu].bytes += v[i].bytes;
	}
	free(v);
	return ret;
}

/* The old rule_carry plus what the old per-CPU rule counters hold, into
 * the new rule_carry: no program writes the old counters now, so every
 * packet counted before the swap is counted once, and every one after it
 * in the new counters. */
static int carry_counters(struct ef_instance *inst, const struct ef_grown *g)
{
	int ncpu = libbpf_num_possible_cpus();
	struct edgefw_rule_carry *carry = NULL;
	struct edgefw_counter *rule = NULL, *over = NULL;
	struct bpf_map_info info;
	__u32 *keys = NULL, n = 0;
	int ret = ncpu < 0 ? ncpu : map_info(inst->maps.rule_carry, &info);

	if (!ret) {
		n = info.max_entries;
		carry = calloc(n, sizeof(*carry));
		rule = calloc(n, sizeof(*rule));
		over = calloc(n, sizeof(*over));
		keys = calloc(n, sizeof(*keys));
		ret = carry && rule && over && keys ? 0 : -ENOMEM;
	}
	if (!ret)
		ret = read_array(inst->maps.rule_carry, n, sizeof(*carry), (char *)carry);
	if (!ret)
		ret = ef_rule_rows_read(inst->maps.rule_stats, rule, n);
	if (!ret)
		ret = add_counters(inst->maps.limit_stats, n, ncpu, over);
	for (__u32 s = 0; !ret && s < n; s++) {
		keys[s] = s;
		carry[s].rule.packets += rule[s].packets;
		carry[s].rule.bytes += rule[s].bytes;
		carry[s].over_limit.packets += over[s].packets;
		carry[s].over_limit.bytes += over[s].bytes;
	}
	if (!ret)
		ret = ef_update_batch(g->fd[EF_GROW_RULE_CARRY], keys, carry, n, "grow_carry");
	free(carry);
	free(rule);
	free(over);
	free(keys);
	return ret;
}

void ef_grow_maps_catch_up(struct ef_instance *inst, const struct ef_grown *g)
{
	int ret = 0;

	for (int m = EF_GROW_CT; m <= EF_GROW_CT4_NEW; m++) {
		struct bpf_map_info info;
		int old = *ef_grow_map_slot(inst, m);

		if (g->fd[m] < 0)
			continue;
		if (map_info(old, &info) ||
		    copy_hash(old, g->fd[m], info.key_size, info.value_size, true))
			ef_log_warn(
				"some flows tracked while %s/%s grew may be tracked again from their next packet",
				inst->dir, ef_grow_map_name(m));
	}
	if (g->fd[EF_GROW_RULE_STATS] >= 0)
		ret = carry_counters(inst, g);
	if (ret)
		ef_log_err(
			"cannot carry the rule counters of %s into its grown tables (%s): they restart from what was counted since the growth",
			inst->dir, strerror(-ret));
}

void ef_grown_close(struct ef_grown *g)
{
	for (int m = 0; m < EF_GROW_COUNT; m++) {
		if (g->fd[m] >= 0)
			close(g->fd[m]);
		g->fd[m] = -1;
	}
}
