// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Datapath tests: the real XDP program, run on crafted frames through
 * BPF_PROG_TEST_RUN against a real (uniquely named) instance, and compared
 * with the reference matcher. Prints TAP.
 *
 *   dptest [--seed N] [--rulesets N] [--packets N]
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "edgefw.h"
#include "edgefw.skel.h"
#include "instance.h"
#include "matcher.h"
#include "packets.h"
#include "ruleset.h"
#include "tables.h"

struct dp {
	struct ef_instance inst;
	struct edgefw_bpf *skel;
	int prog_fd;
	int ncpu;
	struct ef_ruleset rs;
	struct ef_compiled c;
	bool have_rules;
	__u32 slot_of[EDGEFW_MAX_RULES];
};

static int tap_n, tap_failed;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int dp_setup(struct dp *dp)
{
	char name[EF_INSTANCE_NAME_MAX];
	int ret;

	memset(dp, 0, sizeof(*dp));
	dp->ncpu = libbpf_num_possible_cpus();
	snprintf(name, sizeof(name), "t-dp-%d", (int)getpid());
	ret = ef_instance_open(name, EF_OPEN_CREATE, &dp->inst);
	if (ret)
		return ret;
	dp->skel = edgefw_bpf__open();
	if (!dp->skel)
		return -errno;
	ret = ef_instance_reuse_maps(&dp->inst, dp->skel->obj);
	if (!ret)
		ret = edgefw_bpf__load(dp->skel);
	if (ret)
		return ret;
	dp->prog_fd = bpf_program__fd(dp->skel->progs.edgefw_xdp);
	return 0;
}

static void dp_unload(struct dp *dp)
{
	if (dp->have_rules) {
		ef_compiled_free(&dp->c);
		ef_ruleset_free(&dp->rs);
		dp->have_rules = false;
	}
}

static void dp_teardown(struct dp *dp)
{
	dp_unload(dp);
	edgefw_bpf__destroy(dp->skel);
	ef_instance_destroy(&dp->inst);
}

/* Parses, compiles and switches to yaml; learns each rule's counter slot. */
static int dp_load(struct dp *dp, const char *yaml)
{
	struct edgefw_rule_meta *meta = NULL;
	struct ef_apply_summary sum;
	struct ef_diag d = {};
	int ret;

	dp_unload(dp);
	ret = ef_ruleset_parse("test.yaml", yaml, strlen(yaml), &dp->rs, &d);
	if (!ret) {
		ret = ef_compile(&dp->rs, &dp->c, &d);
		if (ret)
			ef_ruleset_free(&dp->rs);
	}
	if (ret) {
		ef_diag_print(&d, stdout);
		goto out;
	}
	dp->have_rules = true;
	ret = ef_tables_apply(&dp->inst, &dp->rs, &dp->c, &sum);
	if (ret)
		goto out;
	meta = calloc(EDGEFW_MAX_RULES, sizeof(*meta));
	ret = meta ? ef_instance_read_meta(&dp->inst, meta) : -ENOMEM;
	if (ret)
		goto out;
	for (size_t i = 0; i < dp->rs.n_rules; i++) {
		dp->slot_of[i] = EDGEFW_MAX_RULES;
		for (__u32 s = 0; s < EDGEFW_MAX_RULES; s++)
			if (!strcmp(meta[s].name, dp->rs.rules[i].name))
				dp->slot_of[i] = s;
	}
out:
	free(meta);
	ef_diag_free(&d);
	return ret;
}

static int dp_run(struct dp *dp, const struct pkt *p, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = p->data,
		    .data_size_in = (__u32)p->len,
		    .repeat = 1);
	int ret = bpf_prog_test_run_opts(dp->prog_fd, &opts);

	if (ret)
		return -errno;
	*retval = opts.retval;
	return 0;
}

static struct edgefw_counter dp_counter(struct dp *dp, int map_fd, __u32 idx)
{
	struct edgefw_counter sum = { 0 }, *buf = calloc((size_t)dp->ncpu, sizeof(*buf));

	if (buf && !bpf_map_lookup_elem(map_fd, &idx, buf)) {
		for (int c = 0; c < dp->ncpu; c++) {
			sum.packets += buf[c].packets;
			sum.bytes += buf[c].bytes;
		}
	}
	free(buf);
	return sum;
}

static struct edgefw_counter rule_counter(struct dp *dp, const char *name)
{
	struct edgefw_counter none = { 0 };

	for (size_t i = 0; i < dp->rs.n_rules; i++)
		if (!strcmp(dp->rs.rules[i].name, name))
			return dp_counter(dp, dp->inst.maps.rule_stats, dp->slot_of[i]);
	return none;
}

