// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "counters.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "growth.h"
#include "log.h"
#include "rule_rows.h"

static const char *const reason_names[] = {
	[EDGEFW_REASON_DEFAULT_PASS] = "default_pass",
	[EDGEFW_REASON_DEFAULT_DROP] = "default_drop",
	[EDGEFW_REASON_NON_IP] = "non_ip",
	[EDGEFW_REASON_ND] = "nd",
	[EDGEFW_REASON_MALFORMED_L2] = "malformed_l2",
	[EDGEFW_REASON_MALFORMED_L3] = "malformed_l3",
	[EDGEFW_REASON_MALFORMED_EXT] = "malformed_ext",
	[EDGEFW_REASON_MALFORMED_L4] = "malformed_l4",
	[EDGEFW_REASON_EXT_OVERFLOW] = "ext_overflow",
	[EDGEFW_REASON_FRAGMENT] = "fragment_policy",
	[EDGEFW_REASON_NO_RULESET] = "no_ruleset",
	[EDGEFW_REASON_REDIRECT_FAIL] = "redirect_fail",
	[EDGEFW_REASON_ENCAP_OVERFLOW] = "encap_overflow",
	[EDGEFW_REASON_READ_FAIL] = "read_fail",
};

_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == EDGEFW_REASON_COUNT,
	       "a name for every reason");

const char *ef_reason_name(unsigned reason)
{
	return reason < EDGEFW_REASON_COUNT && reason_names[reason] ? reason_names[reason] : "?";
}

/* Sums one per-CPU counter; buf holds ncpu counters. */
static int read_sum(int fd, __u32 idx, struct edgefw_counter *buf, int ncpu,
		    struct edgefw_counter *out)
{
	if (bpf_map_lookup_elem(fd, &idx, buf))
		return -errno;
	out->packets = out->bytes = 0;
	for (int c = 0; c < ncpu; c++) {
		out->packets += buf[c].packets;
		out->bytes += buf[c].bytes;
	}
	return 0;
}

/* Hook h's default verdicts: its two default_stats rows (pass, drop), which
 * are also the default_pass and default_drop reasons (kern/edgefw.h). */
static int read_defaults(struct ef_instance *inst, __u32 h, struct edgefw_counter *buf, int ncpu,
			 struct ef_stats *st)
{
	static const __u32 reason[2] = { EDGEFW_REASON_DEFAULT_PASS, EDGEFW_REASON_DEFAULT_DROP };
	struct edgefw_counter row;
	int ret = 0;

	st->defaults[h].packets = st->defaults[h].bytes = 0;
	for (__u32 drop = 0; drop < 2 && !ret; drop++) {
		ret = read_sum(inst->maps.default_stats, EDGEFW_DEFAULT_ROW(h, drop), buf, ncpu,
			       &row);
		if (ret)
			break;
		st->defaults[h].packets += row.packets;
		st->defaults[h].bytes += row.bytes;
		st->reasons[reason[drop]].packets += row.packets;
		st->reasons[reason[drop]].bytes += row.bytes;
	}
	return ret;
}

static int cmp_order(const void *a, const void *b)
{
	const struct ef_rule_stat *x = a, *y = b;

	return (x->order > y->order) - (x->order < y->order);
}

static int cmp_iface(const void *a, const void *b)
{
	const struct ef_iface_stat *x = a, *y = b;
	int c = strncmp(x->ifname, y->ifname, sizeof(x->ifname));

	return c ? c : (x->hook > y->hook) - (x->hook < y->hook);
}

/* Every attachment's row of iface_stats. */
static int read_ifaces(struct ef_instance *inst, struct edgefw_counter *buf, int ncpu,
		       struct ef_stats *st)
{
	struct edgefw_attach_key key, next;
	struct edgefw_attach_val val;
	void *prev = NULL;
	int ret = 0;

	st->ifaces = calloc(EDGEFW_MAX_ATTACH, sizeof(*st->ifaces));
	if (!st->ifaces)
		return -ENOMEM;
	while (!ret && st->n_ifaces < EDGEFW_MAX_ATTACH &&
	       !bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		struct ef_iface_stat *f = &st->ifaces[st->n_ifaces];

		key = next;
		prev = &key;
		/* Gone meanwhile (a detach), or from a bad write: skip. */
		if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val) ||
		    val.slot >= EDGEFW_MAX_ATTACH)
			continue;
		memcpy(f->ifname, val.ifname, sizeof(f->ifname));
		f->ifname[sizeof(f->ifname) - 1] = '\0';
		f->ifindex = key.ifindex;
		f->hook = key.hook;
		f->slot = val.slot;
		for (__u32 a = 0; a < EDGEFW_ACT_COUNT && !ret; a++)
			ret = read_sum(inst->maps.iface_stats, val.slot * EDGEFW_ACT_COUNT + a, buf,
				       ncpu, &f->act[a]);
		st->n_ifaces++;
	}
	if (!ret && st->n_ifaces)
		qsort(st->ifaces, st->n_ifaces, sizeof(*st->ifaces), cmp_iface);
	return ret;
}

