// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "progs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgefw.h"
#include "edgefw.skel.h"
#include "liblog.h"
#include "log.h"

/* Instances a process keeps programs for at once (the daemon: one; a
 * benchmark: a few). */
#define PROG_CACHE_SLOTS 4

struct prog_cache {
	__u32 instance_id; /* instance_id(): a hash of its maps' ids; 0: free */
	int fd[EDGEFW_HOOK_COUNT];
	__u32 id[EDGEFW_HOOK_COUNT];
	unsigned long used; /* for evicting the least recently used */
};

static struct prog_cache cache[PROG_CACHE_SLOTS];
static unsigned long n_loads, use_clock;

const char *ef_prog_name(uint32_t hook)
{
	switch (hook) {
	case EDGEFW_HOOK_XDP:
		return "edgefw_xdp";
	case EDGEFW_HOOK_TC_EGRESS:
		return "edgefw_tc_egress";
	default:
		return "edgefw_tc_ingress";
	}
}

unsigned long ef_prog_loads(void)
{
	return n_loads;
}

/* Tells one instance from another, and from a later one of the same
 * name, and an instance from itself before its maps grew (grow.h): map
 * ids are never reused while the map lives. */
static int instance_id(const struct ef_instance *inst, __u32 *id)
{
	const int fds[] = { inst->maps.data_active, inst->maps.cells_tbl,  inst->maps.class_tbl,
			    inst->maps.tnode_tbl,   inst->maps.tleaf_tbl,  inst->maps.chain_tbl,
			    inst->maps.host6_tbl,   inst->maps.ct_tbl,     inst->maps.ct_new_tbl,
			    inst->maps.ct4_tbl,     inst->maps.ct4_new_tbl };
	__u32 h = 2166136261u;

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(fds[i], &info, &len))
			return -errno;
		h = (h ^ info.id) * 16777619u;
	}
	*id = h ? h : 1; /* 0 marks a free cache slot */
	return 0;
}

static void slot_clear(struct prog_cache *c)
{
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		if (c->instance_id && c->fd[h] >= 0)
			close(c->fd[h]);
	memset(c, 0, sizeof(*c));
	for (int h = 0; h < EDGEFW_HOOK_COUNT; h++)
		c->fd[h] = -1;
}

void ef_prog_cache_clear(void)
{
	for (int i = 0; i < PROG_CACHE_SLOTS; i++)
		if (cache[i].instance_id)
			slot_clear(&cache[i]);
}

/* Loads hook's program alone against the instance's maps; *fd is a
 * descriptor of its own (the object is gone on return). */
static int load_one(struct ef_instance *inst, uint32_t hook, int *fd, __u32 *id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct edgefw_bpf *skel;
	struct bpf_program *p;
	int ret;

	ret = ef_instance_open_object(inst, &skel);
	if (ret)
		return ret;
	/* Only the program this hook runs gets verified and loaded. */
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), ef_prog_name(hook)));
	ef_liblog_hold();
	ret = edgefw_bpf__load(skel);
	ef_liblog_release(ret != 0);
	if (ret) {
		ef_log_err("cannot load the BPF program %s: %s", ef_prog_name(hook),
			   strerror(-ret));
		goto out;
	}
	n_loads++;
	p = bpf_object__find_program_by_name(skel->obj, ef_prog_name(hook));
	*fd = fcntl(bpf_program__fd(p), F_DUPFD_CLOEXEC, 3);
	if (*fd < 0) {
		ret = -errno;
		ef_log_err("cannot keep BPF program %s: %s", ef_prog_name(hook), strerror(-ret));
		goto out;
	}
	if (bpf_obj_get_info_by_fd(*fd, &info, &len)) {
		ret = -errno;
		ef_log_err("cannot read the id of BPF program %s: %s", ef_prog_name(hook),
			   strerror(-ret));
		close(*fd);
		goto out;
	}
	*id = info.id;
out:
	edgefw_bpf__destroy(skel);
	return ret;
}

static struct prog_cache *cache_slot(__u32 inst_id)
{
	struct prog_cache *victim = &cache[0];

	for (int i = 0; i < PROG_CACHE_SLOTS; i++)
		if (cache[i].instance_id == inst_id)
			return &cache[i];
	for (int i = 0; i < PROG_CACHE_SLOTS; i++) {
		if (!cache[i].instance_id) {
			victim = &cache[i];
			break;
		}
		if (cache[i].used < victim->used)
			victim = &cache[i];
	}
	slot_clear(victim);
	victim->instance_id = inst_id;
	return victim;
}

int ef_prog_get(struct ef_instance *inst, uint32_t hook, int *fd, __u32 *id, bool *owned)
{
	const char *per_attach = getenv("EDGEFW_LOAD_PER_ATTACH");
	struct prog_cache *c;
	__u32 inst_id = 0;
	int ret;

	*owned = per_attach && !strcmp(per_attach, "1");
	if (hook >= EDGEFW_HOOK_COUNT)
		return -EINVAL;
	if (*owned)
		return load_one(inst, hook, fd, id);
	ret = instance_id(inst, &inst_id);
	if (ret) {
		ef_log_err("cannot identify instance %s: %s", inst->name, strerror(-ret));
		return ret;
	}
	c = cache_slot(inst_id);
	c->used = ++use_clock;
	if (c->fd[hook] < 0) {
		ret = load_one(inst, hook, &c->fd[hook], &c->id[hook]);
		if (ret) {
			c->fd[hook] = -1;
			return ret;
		}
	}
	*fd = c->fd[hook];
	*id = c->id[hook];
	return 0;
}

int ef_prog_warm(struct ef_instance *inst, unsigned int hooks)
{
	const char *per_attach = getenv("EDGEFW_LOAD_PER_ATTACH");
	bool owned;
	__u32 id;
	int fd, ret = 0;

	if (per_attach && !strcmp(per_attach, "1"))
		return 0; /* every attachment loads its own */
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT && !ret; h++)
		if (hooks & (1u << h))
			ret = ef_prog_get(inst, h, &fd, &id, &owned);
	return ret;
}
