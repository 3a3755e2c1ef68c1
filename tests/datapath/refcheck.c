// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A frame through one hook, judged against the reference parser and
 * matcher (see refcheck.h). Every counter a decision can move is read
 * before and after the run: the rules' slots, default_stats and every
 * reason, so a frame counted twice or in the wrong place is caught as
 * surely as a wrong verdict.
 */
#include "refcheck.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "rule_rows.h"
#include "refparse.h"

const char *const dp_ref_rules =
	"version: 1\n"
	"defaults:\n"
	"  xdp: drop\n"
	"  tc-ingress: pass\n"
	"  tc-egress: drop\n"
	"  non-ip: pass\n"
	"  malformed: drop\n"
	"  fragments: rules\n"
	"  encap-overflow: drop\n"
	"  ipv6-ext-overflow: drop\n"
	"rules:\n"
	"  - {name: blocked-v4, src: 10.66.0.0/16, action: drop}\n"
	"  - {name: blocked-v6, src: \"2001:db8:66::/48\", action: drop}\n"
	"  - {name: host-v6, dst: \"2001:db8::dead\", action: drop}\n"
	"  - {name: lab-v6-64, src: \"2001:db8:77:1::/64\", action: pass}\n"
	"  - {name: dns, proto: udp, dport: 53, action: drop}\n"
	"  - {name: ssh-admins, src: [192.0.2.0/28, \"2001:db8:a::/48\"],\n"
	"     proto: tcp, dport: 22, action: pass}\n"
	"  - {name: ssh-others, proto: tcp, dport: 22, action: drop}\n"
	"  - {name: web-new, proto: tcp, dport: [80, 443],\n"
	"     tcp-flags: [syn, \"!ack\"], action: pass}\n"
	"  - {name: web-reset, proto: tcp, dport: [80, 443], tcp-flags: rst,\n"
	"     action: drop}\n"
	"  - {name: sctp-high, proto: sctp, sport: 1024-65535,\n"
	"     dport: {not: [0-1023]}, action: pass}\n"
	"  - {name: ping, proto: icmp, icmp-type: echo-request, action: pass}\n"
	"  - {name: port-unreach, proto: icmp, icmp-type: destination-unreachable,\n"
	"     icmp-code: port-unreachable, action: drop}\n"
	"  - {name: ping6, proto: icmpv6, icmp-type: echo-request, action: pass}\n"
	"  - {name: vlan-300, vlan: 300, action: drop}\n"
	"  - {name: untagged-tunnels, vlan: none, proto: [gre, 4, esp], action: drop}\n"
	"  - {name: later-frags, fragment: later, dst: 198.51.100.0/24, action: drop}\n"
	"  - {name: first-frags-udp, fragment: first, proto: udp, action: pass}\n"
	"  - {name: egress-docs, hooks: tc-egress,\n"
	"     dst: [203.0.113.0/24, \"2001:db8:e::/48\"], action: pass}\n"
	"  - {name: public-udp, src: {not: [10.0.0.0/8, 172.16.0.0/12,\n"
	"     192.168.0.0/16, \"fc00::/7\"]}, proto: udp, dport: 1024-65535,\n"
	"     action: pass}\n"
	"  - {name: to-lab, dst: [198.51.100.0/24, \"2001:db8::/32\"], action: pass}\n";

/* Counter index: rules (in ruleset order), then default_stats per hook,
 * then reason_stats, then the test programs' row of iface_stats (test runs
 * come in on lo, which has no attachment: the spare row, one counter per
 * final action). */
static size_t idx_default(const struct dp_ref *r, uint32_t hook)
{
	return r->dp->rs.n_rules + hook;
}

static size_t idx_reason(const struct dp_ref *r, unsigned reason)
{
	return r->dp->rs.n_rules + EDGEFW_HOOK_COUNT + reason;
}

static size_t idx_iface(const struct dp_ref *r, unsigned action)
{
	return r->dp->rs.n_rules + EDGEFW_HOOK_COUNT + EDGEFW_REASON_COUNT + action;
}

static int read_one(struct dp_ref *r, int fd, uint32_t key, struct edgefw_counter *buf,
		    struct edgefw_counter *out)
{
	if (bpf_map_lookup_elem(fd, &key, buf))
		return -errno;
	out->packets = out->bytes = 0;
	for (int c = 0; c < r->dp->ncpu; c++) {
		out->packets += buf[c].packets;
		out->bytes += buf[c].bytes;
	}
	return 0;
}

