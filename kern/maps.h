/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The maps of the edgefw programs, except those that belong to one concern
 * and sit beside its code: the connection tracker's (conntrack.h), the
 * dynamic sets' and limits' (dynset.h), the attachment slots (ifslot.h) and
 * the per-CPU scratch values that keep large structures off the stack
 * (classifier.h, policy.h). Userspace pins every one of them (the list is in
 * user/loader/instance.h).
 *
 * In order: the ruleset's tables, per generation; the switch between
 * generations; the counters; userspace's bookkeeping; redirect targets;
 * the drop log. edgefw.h has the layouts and the costs that chose them.
 */
#ifndef EDGEFW_MAPS_H
#define EDGEFW_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"

/* The ruleset's tables (see edgefw.h for the layout and the costs that
 * chose it). Fixed-size arrays hang off map-in-maps, one slot per
 * generation; hash and LPM tables hold both generations. */
/* Sizes are the defaults; an instance may be created with others. */
struct cells_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EDGEFW_CELLS_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, EDGEFW_CELL_SIZE);
};

struct class_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_CLASSES_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct edgefw_class_info));
};

#define GEN_OUTER(name, inner)                            \
	struct {                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); \
		__uint(max_entries, EDGEFW_GENERATIONS);  \
		__type(key, __u32);                       \
		__array(values, struct inner);            \
	} name SEC(".maps")

/* The decision trees' nodes and leaf elements (kern/tree_walk.h). */
struct tnode_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_TNODES_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct edgefw_tnode));
};

struct tleaf_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_TLEAVES_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct edgefw_tleaf));
};

GEN_OUTER(cells_tbl, cells_table);
GEN_OUTER(class_tbl, class_table);
GEN_OUTER(tnode_tbl, tnode_table);
GEN_OUTER(tleaf_tbl, tleaf_table);

/* Each generation's verdict per rule index, at EDGEFW_RULE_KEY: what a
 * tree's leaf names when it finds a rule below the chain's. The per-rule
 * tables' sizes here are the format's limits; the loader sizes them from
 * the ruleset (user/loader/capacity.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS *EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_verdict);
} rule_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EDGEFW_GENERATIONS *EDGEFW_LPM6_MAX);
	__type(key, struct edgefw_lpm6_key);
	__type(value, __u32);
} lpm6_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EDGEFW_GENERATIONS *EDGEFW_HOST6_MAX);
	__type(key, struct edgefw_host6_key);
	__type(value, __u32);
} host6_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EDGEFW_GENERATIONS *EDGEFW_CHAIN_MAX);
	__type(key, struct edgefw_chain_key);
	__type(value, __u32);
} chain_tbl SEC(".maps");

/* Not used by the programs: updating a map-in-map makes the kernel wait
 * for an RCU grace period, after which no program still runs on the
 * generation just switched away from, so its entries can be deleted. */
struct sync_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sync_inner);
} rcu_sync SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGEFW_GENERATIONS *(EDGEFW_MAX_ATTACH + 1) * EDGEFW_HOOK_COUNT);
	__type(key, struct edgefw_ctx_key);
	__type(value, __u32);
} ctx_tbl SEC(".maps");

/* The switch and both generations' configs (edgefw.h struct
 * edgefw_state) as global data: a constant address, no lookup per
 * packet. libbpf makes the section a one-entry mmapable array map
 * (`.data.active`, the skeleton's data_active); the instance pins it and
 * every program of the instance reuses it like the other maps (libbpf
 * writes its initial zeros only into a map it creates), so the switch
 * survives program loads and daemon restarts and is shared by every
 * program. */
struct edgefw_state active_state SEC(".data.active");

/* The chain's leaves (edgefw.h EDGEFW_LEAF_*), one row per generation, as
 * global data too: a read at a constant address where a lookup in an
 * array map cost about ten instructions with the key through the stack,
 * two to three of them per packet. In `.bss`, which the ELF keeps as a
 * size alone (NOBITS), so the 1.1 MB of zeros stay out of every binary;
 * libbpf makes it a one-entry mmapable array map (the skeleton's bss),
 * which the instance pins as data_bss and every program reuses, like
 * data_active. The loader writes the inactive generation's row through a
 * mapping before the switch. Other fixed tables may join the section:
 * the pinned map's size is the skeleton's (user/loader/globals.c). */
__u32 edgefw_leaves[EDGEFW_GENERATIONS][EDGEFW_LEAF_SIZE] SEC(".bss");

/* The chain's level-1 address tables per generation (edgefw.h,
 * EDGEFW_L1_CELLS; the cells' lower halves), 2 MiB in the same `.bss`;
 * the loader writes a generation's slot through a mapping before
 * switching to it (user/loader/l1.c). */
__u32 edgefw_l1[EDGEFW_GENERATIONS][EDGEFW_L1_CELLS] SEC(".bss");

/* Level-1 cell idx of generation gen: a load, no lookup. The mask keeps
 * the verifier's bounds (idx is below EDGEFW_L1_CELLS on every path). */
static __always_inline __u32 edgefw_l1_cell(__u32 gen, __u32 idx)
{
	return edgefw_l1[gen & 1][idx & (EDGEFW_L1_CELLS - 1)];
}

/* The hot window per generation (edgefw.h EDGEFW_HOT_SLOTS): the stage
 * tables and level-1 copies the loader moved there (user/loader/hot.c),
 * and the classes below EDGEFW_HOT_CLASSES, in the same `.bss`. */
