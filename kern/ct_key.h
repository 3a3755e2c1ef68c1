/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A packet's flow key for the connection tracker (kern/conntrack.h): the
 * normalised key of its own flow, or of the flow an ICMP error quotes, in
 * the form of its family's tables, and what the tracker carries from the
 * lookup before the rules to the creation after the verdict (struct
 * ct_pkt, per-CPU scratch).
 */
#ifndef EDGEFW_CT_KEY_H
#define EDGEFW_CT_KEY_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "ct_filter.h"
#include "edgefw.h"
#include "parse.h"

#define ICMP4_ECHO_REPLY 0
#define ICMP4_UNREACH 3
#define ICMP4_ECHO 8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP4_PARAM_PROBLEM 12
#define ICMP6_UNREACH 1
#define ICMP6_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROBLEM 4
#define ICMP6_ECHO 128
#define ICMP6_ECHO_REPLY 129

/* What the tracker learnt about a packet, carried from the lookup before
 * the rules to the creation after the verdict (union ct_key: ct_filter.h). */
struct ct_pkt {
	union ct_key key;
	__u64 now;
	__u8 keyed;  /* key holds this packet's flow */
	__u8 from_a; /* the packet's source is side a */
	__u8 v4;     /* key.v4 (ct4_*), else key.v6 (ct_*) */
	/* Kept across packets: this CPU's recent misses less its hits,
	 * 0..CT_SCORE_MAX; at CT_PROBE_AT or more, ct_find asks the filter
	 * before the confirmed table (a flood), else after it. */
	__u8 miss_score;
	/* Kept across packets (decide() resets only keyed and now): the
	 * clock, in the filter's units, as this CPU last read it (ct_now).
	 * A lower bound of the time: a filter deadline below it is past
	 * without reading the clock again (kern/ct_filter.h). */
	__u32 clock_floor;
};

/* Loads len bytes at off with the hook's helper: ICMP bodies are read
 * only for ICMP packets, so a helper call there costs nothing elsewhere. */
static __always_inline int ct_load(void *ctx, enum cursor_kind kind, __u32 off, void *buf,
				   __u32 len)
{
	if (kind == CURSOR_XDP)
		return bpf_xdp_load_bytes(ctx, off, buf, len);
	return bpf_skb_load_bytes(ctx, off, buf, len);
}

/* The key is written as whole 64-bit words into the 8-byte aligned scratch
 * (union ct_key), and the addresses are read as 32-bit words: byte arrays
 * copied with memcpy compile to one load and one store per byte in BPF,
 * which made the key most of a table miss's cost (kern/DESIGN.md). The
 * words are the keys' little-endian layout (edgefw.h), as the filter's
 * hash already reads them. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ct keys are built as LE words");
_Static_assert(sizeof(union ct_key) == 40, "ct key words");

_Static_assert(__builtin_offsetof(struct pkt_info, saddr) % 4 == 0 &&
		       __builtin_offsetof(struct pkt_info, daddr) % 4 == 0 &&
		       _Alignof(struct pkt_info) >= 4,
	       "pkt_info addresses are read as 32-bit words");

/* The key's last word: ports, then (IPv6 only) family, then protocol. */
static __always_inline __u64 ct_key_tail(__u16 port_a, __u16 port_b, __u64 hi)
{
	return (__u64)port_a | (__u64)port_b << 16 | hi << 32;
}

/* The normalised key of the flow (src, sport) <-> (dst, dport), in the
 * form of its family's tables; src and dst are 4-byte aligned. Any fixed
 * total order will do (userspace's ef_ct_key_of uses the same): two
 * native 64-bit words of each address (IPv4: one, zero-extended), then
 * the port. Returns whether the source is side a. */
static __always_inline bool ct_make_key(union ct_key *uk, __u8 family, __u8 proto, const __u32 *src,
					const __u32 *dst, __u16 sport, __u16 dport)
{
	__u64 *w = (__u64 *)uk, s0, s1 = 0, d0, d1 = 0;
	bool a_is_src;

	if (family == 4) {
		s0 = src[0];
		d0 = dst[0];
	} else {
		s0 = src[0] | (__u64)src[1] << 32;
		s1 = src[2] | (__u64)src[3] << 32;
		d0 = dst[0] | (__u64)dst[1] << 32;
		d1 = dst[2] | (__u64)dst[3] << 32;
	}
	if (s0 != d0)
		a_is_src = s0 < d0;
	else if (s1 != d1)
		a_is_src = s1 < d1;
	else
		a_is_src = sport <= dport;
	if (!a_is_src) {
		__u64 t0 = s0, t1 = s1;
		__u16 tp = sport;

		s0 = d0;
		s1 = d1;
		d0 = t0;
		d1 = t1;
		sport = dport;
		dport = tp;
	}
	if (family == 4) {
		w[0] = s0 | d0 << 32;
		w[1] = ct_key_tail(sport, dport, proto);
		return a_is_src;
	}
	w[0] = s0;
	w[1] = s1;
	w[2] = d0;
	w[3] = d1;
	w[4] = ct_key_tail(sport, dport, (__u64)family | (__u64)proto << 8);
	return a_is_src;
}

