// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "purge.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"
#include "edgefw.h"
#include "fault.h"

#define BATCH 8192

static bool lpm6_is_gen(const void *key, __u32 gen)
{
	return ((const struct edgefw_lpm6_key *)key)->tag >> 1 == gen;
}

static bool chain_is_gen(const void *key, __u32 gen)
{
	return !!(((const struct edgefw_chain_key *)key)->cur & EDGEFW_CHAIN_GEN_BIT) == !!gen;
}

static bool host6_is_gen(const void *key, __u32 gen)
{
	return EDGEFW_HOST6_TAG_GEN(((const struct edgefw_host6_key *)key)->tag) == gen;
}

static bool ctx_is_gen(const void *key, __u32 gen)
{
	return ((const struct edgefw_ctx_key *)key)->gen == gen;
}

/* Deletes n keys; one already gone (ENOENT) is as good as deleted. */
static int delete_keys(int fd, const char *keys, size_t key_size, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((ef_fault("purge_delete") || bpf_map_delete_elem(fd, keys + i * key_size)) &&
		    errno != ENOENT)
			return -errno;
	return 0;
}

/* Deletes every entry of generation gen from a hash map, reading keys in
 * batches. */
static int purge_hash(int fd, size_t key_size, size_t value_size,
		      bool (*is_gen)(const void *, __u32), __u32 gen)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char *keys = malloc(BATCH * key_size), *vals = malloc(BATCH * value_size);
	char *doomed = malloc(BATCH * key_size);
	__u64 in = 0, out = 0;
	bool first = true, done = false;
	int ret = 0;

	if (!keys || !vals || !doomed) {
		ret = -ENOMEM;
		goto out;
	}
	/* Collect first, delete after: deleting while walking a hash map in
	 * batches can skip entries. */
	while (!done && !ret) {
		__u32 count = BATCH, n_doomed = 0;

		if (ef_fault("purge_lookup") ||
		    bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, &opts)) {
			if (errno != ENOENT) {
				ret = -errno;
				break;
			}
			done = true;
		}
		first = false;
		in = out;
		for (__u32 i = 0; i < count; i++)
			if (is_gen(keys + (size_t)i * key_size, gen))
				memcpy(doomed + (size_t)n_doomed++ * key_size,
				       keys + (size_t)i * key_size, key_size);
		/* Deleting entries already walked does not disturb the walk. */
		ret = delete_keys(fd, doomed, key_size, n_doomed);
	}
out:
	free(keys);
	free(vals);
	free(doomed);
	return ret;
}

/* The LPM trie has no batch operations: walk it key by key. */
static int purge_lpm6(int fd, __u32 gen)
{
	struct edgefw_lpm6_key *doomed = NULL, key, next;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int ret = 0;

	for (;;) {
		if (ef_fault("purge_lookup") || bpf_map_get_next_key(fd, prev, &next)) {
			if (errno != ENOENT)
				ret = -errno;
			break;
		}
		key = next;
		prev = &key;
		if (!lpm6_is_gen(&key, gen))
			continue;
		ret = EF_GROW(&doomed, &cap, n + 1);
		if (ret)
			break;
		doomed[n++] = key;
	}
	if (!ret)
		ret = delete_keys(fd, (const char *)doomed, sizeof(*doomed), n);
	free(doomed);
	return ret;
}

int ef_purge_gen(struct ef_instance *inst, __u32 gen)
{
	int ret;

	ret = purge_hash(inst->maps.chain_tbl, sizeof(struct edgefw_chain_key), sizeof(__u32),
			 chain_is_gen, gen);
	if (!ret)
		ret = purge_hash(inst->maps.ctx_tbl, sizeof(struct edgefw_ctx_key), sizeof(__u32),
				 ctx_is_gen, gen);
	if (!ret)
		ret = purge_hash(inst->maps.host6_tbl, sizeof(struct edgefw_host6_key),
				 sizeof(__u32), host6_is_gen, gen);
	if (!ret)
		ret = purge_lpm6(inst->maps.lpm6_tbl, gen);
	return ret;
}
