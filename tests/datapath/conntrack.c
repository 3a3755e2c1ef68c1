// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Connection tracking through BPF_PROG_TEST_RUN (--only conntrack): TCP's
 * handshake and close, UDP and ICMP echo with their timeouts (entries aged
 * by rewriting last_seen), ICMP errors related to a flow, flows recorded at
 * ingress by `track: true` and never by `track: false`, a flood of spoofed
 * SYNs that must leave confirmed flows alone, the table across reloads,
 * and the filter in front of the unconfirmed tables. IPv4 and IPv6.
 */
#include <bpf/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cttable.h"
#include "dp.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

#define NS 1000000000ull

static const char *const ct_rules = "version: 1\n"
				    "defaults: {xdp: drop, tc-ingress: drop, tc-egress: pass}\n"
				    "rules:\n"
				    "  - name: replies\n"
				    "    hooks: [xdp, tc-ingress]\n"
				    "    state: [established, related]\n"
				    "    action: pass\n"
				    "  - name: ssh\n"
				    "    hooks: [xdp, tc-ingress]\n"
				    "    proto: tcp\n"
				    "    dport: 22\n"
				    "    state: new\n"
				    "    track: true\n"
				    "    action: pass\n"
				    "  - name: no-track-out\n"
				    "    hooks: tc-egress\n"
				    "    proto: udp\n"
				    "    dport: 5300\n"
				    "    track: false\n"
				    "    action: pass\n";

/* The same without the ssh service. */
static const char *const ct_rules_no_ssh =
	"version: 1\n"
	"defaults: {xdp: drop, tc-ingress: drop, tc-egress: pass}\n"
	"rules:\n"
	"  - name: replies\n"
	"    hooks: [xdp, tc-ingress]\n"
	"    state: [established, related]\n"
	"    action: pass\n";

struct fam {
	const char *tag, *host, *remote, *client;
	uint8_t icmp, echo_req, echo_rep, unreach, unreach_code;
};

static const struct fam fams[2] = {
	{ "v4", "192.0.2.10", "198.51.100.20", "203.0.113.5", IPPROTO_ICMP, 8, 0, 3, 4 },
	{ "v6", "2001:db8::10", "2001:db8:1::20", "2001:db8:2::5", IPPROTO_ICMPV6, 128, 129, 2, 0 },
};

static enum dp_verdict run_spec(struct dp *dp, uint32_t hook, const struct pkt_spec *s,
				uint16_t echo_id)
{
	struct pkt p;

	pkt_build(&p, s);
	if (s->l4proto == IPPROTO_ICMP || s->l4proto == IPPROTO_ICMPV6) {
		p.data[p.l4 + 4] = (uint8_t)(echo_id >> 8);
		p.data[p.l4 + 5] = (uint8_t)echo_id;
	}
	return dp_run(dp, hook, &p);
}

static struct pkt_spec l4(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			  uint16_t dport, uint8_t flags)
{
	struct pkt_spec s = {
		.l4proto = proto, .sport = sport, .dport = dport, .tcp_flags = flags, .payload = 8
	};

	spec_addrs(&s, src, dst);
	return s;
}

static void expect(struct dp *dp, uint32_t hook, const struct pkt_spec *s, uint16_t echo_id,
		   enum dp_verdict want, const char *desc)
{
	enum dp_verdict got = run_spec(dp, hook, s, echo_id);

	tap(got == want, "conntrack %s: %s (%s, want %s)", dp_hook_name(hook), desc,
	    dp_verdict_name(got), dp_verdict_name(want));
}

struct find_ctx {
	struct ef_ct_filter f;
	uint16_t other_port;
	struct ef_ct_flow found;
	size_t n;
};

static int find_visit(const struct ef_ct_flow *fl, void *arg)
{
	struct find_ctx *x = arg;

	if (!ef_ct_filter_match(&x->f, fl) ||
	    (fl->init_port != x->other_port && fl->resp_port != x->other_port))
		return 0;
	x->found = *fl;
	x->n++;
	return 0;
}

