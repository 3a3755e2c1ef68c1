// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Hand-written datapath cases: each match field and action, on the XDP
 * program and both tc programs, counters, defaults and ruleset switches. */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"

static const char *const hook_label[EDGEFW_HOOK_COUNT] = { "xdp", "tc-ingress", "tc-egress" };
static const char *const verdict_label[] = { "pass", "drop", "redirect", "error" };

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);
void spec_addrs(struct pkt_spec *s, const char *src, const char *dst)
{
	uint8_t f1, f2;

	if (parse_addr(src, &f1, s->saddr) || parse_addr(dst, &f2, s->daddr) || f1 != f2) {
		fprintf(stderr, "bad test addresses %s %s\n", src, dst);
		return;
	}
	s->family = f1;
}

/* Checks the verdict of one frame on every hook in hooks (a bitmask). */
static void expect(struct dp *dp, unsigned hooks, const char *desc, const struct pkt_spec *s,
		   enum dp_verdict want)
{
	struct pkt p;

	pkt_build(&p, s);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		enum dp_verdict got;

		if (!(hooks & (1u << h)))
			continue;
		got = dp_run(dp, h, &p);
		tap(got == want, "%s: %s (%s, want %s)", hook_label[h], desc, verdict_label[got],
		    verdict_label[want]);
	}
}

static struct pkt_spec udp(const char *src, const char *dst, uint16_t dport)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .sport = 40000, .dport = dport, .payload = 8 };

	spec_addrs(&s, src, dst);
	return s;
}

static struct pkt_spec tcp(const char *src, const char *dst, uint16_t dport, uint8_t flags)
{
	struct pkt_spec s = {
		.l4proto = IPPROTO_TCP, .sport = 40000, .dport = dport, .tcp_flags = flags
	};

	spec_addrs(&s, src, dst);
	return s;
}

static struct pkt_spec icmp(const char *src, const char *dst, uint8_t type)
{
	struct pkt_spec s = { .icmp_type = type, .payload = 8 };

	spec_addrs(&s, src, dst);
	s.l4proto = s.family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	return s;
}

#define ALL ((1u << EDGEFW_HOOK_COUNT) - 1)

static const char *const addr_rules = "version: 1\n"
				      "defaults: {xdp: pass, tc-ingress: pass, tc-egress: pass}\n"
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
				      "    dst: [10.200.9.0/24, \"2001:db8:9::/48\"]\n"
				      "    action: drop\n"
				      "  - name: to-lo\n"
				      "    src: 10.77.0.0/16\n"
				      "    action: redirect\n"
				      "    to: lo\n";

static void test_addresses(struct dp *dp)
{
	struct edgefw_counter before, after;
	struct pkt_spec s;
	struct pkt p;

	tap(dp_load_yaml(dp, addr_rules) == 0, "address ruleset loads");
	s = udp("10.200.1.2", "10.200.2.2", 53);
	expect(dp, ALL, "allowed v4", &s, DP_PASS);
	s = udp("10.200.1.66", "10.200.2.2", 53);
	expect(dp, ALL, "blocked v4 source (first match wins over a later pass)", &s, DP_DROP);
	s = udp("10.200.1.79", "10.200.2.2", 53);
	expect(dp, 1, "blocked v4, last address of the prefix", &s, DP_DROP);
	s = udp("10.200.1.80", "10.200.2.2", 53);
	expect(dp, 1, "just past the prefix", &s, DP_PASS);
	s = udp("fd00:200:1::2", "fd00:200:2::2", 53);
	expect(dp, ALL, "allowed v6", &s, DP_PASS);
	s = udp("fd00:200:1::42", "fd00:200:2::2", 53);
	expect(dp, ALL, "blocked v6 source", &s, DP_DROP);
	s = udp("10.200.1.2", "10.200.9.1", 53);
	expect(dp, 1, "blocked v4 destination", &s, DP_DROP);
	s = udp("fd00:200:1::2", "2001:db8:9::1", 53);
	expect(dp, 1, "blocked v6 destination", &s, DP_DROP);
	s = udp("10.200.1.2", "10.200.8.1", 53);
	expect(dp, 1, "a v4 destination outside the list", &s, DP_PASS);
	s = udp("10.77.1.1", "10.200.2.2", 53);
	expect(dp, ALL, "redirect", &s, DP_REDIRECT);

	/* Counters: packets and whole-frame bytes of the matching rule. */
	before = dp_rule_counter(dp, "drop-v4");
	s = udp("10.200.1.65", "10.200.2.2", 53);
	pkt_build(&p, &s);
	for (int i = 0; i < 5; i++)
		dp_run(dp, EDGEFW_HOOK_XDP, &p);
	after = dp_rule_counter(dp, "drop-v4");
	tap(after.packets - before.packets == 5 && after.bytes - before.bytes == 5 * p.len,
	    "rule counter counts 5 packets of %zu bytes (got %llu, %llu bytes)", p.len,
	    (unsigned long long)(after.packets - before.packets),
	    (unsigned long long)(after.bytes - before.bytes));

	/* ARP and neighbour discovery pass by policy, even from a blocked
	 * source, and are counted by reason. */
	before = dp_reason_counter(dp, EDGEFW_REASON_NON_IP);
	pkt_build_arp(&p);
	tap(dp_run(dp, EDGEFW_HOOK_XDP, &p) == DP_PASS, "ARP passes");
	after = dp_reason_counter(dp, EDGEFW_REASON_NON_IP);
	tap(after.packets - before.packets == 1, "ARP counted as non_ip");

	s = icmp("fd00:200:1::42", "ff02::1:ff00:1", 135);
	before = dp_reason_counter(dp, EDGEFW_REASON_ND);
	expect(dp, ALL, "neighbour solicitation from a blocked source", &s, DP_PASS);
	after = dp_reason_counter(dp, EDGEFW_REASON_ND);
	tap(after.packets - before.packets == 3, "ND counted as nd on each hook");
	s = icmp("fd00:200:1::42", "fd00:200:2::2", 128);
	expect(dp, ALL, "echo request from a blocked v6 source", &s, DP_DROP);
}

