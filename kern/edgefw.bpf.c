// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The edgefw datapath. Classification never loops over rules: each address
 * is mapped to an equivalence class by one LPM lookup per field, and the
 * pair of classes to the winning rule by one hash lookup. The compiler
 * computes the classes and the winners; see user/compiler/classify.c.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "edgefw.h"
#include "parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Inner-map templates: the loader creates one of each per generation, sized
 * for the ruleset it holds. Sizes rather than BTF types, because clang 14
 * emits only forward declarations for types reached solely through them. */
struct addr_table {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct edgefw_addr_key));
	__uint(value_size, sizeof(__u32));
};

struct combo_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct edgefw_combo_key));
	__uint(value_size, sizeof(struct edgefw_verdict));
};

#define GEN_OUTER(name, inner)                                  \
	struct {                                                \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);       \
		__uint(max_entries, EDGEFW_GENERATIONS);        \
		__type(key, __u32);                             \
		__array(values, struct inner);                  \
	} name SEC(".maps")

GEN_OUTER(addr_tbl, addr_table);
GEN_OUTER(combo_tbl, combo_table);

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

/* Userspace-only bookkeeping, pinned beside the tables so every edgefw
 * invocation sees the same state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_MAX_RULES);
	__type(key, __u32);
	__type(value, struct edgefw_rule_meta);
} rule_meta SEC(".maps");

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

static __always_inline void count(void *map, __u32 idx, __u64 bytes)
{
	struct edgefw_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline __u32 lookup_class(void *addrs,
					  struct edgefw_addr_key *k)
{
	__u32 *cls = bpf_map_lookup_elem(addrs, k);

	return cls ? *cls : EDGEFW_CLASS_NONE;
}

/* Finds the verdict for an IP packet. Returns the rule's verdict, or NULL
 * when no rule matched (the caller applies the default). */
static __always_inline struct edgefw_verdict *
classify(const struct pkt_info *pi, __u32 gen)
{
	struct edgefw_addr_key k = {};
	struct edgefw_combo_key ck;
	void *addrs, *combo;

	addrs = bpf_map_lookup_elem(&addr_tbl, &gen);
	combo = bpf_map_lookup_elem(&combo_tbl, &gen);
	if (!addrs || !combo)
		return NULL;

	if (pi->family == 4) {
		k.prefixlen = EDGEFW_ADDR_KEY_PREFIX_BITS + 32;
		k.field = EDGEFW_FIELD_SRC4;
		__builtin_memcpy(k.addr, pi->saddr, 4);
		ck.src_class = lookup_class(addrs, &k);
		k.field = EDGEFW_FIELD_DST4;
		__builtin_memcpy(k.addr, pi->daddr, 4);
		ck.dst_class = lookup_class(addrs, &k);
	} else {
		k.prefixlen = EDGEFW_ADDR_KEY_PREFIX_BITS + 128;
		k.field = EDGEFW_FIELD_SRC6;
		__builtin_memcpy(k.addr, pi->saddr, 16);
		ck.src_class = lookup_class(addrs, &k);
		k.field = EDGEFW_FIELD_DST6;
		__builtin_memcpy(k.addr, pi->daddr, 16);
		ck.dst_class = lookup_class(addrs, &k);
	}
	if (ck.src_class == EDGEFW_CLASS_NONE ||
	    ck.dst_class == EDGEFW_CLASS_NONE)
		return NULL;
	return bpf_map_lookup_elem(combo, &ck);
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

static __always_inline struct fw_result decide(void *data, void *data_end,
					       __u32 hook)
{
	struct fw_result res = { .decision = FW_PASS };
	__u64 bytes = data_end - data;
	struct edgefw_gen_config *cfg;
	struct edgefw_verdict *v;
	struct edgefw_active *act;
	struct pkt_info pi = {};
	__u32 zero = 0, gen;
	__u8 action;
	int pr;

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

	pr = parse_packet(data, data_end, &pi);
	switch (pr) {
	case PARSE_OK:
		break;
	case PARSE_NON_IP:
		count(&reason_stats, EDGEFW_REASON_NON_IP, bytes);
		action = cfg->non_ip_action;
		goto policy;
	case PARSE_ND:
		count(&reason_stats, EDGEFW_REASON_ND, bytes);
		action = cfg->non_ip_action;
		goto policy;
	case PARSE_BAD_L2:
		count(&reason_stats, EDGEFW_REASON_MALFORMED_L2, bytes);
		action = cfg->malformed_action;
		goto policy;
	default:
		count(&reason_stats, EDGEFW_REASON_MALFORMED_L3, bytes);
		action = cfg->malformed_action;
		goto policy;
	}

	v = classify(&pi, gen);
	if (v) {
		count(&rule_stats, v->counter_slot, bytes);
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
	return res;
}

SEC("xdp")
int edgefw_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct fw_result r = decide(data, data_end, EDGEFW_HOOK_XDP);
	long ret;

	switch (r.decision) {
	case FW_DROP:
		return XDP_DROP;
	case FW_REDIRECT:
		/* On a missing target, drop: a redirect rule promises the packet
		 * does not continue up this host's stack. */
		ret = bpf_redirect_map(&tx_ports, r.ifindex, XDP_ABORTED);
		if (ret != XDP_REDIRECT)
			count(&reason_stats, EDGEFW_REASON_REDIRECT_FAIL,
			      data_end - data);
		return ret == XDP_REDIRECT ? XDP_REDIRECT : XDP_DROP;
	default:
		return XDP_PASS;
	}
}
