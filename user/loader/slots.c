// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-rule counter slots, kept by rule name across reloads. */
#include "slots.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edgefw.h"
#include "log.h"

static int zero_counter(int map_fd, __u32 slot, int ncpu)
{
	struct edgefw_counter *zero = calloc((size_t)ncpu, sizeof(*zero));
	int ret = 0;

	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(map_fd, &slot, zero, BPF_ANY))
		ret = -errno;
	free(zero);
	return ret;
}

/* Gives every rule a counter slot: the slot its name already has, or a free
 * one (zeroed). Names are written only after the switch (write_meta), so a
 * failed load leaves rule_meta as it was. */
struct named_slot {
	const char *name;
	__u32 slot;
};

static int cmp_named(const void *a, const void *b)
{
	const struct named_slot *x = a, *y = b;

	return strncmp(x->name, y->name, EDGEFW_RULE_NAME_MAX);
}

int ef_slots_assign(struct ef_instance *inst, const struct ef_ruleset *rs,
			struct edgefw_rule_meta *meta, __u32 *slot_of,
			bool *in_use, struct ef_apply_summary *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct named_slot *named;
	size_t n_named = 0;
	__u32 next_free = 0;
	int ret = 0;

	if (ncpu < 0)
		return ncpu;
	ret = ef_instance_read_meta(inst, meta);
	if (ret)
		return ret;
	/* Names in use, sorted, so each rule finds its slot by bisection. */
	named = malloc(EDGEFW_MAX_RULES * sizeof(*named));
	if (!named)
		return -ENOMEM;
	for (__u32 s = 0; s < EDGEFW_MAX_RULES; s++)
		if (meta[s].name[0])
			named[n_named++] = (struct named_slot){ meta[s].name, s };
	qsort(named, n_named, sizeof(*named), cmp_named);
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct named_slot key = { rs->rules[i].name, 0 };
		struct named_slot *hit = bsearch(&key, named, n_named,
						 sizeof(*named), cmp_named);

		slot_of[i] = EDGEFW_MAX_RULES;
		if (hit) {
			slot_of[i] = hit->slot;
			in_use[hit->slot] = true;
			sum->rules_kept++;
		}
	}
	free(named);
	for (size_t i = 0; i < rs->n_rules; i++) {
		if (slot_of[i] != EDGEFW_MAX_RULES)
			continue;
		while (next_free < EDGEFW_MAX_RULES &&
		       (meta[next_free].name[0] || in_use[next_free]))
			next_free++;
		if (next_free == EDGEFW_MAX_RULES) {
			ef_log_err("no free counter slot for rule '%s': old and new rules together exceed %d names",
				   rs->rules[i].name, EDGEFW_MAX_RULES);
			return -ENOSPC;
		}
		ret = zero_counter(inst->maps.rule_stats, next_free, ncpu);
		if (ret) {
			ef_log_err("cannot reset counter %u: %s", next_free,
				   strerror(-ret));
			return ret;
		}
		slot_of[i] = next_free;
		in_use[next_free] = true;
		sum->rules_added++;
	}
	return 0;
}

int ef_slots_write_meta(struct ef_instance *inst, const struct ef_ruleset *rs,
		      const __u32 *slot_of)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct edgefw_rule_meta m = {
			.order = (__u32)i,
			.action = rs->rules[i].action,
		};

		memcpy(m.name, rs->rules[i].name, sizeof(m.name));
		if (bpf_map_update_elem(inst->maps.rule_meta, &slot_of[i], &m,
					BPF_ANY)) {
			int err = -errno;

			ef_log_err("cannot write rule_meta[%u]: %s", slot_of[i],
				   strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Frees the slots of rules that left the ruleset. */
void ef_slots_release(struct ef_instance *inst,
			  const struct edgefw_rule_meta *meta, const bool *in_use,
			  size_t *count)
{
	int ncpu = libbpf_num_possible_cpus();
	struct edgefw_rule_meta empty = {};

	for (__u32 s = 0; s < EDGEFW_MAX_RULES; s++) {
		if (!meta[s].name[0] || in_use[s])
			continue;
		bpf_map_update_elem(inst->maps.rule_meta, &s, &empty, BPF_ANY);
		if (ncpu > 0)
			zero_counter(inst->maps.rule_stats, s, ncpu);
		(*count)++;
	}
}

