// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * e2eprep: what the end-to-end benchmark (scripts/bench_e2e.sh) needs
 * besides edgefw itself and the generator.
 *
 *   e2eprep scenario --prefixes N --rules M --yaml OUT --flows OUT [-n FLOWS]
 *       The micro benchmark's generated scenario (scengen.c: a FireHOL-shaped
 *       blocklist of N prefixes, M service rules after it, default drop) as
 *       an edgefw ruleset, and FLOWS flows (default 4096) for `trafficgen
 *       --flows` that every receiver drops: half from the blocklist, half to
 *       services of dropping rules whose (protocol, port) the first rule
 *       naming it also drops (so the naive classifier, which takes the
 *       lowest rule any one field finds, drops them too).
 *
 *   e2eprep attach --dev IF --prog bench_xdp_drop|bench_parse_drop|bench_naive
 *                  [--rules YAML [--partial]]
 *       Loads kern/bench.bpf.c's programs and attaches one to IF (native
 *       XDP, netlink: it stays attached after this exits, until `ip link set
 *       dev IF xdp off`); for bench_naive, fills its maps from the ruleset
 *       (--partial: ClassBench's wide port ranges left out, naive.h).
 *       Prints "prog_id ID".
 *
 *   e2eprep xdpfilter --flows FILE
 *       Fills the xdp-filter loaded on this host (`xdp-filter load`) with
 *       the flows' source addresses as exact denies.
 *
 *   e2eprep stats-hold
 *       Turns on the kernel's BPF run-time statistics (run_time_ns and
 *       run_cnt of every program) until it is killed: BPF_ENABLE_STATS,
 *       which counts its holders, so that concurrent runs do not turn it
 *       off under each other, as writing kernel.bpf_stats_enabled would.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.skel.h"
#include "diag.h"
#include "naive.h"
#include "ruleset.h"
#include "scengen.h"
#include "xdpfilter.h"

#define MAX_FLOWS 65536

static void usage(void)
{
	fprintf(stderr,
		"usage: e2eprep scenario --prefixes N --rules M --yaml OUT --flows OUT [-n FLOWS]\n"
		"       e2eprep attach --dev IF --prog NAME [--rules YAML [--partial]]\n"
		"       e2eprep xdpfilter --flows FILE\n"
		"       e2eprep stats-hold\n");
	exit(2);
}

static unsigned long num(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "e2eprep: bad %s '%s' (0..%lu)\n", what, s, max);
		exit(2);
	}
	return v;
}

static const char *addr4(const uint8_t *a, char *buf)
{
	return inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
}

static void write_yaml(FILE *f, const struct ef_ruleset *rs)
{
	const struct ef_addr_field *bl = &rs->rules[0].src;
	char a[INET_ADDRSTRLEN];

	fprintf(f,
		"# The micro benchmark's scenario: %zu prefixes, %zu service rules\n"
		"version: 1\n"
		"defaults: {xdp: drop, tc-ingress: drop, tc-egress: drop}\n"
		"sets:\n  blocklist:\n    addresses:\n",
		bl->n, rs->n_rules - 1);
	for (size_t i = 0; i < bl->n; i++)
		fprintf(f, "      - %s/%u\n", addr4(bl->v[i].addr, a), bl->v[i].len);
	fprintf(f, "rules:\n  - {name: r0, src: $blocklist, action: drop}\n");
	for (size_t i = 1; i < rs->n_rules; i++) {
		const struct ef_rule *r = &rs->rules[i];

		fprintf(f, "  - {name: %s, dst: %s/32, proto: %s, dport: %u, action: %s}\n",
			r->name, addr4(r->dst.v->addr, a),
			ef_rule_has_proto(r, IPPROTO_TCP) ? "tcp" : "udp", r->dport.v->lo,
			r->action == EDGEFW_ACT_PASS ? "pass" : "drop");
	}
}