static const char *const field_rules =
	"version: 1\n"
	"defaults: {xdp: pass, tc-ingress: pass, tc-egress: drop}\n"
	"rules:\n"
	"  - {name: syn-only, proto: tcp, dport: 22, tcp-flags: [syn, \"!ack\"], action: drop}\n"
	"  - {name: ssh, proto: tcp, dport: 22, action: pass}\n"
	"  - {name: dns, proto: [udp, tcp], dport: 53, action: pass, hooks: [tc-egress]}\n"
	"  - {name: web-range, proto: tcp, dport: 8000-8080, action: drop}\n"
	"  - {name: not-low, proto: udp, sport: {not: 0-1023}, dport: 9999, action: drop}\n"
	"  - {name: echo4, proto: icmp, icmp-type: echo-request, action: drop}\n"
	"  - {name: echo6, proto: icmpv6, icmp-type: echo-request, action: drop}\n"
	"  - {name: vlan10, vlan: 10, action: drop}\n"
	"  - {name: untagged-gre, proto: gre, vlan: none, action: drop}\n"
	"  - {name: later-frags, fragment: later, action: drop}\n"
	"  - {name: egress-lo, interfaces: [\"l?\"], hooks: tc-egress, proto: udp, dport: 7, action: drop}\n"
	"  - {name: egress-eth, interfaces: [\"eth*\"], hooks: tc-egress, proto: udp, dport: 8, action: pass}\n"
	"  - {name: egress-all, hooks: tc-egress, proto: udp, action: pass}\n";