static struct edgefw_counter reason_counter(struct dp *dp, unsigned reason)
{
	return dp_counter(dp, dp->inst.maps.reason_stats, reason);
}

static void spec_addrs(struct pkt_spec *s, const char *src, const char *dst)
{
	uint8_t f1, f2;

	if (parse_addr(src, &f1, s->saddr) || parse_addr(dst, &f2, s->daddr) ||
	    f1 != f2) {
		fprintf(stderr, "bad test addresses %s %s\n", src, dst);
		exit(2);
	}
	s->family = f1;
}

/* Sends one frame from src to dst and checks the verdict. */
static void expect_ip(struct dp *dp, const char *desc, const char *src,
		      const char *dst, __u32 want)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .payload = 8 };
	struct pkt p;
	__u32 got = 0;
	int ret;

	spec_addrs(&s, src, dst);
	pkt_build(&p, &s);
	ret = dp_run(dp, &p, &got);
	tap(!ret && got == want, "%s: %s -> %s gives %u (want %u)%s", desc, src,
	    dst, got, want, ret ? " [test run failed]" : "");
}

static const char *const demo_rules =
	"version: 1\n"
	"defaults:\n"
	"  xdp: pass\n"
	"rules:\n"
	"  - name: drop-v4\n"
	"    src: 10.200.1.64/28\n"
	"    action: drop\n"
	"  - name: pass-inner\n"
	"    src: 10.200.1.66\n"
	"    dst: 10.200.2.2\n"
	"    action: pass\n"
	"  - name: drop-v6\n"
	"    src: fd00:200:1::40/124\n"
	"    action: drop\n"
	"  - name: drop-dst\n"
	"    dst: [10.200.9.0/24, 2001:db8:9::/48]\n"
	"    action: drop\n"
	"  - name: to-lo\n"
	"    src: 10.77.0.0/16\n"
	"    action: redirect\n"
	"    to: lo\n";

static void test_basic(struct dp *dp)
{
	struct edgefw_counter before, after;
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .payload = 8 };
	struct pkt p;
	__u32 rv;

	tap(dp_load(dp, demo_rules) == 0, "demo ruleset loads");

	expect_ip(dp, "allowed v4", "10.200.1.2", "10.200.2.2", XDP_PASS);
	expect_ip(dp, "blocked v4 source", "10.200.1.66", "10.200.2.2", XDP_DROP);
	expect_ip(dp, "blocked v4, prefix end", "10.200.1.79", "10.200.2.2", XDP_DROP);
	expect_ip(dp, "just past the prefix", "10.200.1.80", "10.200.2.2", XDP_PASS);
	expect_ip(dp, "allowed v6", "fd00:200:1::2", "fd00:200:2::2", XDP_PASS);
	expect_ip(dp, "blocked v6 source", "fd00:200:1::42", "fd00:200:2::2", XDP_DROP);
	expect_ip(dp, "blocked v4 destination", "10.200.1.2", "10.200.9.1", XDP_DROP);
	expect_ip(dp, "blocked v6 destination", "fd00:200:1::2", "2001:db8:9::1", XDP_DROP);
	expect_ip(dp, "v4 destination list is per family", "10.200.1.2", "10.200.8.1", XDP_PASS);
	expect_ip(dp, "redirect", "10.77.1.1", "10.200.2.2", XDP_REDIRECT);

	/* Counters: packets and whole-frame bytes of the matching rule. */
	before = rule_counter(dp, "drop-v4");
	spec_addrs(&s, "10.200.1.65", "10.200.2.2");
	pkt_build(&p, &s);
	for (int i = 0; i < 5; i++)
		dp_run(dp, &p, &rv);
	after = rule_counter(dp, "drop-v4");
	tap(after.packets - before.packets == 5 &&
	    after.bytes - before.bytes == 5 * p.len,
	    "rule counter counts 5 packets of %zu bytes (got %llu, %llu bytes)",
	    p.len, (unsigned long long)(after.packets - before.packets),
	    (unsigned long long)(after.bytes - before.bytes));

	/* ARP and neighbour discovery pass by policy, even from a blocked
	 * source, and are counted by reason. */
	before = reason_counter(dp, EDGEFW_REASON_NON_IP);
	pkt_build_arp(&p);
	tap(!dp_run(dp, &p, &rv) && rv == XDP_PASS, "ARP passes");
	after = reason_counter(dp, EDGEFW_REASON_NON_IP);
	tap(after.packets - before.packets == 1, "ARP counted as non_ip");

	memset(&s, 0, sizeof(s));
	spec_addrs(&s, "fd00:200:1::42", "ff02::1:ff00:1");
	s.l4proto = IPPROTO_ICMPV6;
	s.icmp6_type = 135;
	s.payload = 24;
	pkt_build(&p, &s);
	before = reason_counter(dp, EDGEFW_REASON_ND);
	tap(!dp_run(dp, &p, &rv) && rv == XDP_PASS,
	    "neighbour solicitation from a blocked source passes");
	after = reason_counter(dp, EDGEFW_REASON_ND);
	tap(after.packets - before.packets == 1, "ND counted as nd");
	s.icmp6_type = 128; /* echo request is not ND */
	pkt_build(&p, &s);
	tap(!dp_run(dp, &p, &rv) && rv == XDP_DROP,
	    "echo request from a blocked v6 source is dropped");
}