/* Rule i's service (protocol, port) is first named by a dropping rule. */
static int first_for_service_drops(const struct ef_ruleset *rs, size_t i)
{
	const struct ef_rule *r = &rs->rules[i];
	bool tcp = ef_rule_has_proto(r, IPPROTO_TCP);

	for (size_t j = 1; j < i; j++) {
		const struct ef_rule *q = &rs->rules[j];

		if (q->dport.v->lo == r->dport.v->lo && ef_rule_has_proto(q, IPPROTO_TCP) == tcp)
			return q->action == EDGEFW_ACT_DROP;
	}
	return r->action == EDGEFW_ACT_DROP;
}

static int write_flows(FILE *f, const struct ef_ruleset *rs, size_t n)
{
	const struct ef_addr_field *bl = &rs->rules[0].src;
	size_t *svc = xcalloc(rs->n_rules, sizeof(*svc)), n_svc = 0;
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	for (size_t i = 1; i < rs->n_rules; i++)
		if (rs->rules[i].action == EDGEFW_ACT_DROP && first_for_service_drops(rs, i))
			svc[n_svc++] = i;
	for (size_t i = 0; i < n; i++) {
		uint8_t sa[16], da[16];
		struct ef_prefix p;
		unsigned proto = IPPROTO_TCP, dport = 443;

		random_prefix(EF_AF_INET, &p);
		host_in(&p, sa);
		random_prefix(EF_AF_INET, &p);
		host_in(&p, da);
		if (i % 2 == 0 || !n_svc) {
			host_in(&bl->v[rnd() % bl->n], sa);
		} else {
			const struct ef_rule *r = &rs->rules[svc[rnd() % n_svc]];

			memcpy(da, r->dst.v->addr, 4);
			dport = r->dport.v->lo;
			proto = ef_rule_has_proto(r, IPPROTO_TCP) ? IPPROTO_TCP : IPPROTO_UDP;
		}
		fprintf(f, "%u %s %s 40000 %u\n", proto, addr4(sa, s), addr4(da, d), dport);
	}
	free(svc);
	return 0;
}

static int write_file(const char *path, const struct ef_ruleset *rs, size_t n_flows)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f) {
		fprintf(stderr, "e2eprep: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (n_flows)
		write_flows(f, rs, n_flows);
	else
		write_yaml(f, rs);
	ret = fclose(f);
	if (ret)
		fprintf(stderr, "e2eprep: writing %s: %s\n", path, strerror(errno));
	return ret ? 1 : 0;
}

static int cmd_scenario(int argc, char **argv)
{
	static const struct option opts[] = { { "prefixes", required_argument, NULL, 'p' },
					      { "rules", required_argument, NULL, 'r' },
					      { "yaml", required_argument, NULL, 'y' },
					      { "flows", required_argument, NULL, 'f' },
					      { 0 } };
	struct scenario sc = { .name = "e2e", .family = EF_AF_INET, .prefixes = 1000 };
	const char *yaml = NULL, *flows = NULL;
	size_t n_flows = 4096;
	struct ef_prefix_list block;
	struct ef_ruleset rs;
	int c, ret;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			sc.prefixes = num(optarg, "--prefixes", 1u << 20);
			break;
		case 'r':
			sc.rules = num(optarg, "--rules", 60000);
			break;
		case 'y':
			yaml = optarg;
			break;
		case 'f':
			flows = optarg;
			break;
		case 'n':
			n_flows = num(optarg, "-n", MAX_FLOWS);
			break;
		default:
			usage();
		}
	}
	if (!yaml || !flows || !sc.prefixes || !n_flows)
		usage();
	ret = build_ruleset(&sc, &rs, &block);
	if (ret) {
		fprintf(stderr, "e2eprep: building the scenario: %s\n", strerror(-ret));
		return 1;
	}
	ret = write_file(yaml, &rs, 0) || write_file(flows, &rs, n_flows);
	free_ruleset(&rs, &block);
	return ret;
}

