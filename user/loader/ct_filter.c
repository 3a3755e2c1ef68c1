// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The unconfirmed tables' filter from userspace (kern/ct_filter.h): a flow
 * userspace writes to ct_new_tbl or ct4_new_tbl raises its slot, as the
 * datapath's writes do, so that packets keep looking it up. */
#include "cttable.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* kern/ct_filter.h's ct_filter_slot, word for word. */
uint32_t ef_ct_filter_slot(const void *key, bool v4)
{
	uint64_t w[5] = { 0 };
	uint64_t h;

	memcpy(w, key, v4 ? sizeof(struct edgefw_ct4_key) : sizeof(struct edgefw_ct_key));
	h = w[0] * 0x9e3779b97f4a7c15ull + w[1] * 0xff51afd7ed558ccdull;
	if (!v4)
		h += w[2] * 0xc4ceb9fe1a85ec53ull + w[3] * 0xd6e8feb86659fd93ull +
		     w[4] * 0xa0761d6478bd642full;
	return (uint32_t)(h >> (64 - EDGEFW_CT_FILTER_BITS));
}

int ef_ct_filter_raise(const struct ef_instance *inst, const void *key, bool v4, uint64_t last_seen,
		       uint64_t timeout_ns)
{
	uint64_t floor = EDGEFW_CT_FILTER_FLOOR * 1000000000ull;
	/* Its last_seen plus its timeout (at least the floor), one unit more
	 * for the rounding, as the datapath raises it (kern/ct_filter.h). */
	uint32_t want = (uint32_t)((last_seen + (timeout_ns > floor ? timeout_ns : floor)) >>
				   EDGEFW_CT_FILTER_SHIFT) +
			1;
	struct edgefw_ct_filter *f;
	uint32_t *s, old;
	int ret = 0;

	/* The map is mmapped so that the raise is the datapath's
	 * compare-and-swap: a read and a write through the syscall could
	 * lower a deadline the datapath raised in between. */
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, inst->maps.ct_new_filter, 0);
	if (f == MAP_FAILED)
		return -errno;
	s = &f->slot[ef_ct_filter_slot(key, v4)];
	old = __atomic_load_n(s, __ATOMIC_RELAXED);
	while (old < want && !__atomic_compare_exchange_n(s, &old, want, false, __ATOMIC_SEQ_CST,
							  __ATOMIC_RELAXED))
		;
	if (munmap(f, sizeof(*f)))
		ret = -errno;
	return ret;
}
