// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The flow tables' filter from userspace (kern/ct_filter.h): a flow
 * userspace writes raises its slot's deadline for its table (confirmed or
 * not), as the datapath's writes do, so that packets keep looking it up. */
#include "cttable.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The datapath's slot (edgefw.h), on a copy: key need not be aligned. */
uint32_t ef_ct_filter_slot(const void *key, bool v4)
{
	__u64 w[5] = { 0 };

	memcpy(w, key, v4 ? sizeof(struct edgefw_ct4_key) : sizeof(struct edgefw_ct_key));
	return edgefw_ct_filter_slot(w, v4);
}

int ef_ct_filter_raise(const struct ef_instance *inst, const void *key, bool v4, bool confirmed,
		       uint64_t last_seen, uint64_t timeout_ns)
{
	/* As the datapath raises it (kern/ct_filter.h). */
	uint32_t want = edgefw_ct_filter_deadline(last_seen, timeout_ns);
	struct edgefw_ct_filter *f;
	uint32_t *s, old;
	int ret = 0;

	/* The map is mmapped so that the raise is the datapath's
	 * compare-and-swap: a read and a write through the syscall could
	 * lower a deadline the datapath raised in between. */
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, inst->maps.ct_filter, 0);
	if (f == MAP_FAILED)
		return -errno;
	s = confirmed ? &f->slot[ef_ct_filter_slot(key, v4)].conf
		      : &f->slot[ef_ct_filter_slot(key, v4)].unconf;
	old = __atomic_load_n(s, __ATOMIC_RELAXED);
	while (old < want && !__atomic_compare_exchange_n(s, &old, want, false, __ATOMIC_SEQ_CST,
							  __ATOMIC_RELAXED))
		;
	if (munmap(f, sizeof(*f)))
		ret = -errno;
	return ret;
}
