/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every type and constant shared by the BPF programs (kern/) and userspace
 * (user/). Map keys and values use fixed-width types with explicit padding so
 * both sides agree on the layout byte for byte; the asserts at the end catch
 * any drift at compile time on either side.
 *
 * Longer than the ~600 lines files keep to, on purpose: it is the one
 * place where both sides meet, so every pinned layout and the version
 * that covers them stay in one file.
 */
#ifndef EDGEFW_H
#define EDGEFW_H

#include <linux/types.h>

/* Bumped whenever a pinned map's key, value or meaning changes, so pins left
 * by another version are detected instead of reused. */
#define EDGEFW_LAYOUT_VERSION 25

/* Rule counter slots (one per rule name) and the name stored for each:
 * the format's limit. An instance's per-rule tables hold the slots its
 * rulesets need (user/loader/capacity.c), at most this many: rule_stats
 * holds 16 bytes per slot per CPU, 1 MiB per CPU at this size. */
#define EDGEFW_MAX_RULES 65536
#define EDGEFW_RULE_NAME_MAX 64

/* Two generations of every ruleset table: packets read the active one while
 * userspace fills the other, then one write of `gen` switches them. */
#define EDGEFW_GENERATIONS 2

/* (interface, hook) attachments one instance can have at the same time:
 * its interface capacity. At the cap a new one is refused (logged, and
 * counted by edgefwd), never attached without counters. */
#define EDGEFW_MAX_ATTACH 4096

/* kern/ifslot.h: an attachment's counter slot, in the direct table
 * (edgefw_ifslots, global data) at
 * (ifindex % EDGEFW_IFSLOT_DIRECT) * EDGEFW_HOOK_COUNT + hook when that
 * entry is free, else in ifslot_hash. Entry 0 (no interface has index 0,
 * and an index that is a multiple of EDGEFW_IFSLOT_DIRECT always goes to
 * the hash) holds in .slot how many entries ifslot_hash has, so packets
 * look there only when some attachment is. 16,384 entries per hook lock
 * 384 KiB (65,536 locked 1.5 MiB, a fifth of a 10-rule instance): an
 * index past it shares an entry with a lower one, and only the second of
 * two attached interfaces that share one costs a hash lookup. */
#define EDGEFW_IFSLOT_DIRECT 16384u

struct edgefw_ifslot {
	__u32 ifindex; /* 0: free */
	__u32 slot;
};

/* The direct table's entries (kern/ifslot.h edgefw_ifslots, in .bss). */
#define EDGEFW_IFSLOT_ENTRIES (EDGEFW_IFSLOT_DIRECT * EDGEFW_HOOK_COUNT)

/* An entry as the one 8-byte word it is loaded and stored as. */
union edgefw_ifslot_word {
	__u64 word;
	struct edgefw_ifslot e;
};

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
 * rule decided it, or why it could not be classified. The two default
 * reasons are not counted in reason_stats: a default verdict updates one
 * line, default_stats' row for its hook and action (EDGEFW_DEFAULT_ROW),
 * and userspace sums those rows into default_pass and default_drop. */
enum edgefw_reason {
	EDGEFW_REASON_DEFAULT_PASS = 0,
	EDGEFW_REASON_DEFAULT_DROP,
	EDGEFW_REASON_NON_IP,        /* ARP, LLDP, ...: non-ip policy */
	EDGEFW_REASON_ND,            /* IPv6 neighbour discovery: non-ip policy */
	EDGEFW_REASON_MALFORMED_L2,  /* truncated Ethernet or VLAN header */
	EDGEFW_REASON_MALFORMED_L3,  /* truncated IP header, bad ihl/length */
	EDGEFW_REASON_MALFORMED_EXT, /* truncated IPv6 extension header */
	EDGEFW_REASON_MALFORMED_L4,  /* L4 header truncated or bad TCP doff */
	EDGEFW_REASON_EXT_OVERFLOW,  /* IPv6 extension chain past the bound */
	EDGEFW_REASON_FRAGMENT,      /* non-first fragment, fragments policy */
	EDGEFW_REASON_NO_RULESET,    /* no active generation loaded yet */
	EDGEFW_REASON_REDIRECT_FAIL,
	EDGEFW_REASON_ENCAP_OVERFLOW, /* VLAN, PPPoE or MPLS past the walk */
	EDGEFW_REASON_READ_FAIL,      /* a non-linear header could not be copied */
	EDGEFW_REASON_COUNT
};

/* default_stats: per hook, the packets of its default pass, then drop. */
#define EDGEFW_DEFAULT_STATS_SIZE (EDGEFW_HOOK_COUNT * 2)
#define EDGEFW_DEFAULT_ROW(hook, drop) ((hook)*2 + ((drop) ? 1 : 0))

/* Measured on the project machine with BPF_PROG_TEST_RUN: an array lookup
 * costs about 1.5 ns (also in an inner map of a map-in-map), a hash lookup
 * about 26 ns, an LPM trie lookup 20 ns with 10 prefixes and 78 ns with
 * 100k. So the packet path uses arrays wherever it can.
 *
 * Per generation, two arrays hang off map-in-maps: `cells` (__u64, the
 * array's 8-byte stride whatever the value size; the lower half is the
 * cell described below, the upper half, in the few cells that have one,
 * holds a lone IPv4 prefix, EDGEFW_LONE_*, a folded IPv6 skip node,
 * EDGEFW_LONE6_*, or a paired forest's subtree in a pair cell,
 * gen_config.pair_l1) holds the IPv4 address tries and the dense chain
 * tables (but for their level-1 tables, in global data: EDGEFW_L1_CELLS
 * below), `classes` (struct edgefw_class_info) the chain classes. Their size is fixed per instance
 * (chosen when it is created), not per ruleset: the verifier inlines
 * lookups into an inner array only when all inner arrays have one size,
 * and a lookup that is a call costs about 10 ns. Hash and LPM tables hold
 * both generations, told apart by a tag in their keys.
 *
 * IPv4 addresses: a multibit trie with strides 16, 4, 4, 4, 4: level 1
 * at cell src/dst * 65536 + top 16 bits (global data, EDGEFW_L1_CELLS
 * below), then 16-cell chunks in `cells` for each next 4 bits. A cell is a class, or (A4_CHUNK) the index of a chunk. At most five
 * array lookups, whatever the number of prefixes. */
#define EDGEFW_A4_L1_SIZE 65536u
#define EDGEFW_A4_CHUNK_SIZE 16u
#define EDGEFW_A4_LEVELS 5
#define EDGEFW_A4_CHUNK 0x80000000u
#define EDGEFW_A4_VALUE 0x7fffffffu    /* class id, or chunk index */
#define EDGEFW_A4_NONE EDGEFW_A4_VALUE /* no class */

/* Path compression, in every address trie (both families' of the chain,
 * the forests' and the shared ones, gen_config.pair_l1): a prefix that no other
 * prefix shares its branch with (most of a blocklist's) has no chunks down
 * to its own level: the highest cell only it lies under (a level-1 cell,
 * or a chunk's where its path leaves every other prefix's) points at a
 * skip node instead, EDGEFW_SKIP_CELLS cells (one cache line) that compare
 * the rest of the prefix in one step, in place of the chunks below (and,
 * for IPv6 past /48, the hash probes): a /32 alone in its /16 reads two
 * lines instead of five, a /128 alone in its /16 two instead of nine and
 * a hash probe (kern/DESIGN.md, "Cache lines per packet"). The
 * cell holds EDGEFW_SKIP (a chunk cell is never flagged) and the node's
 * index (EDGEFW_SKIP_INDEX). The node: the prefix length and the first bit
 * still to compare (hdr), the prefix's four words in host order (bits past
 * the length clear), and the value of an address inside the prefix (hit)
 * or not (miss): for a forest's trie, subtrees; for a shared one, pairs.
 * user/compiler/addr_skip.c picks the prefixes, addr4.c places them. */
