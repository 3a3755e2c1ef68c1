// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
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
#include "log.h"

struct inner_maps {
	int addrs;
	int chain;
	int classes;
};

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

static int assign_slots(struct ef_instance *inst, const struct ef_ruleset *rs,
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

static int write_meta(struct ef_instance *inst, const struct ef_ruleset *rs,
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
static void release_slots(struct ef_instance *inst,
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

static int create_inner(enum bpf_map_type type, const char *name,
			__u32 key_size, __u32 value_size, size_t entries,
			__u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	int fd;

	fd = bpf_map_create(type, name, key_size, value_size,
			    (__u32)(entries ? entries : 1), &opts);
	if (fd < 0) {
		fd = -errno;
		ef_log_err("cannot create map %s with %zu entries: %s", name,
			   entries, strerror(-fd));
	}
	return fd;
}

/* One syscall per batch instead of one per entry. */
static int update_batch(int fd, const void *keys, const void *vals,
			size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = (__u32)n;

	if (!n)
		return 0;
	if (bpf_map_update_batch(fd, keys, vals, &count, &opts))
		return -errno;
	return count == n ? 0 : -EIO;
}

static const __u8 field_of[EF_FIELD_COUNT][EF_FAM_COUNT] = {
	[EF_FIELD_SRC] = { EDGEFW_FIELD_SRC4, EDGEFW_FIELD_SRC6 },
	[EF_FIELD_DST] = { EDGEFW_FIELD_DST4, EDGEFW_FIELD_DST6 },
};

/* The LPM trie has no batch update in the kernel: one call per prefix. */
static int fill_addrs(int fd, const struct ef_compiled *c)
{
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		for (int fam = 0; fam < EF_FAM_COUNT; fam++) {
			const struct ef_lpm_table *t = &c->lpm[f][fam];

			for (size_t i = 0; i < t->n; i++) {
				struct edgefw_addr_key k = {
					.prefixlen = EDGEFW_ADDR_KEY_PREFIX_BITS +
						     t->v[i].prefix.len,
					.field = field_of[f][fam],
				};

				memcpy(k.addr, t->v[i].prefix.addr, sizeof(k.addr));
				if (bpf_map_update_elem(fd, &k, &t->v[i].class_id,
							BPF_NOEXIST))
					return -errno;
			}
		}
	}
	return 0;
}

static int fill_chain(int fd, const struct ef_compiled *c)
{
	struct edgefw_chain_key *keys = calloc(c->n_chain + 1, sizeof(*keys));
	__u32 *vals = calloc(c->n_chain + 1, sizeof(*vals));
	int ret;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n_chain; i++) {
		keys[i] = c->chain[i].key;
		vals[i] = c->chain[i].next;
	}
	ret = update_batch(fd, keys, vals, c->n_chain);
out:
	free(keys);
	free(vals);
	return ret;
}

static int fill_classes(int fd, const struct ef_compiled *c,
			const struct ef_ruleset *rs, const __u32 *slot_of,
			const __u32 *ifindex_of)
{
	struct edgefw_class_info *vals = calloc(c->n_classes + 1, sizeof(*vals));
	__u32 *keys = calloc(c->n_classes + 1, sizeof(*keys));
	int ret;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n_classes; i++) {
		const struct ef_class_entry *e = &c->classes[i];
		struct edgefw_verdict *v = &vals[i].verdict;

		keys[i] = (__u32)i;
		vals[i].miss = e->miss;
		if (e->rule < 0)
			continue;
		v->counter_slot = slot_of[e->rule];
		v->action = rs->rules[e->rule].action;
		v->redirect_ifindex = ifindex_of[e->rule];
		v->flags = EDGEFW_VERDICT_F_MATCH |
			   (rs->rules[e->rule].log ? EDGEFW_VERDICT_F_LOG : 0);
	}
	ret = update_batch(fd, keys, vals, c->n_classes);
out:
	free(keys);
	free(vals);
	return ret;
}

static int build_inner(const struct ef_compiled *c, const struct ef_ruleset *rs,
		       const __u32 *slot_of, const __u32 *ifindex_of,
		       struct inner_maps *im)
{
	size_t n_addrs = 0;
	int ret;

