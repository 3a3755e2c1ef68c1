/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Dynamic sets, rate limits and bans in the datapath (issue 16).
 *
 * A rule may depend on state that changes without a reload: whether the
 * packet's source or destination is in a dynamic set, or whether a token
 * bucket has room for it. Each distinct such condition of a ruleset is a
 * bit of the packet's condition vector (dyn_config[gen].conds), and the
 * classifier takes the vector as one more field (EDGEFW_DIM_COND), so the
 * first matching rule is still found without looping over rules.
 *
 * Set conditions are looked up before classifying. A limit is charged only
 * when its rule wins: its bit starts set ("within"), and when the winner's
 * bucket is full the bit is cleared and the packet classified again, so
 * the next rules decide it. At most EDGEFW_MAX_CONDS such rounds.
 *
 * A ruleset with neither conditions nor bans never comes here: decide()
 * (policy.h) calls edgefw_classify_conds once itself, with
 * classify_first's argument (a lone IPv6 forest walked beside the call).
 *
 * Included by policy.h after classifier.h; the maps here are pinned with
 * the others (user/loader/instance.h) and are not per generation: sets and
 * buckets outlive reloads.
 */
#ifndef EDGEFW_DYNSET_H
#define EDGEFW_DYNSET_H

/* The tries of each dynamic set slot; userspace creates them with the
 * set's size (an LPM trie's size is not part of its map-in-map type). */
struct dynset4_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct edgefw_dyn4_key));
	__uint(value_size, sizeof(struct edgefw_dyn_val));
};

struct dynset6_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct edgefw_dyn6_key));
	__uint(value_size, sizeof(struct edgefw_dyn_val));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, EDGEFW_MAX_DYNSETS);
	__type(key, __u32);
	__array(values, struct dynset4_inner);
} dynset4_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, EDGEFW_MAX_DYNSETS);
	__type(key, __u32);
	__array(values, struct dynset6_inner);
} dynset6_tbl SEC(".maps");

/* Userspace only: which set owns a slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_MAX_DYNSETS);
	__type(key, __u32);
	__type(value, struct edgefw_dynset_meta);
} dynset_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_GENERATIONS);
	__type(key, __u32);
	__type(value, struct edgefw_dyn_config);
} dyn_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGEFW_LIMIT_SLOTS);
	__type(key, __u32);
	__type(value, struct edgefw_limit_bucket);
} limit_tbl SEC(".maps");

EDGEFW_COUNTERS(dyn_stats, EDGEFW_DYN_STATS_SIZE);

/* Per rule counter slot: packets over the rule's limit. */
EDGEFW_COUNTERS(limit_stats, EDGEFW_MAX_RULES);

/* Expired entries met in one lookup before giving up: each one found sends
 * the lookup to the shorter prefixes under it. edgefwd removes expired
 * entries in the background; without it, more than this many nested
 * expired prefixes hide a live shorter one until the next `edgefw set`
 * command removes them. */
#define DYN_EXPIRED_RETRIES 4

static __always_inline void dyn_count(__u32 set, __u32 what)
{
	count(&dyn_stats, (set % EDGEFW_MAX_DYNSETS) * EDGEFW_DSTAT_COUNT + what, 1);
}

static __always_inline bool dyn_live(struct edgefw_dyn_val *v, __u64 now)
{
	return !v->expires || v->expires > now;
}

static __always_inline bool dynset_has(__u32 set, const struct pkt_info *pi, const __u8 *addr,
				       __u64 now)
{
	struct edgefw_dyn6_key k6 = { .prefixlen = 128 };
	struct edgefw_dyn4_key k4 = { .prefixlen = 32 };
	struct edgefw_dyn_val *v;
	bool v4 = pi->family == 4;
	void *trie;

	trie = v4 ? bpf_map_lookup_elem(&dynset4_tbl, &set)
		  : bpf_map_lookup_elem(&dynset6_tbl, &set);
	if (!trie)
		return false;
	__builtin_memcpy(k4.addr, addr, 4);
	__builtin_memcpy(k6.addr, addr, 16);
	for (int i = 0; i < DYN_EXPIRED_RETRIES; i++) {
		v = bpf_map_lookup_elem(trie, v4 ? (void *)&k4 : (void *)&k6);
		if (!v)
			return false;
		if (dyn_live(v, now)) {
			dyn_count(set, EDGEFW_DSTAT_MATCH);
			return true;
		}
		dyn_count(set, EDGEFW_DSTAT_EXPIRED);
		if (!v->prefixlen)
			return false;
		k4.prefixlen = k6.prefixlen = v->prefixlen - 1;
	}
	return false;
}

