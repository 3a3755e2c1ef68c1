// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The making of an instance's maps: see instance_create.h. */
#include "instance_create.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "capacity.h"
#include "capacity_floor.h"
#include "edgefw.h"
#include "edgefw.skel.h"
#include "globals.h"
#include "log.h"
#include "pintree.h"
#include "rule_rows.h"

static __u32 create_ct; /* 0: ef_instance_ct_default() */

/* 1/512 of the memory at about 128 bytes an entry (key, value and the LRU
 * hash's own node), a power of two within the bounds: 4 GiB gives 65,536. */
__u32 ef_instance_ct_default(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	unsigned long long want, cap = EDGEFW_CT_MIN;

	if (pages <= 0 || page <= 0)
		return EDGEFW_CT_MIN;
	want = (unsigned long long)pages * (unsigned long long)page / 512 / 128;
	while (cap * 2 <= want && cap < EDGEFW_CT_MAX)
		cap *= 2;
	return (__u32)cap;
}

int ef_instance_set_conntrack_size(__u32 entries)
{
	if (entries && (entries < EDGEFW_CT_MIN || entries > EDGEFW_CT_MAX))
		return -EINVAL;
	create_ct = entries;
	return 0;
}
/* The ruleset-sized maps of instances created from now on: sized from a
 * ruleset's needs (ef_instance_size_for_needs), or given outright
 * (ef_instance_set_capacity), or the defaults. */
static struct ef_needs create_needs;
static bool create_from_needs;
static struct ef_capacity create_given = {
	.cells = EDGEFW_CELLS_DEFAULT,
	.classes = EDGEFW_CLASSES_DEFAULT,
	.tnodes = EDGEFW_TNODES_DEFAULT,
	.tleaves = EDGEFW_TLEAVES_DEFAULT,
	.chain = EDGEFW_CHAIN_MAX,
	.host6 = EDGEFW_HOST6_MAX,
	.limit_slots = EDGEFW_LIMIT_SLOTS,
	.rules = EDGEFW_MAX_RULES,
};

__u32 ef_instance_ct_size(void)
{
	return create_ct ? create_ct : ef_instance_ct_default();
}

int ef_instance_set_capacity(__u32 cells, __u32 classes, __u32 tnodes, __u32 tleaves)
{
	if (cells <= EDGEFW_L1_CELLS || cells > EDGEFW_CELLS_MAX || classes < 1 ||
	    classes > EDGEFW_MAX_CLASSES || tnodes < 1 || tnodes > EDGEFW_TNODES_MAX ||
	    tleaves < 1 || tleaves > EDGEFW_TLEAVES_MAX)
		return -EINVAL;
	create_given.cells = cells;
	create_given.classes = classes;
	create_given.tnodes = tnodes;
	create_given.tleaves = tleaves;
	create_from_needs = false;
	return 0;
}

void ef_instance_size_for_needs(const struct ef_needs *n)
{
	create_needs = *n;
	create_from_needs = true;
}

/* The sizes maps_create uses. */
static void create_capacity(struct ef_capacity *cap)
{
	__u32 ct = ef_instance_ct_size();

	if (create_from_needs) {
		ef_capacity_for(&create_needs, ct, cap);
		/* --conntrack-size is a wish for this instance: honour it
		 * even for a ruleset that does not track yet. */
		if (create_ct)
			cap->ct = create_ct;
	} else {
		*cap = create_given;
		cap->ct = ct;
	}
	/* attach --capacity, daemon.capacity: at least what the operator
	 * asked for. */
	ef_capacity_floor_raise(cap);
}

/* A capacity given without rule slots (a caller that predates them): the
 * format's, as before the per-rule tables followed the ruleset. */
static void create_rule_slots(struct ef_capacity *cap)
{
	if (!cap->rules || cap->rules > EDGEFW_MAX_RULES)
		cap->rules = EDGEFW_MAX_RULES;
}