static int read_all(struct dp_ref *r, struct edgefw_counter *out)
{
	struct dp *dp = r->dp;
	struct edgefw_counter buf[dp->ncpu];
	int ret = 0;

	for (size_t i = 0; i < dp->rs.n_rules && !ret; i++)
		ret = ef_rule_rows_slot(dp->inst.maps.rule_stats, dp->slot_of[i], &out[i]);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT && !ret; h++)
		out[idx_default(r, h)] = dp_default_counter(dp, h);
	for (unsigned k = 0; k < EDGEFW_REASON_COUNT && !ret; k++)
		out[idx_reason(r, k)] = dp_reason_counter(dp, k);
	for (unsigned a = 0; a < EDGEFW_ACT_COUNT && !ret; a++)
		ret = read_one(r, dp->inst.maps.iface_stats,
			       EDGEFW_IFSLOT_SPARE * EDGEFW_ACT_COUNT + a, buf,
			       &out[idx_iface(r, a)]);
	return ret;
}

/* Whether a test run of the hook's program takes a frame of len bytes
 * (zeros after the EtherType). */
static bool runs_at(struct dp *dp, uint32_t hook, size_t len, uint16_t ethertype)
{
	static uint8_t frame[1 << 16];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = 1);

	frame[12] = (uint8_t)(ethertype >> 8);
	frame[13] = (uint8_t)ethertype;
	return !bpf_prog_test_run_opts(dp->prog_fd[hook], &opts);
}

static const uint16_t probe_types[3] = { 0x0000, 0x0800, 0x86dd };

/* Which kind of min_len applies to the frame. */
static int length_kind(const uint8_t *f, size_t len)
{
	unsigned type = len >= 14 ? (unsigned)f[12] << 8 | f[13] : 0;

	return type == 0x0800 ? 1 : type == 0x86dd ? 2 : 0;
}

/* The kernel refuses test runs below an Ethernet header, at tc also an
 * IPv4 or IPv6 frame shorter than its IP header, and at tc frames over a
 * page: found here rather than assumed. */
static int find_lengths(struct dp_ref *r)
{
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		size_t lo = 0, hi = 1 << 16;

		for (int k = 0; k < 3; k++) {
			lo = 0;
			while (lo < 128 && !runs_at(r->dp, h, lo, probe_types[k]))
				lo++;
			if (lo == 128)
				return -EIO;
			r->min_len[h][k] = lo;
		}
		lo = r->min_len[h][0];
		if (runs_at(r->dp, h, hi, 0)) {
			r->max_len[h] = hi;
			continue;
		}
		/* runs at lo, not at hi */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			*(runs_at(r->dp, h, mid, 0) ? &lo : &hi) = mid;
		}
		r->max_len[h] = lo;
	}
	return 0;
}

int dp_ref_init(struct dp_ref *r, struct dp *dp)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->dp = dp;
	ret = dp_load_yaml(dp, dp_ref_rules);
	if (ret) {
		printf("# the reference check's ruleset does not load: %s\n", strerror(-ret));
		return ret;
	}
	r->n_counters = dp->rs.n_rules + EDGEFW_HOOK_COUNT + EDGEFW_REASON_COUNT + EDGEFW_ACT_COUNT;
	r->now = calloc(r->n_counters, sizeof(*r->now));
	if (!r->now)
		return -ENOMEM;
	ret = find_lengths(r);
	if (ret) {
		printf("# no frame length below 128 bytes runs in a test run\n");
		return ret;
	}
	ret = read_all(r, r->now);
	if (ret)
		printf("# cannot read the counters: %s\n", strerror(-ret));
	return ret;
}

void dp_ref_free(struct dp_ref *r)
{
	free(r->now);
	r->now = NULL;
}

/* "rule:NAME", "default:HOOK" or "reason:NAME" for counter i. */
static void counter_name(const struct dp_ref *r, size_t i, char *buf, size_t len)
{
	size_t n_rules = r->dp->rs.n_rules;

	if (i < n_rules)
		snprintf(buf, len, "rule:%s", r->dp->rs.rules[i].name);
	else if (i < n_rules + EDGEFW_HOOK_COUNT)
		snprintf(buf, len, "default:%s", dp_hook_name((uint32_t)(i - n_rules)));
	else if (i < n_rules + EDGEFW_HOOK_COUNT + EDGEFW_REASON_COUNT)
		snprintf(buf, len, "reason:%s",
			 ef_reason_name((unsigned)(i - n_rules - EDGEFW_HOOK_COUNT)));
	else
		snprintf(buf, len, "iface:%s",
			 ef_action_name(
				 (uint8_t)(i - n_rules - EDGEFW_HOOK_COUNT - EDGEFW_REASON_COUNT)));
}

/* Marks in want[] the counters the decision moves: where it was decided,
 * and the attachment's counter of the final action. */
static void expected_counters(const struct dp_ref *r, const struct ref_decision *d, uint32_t hook,
			      bool *want)
{
	memset(want, 0, r->n_counters * sizeof(*want));
	want[idx_iface(r, d->action)] = true;
	switch (d->by) {
	case REF_BY_RULE:
		want[d->rule] = true;
		break;
	case REF_BY_DEFAULT:
		want[idx_default(r, hook)] = true;
		want[idx_reason(r, d->reason)] = true;
		break;
	default:
		want[idx_reason(r, d->reason)] = true;
		break;
	}
}

