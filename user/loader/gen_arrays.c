// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A generation's own arrays: the cells (address tries, dense chain
 * stages), the chain classes and the decision trees' nodes and leaves.
 * Each is a new array of the instance's fixed size (the verifier inlines
 * lookups into inner arrays only when they all have one size), filled
 * while no packet can see it, then put in the generation's slot of its
 * map-in-map. Every such update waits for an RCU grace period, so the tree
 * slots are only touched when a ruleset has trees or the slot still holds
 * an older generation's.
 */
#include "gen_arrays.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault.h"
#include "hot.h"
#include "l1.h"
#include "slot_ops.h"
#include "log.h"

int ef_update_batch(int fd, const void *keys, const void *vals, size_t n, const char *site)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = (__u32)n;

	if (!n)
		return 0;
	if (ef_fault(site) || bpf_map_update_batch(fd, keys, vals, &count, &opts))
		return -errno;
	return count == n ? 0 : -EIO;
}

/* The mmapable cells array of fd (entries elements of EDGEFW_CELL_SIZE
 * bytes) as 32-bit words, two per element, or NULL with errno set. */
static __u32 *map_cells(int fd, size_t entries, const char *site)
{
	void *cells;

	if (ef_fault(site))
		return NULL;
	cells = mmap(NULL, entries * EDGEFW_CELL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return cells == MAP_FAILED ? NULL : cells;
}

int ef_mmap_write(int fd, size_t entries, size_t first, const __u32 *values, size_t n,
		  const char *site)
{
	size_t len = entries * EDGEFW_CELL_SIZE;
	__u32 *cells = map_cells(fd, entries, site);

	if (!cells)
		return -errno;
	for (size_t i = 0; i < n; i++)
		cells[(first + i) * 2] = values[i];
	munmap(cells, len);
	return 0;
}

int ef_mmap_write_hi(int fd, size_t entries, size_t base, const struct ef_cell_hi *hi, size_t n,
		     const char *site)
{
	size_t len = entries * EDGEFW_CELL_SIZE;
	__u32 *cells;

	if (!n)
		return 0;
	cells = map_cells(fd, entries, site);
	if (!cells)
		return -errno;
	/* Little-endian: the upper half is the element's second word. */
	for (size_t i = 0; i < n; i++)
		if (hi[i].idx >= base && hi[i].idx - base < entries)
			cells[(hi[i].idx - base) * 2 + 1] = hi[i].hi;
	munmap(cells, len);
	return 0;
}

static int create_array(const char *name, __u32 value_size, size_t entries, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	int fd = ef_fault("map_create");

	if (!fd)
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), value_size,
				    (__u32)(entries ? entries : 1), &opts);

	if (fd < 0) {
		fd = -errno;
		ef_log_err("cannot create map %s with %zu entries: %s", name, entries,
			   strerror(-fd));
	}
	return fd;
}

static int too_small(const char *what, size_t need, __u32 cap)
{
	ef_log_err(
		"the ruleset needs %zu %s; this instance holds %u and could not grow (see above): detach it from every interface and attach it again with the new rules",
		need, what, cap);
	return -E2BIG;
}

/* The cells past the level-1 tables (edgefw.h, EDGEFW_L1_CELLS; l1.c
 * writes those), cell i at index i - EDGEFW_L1_CELLS, then the copies of
 * the level-1 cells with an upper half (EDGEFW_L1_FULL). */
