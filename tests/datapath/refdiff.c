// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The packet parser against the reference parser (tests/lib/refparse.c),
 * without libFuzzer: the packet fuzz target's seed corpus (and the
 * regression cases kept there) on every hook, then random frames of every
 * shape the datapath reads (tags, PPPoE, MPLS, fragments, extension
 * headers), half of them damaged (cut short, bytes changed, length fields
 * rewritten). Verdicts and counters must be the reference's (refcheck.c).
 * Reproducible from --seed.
 */
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "refcheck.h"
#include "refparse.h"

/* Mismatches printed in full; the rest are counted. */
#define MAX_REPORTS 3

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64*, as diff.c: the same frames from a seed everywhere. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

#define PICK(a) ((a)[below(sizeof(a) / sizeof((a)[0]))])

/* Addresses the check's ruleset names, and others. */
static void random_addr(uint8_t family, uint8_t addr[16])
{
	static const char *const v4[] = { "10.66.1.1",    "192.0.2.3", "192.0.2.99", "198.51.100.7",
					  "203.0.113.80", "8.8.8.8",   "172.16.0.1", "10.1.2.3" };
	static const char *const v6[] = { "2001:db8:66::1", "2001:db8::dead", "2001:db8:77:1::9",
					  "2001:db8:a::5",  "2001:db8:e::1",  "2001:db8::2",
					  "2a00::1",        "fd00::1" };
	uint8_t fam;

	if (chance(15)) {
		for (int i = 0; i < 16; i++)
			addr[i] = (uint8_t)(family == 4 && i >= 4 ? 0 : rnd());
		return;
	}
	parse_addr(family == 4 ? PICK(v4) : PICK(v6), &fam, addr);
}

static void random_spec(struct pkt_spec *s)
{
	static const uint8_t protos[] = { 6, 6, 17, 17, 132, 1, 58, 47, 4, 50, 59, 255 };
	static const uint16_t ports[] = { 22, 53, 80, 443, 1023, 1024, 5000, 40000 };
	static const uint8_t icmp[] = { 0, 3, 8, 11, 13, 128, 129, 133, 135, 137 };
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100, 0x9200, 0x9300 };
	static const uint16_t vids[] = { 0, 5, 100, 300, 4095 };
	static const uint16_t ppp[] = { 0,      0,      0,      0x0021, 0x0057,
					0x0281, 0xc021, 0x8021, 0x002f, 0x003d };

	memset(s, 0, sizeof(*s));
	s->family = chance(40) ? 6 : 4;
	random_addr(s->family, s->saddr);
	random_addr(s->family, s->daddr);
	s->l4proto = PICK(protos);
	s->sport = chance(80) ? PICK(ports) : (uint16_t)rnd();
	s->dport = chance(80) ? PICK(ports) : (uint16_t)rnd();
	s->icmp_type = chance(90) ? PICK(icmp) : (uint8_t)rnd();
	s->icmp_code = (uint8_t)below(4);
	s->tcp_flags = (uint8_t)rnd();
	s->payload = below(48);
	s->n_vlan = chance(50) ? 0 : 1 + (int)below(5);
	for (int i = 0; i < s->n_vlan; i++) {
		s->tpid[i] = PICK(tpids);
		s->vlan[i] = chance(80) ? PICK(vids) : (uint16_t)below(4096);
	}
	s->pppoe = chance(15);
	s->ppp_proto = s->pppoe ? PICK(ppp) : 0;
	s->n_mpls = chance(15) ? 1 + (int)below(5) : 0;
	s->mpls_cw = s->n_mpls && chance(10);
	s->frag = chance(70) ? 0 : (uint8_t)(1 + below(2));
	s->n_ext = s->family == 6 && chance(30) ? (int)below(10) : 0;
}

