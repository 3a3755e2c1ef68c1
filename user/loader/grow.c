// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Growing an instance's maps in place: see grow.h. */
#include "grow.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capacity.h"
#include "capacity_floor.h"
#include "edgefw.h"
#include "edgefw.skel.h"
#include "grow_maps.h"
#include "liblog.h"
#include "log.h"
#include "pintree.h"
#include "progs.h"
#include "rule_rows.h"
#include "slot_ops.h"
#include "slots.h"
#include "tc_attach.h"
#include "xdp_direct.h"

struct att {
	struct edgefw_attach_key key;
	struct edgefw_attach_val val;
	__u8 xdp_mode; /* XDP_ATTACHED_* on the hook now */
	__u32 new_id;  /* the program put there; 0: not yet */
};

struct growth {
	struct ef_instance *inst;
	struct ef_grown maps;
	struct att *att;
	size_t n_att;
	int prog_fd[EDGEFW_HOOK_COUNT];
	__u32 prog_id[EDGEFW_HOOK_COUNT];
};

static bool prog_named(__u32 id, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool same;

	if (fd < 0)
		return false;
	same = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       !strncmp(info.name, name, sizeof(info.name) - 1);
	close(fd);
	return same;
}

/* Is the recorded program on its hook here, and can it be swapped? */
static int check_att(struct att *a)
{
	const char *why = NULL;
	__u32 on_hook = 0;

	if (a->key.hook == EDGEFW_HOOK_XDP) {
		struct ef_xdp_hook h = {};

		if (!ef_xdp_hook_query((int)a->key.ifindex, &h)) {
			on_hook = h.prog_id;
			a->xdp_mode = h.attach_mode;
		}
		if (on_hook && ef_xdp_is_dispatcher(on_hook))
			why = "libxdp's dispatcher holds its XDP hook";
		else if (on_hook == a->val.prog_id &&
			 !prog_named(on_hook, ef_prog_name(EDGEFW_HOOK_XDP)))
			why = "its XDP program is the device-bound one for VLAN tags";
	} else {
		ef_tc_prog_on_hook((int)a->key.ifindex, (enum edgefw_hook)a->key.hook, &on_hook);
	}
	if (!why && on_hook != a->val.prog_id)
		why = "the program recorded for it is not on its hook as seen from this network namespace";
	if (!why)
		return 0;
	ef_log_err(
		"cannot grow the instance's maps in place: on %s, %s; run the reload where the interfaces are, or detach the instance and attach it again with the new rules",
		a->val.ifname, why);
	return -EOPNOTSUPP;
}

static int read_atts(struct growth *gr)
{
	struct edgefw_attach_key key, next;
	void *prev = NULL;
	int ret = 0;

	gr->att = calloc(EDGEFW_MAX_ATTACH, sizeof(*gr->att));
	if (!gr->att)
		return -ENOMEM;
	while (gr->n_att < EDGEFW_MAX_ATTACH && !ret &&
	       !bpf_map_get_next_key(gr->inst->maps.attachments, prev, &next)) {
		struct att *a = &gr->att[gr->n_att];

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(gr->inst->maps.attachments, &key, &a->val))
			continue;
		a->key = key;
		a->val.ifname[sizeof(a->val.ifname) - 1] = '\0';
		/* A record without a program is an attach in progress. */
		if (!a->val.prog_id)
			continue;
		ret = check_att(a);
		gr->n_att++;
	}
	return ret;
}

/* Where the rule slots grew, the programs' bound on a counter row's index
 * is the new slot count (rule_carry holds one entry per slot; the object
 * was opened with the old one). */
static int bound_grown_rows(const struct growth *gr, struct bpf_object *obj)
{
	int carry = gr->maps.fd[EF_GROW_RULE_CARRY];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (carry < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(carry, &info, &len))
		return -errno;
	return ef_rule_rows_bound(obj, info.max_entries);
}

/* hook's program against the instance's maps with the grown ones. */
static int load_prog(struct growth *gr, __u32 hook)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct edgefw_bpf *skel;
	struct bpf_program *p;
	int ret = ef_instance_open_object(gr->inst, &skel);

	if (ret)
		return ret;
	for (int m = 0; m < EF_GROW_COUNT && !ret; m++)
		if (gr->maps.fd[m] >= 0)
			ret = bpf_map__reuse_fd(
				bpf_object__find_map_by_name(skel->obj, ef_grow_map_name(m)),
				gr->maps.fd[m]);
	if (!ret)
		ret = bound_grown_rows(gr, skel->obj);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), ef_prog_name(hook)));
	if (!ret) {
		ef_liblog_hold();
		ret = edgefw_bpf__load(skel);
		ef_liblog_release(ret != 0);
	}
	p = bpf_object__find_program_by_name(skel->obj, ef_prog_name(hook));
	if (!ret && (gr->prog_fd[hook] = fcntl(bpf_program__fd(p), F_DUPFD_CLOEXEC, 3)) < 0)
		ret = -errno;
	if (!ret && bpf_obj_get_info_by_fd(gr->prog_fd[hook], &info, &len))
		ret = -errno;
	gr->prog_id[hook] = info.id;
	if (ret)
		ef_log_err("cannot load %s against the grown maps: %s", ef_prog_name(hook),
			   strerror(-ret));
	edgefw_bpf__destroy(skel);
	return ret;
}

