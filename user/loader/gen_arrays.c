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
#include "log.h"

int ef_update_batch(int fd, const void *keys, const void *vals, size_t n,
		    const char *site)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = (__u32)n;

	if (!n)
		return 0;
	if (ef_fault(site) || bpf_map_update_batch(fd, keys, vals, &count, &opts))
		return -errno;
	return count == n ? 0 : -EIO;
}

int ef_mmap_write(int fd, size_t entries, size_t first, const __u32 *values,
		  size_t n, const char *site)
{
	size_t len = entries * 8;
	__u32 *cells;

	if (ef_fault(site))
		return -errno;
	cells = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cells == MAP_FAILED)
		return -errno;
	for (size_t i = 0; i < n; i++)
		cells[(first + i) * 2] = values[i];
	munmap(cells, len);
	return 0;
}

static int create_array(const char *name, __u32 value_size, size_t entries,
			__u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	int fd = ef_fault("map_create");

	if (!fd)
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
				    value_size, (__u32)(entries ? entries : 1),
				    &opts);

	if (fd < 0) {
		fd = -errno;
		ef_log_err("cannot create map %s with %zu entries: %s", name,
			   entries, strerror(-fd));
	}
	return fd;
}

static int too_small(const char *what, size_t need, __u32 cap)
{
	ef_log_err("the ruleset needs %zu %s; this instance holds %u: detach it from every interface and attach again (an instance is sized for the ruleset it starts with)",
		   need, what, cap);
	return -E2BIG;
}

static int make_cells(const struct ef_compiled *c, __u32 cap)
{
	int fd, ret;

	if (c->n_cells > cap)
		return too_small("table cells", c->n_cells, cap);
	fd = create_array("efw_cells", sizeof(__u32), cap, BPF_F_MMAPABLE);
	if (fd < 0)
		return fd;
	ret = ef_mmap_write(fd, cap, 0, c->cells, c->n_cells, "cells_mmap");
	if (ret) {
		ef_log_err("cannot fill efw_cells: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* An array of n values of size bytes each at keys 0..n-1. */
static int make_filled(const char *name, __u32 size, const void *vals,
		       size_t n, __u32 cap, const char *site)
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

static int make_classes(const struct ef_compiled *c,
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
	}
	fd = make_filled("efw_classes", sizeof(*vals), vals, c->n_classes, cap,
			 "classes_update");
	free(vals);
	return fd;
}

static int install(int outer, __u32 gen, int fd, const char *what)
{
	if (!ef_fault("inner_install") &&
	    !bpf_map_update_elem(outer, &gen, &fd, BPF_ANY))
		return 0;
	ef_log_err("cannot install generation %u's %s: %s", gen, what,
		   strerror(errno));
	return -errno;
}

/* Empties a tree slot an older generation left, so its memory goes. */
static int clear_slot(int outer, __u32 gen, const char *what)
{
	__u32 id;

	if (bpf_map_lookup_elem(outer, &gen, &id))
		return 0;
	if (!ef_fault("inner_clear") &&
	    (!bpf_map_delete_elem(outer, &gen) || errno == ENOENT))
		return 0;
	ef_log_err("cannot empty generation %u's %s: %s", gen, what,
		   strerror(errno));
	return -errno;
}

static int install_trees(struct ef_instance *inst, __u32 gen,
			 const struct ef_compiled *c,
			 const struct edgefw_instance_info *info)
{
	int nodes = -1, leaves = -1, ret;

	if (!c->n_trees) {
		ret = clear_slot(inst->maps.tnode_tbl, gen, "tree nodes");
		return ret ? ret : clear_slot(inst->maps.tleaf_tbl, gen, "tree leaves");
	}
	if (c->n_tnodes > info->tnodes_cap)
		return too_small("tree nodes", c->n_tnodes, info->tnodes_cap);
	if (c->n_tleaves > info->tleaves_cap)
		return too_small("tree leaf entries", c->n_tleaves, info->tleaves_cap);
	nodes = make_filled("efw_tnodes", sizeof(*c->tnodes), c->tnodes,
			    c->n_tnodes, info->tnodes_cap, "tnodes_update");
	if (nodes < 0)
		return nodes;
	leaves = make_filled("efw_tleaves", sizeof(*c->tleaves), c->tleaves,
			     c->n_tleaves, info->tleaves_cap, "tleaves_update");
	ret = leaves < 0 ? leaves : install(inst->maps.tnode_tbl, gen, nodes, "tree nodes");
	if (!ret)
		ret = install(inst->maps.tleaf_tbl, gen, leaves, "tree leaves");
	/* The outer maps hold their own references. */
	close(nodes);
	if (leaves >= 0)
		close(leaves);
	return ret;
}

int ef_gen_arrays_install(struct ef_instance *inst, __u32 gen,
			  const struct ef_compiled *c,
			  const struct edgefw_verdict *verdicts)
{
	struct edgefw_instance_info info;
	int cells = -1, classes = -1, ret;
	__u32 zero = 0;

	if (ef_fault("info_read") ||
	    bpf_map_lookup_elem(inst->maps.instance_info, &zero, &info)) {
		ret = -errno;
		ef_log_err("cannot read %s/instance_info: %s", inst->dir,
			   strerror(-ret));
		return ret;
	}
	cells = make_cells(c, info.cells_cap);
	if (cells < 0)
		return cells;
	classes = make_classes(c, verdicts, info.classes_cap);
	ret = classes < 0 ? classes : install(inst->maps.cells_tbl, gen, cells, "cells");
	if (!ret)
		ret = install(inst->maps.class_tbl, gen, classes, "classes");
	if (!ret)
		ret = install_trees(inst, gen, c, &info);
	close(cells);
	if (classes >= 0)
		close(classes);
	return ret;
}
