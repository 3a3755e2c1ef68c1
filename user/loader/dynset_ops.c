// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Entry operations on a dynamic set (issue 16): each add or delete is one
 * update of one trie entry, atomic for that entry, seen by the next packet.
 * Expired entries are already absent for the datapath; removing them here
 * only frees room.
 */
#include "dynsets.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "growth.h"
#include "log.h"

uint64_t ef_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ef_dynset_names(const struct ef_instance *inst, char names[][EDGEFW_DYNSET_NAME_MAX], size_t *n)
{
	struct edgefw_dynset_meta m;

	*n = 0;
	for (__u32 slot = 0; slot < EDGEFW_MAX_DYNSETS; slot++) {
		if (bpf_map_lookup_elem(inst->maps.dynset_meta, &slot, &m)) {
			int err = -errno;

			ef_log_err("cannot read %s/dynset_meta: %s", inst->dir, strerror(-err));
			return err;
		}
		m.name[EDGEFW_DYNSET_NAME_MAX - 1] = '\0';
		if (m.name[0])
			memcpy(names[(*n)++], m.name, EDGEFW_DYNSET_NAME_MAX);
	}
	return 0;
}

int ef_dynset_outer_fd(const struct ef_instance *inst, int fam)
{
	return fam ? inst->maps.dynset6_tbl : inst->maps.dynset4_tbl;
}