/* Puts fd (id) where a's program old is. */
static int swap_prog(const struct att *a, int fd, __u32 old)
{
	int ret;

	if (a->key.hook != EDGEFW_HOOK_XDP)
		return ef_tc_replace((int)a->key.ifindex, a->val.ifname,
				     (enum edgefw_hook)a->key.hook, fd);
	ret = ef_xdp_direct_replace((int)a->key.ifindex, fd, old, a->xdp_mode);
	if (ret)
		ef_log_err("cannot replace the XDP program on %s: %s", a->val.ifname,
			   strerror(-ret));
	return ret;
}

/* Every attachment onto the new programs, or none. */
static int swap_all(struct growth *gr)
{
	int ret = 0;
	size_t i;

	for (i = 0; i < gr->n_att && !ret; i++) {
		struct att *a = &gr->att[i];

		ret = swap_prog(a, gr->prog_fd[a->key.hook], a->val.prog_id);
		if (!ret)
			a->new_id = gr->prog_id[a->key.hook];
	}
	for (i = 0; ret && i < gr->n_att; i++) {
		struct att *a = &gr->att[i];
		int old = a->new_id ? bpf_prog_get_fd_by_id(a->val.prog_id) : -1;

		/* Back to the old program: its maps still hold the ruleset. */
		if (old >= 0 && swap_prog(a, old, a->new_id))
			ef_log_err(
				"%s keeps the program of the grown maps, which the next reload will not fill: detach and attach the instance again",
				a->val.ifname);
		if (old >= 0)
			close(old);
		a->new_id = 0;
	}
	return ret;
}

static void tmp_name(enum ef_grow_map m, char *buf, size_t len)
{
	/* bpffs keeps names with a dot for itself. */
	snprintf(buf, len, "%s_grow", ef_grow_map_name(m));
}

/* The new maps pinned beside the old ones, under temporary names. */
static int pin_tmp(struct growth *gr)
{
	char name[64], path[PATH_MAX];
	int ret = 0;

	for (int m = 0; m < EF_GROW_COUNT && !ret; m++) {
		if (gr->maps.fd[m] < 0)
			continue;
		tmp_name(m, name, sizeof(name));
		unlinkat(gr->inst->lock_fd, name, 0); /* an interrupted growth's */
		ret = ef_pintree_path(gr->inst->lock_fd, name, path, sizeof(path));
		if (!ret && bpf_obj_pin(gr->maps.fd[m], path))
			ret = -errno;
		if (ret)
			ef_log_err("cannot pin %s/%s: %s", gr->inst->dir, name, strerror(-ret));
	}
	return ret;
}

static void unpin_tmp(struct growth *gr)
{
	char name[64];

	for (int m = 0; m < EF_GROW_COUNT; m++) {
		tmp_name(m, name, sizeof(name));
		if (gr->maps.fd[m] >= 0)
			unlinkat(gr->inst->lock_fd, name, 0);
	}
}

/* The new maps take the old ones' names, and the instance's descriptors. */
static int take_pins(struct growth *gr)
{
	char name[64];
	int ret = 0;

	for (int m = 0; m < EF_GROW_COUNT; m++) {
		int *slot = ef_grow_map_slot(gr->inst, m);

		if (gr->maps.fd[m] < 0)
			continue;
		tmp_name(m, name, sizeof(name));
		if (renameat(gr->inst->lock_fd, name, gr->inst->lock_fd, ef_grow_map_name(m)) &&
		    !ret) {
			ret = -errno;
			ef_log_err("cannot rename %s/%s: %s", gr->inst->dir, name, strerror(-ret));
		}
		close(*slot);
		*slot = gr->maps.fd[m];
		gr->maps.fd[m] = -1;
	}
	return ret;
}

static int write_info(struct growth *gr, const struct ef_capacity *cap)
{
	struct edgefw_instance_info info;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(gr->inst->maps.instance_info, &zero, &info))
		return -errno;
	info.cells_cap = cap->cells;
	info.classes_cap = cap->classes;
	info.tnodes_cap = cap->tnodes;
	info.tleaves_cap = cap->tleaves;
	info.ct_cap = cap->ct;
	return bpf_map_update_elem(gr->inst->maps.instance_info, &zero, &info, BPF_ANY) ? -errno
											: 0;
}

