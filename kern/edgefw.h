/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every type and constant shared by the BPF programs (kern/) and userspace
 * (user/). Map keys and values use fixed-width types with explicit padding so
 * both sides agree on the layout byte for byte; the asserts at the end catch
 * any drift at compile time on either side.
 */
#ifndef EDGEFW_H
#define EDGEFW_H

#include <linux/types.h>

/* Bumped whenever a pinned map's key, value or meaning changes, so pins left
 * by another version are detected instead of reused. */
#define EDGEFW_LAYOUT_VERSION 1

/* Rule counter slots (one per rule name) and the name stored for each. */
#define EDGEFW_MAX_RULES 16384
#define EDGEFW_RULE_NAME_MAX 64

/* Two generations of every ruleset table: packets read the active one while
 * userspace fills the other, then one write of `gen` switches them. */
#define EDGEFW_GENERATIONS 2

/* Interfaces one instance can be attached to at the same time. */
#define EDGEFW_MAX_ATTACH 256

/* A class id the compiler never assigns: "no entry". */
#define EDGEFW_CLASS_NONE 0xffffffffu

enum edgefw_action {
	EDGEFW_ACT_PASS = 0,
	EDGEFW_ACT_DROP = 1,
	EDGEFW_ACT_REDIRECT = 2,
	EDGEFW_ACT_COUNT
};

enum edgefw_hook {
	EDGEFW_HOOK_XDP = 0,
	EDGEFW_HOOK_TC_INGRESS = 1,
	EDGEFW_HOOK_TC_EGRESS = 2,
	EDGEFW_HOOK_COUNT
};

/* Global per-CPU counters indexed by why a packet got its verdict when no
 * rule decided it, or why it could not be classified. */
enum edgefw_reason {
	EDGEFW_REASON_DEFAULT_PASS = 0,
	EDGEFW_REASON_DEFAULT_DROP,
	EDGEFW_REASON_NON_IP,        /* ARP, LLDP, ...: passed by policy */
	EDGEFW_REASON_MALFORMED_L2,  /* truncated Ethernet or VLAN header */
	EDGEFW_REASON_MALFORMED_L3,  /* truncated IP header, bad ihl/length */
	EDGEFW_REASON_NO_RULESET,    /* no active generation loaded yet */
	EDGEFW_REASON_REDIRECT_FAIL,
	EDGEFW_REASON_ND,            /* IPv6 neighbour discovery: passed by policy */
	EDGEFW_REASON_COUNT
};

/* Which address a class lookup is for. All four share one LPM trie, told
 * apart by this byte in front of the address: one inner map per generation
 * instead of four halves the map-in-map updates of a reload, each of which
 * waits for an RCU grace period. */
enum edgefw_addr_field {
	EDGEFW_FIELD_SRC4 = 0,
	EDGEFW_FIELD_DST4,
	EDGEFW_FIELD_SRC6,
	EDGEFW_FIELD_DST6,
	EDGEFW_FIELD_COUNT
};

/* LPM trie key: prefixlen first, as the kernel requires. prefixlen counts
 * the field byte too: 8 + the address prefix length. IPv4 addresses use
 * addr[0..3]. */
struct edgefw_addr_key {
	__u32 prefixlen;
	__u8 field; /* enum edgefw_addr_field */
	__u8 addr[16];
	__u8 pad[3];
};

#define EDGEFW_ADDR_KEY_PREFIX_BITS 8

/* Key of the combination table: one class id per classified field. */
struct edgefw_combo_key {
	__u32 src_class;
	__u32 dst_class;
};

/* What a matching rule decides. */
struct edgefw_verdict {
	__u32 counter_slot;     /* index into rule_stats / rule_meta */
	__u32 redirect_ifindex; /* EDGEFW_ACT_REDIRECT only */
	__u8 action;            /* enum edgefw_action */
	__u8 flags;             /* EDGEFW_VERDICT_F_* */
	__u8 pad[2];
};

#define EDGEFW_VERDICT_F_LOG 0x1

/* Per-generation settings that are not rules. */
struct edgefw_gen_config {
	__u8 default_action[EDGEFW_HOOK_COUNT];
	__u8 non_ip_action;   /* ARP, LLDP, IPv6 neighbour discovery */
	__u8 malformed_action;
	__u8 pad[3];
};

/* The one switch between generations. */
struct edgefw_active {
	__u32 gen;    /* 0 or 1 */
	__u32 loaded; /* 0 until the first ruleset is in place */
};

struct edgefw_counter {
	__u64 packets;
	__u64 bytes;
};

/* Which rule owns a counter slot; an empty name marks a free slot. */
struct edgefw_rule_meta {
	char name[EDGEFW_RULE_NAME_MAX];
	__u32 order;  /* position in the active ruleset, for listing */
	__u8 action;  /* enum edgefw_action */
	__u8 pad[3];
};

/* Instance-wide facts userspace checks before reusing pins. */
struct edgefw_instance_info {
	__u32 layout_version;
	__u32 pad;
	__u64 ruleset_hash; /* FNV-1a of the rules file as loaded */
	__u64 loaded_at;    /* CLOCK_REALTIME seconds */
};

/* One entry per (interface, hook) this instance is attached to. */
struct edgefw_attach_key {
	__u32 ifindex;
	__u32 hook; /* enum edgefw_hook */
};

struct edgefw_attach_val {
	__u32 prog_id;
	__u32 mode; /* XDP mode as libxdp names it, 0 for tc */
	char ifname[16];
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L || defined(__clang__)
_Static_assert(sizeof(struct edgefw_addr_key) == 24, "addr key layout");
_Static_assert(sizeof(struct edgefw_combo_key) == 8, "combo key layout");
_Static_assert(sizeof(struct edgefw_verdict) == 12, "verdict layout");
_Static_assert(sizeof(struct edgefw_gen_config) == 8, "gen config layout");
_Static_assert(sizeof(struct edgefw_active) == 8, "active layout");
_Static_assert(sizeof(struct edgefw_counter) == 16, "counter layout");
_Static_assert(sizeof(struct edgefw_rule_meta) == EDGEFW_RULE_NAME_MAX + 8, "rule meta layout");
_Static_assert(sizeof(struct edgefw_instance_info) == 24, "instance info layout");
_Static_assert(sizeof(struct edgefw_attach_key) == 8, "attach key layout");
_Static_assert(sizeof(struct edgefw_attach_val) == 24, "attach val layout");
#endif

#endif /* EDGEFW_H */