/* The family the checks below look for flows of. */
static uint8_t cur_family = 4;

/* The flow with proto and both ports; false when there is none. */
static bool find_flow(struct dp *dp, uint8_t proto, uint16_t p1, uint16_t p2,
		      struct ef_ct_flow *out)
{
	struct find_ctx x = { .f = { .family = cur_family,
				     .proto = proto,
				     .has_proto = true,
				     .port = p1,
				     .has_port = true },
			      .other_port = p2 };

	if (ef_ct_walk(&dp->inst, find_visit, &x) || x.n != 1)
		return false;
	*out = x.found;
	return true;
}

/* Makes a flow look idle for secs more seconds. */
static void age_flow(struct dp *dp, const struct ef_ct_flow *fl, unsigned secs)
{
	struct edgefw_ct_entry e = fl->e;

	e.last_seen -= (uint64_t)secs * NS;
	ef_ct_update(&dp->inst, &fl->key, fl->confirmed, &e, BPF_EXIST);
}

static void flush_all(struct dp *dp)
{
	size_t n;

	ef_ct_flush(&dp->inst, NULL, &n);
}

static uint64_t ct_stat(struct dp *dp, unsigned idx)
{
	struct ef_ct_counters c;

	return ef_ct_read_counters(&dp->inst, &c) ? 0 : c.v[idx];
}

static void check_flow(struct dp *dp, uint8_t proto, uint16_t p1, uint16_t p2, uint8_t flow,
		       bool confirmed, const char *desc)
{
	struct ef_ct_flow fl;
	bool ok = find_flow(dp, proto, p1, p2, &fl);

	tap(ok && fl.e.flow == flow && fl.confirmed == confirmed,
	    "conntrack: %s (found %d, state %s, %s; want %s, %s)", desc, ok,
	    ok ? ef_ct_flow_name(fl.e.flow) : "-", ok && fl.confirmed ? "confirmed" : "unconfirmed",
	    ef_ct_flow_name(flow), confirmed ? "confirmed" : "unconfirmed");
}

/* Whether the confirmed flow is in its family's table only (ct4_tbl with
 * the 16-byte key for IPv4, ct_tbl for IPv6), read as the datapath reads
 * it rather than through ef_ct_walk. */
static bool in_family_table(struct dp *dp, const struct ef_ct_flow *fl)
{
	struct edgefw_ct4_key k4;
	struct edgefw_ct_entry e;
	bool in4, in6;

	ef_ct_key4_of(&fl->key, &k4);
	in4 = !bpf_map_lookup_elem(dp->inst.maps.ct4_tbl, &k4, &e);
	in6 = !bpf_map_lookup_elem(dp->inst.maps.ct_tbl, &fl->key, &e);
	return fl->key.family == 4 ? in4 && !in6 : in6 && !in4;
}