/* The attachments' records name their new programs. */
static void record_progs(struct growth *gr)
{
	for (size_t i = 0; i < gr->n_att; i++) {
		struct att *a = &gr->att[i];

		a->val.prog_id = a->new_id;
		if (bpf_map_update_elem(gr->inst->maps.attachments, &a->key, &a->val, BPF_EXIST))
			ef_log_warn(
				"cannot record the new program of %s in %s: status shows it missing until it is attached again",
				a->val.ifname, gr->inst->dir);
	}
}

/* Once every program that started before is done: no packet reads the
 * old connection tables after this. */
static void wait_grace(struct ef_instance *inst)
{
	struct ef_slot_op op = { .outer = inst->maps.rcu_sync, .site = "grow_sync" };

	op.inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "efw_sync", sizeof(__u32), sizeof(__u32), 1,
				  NULL);
	if (op.inner >= 0) {
		ef_slot_ops_run(&op, 1);
		close(op.inner);
	}
}

static int grow(struct growth *gr, const struct ef_capacity *have, const struct ef_capacity *want,
		int active)
{
	bool used[EDGEFW_HOOK_COUNT] = { false };
	int ret = read_atts(gr);

	if (!ret)
		ret = ef_grow_maps_make(gr->inst, have, want, active, &gr->maps);
	for (size_t i = 0; i < gr->n_att; i++)
		used[gr->att[i].key.hook] = true;
	for (__u32 h = 0; h < EDGEFW_HOOK_COUNT && !ret; h++)
		if (used[h])
			ret = load_prog(gr, h);
	if (!ret)
		ret = pin_tmp(gr);
	if (!ret)
		ret = swap_all(gr);
	if (ret) {
		unpin_tmp(gr);
		return ret;
	}
	wait_grace(gr->inst);
	ef_grow_maps_catch_up(gr->inst, &gr->maps);
	ret = take_pins(gr);
	if (!ret)
		ret = write_info(gr, want);
	record_progs(gr);
	/* This process's programs use the old maps. */
	ef_prog_cache_clear();
	if (ret)
		ef_log_err(
			"the instance's maps grew but %s is not fully updated (%s): detach it and attach it again",
			gr->inst->dir, strerror(-ret));
	return ret;
}

/* What a growth was for: the ruleset, the operator's floor, or both
 * (plain: the growth the ruleset alone asks). */
static const char *why_grew(const struct ef_capacity *have, const struct ef_capacity *plain,
			    const struct ef_capacity *want)
{
	if (ef_capacity_equal(plain, want))
		return "for the new ruleset";
	if (ef_capacity_equal(plain, have))
		return "to the capacity asked";
	return "for the new ruleset and to the capacity asked";
}

int ef_grow_for(struct ef_instance *inst, const struct ef_ruleset *rs, const struct ef_compiled *c,
		const struct ef_ruleset_state *cur, bool *grew)
{
	struct growth gr = { .inst = inst };
	struct ef_capacity have, want, plain;
	struct ef_needs n;
	__u32 ct = ef_instance_ct_size();
	int ret;

	*grew = false;
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		gr.prog_fd[h] = -1;
	for (int m = 0; m < EF_GROW_COUNT; m++)
		gr.maps.fd[m] = -1;
	ret = ef_instance_capacity(inst, &have);
	if (ret)
		return ret;
	ef_needs_of(rs, c, &n);
	/* The names in force keep their slots until the switch: when they
	 * and all of rs's could not fit, count the names rs shares. */
	n.rules = (size_t)cur->n_rules + rs->n_rules;
	if (n.rules > have.rules)
		ret = ef_slots_needed(inst, cur, rs, &n.rules);
	if (ret)
		return ret;
	ef_capacity_grow(&have, &n, ct, &want);
	plain = want;
	/* Smaller than the operator's floor (attach --capacity,
	 * daemon.capacity): grown to it like for a ruleset. */
	ef_capacity_floor_raise(&want);
	if (ef_capacity_equal(&have, &want))
		return 0;
	ret = grow(&gr, &have, &want, cur->loaded ? (int)cur->gen : -1);
	*grew = !ret;
	if (!ret)
		ef_log_info(
			"grew %s %s: cells %u -> %u, classes %u -> %u, tree nodes %u -> %u, tree leaf entries %u -> %u, hashed pairs %u -> %u, IPv6 hosts %u -> %u, flows %u -> %u, rule slots %u -> %u",
			inst->dir, why_grew(&have, &plain, &want), have.cells, want.cells,
			have.classes, want.classes, have.tnodes, want.tnodes, have.tleaves,
			want.tleaves, have.chain, want.chain, have.host6, want.host6, have.ct,
			want.ct, have.rules, want.rules);
	ef_grown_close(&gr.maps);
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		if (gr.prog_fd[h] >= 0)
			close(gr.prog_fd[h]);
	free(gr.att);
	return ret;
}
