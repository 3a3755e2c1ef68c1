// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The edgefw datapath: one XDP program and two tc programs sharing the
 * parser and the classifier.
 *
 * Classification never loops over rules. Each field the ruleset uses maps
 * the packet's value to a class (the set of rules that field allows): LPM
 * for addresses, array segments for protocol, ports, flags and VLAN, a hash
 * for the interface and hook. The classes are then combined field by field,
 * (class so far, next class) -> class so far, and the last class names the
 * winning rule. The compiler (user/compiler/classify.c) computes every
 * table; the number of lookups depends on the fields used, not on the rules.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "parse.h"
#include "tree_walk.h"
#include "ifslot.h" /* issue 22: the attachment's slot at run time */
#include "conntrack.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The ruleset's tables (see edgefw.h for the layout and the costs that
 * chose it). Fixed-size arrays hang off map-in-maps, one slot per
 * generation; hash and LPM tables hold both generations. */
/* Sizes are the defaults; an instance may be created with others. */
struct cells_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EDGEFW_CELLS_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
};

struct class_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_CLASSES_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct edgefw_class_info));
};

#define GEN_OUTER(name, inner)                                  \
	struct {                                                \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);       \
		__uint(max_entries, EDGEFW_GENERATIONS);        \
		__type(key, __u32);                             \
		__array(values, struct inner);                  \
	} name SEC(".maps")

/* The decision trees' nodes and leaf elements (kern/tree_walk.h). */
struct tnode_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_TNODES_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct edgefw_tnode));
};

struct tleaf_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_TLEAVES_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct edgefw_tleaf));
};

GEN_OUTER(cells_tbl, cells_table);
GEN_OUTER(class_tbl, class_table);
GEN_OUTER(tnode_tbl, tnode_table);
GEN_OUTER(tleaf_tbl, tleaf_table);

/* Each generation's verdict per rule index, in halves: what a tree's leaf
 * names when it finds a rule below the chain's. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS * EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_verdict);
} rule_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EDGEFW_GENERATIONS * EDGEFW_LPM6_MAX);
	__type(key, struct edgefw_lpm6_key);
	__type(value, __u32);
} lpm6_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EDGEFW_GENERATIONS * EDGEFW_HOST6_MAX);
	__type(key, struct edgefw_host6_key);
	__type(value, __u32);
} host6_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EDGEFW_GENERATIONS * EDGEFW_CHAIN_MAX);
	__type(key, struct edgefw_chain_key);
	__type(value, __u32);
} chain_tbl SEC(".maps");

/* Not used by the programs: updating a map-in-map makes the kernel wait
 * for an RCU grace period, after which no program still runs on the
 * generation just switched away from, so its entries can be deleted. */
struct sync_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sync_inner);
} rcu_sync SEC(".maps");

/* Fixed-size tables, one half per generation. Mmapable, so a reload
 * writes the inactive half with one copy instead of 136k updates. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, EDGEFW_GENERATIONS * EDGEFW_LEAF_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} leaf_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGEFW_GENERATIONS * (EDGEFW_MAX_ATTACH + 1) *
				    EDGEFW_HOOK_COUNT);
	__type(key, struct edgefw_ctx_key);
	__type(value, __u32);
} ctx_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS);
	__type(key, __u32);
	__type(value, struct edgefw_gen_config);
} gen_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgefw_active);
} active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_counter);
} rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGEFW_HOOK_COUNT);
	__type(key, __u32);
	__type(value, struct edgefw_counter);
} default_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGEFW_REASON_COUNT);
	__type(key, __u32);
	__type(value, struct edgefw_counter);
} reason_stats SEC(".maps");

/* Per attachment and final decision; see edgefw.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGEFW_IFACE_STATS_SIZE);
	__type(key, __u32);
	__type(value, struct edgefw_counter);
} iface_stats SEC(".maps");

/* Userspace-only bookkeeping, pinned beside the tables so every edgefw
 * invocation sees the same state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS * EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_rule_meta);
} rule_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS);
	__type(key, __u32);
	__type(value, struct edgefw_gen_info);
} gen_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgefw_instance_info);
} instance_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGEFW_MAX_ATTACH);
	__type(key, struct edgefw_attach_key);
	__type(value, struct edgefw_attach_val);
} attachments SEC(".maps");

/* Redirect targets for XDP, keyed by ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, EDGEFW_MAX_ATTACH);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

/* The drop log (see edgefw.h). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EDGEFW_LOG_RING_SIZE);
} log_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgefw_log_config);
} log_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_log_state);
} log_state SEC(".maps");

static __always_inline void count(void *map, __u32 idx, __u64 bytes)
{
	struct edgefw_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* Once per packet, with the decision the program finally returns, in the
 * row of the attachment (ifindex, hook): see kern/ifslot.h. */