static void test_tcp(struct dp *dp, const struct fam *f)
{
	const char *H = f->host, *R = f->remote;
	struct pkt_spec s;
	struct ef_ct_flow fl;
	uint64_t inv = ct_stat(dp, EDGEFW_CTS_INVALID), replies;
	char d[128];

	s = l4(R, H, IPPROTO_TCP, 443, 40000, 0x12);
	snprintf(d, sizeof(d), "%s unsolicited SYN-ACK is dropped", f->tag);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, d);
	tap(ct_stat(dp, EDGEFW_CTS_INVALID) == inv + 1,
	    "conntrack: %s the unsolicited SYN-ACK counted as invalid", f->tag);
	s = l4(H, R, IPPROTO_TCP, 40000, 443, 0x02);
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0, DP_PASS, "the host's SYN leaves");
	check_flow(dp, IPPROTO_TCP, 40000, 443, EDGEFW_CTF_TCP_SYN_SENT, false,
		   "the SYN recorded an unconfirmed flow");
	s = l4(R, H, IPPROTO_TCP, 443, 40000, 0x12);
	replies = dp_rule_counter(dp, "replies").packets;
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "the SYN-ACK reply is established");
	/* The first rule reads only state and hooks: the datapath gives it
	 * the packet without classifying, and must still count it there. */
	tap(dp_rule_counter(dp, "replies").packets == replies + 1,
	    "conntrack: %s the reply was counted by the first rule", f->tag);
	check_flow(dp, IPPROTO_TCP, 40000, 443, EDGEFW_CTF_TCP_SYN_RECV, false,
		   "after the SYN-ACK: syn-received");
	s = l4(H, R, IPPROTO_TCP, 40000, 443, 0x10);
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0, DP_PASS, "the handshake's ACK leaves");
	check_flow(dp, IPPROTO_TCP, 40000, 443, EDGEFW_CTF_TCP_ESTABLISHED, true,
		   "the final ACK confirms the flow (moved to ct_tbl)");
	tap(find_flow(dp, IPPROTO_TCP, 40000, 443, &fl) && in_family_table(dp, &fl),
	    "conntrack: %s the confirmed flow is in %s only", f->tag,
	    f->icmp == IPPROTO_ICMP ? "ct4_tbl" : "ct_tbl");
	s = l4(R, H, IPPROTO_TCP, 443, 40000, 0x18);
	expect(dp, EDGEFW_HOOK_TC_INGRESS, &s, 0, DP_PASS, "data from the server");
	s = l4(R, H, IPPROTO_TCP, 443, 40000, 0x11);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "the server's FIN");
	check_flow(dp, IPPROTO_TCP, 40000, 443, EDGEFW_CTF_TCP_FIN, true, "one FIN: closing");
	s = l4(H, R, IPPROTO_TCP, 40000, 443, 0x11);
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0, DP_PASS, "the host's FIN");
	check_flow(dp, IPPROTO_TCP, 40000, 443, EDGEFW_CTF_TCP_CLOSED, true, "both FINs: closed");
	s = l4(R, H, IPPROTO_TCP, 443, 40000, 0x10);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "the last ACK, within the closed timeout");
	if (find_flow(dp, IPPROTO_TCP, 40000, 443, &fl))
		age_flow(dp, &fl, EDGEFW_CT_TO_TCP_CLOSED + 1);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "an ACK after the closed timeout");
	tap(!find_flow(dp, IPPROTO_TCP, 40000, 443, &fl),
	    "conntrack: %s the expired flow was removed by the lookup", f->tag);

	/* An RST closes at once. */
	s = l4(H, R, IPPROTO_TCP, 40001, 443, 0x02);
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0, DP_PASS, "a second connection's SYN");
	s = l4(R, H, IPPROTO_TCP, 443, 40001, 0x14);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "its RST passes (the socket must see it)");
	check_flow(dp, IPPROTO_TCP, 40001, 443, EDGEFW_CTF_TCP_CLOSED, false,
		   "an RST closes the flow");
	/* A half-open connection expires after the SYN timeout. */
	s = l4(H, R, IPPROTO_TCP, 40002, 443, 0x02);
	run_spec(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0);
	if (find_flow(dp, IPPROTO_TCP, 40002, 443, &fl))
		age_flow(dp, &fl, EDGEFW_CT_TO_TCP_SYN + 1);
	s = l4(R, H, IPPROTO_TCP, 443, 40002, 0x12);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "a SYN-ACK after the SYN timeout");
}