/* The set conditions that hold. A global function: the verifier checks
 * it once, not at every use. */
__noinline __u32 edgefw_dyn_conds(const struct pkt_info *pi, __u32 gen)
{
	struct edgefw_dyn_config *dc;
	__u32 conds = 0;
	__u64 now;

	if (!pi)
		return 0;
	dc = bpf_map_lookup_elem(&dyn_config, &gen);
	if (!dc)
		return 0;
	now = bpf_ktime_get_boot_ns();
	for (int i = 0; i < EDGEFW_MAX_CONDS; i++) {
		const struct edgefw_cond *c = &dc->conds[i];
		bool holds;

		if (i >= dc->n_conds)
			break;
		if (!(dc->set_conds & (1u << i)))
			continue;
		holds = dynset_has(c->set, pi,
				   c->kind == EDGEFW_COND_SET_DST ? pi->daddr : pi->saddr, now);
		if (holds != !!c->negate)
			conds |= 1u << i;
	}
	return conds;
}

/* edgefw_classify_conds' how: walk the trees first (the first round). */
#define EDGEFW_HOW_TREES (1u << 25)
_Static_assert(!(EDGEFW_HOW_TREES & (0x1ffu << 16 | 0xffu << 8 | 1)),
	       "EDGEFW_HOW_TREES apart from how's generation, hook and conditions");

/* A first round's how (the trees walked, no condition held yet) with its
 * trees' rule in the upper half (the argument edgefw_classify_conds
 * takes). An IPv6 packet whose trees are
 * one forest (tree_forest6.h) has it walked here, by its global function,
 * beside the chain's call, not inside it: its frame on the chain's would
 * pass the 512 bytes the frames may take together. Every other packet's
 * trees are walked by the call (EDGEFW_HOW_TREES). A ruleset without IPv6
 * trees reads no more of their config (the v6 10-rule row over
 * xdp-filter: 4-5% above main's without this test, -1 to +2% with it,
 * interleaved runs of 6+4 and 4+4). */
static __always_inline __u64 classify_first(const struct pkt_info *pi,
					    const struct edgefw_gen_config *cfg, __u32 gen,
					    __u32 hook)
{
	__u32 how = (gen & 1) | (hook & 0xff) << 8 | EDGEFW_HOW_TREES;

	if (cfg->n_trees[1] && tree_forest6_only(pi, cfg))
		return (how & ~EDGEFW_HOW_TREES) |
		       (__u64)(__u32)tree_forest6(pi, cfg, how, EDGEFW_RULE_NONE) << 32;
	return how | (__u64)EDGEFW_RULE_NONE << 32;
}

/* classify() with a condition vector, and in the first round the decision
 * trees before it (tree_lowest inlined: one call per packet, not two;
 * an IPv6 lone forest is walked by classify_first, see there);
 * the winner's verdict into *out. cfg: the generation's gen_config, the
 * caller's (one lookup fewer per packet than looking it up again). how:
 * generation | hook << 8 | conds << 16 | EDGEFW_HOW_TREES | tree_rule << 32
 * (a BPF function takes five arguments; conds' bit 8: every condition
 * holds, EDGEFW_DYN_HELD). With EDGEFW_HOW_TREES the trees are walked and
 * tree_rule is ignored; without it tree_rule is what they found in an
 * earlier round (they hold no rule with a dynamic condition, so it does
 * not change between rounds). Returns 1 when a rule matched, 0 when none
 * did, with the trees' rule in the upper half either way. */
__noinline __s64 edgefw_classify_conds(const struct pkt_info *pi,
				       const struct edgefw_gen_config *cfg, __u64 how,
				       __u32 ifindex, struct edgefw_verdict *out)
{
	struct edgefw_verdict *v;
	__u32 gen = how & 1, tree_rule = (__u32)(how >> 32);

	if (!pi || !cfg || !out)
		return (__s64)((__u64)EDGEFW_RULE_NONE << 32);
	/* A ruleset without trees for the family skips them and their
	 * scratch. */
	if ((how & EDGEFW_HOW_TREES) && cfg->n_trees[pi->family == 6])
		tree_rule = tree_lowest(pi, cfg, (__u32)how, tree_rule);
	/* The trees' rule through memory (out, whole-written when a rule
	 * matches, unread when none does): the verifier reads back a value it
	 * knows nothing of, whatever bounds the trees' paths gave it, so they
	 * do not keep the chain's states apart. (Measured: 762,935 XDP
	 * instructions; without it, the flag above tested on an opaque copy
	 * instead, 770,618.) */
	*(volatile __u32 *)&out->redirect_ifindex = tree_rule;
	tree_rule = *(volatile __u32 *)&out->redirect_ifindex;
	v = classify(pi, cfg, gen, ifindex, (how >> 8) & 0xff, (how >> 16) & 0x1ff, tree_rule);
	if (v)
		*out = *v;
	return (__s64)((__u64)tree_rule << 32 | !!v);
}