static __always_inline void count_iface(__u32 ifindex, __u32 hook,
					__u32 action, __u64 bytes)
{
	count(&iface_stats, ifslot_of(ifindex, hook) * EDGEFW_ACT_COUNT + action,
	      bytes);
}

struct classify_ctx {
	const struct pkt_info *pi;
	void *cells;
	__u32 gen;
	__u32 ifindex;
	__u32 hook;
	__u32 conds; /* dynamic conditions held (kern/dynset.h) */
};

static __always_inline __u32 cell(void *cells, __u32 idx)
{
	__u32 *v = bpf_map_lookup_elem(cells, &idx);

	return v ? *v : EDGEFW_CLASS_NONE;
}

/* The IPv4 multibit trie: at most five array lookups. */
static __always_inline __u32 a4_class(const struct classify_ctx *cc, __u32 field,
				      const __u8 *addr)
{
	__u32 a = (__u32)addr[0] << 24 | (__u32)addr[1] << 16 |
		  (__u32)addr[2] << 8 | addr[3];
	__u32 v = cell(cc->cells, field * EDGEFW_A4_L1_SIZE + (a >> 16));

	for (int shift = 12; shift >= 0; shift -= 4) {
		if (!(v & EDGEFW_A4_CHUNK) || v == EDGEFW_CLASS_NONE)
			break;
		v = cell(cc->cells, (v & EDGEFW_A4_VALUE) + ((a >> shift) & 15));
	}
	if (v == EDGEFW_CLASS_NONE)
		return v;
	v &= EDGEFW_A4_VALUE;
	return v == EDGEFW_A4_NONE ? EDGEFW_CLASS_NONE : v;
}

/* The IPv6 trie over the first 48 bits; the /128 hash and the LPM trie
 * only under a cell that says such entries lie below. */
static __always_inline __u32 a6_class(const struct classify_ctx *cc, __u32 field,
				      const __u8 *a)
{
	__u32 v = cell(cc->cells, EDGEFW_A6_L1_BASE + field * EDGEFW_A4_L1_SIZE +
				      ((__u32)a[0] << 8 | a[1]));

	for (int n = 0; n < 8; n++) {
		__u32 nib;

		if (!(v & EDGEFW_A4_CHUNK) || v == EDGEFW_CLASS_NONE)
			break;
		nib = n & 1 ? a[2 + n / 2] & 15 : a[2 + n / 2] >> 4;
		v = cell(cc->cells, (v & EDGEFW_A6_VALUE) + nib);
	}
	if (v == EDGEFW_CLASS_NONE)
		return v;
	if (v & EDGEFW_A6_HOST) {
		struct edgefw_host6_key h = { .tag = cc->gen << 1 | field };
		__u32 *cls;

		__builtin_memcpy(h.addr, a, 16);
		cls = bpf_map_lookup_elem(&host6_tbl, &h);
		if (cls)
			return *cls;
	}
	if (v & EDGEFW_A6_LONGER) {
		struct edgefw_lpm6_key k = {
			.prefixlen = EDGEFW_LPM6_TAG_BITS + 128,
			.tag = cc->gen << 1 | field,
		};
		__u32 *cls;

		__builtin_memcpy(k.addr, a, 16);
		cls = bpf_map_lookup_elem(&lpm6_tbl, &k);
		if (cls)
			return *cls;
	}
	v &= EDGEFW_A6_VALUE;
	return v == EDGEFW_A6_NONE ? EDGEFW_CLASS_NONE : v;
}

static __always_inline __u32 addr_class(const struct classify_ctx *cc, bool dst)
{
	const struct pkt_info *pi = cc->pi;

	if (pi->family == 4)
		return a4_class(cc, dst, dst ? pi->daddr : pi->saddr);
	return a6_class(cc, dst, dst ? pi->daddr : pi->saddr);
}

static __always_inline __u32 leaf_class(__u32 gen, __u32 idx)
{
	__u32 key = gen * EDGEFW_LEAF_SIZE + idx;
	__u32 *cls = bpf_map_lookup_elem(&leaf_tbl, &key);

	return cls ? *cls : EDGEFW_CLASS_NONE;
}

