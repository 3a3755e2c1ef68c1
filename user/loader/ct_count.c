// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counting the connection table's entries in batches (cttable.h). */
#include "cttable.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>

#define CT_BATCH 4096

static int count_one(int fd, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	/* Room for either family's keys. */
	struct edgefw_ct_key *keys = calloc(CT_BATCH, sizeof(*keys));
	struct edgefw_ct_entry *vals = calloc(CT_BATCH, sizeof(*vals));
	__u32 in = 0, out = 0, cnt;
	bool first = true;
	int ret = 0;

	*n = 0;
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		cnt = CT_BATCH;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &cnt, &opts);
		ret = ret ? -errno : 0;
		*n += cnt; /* also what came with the last batch (-ENOENT) */
		if (ret)
			break;
		in = out;
		first = false;
	}
	if (ret == -ENOENT)
		ret = 0;
out:
	free(keys);
	free(vals);
	return ret;
}

int ef_ct_count(const struct ef_instance *inst, size_t n[2])
{
	const int fds[4] = { inst->maps.ct_tbl, inst->maps.ct_new_tbl, inst->maps.ct4_tbl,
			     inst->maps.ct4_new_tbl };
	size_t one;
	int ret = 0;

	n[0] = n[1] = 0;
	for (int i = 0; i < 4 && !ret; i++) {
		ret = count_one(fds[i], &one);
		n[i & 1] += one;
	}
	return ret;
}
