// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "instance.h"
#include "gen_rules.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "active.h"
#include "edgefw.h"
#include "edgefw.skel.h"
#include "globals.h"
#include "instance_create.h"
#include "log.h"
#include "pintree.h"
#include "rule_rows.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

bool ef_instance_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= EF_INSTANCE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* The mount namespace of pid, as its inode number; 0 when unreadable. */
static ino_t mount_ns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	return stat(path, &st) ? 0 : st.st_ino;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* "pid (comm) state ppid ...": comm may hold spaces and ')'. */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	(void)fclose(f); /* read only: nothing to lose */
	return (pid_t)ppid;
}

/* True when this process runs in a mount namespace of its own, as under
 * `ip netns exec` (which also mounts a fresh /sys): a bpffs mounted here
 * would be seen by no other edgefw. Compared with init and with every
 * ancestor that can be read. */
static bool private_mount_ns(void)
{
	ino_t self = mount_ns_of(getpid()), other;

	if (!self)
		return false;
	other = mount_ns_of(1);
	if (other && other != self)
		return true;
	for (pid_t p = getppid(); p > 1; p = parent_of(p)) {
		other = mount_ns_of(p);
		if (other && other != self)
			return true;
	}
	return false;
}

int ef_bpffs_ensure(void)
{
	const char *allow = getenv("EDGEFW_PRIVATE_BPFFS");
	struct statfs st;

	if (!statfs(EF_BPFFS_ROOT, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (private_mount_ns() && !(allow && !strcmp(allow, "1"))) {
		ef_log_err(
			"%s is not a bpffs and this process runs in a mount namespace of its own (as under `ip netns exec`, which mounts a fresh /sys): pins made here would be invisible to every other edgefw. Enter only the network namespace instead: nsenter --net=/run/netns/NAME edgefw ... (or set EDGEFW_PRIVATE_BPFFS=1 if a private bpffs is what you want)",
			EF_BPFFS_ROOT);
		return -EXDEV;
	}
	if (mkdir(EF_BPFFS_ROOT, 0700) && errno != EEXIST) {
		int err = -errno;

		ef_log_err("cannot create %s: %s", EF_BPFFS_ROOT, strerror(-err));
		return err;
	}
	if (mount("bpf", EF_BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		ef_log_err(
			"cannot mount bpffs on %s: %s (run as root, or mount it: mount -t bpf bpf %s)",
			EF_BPFFS_ROOT, strerror(-err), EF_BPFFS_ROOT);
		return err;
	}
	return 0;
}

static void maps_reset(struct ef_maps *m)
{
#define EF_MAP_RESET(name) m->name = -1;
	EF_PINNED_MAPS(EF_MAP_RESET)
#undef EF_MAP_RESET
}

static void maps_close(struct ef_maps *m)
{
#define EF_MAP_CLOSE(name) \
	if (m->name >= 0)  \
		close(m->name);
	EF_PINNED_MAPS(EF_MAP_CLOSE)
#undef EF_MAP_CLOSE
	maps_reset(m);
}

/* Pins are reached through the checked directory's descriptor, never by
 * a path someone could swap a component of. */
static int pin_path(const struct ef_instance *inst, const char *map, char *buf, size_t len)
{
	return ef_pintree_path(inst->lock_fd, map, buf, len);
}

/* Whether an open with these flags wants map `name`. */
static bool map_wanted(unsigned flags, const char *name)
{
	return !(flags & EF_OPEN_DYNSETS) || !strcmp(name, "instance_info") ||
	       !strcmp(name, "dynset_meta") || !strcmp(name, "dynset4_tbl") ||
	       !strcmp(name, "dynset6_tbl");
}

static int check_layout(struct ef_instance *inst)
{
	struct edgefw_instance_info info;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(inst->maps.instance_info, &zero, &info)) {
		int err = -errno;

		ef_log_err("cannot read %s/instance_info: %s", inst->dir, strerror(-err));
		return err;
	}
	if (info.layout_version != EDGEFW_LAYOUT_VERSION) {
		ef_log_err(
			"pins under %s use layout version %u, this edgefw uses %u: detach with the edgefw that attached them, or remove %s",
			inst->dir, info.layout_version, EDGEFW_LAYOUT_VERSION, inst->dir);
		return -EPROTO;
	}
	return 0;
}

/* Opens every pinned map (or those flags ask for). -ENOENT when none is
 * pinned (no instance yet). */
static int maps_open(struct ef_instance *inst, unsigned flags)
{
	char path[PATH_MAX];
	int found = 0, missing = 0, ret = 0;
	const char *missing_name = NULL;

#define EF_MAP_OPEN(name)                                                                        \
	if (!ret && map_wanted(flags, #name)) {                                                  \
		ret = pin_path(inst, #name, path, sizeof(path));                                 \
		if (!ret) {                                                                      \
			inst->maps.name = bpf_obj_get(path);                                     \
			if (inst->maps.name >= 0)                                                \
				found++;                                                         \
			else if (errno == ENOENT) {                                              \
				missing++;                                                       \
				missing_name = #name;                                            \
			} else {                                                                 \
				ret = -errno;                                                    \
				ef_log_err("cannot open pinned map %s/%s: %s", inst->dir, #name, \
					   strerror(errno));                                     \
			}                                                                        \
		}                                                                                \
	}
	EF_PINNED_MAPS(EF_MAP_OPEN)
#undef EF_MAP_OPEN
	if (ret)
		goto out;
	if (!found) {
		ret = -ENOENT;
		goto out;
	}
	/* Another layout's pins may lack maps of this one (layout 20 had no
	 * data_active): its version says why, "incomplete" would not. */
	if (missing && inst->maps.instance_info >= 0)
		ret = check_layout(inst);
	if (missing && !ret) {
		ef_log_err(
			"instance %s is incomplete: map %s is not pinned (left by another edgefw version or an interrupted run?); detach it with the version that made it, or remove %s",
			inst->name, missing_name, inst->dir);
		ret = -EUCLEAN;
	}
out:
	if (ret)
		maps_close(&inst->maps);
	return ret;
}

static int same_file(int dir_fd, const char *name, int fd)
{
	struct stat a, b;

	return !fstatat(dir_fd, name, &a, AT_SYMLINK_NOFOLLOW) && !fstat(fd, &b) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Opens the pin root and the instance's directory (both checked, see
 * pintree.h) and locks the latter. Goes round again when the last
 * instance's detach removed the root, or a holder the directory, while we
 * opened or waited. */
static int lock_dir(struct ef_instance *inst, unsigned flags)
{
	bool create = flags & EF_OPEN_CREATE;
	int op = ((flags & EF_OPEN_SHARED) ? LOCK_SH : LOCK_EX) |
		 ((flags & EF_OPEN_NOWAIT) ? LOCK_NB : 0);
	int root = -1, fd = -1, ret;

	for (int tries = 0; tries < 16; tries++) {
		ret = ef_pintree_open_root(create, &root);
		if (ret)
			return ret;
		ret = ef_pintree_open_dir(root, inst->name, inst->dir, create, &fd);
		if (ret == -ENOENT && create) {
			close(root);
			continue;
		}
		if (ret) {
			close(root);
			return ret;
		}
		if (flock(fd, op)) {
			ret = -errno;
			close(fd);
			close(root);
			return ret;
		}
		if (same_file(root, inst->name, fd)) {
			inst->root_fd = root;
			inst->lock_fd = fd;
			return 0;
		}
		close(fd);
		close(root);
		if (!create)
			return -ENOENT;
	}
	return -EAGAIN;
}

int ef_instance_open(const char *name, unsigned flags, struct ef_instance *inst)
{
	int ret;

	memset(inst, 0, sizeof(*inst));
	inst->lock_fd = -1;
	inst->root_fd = -1;
	maps_reset(&inst->maps);
	if (!ef_instance_name_valid(name)) {
		ef_log_err("invalid instance name '%s': use 1-%d letters, digits, '-' or '_'", name,
			   EF_INSTANCE_NAME_MAX - 1);
		return -EINVAL;
	}
	snprintf(inst->name, sizeof(inst->name), "%s", name);
	snprintf(inst->dir, sizeof(inst->dir), "%s/%s", EF_PIN_ROOT, name);

	ret = ef_bpffs_ensure();
	if (ret)
		return ret;
	ret = lock_dir(inst, flags);
	if (ret == -ENOENT || ret == -EWOULDBLOCK || ret == -EPERM)
		return ret;
	if (ret) {
		ef_log_err("cannot lock %s: %s", inst->dir, strerror(-ret));
		return ret;
	}

	ret = maps_open(inst, flags);
	if (ret == -ENOENT && (flags & EF_OPEN_CREATE)) {
		ret = ef_instance_maps_create(inst);
		if (!ret)
			ret = maps_open(inst, flags);
		inst->created = !ret;
	}
	if (!ret)
		ret = check_layout(inst);
	if (!ret)
		ret = ef_globals_check(inst);
	if (ret) {
		/* Do not leave an empty directory behind an open that failed. */
		if (ret == -ENOENT)
			unlinkat(inst->root_fd, inst->name, AT_REMOVEDIR);
		ef_instance_close(inst);
	}
	return ret;
}

void ef_instance_close(struct ef_instance *inst)
{
	maps_close(&inst->maps);
	if (inst->lock_fd >= 0)
		close(inst->lock_fd);
	if (inst->root_fd >= 0)
		close(inst->root_fd);
	inst->lock_fd = -1;
	inst->root_fd = -1;
}

int ef_instance_destroy(struct ef_instance *inst)
{
	int ret = 0;

#define EF_MAP_UNPIN(name)                                                                    \
	if (unlinkat(inst->lock_fd, #name, 0) && errno != ENOENT && !ret) {                   \
		ret = -errno;                                                                 \
		ef_log_err("cannot remove pin %s/" #name ": %s", inst->dir, strerror(errno)); \
	}
	EF_PINNED_MAPS(EF_MAP_UNPIN)
#undef EF_MAP_UNPIN
	if (!ret && unlinkat(inst->root_fd, inst->name, AT_REMOVEDIR) && errno != ENOENT) {
		ret = -errno;
		ef_log_err("cannot remove %s: %s (something else is pinned there?)", inst->dir,
			   strerror(-ret));
	}
	/* The root goes too when this was the last instance. */
	if (!ret)
		rmdir(EF_PIN_ROOT);
	if (!ret)
		ef_gen_rules_forget(inst->name);
	ef_instance_close(inst);
	return ret;
}

int ef_instance_reuse_maps(const struct ef_instance *inst, struct bpf_object *obj)
{
	struct bpf_map *map;
	__u32 slots;
	int ret;

#define EF_MAP_REUSE(name)                                                                         \
	map = bpf_object__find_map_by_name(obj, ef_global_object_name(#name));                     \
	if (!map) {                                                                                \
		ef_log_err("BPF object has no map " #name);                                        \
		return -ENOENT;                                                                    \
	}                                                                                          \
	ret = bpf_map__reuse_fd(map, inst->maps.name);                                             \
	if (ret) {                                                                                 \
		ef_log_err("cannot reuse pinned map %s/" #name ": %s", inst->dir, strerror(-ret)); \
		return ret;                                                                        \
	}
	EF_PINNED_MAPS(EF_MAP_REUSE)
#undef EF_MAP_REUSE
	/* The programs bound a rule counter row's index by the rows'
	 * slots (kern/maps.h, rule_rows): 0 would load programs that count
	 * no rule. */
	slots = ef_instance_rule_slots(inst);
	ret = slots ? ef_rule_rows_bound(obj, slots) : -EINVAL;
	if (ret)
		ef_log_err("cannot set the rule counters' bound of %s: %s", inst->dir,
			   strerror(-ret));
	return ret;
}

int ef_instance_read_state(const struct ef_instance *inst, struct ef_ruleset_state *st)
{
	struct edgefw_active act, again;
	struct edgefw_gen_info gi = { 0 };
	struct edgefw_instance_info info = { 0 };
	__u32 zero = 0;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	/* The switch word (in data_active) again after gen_info: a switch in
	 * between (the caller may not hold the lock) would pair one
	 * generation with the other's description. Two switches take grace periods, not microseconds. */
	for (int tries = 0; tries < 3; tries++) {
		ret = ef_active_read(inst->maps.data_active, &act);
		if (!ret && act.loaded && bpf_map_lookup_elem(inst->maps.gen_info, &act.gen, &gi))
			ret = -errno;
		if (!ret)
			ret = ef_active_read(inst->maps.data_active, &again);
		if (ret)
			break;
		ret = -EAGAIN;
		if (act.gen == again.gen && act.loaded == again.loaded) {
			ret = 0;
			break;
		}
	}
	if (!ret && bpf_map_lookup_elem(inst->maps.instance_info, &zero, &info))
		ret = -errno;
	if (ret) {
		ef_log_err(
			"cannot read which ruleset instance %s holds (%s/data_active, gen_info, instance_info): %s",
			inst->name, inst->dir, strerror(-ret));
		return ret;
	}
	st->gen = act.gen;
	st->loaded = act.loaded != 0;
	st->cells_cap = info.cells_cap;
	st->classes_cap = info.classes_cap;
	st->tnodes_cap = info.tnodes_cap;
	st->tleaves_cap = info.tleaves_cap;
	st->rule_slots_cap = ef_instance_rule_slots(inst);
	if (st->loaded) {
		st->version = gi.version;
		st->ruleset_hash = gi.ruleset_hash;
		st->loaded_at = gi.loaded_at;
		st->n_rules = gi.n_rules;
		st->n_chain_rules = gi.n_chain_rules;
		st->cells = gi.n_cells;
		st->classes = gi.n_classes;
		st->tnodes = gi.n_tnodes;
		st->tleaves = gi.n_tleaves;
		st->memory_estimate = gi.memory_estimate;
	}
	return 0;
}

__u32 ef_instance_rule_slots(const struct ef_instance *inst)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	/* rule_carry has an entry per slot (rule_stats a row per CPU). */
	if (bpf_obj_get_info_by_fd(inst->maps.rule_carry, &info, &len) ||
	    info.max_entries > EDGEFW_MAX_RULES)
		return 0;
	return info.max_entries;
}

/* Entries of rule_meta read per syscall. */
#define META_BATCH 4096u

int ef_instance_read_meta(const struct ef_instance *inst, const struct ef_ruleset_state *st,
			  struct edgefw_rule_meta *meta)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys = calloc(META_BATCH, sizeof(*keys));
	struct edgefw_rule_meta *vals = calloc(META_BATCH, sizeof(*vals));
	__u32 token = 0;
	int ret = 0;

	memset(meta, 0, EDGEFW_MAX_RULES * sizeof(*meta));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	if (!st->loaded || st->gen >= EDGEFW_GENERATIONS)
		goto out;
	/* Both generations interleaved (EDGEFW_RULE_KEY): the whole array
	 * in a few syscalls, keeping st's entries. */
	for (void *in = NULL;; in = &token) {
		__u32 n = META_BATCH;
		int end = bpf_map_lookup_batch(inst->maps.rule_meta, in, &token, keys, vals, &n,
					       &opts);

		if (end && errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (__u32 i = 0; i < n; i++)
			if (keys[i] % EDGEFW_GENERATIONS == st->gen &&
			    keys[i] / EDGEFW_GENERATIONS < EDGEFW_MAX_RULES)
				meta[keys[i] / EDGEFW_GENERATIONS] = vals[i];
		if (end || !n)
			break;
	}
out:
	if (ret)
		ef_log_err("cannot read %s/rule_meta: %s", inst->dir, strerror(-ret));
	free(keys);
	free(vals);
	return ret;
}

int ef_instance_ifnames(const struct ef_instance *inst, const char *extra, const char ***names,
			size_t *n)
{
	struct edgefw_attach_key key, next;
	struct edgefw_attach_val val;
	const size_t max = EDGEFW_MAX_ATTACH + 1;
	void *prev = NULL;
	const char **v;
	char(*store)[16];
	size_t count = 0;

	/* Pointers first, then the names they point at, in one block. */
	v = calloc(1, max * (sizeof(*v) + sizeof(*store)));
	if (!v)
		return -ENOMEM;
	store = (char(*)[16])(v + max);
	if (extra) {
		snprintf(store[count], sizeof(store[count]), "%s", extra);
		v[count] = store[count];
		count++;
	}
	while (!bpf_map_get_next_key(inst->maps.attachments, prev, &next)) {
		bool dup = false;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
			continue;
		val.ifname[sizeof(val.ifname) - 1] = '\0';
		for (size_t i = 0; i < count; i++)
			dup |= !strcmp(v[i], val.ifname);
		if (dup || count == max)
			continue;
		memcpy(store[count], val.ifname, sizeof(store[count]));
		v[count] = store[count];
		count++;
	}
	*names = v;
	*n = count;
	return 0;
}

int ef_instance_open_object(const struct ef_instance *inst, struct edgefw_bpf **out)
{
	struct edgefw_bpf *skel;
	int ret;

	skel = edgefw_bpf__open();
	if (!skel) {
		ret = -errno;
		ef_log_err("cannot open the embedded BPF object: %s", strerror(-ret));
		return ret;
	}
	ret = ef_instance_reuse_maps(inst, skel->obj);
	if (ret) {
		edgefw_bpf__destroy(skel);
		return ret;
	}
	*out = skel;
	return 0;
}
