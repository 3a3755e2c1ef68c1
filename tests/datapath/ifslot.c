// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The attachment slots (kern/ifslot.h) as test runs see them. A test run
 * comes in on lo (index 1), which no test attaches: slots published for
 * it directly (ef_iface_slot_publish, as an attach does) decide the row
 * of iface_stats it counts in. Behind an index that collides with it
 * (1 + EDGEFW_IFSLOT_DIRECT) it is in the hash, and its packets must
 * still count in its own row; with nothing published, in the spare row.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "dp.h"
#include "iface_slots.h"

#define LO_INDEX 1u
/* Slots no other test uses (they all count in the spare row). */
#define SLOT_BASE 4000u

static __u64 row(struct dp *dp, __u32 slot)
{
	return dp_counter(dp, dp->inst.maps.iface_stats, slot * EDGEFW_ACT_COUNT + EDGEFW_ACT_PASS)
		.packets;
}

static unsigned hash_entries(struct dp *dp)
{
	struct edgefw_attach_key k, next;
	unsigned n = 0;
	void *at = NULL;

	while (!bpf_map_get_next_key(dp->inst.maps.ifslot_hash, at, &next) && n < 100) {
		k = next;
		at = &k;
		n++;
	}
	return n;
}

/* One ARP frame (passed at every hook) through hook; which of slot and
 * the spare row counted it: "slot", "spare", or what happened. */
static const char *counted_in(struct dp *dp, __u32 hook, __u32 slot)
{
	__u64 s0 = row(dp, slot), p0 = row(dp, EDGEFW_IFSLOT_SPARE), s1, p1;
	struct pkt p;

	pkt_build_arp(&p);
	if (dp_run(dp, hook, &p) != DP_PASS)
		return "not passed";
	s1 = row(dp, slot) - s0;
	p1 = row(dp, EDGEFW_IFSLOT_SPARE) - p0;
	if (s1 == 1 && !p1)
		return "slot";
	if (!s1 && p1 == 1)
		return "spare";
	return "neither or both";
}

static void one_hook(struct dp *dp, __u32 hook)
{
	const struct edgefw_attach_key lo = { .ifindex = LO_INDEX, .hook = hook };
	const struct edgefw_attach_key other = { .ifindex = LO_INDEX + EDGEFW_IFSLOT_DIRECT,
						 .hook = hook };
	__u32 mine = SLOT_BASE + hook, theirs = SLOT_BASE + 10 + hook;
	const char *h = dp_hook_name(hook), *got;
	unsigned n;
	int ret;

	got = counted_in(dp, hook, mine);
	tap(!strcmp(got, "spare"), "%s: lo without a slot counts in the spare row (%s)", h, got);

	tap(!ef_iface_slot_publish(&dp->inst, &lo, mine), "%s: lo's slot published", h);
	got = counted_in(dp, hook, mine);
	n = hash_entries(dp);
	tap(!strcmp(got, "slot") && !n,
	    "%s: in its direct entry, lo counts in its slot (%s, hash %u)", h, got, n);

	/* Another index in lo's entry: lo's packets miss it. */
	ef_attachment_forget(&dp->inst, &lo);
	tap(!ef_iface_slot_publish(&dp->inst, &other, theirs),
	    "%s: index %u takes lo's direct entry", h, other.ifindex);
	got = counted_in(dp, hook, theirs);
	tap(!strcmp(got, "spare"), "%s: lo counts in the spare row, not in %u's slot (%s)", h,
	    other.ifindex, got);

	ret = ef_iface_slot_publish(&dp->inst, &lo, mine);
	n = hash_entries(dp);
	tap(!ret && n == 1, "%s: lo, colliding, goes to the hash (%d, %u entries)", h, ret, n);
	got = counted_in(dp, hook, mine);
	tap(!strcmp(got, "slot"), "%s: from the hash, lo counts in its slot (%s)", h, got);

	/* The entry freed, lo published again moves into it. */
	ef_attachment_forget(&dp->inst, &other);
	ret = ef_iface_slot_publish(&dp->inst, &lo, mine);
	n = hash_entries(dp);
	tap(!ret && !n,
	    "%s: published again, lo moves into the free entry, out of the hash (%d, %u entries)",
	    h, ret, n);
	got = counted_in(dp, hook, mine);
	tap(!strcmp(got, "slot"), "%s: moved, lo counts in its slot (%s)", h, got);

	ef_attachment_forget(&dp->inst, &lo);
	got = counted_in(dp, hook, mine);
	n = hash_entries(dp);
	tap(!strcmp(got, "spare") && !n,
	    "%s: forgotten, lo counts in the spare row again (%s, hash %u)", h, got, n);
}

void dp_test_ifslot(struct dp *dp)
{
	int ret = dp_load_yaml(dp, "version: 1\nrules: [{name: all, action: pass}]\n");

	tap(ret == 0, "ifslot: a ruleset loads (%s)", ret ? dp->error : "ok");
	for (__u32 hook = 0; hook < EDGEFW_HOOK_COUNT; hook++)
		one_hook(dp, hook);
}