static void test_udp(struct dp *dp, const struct fam *f)
{
	const char *H = f->host, *R = f->remote;
	struct ef_ct_flow fl;
	struct pkt_spec s;

	s = l4(H, R, IPPROTO_UDP, 40000, 53, 0);
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0, DP_PASS, "a DNS query leaves");
	s = l4(R, H, IPPROTO_UDP, 53, 40000, 0);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "its answer is established");
	s = l4(R, H, IPPROTO_UDP, 53, 40001, 0);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "a datagram to another port");
	if (find_flow(dp, IPPROTO_UDP, 40000, 53, &fl))
		age_flow(dp, &fl, EDGEFW_CT_TO_UDP + 5);
	s = l4(R, H, IPPROTO_UDP, 53, 40000, 0);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS,
	       "a replied flow outlives the unreplied timeout");
	if (find_flow(dp, IPPROTO_UDP, 40000, 53, &fl))
		age_flow(dp, &fl, EDGEFW_CT_TO_UDP_REPLIED + 1);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "but not the replied one");

	s = l4(H, R, IPPROTO_UDP, 40002, 53, 0);
	run_spec(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0);
	if (find_flow(dp, IPPROTO_UDP, 40002, 53, &fl))
		age_flow(dp, &fl, EDGEFW_CT_TO_UDP + 1);
	s = l4(R, H, IPPROTO_UDP, 53, 40002, 0);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "an answer after the unreplied timeout");

	s = l4(H, R, IPPROTO_UDP, 40003, 5300, 0);
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0, DP_PASS,
	       "a datagram a 'track: false' rule passes");
	tap(!find_flow(dp, IPPROTO_UDP, 40003, 5300, &fl),
	    "conntrack: %s 'track: false' recorded no flow", f->tag);
	s = l4(R, H, IPPROTO_UDP, 5300, 40003, 0);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "so its answer is new, and dropped");
}

/* An ICMP error from R quoting the packet H sent (H:sport -> R:dport). */
static enum dp_verdict icmp_error(struct dp *dp, const struct fam *f, uint16_t sport,
				  uint16_t dport)
{
	struct pkt_spec s = { .payload = 56 }, q;
	struct pkt p, inner;
	size_t qlen;

	spec_addrs(&s, f->remote, f->host);
	s.l4proto = f->icmp;
	s.icmp_type = f->unreach;
	s.icmp_code = f->unreach_code;
	pkt_build(&p, &s);
	q = l4(f->host, f->remote, IPPROTO_UDP, sport, dport, 0);
	pkt_build(&inner, &q);
	qlen = inner.l4 + 8 - inner.l3;
	if (p.l4 + 8 + qlen <= p.len)
		memcpy(&p.data[p.l4 + 8], &inner.data[inner.l3], qlen);
	return dp_run(dp, EDGEFW_HOOK_XDP, &p);
}

static void test_icmp(struct dp *dp, const struct fam *f)
{
	const char *H = f->host, *R = f->remote;
	struct pkt_spec req = { .payload = 8 }, rep = { .payload = 8 }, s;
	uint64_t rel;
	char d[128];

	spec_addrs(&req, H, R);
	req.l4proto = f->icmp;
	req.icmp_type = f->echo_req;
	spec_addrs(&rep, R, H);
	rep.l4proto = f->icmp;
	rep.icmp_type = f->echo_rep;
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &req, 0x1234, DP_PASS, "the host's echo request");
	expect(dp, EDGEFW_HOOK_XDP, &rep, 0x1234, DP_PASS, "its echo reply");
	expect(dp, EDGEFW_HOOK_XDP, &rep, 0x4321, DP_DROP, "an echo reply with another id");
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &req, 0x1234, DP_PASS, "a second echo request");
	check_flow(dp, f->icmp, 0x1234, 0x1234, EDGEFW_CTF_ICMP, true,
		   "a request after a reply confirms the echo flow");

	s = l4(H, R, IPPROTO_UDP, 40010, 53, 0);
	run_spec(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0);
	rel = ct_stat(dp, EDGEFW_CTS_RELATED);
	snprintf(d, sizeof(d), "%s an ICMP error quoting the host's datagram is related", f->tag);
	tap(icmp_error(dp, f, 40010, 53) == DP_PASS, "conntrack xdp: %s", d);
	tap(ct_stat(dp, EDGEFW_CTS_RELATED) == rel + 1, "conntrack: %s it was counted as related",
	    f->tag);
	tap(icmp_error(dp, f, 40011, 53) == DP_DROP,
	    "conntrack xdp: %s an ICMP error quoting no tracked flow is dropped", f->tag);
}

