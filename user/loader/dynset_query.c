// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reading the dynamic state of an instance the way the datapath sees it,
 * without changing it (issue 16, for `edgefw explain --live`): a set's
 * lookup (kern/dynset.h dynset_has: the longest live prefix, expired
 * entries absent) and a limit's bucket (edgefw_limit_take without the charge).
 */
#include "dynsets.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "matcher.h"

/* As kern/dynset.h: expired entries met before giving up. */
#define EXPIRED_RETRIES 4

static int slot_of(const struct ef_instance *inst, const char *name, __u32 *slot)
{
	struct edgefw_dynset_meta m;

	for (__u32 s = 0; s < EDGEFW_MAX_DYNSETS; s++) {
		if (bpf_map_lookup_elem(inst->maps.dynset_meta, &s, &m))
			return -errno;
		m.name[EDGEFW_DYNSET_NAME_MAX - 1] = '\0';
		if (!strcmp(m.name, name)) {
			*slot = s;
			return 0;
		}
	}
	return -ENOENT;
}

/* The entry's prefix: addr cut to len bits. */
static void entry_text(uint8_t family, const uint8_t addr[16], unsigned len, char *buf,
		       size_t buflen)
{
	struct ef_prefix p = { .family = family, .len = (uint8_t)len };

	for (unsigned b = 0; b < 16; b++) {
		unsigned keep = len > 8 * b ? len - 8 * b : 0;

		p.addr[b] = keep >= 8 ? addr[b] : (uint8_t)(addr[b] & (0xff00u >> keep));
	}
	ef_prefix_format(&p, buf, buflen);
}

static void expiry_text(const struct edgefw_dyn_val *v, uint64_t now, char *buf, size_t len)
{
	if (!v->expires)
		snprintf(buf, len, "no expiry");
	else
		snprintf(buf, len, "expires in %.1f s", (double)(v->expires - now) / 1e9);
}

static int trie_lookup(int fd, uint8_t family, const uint8_t addr[16], bool *holds, char *detail,
		       size_t len)
{
	struct edgefw_dyn6_key k6 = { .prefixlen = 128 };
	struct edgefw_dyn4_key k4 = { .prefixlen = 32 };
	bool v4 = family == EF_AF_INET;
	uint64_t now = ef_boottime_ns();
	struct edgefw_dyn_val v;
	char text[EF_PREFIX_STRLEN], when[40];

	memcpy(k4.addr, addr, 4);
	memcpy(k6.addr, addr, 16);
	*holds = false;
	snprintf(detail, len, "no entry contains it");
	for (int i = 0; i < EXPIRED_RETRIES; i++) {
		if (bpf_map_lookup_elem(fd, v4 ? (void *)&k4 : (void *)&k6, &v))
			return errno == ENOENT ? 0 : -errno;
		if (!v.expires || v.expires > now) {
			entry_text(family, addr, v.prefixlen, text, sizeof(text));
			expiry_text(&v, now, when, sizeof(when));
			snprintf(detail, len, "entry %s, %s", text, when);
			*holds = true;
			return 0;
		}
		snprintf(detail, len, "only an expired entry /%u contains it", v.prefixlen);
		if (!v.prefixlen)
			return 0;
		k4.prefixlen = k6.prefixlen = v.prefixlen - 1;
	}
	return 0;
}

int ef_dynset_query(const struct ef_instance *inst, const char *name, uint8_t family,
		    const uint8_t addr[16], bool *holds, char *detail, size_t len)
{
	__u32 slot = 0;
	int fd, ret;

	ret = slot_of(inst, name, &slot);
	if (ret)
		return ret;
	fd = ef_dynset_fd(inst, slot, family == EF_AF_INET ? 0 : 1);
	if (fd < 0)
		return fd;
	ret = trie_lookup(fd, family, addr, holds, detail, len);
	close(fd);
	return ret;
}

__u32 ef_limit_slot(const struct edgefw_limit_key *k)
{
	__u64 w[5];
	__u64 h;

	memcpy(w, k, sizeof(w));
	h = w[0] * 0x9e3779b97f4a7c15ull + w[1] * 0xff51afd7ed558ccdull +
	    w[2] * 0xc4ceb9fe1a85ec53ull + w[3] * 0xd6e8feb86659fd93ull +
	    w[4] * 0xa0761d6478bd642full;
	return (__u32)(h >> 32) & (EDGEFW_LIMIT_SLOTS - 2);
}

static void limit_key(const struct edgefw_limit_cfg *l, const struct ef_packet *pkt,
		      struct edgefw_limit_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = l->id ^ (pkt->family == EF_AF_INET6 ? 1u << 31 : 0);
	if (l->per & EDGEFW_PER_SRC)
		memcpy(k->saddr, pkt->saddr, 16);
	if (l->per & EDGEFW_PER_DST)
		memcpy(k->daddr, pkt->daddr, 16);
	/* The datapath's ports: ICMP type and code where ports would be. */
	if (l->per & EDGEFW_PER_SPORT)
		k->sport = pkt->has_ports ? pkt->sport : pkt->has_icmp ? pkt->icmp_type : 0;
	if (l->per & EDGEFW_PER_DPORT)
		k->dport = pkt->has_ports ? pkt->dport : pkt->has_icmp ? pkt->icmp_code : 0;
}

static uint64_t coarse_now(void)
{
	struct timespec ts;

	/* bpf_ktime_get_coarse_ns() */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ef_limit_query(const struct ef_instance *inst, const struct ef_rule *r,
		   const struct ef_packet *pkt, uint32_t pkt_len, bool *holds, char *detail,
		   size_t len)
{
	struct edgefw_limit_bucket b[2];
	struct edgefw_limit_cfg l;
	struct edgefw_limit_key k;
	__u32 i, j;
	uint64_t now, cost, debt;

	ef_limit_cfg_fill(&l, r, 0);
	limit_key(&l, pkt, &k);
	i = ef_limit_slot(&k);
	j = i + 1;
	if (bpf_map_lookup_elem(inst->maps.limit_tbl, &i, &b[0]) ||
	    bpf_map_lookup_elem(inst->maps.limit_tbl, &j, &b[1]))
		return -errno;
	cost = l.bytes ? ((uint64_t)pkt_len * l.unit_ps + 999) / 1000 : l.pkt_ns;
	for (int s = 0; s < 2; s++) {
		if (memcmp(&b[s].key, &k, sizeof(k)))
			continue;
		now = coarse_now();
		debt = b[s].tat > now ? b[s].tat - now : 0;
		*holds = debt + cost <= l.burst_ns;
		snprintf(detail, len, "its bucket holds %.0f%% of the burst",
			 l.burst_ns ? 100.0 *
					      (double)(l.burst_ns -
						       (debt < l.burst_ns ? debt : l.burst_ns)) /
					      (double)l.burst_ns
				    : 0.0);
		return 0;
	}
	*holds = cost <= l.burst_ns;
	snprintf(detail, len, "no bucket for this packet yet: a full one");
	return 0;
}