/* Damage of one kind: cut, changed bytes, a rewritten length field. */
static void damage(struct pkt *p)
{
	switch (below(4)) {
	case 0:
		p->len = below((unsigned)p->len + 1);
		break;
	case 1:
		for (unsigned n = 1 + below(4); n; n--)
			p->data[below((unsigned)p->len)] ^= (uint8_t)(1 + below(255));
		break;
	case 2: { /* the IP length: small, large or off by a little */
		size_t at = p->l3 + (p->data[p->l3] >> 4 == 6 ? 4 : 2);
		unsigned v = chance(50) ? below(80) : (unsigned)rnd() & 0xffff;

		if (at + 2 <= p->len) {
			p->data[at] = (uint8_t)(v >> 8);
			p->data[at + 1] = (uint8_t)v;
		}
		break;
	}
	default: /* one byte of the headers */
		if (p->l4 + 20 <= p->len)
			p->data[below((unsigned)(p->l4 + 20))] = (uint8_t)rnd();
		break;
	}
}

/* Where mismatch reports go once MAX_REPORTS were printed. */
static FILE *quiet;

/* The frame on XDP and both tc programs; false (reported) on a mismatch. */
static bool check_all_hooks(struct dp_ref *r, const uint8_t *f, size_t len, bool gso,
			    unsigned *reports)
{
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		FILE *out = *reports < MAX_REPORTS || !quiet ? stdout : quiet;

		if (!dp_ref_check(r, h, f, len, gso, out)) {
			++*reports;
			return false;
		}
	}
	return true;
}

/* Every seed (and regression case) of the packet fuzz target. */
static void corpus_frames(struct dp_ref *r, const char *dir)
{
	unsigned files = 0, bad = 0, reports = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d) {
		tap(false, "reference check: read the packet corpus %s", dir);
		return;
	}
	while ((e = readdir(d))) {
		static uint8_t buf[1 << 16];
		char path[512];
		size_t n;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f) {
			bad++;
			continue;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		files++;
		if (n < 1)
			continue;
		if (!check_all_hooks(r, buf + 1, n - 1, buf[0] & 2, &reports)) {
			diag("corpus file %s", path);
			bad++;
		}
	}
	closedir(d);
	tap(bad == 0 && files > 0,
	    "reference check: %u frames of %s on xdp, tc-ingress and tc-egress agree with the reference parser (%u disagree)",
	    files, dir, bad);
}

void dp_test_refparse(struct dp *dp, uint64_t seed, unsigned frames, const char *corpus)
{
	unsigned bad = 0, reports = 0;
	struct dp_ref r;

	quiet = fopen("/dev/null", "w");
	if (dp_ref_init(&r, dp)) {
		tap(false, "reference check: load the ruleset");
		dp_ref_free(&r);
		if (quiet)
			fclose(quiet);
		quiet = NULL;
		return;
	}
	corpus_frames(&r, corpus);
	rng = seed ? seed : 1;
	for (unsigned i = 0; i < frames; i++) {
		struct pkt_spec s;
		struct pkt p;

		random_spec(&s);
		pkt_build(&p, &s);
		if (chance(50))
			damage(&p);
		if (!check_all_hooks(&r, p.data, p.len, chance(25), &reports))
			bad++;
	}
	tap(bad == 0,
	    "reference check: %u random frames (seed %llu), half damaged, on all three hooks: verdicts and counters agree with the reference parser (%u disagree; %lu runs, %lu not taken by the test run)",
	    frames, (unsigned long long)seed, bad, r.runs, r.skipped);
	diag("outcomes: ip %lu, non_ip %lu, nd %lu, malformed l2/l3/ext/l4 %lu/%lu/%lu/%lu, ext_overflow %lu, encap_overflow %lu",
	     r.by_outcome[REF_IP], r.by_outcome[REF_NON_IP], r.by_outcome[REF_ND],
	     r.by_outcome[REF_MALFORMED_L2], r.by_outcome[REF_MALFORMED_L3],
	     r.by_outcome[REF_MALFORMED_EXT], r.by_outcome[REF_MALFORMED_L4],
	     r.by_outcome[REF_EXT_OVERFLOW], r.by_outcome[REF_ENCAP_OVERFLOW]);
	dp_ref_free(&r);
	if (quiet)
		fclose(quiet);
	quiet = NULL;
}