static void hexdump(FILE *out, const uint8_t *f, size_t len)
{
	size_t shown = len > 2048 ? 2048 : len;

	for (size_t off = 0; off < shown; off += 16) {
		fprintf(out, "#   %04zx ", off);
		for (size_t i = off; i < off + 16 && i < shown; i++)
			fprintf(out, " %02x", f[i]);
		fprintf(out, "\n");
	}
	if (shown < len)
		fprintf(out, "#   ... %zu more bytes\n", len - shown);
}

/* The counters that moved between before and after, as text. */
static void moved(const struct dp_ref *r, const struct edgefw_counter *before,
		  const struct edgefw_counter *after, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n_counters && n < len; i++) {
		char name[96];

		if (after[i].packets == before[i].packets && after[i].bytes == before[i].bytes)
			continue;
		counter_name(r, i, name, sizeof(name));
		n += (size_t)snprintf(buf + n, len - n, "%s%s +%llu packets +%llu bytes",
				      n ? ", " : "", name,
				      (unsigned long long)(after[i].packets - before[i].packets),
				      (unsigned long long)(after[i].bytes - before[i].bytes));
	}
	if (!buf[0])
		snprintf(buf, len, "nothing");
}

static const char *action_verdict(uint8_t action)
{
	return action == EDGEFW_ACT_DROP       ? "drop"
	       : action == EDGEFW_ACT_REDIRECT ? "redirect"
					       : "pass";
}

static void report_mismatch(const struct dp_ref *r, FILE *out, uint32_t hook, bool gso,
			    const uint8_t *f, size_t len, const struct ref_parse *p,
			    const struct ref_decision *d, enum dp_verdict got,
			    const struct edgefw_counter *after)
{
	char parsed[256], buf[1024], name[96];
	bool want[r->n_counters];

	ref_parse_format(p, parsed, sizeof(parsed));
	expected_counters(r, d, hook, want);
	buf[0] = '\0';
	for (size_t i = 0, n = 0; i < r->n_counters; i++) {
		if (!want[i])
			continue;
		counter_name(r, i, name, sizeof(name));
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s +1 packet +%zu bytes",
				      n ? ", " : "", name, len);
	}
	fprintf(out, "# datapath and reference disagree on %s%s, frame of %zu bytes:\n",
		dp_hook_name(hook), gso ? " (GSO skb)" : "", len);
	hexdump(out, f, len);
	fprintf(out, "# reference: %s\n", parsed);
	fprintf(out, "#   verdict %s, counted %s\n", action_verdict(d->action), buf);
	moved(r, r->now, after, buf, sizeof(buf));
	fprintf(out, "# datapath:\n#   verdict %s, counted %s\n", dp_verdict_name(got), buf);
}

/* Each counter moved as want[] says: one packet and the frame's bytes
 * (all of them, also for a multi-buffer XDP frame decided within its first
 * buffer), or not at all. */
static bool counters_agree(const struct dp_ref *r, const bool *want,
			   const struct edgefw_counter *after, size_t len)
{
	for (size_t i = 0; i < r->n_counters; i++) {
		uint64_t dpk = after[i].packets - r->now[i].packets;
		uint64_t dby = after[i].bytes - r->now[i].bytes;

		if (dpk != (want[i] ? 1 : 0) || dby != (want[i] ? len : 0))
			return false;
	}
	return true;
}

bool dp_ref_check(struct dp_ref *r, uint32_t hook, const uint8_t *frame, size_t len, bool gso,
		  FILE *report)
{
	struct ref_frame rf = { .data = frame, .len = len, .gso = gso && hook != EDGEFW_HOOK_XDP };
	struct __sk_buff skb = { .gso_size = 1448, .gso_segs = 8 };
	struct edgefw_counter after[r->n_counters];
	bool want[r->n_counters], ok;
	struct ref_decision d;
	struct ref_parse p;
	enum dp_verdict got, expect;
	int ret;

	if (len < r->min_len[hook][length_kind(frame, len)] || len > r->max_len[hook]) {
		r->skipped++;
		return true;
	}
	ref_parse_frame(&rf, &p);
	d = ref_decide(&r->dp->rs, &p, hook, DP_IFNAME);
	expect = d.action == EDGEFW_ACT_DROP       ? DP_DROP
		 : d.action == EDGEFW_ACT_REDIRECT ? DP_REDIRECT
						   : DP_PASS;
	got = dp_run_raw(r->dp, hook, frame, len, rf.gso ? &skb : NULL);
	ret = read_all(r, after);
	if (ret) {
		fprintf(report, "# cannot read the counters: %s\n", strerror(-ret));
		return false;
	}
	expected_counters(r, &d, hook, want);
	ok = got == expect && counters_agree(r, want, after, len);
	if (!ok)
		report_mismatch(r, report, hook, rf.gso, frame, len, &p, &d, got, after);
	memcpy(r->now, after, sizeof(after));
	r->runs++;
	r->by_outcome[p.outcome % 16]++;
	return ok;
}