static __always_inline __u32 ctx_class(const struct classify_ctx *cc)
{
	struct edgefw_ctx_key k = { .gen = cc->gen, .ifindex = cc->ifindex,
				    .hook = cc->hook };
	__u32 *cls = bpf_map_lookup_elem(&ctx_tbl, &k);

	if (!cls) {
		/* An interface the ruleset names no pattern for. */
		k.ifindex = 0;
		cls = bpf_map_lookup_elem(&ctx_tbl, &k);
	}
	return cls ? *cls : EDGEFW_CLASS_NONE;
}

static __always_inline __u32 dim_class(const struct classify_ctx *cc, __u8 dim)
{
	const struct pkt_info *pi = cc->pi;
	__u32 v;

	switch (dim) {
	case EDGEFW_DIM_SRC:
		return addr_class(cc, false);
	case EDGEFW_DIM_DST:
		return addr_class(cc, true);
	case EDGEFW_DIM_PROTO:
		return leaf_class(cc->gen, EDGEFW_LEAF_PROTO_OFF +
				  (((__u32)(pi->ct_state & 3) << 8) + pi->l4proto) *
					  EDGEFW_FRAG_STATES + pi->frag);
	case EDGEFW_DIM_SPORT:
		v = pi->sport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->sport;
		return leaf_class(cc->gen, EDGEFW_LEAF_SPORT_OFF + v);
	case EDGEFW_DIM_DPORT:
		v = pi->dport > EDGEFW_NO_L4 ? EDGEFW_NO_L4 : pi->dport;
		return leaf_class(cc->gen, EDGEFW_LEAF_DPORT_OFF + v);
	case EDGEFW_DIM_FLAGS:
		v = pi->flags > EDGEFW_NO_FLAGS ? EDGEFW_NO_FLAGS : pi->flags;
		return leaf_class(cc->gen, EDGEFW_LEAF_FLAGS_OFF + v);
	case EDGEFW_DIM_VLAN:
		v = pi->vlan > EDGEFW_UNTAGGED ? EDGEFW_UNTAGGED : pi->vlan;
		return leaf_class(cc->gen, EDGEFW_LEAF_VLAN_OFF + v);
	case EDGEFW_DIM_CTX:
		return ctx_class(cc);
	case EDGEFW_DIM_COND:
		return leaf_class(cc->gen, EDGEFW_LEAF_COND_OFF +
				  (cc->conds & (EDGEFW_LEAF_COND_LEN - 1)));
	default:
		return EDGEFW_CLASS_NONE;
	}
}

/* The chain's last class for the packet (its verdict names the first
 * matching rule of the chain), or NULL. */
static __always_inline struct edgefw_class_info *
chain_class(const struct classify_ctx *cc, const struct edgefw_gen_config *cfg,
	    void *classes)
{
	struct edgefw_class_info *info;
	__u32 cur;

	cur = cfg->n_dims ? dim_class(cc, cfg->dims[0]) : cfg->root_class;
	for (int i = 1; i < EDGEFW_DIM_COUNT; i++) {
		const struct edgefw_stage *st = &cfg->stages[i];
		__u32 next, *found;

		if (i >= cfg->n_dims || cur == EDGEFW_CLASS_NONE)
			break;
		next = dim_class(cc, cfg->dims[i]);
		if (next == EDGEFW_CLASS_NONE)
			return NULL;
		if (st->width) {
			cur = cell(cc->cells, st->base + (cur - st->row0) * st->width + next);
			continue;
		}
		{
			struct edgefw_chain_key k = {
				.cur = cur | (cc->gen ? EDGEFW_CHAIN_GEN_BIT : 0),
				.next = next,
			};

			found = bpf_map_lookup_elem(&chain_tbl, &k);
		}
		if (found) {
			cur = *found;
			continue;
		}
		info = bpf_map_lookup_elem(classes, &cur);
		cur = info ? info->miss : EDGEFW_CLASS_NONE;
	}
	if (cur == EDGEFW_CLASS_NONE)
		return NULL;
	info = bpf_map_lookup_elem(classes, &cur);
	if (!info || !(info->verdict.flags & EDGEFW_VERDICT_F_MATCH))
		return NULL;
	return info;
}

