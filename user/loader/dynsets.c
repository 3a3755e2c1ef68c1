// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Dynamic sets across reloads: slots, tries, and each generation's
 * dyn_config. The entry operations are in dynset_ops.c.
 */
#include "dynsets.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "strutil.h"

static const __u32 key_size[2] = { sizeof(struct edgefw_dyn4_key), sizeof(struct edgefw_dyn6_key) };

static int read_meta(const struct ef_instance *inst, __u32 slot, struct edgefw_dynset_meta *m)
{
	if (bpf_map_lookup_elem(inst->maps.dynset_meta, &slot, m)) {
		int err = -errno;

		ef_log_err("cannot read %s/dynset_meta: %s", inst->dir, strerror(-err));
		return err;
	}
	m->name[EDGEFW_DYNSET_NAME_MAX - 1] = '\0';
	return 0;
}

static int create_trie(const char *name, int fam, __u32 size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	char mname[16];
	int fd;

	snprintf(mname, sizeof(mname), "efw_set%c_%.6s", fam ? '6' : '4', name);
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, mname, key_size[fam],
			    sizeof(struct edgefw_dyn_val), size, &opts);
	if (fd < 0) {
		fd = -errno;
		ef_log_err("cannot create the IPv%c table of dynamic set '%s' (%u entries): %s",
			   fam ? '6' : '4', name, size, strerror(-fd));
	}
	return fd;
}

/* Copies what old holds into new (a resize); entries that do not fit are
 * counted in *lost. With BPF_NOEXIST, what new holds already stays. */