static __always_inline bool icmp_is_echo(const struct pkt_info *pi, bool *request)
{
	__u32 t = pi->sport;

	if (pi->l4proto == IPPROTO_ICMP) {
		*request = t == ICMP4_ECHO;
		return t == ICMP4_ECHO || t == ICMP4_ECHO_REPLY;
	}
	*request = t == ICMP6_ECHO;
	return t == ICMP6_ECHO || t == ICMP6_ECHO_REPLY;
}

static __always_inline bool icmp_is_error(const struct pkt_info *pi)
{
	__u32 t = pi->sport;

	if (pi->l4proto == IPPROTO_ICMP)
		return t == ICMP4_UNREACH || t == ICMP4_TIME_EXCEEDED || t == ICMP4_PARAM_PROBLEM;
	return t == ICMP6_UNREACH || t == ICMP6_TOO_BIG || t == ICMP6_TIME_EXCEEDED ||
	       t == ICMP6_PARAM_PROBLEM;
}

/* The flow an ICMP error quotes: the IP header that follows the 8-byte
 * ICMP header and the first 8 bytes of its payload (ports, or an echo's
 * identifier). IPv6 quotes are read without walking extension headers. */
static __always_inline bool ct_quoted_key(void *ctx, enum cursor_kind kind,
					  const struct pkt_info *pi, union ct_key *k)
{
	__u32 src[4] = {}, dst[4] = {};
	__u8 ip[40], l4[8];
	__u32 off = pi->l4_off + 8, ihl;
	__u16 sport = 0, dport = 0;
	__u8 proto;

	if (pi->family == 4) {
		if (off + 28 > pi->l4_end || ct_load(ctx, kind, off, ip, 20))
			return false;
		ihl = (ip[0] & 15) * 4;
		if ((ip[0] >> 4) != 4 || ihl < 20)
			return false;
		proto = ip[9];
		__builtin_memcpy(src, ip + 12, 4);
		__builtin_memcpy(dst, ip + 16, 4);
	} else {
		if (off + 48 > pi->l4_end || ct_load(ctx, kind, off, ip, 40))
			return false;
		ihl = 40;
		proto = ip[6];
		__builtin_memcpy(src, ip + 8, 16);
		__builtin_memcpy(dst, ip + 24, 16);
	}
	off += ihl;
	if (off + 8 > pi->l4_end || ct_load(ctx, kind, off & EDGEFW_PARSE_MAX_OFF, l4, 8))
		return false;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		sport = dport = (__u16)l4[4] << 8 | l4[5];
	} else if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) {
		sport = (__u16)l4[0] << 8 | l4[1];
		dport = (__u16)l4[2] << 8 | l4[3];
	}
	ct_make_key(k, pi->family, proto, src, dst, sport, dport);
	return true;
}

/* The packet's own flow key; false for a packet no flow can hold (a later
 * fragment, whose ports are not in it). */
static __always_inline bool ct_packet_key(void *ctx, enum cursor_kind kind,
					  const struct pkt_info *pi, struct ct_pkt *cp)
{
	__u16 sport = 0, dport = 0;
	__u8 hdr[8];
	bool req;

	if (pi->frag == PKT_LATER_FRAG)
		return false;
	if (pi->l4proto == IPPROTO_ICMP || pi->l4proto == IPPROTO_ICMPV6) {
		if (!icmp_is_echo(pi, &req) || pi->l4_off + 8 > pi->l4_end ||
		    ct_load(ctx, kind, pi->l4_off, hdr, 8))
			return false;
		sport = dport = (__u16)hdr[4] << 8 | hdr[5];
	} else if (pi->sport < EDGEFW_NO_L4) {
		sport = (__u16)pi->sport;
		dport = (__u16)pi->dport;
	}
	/* pkt_info's addresses are 4-byte aligned (after six 32-bit words). */
	cp->from_a = ct_make_key(&cp->key, pi->family, pi->l4proto, (const __u32 *)pi->saddr,
				 (const __u32 *)pi->daddr, sport, dport);
	cp->keyed = true;
	cp->v4 = pi->family == 4;
	return true;
}

#endif /* EDGEFW_CT_KEY_H */