static void test_ingress_track(struct dp *dp, const struct fam *f)
{
	const char *H = f->host, *C = f->client;
	struct pkt_spec s;

	s = l4(C, H, IPPROTO_TCP, 50000, 22, 0x02);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "a SYN to the tracked service");
	check_flow(dp, IPPROTO_TCP, 50000, 22, EDGEFW_CTF_TCP_SYN_SENT, false,
		   "'track: true' recorded it at ingress");
	s = l4(H, C, IPPROTO_TCP, 22, 50000, 0x12);
	expect(dp, EDGEFW_HOOK_TC_EGRESS, &s, 0, DP_PASS, "the host's SYN-ACK");
	s = l4(C, H, IPPROTO_TCP, 50000, 22, 0x10);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "the client's ACK");
	check_flow(dp, IPPROTO_TCP, 50000, 22, EDGEFW_CTF_TCP_ESTABLISHED, true,
		   "the client's ACK confirmed the inbound connection");
	s = l4(C, H, IPPROTO_TCP, 50001, 23, 0x02);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "a SYN to a closed port (default drop)");
}

/* The filter slot of a flow (kern/ct_filter.h), at the index userspace
 * computes, through the map's mmap as ef_ct_filter_raise reaches it; NULL
 * when it cannot be mapped. */
static struct edgefw_ct_filter *filter_map;

static struct edgefw_ct_deadlines *filter_slot(struct dp *dp, const struct edgefw_ct_key *k)
{
	struct edgefw_ct4_key k4;
	void *m;

	if (!filter_map) {
		m = mmap(NULL, sizeof(*filter_map), PROT_READ | PROT_WRITE, MAP_SHARED,
			 dp->inst.maps.ct_filter, 0);
		filter_map = m == MAP_FAILED ? NULL : m;
	}
	if (!filter_map)
		return NULL;
	ef_ct_key4_of(k, &k4);
	return &filter_map->slot[k->family == 4 ? ef_ct_filter_slot(&k4, true)
						: ef_ct_filter_slot(k, false)];
}