static void test_fields(struct dp *dp)
{
	struct pkt_spec s;

	tap(dp_load_yaml(dp, field_rules) == 0, "multi-field ruleset loads");
	s = tcp("192.0.2.1", "198.51.100.1", 22, 0x02);
	expect(dp, 3, "SYN without ACK to 22", &s, DP_DROP);
	s = tcp("192.0.2.1", "198.51.100.1", 22, 0x12);
	expect(dp, 3, "SYN+ACK to 22 passes the flags rule", &s, DP_PASS);
	s = tcp("192.0.2.1", "198.51.100.1", 8000, 0x10);
	expect(dp, 3, "port range start", &s, DP_DROP);
	s = tcp("192.0.2.1", "198.51.100.1", 8080, 0x10);
	expect(dp, 3, "port range end", &s, DP_DROP);
	s = tcp("192.0.2.1", "198.51.100.1", 8081, 0x10);
	expect(dp, 3, "past the port range", &s, DP_PASS);
	s = udp("192.0.2.1", "198.51.100.1", 8000);
	expect(dp, 3, "UDP to a TCP port range", &s, DP_PASS);
	s = udp("192.0.2.1", "198.51.100.1", 9999);
	expect(dp, 3, "negated source port range (40000)", &s, DP_DROP);
	s.sport = 1000;
	expect(dp, 3, "negated source port range (1000)", &s, DP_PASS);
	s = udp("192.0.2.1", "198.51.100.1", 53);
	expect(dp, 1u << EDGEFW_HOOK_TC_EGRESS, "hooks: rule only on tc-egress", &s, DP_PASS);
	s = tcp("192.0.2.1", "198.51.100.1", 54, 0x10);
	expect(dp, 1u << EDGEFW_HOOK_TC_EGRESS, "tc-egress default drop", &s, DP_DROP);
	s = udp("192.0.2.1", "198.51.100.1", 7);
	expect(dp, 1u << EDGEFW_HOOK_TC_EGRESS, "interfaces glob l? matches lo", &s, DP_DROP);
	s = udp("192.0.2.1", "198.51.100.1", 8);
	expect(dp, 1u << EDGEFW_HOOK_TC_EGRESS, "interfaces eth* does not match lo: next rule", &s,
	       DP_PASS);
	s = icmp("192.0.2.1", "198.51.100.1", 8);
	expect(dp, ALL, "ICMP echo request", &s, DP_DROP);
	s = icmp("192.0.2.1", "198.51.100.1", 0);
	expect(dp, 3, "ICMP echo reply", &s, DP_PASS);
	s = icmp("2001:db8::1", "2001:db8::2", 128);
	expect(dp, ALL, "ICMPv6 echo request", &s, DP_DROP);
	s = icmp("2001:db8::1", "2001:db8::2", 8);
	expect(dp, 3, "ICMPv6 type 8 is not ICMP echo request", &s, DP_PASS);
	s = udp("192.0.2.1", "198.51.100.1", 1);
	s.n_vlan = 1;
	s.vlan[0] = 10;
	expect(dp, 3, "VLAN 10", &s, DP_DROP);
	s.vlan[0] = 11;
	expect(dp, 3, "VLAN 11", &s, DP_PASS);
	s.n_vlan = 2;
	s.outer_tpid = 0x88a8;
	s.vlan[0] = 10;
	s.vlan[1] = 11;
	expect(dp, 3, "QinQ matches the inner tag (outer 10, inner 11)", &s, DP_PASS);
	s.vlan[1] = 10;
	s.vlan[0] = 99;
	expect(dp, 3, "QinQ inner tag 10", &s, DP_DROP);
	s = udp("192.0.2.1", "198.51.100.1", 1);
	s.l4proto = 47;
	expect(dp, 3, "untagged GRE", &s, DP_DROP);
	s.n_vlan = 1;
	s.vlan[0] = 5;
	expect(dp, 3, "tagged GRE", &s, DP_PASS);
}

static void test_defaults_and_switch(struct dp *dp)
{
	struct edgefw_counter c1, c2;
	struct pkt_spec s;

	tap(dp_load_yaml(dp, "version: 1\n"
			     "defaults: {xdp: drop}\n"
			     "rules:\n"
			     "  - {name: drop-v4, src: 10.200.1.64/28, action: drop}\n"
			     "  - {name: allow-client, src: 10.200.1.0/24, action: pass}\n") == 0,
	    "default-drop ruleset loads");
	s = udp("192.0.2.1", "10.200.2.2", 1);
	expect(dp, 1, "default drop", &s, DP_DROP);
	s = udp("10.200.1.2", "10.200.2.2", 1);
	expect(dp, 1, "pass rule over default drop", &s, DP_PASS);
	s = udp("10.200.1.66", "10.200.2.2", 1);
	expect(dp, 1, "first match wins (drop before pass)", &s, DP_DROP);
	c1 = dp_rule_counter(dp, "drop-v4");

	/* The rule named drop-v4 keeps its counter; the new ruleset's verdicts
	 * apply at once. */
	tap(dp_load_yaml(dp, "version: 1\n"
			     "rules:\n"
			     "  - {name: drop-v4, src: 10.200.1.64/28, action: pass}\n") == 0,
	    "second ruleset loads");
	c2 = dp_rule_counter(dp, "drop-v4");
	tap(c1.packets > 0 && c1.packets == c2.packets,
	    "counter of a rule kept by name survives the reload (%llu == %llu)",
	    (unsigned long long)c1.packets, (unsigned long long)c2.packets);
	s = udp("10.200.1.66", "10.200.2.2", 1);
	expect(dp, 1, "new verdict after the switch", &s, DP_PASS);
	s = udp("192.0.2.1", "10.200.2.2", 1);
	expect(dp, 1, "new default after the switch", &s, DP_PASS);

	tap(dp_load_yaml(dp, "version: 1\nrules: []\n") == 0, "empty ruleset loads");
	s = udp("10.200.1.66", "10.200.2.2", 1);
	expect(dp, ALL, "empty ruleset passes everything", &s, DP_PASS);
	tap(dp_load_yaml(dp, "version: 1\ndefaults: {xdp: drop}\n"
			     "rules: [{name: all, action: pass}]\n") == 0,
	    "catch-all ruleset loads");
	expect(dp, 1, "a rule without fields matches everything", &s, DP_PASS);
}