__u64 edgefw_hot[EDGEFW_GENERATIONS][EDGEFW_HOT_SLOTS / 2] SEC(".bss");
struct edgefw_class_info edgefw_hot_classes[EDGEFW_GENERATIONS][EDGEFW_HOT_CLASSES] SEC(".bss");

/* Whether x is below 1 << bits, tested on a copy the verifier cannot tie
 * to x: a bound on x itself would split the verifier's states at every
 * such test into two that never meet again (x below and above), and the
 * chain's walk, which tests at each step, would be verified twice per
 * step. The callers mask x where they index with it. */
#define EDGEFW_BELOW_BITS(x, bits)                                                \
	({                                                                        \
		__u64 __past = (x);                                               \
		asm volatile("%[p] >>= %[b]" : [p] "+r"(__past) : [b] "i"(bits)); \
		__past == 0;                                                      \
	})

/* Slot idx of generation gen's window: a stage cell. The mask keeps the
 * verifier's bounds; the loader puts a whole table below the bound. */
static __always_inline __u32 edgefw_hot_slot(__u32 gen, __u32 idx)
{
	const __u32 *slots = (const __u32 *)edgefw_hot[gen & 1];

	return slots[idx & (EDGEFW_HOT_SLOTS - 1)];
}

/* The whole cell at slots idx, idx + 1 (idx even): a level-1 copy. */
static __always_inline __u64 edgefw_hot_cell64(__u32 gen, __u32 idx)
{
	return edgefw_hot[gen & 1][(idx >> 1) & (EDGEFW_HOT_SLOTS / 2 - 1)];
}

/* Class cur's info: in the hot window (edgefw.h, EDGEFW_HOT_CLASSES),
 * or in `classes`, or NULL. */
static __always_inline struct edgefw_class_info *class_at(void *classes, __u32 gen, __u32 cur)
{
	if (EDGEFW_BELOW_BITS(cur, EDGEFW_HOT_CLASSES_BITS))
		return &edgefw_hot_classes[gen & 1][cur & (EDGEFW_HOT_CLASSES - 1)];
	return bpf_map_lookup_elem(classes, &cur);
}

/* Class cur's lowest possible rule (edgefw.h), or EDGEFW_RULE_NONE for
 * a failed lookup (which a consistent generation never has; the walk
 * then stops, as for a class past every rule): a value, so that the
 * verifier's states meet again after the read whichever table it came
 * from. */
static __always_inline __u32 class_rule(void *classes, __u32 gen, __u32 cur)
{
	const struct edgefw_class_info *info = class_at(classes, gen, cur);

	return info ? info->verdict.rule : EDGEFW_RULE_NONE;
}

/* Class cur's miss (a class, or EDGEFW_CLASS_NONE). */
static __always_inline __u32 class_miss(void *classes, __u32 gen, __u32 cur)
{
	const struct edgefw_class_info *info = class_at(classes, gen, cur);

	return info ? info->miss : EDGEFW_CLASS_NONE;
}

/* A per-CPU array of counters, the shape of every statistics map (the
 * skeleton names the map as written here). */
#define EDGEFW_COUNTERS(name, entries)                   \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, entries);            \
		__type(key, __u32);                      \
		__type(value, struct edgefw_counter);    \
	} name SEC(".maps")

/* The rule counters: one element per possible CPU (the loader sets
 * max_entries), each that CPU's row of every rule slot, a struct
 * edgefw_counter per slot (the loader sets value_size: the slots x 16,
 * rounded to a line so that no two CPUs share one, and rule_rows below to
 * the slots; user/loader/rule_rows.h). A rule's count is then one line:
 * a per-CPU array's lookup reads the slot's per-CPU pointer first, a
 * second line, and for a flow whose rule is one of 10k both are cold
 * (kern/DESIGN.md, "One line per rule count"). Mmapable: userspace sums
 * the rows through a shared mapping. No BTF value type: its size is the
 * instance's. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 64);
} rule_stats SEC(".maps");

/* The slots in each rule_stats row, in a read-only section of its own so
 * that the loader sets it alone (ef_rule_rows_bound): the verifier reads
 * it as a constant, which bounds a row's index. 0 (nothing counted) where
 * no loader set it. */
const volatile __u32 rule_rows SEC(".rodata.rules") = 0;

EDGEFW_COUNTERS(default_stats, EDGEFW_DEFAULT_STATS_SIZE);

EDGEFW_COUNTERS(reason_stats, EDGEFW_REASON_COUNT);

/* Per attachment and final decision; see edgefw.h. */
EDGEFW_COUNTERS(iface_stats, EDGEFW_IFACE_STATS_SIZE);

/* Userspace-only bookkeeping, pinned beside the tables so every edgefw
 * invocation sees the same state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS *EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_rule_meta);
} rule_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS);
	__type(key, __u32);
	__type(value, struct edgefw_gen_info);
} gen_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgefw_instance_info);
} instance_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGEFW_MAX_ATTACH);
	__type(key, struct edgefw_attach_key);
	__type(value, struct edgefw_attach_val);
} attachments SEC(".maps");

/* Redirect targets for XDP, keyed by ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, EDGEFW_MAX_ATTACH);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

/* The drop log (see edgefw.h). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EDGEFW_LOG_RING_SIZE);
} log_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgefw_log_config);
} log_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_log_state);
} log_state SEC(".maps");

/* Per counter slot, what per-CPU counters a growth replaced had counted
 * (edgefw.h): userspace only, no program reads or writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct edgefw_rule_carry));
	__uint(max_entries, EDGEFW_MAX_RULES);
} rule_carry SEC(".maps");

#endif /* EDGEFW_MAPS_H */