static void test_vlan(struct dp *dp)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .payload = 8 };
	struct pkt p;
	__u32 rv = 0;

	spec_addrs(&s, "10.200.1.66", "10.200.2.2");
	s.n_vlan = 1;
	s.vlan[0] = 100;
	pkt_build(&p, &s);
	tap(!dp_run(dp, &p, &rv) && rv == XDP_DROP, "802.1Q tagged blocked source dropped");
	s.n_vlan = 2;
	s.vlan[1] = 200;
	s.outer_tpid = 0x88a8;
	pkt_build(&p, &s);
	tap(!dp_run(dp, &p, &rv) && rv == XDP_DROP, "QinQ tagged blocked source dropped");
	spec_addrs(&s, "10.200.1.2", "10.200.2.2");
	pkt_build(&p, &s);
	tap(!dp_run(dp, &p, &rv) && rv == XDP_PASS, "QinQ tagged allowed source passes");
}

static void test_malformed(struct dp *dp)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .payload = 8 };
	struct edgefw_counter before, after;
	struct pkt p;
	size_t l3;
	__u32 rv = 0;

	spec_addrs(&s, "10.200.1.2", "10.200.2.2");
	before = reason_counter(dp, EDGEFW_REASON_MALFORMED_L3);
	for (int ihl = 0; ihl < 5; ihl++) {
		l3 = pkt_build(&p, &s);
		p.data[l3] = (uint8_t)(0x40 | ihl);
		tap(!dp_run(dp, &p, &rv) && rv == XDP_DROP,
		    "IPv4 ihl %d is malformed and dropped", ihl);
	}
	l3 = pkt_build(&p, &s);
	p.data[l3 + 2] = 0x05; /* total length 1280 > frame */
	tap(!dp_run(dp, &p, &rv) && rv == XDP_DROP,
	    "IPv4 total length past the frame is dropped");
	after = reason_counter(dp, EDGEFW_REASON_MALFORMED_L3);
	tap(after.packets - before.packets == 6, "malformed frames counted (%llu)",
	    (unsigned long long)(after.packets - before.packets));

	/* Truncated at every byte of the VLAN tag and of the IP header. */
	s.n_vlan = 1;
	s.vlan[0] = 7;
	l3 = pkt_build(&p, &s);
	for (size_t cut = 14; cut < l3 + 20; cut++) {
		struct pkt q = p;

		q.len = cut;
		if (dp_run(dp, &q, &rv) || rv != XDP_DROP) {
			tap(false, "frame truncated at byte %zu is dropped (got %u)",
			    cut, rv);
			return;
		}
	}
	tap(true, "frames truncated at every byte of the VLAN and IPv4 headers are dropped");
}

static void test_defaults_and_switch(struct dp *dp)
{
	struct edgefw_counter c1, c2;

	tap(dp_load(dp, "version: 1\n"
			"defaults: {xdp: drop}\n"
			"rules:\n"
			"  - {name: drop-v4, src: 10.200.1.64/28, action: drop}\n"
			"  - {name: allow-client, src: 10.200.1.0/24, action: pass}\n") == 0,
	    "default-drop ruleset loads");
	expect_ip(dp, "default drop", "192.0.2.1", "10.200.2.2", XDP_DROP);
	expect_ip(dp, "pass rule over default drop", "10.200.1.2", "10.200.2.2", XDP_PASS);
	expect_ip(dp, "first match wins (drop before pass)", "10.200.1.66",
		  "10.200.2.2", XDP_DROP);
	c1 = rule_counter(dp, "drop-v4");

	/* Switch: the rule named drop-v4 keeps its counter, the verdicts of
	 * the new ruleset apply at once. */
	tap(dp_load(dp, "version: 1\n"
			"rules:\n"
			"  - {name: drop-v4, src: 10.200.1.64/28, action: pass}\n") == 0,
	    "second ruleset loads");
	c2 = rule_counter(dp, "drop-v4");
	tap(c1.packets > 0 && c1.packets == c2.packets,
	    "counter of a rule kept by name survives the reload (%llu == %llu)",
	    (unsigned long long)c1.packets, (unsigned long long)c2.packets);
	expect_ip(dp, "new verdict after the switch", "10.200.1.66", "10.200.2.2",
		  XDP_PASS);
	expect_ip(dp, "new default after the switch", "192.0.2.1", "10.200.2.2",
		  XDP_PASS);

	tap(dp_load(dp, "version: 1\nrules: []\n") == 0, "empty ruleset loads");
	expect_ip(dp, "empty ruleset passes everything", "10.200.1.66",
		  "10.200.2.2", XDP_PASS);
}