void dp_test_cases(struct dp *dp)
{
	test_addresses(dp);
	test_fields(dp);
	test_defaults_and_switch(dp);
}

/* A global-data map of another size (another edgefw's .bss, whose
 * programs read other offsets) is refused by name, then taken back. */
static void stale_global(const char *name)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	struct ef_instance inst;
	char pin[PATH_MAX];
	int small, held, ret;

	snprintf(pin, sizeof(pin), "%s/%s/data_bss", EF_PIN_ROOT, name);
	held = bpf_obj_get(pin);
	small = bpf_map_create(BPF_MAP_TYPE_ARRAY, "efw_small", 4, 4096, 1, &opts);
	tap(held >= 0 && small >= 0 && !unlink(pin) && !bpf_obj_pin(small, pin),
	    "data_bss replaced by a 4 KiB map");
	ret = ef_instance_open(name, 0, &inst);
	tap(ret == -EPROTO, "a data_bss of another size is refused (%d)", ret);
	if (!ret)
		ef_instance_close(&inst);
	tap(held >= 0 && !unlink(pin) && !bpf_obj_pin(held, pin), "data_bss pinned again");
	if (held >= 0)
		close(held);
	if (small >= 0)
		close(small);
}

/* Pins left by another layout version are refused, not reused. */
void dp_test_stale_pins(void)
{
	struct edgefw_instance_info info;
	struct ef_instance inst;
	char name[EF_INSTANCE_NAME_MAX];
	char pin[PATH_MAX];
	int held;
	__u32 zero = 0;
	int ret;

	snprintf(name, sizeof(name), "t-lv-%d", (int)getpid());
	ret = ef_instance_open(name, EF_OPEN_CREATE, &inst);
	tap(ret == 0, "a new instance is created");
	if (ret)
		return;
	bpf_map_lookup_elem(inst.maps.instance_info, &zero, &info);
	info.layout_version = EDGEFW_LAYOUT_VERSION + 1;
	bpf_map_update_elem(inst.maps.instance_info, &zero, &info, BPF_ANY);
	ef_instance_close(&inst);

	ret = ef_instance_open(name, EF_OPEN_CREATE, &inst);
	tap(ret == -EPROTO, "pins of another layout version are refused (%d)", ret);
	if (!ret)
		ef_instance_close(&inst);

	/* An older layout lacks maps of this one (layout 20: data_active):
	 * its version is the cause given, not a missing pin. */
	snprintf(pin, sizeof(pin), "%s/%s/data_active", EF_PIN_ROOT, name);
	held = bpf_obj_get(pin);
	tap(held >= 0 && !unlink(pin), "data_active unpinned, held open");
	ret = ef_instance_open(name, 0, &inst);
	tap(ret == -EPROTO, "another layout with a pin missing is refused for its layout (%d)",
	    ret);
	if (!ret)
		ef_instance_close(&inst);

	/* Put the version back so the instance can be removed. */
	{
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "%s/%s/instance_info", EF_PIN_ROOT, name);
		fd = bpf_obj_get(path);
		info.layout_version = EDGEFW_LAYOUT_VERSION;
		if (fd >= 0) {
			bpf_map_update_elem(fd, &zero, &info, BPF_ANY);
			close(fd);
		}
	}
	ret = ef_instance_open(name, 0, &inst);
	tap(ret == -EUCLEAN, "this layout with a pin missing is incomplete (%d)", ret);
	if (!ret)
		ef_instance_close(&inst);
	tap(held >= 0 && !bpf_obj_pin(held, pin), "data_active pinned again");
	if (held >= 0)
		close(held);
	stale_global(name);
	ret = ef_instance_open(name, 0, &inst);
	tap(ret == 0 && ef_instance_destroy(&inst) == 0,
	    "and accepted again once the version matches");
}