static __always_inline __u64 limit_word(const struct edgefw_limit_key *k, int i)
{
	return ((const __u64 *)k)[i];
}

static __always_inline bool limit_key_eq(const struct edgefw_limit_key *a,
					 const struct edgefw_limit_key *b)
{
	__u64 d = 0;

	for (int i = 0; i < 5; i++)
		d |= limit_word(a, i) ^ limit_word(b, i);
	return !d;
}

/* The first slot of the key's pair: a multilinear hash, one product per
 * word, summed, and its high half. The products are independent, so the
 * hash is one multiply's latency and four adds on the packet's chain of
 * dependent instructions, not five chained rounds.
 * user/loader/dynset_query.c has the same function for explain --live. */
static __always_inline __u32 limit_slot(const struct edgefw_limit_key *k)
{
	__u64 h = limit_word(k, 0) * 0x9e3779b97f4a7c15ull +
		  limit_word(k, 1) * 0xff51afd7ed558ccdull +
		  limit_word(k, 2) * 0xc4ceb9fe1a85ec53ull +
		  limit_word(k, 3) * 0xd6e8feb86659fd93ull +
		  limit_word(k, 4) * 0xa0761d6478bd642full;

	return (__u32)(h >> 32) & (EDGEFW_LIMIT_SLOTS - 2);
}

/* The key's bucket, or the slot of its pair to take over (*fresh set).
 * The pair's second slot is looked up only when the first is not the
 * key's. */
static __always_inline struct edgefw_limit_bucket *limit_bucket(const struct edgefw_limit_key *k,
								bool *fresh)
{
	__u32 i = limit_slot(k);
	struct edgefw_limit_bucket *a = bpf_map_lookup_elem(&limit_tbl, &i), *b;

	*fresh = false;
	if (!a)
		return NULL;
	if (limit_key_eq(&a->key, k))
		return a;
	i++;
	b = bpf_map_lookup_elem(&limit_tbl, &i);
	if (!b)
		return NULL;
	if (limit_key_eq(&b->key, k))
		return b;
	*fresh = true;
	return a->tat <= b->tat ? a : b;
}

/* GCRA: the bucket is one timestamp, tat, the time its debt is paid off.
 * A packet conforms when the debt with it stays within burst_ns. Updated
 * with compare-and-swap; a bucket two CPUs keep changing under each other
 * counts the packet as over, so a limit never lets more through. A slot
 * taken over by a new key is written without a lock: a CPU reading it at
 * that moment may miss the key and take the pair's other slot, once. */
__noinline int edgefw_limit_take(const struct edgefw_limit_cfg *l, const struct pkt_info *pi,
				 __u64 bytes)
{
	struct edgefw_limit_key k = {};
	struct edgefw_limit_bucket *b;
	/* Buckets never leave the kernel: any clock that does not jump; the
	 * coarse one (a tick, 1-4 ms) costs no clock-source read. A stale
	 * `now` only makes the debt look larger by up to a tick. */
	__u64 now = bpf_ktime_get_coarse_ns(), cost, old, tat;
	bool fresh;

	if (!l || !pi)
		return 0;
	k.id = l->id ^ (pi->family == 6 ? 1u << 31 : 0);
	if (l->per & EDGEFW_PER_SRC)
		__builtin_memcpy(k.saddr, pi->saddr, 16);
	if (l->per & EDGEFW_PER_DST)
		__builtin_memcpy(k.daddr, pi->daddr, 16);
	if (l->per & EDGEFW_PER_SPORT)
		k.sport = (__u16)pi->sport;
	if (l->per & EDGEFW_PER_DPORT)
		k.dport = (__u16)pi->dport;
	cost = l->bytes ? (bytes * l->unit_ps + 999) / 1000 : l->pkt_ns;
	if (cost > l->burst_ns)
		return false;
	b = limit_bucket(&k, &fresh);
	if (!b)
		return false;
	if (fresh) {
		b->key = k;
		b->tat = now + cost;
		return true;
	}
	for (int i = 0; i < 3; i++) {
		old = b->tat;
		tat = old > now ? old : now;
		if (tat + cost - now > l->burst_ns)
			return false;
		if (__sync_val_compare_and_swap(&b->tat, old, tat + cost) == old)
			return true;
	}
	return false;
}

