// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The switch and the generations' configs: see active.h. */
#include "active.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "log.h"

/* Whether fd's value is a struct edgefw_state that can be mapped: the
 * copy and the mapping below assume both. 0, -errno or -EPROTO (logged). */
static int check_map(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		ef_log_err("cannot read the description of map data_active: %s", strerror(-err));
		return err;
	}
	if (info.value_size != sizeof(struct edgefw_state) || !(info.map_flags & BPF_F_MMAPABLE)) {
		ef_log_err(
			"map data_active has a %u-byte value%s, this edgefw expects %zu bytes, mmapable: the instance was made by another edgefw; recreate it (detach it with that version, or remove its directory under /sys/fs/bpf/edgefw, then attach again)",
			info.value_size, (info.map_flags & BPF_F_MMAPABLE) ? "" : ", not mmapable",
			sizeof(struct edgefw_state));
		return -EPROTO;
	}
	return 0;
}

static int read_state(int fd, struct edgefw_state *st)
{
	__u32 zero = 0;
	int ret = check_map(fd);

	if (!ret && bpf_map_lookup_elem(fd, &zero, st))
		ret = -errno;
	return ret;
}

/* The map's value, shared with the programs, or NULL with errno set. */
static struct edgefw_state *map_state(int fd)
{
	int ret = check_map(fd);
	void *p;

	if (ret) {
		errno = -ret;
		return NULL;
	}
	p = mmap(NULL, sizeof(struct edgefw_state), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int ef_active_read(int fd, struct edgefw_active *act)
{
	struct edgefw_state st;
	int ret = read_state(fd, &st);

	if (!ret)
		*act = st.act;
	return ret;
}

int ef_gen_config_read(int fd, __u32 gen, struct edgefw_gen_config *cfg)
{
	struct edgefw_state st;
	int ret;

	if (gen >= EDGEFW_GENERATIONS)
		return -EINVAL;
	ret = read_state(fd, &st);
	if (!ret)
		*cfg = st.gen[gen].cfg;
	return ret;
}

int ef_gen_config_write(int fd, __u32 gen, const struct edgefw_gen_config *cfg)
{
	struct edgefw_state *st;

	if (gen >= EDGEFW_GENERATIONS)
		return -EINVAL;
	st = map_state(fd);
	if (!st)
		return -errno;
	memcpy(&st->gen[gen].cfg, cfg, sizeof(*cfg));
	munmap(st, sizeof(*st));
	return 0;
}

int ef_active_switch(int fd, const struct edgefw_active *next)
{
	struct edgefw_active word = *next;
	struct edgefw_state *st = map_state(fd);

	if (!st)
		return -errno;
	/* Release: a packet that reads the new word reads the slot written
	 * before it. Both halves in one store: the programs read them as two
	 * words, which a byte-wise copy (a map update) could tear. */
	__atomic_store(&st->act, &word, __ATOMIC_RELEASE);
	munmap(st, sizeof(*st));
	return 0;
}