/* A rule a tree found below the chain's, by its index. */
static __always_inline struct edgefw_verdict *rule_verdict(__u32 gen, __u32 rule)
{
	__u32 key;

	if (rule >= EDGEFW_MAX_RULES)
		return NULL;
	key = gen * EDGEFW_MAX_RULES + rule;
	return bpf_map_lookup_elem(&rule_tbl, &key);
}

/* What decide() keeps off its stack for the packet it decides, per CPU
 * (see tree_scratch): the connection tracker's view and the verdict. */
/* What the dynamic state did to the packet (kern/dynset.h), for the drop
 * log. */
struct dyn_outcome {
	__u16 over_slot; /* the first rule whose limit it was over */
	__u8 conds;      /* the condition vector of the deciding round */
	__u8 over;       /* 1: over_slot is set */
};

struct decide_scratch {
	struct ct_pkt ct;
	struct edgefw_verdict verdict;
	struct dyn_outcome dyn;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct decide_scratch);
} decide_scratch SEC(".maps");

/* The tree key of the packet being classified, per CPU: a program runs to
 * its end on one CPU (a tc program runs with bottom halves off, an XDP one
 * in them, so neither interrupts the other there), and the key kept off
 * the stack leaves room for the calls the datapath makes (512 bytes for
 * all frames together). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tree_key);
} tree_scratch SEC(".maps");

/* The trees' part of classifying, a global function: the verifier checks
 * it once, whatever path through the chain led here, instead of once per
 * such path, and its key lives in its own frame, not in the caller's
 * (the combined stack of the calls must stay within 512 bytes). how: the
 * generation (bit 0) and the hook (bits 8-15). Returns the lowest rule
 * below best the family's trees hold for the packet, else best. */
__attribute__((noinline)) int tree_lowest(const struct pkt_info *pi,
					   const struct edgefw_gen_config *cfg,
					   __u32 how, __u32 best)
{
	void *cells, *nodes, *leaves;
	struct tree_key *k;
	__u32 gen = how & 1, zero = 0;

	if (!pi || !cfg)
		return (int)best;
	cells = bpf_map_lookup_elem(&cells_tbl, &gen);
	nodes = bpf_map_lookup_elem(&tnode_tbl, &gen);
	leaves = bpf_map_lookup_elem(&tleaf_tbl, &gen);
	k = bpf_map_lookup_elem(&tree_scratch, &zero);
	if (!cells || !nodes || !leaves || !k)
		return (int)best;
	tree_key_fill(k, pi, (how >> 8) & 0xff);
	return (int)tree_classify(cfg, cells, nodes, leaves, k,
				  pi->family == 6, best);
}

static __always_inline __u32 trees_walk(const struct pkt_info *pi,
					const struct edgefw_gen_config *cfg,
					__u32 gen, __u32 hook, __u32 best)
{
	return (__u32)tree_lowest(pi, cfg, (gen & 1) | (hook & 0xff) << 8, best);
}

/* Returns the verdict of the first matching rule, or NULL when no rule
 * matches (the caller applies the default): the lowest of tree_rule (what
 * the decision trees found, walked by the caller) and the chain's rule.
 * The chain is skipped when the trees found a rule below its lowest. */
static __always_inline struct edgefw_verdict *
classify(const struct pkt_info *pi, const struct edgefw_gen_config *cfg,
	 __u32 gen, __u32 ifindex, __u32 hook, __u32 conds, __u32 tree_rule)
{
	struct classify_ctx cc = { .pi = pi, .gen = gen, .ifindex = ifindex,
				   .hook = hook, .conds = conds };
	struct edgefw_class_info *info = NULL;
	__u32 chain_rule;
	void *classes;

	cc.cells = bpf_map_lookup_elem(&cells_tbl, &gen);
	classes = bpf_map_lookup_elem(&class_tbl, &gen);
	if (!cc.cells || !classes)
		return NULL;
	if (tree_rule > cfg->chain_min_rule)
		info = chain_class(&cc, cfg, classes);
	chain_rule = info ? info->verdict.rule : EDGEFW_RULE_NONE;
	if (chain_rule <= tree_rule)
		return info ? &info->verdict : NULL;
	return rule_verdict(gen, tree_rule);
}

/* Dynamic sets, rate limits and bans (issue 16). */
#include "dynset.h"

#define NSEC_PER_SEC 1000000000ull

