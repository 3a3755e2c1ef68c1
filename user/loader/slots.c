// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-rule counter slots, kept by rule name across reloads. */
#include "slots.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edgefw.h"
#include "fault.h"
#include "log.h"
#include "rule_rows.h"

/* A new name's slot starts from zero: its counters (rule_stats' rows,
 * limit_stats) and what a growth carried for the slot's last owner. */
static int zero_counter(const struct ef_instance *inst, __u32 slot, int ncpu)
{
	struct edgefw_counter *zero = calloc((size_t)ncpu, sizeof(*zero));
	struct edgefw_rule_carry none = { 0 };
	int ret = 0;

	if (!zero)
		return -ENOMEM;
	if (ef_fault("counter_zero") ||
	    bpf_map_update_elem(inst->maps.limit_stats, &slot, zero, BPF_ANY) ||
	    bpf_map_update_elem(inst->maps.rule_carry, &slot, &none, BPF_ANY))
		ret = -errno;
	if (!ret)
		ret = ef_rule_rows_zero(inst->maps.rule_stats, slot);
	free(zero);
	return ret;
}

struct named_slot {
	const char *name;
	__u32 slot;
};

static int cmp_named(const void *a, const void *b)
{
	const struct named_slot *x = a, *y = b;

	return strncmp(x->name, y->name, EDGEFW_RULE_NAME_MAX);
}

/* Gives each rule the slot its name has in meta (the ruleset in force);
 * marks them in in_use. Rules with a new name get EDGEFW_MAX_RULES. */
static int keep_slots(const struct edgefw_rule_meta *meta, const struct ef_ruleset *rs,
		      __u32 *slot_of, bool *in_use, struct ef_apply_summary *sum)
{
	struct named_slot *named = malloc(EDGEFW_MAX_RULES * sizeof(*named));
	size_t n_named = 0;

	if (!named)
		return -ENOMEM;
	/* Names in use, sorted, so each rule finds its slot by bisection. */
	for (__u32 s = 0; s < EDGEFW_MAX_RULES; s++)
		if (meta[s].name[0])
			named[n_named++] = (struct named_slot){ meta[s].name, s };
	sum->rules_kept = 0;
	qsort(named, n_named, sizeof(*named), cmp_named);
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct named_slot key = { rs->rules[i].name, 0 };
		struct named_slot *hit = bsearch(&key, named, n_named, sizeof(*named), cmp_named);

		slot_of[i] = EDGEFW_MAX_RULES;
		if (hit) {
			slot_of[i] = hit->slot;
			in_use[hit->slot] = true;
			sum->rules_kept++;
		}
	}
	sum->rules_removed = n_named - sum->rules_kept;
	free(named);
	return 0;
}

int ef_slots_assign(struct ef_instance *inst, const struct ef_ruleset_state *st,
		    const struct ef_ruleset *rs, __u32 *slot_of, struct ef_apply_summary *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct edgefw_rule_meta *meta = calloc(EDGEFW_MAX_RULES, sizeof(*meta));
	bool *in_use = calloc(EDGEFW_MAX_RULES, sizeof(*in_use));
	__u32 next_free = 0, cap = ef_instance_rule_slots(inst);
	int ret;

	if (!meta || !in_use) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ncpu < 0 ? ncpu : ef_fault("meta_read");
	if (!ret)
		ret = ef_instance_read_meta(inst, st, meta);
	if (!ret)
		ret = keep_slots(meta, rs, slot_of, in_use, sum);
	if (ret)
		goto out;
	for (size_t i = 0; i < rs->n_rules; i++) {
		if (slot_of[i] != EDGEFW_MAX_RULES)
			continue;
		while (next_free < cap && (meta[next_free].name[0] || in_use[next_free]))
			next_free++;
		if (next_free == cap) {
			ef_log_err(
				"no free counter slot for rule '%s': the rules in force and the new ones together exceed the instance's %u names (the format's limit is %d); reload with fewer new names, then the rest",
				rs->rules[i].name, cap, EDGEFW_MAX_RULES);
			ret = -ENOSPC;
			goto out;
		}
		ret = zero_counter(inst, next_free, ncpu);
		if (ret) {
			ef_log_err("cannot reset the counters of slot %u in %s: %s", next_free,
				   inst->dir, strerror(-ret));
			goto out;
		}
		slot_of[i] = next_free;
		in_use[next_free] = true;
		sum->rules_added++;
	}
out:
	if (ret == -ENOMEM)
		ef_log_err("out of memory assigning counter slots");
	free(meta);
	free(in_use);
	return ret;
}

int ef_slots_needed(struct ef_instance *inst, const struct ef_ruleset_state *st,
		    const struct ef_ruleset *rs, size_t *needed)
{
	struct edgefw_rule_meta *meta = calloc(EDGEFW_MAX_RULES, sizeof(*meta));
	bool *in_use = calloc(EDGEFW_MAX_RULES, sizeof(*in_use));
	__u32 *slot_of = calloc(rs->n_rules + 1, sizeof(*slot_of));
	struct ef_apply_summary sum = { 0 };
	int ret = -ENOMEM;

	if (meta && in_use && slot_of)
		ret = ef_instance_read_meta(inst, st, meta);
	if (!ret)
		ret = keep_slots(meta, rs, slot_of, in_use, &sum);
	/* Every name in force keeps its slot until the switch; the new
	 * names take others. */
	if (!ret)
		*needed = sum.rules_kept + sum.rules_removed + (rs->n_rules - sum.rules_kept);
	free(meta);
	free(in_use);
	free(slot_of);
	return ret;
}

int ef_slots_write_meta(struct ef_instance *inst, __u32 gen, const struct ef_ruleset *rs,
			const __u32 *slot_of)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct edgefw_rule_meta *meta = calloc(EDGEFW_MAX_RULES, sizeof(*meta));
	__u32 *keys = calloc(EDGEFW_MAX_RULES, sizeof(*keys));
	__u32 cap = ef_instance_rule_slots(inst), count = cap;
	int ret = 0;

	if (!meta || !keys) {
		ret = -ENOMEM;
		goto out;
	}
	for (__u32 s = 0; s < cap; s++)
		keys[s] = EDGEFW_RULE_KEY(gen, s);
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct edgefw_rule_meta *m = &meta[slot_of[i]];

		m->order = (__u32)i;
		m->action = rs->rules[i].action;
		m->cond_mask = rs->rules[i].cond_mask;
		memcpy(m->name, rs->rules[i].name, sizeof(m->name));
	}
	/* The whole generation in one syscall: slots the ruleset does not use
	 * are cleared as well. */
	if (!cap)
		ret = -EIO;
	else if (ef_fault("meta_update") ||
		 bpf_map_update_batch(inst->maps.rule_meta, keys, meta, &count, &opts))
		ret = -errno;
	else if (count != cap)
		ret = -EIO;
out:
	if (ret)
		ef_log_err("cannot write generation %u's rule names to %s/rule_meta: %s", gen,
			   inst->dir, strerror(-ret));
	free(meta);
	free(keys);
	return ret;
}
