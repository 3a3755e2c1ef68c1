// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading a compiled ruleset. The per-ruleset arrays of a generation are new
 * maps put in its map-in-map slots; the shared tables hold both generations,
 * told apart by a bit of each key or by array halves. The new generation is
 * written where no packet looks, `active` is switched with one write, and
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

#include "edgefw.h"
#include "fault.h"
#include "log.h"
#include "purge.h"
#include "slots.h"
#include "dynsets.h"

/* One syscall per batch instead of one per entry; site names the call
 * for fault injection. */
static int update_batch(int fd, const void *keys, const void *vals,
			size_t n, const char *site)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = (__u32)n;

	if (!n)
		return 0;
	if (ef_fault(site) || bpf_map_update_batch(fd, keys, vals, &count, &opts))
		return -errno;
	return count == n ? 0 : -EIO;
}

/* Writes values[0..n) at entries [first, first + n) of an mmapable array
 * of __u32, whose elements the kernel lays out 8 bytes apart. */
static int mmap_write(int fd, size_t entries, size_t first,
		      const __u32 *values, size_t n, const char *site)
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

static int fill_host6(struct ef_instance *inst, __u32 gen,
		      const struct ef_compiled *c)
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
			if (t->v[i].prefix.len != 128)
				continue;
			keys[n].tag = gen << 1 | (__u32)f;
			memcpy(keys[n].addr, t->v[i].prefix.addr, 16);
			vals[n++] = t->v[i].class_id;
		}
	}
	ret = n > EDGEFW_HOST6_MAX ? -E2BIG :
	      update_batch(inst->maps.host6_tbl, keys, vals, n, "host6_update");
out:
	if (ret)
		ef_log_err("cannot fill the IPv6 address table: %s", strerror(-ret));
	free(keys);
	free(vals);
	return ret;
}

