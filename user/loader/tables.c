// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading a compiled ruleset. The per-ruleset arrays of a generation are new
 * maps put in its map-in-map slots; the shared tables hold both generations,
 * told apart by a bit of each key or by array halves. The new generation is
 * written where no packet looks, the switch word in `data_active` is
 * switched with one 8-byte store (active.c), and
 * once no packet can still be reading the old generation its entries are
 * deleted.
 */
#include "tables.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "cttable.h"
#include "edgefw.h"
#include "edgefw.skel.h"
#include "fault.h"
#include "gen_arrays.h"
#include "gen_rules.h"
#include "grow.h"
#include "hot.h"
#include "l1.h"
#include "globals.h"
#include "log.h"
#include "purge.h"
#include "slot_ops.h"
#include "xdp_attach.h"
#include "slots.h"
#include "dynsets.h"

static int fill_host6(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	struct edgefw_host6_key *keys = NULL;
	__u32 *vals = NULL;
	size_t n = 0, max = 0;
	int ret;

	for (int f = 0; f < EF_FIELD_COUNT; f++)
		max += c->lpm[f][EF_FAM_V6].n;
	keys = calloc(max + 1, sizeof(*keys));
	vals = calloc(max + 1, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		const struct ef_lpm_table *t = &c->lpm[f][EF_FAM_V6];

		for (size_t i = 0; i < t->n; i++) {
			if (t->v[i].home != EF_HOME_HASH)
				continue;
			keys[n].tag = EDGEFW_HOST6_TAG(gen, f, t->v[i].prefix.len);
			memcpy(keys[n].addr, t->v[i].prefix.addr, 16);
			vals[n++] = t->v[i].class_id;
		}
	}
	ret = n > EDGEFW_HOST6_MAX
		      ? -E2BIG
		      : ef_update_batch(inst->maps.host6_tbl, keys, vals, n, "host6_update");
out:
	if (ret)
		ef_log_err("cannot fill the IPv6 address table: %s", strerror(-ret));
	free(keys);
	free(vals);
	return ret;
}

