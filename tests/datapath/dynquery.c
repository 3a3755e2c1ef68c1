// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What `edgefw explain --live` reads (user/loader/dynset_query.c) agrees
 * with the datapath: a set's lookup, expired entries absent, and a limit's
 * bucket found in the slot the BPF program charged. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"
#include "dynsets.h"
#include "matcher.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

static int add_entry(struct dp *dp, const char *set_name, uint8_t a, uint8_t b, uint8_t len,
		     uint64_t timeout_ns)
{
	struct ef_prefix p = { .family = EF_AF_INET, .len = len, .addr = { 10, 9, a, b } };
	struct ef_dynset set;
	int ret = ef_dynset_open(&dp->inst, set_name, &set);

	if (ret)
		return ret;
	ret = ef_dynset_add(&set, &p, timeout_ns);
	ef_dynset_close(&set);
	return ret;
}

static bool member(struct dp *dp, const char *set, uint8_t c, uint8_t d, char *detail, size_t len)
{
	uint8_t addr[16] = { 10, 9, c, d };
	bool holds = false;

	return !ef_dynset_query(&dp->inst, set, EF_AF_INET, addr, &holds, detail, len) && holds;
}

static const struct ef_rule *rule_named(struct dp *dp, const char *name)
{
	for (size_t i = 0; i < dp->rs.n_rules; i++)
		if (!strcmp(dp->rs.rules[i].name, name))
			return &dp->rs.rules[i];
	return NULL;
}

static bool room(struct dp *dp, const char *src, char *detail, size_t len)
{
	struct ef_packet pk = { .family = EF_AF_INET,
				.l4proto = IPPROTO_UDP,
				.has_ports = true,
				.sport = 40000,
				.dport = 99 };
	const struct ef_rule *r = rule_named(dp, "within");
	bool holds = false;

	inet_pton(AF_INET, src, pk.saddr);
	inet_pton(AF_INET, "10.2.0.1", pk.daddr);
	return r && !ef_limit_query(&dp->inst, r, &pk, 64, &holds, detail, len) && holds;
}

static void send_udp99(struct dp *dp, const char *src, int n)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .sport = 40000, .dport = 99, .payload = 8 };
	struct pkt p;

	spec_addrs(&s, src, "10.2.0.1");
	pkt_build(&p, &s);
	for (int i = 0; i < n; i++)
		dp_run(dp, EDGEFW_HOOK_XDP, &p);
}

/* How many slots of limit_tbl hold the bucket of source 10.3.x.y. */
static int bucket_copies(struct dp *dp, uint8_t x, uint8_t y)
{
	struct edgefw_limit_bucket b;
	int copies = 0;

	for (__u32 s = 0; s < EDGEFW_LIMIT_SLOTS; s++)
		copies += !bpf_map_lookup_elem(dp->inst.maps.limit_tbl, &s, &b) &&
			  b.key.saddr[0] == 10 && b.key.saddr[1] == 3 && b.key.saddr[2] == x &&
			  b.key.saddr[3] == y;
	return copies;
}

/* Two sources whose keys hash to one pair of slots (found with the
 * loader's copy of the hash): the second one's bucket is in the pair's
 * second slot, which the datapath looks up only when the first slot is
 * not the key's. It must find it there, not take a slot over again (which
 * would refill the bucket or evict the first source's). */
static void limit_second_slot(struct dp *dp)
{
	struct edgefw_limit_key k = { .saddr = { 10, 3 } };
	const struct ef_rule *r = rule_named(dp, "within");
	char a[32], b[32], detail[128] = "";
	struct edgefw_limit_cfg l;
	__u32 want = 0;
	int found = -1, copies;

	if (!r) {
		tap(false, "limits: the rule 'within' is loaded");
		return;
	}
	ef_limit_cfg_fill(&l, r, 0);
	k.id = l.id;
	k.saddr[2] = 0, k.saddr[3] = 1;
	want = ef_limit_slot(&k);
	for (int i = 2; i < 65536 && found < 0; i++) {
		k.saddr[2] = (uint8_t)(i >> 8), k.saddr[3] = (uint8_t)i;
		if (ef_limit_slot(&k) == want)
			found = i;
	}
	if (found < 0) {
		tap(false, "limits: a source whose bucket shares 10.3.0.1's pair of slots");
		return;
	}
	snprintf(a, sizeof(a), "10.3.0.1");
	snprintf(b, sizeof(b), "10.3.%d.%d", found >> 8, found & 255);
	send_udp99(dp, a, 1);
	send_udp99(dp, b, 1);
	tap(room(dp, b, detail, sizeof(detail)),
	    "limits: %s, in the second slot of %s's pair (slot %u), has room after 1 of 2 (%s)", b,
	    a, want, detail);
	send_udp99(dp, b, 3);
	copies = bucket_copies(dp, (uint8_t)(found >> 8), (uint8_t)found);
	tap(!room(dp, b, detail, sizeof(detail)) && copies == 1,
	    "limits: 3 more packets from %s spend its bucket, found in the second slot (%d slot(s) hold it; %s)",
	    b, copies, detail);
	tap(room(dp, a, detail, sizeof(detail)) && bucket_copies(dp, 0, 1) == 1,
	    "limits: %s in the pair's first slot keeps its own bucket (%s)", a, detail);
}

void dp_test_dynamic_query(struct dp *dp)
{
	char detail[128] = "", d2[128] = "";
	uint8_t any[16] = { 10 };
	bool holds;

	if (dp_load_yaml(
		    dp,
		    "version: 1\n"
		    "sets:\n"
		    "  ban: {dynamic: true, type: address}\n"
		    "rules:\n"
		    "  - {name: banned, src: $ban, action: drop}\n"
		    "  - {name: within, proto: udp, dport: 99, limit: {rate: 1/h, burst: 2, per: src}, action: pass}\n") ||
	    add_entry(dp, "ban", 0, 0, 16, 0) || add_entry(dp, "ban", 5, 7, 32, 1)) {
		tap(false, "explain --live: the ruleset loads (%s)", dp->error);
		return;
	}
	usleep(2000); /* the /32 with a 1 ns timeout has expired */
	tap(member(dp, "ban", 1, 2, detail, sizeof(detail)) && strstr(detail, "10.9.0.0/16") &&
		    strstr(detail, "no expiry"),
	    "a set query finds the entry that contains the address (%s)", detail);
	tap(member(dp, "ban", 5, 7, d2, sizeof(d2)) && strstr(d2, "10.9.0.0/16"),
	    "an expired longer entry is absent: the shorter live one answers (%s)", d2);
	any[1] = 8;
	tap(!ef_dynset_query(&dp->inst, "ban", EF_AF_INET, any, &holds, detail, sizeof(detail)) &&
		    !holds,
	    "an address no entry contains is not in the set (%s)", detail);
	tap(ef_dynset_query(&dp->inst, "nope", EF_AF_INET, any, &holds, detail, sizeof(detail)) ==
		    -ENOENT,
	    "a set the instance does not have: -ENOENT");

	tap(room(dp, "10.1.0.1", detail, sizeof(detail)) && strstr(detail, "no bucket"),
	    "a limit nobody charged yet has room (%s)", detail);
	send_udp99(dp, "10.1.0.1", 2);
	tap(!room(dp, "10.1.0.1", detail, sizeof(detail)) && strstr(detail, "bucket holds"),
	    "after a burst from the datapath the query finds the bucket it charged, spent (%s)",
	    detail);
	tap(room(dp, "10.1.0.2", detail, sizeof(detail)),
	    "another source's bucket still has room (%s)", detail);
	limit_second_slot(dp);
}