#define EDGEFW_SKIP (EDGEFW_A4_CHUNK | 0x40000000u)

/* A lone prefix in the cell itself, in the chain's own IPv4 tries (level 1
 * at field * EDGEFW_A4_L1_SIZE; not the forests' tries nor the ones they
 * share): where a skip node's hit fits in 12 bits, its cell's upper half
 * (a 64-bit cell, EDGEFW_CELL_SIZE) holds the prefix's bits 16-31 (host
 * order, bits past the length clear), its length less 17 and its hit plus
 * one (0: no lone prefix), and the lower half holds the node's miss, a
 * plain class. The node's line is not read: a blocklist /32 alone under
 * its /16 costs its level-1 cell only (kern/DESIGN.md, "Cache lines per
 * packet"). user/compiler/addr4.c (lone_fold) moves them there. */
#define EDGEFW_CELL_SIZE 8u
#define EDGEFW_LONE_ADDR 0xffffu
#define EDGEFW_LONE_LEN_SHIFT 16 /* 4 bits: length - 17 */
#define EDGEFW_LONE_HIT_SHIFT 20 /* 12 bits: hit + 1 */
#define EDGEFW_LONE_HIT_MAX 4094u
_Static_assert(((EDGEFW_LONE_HIT_MAX + 1) << EDGEFW_LONE_HIT_SHIFT) >> EDGEFW_LONE_HIT_SHIFT ==
		       EDGEFW_LONE_HIT_MAX + 1,
	       "the hit fits the upper half");
#define EDGEFW_SKIP_INDEX 0x1fffffffu
#define EDGEFW_SKIP_CELLS 8u
#define EDGEFW_SKIP_HDR 0u  /* length | first bit to compare << 8 */
#define EDGEFW_SKIP_ADDR 1u /* four words */
#define EDGEFW_SKIP_HIT 5u
#define EDGEFW_SKIP_MISS 6u
_Static_assert(EDGEFW_SKIP_MISS == EDGEFW_SKIP_HIT + 1,
	       "kern/tree_walk.h picks one of them by adding 0 or 1");

/* Wide chunks, in the forests' tries and the tries they share with the
 * chain (the tries kern/tree_walk.h walks, which ef_trie4_append builds):
 * a chunk cell with A4_WIDE points at EDGEFW_A4_WIDE_SIZE cells indexed
 * by the next 8 bits, not 4, in place of a chunk and the chunks below it
 * (two levels in one read). The compiler widens a chunk where a walk
 * goes two levels deeper, within a budget of cells per ruleset
 * (user/compiler/addr4.c, ef_trie4_widen); the chain's IPv4 tries keep
 * 4-bit chunks, its IPv6 ones are widened the same way (addr6_wide.c:
 * level by level, a budget of their own; the flag is EDGEFW_A6_HOST's
 * bit, which only a class cell carries). Chunk indexes stay below
 * EDGEFW_CELLS_MAX, so the flag bit is free in a chunk cell. */
#define EDGEFW_A4_WIDE 0x20000000u
#define EDGEFW_A4_INDEX 0x1fffffffu /* a chunk cell's index, wide or not */
#define EDGEFW_A4_WIDE_SIZE 256u
_Static_assert(EDGEFW_A4_WIDE >> 27 == 4, "kern/tree_walk.h takes the extra stride from the flag");

/* IPv6: the same kind of trie over the first 48 bits (a 65536-cell first
 * level per field after IPv4's, then 4-bit strides or wide 8-bit ones,
 * EDGEFW_A4_WIDE: at most nine array lookups). A longer prefix alone on its branch is behind a skip node
 * (above); the others are below a /48 cell flagged for them. Those
 * of the field's most common lengths past /48 (at most EDGEFW_A6_HASH_LENS,
 * always the longest ones: /128 and /64 in real lists; gen_config.hash6_len)
 * are in host6_tbl, one exact-match hash keyed by (generation, field,
 * length, masked address) and probed longest first under a cell flagged
 * A6_HOST: a hit is one bucket and one element, where the LPM trie reads a
 * node per branch on the path (about 17 at 100k prefixes). The others, all
 * shorter than the hashed ones, are in lpm6_tbl under a cell flagged
 * A6_LONGER, asked after the hashes miss. Most packets reach neither. */
#define EDGEFW_A6_L1_BASE (2 * EDGEFW_A4_L1_SIZE)

/* The four level-1 tables (IPv4 src, dst, IPv6 src, dst: cells
 * [0, EDGEFW_L1_CELLS) of the compiler's numbering) are not in `cells`
 * but in global data, one slot per generation (kern/maps.h, edgefw_l1;
 * pinned as data_bss): every address field of every packet reads one
 * first, and there it is a load at a constant address, not a lookup. The
 * `cells` array holds cell i at index i - EDGEFW_L1_CELLS. The global
 * tables hold the cells' lower halves only (32 bits: both generations
 * take what one generation's 64-bit tables took in `cells`). A level-1
 * cell with an upper half (a lone prefix folded into it, EDGEFW_LONE_*,
 * EDGEFW_LONE6_*) is written as EDGEFW_L1_FULL and the index of a copy
 * of the whole cell that the loader puts after the compiler's cells (a
 * skip node's index leaves EDGEFW_A4_WIDE clear, so no cell has the
 * pattern; a wide chunk, which the IPv6 tries and the forests' have, is
 * EDGEFW_A4_CHUNK | EDGEFW_A4_WIDE without EDGEFW_SKIP's second bit;
 * kern/classifier.h l1_cell64). A trie a forest shares with the chain
 * (gen_config.pair_l1) takes its field's IPv4 table: the loader puts the
 * shared trie's level 1 there (it has no upper halves) and writes
 * pair_l1 and the forest's root as field * EDGEFW_A4_L1_SIZE (the chain
 * reads the shared trie only, so its own is unused; user/loader/l1.c). */
#define EDGEFW_L1_CELLS (4 * EDGEFW_A4_L1_SIZE)
#define EDGEFW_L1_FULL (EDGEFW_SKIP | EDGEFW_A4_WIDE)
#define EDGEFW_L1_FULL_MASK (EDGEFW_SKIP | EDGEFW_A4_WIDE)
_Static_assert((EDGEFW_L1_CELLS & (EDGEFW_L1_CELLS - 1)) == 0, "kern/maps.h masks the index");
/* The hot window: what every packet of a small chain reads past the
 * level-1 tables, in global data too (kern/maps.h edgefw_hot,
 * edgefw_hot_classes), where a read is a load at a constant address and
 * not an array lookup (about ten instructions, the key through the
 * stack). The loader (user/loader/hot.c) copies into each generation's
 * slot the chain's dense stage tables, in stage order while they fit
 * (a dense step's cell index, cur * width + off + next, below
 * EDGEFW_HOT_SLOTS is a slot of the window: an index in `cells` is past
 * the level-1 tables, EDGEFW_L1_CELLS), then the
 * copies of the level-1 cells with an upper half (EDGEFW_L1_FULL's index
 * below EDGEFW_HOT_SLOTS: two slots, 8-byte aligned). Classes below
 * EDGEFW_HOT_CLASSES are in the class window, every one of them: `classes`
 * is looked up only for a class past it. The compiler's numbering and
 * ef_compiled_lookup stay as they are; `cells` and `classes` still hold
 * every cell and class (userspace reads them whole). 320 KiB per
 * generation, for any ruleset: a 10-rule instance's memlock bound (8 MiB)
 * leaves no room for more. */