/* --- differential test against the reference matcher --- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* A few anchors per family so that random prefixes nest and overlap. */
static uint8_t anchors[2][4][16];

static void random_addr(uint8_t family, uint8_t addr[16])
{
	unsigned bytes = family == 4 ? 4 : 16;
	unsigned keep = rnd_below(bytes * 8 + 1);

	memcpy(addr, anchors[family == 6][rnd_below(4)], 16);
	for (unsigned b = keep; b < bytes * 8; b++) {
		if (rnd() & 1)
			addr[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
	}
	if (family == 4)
		memset(addr + 4, 0, 12);
}

static int format_prefix(char *buf, size_t len, uint8_t family,
			 const uint8_t addr[16], unsigned plen)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t masked[16];

	memcpy(masked, addr, 16);
	for (unsigned b = plen; b < (family == 4 ? 32u : 128u); b++)
		masked[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	inet_ntop(family == 4 ? AF_INET : AF_INET6, masked, a, sizeof(a));
	return snprintf(buf, len, "\"%s/%u\"", a, plen);
}

static size_t random_field(char *buf, size_t len)
{
	size_t used = 0;
	unsigned n = 1 + rnd_below(3);

	used += (size_t)snprintf(buf + used, len - used, "[");
	for (unsigned i = 0; i < n; i++) {
		uint8_t family = (rnd_below(3) == 0) ? 6 : 4;
		uint8_t addr[16];
		unsigned plen;

		random_addr(family, addr);
		plen = family == 4 ? rnd_below(33) : rnd_below(129);
		if (rnd_below(4) == 0)
			plen = family == 4 ? 32 : 128;
		used += (size_t)snprintf(buf + used, len - used, "%s", i ? ", " : "");
		used += (size_t)format_prefix(buf + used, len - used, family, addr, plen);
	}
	used += (size_t)snprintf(buf + used, len - used, "]");
	return used;
}

static char *random_ruleset(unsigned max_rules)
{
	size_t cap = 64 * 1024, used = 0;
	char *y = malloc(cap);
	unsigned n = 1 + rnd_below(max_rules);

	if (!y)
		return NULL;
	used += (size_t)snprintf(y + used, cap - used,
				 "version: 1\ndefaults: {xdp: %s}\nrules:\n",
				 rnd_below(2) ? "drop" : "pass");
	for (unsigned i = 0; i < n && cap - used > 1024; i++) {
		used += (size_t)snprintf(y + used, cap - used,
					 "  - name: r%u\n    action: %s\n", i,
					 rnd_below(2) ? "drop" : "pass");
		if (rnd_below(4)) {
			used += (size_t)snprintf(y + used, cap - used, "    src: ");
			used += random_field(y + used, cap - used);
			used += (size_t)snprintf(y + used, cap - used, "\n");
		}
		if (rnd_below(3) == 0) {
			used += (size_t)snprintf(y + used, cap - used, "    dst: ");
			used += random_field(y + used, cap - used);
			used += (size_t)snprintf(y + used, cap - used, "\n");
		}
	}
	return y;
}

static void test_differential(struct dp *dp, uint64_t seed, unsigned rulesets,
			      unsigned packets)
{
	unsigned bad_rulesets = 0, mismatches = 0;
	uint64_t total = 0;

	rng_state = seed ? seed : 1;
	for (int f = 0; f < 2; f++)
		for (int a = 0; a < 4; a++)
			for (int b = 0; b < 16; b++)
				anchors[f][a][b] = (uint8_t)rnd();

	for (unsigned r = 0; r < rulesets; r++) {
		uint64_t *expect_hits = NULL, *base = NULL;
		uint64_t expect_default = 0, base_default;
		char *yaml = random_ruleset(20);
		bool bad = false;

		if (!yaml || dp_load(dp, yaml)) {
			diag("ruleset %u failed to load:\n%s", r, yaml ? yaml : "(oom)");
			free(yaml);
			bad_rulesets++;
			continue;
		}
		expect_hits = calloc(dp->rs.n_rules + 1, sizeof(*expect_hits));
		base = calloc(dp->rs.n_rules + 1, sizeof(*base));
		if (!expect_hits || !base)
			goto next;
		for (size_t i = 0; i < dp->rs.n_rules; i++)
			base[i] = dp_counter(dp, dp->inst.maps.rule_stats,
					     dp->slot_of[i]).packets;
		base_default = dp_counter(dp, dp->inst.maps.default_stats,
					  EDGEFW_HOOK_XDP).packets;

		for (unsigned i = 0; i < packets; i++) {
			struct pkt_spec s = { .l4proto = IPPROTO_UDP, .payload = 8 };
			struct ef_packet ep = {};
			struct pkt p;
			__u32 rv = 0, want;
			int m;

			s.family = rnd_below(3) == 0 ? 6 : 4;
			random_addr(s.family, s.saddr);
			random_addr(s.family, s.daddr);
			pkt_build(&p, &s);
			ep.family = s.family == 4 ? EF_AF_INET : EF_AF_INET6;
			memcpy(ep.saddr, s.saddr, 16);
			memcpy(ep.daddr, s.daddr, 16);
			m = ef_match(&dp->rs, &ep);
			if (m >= 0) {
				want = dp->rs.rules[m].action == EDGEFW_ACT_DROP ?
					       XDP_DROP : XDP_PASS;
				expect_hits[m]++;
			} else {
				want = dp->rs.default_action[EDGEFW_HOOK_XDP] ==
						       EDGEFW_ACT_DROP ?
					       XDP_DROP : XDP_PASS;
				expect_default++;
			}
			if (dp_run(dp, &p, &rv) || rv != want) {
				if (mismatches++ < 5) {
					char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];

					inet_ntop(s.family == 4 ? AF_INET : AF_INET6, s.saddr, sa, sizeof(sa));
					inet_ntop(s.family == 4 ? AF_INET : AF_INET6, s.daddr, da, sizeof(da));
					diag("ruleset %u packet %s -> %s: BPF %u, reference rule %d wants %u",
					     r, sa, da, rv, m, want);
				}
				bad = true;
			}
			total++;
		}
		/* The rule that matched, not just the verdict: every counter
		 * moved by exactly the reference matcher's count. */
		for (size_t i = 0; i < dp->rs.n_rules; i++) {
			uint64_t got = dp_counter(dp, dp->inst.maps.rule_stats,
						  dp->slot_of[i]).packets - base[i];

			if (got != expect_hits[i]) {
				diag("ruleset %u rule %s: counted %llu, reference %llu",
				     r, dp->rs.rules[i].name, (unsigned long long)got,
				     (unsigned long long)expect_hits[i]);
				bad = true;
			}
		}
		if (dp_counter(dp, dp->inst.maps.default_stats, EDGEFW_HOOK_XDP).packets -
		    base_default != expect_default) {
			diag("ruleset %u: default counter differs from the reference", r);
			bad = true;
		}
		if (bad && bad_rulesets < 2)
			diag("ruleset %u (seed %llu):\n%s", r,
			     (unsigned long long)seed, yaml);
next:
		bad_rulesets += bad;
		free(expect_hits);
		free(base);
		free(yaml);
	}
	tap(bad_rulesets == 0,
	    "differential: %u random rulesets x %u packets (seed %llu) agree with the reference matcher, verdicts and counters (%llu packets, %u mismatches)",
	    rulesets, packets, (unsigned long long)seed,
	    (unsigned long long)total, mismatches);
}

int main(int argc, char **argv)
{
	uint64_t seed = 0x5eed;
	unsigned rulesets = 200, packets = 1000;
	struct dp dp;
	int ret;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rulesets"))
			rulesets = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--packets"))
			packets = (unsigned)strtoul(argv[i + 1], NULL, 0);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("ok 1 # SKIP datapath tests need root (BPF_PROG_TEST_RUN)\n");
		return 0;
	}
	ret = dp_setup(&dp);
	tap(ret == 0, "load the XDP program against a fresh instance (%s)",
	    ret ? strerror(-ret) : "ok");
	if (ret) {
		dp_teardown(&dp);
		return 1;
	}
	test_basic(&dp);
	test_vlan(&dp);
	test_malformed(&dp);
	test_defaults_and_switch(&dp);
	test_differential(&dp, seed, rulesets, packets);
	dp_teardown(&dp);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