	for (int f = 0; f < EF_FIELD_COUNT; f++)
		for (int fam = 0; fam < EF_FAM_COUNT; fam++)
			n_addrs += c->lpm[f][fam].n;
	im->addrs = create_inner(BPF_MAP_TYPE_LPM_TRIE, "efw_addrs",
				 sizeof(struct edgefw_addr_key), sizeof(__u32),
				 n_addrs, BPF_F_NO_PREALLOC);
	if (im->addrs < 0)
		return im->addrs;
	ret = fill_addrs(im->addrs, c);
	if (ret) {
		ef_log_err("cannot fill efw_addrs: %s", strerror(-ret));
		return ret;
	}
	im->chain = create_inner(BPF_MAP_TYPE_HASH, "efw_chain",
				 sizeof(struct edgefw_chain_key), sizeof(__u32),
				 c->n_chain, 0);
	if (im->chain < 0)
		return im->chain;
	ret = fill_chain(im->chain, c);
	if (ret) {
		ef_log_err("cannot fill efw_chain: %s", strerror(-ret));
		return ret;
	}
	im->classes = create_inner(BPF_MAP_TYPE_ARRAY, "efw_classes",
				   sizeof(__u32), sizeof(struct edgefw_class_info),
				   c->n_classes, BPF_F_INNER_MAP);
	if (im->classes < 0)
		return im->classes;
	ret = fill_classes(im->classes, c, rs, slot_of, ifindex_of);
	if (ret)
		ef_log_err("cannot fill efw_classes: %s", strerror(-ret));
	return ret;
}

/* The fixed-size tables have a half per generation: the inactive half is
 * overwritten in place, through a shared mapping of the array. The kernel
 * lays array elements out 8 bytes apart, whatever the value size. */
static int fill_leaf(struct ef_instance *inst, __u32 gen,
		     const struct ef_compiled *c)
{
	const size_t stride = 8 / sizeof(__u32);
	size_t len = (size_t)EDGEFW_GENERATIONS * EDGEFW_LEAF_SIZE * 8;
	__u32 *cells, *half;

	cells = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     inst->maps.leaf_tbl, 0);
	if (cells == MAP_FAILED) {
		int err = -errno;

		ef_log_err("cannot map leaf_tbl: %s", strerror(-err));
		return err;
	}
	half = cells + (size_t)gen * EDGEFW_LEAF_SIZE * stride;
	for (size_t i = 0; i < EDGEFW_LEAF_SIZE; i++)
		half[i * stride] = c->leaf[i];
	munmap(cells, len);
	return 0;
}

/* Removes a generation's context entries (left from two reloads ago). */
static void clear_ctx(struct ef_instance *inst, __u32 gen)
{
	struct edgefw_ctx_key key, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(inst->maps.ctx_tbl, prev, &next)) {
		key = next;
		if (key.gen == gen) {
			bpf_map_delete_elem(inst->maps.ctx_tbl, &key);
			prev = NULL; /* restart: deletion breaks iteration */
			continue;
		}
		prev = &key;
	}
}