static int fill_lpm6(struct ef_instance *inst, __u32 gen,
		     const struct ef_compiled *c)
{
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		const struct ef_lpm_table *t = &c->lpm[f][EF_FAM_V6];

		for (size_t i = 0; i < t->n; i++) {
			/* The array trie answers for /48 and shorter, the host
			 * table for /128. */
			if (t->v[i].prefix.len <= EDGEFW_A6_TRIE_BITS ||
			    t->v[i].prefix.len == 128)
				continue;
			struct edgefw_lpm6_key k = {
				.prefixlen = EDGEFW_LPM6_TAG_BITS + t->v[i].prefix.len,
				.tag = (__u8)(gen << 1 | (__u32)f),
			};

			memcpy(k.addr, t->v[i].prefix.addr, sizeof(k.addr));
			if (ef_fault("lpm6_update") ||
			    bpf_map_update_elem(inst->maps.lpm6_tbl, &k,
						&t->v[i].class_id, BPF_NOEXIST)) {
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

static int make_cells(const struct ef_compiled *c, __u32 cap)
{
	int fd, ret;

	if (c->n_cells > cap) {
		ef_log_err("the ruleset needs %zu table cells; this instance holds %u: detach it from every interface and attach again (an instance is sized for the ruleset it starts with)",
			   c->n_cells, cap);
		return -E2BIG;
	}
	fd = create_array("efw_cells", sizeof(__u32), cap, BPF_F_MMAPABLE);
	if (fd < 0)
		return fd;
	ret = mmap_write(fd, cap, 0, c->cells, c->n_cells, "cells_mmap");
	if (ret) {
		ef_log_err("cannot fill efw_cells: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

static int make_classes(const struct verdicts *v, __u32 cap)
{
	const struct ef_compiled *c = v->c;
	struct edgefw_class_info *vals = calloc(c->n_classes + 1, sizeof(*vals));
	__u32 *keys = calloc(c->n_classes + 1, sizeof(*keys));
	int fd = -ENOMEM, ret;

	if (c->n_classes > cap) {
		ef_log_err("the ruleset needs %zu classes; this instance holds %u: detach it from every interface and attach again (an instance is sized for the ruleset it starts with)",
			   c->n_classes, cap);
		fd = -E2BIG;
		goto out;
	}
	if (!keys || !vals)
		goto out;
	fd = create_array("efw_classes", sizeof(*vals), cap, 0);
	if (fd < 0)
		goto out;
	for (size_t i = 0; i < c->n_classes; i++) {
		const struct ef_class_entry *e = &c->classes[i];
		struct edgefw_verdict *vd = &vals[i].verdict;
		const struct ef_rule *r;

		keys[i] = (__u32)i;
		vals[i].miss = e->miss;
		if (e->rule < 0)
			continue;
		r = &v->rs->rules[e->rule];
		vd->counter_slot = v->slot_of[e->rule];
		vd->action = r->action;
		vd->redirect_ifindex = v->ifindex_of[e->rule];
		vd->flags = EDGEFW_VERDICT_F_MATCH | (r->log ? EDGEFW_VERDICT_F_LOG : 0);
		/* issue 16: the rule's limit and ban in dyn_config (dynsets.c) */
		vd->limit = r->limit.on ? (__u8)(r->limit_cond + 1) : 0;
		vd->ban = r->ban.set ? (__u8)(r->ban_idx + 1) : 0;
	}
	ret = update_batch(fd, keys, vals, c->n_classes, "classes_update");
	if (ret) {
		ef_log_err("cannot fill efw_classes: %s", strerror(-ret));
		close(fd);
		fd = ret;
	}
out:
	free(keys);
	free(vals);
	return fd;
}

/* The pairs of the stages too large to be dense. */
static int fill_chain(struct ef_instance *inst, __u32 gen,
		      const struct ef_compiled *c)
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
	ret = update_batch(inst->maps.chain_tbl, keys, vals, n, "chain_update");
out:
	if (ret)
		ef_log_err("cannot fill the chain table: %s", strerror(-ret));
	free(keys);
	free(vals);
	return ret;
}

static int fill_leaf(struct ef_instance *inst, __u32 gen,
		     const struct ef_compiled *c)
{
	int ret = mmap_write(inst->maps.leaf_tbl,
			     (size_t)EDGEFW_GENERATIONS * EDGEFW_LEAF_SIZE,
			     (size_t)gen * EDGEFW_LEAF_SIZE, c->leaf,
			     EDGEFW_LEAF_SIZE, "leaf_mmap");

	if (ret)
		ef_log_err("cannot fill leaf_tbl: %s", strerror(-ret));
	return ret;
}

static int fill_ctx(struct ef_instance *inst, __u32 gen,
		    const struct ef_compiled *c)
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
		    bpf_map_update_elem(inst->maps.ctx_tbl, &k, &e->class_id,
					BPF_ANY)) {
			int err = -errno;

			ef_log_err("cannot fill ctx_tbl: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static int resolve_redirects(struct ef_instance *inst,
			     const struct ef_ruleset *rs, __u32 *ifindex_of)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		ifindex_of[i] = 0;
		if (r->action != EDGEFW_ACT_REDIRECT)
			continue;
		ifindex_of[i] = if_nametoindex(r->redirect_ifname);
		if (!ifindex_of[i]) {
			ef_log_err("%s:%u:%u: rule '%s' redirects to '%s', which does not exist here: create the interface first",
				   rs->path ? rs->path : "rules", r->line, r->col,
				   r->name, r->redirect_ifname);
			return -ENODEV;
		}
		if (ef_fault("redirect_update") ||
		    bpf_map_update_elem(inst->maps.tx_ports, &ifindex_of[i],
					&ifindex_of[i], BPF_ANY)) {
			int err = -errno;

			ef_log_err("cannot add %s to the redirect map: %s",
				   r->redirect_ifname, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Returns once every BPF program that started before the call has
 * finished: the kernel waits for an RCU grace period after updating a
 * map-in-map, and rcu_sync is one kept for this. */
static int wait_for_readers(struct ef_instance *inst)
{
	__u32 zero = 0;
	int inner = ef_fault("sync_create"), ret = 0;

	if (!inner)
		inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "efw_sync",
				       sizeof(__u32), sizeof(__u32), 1, NULL);
	if (inner < 0 || ef_fault("sync_update") ||
	    bpf_map_update_elem(inst->maps.rcu_sync, &zero, &inner, BPF_ANY))
		ret = -errno;
	if (inner >= 0)
		close(inner);
	return ret;
}

/* Generation gen's entries of the tables both generations share. */
static int fill_shared(struct ef_instance *inst, __u32 gen,
		       const struct ef_compiled *c)
{
	/* Leftovers of an interrupted reload would mix into this one. */
	int ret = ef_purge_gen(inst, gen);

	if (ret) {
		ef_log_err("cannot remove the leftovers of generation %u from %s: %s",
			   gen, inst->dir, strerror(-ret));
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
		ret = fill_ctx(inst, gen, c);
	return ret;
}

/* New cells and classes arrays, put in generation gen's slots. */
static int install_arrays(struct ef_instance *inst, __u32 gen,
			  const struct verdicts *v)
{
	struct edgefw_instance_info info;
	int ret = 0, cells, classes = -1;
	__u32 zero = 0;

	if (ef_fault("info_read") ||
	    bpf_map_lookup_elem(inst->maps.instance_info, &zero, &info)) {
		ret = -errno;
		ef_log_err("cannot read %s/instance_info: %s", inst->dir,
			   strerror(-ret));
		return ret;
	}
	cells = make_cells(v->c, info.cells_cap);
	if (cells < 0)
		return cells;
	classes = make_classes(v, info.classes_cap);
	if (classes < 0) {
		ret = classes;
		goto out;
	}
	/* Each map-in-map update waits for an RCU grace period (~13 ms). */
	if (ef_fault("inner_install") ||
	    bpf_map_update_elem(inst->maps.cells_tbl, &gen, &cells, BPF_ANY) ||
	    ef_fault("inner_install") ||
	    bpf_map_update_elem(inst->maps.class_tbl, &gen, &classes, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot install generation %u's arrays: %s", gen,
			   strerror(-ret));
	}
out:
	/* The outer maps hold their own references. */
	close(cells);
	if (classes >= 0)
		close(classes);
	return ret;
}

static int write_gen_config(struct ef_instance *inst, __u32 gen,
			    const struct ef_ruleset *rs,
			    const struct ef_compiled *c)
{
	struct edgefw_gen_config cfg = {};

	memcpy(cfg.default_action, rs->default_action, sizeof(cfg.default_action));
	cfg.non_ip_action = rs->non_ip_action;
	cfg.malformed_action = rs->malformed_action;
	cfg.ext_overflow_action = rs->ext_overflow_action;
	cfg.encap_overflow_action = rs->encap_overflow_action;
	cfg.frag_policy = rs->frag_policy;
	cfg.root_class = c->root_class;
	cfg.n_dims = c->n_dims;
	memcpy(cfg.dims, c->dims, sizeof(cfg.dims));
	memcpy(cfg.stages, c->stages, sizeof(cfg.stages));
	if (ef_fault("gen_config_update") ||
	    bpf_map_update_elem(inst->maps.gen_config, &gen, &cfg, BPF_ANY)) {
		int err = -errno;

		ef_log_err("cannot write %s/gen_config: %s", inst->dir,
			   strerror(-err));
		return err;
	}
	return 0;
}

/* What status, stats, metrics and the drop log read about the ruleset:
 * its rule names by slot and its gen_info, in generation gen's half. */
static int describe_gen(struct ef_instance *inst, __u32 gen,
			const struct ef_ruleset *rs, const __u32 *slot_of,
			__u64 version)
{
	struct edgefw_gen_info gi = {
		.ruleset_hash = rs->hash,
		.loaded_at = (__u64)time(NULL),
		.version = version,
		.n_rules = (__u32)rs->n_rules,
	};
	int ret = ef_slots_write_meta(inst, gen, rs, slot_of);

	if (ret)
		return ret;
	if (ef_fault("gen_info_update") ||
	    bpf_map_update_elem(inst->maps.gen_info, &gen, &gi, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot write %s/gen_info: %s", inst->dir,
			   strerror(-ret));
	}
	return ret;
}

/* Everything of the new ruleset, in generation gen, which no packet and
 * no reader looks at until the switch. */
static int fill_gen(struct ef_instance *inst, __u32 gen,
		    const struct verdicts *v, __u64 version)
{
	int ret = fill_shared(inst, gen, v->c);

	if (!ret)
		ret = install_arrays(inst, gen, v);
	if (!ret)
		ret = write_gen_config(inst, gen, v->rs, v->c);
	if (!ret) /* issue 16: dynamic sets, limits and bans */
		ret = ef_dynsets_prepare(inst, gen, v->rs);
	if (!ret)
		ret = describe_gen(inst, gen, v->rs, v->slot_of, version);
	return ret;
}

/* After the switch: once the packets that read the old generation are
 * done, its entries go. Failing here changes nothing in force, so it is a
 * warning; the next reload removes what is left before it fills. */
static void retire_gen(struct ef_instance *inst, __u32 gen)
{
	int ret = wait_for_readers(inst);
	const char *what = "cannot wait for packets in flight";

	if (!ret) {
		ret = ef_purge_gen(inst, gen);
		what = "cannot remove the previous ruleset's entries";
	}
	if (ret)
		ef_log_warn("the new ruleset is in force, but %s of %s (%s): they stay, unused, until the next reload removes them",
			    what, inst->dir, strerror(-ret));
}

int ef_tables_apply(struct ef_instance *inst, const struct ef_ruleset *rs,
		    const struct ef_compiled *c, struct ef_apply_summary *sum)
{
	struct ef_ruleset_state cur;
	struct edgefw_active next = { .loaded = 1 };
	__u32 *slot_of = NULL, *ifindex_of = NULL;
	struct verdicts v;
	__u32 zero = 0;
	int ret;

	memset(sum, 0, sizeof(*sum));
	ret = ef_fault("state_read");
	if (ret)
		ef_log_err("cannot read which ruleset %s holds: %s", inst->dir,
			   strerror(-ret));
	else
		ret = ef_instance_read_state(inst, &cur);
	if (ret)
		return ret;
	next.gen = cur.loaded ? !cur.gen : 0;

	slot_of = calloc(rs->n_rules + 1, sizeof(*slot_of));
	ifindex_of = calloc(rs->n_rules + 1, sizeof(*ifindex_of));
	if (!slot_of || !ifindex_of) {
		ret = -ENOMEM;
		ef_log_err("out of memory loading the ruleset");
		goto out;
	}
	ret = resolve_redirects(inst, rs, ifindex_of);
	if (!ret)
		ret = ef_slots_assign(inst, &cur, rs, slot_of, sum);
	v = (struct verdicts){ rs, c, slot_of, ifindex_of };
	if (!ret)
		ret = fill_gen(inst, next.gen, &v, cur.version + 1);
	if (ret)
		goto out;

	/* The switch: one 8-byte array element, read once per packet. Up to
	 * here, the ruleset in force and its description are untouched. */
	if (ef_fault("switch") ||
	    bpf_map_update_elem(inst->maps.active, &zero, &next, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot switch %s to the new ruleset: %s", inst->dir,
			   strerror(-ret));
		goto out;
	}
	sum->gen = next.gen;
	sum->version = cur.version + 1;
	if (cur.loaded)
		retire_gen(inst, cur.gen);
	/* Sets the new ruleset dropped, once no packet reads the old one. */
	ef_dynsets_retire(inst, rs, cur.loaded);
out:
	free(slot_of);
	free(ifindex_of);
	return ret;
}