/* The deadline a flow seen now with the floor's timeout needs. */
static uint32_t filter_want(uint64_t ahead_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(((uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec + ahead_ns +
			   (uint64_t)EDGEFW_CT_FILTER_FLOOR * NS) >>
			  EDGEFW_CT_FILTER_SHIFT);
}

/* A lookup is skipped when the flow's deadline for its table is past;
 * whoever writes a flow raises it first, the datapath and userspace at
 * the same slot: the unconfirmed half when the flow is recorded, the
 * confirmed half when it moves there and when its last_seen moves on. */
static void test_filter(struct dp *dp, const struct fam *f)
{
	const char *H = f->host, *R = f->remote;
	struct pkt_spec out = l4(H, R, IPPROTO_UDP, 41000, 53, 0),
			back = l4(R, H, IPPROTO_UDP, 53, 41000, 0);
	struct edgefw_ct_deadlines *slot;
	struct ef_ct_flow fl;
	uint32_t want = filter_want(0);
	bool ok;

	run_spec(dp, EDGEFW_HOOK_TC_EGRESS, &out, 0);
	ok = find_flow(dp, IPPROTO_UDP, 41000, 53, &fl);
	slot = ok ? filter_slot(dp, &fl.key) : NULL;
	tap(slot && slot->unconf >= want,
	    "conntrack: %s the datapath raised the new flow's unconfirmed deadline, at the slot userspace computes, past its timeout (%u, want >= %u)",
	    f->tag, slot ? slot->unconf : 0, want);
	if (!slot)
		return;
	slot->unconf = 0;
	expect(dp, EDGEFW_HOOK_XDP, &back, 0, DP_DROP,
	       "with the flow's unconfirmed deadline cleared (tests only), its reply skips the unconfirmed table");
	tap(find_flow(dp, IPPROTO_UDP, 41000, 53, &fl) && !fl.confirmed,
	    "conntrack: %s the skipped flow is still in the unconfirmed table", f->tag);
	ok = !ef_ct_update(&dp->inst, &fl.key, false, &fl.e, BPF_EXIST);
	tap(ok && slot->unconf >= want,
	    "conntrack: %s ef_ct_update raised the unconfirmed deadline of the flow it wrote (%u, want >= %u)",
	    f->tag, slot->unconf, want);
	expect(dp, EDGEFW_HOOK_XDP, &back, 0, DP_PASS, "so its reply finds it again");

	run_spec(dp, EDGEFW_HOOK_TC_EGRESS, &out, 0);
	check_flow(dp, IPPROTO_UDP, 41000, 53, EDGEFW_CTF_UDP, true,
		   "the query after the reply confirmed the flow");
	tap(slot->conf >= want,
	    "conntrack: %s the move raised the confirmed deadline (%u, want >= %u)", f->tag,
	    slot->conf, want);
	slot->conf = 0;
	expect(dp, EDGEFW_HOOK_XDP, &back, 0, DP_DROP,
	       "with the confirmed deadline cleared (tests only), the reply skips the confirmed table");
	/* Live but short, and the flow idle for 5 s: the reply refreshes
	 * last_seen, which must raise the deadline again. */
	slot->conf = want - (EDGEFW_CT_FILTER_FLOOR >> 1);
	if (find_flow(dp, IPPROTO_UDP, 41000, 53, &fl))
		age_flow(dp, &fl, 5);
	slot->conf = want - (EDGEFW_CT_FILTER_FLOOR >> 1);
	expect(dp, EDGEFW_HOOK_XDP, &back, 0, DP_PASS, "a reply within the short deadline");
	tap(slot->conf >= want,
	    "conntrack: %s the datapath raised the confirmed deadline with last_seen (%u, want >= %u)",
	    f->tag, slot->conf, want);

	/* Userspace writes CLOCK_MONOTONIC, ahead of the datapath's coarse
	 * clock by up to a tick: such a flow is fresh, not expired. */
	slot->conf = 0;
	ok = find_flow(dp, IPPROTO_UDP, 41000, 53, &fl);
	if (ok) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		fl.e.last_seen = (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec + 3000000;
		ok = !ef_ct_update(&dp->inst, &fl.key, true, &fl.e, BPF_EXIST);
	}
	tap(ok && slot->conf >= want,
	    "conntrack: %s ef_ct_update raised the confirmed deadline of the flow it wrote (%u, want >= %u)",
	    f->tag, slot->conf, want);
	expect(dp, EDGEFW_HOOK_XDP, &back, 0, DP_PASS,
	       "a flow whose last_seen is ahead of the coarse clock is established");
	tap(find_flow(dp, IPPROTO_UDP, 41000, 53, &fl), "conntrack: %s and stays in its table",
	    f->tag);
}

struct count_ctx {
	size_t confirmed, unconfirmed;
};

static int count_visit(const struct ef_ct_flow *fl, void *arg)
{
	struct count_ctx *x = arg;

	if (fl->confirmed)
		x->confirmed++;
	else
		x->unconfirmed++;
	return 0;
}

/* Spoofed SYNs to the tracked service, three times the unconfirmed
 * table's size: the confirmed connection stays and keeps passing. */
static void test_flood(struct dp *dp)
{
	struct ef_ct_counters c;
	struct count_ctx n = { 0 };
	struct pkt_spec s;
	struct ef_ct_flow fl;
	unsigned passed = 0, total;
	struct pkt p;

	if (ef_ct_read_counters(&dp->inst, &c) || !c.new_cap) {
		tap(false, "conntrack flood: read the table's capacity");
		return;
	}
	total = 3 * c.new_cap;
	s = l4("10.0.0.1", "192.0.2.10", IPPROTO_TCP, 1024, 22, 0x02);
	pkt_build(&p, &s);
	for (unsigned i = 0; i < total; i++) {
		/* Spoofed source address and port, one flow each. */
		p.data[p.l3 + 13] = (uint8_t)(i >> 16);
		p.data[p.l3 + 14] = (uint8_t)(i >> 8);
		p.data[p.l3 + 15] = (uint8_t)i;
		p.data[p.l4] = (uint8_t)(1 + (i >> 24));
		passed += dp_run(dp, EDGEFW_HOOK_XDP, &p) == DP_PASS;
	}
	tap(passed == total, "conntrack flood: %u spoofed SYNs to the service pass its rule (%u)",
	    total, passed);
	ef_ct_walk(&dp->inst, count_visit, &n);
	tap(n.unconfirmed <= c.new_cap && n.confirmed <= c.cap,
	    "conntrack flood: the tables hold at most their sizes (%zu of %u unconfirmed, %zu of %u confirmed)",
	    n.unconfirmed, c.new_cap, n.confirmed, c.cap);
	tap(find_flow(dp, IPPROTO_TCP, 50000, 22, &fl) && fl.confirmed,
	    "conntrack flood: the confirmed inbound connection is still in the table");
	s = l4("203.0.113.5", "192.0.2.10", IPPROTO_TCP, 50000, 22, 0x18);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS,
	       "v4 the confirmed connection's data during the flood");
}