static int fill_ctx(struct ef_instance *inst, __u32 gen,
		    const struct ef_compiled *c)
{
	clear_ctx(inst, gen);
	for (size_t i = 0; i < c->n_ctx; i++) {
		const struct ef_ctx_entry *e = &c->ctx[i];
		struct edgefw_ctx_key k = { .gen = gen, .hook = e->hook };

		if (e->ifname[0]) {
			k.ifindex = if_nametoindex(e->ifname);
			if (!k.ifindex)
				continue; /* gone since: the fallback applies */
		}
		if (bpf_map_update_elem(inst->maps.ctx_tbl, &k, &e->class_id,
					BPF_ANY)) {
			int err = -errno;

			ef_log_err("cannot fill ctx_tbl: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Each update of a map-in-map waits for an RCU grace period, so a reload
 * makes exactly three. The generation these replace is released here, one
 * reload after it stopped being used. */
static int install_gen(struct ef_instance *inst, __u32 gen,
		       const struct inner_maps *im)
{
	if (bpf_map_update_elem(inst->maps.addr_tbl, &gen, &im->addrs, BPF_ANY) ||
	    bpf_map_update_elem(inst->maps.chain_tbl, &gen, &im->chain, BPF_ANY) ||
	    bpf_map_update_elem(inst->maps.class_tbl, &gen, &im->classes, BPF_ANY))
		return -errno;
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
				   rs->path, r->line, r->col, r->name,
				   r->redirect_ifname);
			return -ENODEV;
		}
		if (bpf_map_update_elem(inst->maps.tx_ports, &ifindex_of[i],
					&ifindex_of[i], BPF_ANY)) {
			int err = -errno;

			ef_log_err("cannot add %s to the redirect map: %s",
				   r->redirect_ifname, strerror(-err));
			return err;
		}
	}
	return 0;
}

int ef_tables_apply(struct ef_instance *inst, const struct ef_ruleset *rs,
		    const struct ef_compiled *c, struct ef_apply_summary *sum)
{
	struct inner_maps im;
	struct edgefw_rule_meta *meta = NULL;
	struct edgefw_gen_config cfg = {};
	struct edgefw_instance_info info;
	struct edgefw_active act, next;
	__u32 *slot_of = NULL, *ifindex_of = NULL;
	bool *in_use = NULL;
	__u32 zero = 0;
	int ret;

	memset(sum, 0, sizeof(*sum));
	memset(&im, 0xff, sizeof(im)); /* all fds -1 */
	if (bpf_map_lookup_elem(inst->maps.active, &zero, &act)) {
		ret = -errno;
		ef_log_err("cannot read %s/active: %s", inst->dir, strerror(-ret));
		return ret;
	}
	next.gen = act.loaded ? !act.gen : 0;
	next.loaded = 1;

	meta = calloc(EDGEFW_MAX_RULES, sizeof(*meta));
	in_use = calloc(EDGEFW_MAX_RULES, sizeof(*in_use));
	slot_of = calloc(rs->n_rules + 1, sizeof(*slot_of));
	ifindex_of = calloc(rs->n_rules + 1, sizeof(*ifindex_of));
	if (!meta || !in_use || !slot_of || !ifindex_of) {
		ret = -ENOMEM;
		ef_log_err("out of memory loading the ruleset");
		goto out;
	}

	ret = resolve_redirects(inst, rs, ifindex_of);
	if (ret)
		goto out;
	ret = assign_slots(inst, rs, meta, slot_of, in_use, sum);
	if (ret)
		goto out;
	ret = build_inner(c, rs, slot_of, ifindex_of, &im);
	if (ret)
		goto out;
	ret = fill_leaf(inst, next.gen, c);
	if (!ret)
		ret = fill_ctx(inst, next.gen, c);
	if (ret)
		goto out;
	ret = install_gen(inst, next.gen, &im);
	if (ret) {
		ef_log_err("cannot install generation %u in %s: %s", next.gen,
			   inst->dir, strerror(-ret));
		goto out;
	}
	memcpy(cfg.default_action, rs->default_action, sizeof(cfg.default_action));
	cfg.non_ip_action = rs->non_ip_action;
	cfg.malformed_action = rs->malformed_action;
	cfg.ext_overflow_action = rs->ext_overflow_action;
	cfg.frag_policy = rs->frag_policy;
	cfg.root_class = c->root_class;
	cfg.n_dims = c->n_dims;
	memcpy(cfg.dims, c->dims, sizeof(cfg.dims));
	if (bpf_map_update_elem(inst->maps.gen_config, &next.gen, &cfg, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot write gen_config: %s", strerror(-ret));
		goto out;
	}

	/* The switch: one 8-byte array element, read once per packet. */
	if (bpf_map_update_elem(inst->maps.active, &zero, &next, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot switch to the new ruleset: %s", strerror(-ret));
		goto out;
	}
	sum->gen = next.gen;

	release_slots(inst, meta, in_use, &sum->rules_removed);
	ret = write_meta(inst, rs, slot_of);
	if (ret)
		goto out;

	if (!bpf_map_lookup_elem(inst->maps.instance_info, &zero, &info)) {
		info.ruleset_hash = rs->hash;
		info.loaded_at = (__u64)time(NULL);
		bpf_map_update_elem(inst->maps.instance_info, &zero, &info,
				    BPF_ANY);
	}
out:
	if (im.addrs >= 0)
		close(im.addrs);
	if (im.chain >= 0)
		close(im.chain);
	if (im.classes >= 0)
		close(im.classes);
	free(meta);
	free(in_use);
	free(slot_of);
	free(ifindex_of);
	return ret;
}