int ef_instance_capacity(const struct ef_instance *inst, struct ef_capacity *cap)
{
	struct edgefw_instance_info info;
	struct bpf_map_info chain = {}, host6 = {}, limit = {}, rules = {};
	__u32 len = sizeof(chain), zero = 0;

	if (bpf_map_lookup_elem(inst->maps.instance_info, &zero, &info) ||
	    bpf_obj_get_info_by_fd(inst->maps.chain_tbl, &chain, &len) ||
	    (len = sizeof(host6), bpf_obj_get_info_by_fd(inst->maps.host6_tbl, &host6, &len)) ||
	    (len = sizeof(limit), bpf_obj_get_info_by_fd(inst->maps.limit_tbl, &limit, &len)) ||
	    (len = sizeof(rules), bpf_obj_get_info_by_fd(inst->maps.rule_carry, &rules, &len))) {
		int err = -errno;

		ef_log_err("cannot read the capacity of %s: %s", inst->dir, strerror(-err));
		return err;
	}
	*cap = (struct ef_capacity){
		.cells = info.cells_cap,
		.classes = info.classes_cap,
		.tnodes = info.tnodes_cap,
		.tleaves = info.tleaves_cap,
		.chain = chain.max_entries / EDGEFW_GENERATIONS,
		.host6 = host6.max_entries / EDGEFW_GENERATIONS,
		.ct = info.ct_cap,
		.limit_slots = limit.max_entries,
		.rules = rules.max_entries,
	};
	return 0;
}

static int set_template(struct bpf_map *outer, __u32 value_size, __u32 entries, __u32 flags,
			int *fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);

	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "efw_template", sizeof(__u32), value_size, entries,
			     &opts);
	if (*fd < 0)
		return -errno;
	return bpf_map__set_inner_map_fd(outer, *fd);
}

/* The generations' arrays' templates, in fd order: cells, classes, tree
 * nodes, tree leaves. */
#define TEMPLATES 4

/* The per-rule-slot tables: rules slots, both generations in rule_tbl and
 * rule_meta. */
static int set_rule_sizes(struct edgefw_bpf *skel, __u32 rules)
{
	struct bpf_map *per_slot[] = { skel->maps.limit_stats, skel->maps.log_state,
				       skel->maps.rule_carry };
	int ret = bpf_map__set_max_entries(skel->maps.rule_tbl, EDGEFW_GENERATIONS * rules);

	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.rule_meta, EDGEFW_GENERATIONS * rules);
	for (size_t i = 0; i < sizeof(per_slot) / sizeof(per_slot[0]) && !ret; i++)
		ret = bpf_map__set_max_entries(per_slot[i], rules);
	/* The rule counters: a row of the slots per CPU (rule_rows.h). */
	if (!ret)
		ret = ef_rule_rows_size(skel->maps.rule_stats, rules);
	if (!ret)
		ret = ef_rule_rows_bound(skel->obj, rules);
	return ret;
}

/* Every ruleset-sized map of skel at cap's size. The generations' arrays
 * all have the instance's size: the outer maps take it from templates
 * (tpl, closed by the caller once the object is loaded). */
static int set_sizes(struct edgefw_bpf *skel, const struct ef_capacity *cap, int tpl[TEMPLATES])
{
	int ret;

	/* The level-1 tables are not in `cells` (edgefw.h, EDGEFW_L1_CELLS). */
	ret = set_template(skel->maps.cells_tbl, EDGEFW_CELL_SIZE, cap->cells - EDGEFW_L1_CELLS,
			   BPF_F_MMAPABLE, &tpl[0]);
	if (!ret)
		ret = set_template(skel->maps.class_tbl, sizeof(struct edgefw_class_info),
				   cap->classes, 0, &tpl[1]);
	if (!ret)
		ret = set_template(skel->maps.tnode_tbl, sizeof(struct edgefw_tnode), cap->tnodes,
				   0, &tpl[2]);
	if (!ret)
		ret = set_template(skel->maps.tleaf_tbl, sizeof(struct edgefw_tleaf), cap->tleaves,
				   0, &tpl[3]);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.ct_tbl, cap->ct);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.ct_new_tbl, cap->ct / 4);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.ct4_tbl, cap->ct);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.ct4_new_tbl, cap->ct / 4);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.chain_tbl,
					       EDGEFW_GENERATIONS * cap->chain);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.host6_tbl,
					       EDGEFW_GENERATIONS * cap->host6);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.limit_tbl, cap->limit_slots);
	return ret ? ret : set_rule_sizes(skel, cap->rules);
}

/* The hashes only userspace writes, without preallocation: the datapath
 * only looks them up, so nothing is ever allocated on the packet path, and
 * their max_entries (every interface an instance may hold) lock buckets,
 * not elements, until interfaces come. */