/* Reloads keep the table; one without the service removes the flows it
 * had allowed; one that reads no state removes every flow. */
static void test_reload(struct dp *dp)
{
	struct ef_ct_flow fl;
	struct pkt_spec s;
	int ret;

	ret = dp_load_yaml(dp, ct_rules);
	tap(!ret, "conntrack: reload the same rules (%s)", ret ? dp->error : "ok");
	tap(find_flow(dp, IPPROTO_TCP, 50000, 22, &fl),
	    "conntrack: the inbound connection survives a reload");
	s = l4("203.0.113.5", "192.0.2.10", IPPROTO_TCP, 50000, 22, 0x18);
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_PASS, "v4 its data after the reload");
	ret = dp_load_yaml(dp, ct_rules_no_ssh);
	tap(!ret, "conntrack: reload without the ssh service (%s)", ret ? dp->error : "ok");
	tap(!find_flow(dp, IPPROTO_TCP, 50000, 22, &fl),
	    "conntrack: that reload removed the connection the service had allowed");
	expect(dp, EDGEFW_HOOK_XDP, &s, 0, DP_DROP, "v4 so its data is dropped");
	tap(find_flow(dp, IPPROTO_ICMP, 0x1234, 0x1234, &fl),
	    "conntrack: the host's own flows stay (tc-egress still passes them)");
	ret = dp_load_yaml(dp,
			   "version: 1\nrules:\n  - name: a\n    proto: tcp\n    action: pass\n");
	tap(!ret && !find_flow(dp, IPPROTO_ICMP, 0x1234, 0x1234, &fl),
	    "conntrack: a ruleset that reads no state removes every flow");
}

void dp_test_conntrack(struct dp *dp)
{
	int ret = dp_load_yaml(dp, ct_rules);

	tap(!ret, "conntrack: load the stateful rules (%s)", ret ? dp->error : "ok");
	if (ret)
		return;
	flush_all(dp);
	for (int i = 0; i < 2; i++) {
		cur_family = i ? 6 : 4;
		test_tcp(dp, &fams[i]);
		test_udp(dp, &fams[i]);
		test_icmp(dp, &fams[i]);
		test_ingress_track(dp, &fams[i]);
		test_filter(dp, &fams[i]);
	}
	cur_family = 4;
	test_flood(dp);
	test_reload(dp);
	flush_all(dp);
	if (filter_map)
		munmap(filter_map, sizeof(*filter_map));
	filter_map = NULL;
}