#define EDGEFW_HOT_SLOTS_BITS 16
#define EDGEFW_HOT_CLASSES_BITS 12
#define EDGEFW_HOT_SLOTS (1u << EDGEFW_HOT_SLOTS_BITS)     /* 32-bit slots per generation */
#define EDGEFW_HOT_CLASSES (1u << EDGEFW_HOT_CLASSES_BITS) /* struct edgefw_class_info each */
_Static_assert(EDGEFW_HOT_SLOTS <= EDGEFW_L1_CELLS, "a base in the window is below any in cells");
_Static_assert((EDGEFW_HOT_SLOTS & (EDGEFW_HOT_SLOTS - 1)) == 0, "kern/maps.h masks the index");
_Static_assert((EDGEFW_HOT_CLASSES & (EDGEFW_HOT_CLASSES - 1)) == 0, "kern/maps.h masks it");
#define EDGEFW_A6_TRIE_BITS 48
#define EDGEFW_A6_TRIE_LEVELS 9 /* level 1 (/16), then a nibble each */
#define EDGEFW_A6_LONGER 0x40000000u
#define EDGEFW_A6_HOST 0x20000000u
#define EDGEFW_A6_VALUE 0x1fffffffu /* class id, or chunk index */
#define EDGEFW_A6_NONE EDGEFW_A6_VALUE
_Static_assert(EDGEFW_A6_VALUE < EDGEFW_A4_WIDE, "an IPv6 chunk cell leaves EDGEFW_A4_WIDE free");
_Static_assert(!(EDGEFW_SKIP_INDEX & EDGEFW_A4_WIDE), "no skip cell is EDGEFW_L1_FULL");

/* A skip node of the chain's own IPv6 tries (not the forests') folded
 * into its cell, as EDGEFW_LONE_* does for IPv4, when its prefix is /32 or
 * longer and its values fit: the cell's lower half still points at the
 * node; its upper half holds the prefix's bits 16-31 (EDGEFW_LONE_ADDR)
 * and the node's miss plus one (bits 20-31; EDGEFW_LONE6_MISS_NONE for
 * EDGEFW_A6_NONE; 0: not folded). An address whose bits 16-31 differ
 * (bits 0-15 are equal by the path) gets the miss without reading the
 * node. Else two node cells compare the rest: their upper halves add
 * word 2 after word 1 (EDGEFW_SKIP6_W12) and, after word 3
 * (EDGEFW_SKIP6_W3), the length less 32 and the hit
 * (EDGEFW_SKIP6_HIT_NONE for EDGEFW_A6_NONE). The node's lower halves
 * stay as they are. user/compiler/addr6_lone.c folds them. */
#define EDGEFW_LONE6_MISS_SHIFT EDGEFW_LONE_HIT_SHIFT
#define EDGEFW_LONE6_MISS_NONE 4095u
#define EDGEFW_LONE6_MISS_MAX 4093u
#define EDGEFW_SKIP6_W12 (EDGEFW_SKIP_ADDR + 1)
#define EDGEFW_SKIP6_W3 (EDGEFW_SKIP_ADDR + 3)
#define EDGEFW_SKIP6_LEN_SHIFT 25
#define EDGEFW_SKIP6_HIT_NONE 0x1ffffffu
_Static_assert(EDGEFW_LONE6_MISS_NONE << EDGEFW_LONE6_MISS_SHIFT >> EDGEFW_LONE6_MISS_SHIFT ==
		       EDGEFW_LONE6_MISS_NONE,
	       "the miss fits the upper half");
_Static_assert((96u << EDGEFW_SKIP6_LEN_SHIFT) >> EDGEFW_SKIP6_LEN_SHIFT == 96u &&
		       EDGEFW_SKIP6_HIT_NONE >> EDGEFW_SKIP6_LEN_SHIFT == 0,
	       "length less 32 and hit share a word");

struct edgefw_host6_key {
	__u32 tag;     /* EDGEFW_HOST6_TAG: field, generation, prefix length */
	__u8 addr[16]; /* the prefix's bits, the rest zero */
};

#define EDGEFW_A6_HASH_LENS 4
#define EDGEFW_HOST6_TAG(gen, field, len) ((__u32)(field) | (__u32)(gen) << 1 | (__u32)(len) << 8)
#define EDGEFW_HOST6_TAG_GEN(tag) (((tag) >> 1) & 1)

/* The LPM key; prefixlen counts the tag byte too: 8 + prefix length. */
struct edgefw_lpm6_key {
	__u32 prefixlen;
	__u8 tag; /* gen << 1 | field (0 src, 1 dst) */
	__u8 addr[16];
	__u8 pad[3];
};

#define EDGEFW_LPM6_TAG_BITS 8

/* Capacities per generation (the shared maps hold two). */
#define EDGEFW_LPM6_MAX (1u << 19)
#define EDGEFW_HOST6_MAX (1u << 19)
#define EDGEFW_CHAIN_MAX (1u << 18)       /* hashed chain pairs */
#define EDGEFW_CELLS_MAX (1u << 25)       /* largest cells capacity */
#define EDGEFW_CELLS_DEFAULT (1u << 20)   /* 4 MiB per generation */
#define EDGEFW_CLASSES_DEFAULT (1u << 18) /* 4 MiB per generation */
_Static_assert(EDGEFW_CELLS_MAX <= EDGEFW_A4_INDEX, "a chunk index leaves A4_WIDE free");

/* The chain's fields. The addresses map to a class through the tries
 * above; each other field maps a packet value to a class id through a
 * fixed-size array segment of the leaves (kern/maps.h edgefw_leaves, global
 * data, one row per generation; the compiler fills every index), the
 * context through ctx_tbl. */
enum edgefw_dim {
	EDGEFW_DIM_SRC = 0, /* address tries in cells (kern/classifier.h) */
	EDGEFW_DIM_DST,     /* address tries in cells (kern/classifier.h) */
	EDGEFW_DIM_PROTO,   /* proto * 3 + fragment state */
	EDGEFW_DIM_SPORT,   /* source port, ICMP type; EDGEFW_NO_L4 */
	EDGEFW_DIM_DPORT,   /* destination port, ICMP code; EDGEFW_NO_L4 */
	EDGEFW_DIM_FLAGS,   /* TCP flags; EDGEFW_NO_FLAGS when not TCP */
	EDGEFW_DIM_VLAN,    /* innermost VLAN id; EDGEFW_UNTAGGED */
	EDGEFW_DIM_CTX,     /* (ifindex, hook), ctx_tbl */
	EDGEFW_DIM_COND,    /* dynamic conditions held (bitmask), see below */
	EDGEFW_DIM_COUNT
};

/* Dynamic conditions (kern/dynset.h): a rule may depend on state that
 * changes without a reload, the membership of the packet's source or
 * destination in a dynamic set, or a rate limit's bucket. Each distinct
 * condition of a ruleset is one bit of the packet's condition vector, which
 * the classifier takes as one more field (EDGEFW_DIM_COND), so first-match
 * order holds without looping over rules. */
#define EDGEFW_MAX_CONDS 8

/* A packet's fragment state, as the parser finds it (kern/parse.h) and
 * the reference matcher and the classifier's protocol key count it: the
 * one definition for kern/ and user/. */
enum edgefw_frag {
	EDGEFW_FRAG_NONE = 0,  /* not a fragment */
	EDGEFW_FRAG_FIRST = 1, /* offset 0, more to come */
	EDGEFW_FRAG_LATER = 2, /* a non-first fragment: no L4 header */
};
#define EDGEFW_FRAG_STATES 3 /* not a fragment, first, later */
_Static_assert(EDGEFW_FRAG_LATER + 1 == EDGEFW_FRAG_STATES,
	       "the protocol key counts every fragment state");

/* A packet's connection state (rule field `state`), found by the
 * connection tracker (kern/conntrack.h) before the rules are consulted.
 * It is folded into the protocol field's index, so a ruleset that uses it
 * costs no extra chain stage: (state * 256 + proto) * 3 + fragment. */
enum edgefw_ct_state {
	EDGEFW_CT_NEW = 0,     /* no entry; may start a flow */
	EDGEFW_CT_ESTABLISHED, /* belongs to a tracked flow (either direction) */
	EDGEFW_CT_RELATED,     /* ICMP error quoting a tracked flow */
	EDGEFW_CT_INVALID,     /* no entry and cannot start one */
	EDGEFW_CT_STATES
};
#define EDGEFW_NO_L4 65536 /* no ports: other protocol, later fragment */
#define EDGEFW_NO_FLAGS 256
#define EDGEFW_UNTAGGED 4096