static int make_cells(const struct ef_compiled *c, __u32 cap)
{
	size_t entries = cap - EDGEFW_L1_CELLS, need = c->n_cells + ef_l1_extra(c);
	int fd, ret;

	if (need > cap)
		return too_small("table cells", need, cap);
	fd = create_array("efw_cells", EDGEFW_CELL_SIZE, entries, BPF_F_MMAPABLE);
	if (fd < 0)
		return fd;
	ret = ef_mmap_write(fd, entries, 0, c->cells + EDGEFW_L1_CELLS,
			    c->n_cells - EDGEFW_L1_CELLS, "cells_mmap");
	if (!ret)
		ret = ef_mmap_write_hi(fd, entries, EDGEFW_L1_CELLS, c->cells_hi, c->n_cells_hi,
				       "cells_mmap");
	if (!ret)
		ret = ef_l1_write_extra(fd, entries, c);
	if (ret) {
		ef_log_err("cannot fill efw_cells: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* An array of n values of size bytes each at keys 0..n-1. */
static int make_filled(const char *name, __u32 size, const void *vals, size_t n, __u32 cap,
		       const char *site)
{
	__u32 *keys = calloc(n + 1, sizeof(*keys));
	int fd = -ENOMEM, ret;

	if (!keys)
		return fd;
	fd = create_array(name, size, cap, 0);
	if (fd < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		keys[i] = (__u32)i;
	ret = ef_update_batch(fd, keys, vals, n, site);
	if (ret) {
		ef_log_err("cannot fill %s: %s", name, strerror(-ret));
		close(fd);
		fd = ret;
	}
out:
	free(keys);
	return fd;
}

/* The classes array, and the first classes in the hot window (hot.h). */
static int make_classes(const struct ef_instance *inst, __u32 gen, const struct ef_compiled *c,
			const struct edgefw_verdict *verdicts, __u32 cap)
{
	struct edgefw_class_info *vals;
	int fd;

	if (c->n_classes > cap)
		return too_small("classes", c->n_classes, cap);
	vals = calloc(c->n_classes + 1, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_classes; i++) {
		vals[i].miss = c->classes[i].miss;
		if (c->classes[i].rule >= 0)
			vals[i].verdict = verdicts[c->classes[i].rule];
		else if (c->classes[i].min_rule < EDGEFW_MAX_RULES && i >= c->held_lo &&
			 i < c->held_hi)
			/* Before the conditions' stage: the rule when they
			 * all hold (EDGEFW_DYN_HELD). */
			vals[i].verdict = verdicts[c->classes[i].min_rule];
		else if (c->classes[i].min_rule < EDGEFW_MAX_RULES)
			/* No match yet: the lowest rule still possible, for
			 * chain_class's early exit (kern/classifier.h). */
			vals[i].verdict.rule = (__u16)c->classes[i].min_rule;
	}
	fd = ef_hot_classes_write(inst, gen, vals, c->n_classes);
	if (!fd)
		fd = make_filled("efw_classes", sizeof(*vals), vals, c->n_classes, cap,
				 "classes_update");
	free(vals);
	return fd;
}

/* The slot changes of generation gen, made at once (slot_ops.h). Each
 * fd is -1 to empty its slot, or -2 to leave it alone. */
struct gen_slots {
	int cells, classes, tnodes, tleaves;
};

/* The ops that change generation gen's slots to s: how many in ops. */
static size_t plan_slots(struct ef_instance *inst, __u32 gen, const struct gen_slots *s,
			 const char *site, struct ef_slot_op *ops, const char **what)
{
	const struct {
		int outer, fd;
		const char *what;
	} want[] = {
		{ inst->maps.cells_tbl, s->cells, "cells" },
		{ inst->maps.class_tbl, s->classes, "classes" },
		{ inst->maps.tnode_tbl, s->tnodes, "tree nodes" },
		{ inst->maps.tleaf_tbl, s->tleaves, "tree leaves" },
	};
	size_t n = 0;

	for (size_t i = 0; i < 4; i++) {
		/* Emptying a slot that holds nothing would only wait. */
		if (want[i].fd == -2 || (want[i].fd == -1 && !ef_slot_used(want[i].outer, gen)))
			continue;
		ops[n] = (struct ef_slot_op){ want[i].outer, gen, want[i].fd, site, 0 };
		what[n++] = want[i].what;
	}
	return n;
}

static void report_slots(const struct ef_instance *inst, __u32 gen, const char *doing,
			 const struct ef_slot_op *ops, const char *const *what, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].err) {
			ef_log_err("cannot %s generation %u's %s in %s: %s", doing, gen, what[i],
				   inst->dir, strerror(-ops[i].err));
			break;
		}
}

/* The trees' arrays, or -1 in both when the ruleset has none. */
static int make_trees(const struct ef_compiled *c, const struct edgefw_instance_info *info,
		      int *nodes, int *leaves)
{
	*nodes = *leaves = -1;
	if (!c->n_trees)
		return 0;
	if (c->n_tnodes > info->tnodes_cap)
		return too_small("tree nodes", c->n_tnodes, info->tnodes_cap);
	if (c->n_tleaves > info->tleaves_cap)
		return too_small("tree leaf entries", c->n_tleaves, info->tleaves_cap);
	*nodes = make_filled("efw_tnodes", sizeof(*c->tnodes), c->tnodes, c->n_tnodes,
			     info->tnodes_cap, "tnodes_update");
	if (*nodes < 0)
		return *nodes;
	*leaves = make_filled("efw_tleaves", sizeof(*c->tleaves), c->tleaves, c->n_tleaves,
			      info->tleaves_cap, "tleaves_update");
	return *leaves < 0 ? *leaves : 0;
}

static void close_all(const struct gen_slots *s)
{
	const int fds[] = { s->cells, s->classes, s->tnodes, s->tleaves };

	for (size_t i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int make_all(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c,
		    const struct edgefw_verdict *verdicts, struct gen_slots *s)
{
	struct edgefw_instance_info info;
	__u32 zero = 0;
	int ret;

	if (ef_fault("info_read") || bpf_map_lookup_elem(inst->maps.instance_info, &zero, &info)) {
		ret = -errno;
		ef_log_err("cannot read %s/instance_info: %s", inst->dir, strerror(-ret));
		return ret;
	}
	s->cells = make_cells(c, info.cells_cap);
	ret = s->cells < 0 ? s->cells : 0;
	if (!ret) {
		s->classes = make_classes(inst, gen, c, verdicts, info.classes_cap);
		ret = s->classes < 0 ? s->classes : 0;
	}
	if (!ret)
		ret = make_trees(c, &info, &s->tnodes, &s->tleaves);
	return ret;
}

int ef_gen_arrays_begin(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c,
			const struct edgefw_verdict *verdicts, struct ef_gen_install *in)
{
	struct gen_slots s = { -1, -1, -1, -1 };
	int ret = make_all(inst, gen, c, verdicts, &s);

	memset(in, 0, sizeof(*in));
	in->gen = gen;
	/* Without trees, -1 empties what an older generation left there. */
	if (!ret) {
		in->n = plan_slots(inst, gen, &s, "inner_install", in->ops, in->what);
		ret = ef_slot_ops_start(in->ops, in->n, &in->pending);
		in->started = !ret;
	}
	/* The outer maps take their own references as the updates land;
	 * until then the threads use these fds, closed by end. */
	in->fds[0] = s.cells;
	in->fds[1] = s.classes;
	in->fds[2] = s.tnodes;
	in->fds[3] = s.tleaves;
	if (ret)
		ef_gen_arrays_end(inst, in);
	return ret;
}

int ef_gen_arrays_end(struct ef_instance *inst, struct ef_gen_install *in)
{
	const struct gen_slots s = { in->fds[0], in->fds[1], in->fds[2], in->fds[3] };
	int ret = 0;

	if (in->started) {
		ret = ef_slot_ops_finish(&in->pending);
		report_slots(inst, in->gen, "install", in->ops, in->what, in->n);
		in->started = false;
	}
	close_all(&s);
	memset(in->fds, 0xff, sizeof(in->fds));
	return ret;
}

int ef_gen_arrays_release(struct ef_instance *inst, __u32 gen, struct ef_slot_op *extra)
{
	const struct gen_slots empty = { -1, -1, -1, -1 };
	struct ef_slot_op ops[5];
	const char *what[4];
	size_t n = plan_slots(inst, gen, &empty, "inner_clear", ops, what);
	int ret;

	if (extra)
		ops[n] = *extra;
	ret = ef_slot_ops_run(ops, n + !!extra);
	if (extra)
		*extra = ops[n];
	report_slots(inst, gen, "release", ops, what, n);
	/* extra's failure is its caller's to report. */
	return extra && ret == extra->err ? 0 : ret;
}
