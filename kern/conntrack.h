/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connection tracking: gives each IP packet a state (new, established,
 * related, invalid) that rules can match (`state:`), and records the flows
 * the host accepts, so that their replies are recognised.
 *
 * Engine: a table of our own rather than the kernel's conntrack through the
 * bpf_{xdp,skb}_ct_lookup kfuncs. Those need nf_conntrack loaded and active
 * in the namespace (a host with no other firewall software has it off), see
 * only TCP and UDP, and a kfunc call with its 40-byte tuple costs more than
 * our hash lookup; our table works on any host and follows ICMP echo and
 * ICMP errors too.
 *
 * Where flows start: a packet whose state is new is recorded when it
 * passes at tc-egress (the host's own connections; a rule with
 * `track: false` opts out), and at ingress (XDP, tc-ingress) only when the
 * rule that passes it says `track: true`. Return traffic is then found at
 * every hook by one lookup, in a table shared by every interface and hook of
 * the instance, pinned with its other maps and not part of a ruleset
 * generation: reloads and daemon restarts keep it.
 *
 * Floods: new flows go to ct_new_tbl (an LRU hash a quarter of ct_tbl's
 * size) and move to ct_tbl only when confirmed: the initiator sends again
 * after a reply (the TCP handshake's final ACK; a second UDP datagram or
 * echo request after an answer). A spoofed source never sees the reply, so
 * a flood of spoofed SYNs or UDP datagrams, even to a service that tracks,
 * can only evict other unconfirmed flows; confirmed connections live in a
 * table it cannot reach. A packet of a flood costs the confirmed table's
 * lookup, then the unconfirmed table's only when its filter slot says an
 * unconfirmed flow may hash there (kern/ct_filter.h), and no write unless
 * a rule records it. Each address family has its
 * own pair of tables (ct4_tbl and ct4_new_tbl for IPv4, with a 16-byte
 * key): the kernel hashes and compares the whole key on every lookup.
 *
 * Timeouts, by flow state (nf_conntrack's and Cilium's orders of magnitude,
 * shorter for half-open TCP so a SYN flood's entries go quickly): TCP SYN
 * sent or received 30 s, established 6 h (Cilium's lifetime), one FIN 120 s,
 * closed (both FINs or an RST) 10 s; UDP and other port protocols 30 s
 * until a reply, 120 s after (nf_conntrack's udp timeouts); ICMP echo 30 s;
 * other protocols 60 s. An entry found past its timeout is removed and the
 * packet is looked at as if there were none. last_seen is written at most
 * once a second per flow, so a busy flow does not bounce its cache line
 * between CPUs on every packet.
 */
#ifndef EDGEFW_CONNTRACK_H
#define EDGEFW_CONNTRACK_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "ct_filter.h"
#include "ct_key.h"
#include "edgefw.h"
#include "parse.h"

/* Sizes are defaults: the loader sets ct_tbl's and ct4_tbl's from the
 * instance's configuration, ct_new_tbl's and ct4_new_tbl's to a quarter
 * of it. ct_tbl and ct_new_tbl hold IPv6 flows; IPv4 flows have their own
 * pair with a 16-byte key, which the kernel hashes and compares in half
 * the time of the 40-byte one (kern/DESIGN.md). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1u << 16);
	__type(key, struct edgefw_ct_key);
	__type(value, struct edgefw_ct_entry);
} ct_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1u << 14);
	__type(key, struct edgefw_ct_key);
	__type(value, struct edgefw_ct_entry);
} ct_new_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1u << 16);
	__type(key, struct edgefw_ct4_key);
	__type(value, struct edgefw_ct_entry);
} ct4_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1u << 14);
	__type(key, struct edgefw_ct4_key);
	__type(value, struct edgefw_ct_entry);
} ct4_new_tbl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGEFW_CTS_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} ct_stats SEC(".maps");

#define CT_SEC 1000000000ull
#define CT_REFRESH_NS CT_SEC

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* The clock, read at most once a packet; each read moves this CPU's
 * floor. */
static __always_inline __u64 ct_now(struct ct_pkt *cp)
{
	if (!cp->now) {
		cp->now = bpf_ktime_get_coarse_ns();
		cp->clock_floor = (__u32)(cp->now >> EDGEFW_CT_FILTER_SHIFT);
	}
	return cp->now;
}

/* This CPU's floor, read from the clock when it never was. */
static __always_inline __u32 ct_floor(struct ct_pkt *cp)
{
	if (!cp->clock_floor)
		ct_now(cp);
	return cp->clock_floor;
}

static __always_inline void ct_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&ct_stats, &idx);

	if (c)
		(*c)++;
}

static __always_inline __u64 ct_timeout(const struct edgefw_ct_entry *e)
{
	bool replied = e->seen & EDGEFW_CT_SEEN_REPLY;

	switch (e->flow) {
	case EDGEFW_CTF_TCP_SYN_SENT:
	case EDGEFW_CTF_TCP_SYN_RECV:
		return EDGEFW_CT_TO_TCP_SYN * CT_SEC;
	case EDGEFW_CTF_TCP_ESTABLISHED:
		return EDGEFW_CT_TO_TCP_ESTABLISHED * CT_SEC;
	case EDGEFW_CTF_TCP_FIN:
		return EDGEFW_CT_TO_TCP_FIN * CT_SEC;
	case EDGEFW_CTF_TCP_CLOSED:
		return EDGEFW_CT_TO_TCP_CLOSED * CT_SEC;
	case EDGEFW_CTF_UDP:
		return (replied ? EDGEFW_CT_TO_UDP_REPLIED : EDGEFW_CT_TO_UDP) * CT_SEC;
	case EDGEFW_CTF_ICMP:
		return EDGEFW_CT_TO_ICMP * CT_SEC;
	default:
		return EDGEFW_CT_TO_OTHER * CT_SEC;
	}
}

/* e if it is live; an expired one is removed from map and not returned. */
static __always_inline struct edgefw_ct_entry *ct_live(struct edgefw_ct_entry *e, void *map,
						       const void *k, struct ct_pkt *cp)
{
	if (!e)
		return NULL;
	/* The clock only for a packet with an entry (or one recorded). */
	ct_now(cp);
	/* Signed: a last_seen ahead of the coarse clock (userspace writes
	 * CLOCK_MONOTONIC, up to a tick ahead of it) is fresh, not 2^64 ns
	 * old. Unsigned, such a flow was deleted by its first packet. */
	if ((__s64)(cp->now - e->last_seen) > (__s64)ct_timeout(e)) {
		bpf_map_delete_elem(map, k);
		ct_count(EDGEFW_CTS_EXPIRED);
		return NULL;
	}
	return e;
}

/* Whether an unconfirmed flow with deadline d (a filter slot's,
 * kern/ct_filter.h) may still be live. The clock is read only when d is
 * not below cp->clock_floor: the usual miss, whose slot was never raised
 * or long ago, needs no helper call. */
static __always_inline bool ct_deadline_live(__u32 d, struct ct_pkt *cp)
{
	return d >= cp->clock_floor && d >= (__u32)(ct_now(cp) >> EDGEFW_CT_FILTER_SHIFT);
}

#define CT_SCORE_MAX 15
#define CT_PROBE_AT 8

/* Moves this CPU's miss score by the packet's lookup: a hysteresis, so
 * that a flood or a stream of established traffic each keep the order
 * that suits them (ct_find). */
static __always_inline void ct_score(struct ct_pkt *cp, bool hit)
{
	__u8 sc = cp->miss_score;

	if (hit)
		cp->miss_score = sc > CT_SCORE_MAX ? CT_SCORE_MAX : sc - (sc > 0);
	else
		cp->miss_score = sc >= CT_SCORE_MAX ? CT_SCORE_MAX : sc + 1;
}

/* Whether a flow missed in the unconfirmed table may have just moved to
 * the confirmed one (ct_advance): the move raises the slot's confirmed
 * deadline before it inserts there and deletes here, so a miss here that
 * saw the delete sees the raise (a fresh read, after that lookup) and
 * then the insert. Only a miss whose slot's confirmed deadline is live
 * looks again; one past it cannot have moved. */
static __always_inline bool ct_may_have_moved(const struct edgefw_ct_deadlines *slot,
					      struct ct_pkt *cp)
{
	return !slot || *(const volatile __u32 *)&slot->conf >= ct_floor(cp);
}

/* The live entry for key, in its family's confirmed table, then in the
 * unconfirmed one, which is looked up only when the key's filter slot
 * says it may hold the flow. The confirmed table too when this CPU sees
 * mostly misses (a flood, cp->miss_score): then the slot comes first and
 * a miss whose slot is past in both costs no hash lookup at all, where a
 * hit pays the slot's cache line on top of its lookup, so with mostly
 * hits the slot is read only after a confirmed miss. The confirmed
 * deadline is compared with the floor only: one not below it is a live
 * flow's almost always (6 h for TCP), where the clock would cost a helper
 * call before the lookup; hits keep the floor up with the clock.
 *
 * A miss in both tables looks in the confirmed one again when the flow
 * may have moved there meanwhile (ct_may_have_moved): another CPU's move
 * (insert there, then delete here) can fall between this packet's two
 * lookups, which would then both miss (kern/DESIGN.md, "The move
 * between the tables"). A hit and a miss whose unconfirmed deadline is
 * past never get there. Each lookup names its map at its own call,
 * which is what lets the verifier inline it: the walk is written once,
 * as a macro that returns from ct_find, per family (CT_FIND_IN; as an
 * inlined function per family clang laid the code out differently and
 * the verifier processed about 2,500 more instructions). */
#define CT_FIND_IN(tbl, new_tbl, field)                                     \
	do {                                                                \
		if (conf)                                                   \
			e = bpf_map_lookup_elem(&tbl, &k->field);           \
		if (!e) {                                                   \
			if (slot && !ct_deadline_live(slot->unconf, cp))    \
				return NULL;                                \
			e = bpf_map_lookup_elem(&new_tbl, &k->field);       \
			if (e) {                                            \
				*confirmed = false;                         \
				return ct_live(e, &new_tbl, &k->field, cp); \
			}                                                   \
			if (!ct_may_have_moved(slot, cp))                   \
				return NULL;                                \
			e = bpf_map_lookup_elem(&tbl, &k->field);           \
		}                                                           \
		*confirmed = e != NULL;                                     \
		return ct_live(e, &tbl, &k->field, cp);                     \
	} while (0)

static __always_inline struct edgefw_ct_entry *
ct_find(const union ct_key *k, bool v4, struct ct_pkt *cp, bool probe, bool *confirmed)
{
	struct edgefw_ct_deadlines *slot = ct_filter_at(k, v4);
	struct edgefw_ct_entry *e = NULL;
	bool conf = !probe || !slot || slot->conf >= ct_floor(cp);

	if (v4)
		CT_FIND_IN(ct4_tbl, ct4_new_tbl, v4);
	CT_FIND_IN(ct_tbl, ct_new_tbl, v6);
}

/* Whether a packet without an entry could start a flow. */
static __always_inline bool ct_may_start(const struct pkt_info *pi)
{
	bool req;

	if (pi->frag == PKT_LATER_FRAG)
		return false;
	switch (pi->l4proto) {
	case IPPROTO_TCP:
		return (pi->flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* Echo requests and informational messages; an unsolicited
		 * reply or error belongs to nothing. */
		return !icmp_is_error(pi) && (!icmp_is_echo(pi, &req) || req);
	default:
		return true;
	}
}

static __always_inline __u8 ct_first_flow(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return EDGEFW_CTF_TCP_SYN_SENT;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		return EDGEFW_CTF_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return EDGEFW_CTF_ICMP;
	default:
		return EDGEFW_CTF_OTHER;
	}
}

/* TCP: SYN -> SYN-ACK -> ACK establishes; FINs from both sides or an RST
 * close. Returns whether this packet confirms the flow (the handshake's
 * final ACK from the initiator). */
static __always_inline bool ct_tcp_step(struct edgefw_ct_entry *e, __u32 flags, bool from_init)
{
	__u8 flow = e->flow;

	if (flags & TCP_RST) {
		e->flow = EDGEFW_CTF_TCP_CLOSED;
		return false;
	}
	if (flow == EDGEFW_CTF_TCP_CLOSED) {
		/* A new SYN reuses the ports: a new connection. */
		if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
			e->flow = EDGEFW_CTF_TCP_SYN_SENT;
			e->seen = e->seen & EDGEFW_CT_CONFIRMED;
			e->init_is_a ^= !from_init;
		}
		return false;
	}
	if (flags & TCP_FIN) {
		e->seen |= from_init ? EDGEFW_CT_FIN_INIT : EDGEFW_CT_FIN_REPLY;
		if ((e->seen & (EDGEFW_CT_FIN_INIT | EDGEFW_CT_FIN_REPLY)) ==
		    (EDGEFW_CT_FIN_INIT | EDGEFW_CT_FIN_REPLY))
			e->flow = EDGEFW_CTF_TCP_CLOSED;
		else
			e->flow = EDGEFW_CTF_TCP_FIN;
		return false;
	}
	if (flow == EDGEFW_CTF_TCP_SYN_SENT && !from_init &&
	    (flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
		e->flow = EDGEFW_CTF_TCP_SYN_RECV;
		return false;
	}
	if (flow == EDGEFW_CTF_TCP_SYN_RECV && from_init && (flags & TCP_ACK) &&
	    !(flags & TCP_SYN)) {
		e->flow = EDGEFW_CTF_TCP_ESTABLISHED;
		return true;
	}
	return false;
}

/* A packet of a tracked flow advances it, whatever the rules then decide
 * (as nf_conntrack runs before the filter): the responder's first packet
 * marks it replied, TCP follows its handshake and close, and the packet
 * that confirms it moves it from ct_new_tbl to ct_tbl. */
static __always_inline void ct_advance(struct ct_pkt *cp, const struct pkt_info *pi,
				       struct edgefw_ct_entry *e, bool confirmed)
{
	bool from_init = cp->from_a == (e->init_is_a != 0), confirm = false, moved_ok;
	__u8 flow = e->flow, seen = e->seen;
	struct edgefw_ct_entry moved;
	__u64 last_seen = e->last_seen;

	if (pi->l4proto == IPPROTO_TCP)
		confirm = ct_tcp_step(e, pi->flags, from_init);
	else if (from_init && (e->seen & EDGEFW_CT_SEEN_REPLY))
		confirm = true;
	if (!from_init && !(e->seen & EDGEFW_CT_SEEN_REPLY))
		e->seen |= EDGEFW_CT_SEEN_REPLY;
	if ((__s64)(cp->now - last_seen) >= (__s64)CT_REFRESH_NS)
		e->last_seen = cp->now;
	if (confirmed) {
		/* Its filter deadline must outlast it: raised when what
		 * decides its expiry changed (at most once a second for a
		 * busy flow; an established flow's ACKs change nothing). */
		if (e->last_seen != last_seen || e->flow != flow || e->seen != seen)
			edgefw_ct_filter_raise(&cp->key, cp->v4, true, e->last_seen, ct_timeout(e));
		return;
	}
	if (confirm) {
		/* Moved, not shared: a flow lives in one table. Its
		 * confirmed deadline first, as for any write. */
		moved = *e;
		moved.seen |= EDGEFW_CT_CONFIRMED;
		moved.last_seen = cp->now;
		edgefw_ct_filter_raise(&cp->key, cp->v4, true, cp->now, ct_timeout(&moved));
		moved_ok = cp->v4 ? !bpf_map_update_elem(&ct4_tbl, &cp->key.v4, &moved, BPF_ANY)
				  : !bpf_map_update_elem(&ct_tbl, &cp->key.v6, &moved, BPF_ANY);
		if (moved_ok) {
			if (cp->v4)
				bpf_map_delete_elem(&ct4_new_tbl, &cp->key.v4);
			else
				bpf_map_delete_elem(&ct_new_tbl, &cp->key.v6);
			ct_count(EDGEFW_CTS_CONFIRMED);
			return;
		}
	}
	/* Still unconfirmed, perhaps with a longer timeout or a later
	 * last_seen: its filter deadline must outlast it. */
	edgefw_ct_filter_raise(&cp->key, cp->v4, false, e->last_seen, ct_timeout(e));
}

/* Before the rules: the packet's state (enum edgefw_ct_state), its flow
 * advanced. A global function per hook kind, checked once by the verifier
 * on its own, with its own stack. */
#define EDGEFW_CT_CLASSIFY(name, ctx_type, kind)                                             \
	__noinline int name(ctx_type *ctx, struct pkt_info *pi, struct ct_pkt *cp)           \
	{                                                                                    \
		struct edgefw_ct_entry *e = NULL;                                            \
		union ct_key qk;                                                             \
		bool confirmed = false;                                                      \
		int st;                                                                      \
                                                                                             \
		if (!ctx || !pi || !cp)                                                      \
			return EDGEFW_CT_INVALID;                                            \
		if (ct_packet_key(ctx, kind, pi, cp)) {                                      \
			e = ct_find(&cp->key, cp->v4, cp, cp->miss_score >= CT_PROBE_AT,     \
				    &confirmed);                                             \
			ct_score(cp, e != NULL);                                             \
		}                                                                            \
		if (e) {                                                                     \
			ct_advance(cp, pi, e, confirmed);                                    \
			st = EDGEFW_CT_ESTABLISHED;                                          \
		} else if ((pi->l4proto == IPPROTO_ICMP || pi->l4proto == IPPROTO_ICMPV6) && \
			   pi->frag != PKT_LATER_FRAG && icmp_is_error(pi) &&                \
			   ct_quoted_key(ctx, kind, pi, &qk) &&                              \
			   ct_find(&qk, pi->family == 4, cp, false, &confirmed)) {           \
			st = EDGEFW_CT_RELATED;                                              \
		} else {                                                                     \
			st = ct_may_start(pi) ? EDGEFW_CT_NEW : EDGEFW_CT_INVALID;           \
		}                                                                            \
		ct_count(st);                                                                \
		return st;                                                                   \
	}

EDGEFW_CT_CLASSIFY(edgefw_ct_classify_xdp, struct xdp_md, CURSOR_XDP)
EDGEFW_CT_CLASSIFY(edgefw_ct_classify_skb, struct __sk_buff, CURSOR_SKB)

/* After the verdict, for a new packet that passes: record its flow, at
 * tc-egress unless the rule says `track: false`, at ingress only when it
 * says `track: true`. vflags are the deciding rule's (0: the default). */
__noinline int edgefw_ct_create(struct ct_pkt *cp, __u32 ifindex, __u32 hook, __u32 proto,
				__u32 vflags)
{
	bool track = hook == EDGEFW_HOOK_TC_EGRESS ? !(vflags & EDGEFW_VERDICT_F_NOTRACK)
						   : (vflags & EDGEFW_VERDICT_F_TRACK);
	struct edgefw_ct_entry e = {};

	if (!cp || !cp->keyed || !track)
		return 0;
	e.last_seen = ct_now(cp);
	e.created = cp->now;
	e.ifindex = ifindex;
	e.hook = (__u8)hook;
	e.flow = ct_first_flow((__u8)proto);
	e.init_is_a = cp->from_a;
	/* The filter first: a packet of the flow on another CPU must not
	 * skip the lookup once the entry is there. */
	edgefw_ct_filter_raise(&cp->key, cp->v4, false, cp->now, ct_timeout(&e));
	if (cp->v4 ? bpf_map_update_elem(&ct4_new_tbl, &cp->key.v4, &e, BPF_ANY)
		   : bpf_map_update_elem(&ct_new_tbl, &cp->key.v6, &e, BPF_ANY)) {
		ct_count(EDGEFW_CTS_CREATE_FAIL);
		return -1;
	}
	ct_count(EDGEFW_CTS_CREATED);
	return 1;
}

#endif /* EDGEFW_CONNTRACK_H */
