// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "naive.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "bench.h"
#include "bench.skel.h"
#include "edgefw.h"
#include "ruleset.h"

/* Deletes every key; the first key is asked for again after each delete, so
 * the walk never depends on the order of a map being changed under it. */
static int map_empty(int fd, size_t key_size)
{
	unsigned char key[64];

	if (key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

/* The lower rule wins: rules are added in order, so an existing key keeps
 * its rule. */
static int add_first(int fd, const void *key, uint32_t rule, size_t *entries)
{
	if (!bpf_map_update_elem(fd, key, &rule, BPF_NOEXIST)) {
		(*entries)++;
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

static int add_prefixes(int fd, const struct ef_addr_field *f, uint32_t rule, size_t *entries)
{
	if (f->any)
		return 0;
	for (size_t i = 0; i < f->n; i++) {
		struct naive_lpm_key k = {};
		int ret;

		k.family = f->v[i].family == EF_AF_INET ? 4 : 6;
		k.prefixlen = 8u + f->v[i].len;
		memcpy(k.addr, f->v[i].addr, sizeof(k.addr));
		ret = add_first(fd, &k, rule, entries);
		if (ret)
			return ret;
	}
	return 0;
}

/* With max_range, ranges wider than that are left out (counted in
 * *skipped), and so are services once the hash is full. */
static int add_services(int fd, const struct ef_rule *r, uint32_t rule, uint32_t max_range,
			size_t *entries, size_t *skipped)
{
	/* A hash on exact (protocol, port) cannot say "any": such rules are
	 * left to their other fields. */
	if (r->proto_any || r->dport.any)
		return 0;
	for (unsigned proto = 0; proto < 256; proto++) {
		if (!ef_rule_has_proto(r, (uint8_t)proto))
			continue;
		for (size_t i = 0; i < r->dport.n; i++) {
			if (max_range &&
			    (uint32_t)r->dport.v[i].hi - r->dport.v[i].lo >= max_range) {
				(*skipped)++;
				continue;
			}
			for (uint32_t p = r->dport.v[i].lo; p <= r->dport.v[i].hi; p++) {
				struct naive_svc_key k = { .dport = (__u16)p,
							   .proto = (__u8)proto };
				int ret = add_first(fd, &k, rule, entries);

				if (ret == -E2BIG && max_range) {
					(*skipped)++;
					break;
				}
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

static int load(struct bench_bpf *skel, const struct ef_ruleset *rs, uint32_t max_range,
		size_t *entries, size_t *skipped)
{
	int src = bpf_map__fd(skel->maps.naive_src);
	int dst = bpf_map__fd(skel->maps.naive_dst);
	int svc = bpf_map__fd(skel->maps.naive_svc);
	int act = bpf_map__fd(skel->maps.naive_action);
	uint32_t def = EDGEFW_MAX_RULES, a;
	int ret;

	*entries = *skipped = 0;
	if (rs->n_rules > EDGEFW_MAX_RULES)
		return -E2BIG;
	ret = map_empty(src, sizeof(struct naive_lpm_key));
	if (!ret)
		ret = map_empty(dst, sizeof(struct naive_lpm_key));
	if (!ret)
		ret = map_empty(svc, sizeof(struct naive_svc_key));
	for (uint32_t i = 0; !ret && i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		ret = add_prefixes(src, &r->src, i, entries);
		if (!ret)
			ret = add_prefixes(dst, &r->dst, i, entries);
		if (!ret)
			ret = add_services(svc, r, i, max_range, entries, skipped);
		a = r->action;
		if (!ret && bpf_map_update_elem(act, &i, &a, BPF_ANY))
			ret = -errno;
	}
	a = rs->default_action[EDGEFW_HOOK_XDP];
	if (!ret && bpf_map_update_elem(act, &def, &a, BPF_ANY))
		ret = -errno;
	return ret;
}

int naive_load(struct bench_bpf *skel, const struct ef_ruleset *rs, size_t *entries)
{
	size_t skipped;

	return load(skel, rs, 0, entries, &skipped);
}

int naive_load_partial(struct bench_bpf *skel, const struct ef_ruleset *rs, size_t *entries,
		       size_t *skipped)
{
	return load(skel, rs, NAIVE_MAX_RANGE, entries, skipped);
}