static int copy_entries(int old, int new, int fam, __u64 flags, size_t *lost)
{
	__u8 key[sizeof(struct edgefw_dyn6_key)], next[sizeof(key)];
	struct edgefw_dyn_val v;
	void *prev = NULL;

	while (!bpf_map_get_next_key(old, prev, next)) {
		memcpy(key, next, key_size[fam]);
		prev = key;
		if (bpf_map_lookup_elem(old, key, &v))
			continue;
		if (bpf_map_update_elem(new, key, &v, flags) && errno != EEXIST)
			(*lost)++;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Puts tries of meta's size in slot, with the entries of the old ones. */
static int install_tries(struct ef_instance *inst, __u32 slot,
			 const struct edgefw_dynset_meta *meta, bool copy)
{
	size_t lost = 0;
	int ret = 0;

	for (int fam = 0; fam < 2 && !ret; fam++) {
		int fd = create_trie(meta->name, fam, meta->size), old;

		if (fd < 0)
			return fd;
		old = copy ? ef_dynset_fd(inst, slot, fam) : -1;
		if (old >= 0)
			ret = copy_entries(old, fd, fam, BPF_ANY, &lost);
		/* Packets see the whole old trie, then the whole new one. */
		if (!ret && bpf_map_update_elem(ef_dynset_outer_fd(inst, fam), &slot, &fd, BPF_ANY))
			ret = -errno;
		/* The update returned after a grace period: no program writes
		 * the old trie any more. Bans the datapath added to it during
		 * the copy are carried over now, not lost. */
		if (!ret && old >= 0)
			ret = copy_entries(old, fd, fam, BPF_NOEXIST, &lost);
		if (old >= 0)
			close(old);
		if (ret)
			ef_log_err("cannot install dynamic set '%s' in %s: %s", meta->name,
				   inst->dir, strerror(-ret));
		close(fd);
	}
	if (lost)
		ef_log_warn(
			"dynamic set '%s' is now %u entries: %zu entries did not fit and were dropped",
			meta->name, meta->size, lost);
	return ret;
}

/* The slot of set s: the one holding its name, else a free one (-ENOSPC). */
static int find_slot(struct ef_instance *inst, const struct ef_set *s, struct edgefw_dynset_meta *m)
{
	int free_slot = -1, ret;

	for (__u32 slot = 0; slot < EDGEFW_MAX_DYNSETS; slot++) {
		ret = read_meta(inst, slot, m);
		if (ret)
			return ret;
		if (!strcmp(m->name, s->name))
			return (int)slot;
		if (!m->name[0] && free_slot < 0)
			free_slot = (int)slot;
	}
	memset(m, 0, sizeof(*m));
	if (free_slot < 0)
		ef_log_err(
			"cannot add dynamic set '%s': %s already holds %d (sets a ruleset drops are freed after its reload)",
			s->name, inst->dir, EDGEFW_MAX_DYNSETS);
	return free_slot < 0 ? -ENOSPC : free_slot;
}

static int setup_set(struct ef_instance *inst, const struct ef_set *s, __u32 *slot_out)
{
	struct edgefw_dynset_meta m;
	bool known, resize;
	int slot = find_slot(inst, s, &m), ret = 0;

	if (slot < 0)
		return slot;
	known = m.name[0] != '\0';
	resize = known && m.size != s->size;
	if (!known || resize) {
		ef_strlcpy(m.name, s->name, sizeof(m.name));
		if (resize)
			ef_log_info("dynamic set '%s': size %u -> %u, entries copied", s->name,
				    m.size, s->size);
		m.size = s->size;
		ret = install_tries(inst, (__u32)slot, &m, resize);
	}
	m.timeout_ns = s->timeout_ns;
	if (!ret && bpf_map_update_elem(inst->maps.dynset_meta, &slot, &m, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot write %s/dynset_meta: %s", inst->dir, strerror(-ret));
	}
	*slot_out = (__u32)slot;
	return ret;
}

/* A bucket key id that stays the same while the rule and its limit do, so
 * buckets carry over a reload that keeps them. */
static __u32 limit_id(const struct ef_rule *r)
{
	const struct ef_limit *l = &r->limit;
	uint64_t h = ef_fnv1a64(r->name, strlen(r->name));
	uint64_t spec[5] = { l->rate, l->period_ns, l->burst, l->per, l->bytes };

	h ^= ef_fnv1a64(spec, sizeof(spec));
	return (__u32)(h ^ h >> 32);
}

void ef_limit_cfg_fill(struct edgefw_limit_cfg *lc, const struct ef_rule *r, __u8 cond)
{
	unsigned __int128 burst_ns;

	__u64 unit_ps = r->limit.period_ns * 1000 / r->limit.rate;

	if (!unit_ps)
		unit_ps = 1;
	burst_ns = (unsigned __int128)r->limit.burst * unit_ps / 1000;
	lc->burst_ns = burst_ns > (1ull << 62) ? 1ull << 62 : (__u64)burst_ns;
	/* Packet units cost the same every time: no division per packet. */
	lc->unit_ps = r->limit.bytes ? unit_ps : 0;
	lc->pkt_ns = (unit_ps + 999) / 1000;
	lc->id = limit_id(r);
	lc->per = r->limit.per;
	lc->bytes = r->limit.bytes;
	lc->cond = cond;
}

int ef_dynsets_prepare(struct ef_instance *inst, __u32 gen, const struct ef_ruleset *rs)
{
	struct edgefw_dyn_config dc = { .n_conds = (__u8)rs->n_conds };
	__u32 *slots;
	int ret = 0;

	slots = calloc(rs->n_sets + 1, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_sets && !ret; i++)
		if (rs->sets[i].dynamic)
			ret = setup_set(inst, &rs->sets[i], &slots[i]);
	for (size_t i = 0; i < rs->n_conds && !ret; i++) {
		const struct ef_cond *c = &rs->conds[i];

		dc.conds[i].kind = c->kind;
		dc.conds[i].negate = c->negate;
		if (c->kind == EDGEFW_COND_LIMIT) {
			dc.limit_conds |= (__u8)(1u << i);
			dc.conds[i].limit = (__u8)i;
			ef_limit_cfg_fill(&dc.limits[i], &rs->rules[c->rule], (__u8)i);
		} else {
			dc.set_conds |= (__u8)(1u << i);
			dc.conds[i].set = (__u8)slots[c->set];
		}
	}
	for (size_t i = 0; i < rs->n_bans && !ret; i++) {
		dc.bans[i].set = (__u8)slots[rs->bans[i].set - 1];
		dc.bans[i].timeout_ns = rs->bans[i].timeout_ns;
	}
	if (!ret && bpf_map_update_elem(inst->maps.dyn_config, &gen, &dc, BPF_ANY)) {
		ret = -errno;
		ef_log_err("cannot write %s/dyn_config: %s", inst->dir, strerror(-ret));
	}
	free(slots);
	return ret;
}

static bool rs_has_dynset(const struct ef_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_sets; i++)
		if (rs->sets[i].dynamic && !strcmp(rs->sets[i].name, name))
			return true;
	return false;
}

static void drop_slot(struct ef_instance *inst, __u32 slot, const struct edgefw_dynset_meta *m)
{
	struct ef_dynset s = { .slot = slot, .meta = *m, .fd = { -1, -1 } };
	struct edgefw_dynset_meta empty = { 0 };
	size_t live = 0, expired = 0;

	for (int fam = 0; fam < 2; fam++)
		s.fd[fam] = ef_dynset_fd(inst, slot, fam);
	ef_dynset_count(&s, &live, &expired);
	ef_dynset_close(&s);
	for (int fam = 0; fam < 2; fam++)
		bpf_map_delete_elem(ef_dynset_outer_fd(inst, fam), &slot);
	if (bpf_map_update_elem(inst->maps.dynset_meta, &slot, &empty, BPF_ANY))
		ef_log_warn("cannot free the slot of dynamic set '%s' in %s: %s", m->name,
			    inst->dir, strerror(errno));
	ef_log_warn("dynamic set '%s' is not in the new ruleset: dropped with its %zu entries",
		    m->name, live);
}

void ef_dynsets_retire(struct ef_instance *inst, const struct ef_ruleset *rs, bool had_ruleset)
{
	struct edgefw_dynset_meta m;

	(void)had_ruleset;
	for (__u32 slot = 0; slot < EDGEFW_MAX_DYNSETS; slot++) {
		if (read_meta(inst, slot, &m) || !m.name[0])
			continue;
		if (!rs_has_dynset(rs, m.name))
			drop_slot(inst, slot, &m);
	}
}