#define EDGEFW_LEAF_PROTO_OFF 0
#define EDGEFW_LEAF_PROTO_LEN (EDGEFW_CT_STATES * 256 * EDGEFW_FRAG_STATES)
/* The decision trees' protocol key word: protocol * 3 + fragment state,
 * without the connection state (rules reading it stay in the chain). */
#define EDGEFW_TREE_PROTO_LEN (256 * EDGEFW_FRAG_STATES)
#define EDGEFW_LEAF_SPORT_OFF (EDGEFW_LEAF_PROTO_OFF + EDGEFW_LEAF_PROTO_LEN)
#define EDGEFW_LEAF_PORT_LEN (EDGEFW_NO_L4 + 1)
#define EDGEFW_LEAF_DPORT_OFF (EDGEFW_LEAF_SPORT_OFF + EDGEFW_LEAF_PORT_LEN)
#define EDGEFW_LEAF_FLAGS_OFF (EDGEFW_LEAF_DPORT_OFF + EDGEFW_LEAF_PORT_LEN)
#define EDGEFW_LEAF_FLAGS_LEN (EDGEFW_NO_FLAGS + 1)
#define EDGEFW_LEAF_VLAN_OFF (EDGEFW_LEAF_FLAGS_OFF + EDGEFW_LEAF_FLAGS_LEN)
#define EDGEFW_LEAF_VLAN_LEN (EDGEFW_UNTAGGED + 1)
#define EDGEFW_LEAF_COND_OFF (EDGEFW_LEAF_VLAN_OFF + EDGEFW_LEAF_VLAN_LEN)
#define EDGEFW_LEAF_COND_LEN (1u << EDGEFW_MAX_CONDS)
#define EDGEFW_LEAF_SIZE (EDGEFW_LEAF_COND_OFF + EDGEFW_LEAF_COND_LEN)

/* Context classes: which rules apply on an interface and hook. ifindex 0
 * holds the class for interfaces the compiler was not told about. */
struct edgefw_ctx_key {
	__u32 gen;
	__u32 ifindex;
	__u32 hook;
};

/* The chain: the classes of the used fields are combined left to right,
 * (class so far, next field's class) -> class so far. Stage i (combining
 * field dims[i], i >= 1) is dense when gen_config.stages[i - 1].width is
 * set: the pair is cell cur * width + off + next (struct edgefw_gen_stage
 * below). Otherwise it is looked up in chain_tbl, and a missing pair
 * takes classes[cur].miss. */
struct edgefw_chain_key {
	__u32 cur; /* with EDGEFW_CHAIN_GEN_BIT for generation 1 */
	__u32 next;
};

#define EDGEFW_CHAIN_GEN_BIT 0x80000000u

/* A stage as the compiler numbers it (userspace only, the compiler and
 * the loader; the kernel reads struct edgefw_gen_stage): the pair is cell
 * base + (cur - row0) * width + next, row0 the lowest class so far the
 * stage's rows cover. */
struct edgefw_stage {
	__u32 base;
	__u32 row0;
	__u32 width; /* 0: the stage's pairs are in chain_tbl */
};

/* A stage as gen_config holds it (layout 24), the loader's precomputation
 * of struct edgefw_stage: the pair's cell is cur * width + off + next, off
 * being base - row0 * width (32-bit wrap), so a step loads two words and
 * does one multiply and two adds. A cell index below EDGEFW_HOT_SLOTS is
 * a slot of the hot window, any other a cell of `cells` (which start past
 * the level-1 tables, EDGEFW_L1_CELLS >= EDGEFW_HOT_SLOTS): the index
 * itself says where to read, with no flag (kern/classifier.h chain_class). */
struct edgefw_gen_stage {
	__u32 off;
	__u32 width; /* 0: the stage's pairs are in chain_tbl */
};

#define EDGEFW_MAX_CLASSES (1u << 22)

/* What a matching rule decides. Rule indices and counter slots are below
 * EDGEFW_MAX_RULES, so 16 bits hold them. */
struct edgefw_verdict {
	__u16 counter_slot;     /* index into rule_stats / rule_meta */
	__u16 rule;             /* index in the ruleset: the lowest wins */
	__u32 redirect_ifindex; /* EDGEFW_ACT_REDIRECT only */
	__u8 action;            /* enum edgefw_action */
	__u8 flags;             /* EDGEFW_VERDICT_F_* */
	__u8 limit;             /* dyn_config.limits index + 1; 0: none */
	__u8 ban;               /* dyn_config.bans index + 1; 0: none */
};

#define EDGEFW_VERDICT_F_LOG 0x1
#define EDGEFW_VERDICT_F_MATCH 0x2   /* a rule matched (else: default) */
#define EDGEFW_VERDICT_F_TRACK 0x4   /* a new flow it passes is recorded */
#define EDGEFW_VERDICT_F_NOTRACK 0x8 /* ... is not, even at tc-egress */

/* A chain class: where a pair missing from chain_tbl goes and, for the
 * last field's classes, the verdict of their first rule (flags has
 * EDGEFW_VERDICT_F_MATCH). The other classes have only verdict.rule: the
 * lowest rule they can still match, which lets the walk stop when it is
 * not below a rule the trees found (kern/classifier.h, chain_class). A
 * table written before this was known holds 0 there, which never stops a
 * walk. */
struct edgefw_class_info {
	__u32 miss; /* EDGEFW_CLASS_NONE: no rule can match any more */
	struct edgefw_verdict verdict;
};

#define EDGEFW_RULE_NONE 0xffffffffu

/* Decision trees (kern/tree_walk.h, user/compiler/tree.c) hold the rules the
 * chain cannot within its budget. A tree looks at a key of 32-bit words
 * built from the packet: */
#define EDGEFW_TK_SRC 0   /* 4 words: IPv4 in word 0 (1-3 zero), IPv6 */
#define EDGEFW_TK_DST 4   /* 4 words, likewise */
#define EDGEFW_TK_SPORT 8 /* as the leaf table indexes it, NO_L4 */
#define EDGEFW_TK_DPORT 9
#define EDGEFW_TK_PROTO 10 /* l4proto * 3 + fragment state */
#define EDGEFW_TK_VLAN 11  /* innermost id, EDGEFW_UNTAGGED */
#define EDGEFW_TK_DIMS 12
#define EDGEFW_TK_WORDS 16 /* key array: a dim is masked with 15 */

/* A node of a tree: three binary splits packed in one element, so a walk
 * step costs one lookup for two levels. With b(d, t) = key[d] >= t:
 * b0 = b(dim0, thr[0]), then b(dim1, thr[1]) when b0 is 0, else
 * b(dim2, thr[2]); the child is base + 2 * b0 + that. Dims are 4 bits each
 * of ctl. A leaf (ctl has TNODE_LEAF) lists ctl & TNODE_COUNT entries
 * from tleaf index base, in rule order; an IPv6 entry takes two
 * elements. */
struct edgefw_tnode {
	__u32 ctl;
	__u32 thr[3];
	__u32 base;
	__u32 pad;
};

#define EDGEFW_TNODE_LEAF 0x80000000u
#define EDGEFW_TNODE_COUNT 0xffffu

/* Walk steps (two levels each) and leaf entries the datapath bounds. */
#define EDGEFW_TREE_STEPS 16
#define EDGEFW_LEAF_SCAN 32

/* One leaf element: six range checks, lo <= key[dim] <= lo + span, on fixed
 * key words (IPv4: src, dst, sport, dport, proto, vlan; IPv6: the first
 * element src 0-3 and dst 0-1, the second dst 2-3, sport, dport, proto,
 * vlan), then the fields that are no range: TCP flags (mask has
 * TLEAF_FLAGS_SET when the rule tests them, so a packet without flags,
 * EDGEFW_NO_FLAGS, fails) and the hooks. */