static int fill_lpm6(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		const struct ef_lpm_table *t = &c->lpm[f][EF_FAM_V6];

		for (size_t i = 0; i < t->n; i++) {
			/* The array trie answers for /48 and shorter and the
			 * prefixes behind skip nodes, the host table for the
			 * hashed lengths (addr6_hash.c). */
			if (t->v[i].home != EF_HOME_LPM)
				continue;
			struct edgefw_lpm6_key k = {
				.prefixlen = EDGEFW_LPM6_TAG_BITS + t->v[i].prefix.len,
				.tag = (__u8)(gen << 1 | (__u32)f),
			};

			memcpy(k.addr, t->v[i].prefix.addr, sizeof(k.addr));
			if (ef_fault("lpm6_update") ||
			    bpf_map_update_elem(inst->maps.lpm6_tbl, &k, &t->v[i].class_id,
						BPF_NOEXIST)) {
				int err = -errno;

				ef_log_err("cannot fill the IPv6 address table: %s",
					   strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

struct verdicts {
	const struct ef_ruleset *rs;
	const struct ef_compiled *c;
	const __u32 *slot_of;
	const __u32 *ifindex_of;
};

/* The pairs of the stages too large to be dense. */
static int fill_chain(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	const __u32 genbit = gen ? EDGEFW_CHAIN_GEN_BIT : 0;
	struct edgefw_chain_key *keys = calloc(c->n_hashed + 1, sizeof(*keys));
	__u32 *vals = calloc(c->n_hashed + 1, sizeof(*vals));
	size_t n = 0;
	int ret;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n_chain && n < c->n_hashed; i++) {
		if (c->stages[c->chain[i].stage].width)
			continue;
		keys[n] = c->chain[i].key;
		keys[n].cur |= genbit;
		vals[n++] = c->chain[i].next;
	}
	ret = ef_update_batch(inst->maps.chain_tbl, keys, vals, n, "chain_update");
out:
	if (ret)
		ef_log_err("cannot fill the chain table: %s", strerror(-ret));
	free(keys);
	free(vals);
	return ret;
}

/* The chain's leaves into generation gen's row of the global data
 * (kern/maps.h edgefw_leaves), through a mapping of data_bss: gen is not in
 * force, so no packet reads what is half-written; the switch's release
 * store (active.c) orders these writes before it. */
static int fill_leaf(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	struct edgefw_bpf__bss *bss;
	int ret;

	if (gen >= EDGEFW_GENERATIONS)
		return -EINVAL;
	ret = ef_bss_map(inst, "the leaves", "leaf_mmap", &bss);
	if (ret)
		return ret;
	memcpy(bss->edgefw_leaves[gen], c->leaf, sizeof(bss->edgefw_leaves[gen]));
	ef_bss_unmap(bss);
	return 0;
}

static int fill_ctx(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	for (size_t i = 0; i < c->n_ctx; i++) {
		const struct ef_ctx_entry *e = &c->ctx[i];
		struct edgefw_ctx_key k = { .gen = gen, .hook = e->hook };

		if (e->ifname[0]) {
			k.ifindex = if_nametoindex(e->ifname);
			if (!k.ifindex)
				continue; /* gone since: the fallback applies */
		}
		if (ef_fault("ctx_update") ||
		    bpf_map_update_elem(inst->maps.ctx_tbl, &k, &e->class_id, BPF_ANY)) {
			int err = -errno;

			ef_log_err("cannot fill ctx_tbl: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static int resolve_redirects(struct ef_instance *inst, const struct ef_ruleset *rs,
			     __u32 *ifindex_of)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		ifindex_of[i] = 0;
		if (r->action != EDGEFW_ACT_REDIRECT)
			continue;
		ifindex_of[i] = if_nametoindex(r->redirect_ifname);
		if (!ifindex_of[i]) {
			ef_log_err(
				"%s:%u:%u: rule '%s' redirects to '%s', which does not exist here: create the interface first",
				rs->path ? rs->path : "rules", r->line, r->col, r->name,
				r->redirect_ifname);
			return -ENODEV;
		}
		if (ef_fault("redirect_update") ||
		    bpf_map_update_elem(inst->maps.tx_ports, &ifindex_of[i], &ifindex_of[i],
					BPF_ANY)) {
			int err = -errno;

			ef_log_err("cannot add %s to the redirect map: %s", r->redirect_ifname,
				   strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Returns once every BPF program that started before the call has
 * finished: the kernel waits for an RCU grace period after updating a
 * map-in-map, and rcu_sync is one kept for this. The previous
 * generation's slots (release_gen, when not -1) are emptied in the same
 * wait, so its arrays go right after the switch at no extra wait; failing
 * to empty them is a warning of its own. */
static int wait_for_readers(struct ef_instance *inst, int release_gen)
{
	struct ef_slot_op sync = { .outer = inst->maps.rcu_sync, .site = "sync_update" };
	int inner = ef_fault("sync_create");

	if (!inner)
		inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "efw_sync", sizeof(__u32), sizeof(__u32),
				       1, NULL);
	if (inner < 0)
		return -errno;
	sync.inner = inner;
	if (release_gen < 0)
		ef_slot_ops_run(&sync, 1);
	else if (ef_gen_arrays_release(inst, (__u32)release_gen, &sync))
		ef_log_warn(
			"the previous ruleset's arrays stay in %s until the next reload replaces them",
			inst->dir);
	close(inner);
	return sync.err;
}

/* Generation gen's entries of the tables both generations share. */
static int fill_shared(struct ef_instance *inst, __u32 gen, const struct ef_compiled *c)
{
	/* Leftovers of an interrupted reload would mix into this one. */
	int ret = ef_purge_gen(inst, gen);

	if (ret) {
		ef_log_err("cannot remove the leftovers of generation %u from %s: %s", gen,
			   inst->dir, strerror(-ret));
		return ret;
	}
	ret = fill_lpm6(inst, gen, c);
	if (!ret)
		ret = fill_host6(inst, gen, c);
	if (!ret)
		ret = fill_chain(inst, gen, c);
	if (!ret)
		ret = fill_leaf(inst, gen, c);
	if (!ret)
		ret = ef_l1_write(inst, gen, c);
	if (!ret)
		ret = fill_ctx(inst, gen, c);
	return ret;
}

/* Each rule's verdict: in the chain's last classes, and at the rule's
 * index in the generation's entries of rule_tbl for the trees' leaves. */
static struct edgefw_verdict *make_verdicts(const struct verdicts *v)
{
	const struct ef_ruleset *rs = v->rs;
	struct edgefw_verdict *vals = calloc(rs->n_rules + 1, sizeof(*vals));

	for (size_t i = 0; vals && i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		vals[i].counter_slot = (__u16)v->slot_of[i];
		vals[i].rule = (__u16)i;
		vals[i].action = r->action;
		vals[i].redirect_ifindex = v->ifindex_of[i];
		vals[i].flags = EDGEFW_VERDICT_F_MATCH | (r->log ? EDGEFW_VERDICT_F_LOG : 0) |
				(r->track == EF_TRACK_YES ? EDGEFW_VERDICT_F_TRACK : 0) |
				(r->track == EF_TRACK_NO ? EDGEFW_VERDICT_F_NOTRACK : 0);
		/* issue 16: the rule's limit and ban in dyn_config (dynsets.c) */
		vals[i].limit = r->limit.on ? (__u8)(r->limit_cond + 1) : 0;
		vals[i].ban = r->ban.set ? (__u8)(r->ban_idx + 1) : 0;
	}
	return vals;
}

static int fill_rules(struct ef_instance *inst, __u32 gen, size_t n,
		      const struct edgefw_verdict *vals)
{
	__u32 *keys = calloc(n + 1, sizeof(*keys));
	int ret = -ENOMEM;

	if (keys) {
		for (size_t i = 0; i < n; i++)
			keys[i] = EDGEFW_RULE_KEY(gen, i);
		ret = ef_update_batch(inst->maps.rule_tbl, keys, vals, n, "rules_update");
	}
	if (ret)
		ef_log_err("cannot fill rule_tbl: %s", strerror(-ret));
	free(keys);
	return ret;
}

static int write_gen_config(struct ef_instance *inst, __u32 gen, const struct ef_ruleset *rs,
			    const struct ef_compiled *c)
{
	/* Zeroed: the kernel reads the tree roots past n_trees as trie_word 0
	 * (kern/tree_walk.h, tree_forests4_only). */
	struct edgefw_gen_config cfg = {};
	struct ef_hot_plan hot;

	memcpy(cfg.default_action, rs->default_action, sizeof(cfg.default_action));
	cfg.non_ip_action = rs->non_ip_action;
	cfg.malformed_action = rs->malformed_action;
	cfg.ext_overflow_action = rs->ext_overflow_action;
	cfg.encap_overflow_action = rs->encap_overflow_action;
	cfg.frag_policy = rs->frag_policy;
	cfg.root_class = c->root_class;
	cfg.n_dims = c->n_dims;
	cfg.ct_mode = ef_ruleset_ct_mode(rs) | ef_ruleset_ct_first(rs);
	cfg.ct_first_hooks = rs->n_rules ? rs->rules[0].hooks : 0;
	cfg.dyn = (rs->n_conds || rs->n_bans ? EDGEFW_DYN_READ : 0) |
		  (c->held_hi > c->held_lo ? EDGEFW_DYN_HELD : 0);
	memcpy(cfg.dims, c->dims, sizeof(cfg.dims));
	/* The compiler's stages[0] is unused; the map's start at field 1.
	 * A table in the hot window has its slot there as its base (hot.h);
	 * the datapath reads cur * width + off + next (edgefw_gen_stage). */
	ef_hot_plan(c, ef_l1_extra(c), &hot);
	for (unsigned i = 0; i < EDGEFW_DIM_COUNT - 1; i++) {
		const struct edgefw_stage *st = &c->stages[i + 1];

		cfg.stages[i].width = st->width;
		cfg.stages[i].off = st->width ? hot.base[i] - st->row0 * st->width : 0;
	}
	for (unsigned t = 0; t < c->n_trees; t++) {
		unsigned fam = c->trees[t].family == EF_AF_INET6;
		struct edgefw_tree_root *r = &cfg.trees[fam][cfg.n_trees[fam]++];

		/* A forest's level 1 may be in global data (l1.h); a tree's
		 * root is a node, in another numbering. */
		r->root = c->trees[t].trie_word != EF_TREE_NO_TRIE ? ef_l1_root(c, c->trees[t].root)
								   : c->trees[t].root;
		r->min_rule = c->trees[t].min_rule;
		r->family = c->trees[t].family;
		r->trie_word = c->trees[t].trie_word;
		r->paired = c->trees[t].paired;
	}
	for (int fam = 0; fam < 2; fam++)
		cfg.trees[fam][0].probe =
			cfg.n_trees[fam] == 1 && ef_l1_probe(c, &cfg.trees[fam][0]);
	for (int f = 0; f < 2; f++)
		cfg.pair_l1[f] = c->pair_l1[f] ? ef_l1_root(c, c->pair_l1[f]) : 0;
	cfg.paired = ef_l1_paired(c);
	memcpy(cfg.hash6_len, c->hash6_len, sizeof(cfg.hash6_len));
	cfg.chain_min_rule = c->chain_min_rule;
	int err = ef_fault("gen_config_update")
			  ? -EIO
			  : ef_gen_config_write(inst->maps.data_active, gen, &cfg);

	if (err)
		ef_log_err("cannot write generation %u's config into %s/data_active: %s", gen,
			   inst->dir, strerror(-err));
	return err;
}

/* What status, stats, metrics and the drop log read about the ruleset:
 * its rule names by slot and its gen_info, in generation gen's half. */
static int describe_gen(struct ef_instance *inst, __u32 gen, const struct verdicts *v,
			__u64 version)
{
	const struct ef_ruleset *rs = v->rs;
	const struct ef_compiled *c = v->c;
	struct edgefw_gen_info gi = {
		.ruleset_hash = rs->hash,
		.loaded_at = (__u64)time(NULL),
		.version = version,
		.n_rules = (__u32)rs->n_rules,
		.n_chain_rules = (__u32)c->n_chain_rules,
		.n_cells = (__u32)(c->n_cells + ef_l1_extra(c)), /* as ef_needs_of */
		.n_classes = (__u32)c->n_classes,
		.n_tnodes = (__u32)c->n_tnodes,
		.n_tleaves = (__u32)c->n_tleaves,
		.memory_estimate = ef_compiled_memory(c),
	};
	const __u32 *slot_of = v->slot_of;
	int ret = ef_slots_write_meta(inst, gen, rs, slot_of);

	if (ret)
		return ret;
	if (ef_fault("gen_info_update") ||
	    bpf_map_update_elem(inst->maps.gen_info, &gen, &gi, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot write %s/gen_info: %s", inst->dir, strerror(-ret));
	}
	return ret;
}

/* Everything of the new ruleset, in generation gen, which no packet and
 * no reader looks at until the switch. The generation's own arrays go
 * into their slots first: the grace period each slot change waits for
 * passes while the rest is written, so a reload waits for one grace
 * period of its own (after the switch, retire_gen), not two. */
static int fill_gen(struct ef_instance *inst, __u32 gen, const struct verdicts *v, __u64 version)
{
	struct edgefw_verdict *verdicts = make_verdicts(v);
	struct ef_gen_install in;
	int ret, installed;

	if (!verdicts)
		return -ENOMEM;
	ret = ef_gen_arrays_begin(inst, gen, v->c, verdicts, &in);
	if (!ret)
		ret = fill_shared(inst, gen, v->c);
	if (!ret)
		ret = fill_rules(inst, gen, v->rs->n_rules, verdicts);
	if (!ret)
		ret = write_gen_config(inst, gen, v->rs, v->c);
	if (!ret) /* issue 16: dynamic sets, limits and bans */
		ret = ef_dynsets_prepare(inst, gen, v->rs);
	if (!ret)
		ret = describe_gen(inst, gen, v, version);
	/* Always waited for: the threads use the arrays until they land. */
	installed = ef_gen_arrays_end(inst, &in);
	free(verdicts);
	return ret ? ret : installed;
}

/* After the switch: once the packets that read the old generation are
 * done, its entries go. Failing here changes nothing in force, so it is a
 * warning; the next reload removes what is left before it fills. */
static void retire_gen(struct ef_instance *inst, __u32 gen)
{
	int ret = wait_for_readers(inst, (int)gen);
	const char *what = "cannot wait for packets in flight";

	if (!ret) {
		ret = ef_purge_gen(inst, gen);
		what = "cannot remove the previous ruleset's entries";
	}
	if (ret)
		ef_log_warn(
			"the new ruleset is in force, but %s of %s (%s): they stay, unused, until the next reload removes them",
			what, inst->dir, strerror(-ret));
}

static bool uses_vlan(const struct ef_compiled *c)
{
	for (unsigned i = 0; i < c->n_dims && i < EDGEFW_DIM_COUNT; i++)
		if (c->dims[i] == EDGEFW_DIM_VLAN)
			return true;
	return false;
}

static int apply(struct ef_instance *inst, const struct ef_ruleset *rs, const struct ef_compiled *c,
		 struct ef_apply_summary *sum, bool same_rules)
{
	struct ef_ruleset_state cur;
	struct edgefw_active next = { .loaded = 1 };
	__u32 *slot_of = NULL, *ifindex_of = NULL;
	struct verdicts v;
	__u64 version;
	bool had_vlan;
	int ret;

	memset(sum, 0, sizeof(*sum));
	ret = ef_fault("state_read");
	if (ret)
		ef_log_err("cannot read which ruleset %s holds: %s", inst->dir, strerror(-ret));
	else
		ret = ef_instance_read_state(inst, &cur);
	if (ret)
		return ret;
	next.gen = cur.loaded ? !cur.gen : 0;
	/* The version counts rulesets, not recompilations of one. */
	version = same_rules && cur.loaded && cur.ruleset_hash == rs->hash ? cur.version
									   : cur.version + 1;

	slot_of = calloc(rs->n_rules + 1, sizeof(*slot_of));
	ifindex_of = calloc(rs->n_rules + 1, sizeof(*ifindex_of));
	if (!slot_of || !ifindex_of) {
		ret = -ENOMEM;
		ef_log_err("out of memory loading the ruleset");
		goto out;
	}
	/* Maps too small for the new ruleset grow first (grow.h). */
	ret = ef_grow_for(inst, rs, c, &cur, &sum->grew);
	if (!ret)
		ret = resolve_redirects(inst, rs, ifindex_of);
	if (!ret)
		ret = ef_slots_assign(inst, &cur, rs, slot_of, sum);
	v = (struct verdicts){ rs, c, slot_of, ifindex_of };
	if (!ret)
		ret = fill_gen(inst, next.gen, &v, version);
	if (ret)
		goto out;
	/* What `edgefw show` prints (gen_rules.h): the rules are fine, so a
	 * copy that cannot be written is a warning, and show says so. */
	ret = ef_gen_rules_write(inst->name, next.gen, rs);
	if (ret)
		ef_log_warn(
			"cannot write %s/%s.gen%u.yaml (%s): 'edgefw show' will not show the new ruleset",
			EF_GEN_RULES_DIR, inst->name, next.gen, strerror(-ret));
	ret = 0;

	/* 'vlan:' rules coming: the program that reads stripped tags goes
	 * on first (it decides as the shared one does, and reads them). */
	had_vlan = ef_xdp_ruleset_uses_vlan(inst);
	if (uses_vlan(c) && !had_vlan)
		ef_xdp_vlan_follow(inst, true);
	/* The switch: one 8-byte store, read once per packet. Up to
	 * here, the ruleset in force and its description are untouched. */
	ret = ef_fault("switch") ? -EIO : ef_active_switch(inst->maps.data_active, &next);
	if (ret) {
		ef_log_err("cannot switch %s to the new ruleset: %s", inst->dir, strerror(-ret));
		goto out;
	}
	sum->gen = next.gen;
	sum->version = version;
	if (cur.loaded)
		retire_gen(inst, cur.gen);
	/* 'vlan:' rules gone: back to the shared program. */
	if (!uses_vlan(c) && had_vlan)
		ef_xdp_vlan_follow(inst, false);
	/* State never outlives the rules that allowed it (#15). A failure
	 * leaves flows that expire by themselves: a warning. */
	if (ef_ct_revalidate(inst, rs, c, &sum->ct_removed))
		ef_log_warn(
			"the new ruleset is in force, but the connection table of %s could not be checked against it: flows it no longer allows stay until they expire or 'edgefw conntrack flush'",
			inst->dir);
	/* Sets the new ruleset dropped, once no packet reads the old one. */
	ef_dynsets_retire(inst, rs, cur.loaded);
out:
	free(slot_of);
	free(ifindex_of);
	return ret;
}

int ef_tables_apply(struct ef_instance *inst, const struct ef_ruleset *rs,
		    const struct ef_compiled *c, struct ef_apply_summary *sum)
{
	return apply(inst, rs, c, sum, false);
}

int ef_tables_apply_same(struct ef_instance *inst, const struct ef_ruleset *rs,
			 const struct ef_compiled *c, struct ef_apply_summary *sum)
{
	return apply(inst, rs, c, sum, true);
}