/* One event for a logged rule, unless its rule already sent log_config.rate
 * this second. Two CPUs may both start a new window at its edge; that lets
 * at most a few events more through, never a flood. */
static __always_inline void log_packet(const struct pkt_info *pi,
				       const struct edgefw_verdict *v,
				       const struct dyn_outcome *dyn, __u32 gen,
				       __u64 bytes, __u32 ifindex, __u32 hook)
{
	struct edgefw_log_config *lc;
	struct edgefw_log_state *st;
	struct edgefw_log_event *e;
	__u32 zero = 0, slot = v->counter_slot;
	__u64 now;

	lc = bpf_map_lookup_elem(&log_config, &zero);
	if (!lc || !lc->rate)
		return;
	st = bpf_map_lookup_elem(&log_state, &slot);
	if (!st)
		return;
	now = bpf_ktime_get_ns();
	if (now - st->window_start >= NSEC_PER_SEC) {
		st->window_start = now;
		st->sent = 0;
	}
	if (__sync_fetch_and_add(&st->sent, 1) >= lc->rate) {
		__sync_fetch_and_add(&st->suppressed, 1);
		return;
	}
	e = bpf_ringbuf_reserve(&log_ring, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&st->suppressed, 1);
		return;
	}
	e->ktime_ns = now;
	e->rule_slot = slot;
	e->ifindex = ifindex;
	e->pkt_len = (__u32)bytes;
	e->vlan = pi->vlan;
	e->sport = pi->sport;
	e->dport = pi->dport;
	e->hook = (__u8)hook;
	e->action = v->action;
	e->family = pi->family;
	e->l4proto = pi->l4proto;
	e->frag = pi->frag;
	e->gen = (__u8)gen;
	e->conds = dyn->conds;
	e->dyn_flags = dyn->over ? EDGEFW_LOG_F_OVER : 0;
	e->over_slot = dyn->over_slot;
	e->ban = v->ban;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memcpy(e->saddr, pi->saddr, 16);
	__builtin_memcpy(e->daddr, pi->daddr, 16);
	bpf_ringbuf_submit(e, 0);
}

/* Verdicts in the hook-neutral form; each program maps them to its codes. */
enum fw_decision {
	FW_PASS,
	FW_DROP,
	FW_REDIRECT,
};

struct fw_result {
	enum fw_decision decision;
	__u32 ifindex; /* FW_REDIRECT */
};

static __always_inline __u32 parse_reason(int pr)
{
	switch (pr) {
	case PARSE_NON_IP:
		return EDGEFW_REASON_NON_IP;
	case PARSE_ND:
		return EDGEFW_REASON_ND;
	case PARSE_BAD_L2:
		return EDGEFW_REASON_MALFORMED_L2;
	case PARSE_BAD_EXT:
		return EDGEFW_REASON_MALFORMED_EXT;
	case PARSE_BAD_L4:
		return EDGEFW_REASON_MALFORMED_L4;
	case PARSE_EXT_OVERFLOW:
		return EDGEFW_REASON_EXT_OVERFLOW;
	case PARSE_ENCAP_OVERFLOW:
		return EDGEFW_REASON_ENCAP_OVERFLOW;
	case PARSE_READ_FAIL:
		return EDGEFW_REASON_READ_FAIL;
	default:
		return EDGEFW_REASON_MALFORMED_L3;
	}
}

static __always_inline __u8 parse_policy(const struct edgefw_gen_config *cfg,
					 int pr)
{
	switch (pr) {
	case PARSE_NON_IP:
	case PARSE_ND:
		return cfg->non_ip_action;
	case PARSE_EXT_OVERFLOW:
		return cfg->ext_overflow_action;
	case PARSE_ENCAP_OVERFLOW:
		return cfg->encap_overflow_action;
	case PARSE_READ_FAIL:
		/* Headers the kernel could not copy: the stack itself drops a
		 * packet whose headers it cannot pull. */
		return EDGEFW_ACT_DROP;
	default:
		return cfg->malformed_action;
	}
}

/* Where a tag taken out of the frame (by the driver's rx VLAN offload, or
 * by the stack) can be read. */
enum ctx_vlan {
	CTX_VLAN_NONE,      /* plain XDP: nowhere */
	CTX_VLAN_XDP_KFUNC, /* device-bound XDP: the metadata kfunc */
	CTX_VLAN_SKB,       /* tc: skb->vlan_tci */
};

extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx,
					__be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