struct edgefw_trange {
	__u32 lo;
	__u32 span;
};

struct edgefw_tleaf {
	__u32 rule;
	__u16 flags_mask;
	__u8 flags_value;
	__u8 hooks; /* 1 << enum edgefw_hook */
	struct edgefw_trange c[6];
};

#define EDGEFW_TLEAF_FLAGS_SET 0x100u
#define EDGEFW_FAMILY_TREES 4 /* trees a packet of one family walks */
#define EDGEFW_MAX_TREES (2 * EDGEFW_FAMILY_TREES)

/* Default per-generation capacities of the tree arrays (an instance may be
 * created larger) and the largest. */
#define EDGEFW_TNODES_DEFAULT (1u << 16)
#define EDGEFW_TLEAVES_DEFAULT (1u << 16)
#define EDGEFW_TNODES_MAX (1u << 20)
#define EDGEFW_TLEAVES_MAX (1u << 21)

/* A tree of the generation: packets of its family walk it from node root
 * unless the rule found so far is below min_rule, its lowest rule. A
 * forest (trie_word not TREE_NO_TRIE) first looks key word trie_word up
 * in a 16-4-4-4-4 trie of cells whose level 1 starts at root, like the
 * IPv4 address tries but with wide chunks (EDGEFW_A4_WIDE); the cell names
 * the node its subtree starts at. */
struct edgefw_tree_root {
	__u32 root;
	__u32 min_rule;
	__u8 family; /* 4 or 6 */
	__u8 trie_word;
	__u8 paired; /* the trie is the chain's too: see pair_l1 below */
	/* 1: the family's only tree, a forest whose level 1 is in global
	 * data (root below EDGEFW_L1_CELLS) and whose pairs, if any, the
	 * chain does not read: a packet whose level-1 cell there is
	 * EDGEFW_A4_NONE has no rule in it, and its walk is skipped
	 * (kern/tree_walk.h, tree_probe_empty; user/loader/l1.c). */
	__u8 probe;
};

#define EDGEFW_TREE_NO_TRIE 0xff

/* A forest's trie cell that holds a leaf itself (a subtree of one leaf,
 * the usual case) instead of a node: its first element in the low 24
 * bits, its entry count above them. Saves a lookup per forest. */
#define EDGEFW_FOREST_LEAF 0x40000000u
#define EDGEFW_FOREST_START 0x00ffffffu
#define EDGEFW_FOREST_COUNT_SHIFT 24
#define EDGEFW_FOREST_COUNT 0x3fu

/* Per-generation settings that are not rules. The fields a packet on the
 * common path reads (a chain of up to four fields, no trees, IPv4) come
 * first and lie in the value's first 64 bytes, one cache line; the rest
 * (the policies of packets that do not parse, the root class of a ruleset
 * without fields, the forests' tries, the IPv6 hashed lengths, the trees)
 * after them. */
struct edgefw_gen_config {
	__u8 n_dims; /* fields in the chain, in order */
	__u8 dims[EDGEFW_DIM_COUNT];
	__u8 ct_mode;     /* EDGEFW_CT_MODE_* bits; 0: stateless */
	__u8 frag_policy; /* 0 rules, 1 pass, 2 drop */
	__u8 default_action[EDGEFW_HOOK_COUNT];
	__u8 n_trees[2]; /* IPv4, IPv6 */
	__u8 paired;     /* bit f: pair_l1[f] is set and the chain reads field f */
	/* The hooks (bit 1 << EDGEFW_HOOK_*) where the first rule applies, when
	 * ct_mode has EDGEFW_CT_MODE_FIRST bits (see there). */
	__u8 ct_first_hooks;
	__u8 dyn; /* EDGEFW_DYN_* bits */
	/* The chain's lowest rule (RULE_NONE: empty): a packet whose tree hit
	 * is below it skips the chain. */
	__u32 chain_min_rule;
	/* stages[i - 1] combines the class so far with chain field i. */
	struct edgefw_gen_stage stages[EDGEFW_DIM_COUNT - 1];

	__u32 root_class;   /* the class when no field is used */
	__u8 non_ip_action; /* ARP, LLDP, IPv6 neighbour discovery */
	__u8 malformed_action;
	__u8 ext_overflow_action;
	__u8 encap_overflow_action; /* encapsulations past the parser's walk */
	/* IPv4 src, dst (set where a forest shares the trie; paired bit f
	 * only where the chain reads the field too): level 1 of a trie the chain
	 * shares with the first forest over the same address (its tree_root
	 * has paired; both name the field's global level-1 table, as
	 * EDGEFW_L1_CELLS says, not the compiler's cell),
	 * so a packet walks it once for both. Its leaves are the index of a
	 * pair, one cell: the chain's class (an A4 cell value) in the lower
	 * half, the forest's subtree in the upper half (EDGEFW_A4_NONE for
	 * none). The trie is the union of the chain's and the forest's
	 * prefixes. The tree walk, which runs first, reads the pair and leaves
	 * the chain's class in its per-CPU key (kern/tree_walk.h), walking the
	 * trie for the chain when the forest was skipped and the chain runs. */
	__u32 pair_l1[2];
	/* IPv6 src, dst: the prefix lengths past /48 host6_tbl holds, longest
	 * first, 0 after the last (kern/classifier.h a6_class). */
	__u8 hash6_len[2][EDGEFW_A6_HASH_LENS];
	struct edgefw_tree_root trees[2][EDGEFW_FAMILY_TREES];
};

/* dyn: dyn_config holds conditions or bans to read. */
#define EDGEFW_DYN_READ 0x1
/* dyn: the chain's last field is the dynamic conditions, and the classes
 * of the field before it carry the verdict of their first rule (as the
 * last field's classes do): a packet all of whose conditions hold (the
 * first round when only limits are conditions) stops the chain there,
 * one stage early (kern/dynset.h dyn_decide, user/compiler/chain.c). */
#define EDGEFW_DYN_HELD 0x2

/* ct_mode: the ruleset reads states (some rule has `state`), and some
 * rule records flows it accepts at ingress (`track: true`). */
#define EDGEFW_CT_MODE_STATE 0x1
#define EDGEFW_CT_MODE_INGRESS_TRACK 0x2
/* The first rule's only fields are `state`, naming state st, and `hooks`
 * (ct_first_hooks): a packet in that state at one of those hooks takes
 * the first rule's verdict with no classification (the usual first rule,
 * `state: [established, related]`). */
#define EDGEFW_CT_MODE_FIRST(st) ((__u8)(0x4u << (st)))

#define EDGEFW_FRAGPOL_RULES 0
#define EDGEFW_FRAGPOL_PASS 1
#define EDGEFW_FRAGPOL_DROP 2

/* The one switch between generations: aligned so that userspace stores
 * it whole, in one atomic store (struct edgefw_state). */
struct edgefw_active {
	__u32 gen;    /* 0 or 1 */
	__u32 loaded; /* 0 until the first ruleset is in place */
} __attribute__((aligned(8)));

/* A generation's gen_config in a slot of four cache lines, so that each
 * generation's first line (what a small ruleset's packet reads) starts a
 * line. */
#define EDGEFW_GEN_SLOT_SIZE 256
struct edgefw_gen_slot {
	struct edgefw_gen_config cfg;
	__u8 pad[EDGEFW_GEN_SLOT_SIZE - sizeof(struct edgefw_gen_config)];
};

/* The instance's global data (kern/maps.h, layout 21): the switch and
 * both generations' configs, at a constant address, where a packet used
 * to look up `active`, then `gen_config` by generation. The map is
 * mmapable: userspace writes the inactive generation's slot, then
 * switches with one 8-byte store of act with release ordering
 * (user/loader/active.c), so no packet sees a half-written switch. */
