/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An edgefw instance: the maps one ruleset lives in, pinned under
 * /sys/fs/bpf/edgefw/NAME (mode 0700) so every edgefw invocation and the
 * daemon share them. A lock file in the directory serializes changes.
 */
#ifndef EDGEFW_INSTANCE_H
#define EDGEFW_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define EF_BPFFS_ROOT "/sys/fs/bpf"
#define EF_PIN_ROOT EF_BPFFS_ROOT "/edgefw"
#define EF_INSTANCE_DEFAULT "default"
#define EF_INSTANCE_NAME_MAX 32

/* Every map of kern/edgefw.bpf.c, by its name in the object and its pin. */
#include "edgefw_maps.h" /* EF_PINNED_MAPS(X), from the skeleton */

struct ef_maps {
#define EF_MAP_FIELD(name) int name;
	EF_PINNED_MAPS(EF_MAP_FIELD)
#undef EF_MAP_FIELD
};

struct ef_instance {
	char name[EF_INSTANCE_NAME_MAX];
	char dir[PATH_MAX]; /* for messages; operations go through the fds */
	int root_fd;        /* EF_PIN_ROOT, checked (pintree.h) */
	int lock_fd;        /* the instance's directory, checked and locked */
	bool created;       /* this open created the pins */
	struct ef_maps maps;
};

enum ef_open_flags {
	EF_OPEN_CREATE = 0x1, /* create and pin the maps when absent */
	EF_OPEN_SHARED = 0x2, /* read-only use: shared lock */
	EF_OPEN_NOWAIT = 0x4, /* -EWOULDBLOCK instead of waiting for the lock */
	/* Only the maps of dynamic-set entry operations (dynsets.h) and
	 * instance_info; the others stay -1. An `edgefw set add` then opens
	 * 4 pins instead of every one (0.3 ms of its 0.4 ms of work). */
	EF_OPEN_DYNSETS = 0x8,
};

/* Validates an instance name: 1-31 of [A-Za-z0-9_-]. */
bool ef_instance_name_valid(const char *name);

/* Opens (and with EF_OPEN_CREATE creates) an instance, taking its lock.
 * Returns 0, -ENOENT when it does not exist and may not be created, or
 * another negative errno; errors are logged. */
int ef_instance_open(const char *name, unsigned flags, struct ef_instance *inst);
void ef_instance_close(struct ef_instance *inst);

/* Capacity of the per-generation arrays of instances created from now on
 * in this process (defaults: EDGEFW_CELLS_DEFAULT, EDGEFW_CLASSES_DEFAULT,
 * EDGEFW_TNODES_DEFAULT, EDGEFW_TLEAVES_DEFAULT). 0 or -EINVAL. */
int ef_instance_set_capacity(__u32 cells, __u32 classes, __u32 tnodes, __u32 tleaves);
/* Sizes the ruleset-sized maps of instances created from now on from a
 * compiled ruleset's needs, with headroom (capacity.h); a reload that
 * needs more grows them (grow.h). */
struct ef_needs;
void ef_instance_size_for_needs(const struct ef_needs *n);

/* An instance's capacity now. 0 or a negative errno (logged). */
struct ef_capacity;
int ef_instance_capacity(const struct ef_instance *inst, struct ef_capacity *cap);

/* The connection table's size for an instance created or grown now: the
 * one set below, or ef_instance_ct_default(). */
__u32 ef_instance_ct_size(void);

/* Entries of ct_tbl for instances created from now on in this process
 * (ct_new_tbl gets a quarter); 0 restores the default, sized from the
 * machine's memory (ef_instance_ct_default). 0 or -EINVAL outside
 * EDGEFW_CT_MIN..EDGEFW_CT_MAX. */
int ef_instance_set_conntrack_size(__u32 entries);
__u32 ef_instance_ct_default(void);

/* Unpins every map and removes the directory; the maps live on only while
 * attached programs hold them. The instance is closed afterwards. */
int ef_instance_destroy(struct ef_instance *inst);

/* The ruleset in force, as the active generation describes it. */
struct ef_ruleset_state {
	__u32 gen;          /* active generation */
	bool loaded;        /* false until a first ruleset is switched in */
	__u64 version;      /* rulesets switched in since creation; 0: none */
	__u64 ruleset_hash; /* FNV-1a of the rules file; 0 when !loaded */
	__u64 loaded_at;    /* CLOCK_REALTIME seconds; 0 when !loaded */
	__u32 n_rules;
	__u32 n_chain_rules; /* the others are in decision trees */
	/* Entries the ruleset uses of each per-generation array, and the
	 * instance's capacity for them (instance_info). */
	__u32 cells, cells_cap, classes, classes_cap;
	__u32 tnodes, tnodes_cap, tleaves, tleaves_cap;
	/* The compiler's estimate of the ruleset's table memory, in bytes,
	 * recorded when it was loaded (ef_compiled_memory); 0 when !loaded. */
	__u64 memory_estimate;
	__u32 rule_slots_cap; /* counter slots the per-rule tables hold */
};

/* Reads the switch word (`data_active`) and the active generation's gen_info, as one consistent
 * pair even while a reload switches. 0 or a negative errno (logged). */
int ef_instance_read_state(const struct ef_instance *inst, struct ef_ruleset_state *st);

/* The instance's rule counter slots (rule_carry's entries, capacity.h's
 * rules; rule_stats holds a row of them per CPU); 0 when they cannot be
 * read. */
__u32 ef_instance_rule_slots(const struct ef_instance *inst);

/* Reads the rule_meta entries of the ruleset st describes (from
 * ef_instance_read_state) into meta (EDGEFW_MAX_RULES of them), indexed by
 * counter slot; slots past the instance's capacity, and all of them when
 * none is loaded, empty. 0 or a negative errno (logged). */
struct edgefw_rule_meta;
int ef_instance_read_meta(const struct ef_instance *inst, const struct ef_ruleset_state *st,
			  struct edgefw_rule_meta *meta);

/* The names of the interfaces the instance is attached to, plus extra
 * (may be NULL), without repeats: what `interfaces` patterns are compiled
 * for. *names is an array of *n pointers into one allocation; free(*names). */
int ef_instance_ifnames(const struct ef_instance *inst, const char *extra, const char ***names,
			size_t *n);

/* Mounts bpffs at /sys/fs/bpf when nothing is mounted there. */
int ef_bpffs_ensure(void);

/* Opens (without loading) the embedded BPF object, its maps the
 * instance's pins. Errors are logged; free with edgefw_bpf__destroy. */
struct edgefw_bpf;
int ef_instance_open_object(const struct ef_instance *inst, struct edgefw_bpf **out);

/* Replaces the fds of every map of obj (a struct bpf_object, not loaded)
 * with the instance's pinned maps, so a program loaded from it shares them. */
struct bpf_object;
int ef_instance_reuse_maps(const struct ef_instance *inst, struct bpf_object *obj);

#endif