static int set_flags(struct edgefw_bpf *skel)
{
	struct bpf_map *const hashes[] = {
		skel->maps.ctx_tbl,     /* written at attach and reload */
		skel->maps.attachments, /* userspace's bookkeeping alone */
		skel->maps.ifslot_hash, /* written at attach and detach */
	};
	int ret = 0;

	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]) && !ret; i++)
		ret = bpf_map__set_map_flags(hashes[i],
					     bpf_map__map_flags(hashes[i]) | BPF_F_NO_PREALLOC);
	return ret;
}

/* Removes what pin_all pinned, by the pins' names (as
 * ef_instance_destroy): the object's would give the global data's by
 * libbpf's names, and libbpf stops at the first map not pinned. */
static void unpin_all(const struct ef_instance *inst)
{
#define EF_MAP_UNPIN(name)                                                                         \
	if (unlinkat(inst->lock_fd, #name, 0) && errno != ENOENT)                                  \
		ef_log_err("cannot remove pin %s/" #name " after a failed create: %s (remove %s)", \
			   inst->dir, strerror(errno), inst->dir);
	EF_PINNED_MAPS(EF_MAP_UNPIN)
#undef EF_MAP_UNPIN
}

/* Pins every map of the loaded object, instance_info last: maps_open
 * treats a partial set as broken, and pinning it last marks the set
 * complete. */
static int pin_all(struct ef_instance *inst, struct edgefw_bpf *skel)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int ret = 0;

	bpf_object__for_each_map(map, skel->obj)
	{
		/* Internal maps (.rodata, .data) belong to their object,
		 * but for the instance's global data (globals.h), pinned
		 * after the loop. */
		if (map == skel->maps.instance_info || bpf_map__is_internal(map))
			continue;
		ret = ef_pintree_path(inst->lock_fd, bpf_map__name(map), path, sizeof(path));
		if (!ret)
			ret = bpf_map__pin(map, path);
		if (ret) {
			ef_log_err("cannot pin map %s/%s: %s", inst->dir, bpf_map__name(map),
				   strerror(-ret));
			return ret;
		}
	}
	ret = ef_globals_pin(inst, skel->obj);
	if (ret)
		return ret;
	ret = ef_pintree_path(inst->lock_fd, "instance_info", path, sizeof(path));
	if (!ret)
		ret = bpf_map__pin(skel->maps.instance_info, path);
	if (ret)
		ef_log_err("cannot pin map %s/instance_info: %s", inst->dir, strerror(-ret));
	return ret;
}

int ef_instance_maps_create(struct ef_instance *inst)
{
	int tpl[TEMPLATES] = { -1, -1, -1, -1 };
	struct ef_capacity cap;
	struct edgefw_instance_info info = { .layout_version = EDGEFW_LAYOUT_VERSION };
	struct edgefw_bpf *skel;
	struct bpf_program *prog;
	__u32 zero = 0;
	int ret;

	create_capacity(&cap);
	create_rule_slots(&cap);
	info.cells_cap = cap.cells;
	info.classes_cap = cap.classes;
	info.tnodes_cap = cap.tnodes;
	info.tleaves_cap = cap.tleaves;
	info.ct_cap = cap.ct;
	skel = edgefw_bpf__open();
	if (!skel) {
		ret = -errno;
		ef_log_err("cannot open the embedded BPF object: %s", strerror(-ret));
		return ret;
	}
	bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, false);
	ret = set_sizes(skel, &cap, tpl);
	if (!ret)
		ret = set_flags(skel);
	if (!ret)
		ret = edgefw_bpf__load(skel);
	if (ret) {
		ef_log_err(
			"cannot create the BPF maps: %s (is the kernel new enough, and are you root?)",
			strerror(-ret));
		goto out;
	}
	ret = bpf_map_update_elem(bpf_map__fd(skel->maps.instance_info), &zero, &info, BPF_ANY);
	if (ret) {
		ret = -errno;
		ef_log_err("cannot initialise instance_info: %s", strerror(-ret));
		goto out;
	}
	ret = pin_all(inst, skel);
out:
	if (ret)
		unpin_all(inst);
	edgefw_bpf__destroy(skel);
	for (int i = 0; i < TEMPLATES; i++)
		if (tpl[i] >= 0)
			close(tpl[i]);
	return ret;
}
