/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rule counters (kern/maps.h, rule_stats): an mmapable array with one
 * element per possible CPU, each that CPU's row of the instance's rule
 * slots, a struct edgefw_counter per slot. The programs bound a row's
 * index by a read-only constant (kern/maps.h, rule_rows) that every load
 * of them sets (ef_rule_rows_bound). Userspace reads and resets slots
 * through a shared mapping of the array.
 */
#ifndef EDGEFW_RULE_ROWS_H
#define EDGEFW_RULE_ROWS_H

#include <linux/types.h>

#include "edgefw.h"

struct bpf_object;
struct bpf_map;

/* A CPU's row for slots rule slots: rounded to a cache line, so that no
 * two CPUs count in one. */
__u32 ef_rule_rows_value_size(__u32 slots);

/* Sizes the object's rule_stats for slots slots on this machine's possible
 * CPUs. 0 or -errno. */
int ef_rule_rows_size(struct bpf_map *rule_stats, __u32 slots);

/* A new rule_stats array for slots slots (a growth's). fd or -errno. */
int ef_rule_rows_create(__u32 slots);

/* Sets the object's bound (kern/maps.h, rule_rows) to slots: call before
 * loading any program of it. 0 or -errno. */
int ef_rule_rows_bound(struct bpf_object *obj, __u32 slots);

/* Every slot below n summed over the CPUs into out[0..n). 0 or -errno. */
int ef_rule_rows_read(int fd, struct edgefw_counter *out, __u32 n);

/* Slot's count summed over the CPUs. 0 or -errno. */
int ef_rule_rows_slot(int fd, __u32 slot, struct edgefw_counter *out);

/* Slot's count set to zero on every CPU. 0 or -errno. */
int ef_rule_rows_zero(int fd, __u32 slot);

#endif