static __always_inline __u32 stripped_vlan(void *ctx, enum ctx_vlan where)
{
	struct __sk_buff *skb = ctx;
	__be16 proto;
	__u16 tci;

	switch (where) {
	case CTX_VLAN_SKB:
		return skb->vlan_present ? (skb->vlan_tci & 0x0fff) : EDGEFW_UNTAGGED;
	case CTX_VLAN_XDP_KFUNC:
		if (bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci))
			return EDGEFW_UNTAGGED; /* none, or not supported */
		return tci & 0x0fff;
	default:
		return EDGEFW_UNTAGGED;
	}
}

/* ctx is the hook's context (kind says which); *out_bytes is set to the
 * length counted for the frame. */
static __always_inline struct fw_result decide(void *ctx, enum cursor_kind kind,
					       __u64 *out_bytes, __u32 ifindex,
					       __u32 hook, enum ctx_vlan where)
{
	struct fw_result res = { .decision = FW_PASS };
	struct edgefw_verdict *v;
	struct decide_scratch *sc;
	struct edgefw_gen_config *cfg;
	struct edgefw_active *act;
	struct pkt_info pi = {};
	struct ct_pkt *ct;
	__u32 zero = 0, gen;
	__u64 bytes;
	__u8 action, vflags = 0;
	int pr;

	/* Off the stack, which the calls below need (512 bytes in all). */
	sc = bpf_map_lookup_elem(&decide_scratch, &zero);
	if (!sc)
		return res;
	ct = &sc->ct;
	__builtin_memset(ct, 0, sizeof(*ct));
	pr = parse_packet(ctx, kind, &pi);
	/* Counters carry the whole frame. At XDP the parse asks for the
	 * length past the first buffer only when a header lies there, so a
	 * multi-buffer frame decided early (non-IP, an encapsulation beyond
	 * the walk, padding) would count only its first buffer. */
	bytes = kind == CURSOR_XDP ? (__u64)bpf_xdp_get_buff_len(ctx) : pi.len;
	*out_bytes = bytes;
	act = bpf_map_lookup_elem(&active, &zero);
	if (!act || !act->loaded) {
		count(&reason_stats, EDGEFW_REASON_NO_RULESET, bytes);
		return res;
	}
	gen = act->gen & 1;
	cfg = bpf_map_lookup_elem(&gen_config, &gen);
	if (!cfg) {
		count(&reason_stats, EDGEFW_REASON_NO_RULESET, bytes);
		return res;
	}

	if (pr != PARSE_OK) {
		count(&reason_stats, parse_reason(pr), bytes);
		action = parse_policy(cfg, pr);
		goto policy;
	}
	/* An offloaded outer tag is beside the frame, not in it; a tag in the
	 * frame is inner to it, so it is the one rules see. */
	if (pi.vlan == EDGEFW_UNTAGGED)
		pi.vlan = stripped_vlan(ctx, where);

	if (pi.frag == PKT_LATER_FRAG && cfg->frag_policy != EDGEFW_FRAGPOL_RULES) {
		count(&reason_stats, EDGEFW_REASON_FRAGMENT, bytes);
		action = cfg->frag_policy == EDGEFW_FRAGPOL_DROP ?
				 EDGEFW_ACT_DROP : EDGEFW_ACT_PASS;
		goto policy;
	}

	/* Connection tracking (#15, kern/conntrack.h): the packet's state,
	 * which `state:` rules match, before the rules. */
	if (cfg->ct_mode)
		pi.ct_state = (__u8)(kind == CURSOR_XDP ?
			edgefw_ct_classify_xdp(ctx, &pi, ct) :
			edgefw_ct_classify_skb(ctx, &pi, ct));

	/* issue 16: the rules with dynamic sets and limits (kern/dynset.h) */
	v = dyn_decide(&pi, gen, ifindex, hook, bytes, &sc->verdict, &sc->dyn) ?
		    &sc->verdict : NULL;
	if (v) {
		vflags = v->flags;
		count(&rule_stats, v->counter_slot, bytes);
		if (v->flags & EDGEFW_VERDICT_F_LOG)
			log_packet(&pi, v, &sc->dyn, gen, bytes, ifindex, hook);
		if (v->action == EDGEFW_ACT_REDIRECT) {
			res.decision = FW_REDIRECT;
			res.ifindex = v->redirect_ifindex;
			return res;
		}
		action = v->action;
		goto policy;
	}

	count(&default_stats, hook, bytes);
	action = hook < EDGEFW_HOOK_COUNT ? cfg->default_action[hook] :
					    EDGEFW_ACT_PASS;
	count(&reason_stats, action == EDGEFW_ACT_DROP ?
			     EDGEFW_REASON_DEFAULT_DROP :
			     EDGEFW_REASON_DEFAULT_PASS, bytes);
policy:
	res.decision = action == EDGEFW_ACT_DROP ? FW_DROP : FW_PASS;
	/* Connection tracking (#15): record the new flow it passes. */
	if (res.decision == FW_PASS && pi.ct_state == EDGEFW_CT_NEW && cfg->ct_mode)
		edgefw_ct_create(ct, ifindex, hook, pi.l4proto, vflags);
	return res;
}