/* The trie in slot's place of family fam, opened; -errno. */
int ef_dynset_fd(const struct ef_instance *inst, __u32 slot, int fam)
{
	__u32 id;
	int fd;

	if (bpf_map_lookup_elem(ef_dynset_outer_fd(inst, fam), &slot, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

static void say_no_such_set(const struct ef_instance *inst, const char *name)
{
	char names[EDGEFW_MAX_DYNSETS][EDGEFW_DYNSET_NAME_MAX], list[512] = "";
	size_t n = 0, off = 0;

	if (ef_dynset_names(inst, names, &n))
		return;
	for (size_t i = 0; i < n && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
					names[i]);
	if (n)
		ef_log_err("instance '%s' has no dynamic set '%s' (it has: %s)", inst->name, name,
			   list);
	else
		ef_log_err(
			"instance '%s' has no dynamic set '%s' (it has none: declare one in the rules, sets: {%s: {dynamic: true}}, and reload)",
			inst->name, name, name);
}

int ef_dynset_open(const struct ef_instance *inst, const char *name, struct ef_dynset *s)
{
	s->fd[0] = s->fd[1] = -1;
	for (__u32 slot = 0; slot < EDGEFW_MAX_DYNSETS; slot++) {
		if (bpf_map_lookup_elem(inst->maps.dynset_meta, &slot, &s->meta))
			break;
		s->meta.name[EDGEFW_DYNSET_NAME_MAX - 1] = '\0';
		if (strcmp(s->meta.name, name))
			continue;
		s->slot = slot;
		for (int fam = 0; fam < 2; fam++) {
			s->fd[fam] = ef_dynset_fd(inst, slot, fam);
			if (s->fd[fam] < 0) {
				int err = s->fd[fam];

				ef_log_err("cannot open the tables of dynamic set '%s' in %s: %s",
					   name, inst->dir, strerror(-err));
				ef_dynset_close(s);
				return err;
			}
		}
		return 0;
	}
	say_no_such_set(inst, name);
	return -ENOENT;
}

void ef_dynset_close(struct ef_dynset *s)
{
	for (int fam = 0; fam < 2; fam++) {
		if (s->fd[fam] >= 0)
			close(s->fd[fam]);
		s->fd[fam] = -1;
	}
}

/* The trie key of p into key; the family index. */
static int make_key(const struct ef_prefix *p, void *key)
{
	struct edgefw_dyn4_key *k4 = key;
	struct edgefw_dyn6_key *k6 = key;

	if (p->family == EF_AF_INET) {
		memset(k4, 0, sizeof(*k4));
		k4->prefixlen = p->len;
		memcpy(k4->addr, p->addr, 4);
		return 0;
	}
	memset(k6, 0, sizeof(*k6));
	k6->prefixlen = p->len;
	memcpy(k6->addr, p->addr, 16);
	return 1;
}

int ef_dynset_add(struct ef_dynset *s, const struct ef_prefix *p, uint64_t timeout_ns)
{
	struct edgefw_dyn_val v = { .prefixlen = p->len };
	__u8 key[sizeof(struct edgefw_dyn6_key)];
	int fam = make_key(p, key);
	size_t swept;

	if (timeout_ns == EF_DYNSET_TIMEOUT_DEFAULT)
		timeout_ns = s->meta.timeout_ns;
	if (timeout_ns)
		v.expires = ef_boottime_ns() + timeout_ns;
	if (!bpf_map_update_elem(s->fd[fam], key, &v, BPF_ANY))
		return 0;
	if (errno != ENOSPC && errno != E2BIG)
		return -errno;
	/* Full: expired entries still take room until removed. */
	if (ef_dynset_sweep(s, &swept) || !swept)
		return -ENOSPC;
	return bpf_map_update_elem(s->fd[fam], key, &v, BPF_ANY) ? -errno : 0;
}

int ef_dynset_del(struct ef_dynset *s, const struct ef_prefix *p)
{
	__u8 key[sizeof(struct edgefw_dyn6_key)];
	int fam = make_key(p, key);

	return bpf_map_delete_elem(s->fd[fam], key) ? -errno : 0;
}

/* Calls fn for every entry of family fam, expired or not; fn must not
 * delete entries. */
typedef int (*raw_fn)(void *arg, int fam, const void *key, const struct edgefw_dyn_val *v);

static int walk_raw(struct ef_dynset *s, int fam, raw_fn fn, void *arg)
{
	__u8 key[sizeof(struct edgefw_dyn6_key)], next[sizeof(key)];
	struct edgefw_dyn_val v;
	bool first = true;
	int ret;

	for (;;) {
		if (bpf_map_get_next_key(s->fd[fam], first ? NULL : key, next))
			return errno == ENOENT ? 0 : -errno;
		first = false;
		memcpy(key, next, sizeof(key));
		if (bpf_map_lookup_elem(s->fd[fam], key, &v))
			continue;
		ret = fn(arg, fam, key, &v);
		if (ret)
			return ret;
	}
}

struct sweep_state {
	uint64_t now;
	bool all;
	__u8 (*keys)[sizeof(struct edgefw_dyn6_key)];
	size_t n_keys, cap;
	size_t live, expired;
};

static int collect_one(void *arg, int fam, const void *key, const struct edgefw_dyn_val *v)
{
	struct sweep_state *st = arg;

	if (!st->all && (!v->expires || v->expires > st->now))
		return 0;
	if (EF_GROW(&st->keys, &st->cap, st->n_keys + 1))
		return -ENOMEM;
	memcpy(st->keys[st->n_keys++], key,
	       fam ? sizeof(struct edgefw_dyn6_key) : sizeof(struct edgefw_dyn4_key));
	return 0;
}

/* Collects first, then deletes: deleting the key a walk stands on makes
 * the trie's next-key start over from the first entry. */
static int sweep(struct ef_dynset *s, bool all, size_t *n)
{
	struct sweep_state st = { .now = ef_boottime_ns(), .all = all };
	int ret = 0;

	*n = 0;
	for (int fam = 0; fam < 2 && !ret; fam++) {
		st.n_keys = 0;
		ret = walk_raw(s, fam, collect_one, &st);
		for (size_t i = 0; i < st.n_keys && !ret; i++)
			if (!bpf_map_delete_elem(s->fd[fam], st.keys[i]))
				(*n)++;
	}
	free(st.keys);
	return ret;
}

int ef_dynset_flush(struct ef_dynset *s, size_t *n)
{
	return sweep(s, true, n);
}

int ef_dynset_sweep(struct ef_dynset *s, size_t *n)
{
	return sweep(s, false, n);
}

static int count_one(void *arg, int fam, const void *key, const struct edgefw_dyn_val *v)
{
	struct sweep_state *st = arg;

	(void)fam;
	(void)key;
	if (!v->expires || v->expires > st->now)
		st->live++;
	else
		st->expired++;
	return 0;
}

int ef_dynset_count(struct ef_dynset *s, size_t *live, size_t *expired)
{
	struct sweep_state st = { .now = ef_boottime_ns() };
	int ret = 0;

	for (int fam = 0; fam < 2 && !ret; fam++)
		if (s->fd[fam] >= 0)
			ret = walk_raw(s, fam, count_one, &st);
	*live = st.live;
	*expired = st.expired;
	return ret;
}

struct walk_state {
	uint64_t now;
	ef_dynset_fn fn;
	void *arg;
};

static int walk_live(void *arg, int fam, const void *key, const struct edgefw_dyn_val *v)
{
	struct walk_state *w = arg;
	struct ef_prefix p = { .family = fam ? EF_AF_INET6 : EF_AF_INET };

	if (v->expires && v->expires <= w->now)
		return 0;
	if (fam) {
		const struct edgefw_dyn6_key *k = key;

		p.len = (uint8_t)k->prefixlen;
		memcpy(p.addr, k->addr, 16);
	} else {
		const struct edgefw_dyn4_key *k = key;

		p.len = (uint8_t)k->prefixlen;
		memcpy(p.addr, k->addr, 4);
	}
	return w->fn(w->arg, &p, v->expires ? v->expires - w->now : 0);
}

int ef_dynset_walk(struct ef_dynset *s, ef_dynset_fn fn, void *arg)
{
	struct walk_state w = { .now = ef_boottime_ns(), .fn = fn, .arg = arg };
	int ret = 0;

	for (int fam = 0; fam < 2 && !ret; fam++)
		ret = walk_raw(s, fam, walk_live, &w);
	return ret;
}