struct edgefw_state {
	struct edgefw_active act;
	__u8 pad[56]; /* the slots start a line */
	struct edgefw_gen_slot gen[EDGEFW_GENERATIONS];
};

struct edgefw_counter {
	__u64 packets;
	__u64 bytes;
};

/* rule_carry[slot]: what a slot counted in the per-CPU tables a growth
 * replaced (user/loader/grow_maps.c). Userspace only: a rule's counters
 * are this plus rule_stats' and limit_stats' sums. */
struct edgefw_rule_carry {
	struct edgefw_counter rule;
	struct edgefw_counter over_limit;
};
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L || defined(__clang__)
_Static_assert(sizeof(struct edgefw_rule_carry) == 32, "rule carry layout");
#endif

/* rule_tbl and rule_meta hold both generations interleaved, an entry of
 * rule (or slot) r of generation g at EDGEFW_RULE_KEY(g, r): a key that
 * does not depend on the instance's slot capacity, so the programs need
 * no stride and the tables grow by copying their first entries. */
#define EDGEFW_RULE_KEY(gen, r) ((__u32)(r)*EDGEFW_GENERATIONS + (__u32)(gen))

/* Which rule owns a counter slot in one generation's ruleset; an empty name
 * marks a slot that ruleset does not use. rule_meta holds an entry per
 * generation, at EDGEFW_RULE_KEY(gen, slot), so a reload names its slots
 * in the generation no reader looks at, before the switch. */
struct edgefw_rule_meta {
	char name[EDGEFW_RULE_NAME_MAX];
	__u32 order;    /* position in the ruleset, for listing */
	__u8 action;    /* enum edgefw_action */
	__u8 cond_mask; /* dynamic conditions the rule needs (dyn_config.conds
			 * bits): what the drop log names */
	__u8 pad[2];
};

/* Instance-wide facts userspace checks before reusing pins. */
struct edgefw_instance_info {
	__u32 layout_version;
	__u32 cells_cap;   /* entries of each generation's cells array */
	__u32 classes_cap; /* entries of each generation's classes array */
	__u32 tnodes_cap;  /* entries of each generation's tree node array */
	__u32 tleaves_cap; /* entries of each generation's tree leaf array */
	__u32 ct_cap;      /* entries of ct_tbl (ct_new_tbl: a quarter) */
};

/* gen_info[gen]: which ruleset a generation holds, written with its tables
 * before the switch, so the active generation's entry always describes the
 * ruleset in force. Userspace only; the packet path never reads it. */
struct edgefw_gen_info {
	__u64 ruleset_hash; /* FNV-1a of the rules file as loaded */
	__u64 loaded_at;    /* CLOCK_REALTIME seconds */
	__u64 version;      /* rulesets switched in since creation, this one included */
	__u32 n_rules;
	__u32 n_chain_rules; /* rules the chain holds (trees: the others) */
	__u32 n_cells;       /* entries used of each per-generation array */
	__u32 n_classes;
	__u32 n_tnodes;
	__u32 n_tleaves;
	/* The compiler's estimate of the generation's table memory in bytes
	 * (ef_compiled_memory), so `diff @active` and `reload --dry-run`
	 * give the memory change without compiling the ruleset in force. */
	__u64 memory_estimate;
};
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L || defined(__clang__)
_Static_assert(sizeof(struct edgefw_gen_info) == 56, "gen info layout");
#endif

/* One entry per (interface, hook) this instance is attached to. */
struct edgefw_attach_key {
	__u32 ifindex;
	__u32 hook; /* enum edgefw_hook */
};

struct edgefw_attach_val {
	__u32 prog_id;
	__u32 mode; /* XDP mode as libxdp names it, 0 for tc */
	__u32 slot; /* row of iface_stats, also in edgefw_ifslots/ifslot_hash */
	char ifname[16];
};

/* The drop log: rules with `log: true` send one event per packet they
 * decide through the log_ring ring buffer, at most log_config.rate per
 * second per rule (a fixed one-second window in log_state, per rule slot),
 * so a flood costs a counter increment, not a log line. */
#define EDGEFW_LOG_RING_SIZE (1u << 18)

struct edgefw_log_event {
	__u64 ktime_ns;  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 rule_slot; /* counter slot: rule_meta names the rule */
	__u32 ifindex;
	__u32 pkt_len;
	__u32 vlan;  /* EDGEFW_UNTAGGED when none */
	__u32 sport; /* port or ICMP type; EDGEFW_NO_L4 when none */
	__u32 dport; /* port or ICMP code; EDGEFW_NO_L4 when none */
	__u8 hook;   /* enum edgefw_hook */
	__u8 action; /* enum edgefw_action */
	__u8 family; /* 4 or 6 */
	__u8 l4proto;
	__u8 frag; /* 0 not a fragment, 1 first, 2 later */
	/* Which dynamic state decided (issue 16), read by userspace with the
	 * generation's dyn_config and rule_meta halves. */
	__u8 gen;       /* the generation whose rules decided */
	__u8 conds;     /* the condition vector of the deciding round */
	__u8 dyn_flags; /* EDGEFW_LOG_F_* */
	__u8 saddr[16]; /* IPv4: the first 4 bytes */
	__u8 daddr[16];
	__u16 over_slot; /* LOG_F_OVER: counter slot of the first rule whose
			     * limit the packet was over before this rule won */
	__u8 ban;        /* the rule's ban applied: dyn_config.bans index + 1 */
	__u8 pad[5];
};

#define EDGEFW_LOG_F_OVER 0x1

struct edgefw_log_config {
	__u32 rate; /* events per second per rule; 0: log nothing */
	__u32 pad;
};

/* Per rule slot; shared by all CPUs (updated with atomics). */
struct edgefw_log_state {
	__u64 window_start; /* ktime of the current one-second window */
	__u32 sent;         /* events this window */
	__u32 pad;
	__u64 suppressed; /* events over the rate or refused by a full ring */
};

/* iface_stats: per attachment slot, one counter per final decision (enum
 * edgefw_action), at slot * EDGEFW_ACT_COUNT + action; the slot comes from
 * kern/ifslot.h. Row EDGEFW_IFSLOT_SPARE counts packets on interfaces the
 * instance has no record of (test runs, a program attached by hand). */
#define EDGEFW_IFSLOT_SPARE EDGEFW_MAX_ATTACH
#define EDGEFW_IFACE_STATS_SIZE ((EDGEFW_MAX_ATTACH + 1) * EDGEFW_ACT_COUNT)

/* The connection table (kern/conntrack.h). Not part of a generation: a
 * reload keeps it (userspace then removes the flows the new rules no
 * longer accept). Two LRU hashes: ct_new_tbl holds flows not confirmed yet
 * (a TCP handshake not completed, a UDP or ICMP exchange with no second
 * packet from its initiator after a reply), ct_tbl the confirmed ones. A
 * flood of spoofed new flows can only evict other unconfirmed flows.
 *
 * The key is normalised: side a is the (address, port) that compares lower,
 * so both directions find one entry. ICMP echo uses its identifier as
 * both ports. ct_tbl and ct_new_tbl hold IPv6 flows with this key; IPv4
 * flows are in ct4_tbl and ct4_new_tbl (struct edgefw_ct4_key), and
 * userspace spells every flow with this key. */
struct edgefw_ct_key {
	__u8 addr_a[16]; /* IPv4 (userspace only): the first 4 bytes, the rest zero */
	__u8 addr_b[16];
	__u16 port_a; /* host order */
	__u16 port_b;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u8 pad[2];
};

/* IPv4 flows have tables of their own (ct4_tbl, ct4_new_tbl) with this
 * 16-byte key, normalised the same way: the kernel hashes and compares
 * the whole key on every lookup, and 16 bytes cost half of what 40 do
 * (kern/DESIGN.md, "Connection tracking"). */