static int fill_naive(struct bench_bpf *skel, const char *rules, bool partial)
{
	struct ef_diag d = {};
	struct ef_ruleset rs = {};
	size_t entries, skipped = 0;
	int ret = ef_ruleset_load(rules, &rs, &d);

	if (ret) {
		ef_diag_print(&d, stderr);
		ef_diag_free(&d);
		fprintf(stderr, "e2eprep: %s does not load: fix it or regenerate it\n", rules);
		return ret;
	}
	ef_diag_free(&d);
	ret = partial ? naive_load_partial(skel, &rs, &entries, &skipped)
		      : naive_load(skel, &rs, &entries);
	if (ret)
		fprintf(stderr, "e2eprep: filling the naive classifier from %s: %s\n", rules,
			strerror(-ret));
	else
		fprintf(stderr,
			"e2eprep: naive classifier: %zu entries, %zu port ranges left out\n",
			entries, skipped);
	ef_ruleset_free(&rs);
	return ret;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = { { "dev", required_argument, NULL, 'd' },
					      { "prog", required_argument, NULL, 'p' },
					      { "rules", required_argument, NULL, 'r' },
					      { "partial", no_argument, NULL, 'P' },
					      { 0 } };
	const char *dev = NULL, *name = NULL, *rules = NULL;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_program *prog;
	struct bench_bpf *skel;
	bool partial = false;
	unsigned ifindex;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'p':
			name = optarg;
			break;
		case 'r':
			rules = optarg;
			break;
		case 'P':
			partial = true;
			break;
		default:
			usage();
		}
	}
	if (!dev || !name || (!strcmp(name, "bench_naive") != !!rules))
		usage();
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "e2eprep: no interface '%s' here\n", dev);
		return 1;
	}
	skel = bench_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "e2eprep: loading kern/bench.bpf.c: %s\n", strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(skel->obj, name);
	ret = prog ? 0 : -ENOENT;
	if (!ret && rules)
		ret = fill_naive(skel, rules, partial);
	if (!ret) {
		ret = bpf_xdp_attach((int)ifindex, bpf_program__fd(prog),
				     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (ret)
			fprintf(stderr,
				"e2eprep: attaching %s to %s: %s (something attached already?)\n",
				name, dev, strerror(-ret));
	} else if (ret == -ENOENT) {
		fprintf(stderr, "e2eprep: no program %s in kern/bench.bpf.c\n", name);
	}
	if (!ret && !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		printf("prog_id %u\n", info.id);
	bench_bpf__destroy(skel);
	return ret ? 1 : 0;
}

static int cmd_xdpfilter(int argc, char **argv)
{
	static uint32_t src[MAX_FLOWS];
	char line[256], s[64];
	struct xdpfilter_counts n;
	size_t n_src = 0;
	FILE *f;
	int ret;

	if (argc != 3 || strcmp(argv[1], "--flows"))
		usage();
	f = fopen(argv[2], "r");
	if (!f) {
		fprintf(stderr, "e2eprep: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	while (n_src < MAX_FLOWS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %63s", s) == 1 && inet_pton(AF_INET, s, &src[n_src]) == 1)
			n_src++;
	fclose(f);
	ret = xdpfilter_open();
	if (!ret)
		ret = xdpfilter_deny_sources(src, n_src, &n);
	if (ret) {
		fprintf(stderr, "e2eprep: filling xdp-filter's maps: %s (is it loaded?)\n",
			strerror(-ret));
		return 1;
	}
	fprintf(stderr, "e2eprep: xdp-filter denies %zu source addresses\n", n.addrs);
	return 0;
}

static int cmd_stats_hold(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		fprintf(stderr, "e2eprep: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	printf("holding\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	optind = 2;
	if (!strcmp(argv[1], "scenario"))
		return cmd_scenario(argc, argv);
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc, argv);
	if (!strcmp(argv[1], "stats-hold") && argc == 2)
		return cmd_stats_hold();
	if (!strcmp(argv[1], "xdpfilter"))
		return cmd_xdpfilter(argc - 1, argv + 1);
	usage();
	return 2;
}
