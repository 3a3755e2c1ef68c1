// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The switch and the generations' configs: see active.h. */
#include "active.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "globals.h"

/* Whether fd's value is a struct edgefw_state that can be mapped: the
 * copy and the mapping below assume both. 0, -errno or -EPROTO (logged). */
static int check_map(int fd)
{
	return ef_global_check(fd, "data_active");
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