struct edgefw_ct4_key {
	__u8 addr_a[4];
	__u8 addr_b[4];
	__u16 port_a; /* host order */
	__u16 port_b;
	__u8 proto;
	__u8 pad[3];
};
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L || defined(__clang__)
_Static_assert(sizeof(struct edgefw_ct4_key) == 16, "ct4 key layout");
#endif

/* Per-flow protocol state (what expires it, see kern/conntrack.h). */
enum edgefw_ct_flow {
	EDGEFW_CTF_TCP_SYN_SENT = 0, /* SYN seen, no SYN-ACK yet */
	EDGEFW_CTF_TCP_SYN_RECV,     /* SYN-ACK seen, no final ACK yet */
	EDGEFW_CTF_TCP_ESTABLISHED,
	EDGEFW_CTF_TCP_FIN,    /* one side closed */
	EDGEFW_CTF_TCP_CLOSED, /* both FINs, or an RST */
	EDGEFW_CTF_UDP,        /* and other protocols with ports */
	EDGEFW_CTF_ICMP,       /* echo */
	EDGEFW_CTF_OTHER,
	EDGEFW_CTF_COUNT
};

#define EDGEFW_CT_SEEN_REPLY 0x1 /* a packet from the responder */
#define EDGEFW_CT_FIN_INIT 0x2   /* FIN from the initiator */
#define EDGEFW_CT_FIN_REPLY 0x4  /* FIN from the responder */
#define EDGEFW_CT_CONFIRMED 0x8  /* in ct_tbl */

struct edgefw_ct_entry {
	__u64 last_seen; /* bpf_ktime_get_coarse_ns(), updated at most every 1 s */
	__u64 created;
	__u32 ifindex;  /* where the flow was recorded */
	__u8 hook;      /* enum edgefw_hook it was recorded at */
	__u8 flow;      /* enum edgefw_ct_flow */
	__u8 init_is_a; /* 1: side a sent the first packet */
	__u8 seen;      /* EDGEFW_CT_SEEN_* bits */
};

/* ct_stats (per-CPU): packets by the state the tracker gave them, then
 * events. */
enum edgefw_ct_stat {
	EDGEFW_CTS_NEW = 0,
	EDGEFW_CTS_ESTABLISHED,
	EDGEFW_CTS_RELATED,
	EDGEFW_CTS_INVALID,
	EDGEFW_CTS_CREATED,     /* flows recorded (in ct_new_tbl) */
	EDGEFW_CTS_CONFIRMED,   /* moved to ct_tbl */
	EDGEFW_CTS_CREATE_FAIL, /* could not be recorded */
	EDGEFW_CTS_EXPIRED,     /* found past their timeout, removed */
	EDGEFW_CTS_COUNT
};

/* Timeouts in seconds, by flow state (kern/conntrack.h says why these). */
#define EDGEFW_CT_TO_TCP_SYN 30
#define EDGEFW_CT_TO_TCP_ESTABLISHED (6 * 3600)
#define EDGEFW_CT_TO_TCP_FIN 120
#define EDGEFW_CT_TO_TCP_CLOSED 10
#define EDGEFW_CT_TO_UDP 30
#define EDGEFW_CT_TO_UDP_REPLIED 120
#define EDGEFW_CT_TO_ICMP 30
#define EDGEFW_CT_TO_OTHER 60

/* ct_filter (kern/ct_filter.h): per slot and table kind (confirmed,
 * unconfirmed), in units of 2^SHIFT ns (about 1.07 s) of
 * bpf_ktime_get_coarse_ns(), a time after which no flow of that kind whose
 * key hashes to the slot can still be live. A lookup whose deadline is
 * past is skipped: a packet in neither table usually costs no hash lookup.
 * Fixed size (512 KiB): growing the tables keeps it. */
#define EDGEFW_CT_FILTER_BITS 16
#define EDGEFW_CT_FILTER_SLOTS (1u << EDGEFW_CT_FILTER_BITS)
#define EDGEFW_CT_FILTER_SHIFT 30
/* Seconds: a slot is raised for at least this long, the longest timeout
 * of any state of an unconfirmed flow but established (which raises it by
 * its own timeout, as every confirmed flow does). */
#define EDGEFW_CT_FILTER_FLOOR 120

/* A slot's two deadlines side by side: a miss reads one cache line. */
struct edgefw_ct_deadlines {
	__u32 conf;   /* ct_tbl, ct4_tbl */
	__u32 unconf; /* ct_new_tbl, ct4_new_tbl */
};

/* ct_filter's one value: the slots in one block (an array map's elements
 * would take 8 bytes of overhead each, and this is mmapped as it is). */
struct edgefw_ct_filter {
	struct edgefw_ct_deadlines slot[EDGEFW_CT_FILTER_SLOTS];
};
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L || defined(__clang__)
_Static_assert(sizeof(struct edgefw_ct_filter) == 8u * EDGEFW_CT_FILTER_SLOTS, "ct filter layout");
#endif

/* The slot of a flow key read as 64-bit words (2 for IPv4's 16-byte key,
 * 5 for IPv6's 40): a multilinear hash, one independent multiply per
 * word, and the high bits of the sum. The datapath (kern/ct_filter.h) and
 * userspace (user/loader/ct_filter.c) must agree on it, hence here. */
static inline __attribute__((always_inline)) __u32 edgefw_ct_filter_slot(const __u64 *w, int v4)
{
	__u64 h = w[0] * 0x9e3779b97f4a7c15ull + w[1] * 0xff51afd7ed558ccdull;

	if (!v4)
		h += w[2] * 0xc4ceb9fe1a85ec53ull + w[3] * 0xd6e8feb86659fd93ull +
		     w[4] * 0xa0761d6478bd642full;
	return (__u32)(h >> (64 - EDGEFW_CT_FILTER_BITS));
}

/* The deadline a slot is raised to for a flow seen at
 * last_seen with a timeout of timeout_ns (at least the floor): one unit
 * more for the rounding and for a reader whose clock is a little ahead. */
static inline __attribute__((always_inline)) __u32 edgefw_ct_filter_deadline(__u64 last_seen,
									     __u64 timeout_ns)
{
	__u64 floor = EDGEFW_CT_FILTER_FLOOR * 1000000000ull;

	return (__u32)((last_seen + (timeout_ns > floor ? timeout_ns : floor)) >>
		       EDGEFW_CT_FILTER_SHIFT) +
	       1;
}

/* Default size of ct_tbl when an instance is created: 1/512 of the
 * machine's memory at about 128 bytes an entry, within these bounds. */
#define EDGEFW_CT_MIN (1u << 12)
#define EDGEFW_CT_MAX (1u << 24)

/* ---- Dynamic sets, rate limits and bans (issue 16, kern/dynset.h) ----
 *
 * A dynamic set is an LPM trie per family whose entries userspace (edgefw
 * set, edgefwd) and the datapath (bans) change at run time. The tries hang
 * off dynset4_tbl / dynset6_tbl by set slot and are outside the ruleset's
 * generations: a reload that keeps a set keeps its slot and its entries.
 * dynset_meta names the slots. */
#define EDGEFW_MAX_DYNSETS 32
#define EDGEFW_DYNSET_NAME_MAX 64

struct edgefw_dyn4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct edgefw_dyn6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* expires: CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns), 0 never. An expired
 * entry is treated as absent; prefixlen lets a lookup that hits one try
 * the shorter prefixes under it. */
struct edgefw_dyn_val {
	__u64 expires;
	__u32 prefixlen;
	__u32 pad;
};

struct edgefw_dynset_meta {
	char name[EDGEFW_DYNSET_NAME_MAX]; /* "" : slot free */
	__u64 timeout_ns;                  /* default entry timeout, 0 none */
	__u32 size;                        /* entries per family (the tries' max_entries) */
	__u32 pad;
};

enum edgefw_cond_kind {
	EDGEFW_COND_NONE = 0,
	EDGEFW_COND_SET_SRC, /* the source is in dynamic set `set` */
	EDGEFW_COND_SET_DST,
	EDGEFW_COND_LIMIT, /* limits[limit] has room for the packet */
};