/* The source of the packet into a dynamic set, from the datapath. */
static __always_inline void ban_source(const struct edgefw_ban_cfg *bc, const struct pkt_info *pi)
{
	struct edgefw_dyn_val val = { .prefixlen = pi->family == 4 ? 32 : 128 };
	struct edgefw_dyn6_key k6 = { .prefixlen = 128 };
	struct edgefw_dyn4_key k4 = { .prefixlen = 32 };
	__u32 set = bc->set;
	void *trie;
	long err;

	if (bc->timeout_ns)
		val.expires = bpf_ktime_get_boot_ns() + bc->timeout_ns;
	if (pi->family == 4) {
		__builtin_memcpy(k4.addr, pi->saddr, 4);
		trie = bpf_map_lookup_elem(&dynset4_tbl, &set);
		err = trie ? bpf_map_update_elem(trie, &k4, &val, BPF_ANY) : -1;
	} else {
		__builtin_memcpy(k6.addr, pi->saddr, 16);
		trie = bpf_map_lookup_elem(&dynset6_tbl, &set);
		err = trie ? bpf_map_update_elem(trie, &k6, &val, BPF_ANY) : -1;
	}
	dyn_count(set, err ? EDGEFW_DSTAT_BAN_FAIL : EDGEFW_DSTAT_BAN);
}

/* The first matching rule given the dynamic state, into *out; false when
 * no rule matches. Charges the winner's limit, bans when the winner says
 * so. *oc: the conditions of the deciding round and the first rule whose
 * limit the packet was over, for the drop log. */
static __always_inline bool dyn_decide(const struct pkt_info *pi,
				       const struct edgefw_gen_config *cfg, __u32 gen,
				       __u32 ifindex, __u32 hook, __u64 bytes,
				       struct edgefw_verdict *out, struct dyn_outcome *oc)
{
	/* Only a ruleset with conditions or bans (cfg->dyn) comes here now,
	 * but the test stays: without it clang keeps more across the calls,
	 * decide()'s frame grows from 224 to 232 bytes and tc's three calls
	 * take 528 of the 512 the verifier allows. */
	struct edgefw_dyn_config *dc = cfg->dyn ? bpf_map_lookup_elem(&dyn_config, &gen) : NULL;
	/* The calls' how but for the conditions: the first round walks the
	 * trees (or has walked a lone IPv6 forest), the later ones pass
	 * their rule. */
	__u64 first = classify_first(pi, cfg, gen, hook);
	__u32 how = (__u32)first, tree_rule = (__u32)(first >> 32);
	__u32 conds = 0;
	bool found = false;

	if (dc) {
		conds = dc->limit_conds;
		if (dc->set_conds)
			conds |= edgefw_dyn_conds(pi, gen);
		/* Every condition holds (a first round whose sets all say
		 * yes): the chain may stop before the conditions' stage. Bit
		 * 8 says so until a round clears a condition. */
		if ((cfg->dyn & EDGEFW_DYN_HELD) && conds == (1u << (dc->n_conds & 15)) - 1)
			conds |= 1u << 8;
	}
	oc->over = 0;
	oc->over_slot = 0;
	for (int i = 0; i <= EDGEFW_MAX_CONDS; i++) {
		const struct edgefw_limit_cfg *l;
		__s64 r;

		oc->conds = (__u8)conds;
		r = edgefw_classify_conds(pi, cfg,
					  how | (conds & 0x1ff) << 16 | (__u64)tree_rule << 32,
					  ifindex, out);
		if (!(r & 1))
			return false;
		tree_rule = (__u64)r >> 32;
		how &= ~EDGEFW_HOW_TREES;
		if (!out->limit || !dc) {
			found = true;
			break;
		}
		l = &dc->limits[(out->limit - 1) & (EDGEFW_MAX_CONDS - 1)];
		if (edgefw_limit_take(l, pi, bytes)) {
			found = true;
			break;
		}
		count(&limit_stats, out->counter_slot, bytes);
		if (!oc->over) {
			oc->over = 1;
			oc->over_slot = out->counter_slot;
		}
		conds &= ~(1u << (l->cond & (EDGEFW_MAX_CONDS - 1))) & 0xff;
	}
	if (found && out->ban && dc)
		ban_source(&dc->bans[(out->ban - 1) & (EDGEFW_MAX_CONDS - 1)], pi);
	return found;
}

#endif /* EDGEFW_DYNSET_H */
