// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The instance's global-data maps: see globals.h. */
#include "globals.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "edgefw.h"
#include "edgefw.skel.h"
#include "fault.h"
#include "log.h"
#include "pintree.h"

/* One line per global-data map: its pin (and struct ef_maps field), its
 * section, and the skeleton's type for its value. */
#define EF_GLOBAL(pin_, section_, type_)                                    \
	{                                                                   \
		.pin = #pin_, .section = (section_), .size = sizeof(type_), \
		.fd_off = offsetof(struct ef_maps, pin_)                    \
	}

static const struct ef_global_map globals[] = {
	EF_GLOBAL(data_active, ".data.active", struct edgefw_bpf__data_active),
	EF_GLOBAL(data_bss, ".bss", struct edgefw_bpf__bss),
};

#define N_GLOBALS (sizeof(globals) / sizeof(globals[0]))

const struct ef_global_map *ef_global_by_pin(const char *pin)
{
	for (size_t i = 0; i < N_GLOBALS; i++)
		if (!strcmp(globals[i].pin, pin))
			return &globals[i];
	return NULL;
}

const char *ef_global_object_name(const char *pin)
{
	const struct ef_global_map *g = ef_global_by_pin(pin);

	return g ? g->section : pin;
}

int ef_global_check(int fd, const char *pin)
{
	const struct ef_global_map *g = ef_global_by_pin(pin);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (!g)
		return -EINVAL;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		ef_log_err("cannot read the description of map %s: %s", pin, strerror(-err));
		return err;
	}
	if (info.value_size != g->size || !(info.map_flags & BPF_F_MMAPABLE)) {
		ef_log_err(
			"map %s has a %u-byte value%s, this edgefw expects %zu bytes, mmapable: the instance was made by another edgefw; recreate it (detach it with that version, or remove its directory under /sys/fs/bpf/edgefw, then attach again)",
			pin, info.value_size,
			(info.map_flags & BPF_F_MMAPABLE) ? "" : ", not mmapable", g->size);
		return -EPROTO;
	}
	return 0;
}

int ef_globals_check(const struct ef_instance *inst)
{
	int ret = 0;

	for (size_t i = 0; i < N_GLOBALS && !ret; i++) {
		int fd = *(const int *)((const char *)&inst->maps + globals[i].fd_off);

		/* Not opened: an open of the dynamic sets' maps alone. */
		if (fd >= 0)
			ret = ef_global_check(fd, globals[i].pin);
	}
	return ret;
}

int ef_globals_pin(const struct ef_instance *inst, struct bpf_object *obj)
{
	char path[PATH_MAX];
	int ret = 0;

	for (size_t i = 0; i < N_GLOBALS && !ret; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, globals[i].section);

		ret = map ? ef_pintree_path(inst->lock_fd, globals[i].pin, path, sizeof(path))
			  : -ENOENT;
		if (!ret)
			ret = bpf_map__pin(map, path);
		if (ret)
			ef_log_err("cannot pin map %s/%s (section %s): %s", inst->dir,
				   globals[i].pin, globals[i].section, strerror(-ret));
	}
	return ret;
}

int ef_bss_map(const struct ef_instance *inst, const char *what, const char *fault_site,
	       struct edgefw_bpf__bss **out)
{
	int ret = ef_global_check(inst->maps.data_bss, "data_bss");
	void *p = MAP_FAILED;

	if (ret)
		return ret;
	if (fault_site && ef_fault(fault_site))
		errno = EIO;
	else
		p = mmap(NULL, sizeof(**out), PROT_READ | PROT_WRITE, MAP_SHARED,
			 inst->maps.data_bss, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		ef_log_err("cannot map %s/data_bss to write %s: %s", inst->dir, what,
			   strerror(-ret));
		return ret;
	}
	*out = p;
	return 0;
}

void ef_bss_unmap(struct edgefw_bpf__bss *bss)
{
	munmap(bss, sizeof(*bss));
}