struct edgefw_cond {
	__u8 kind;   /* enum edgefw_cond_kind */
	__u8 negate; /* the bit is set when the condition does not hold */
	__u8 set;    /* dynamic set slot */
	__u8 limit;  /* index into limits */
};

/* Which fields key a limit's buckets (none: one bucket for the rule). */
#define EDGEFW_PER_SRC 0x1
#define EDGEFW_PER_DST 0x2
#define EDGEFW_PER_SPORT 0x4
#define EDGEFW_PER_DPORT 0x8

/* A token bucket as GCRA (one timestamp per bucket, updated with a
 * compare-and-swap): a unit costs unit_ps; a packet conforms when the
 * bucket's debt after it stays within burst_ns. */
struct edgefw_limit_cfg {
	__u64 unit_ps;  /* period / rate, in picoseconds; 0 with packet units */
	__u64 burst_ns; /* burst * unit_ps / 1000 */
	__u64 pkt_ns;   /* a packet's cost (packet units), rounded up */
	__u32 id;       /* bucket key: stable across reloads for the same rule and limit */
	__u8 per;       /* EDGEFW_PER_* */
	__u8 bytes;     /* 1: units are bytes */
	__u8 cond;      /* its bit in the condition vector */
	__u8 pad;
};

struct edgefw_ban_cfg {
	__u64 timeout_ns; /* 0: never expires */
	__u8 set;         /* dynamic set slot the source goes into */
	__u8 pad[7];
};

/* Per generation, beside gen_config. */
struct edgefw_dyn_config {
	__u8 n_conds;
	__u8 set_conds;   /* bits of the conditions that look up a set */
	__u8 limit_conds; /* bits of the limits (set before classifying) */
	__u8 pad[5];
	struct edgefw_cond conds[EDGEFW_MAX_CONDS];
	struct edgefw_limit_cfg limits[EDGEFW_MAX_CONDS];
	struct edgefw_ban_cfg bans[EDGEFW_MAX_CONDS];
};

/* Buckets: an array of EDGEFW_LIMIT_SLOTS slots, two-way set associative
 * (a key hashes to a pair of slots; a new key takes the pair's slot whose
 * bucket is oldest). An array lookup is inlined, a hash lookup costs a
 * call and ~25 ns; the table is bounded, and a flood of spoofed sources
 * recycles slots instead of growing it. */
#define EDGEFW_LIMIT_SLOTS (1u << 17)

struct edgefw_limit_key {
	__u32 id; /* the limit's id, bit 31 flipped for IPv6 */
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct edgefw_limit_bucket {
	__u64 tat; /* GCRA theoretical arrival time, bpf_ktime_get_coarse_ns() */
	struct edgefw_limit_key key;
};

/* dyn_stats: per set slot, at slot * EDGEFW_DSTAT_COUNT + counter. */
enum edgefw_dyn_stat {
	EDGEFW_DSTAT_MATCH = 0, /* lookups that found a live entry */
	EDGEFW_DSTAT_EXPIRED,   /* lookups that met an expired entry */
	EDGEFW_DSTAT_BAN,       /* sources banned from the datapath */
	EDGEFW_DSTAT_BAN_FAIL,  /* bans refused (the set is full) */
	EDGEFW_DSTAT_COUNT
};

#define EDGEFW_DYN_STATS_SIZE (EDGEFW_MAX_DYNSETS * EDGEFW_DSTAT_COUNT)

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L || defined(__clang__)
_Static_assert(sizeof(struct edgefw_ct_key) == 40, "ct key layout");
_Static_assert(sizeof(struct edgefw_ct_entry) == 24, "ct entry layout");
_Static_assert(sizeof(struct edgefw_dyn4_key) == 8, "dyn4 key layout");
_Static_assert(sizeof(struct edgefw_dyn6_key) == 20, "dyn6 key layout");
_Static_assert(sizeof(struct edgefw_dyn_val) == 16, "dyn val layout");
_Static_assert(sizeof(struct edgefw_dynset_meta) == 80, "dynset meta layout");
_Static_assert(sizeof(struct edgefw_cond) == 4, "cond layout");
_Static_assert(sizeof(struct edgefw_limit_cfg) == 32, "limit cfg layout");
_Static_assert(sizeof(struct edgefw_ban_cfg) == 16, "ban cfg layout");
_Static_assert(sizeof(struct edgefw_dyn_config) == 8 + 4 * 8 + 32 * 8 + 16 * 8,
	       "dyn config layout");
_Static_assert(sizeof(struct edgefw_limit_key) == 40, "limit key layout");
_Static_assert(sizeof(struct edgefw_limit_bucket) == 48, "limit bucket layout");
#endif

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L || defined(__clang__)

_Static_assert(sizeof(struct edgefw_lpm6_key) == 24, "lpm6 key layout");
_Static_assert(sizeof(struct edgefw_host6_key) == 20, "host6 key layout");
_Static_assert(sizeof(struct edgefw_ctx_key) == 12, "ctx key layout");
_Static_assert(sizeof(struct edgefw_chain_key) == 8, "chain key layout");
_Static_assert(sizeof(struct edgefw_class_info) == 16, "class info layout");
_Static_assert(EDGEFW_MAX_RULES <= 65536, "rule indices fit a verdict's 16 bits");
_Static_assert(sizeof(struct edgefw_tnode) == 24, "tree node layout");
_Static_assert(sizeof(struct edgefw_tleaf) == 56, "tree leaf layout");
_Static_assert(sizeof(struct edgefw_tree_root) == 12, "tree root layout");
_Static_assert(sizeof(struct edgefw_verdict) == 12, "verdict layout");
_Static_assert(sizeof(struct edgefw_stage) == 12, "stage layout");
_Static_assert(sizeof(struct edgefw_gen_stage) == 8, "gen stage layout");
_Static_assert(sizeof(struct edgefw_gen_config) == 24 + 8 * (EDGEFW_DIM_COUNT - 1) + 16 +
							   2 * EDGEFW_A6_HASH_LENS +
							   12 * 2 * EDGEFW_FAMILY_TREES,
	       "gen config layout");
_Static_assert(__builtin_offsetof(struct edgefw_gen_config, stages) + 3 * 8 <= 64,
	       "gen config: a four-field chain's stages in the first cache line");
_Static_assert(EDGEFW_DIM_COUNT == 9, "gen config padding assumes 9 fields");
_Static_assert(sizeof(struct edgefw_active) == 8, "active layout");
_Static_assert(sizeof(struct edgefw_gen_config) <= EDGEFW_GEN_SLOT_SIZE,
	       "gen config fits its slot");
_Static_assert(sizeof(struct edgefw_gen_slot) == EDGEFW_GEN_SLOT_SIZE, "gen slot layout");
_Static_assert(sizeof(struct edgefw_state) == 64 + EDGEFW_GENERATIONS * EDGEFW_GEN_SLOT_SIZE,
	       "state layout");
_Static_assert(sizeof(struct edgefw_counter) == 16, "counter layout");
_Static_assert(sizeof(struct edgefw_rule_meta) == EDGEFW_RULE_NAME_MAX + 8, "rule meta layout");
_Static_assert(sizeof(struct edgefw_instance_info) == 24, "instance info layout");
_Static_assert(sizeof(struct edgefw_log_event) == 80, "log event layout");
_Static_assert(sizeof(struct edgefw_log_config) == 8, "log config layout");
_Static_assert(sizeof(struct edgefw_log_state) == 24, "log state layout");
_Static_assert(sizeof(struct edgefw_attach_key) == 8, "attach key layout");
_Static_assert(sizeof(struct edgefw_attach_val) == 28, "attach val layout");
_Static_assert(sizeof(struct edgefw_ifslot) == 8, "ifslot layout");
#endif

#endif /* EDGEFW_H */