/* One past the highest of the first slots slots that holds a name. */
static __u32 named_slots(const struct edgefw_rule_meta *meta, __u32 slots)
{
	__u32 n = 0;

	for (__u32 s = 0; s < slots && s < EDGEFW_MAX_RULES; s++)
		if (meta[s].name[0])
			n = s + 1;
	return n;
}

int ef_stats_read(struct ef_instance *inst, struct ef_stats *st)
{
	int ncpu = libbpf_num_possible_cpus();
	struct edgefw_counter *buf = NULL, *rows = NULL, sum;
	struct edgefw_rule_carry carry;
	struct edgefw_rule_meta *meta = NULL;
	__u32 slots = ef_instance_rule_slots(inst);
	struct edgefw_gen_config cfg = {};
	size_t cap = 0;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (ncpu < 0)
		return ncpu;
	buf = calloc((size_t)ncpu, sizeof(*buf));
	if (!buf)
		return -ENOMEM;

	meta = calloc(EDGEFW_MAX_RULES, sizeof(*meta));
	rows = calloc(EDGEFW_MAX_RULES, sizeof(*rows));
	if (!meta || !rows) {
		ret = -ENOMEM;
		goto out;
	}
	/* The names and defaults of the ruleset in force, as one. */
	ret = ef_instance_read_state(inst, &st->state);
	if (!ret)
		ret = ef_instance_read_meta(inst, &st->state, meta);
	/* Every named slot's rows at once: one mapping, not one per rule. */
	if (!ret)
		ret = slots ? ef_rule_rows_read(inst->maps.rule_stats, rows,
						named_slots(meta, slots))
			    : -EINVAL;
	if (ret)
		goto out;
	for (__u32 s = 0; s < EDGEFW_MAX_RULES; s++) {
		const struct edgefw_rule_meta *m = &meta[s];
		struct ef_rule_stat *r;

		if (!m->name[0])
			continue;
		sum = rows[s]; /* zero past the slots read */
		/* What the slot counted in tables a growth replaced. */
		if (bpf_map_lookup_elem(inst->maps.rule_carry, &s, &carry))
			ret = -errno;
		if (ret)
			goto out;
		ret = EF_GROW(&st->rules, &cap, st->n_rules + 1);
		if (ret)
			goto out;
		r = &st->rules[st->n_rules++];
		memcpy(r->name, m->name, sizeof(r->name));
		r->name[sizeof(r->name) - 1] = '\0';
		r->slot = s;
		r->order = m->order;
		r->action = m->action;
		r->packets = sum.packets + carry.rule.packets;
		r->bytes = sum.bytes + carry.rule.bytes;
		ret = read_sum(inst->maps.limit_stats, s, buf, ncpu, &r->over_limit);
		if (ret)
			goto out;
		r->over_limit.packets += carry.over_limit.packets;
		r->over_limit.bytes += carry.over_limit.bytes;
	}
	if (st->n_rules)
		qsort(st->rules, st->n_rules, sizeof(*st->rules), cmp_order);

	for (__u32 r = 0; r < EDGEFW_REASON_COUNT && !ret; r++)
		ret = read_sum(inst->maps.reason_stats, r, buf, ncpu, &st->reasons[r]);
	for (__u32 h = 0; h < EDGEFW_HOOK_COUNT && !ret; h++)
		ret = read_defaults(inst, h, buf, ncpu, st);
	if (!ret)
		ret = read_ifaces(inst, buf, ncpu, st);
	if (!ret)
		ret = ef_stats_read_dynsets(inst, buf, ncpu, st);
	if (ret)
		goto out;
	if (st->state.loaded && !ef_gen_config_read(inst->maps.data_active, st->state.gen, &cfg))
		memcpy(st->default_action, cfg.default_action, sizeof(st->default_action));
out:
	if (ret) {
		ef_log_err("cannot read counters of instance %s: %s", inst->name, strerror(-ret));
		ef_stats_free(st);
	}
	free(meta);
	free(rows);
	free(buf);
	return ret;
}

void ef_stats_free(struct ef_stats *st)
{
	free(st->rules);
	free(st->ifaces);
	free(st->sets);
	memset(st, 0, sizeof(*st));
}