/* The XDP program's verdict in XDP's codes, counted per attachment. */
static __always_inline int xdp_run(struct xdp_md *ctx, bool vlan_kfunc)
{
	struct fw_result r;
	__u64 bytes;
	long ret;

	r = decide(ctx, CURSOR_XDP, &bytes, ctx->ingress_ifindex, EDGEFW_HOOK_XDP,
		   vlan_kfunc ? CTX_VLAN_XDP_KFUNC : CTX_VLAN_NONE);
	switch (r.decision) {
	case FW_DROP:
		count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_DROP, bytes);
		return XDP_DROP;
	case FW_REDIRECT:
		/* On a missing target, drop: a redirect rule promises the packet
		 * does not continue up this host's stack. */
		ret = bpf_redirect_map(&tx_ports, r.ifindex, XDP_ABORTED);
		if (ret != XDP_REDIRECT) {
			count(&reason_stats, EDGEFW_REASON_REDIRECT_FAIL, bytes);
			count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_DROP, bytes);
			return XDP_DROP;
		}
		count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_REDIRECT, bytes);
		return XDP_REDIRECT;
	default:
		count_iface(ctx->ingress_ifindex, EDGEFW_HOOK_XDP, EDGEFW_ACT_PASS, bytes);
		return XDP_PASS;
	}
}

/* Frags-aware: a multi-buffer frame (jumbo MTU on veth, say) is parsed
 * whole, its length from bpf_xdp_get_buff_len(). */
SEC("xdp.frags")
int edgefw_xdp(struct xdp_md *ctx)
{
	return xdp_run(ctx, false);
}

/* The same, reading a tag the driver stripped through the XDP metadata
 * kfunc. A program calling it must be bound to one device, so it is loaded
 * only on request (the loader's choice, per interface). */
SEC("?xdp.frags")
int edgefw_xdp_vlan(struct xdp_md *ctx)
{
	return xdp_run(ctx, true);
}

/* tc: the skb may be non-linear (GRO/GSO super-packets, jumbo frames): the
 * parser copies what lies past the linear part, nothing is pulled. */
static __always_inline int tc_run(struct __sk_buff *skb, __u32 hook)
{
	struct fw_result r;
	__u64 bytes;
	long ret;

	r = decide(skb, CURSOR_SKB, &bytes, skb->ifindex, hook, CTX_VLAN_SKB);
	switch (r.decision) {
	case FW_DROP:
		count_iface(skb->ifindex, hook, EDGEFW_ACT_DROP, bytes);
		return TC_ACT_SHOT;
	case FW_REDIRECT:
		ret = bpf_redirect(r.ifindex, 0);
		if (ret != TC_ACT_REDIRECT) {
			count(&reason_stats, EDGEFW_REASON_REDIRECT_FAIL, bytes);
			count_iface(skb->ifindex, hook, EDGEFW_ACT_DROP, bytes);
			return TC_ACT_SHOT;
		}
		count_iface(skb->ifindex, hook, EDGEFW_ACT_REDIRECT, bytes);
		return TC_ACT_REDIRECT;
	default:
		count_iface(skb->ifindex, hook, EDGEFW_ACT_PASS, bytes);
		/* Not OK: let other tc filters after ours run. */
		return TC_ACT_UNSPEC;
	}
}

SEC("tc")
int edgefw_tc_ingress(struct __sk_buff *skb)
{
	return tc_run(skb, EDGEFW_HOOK_TC_INGRESS);
}

SEC("tc")
int edgefw_tc_egress(struct __sk_buff *skb)
{
	return tc_run(skb, EDGEFW_HOOK_TC_EGRESS);
}
