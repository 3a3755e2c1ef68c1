// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trafficgen: the end-to-end benchmark's packet source
 * (scripts/bench_e2e.sh). It sends minimal IPv4/UDP frames out of one
 * interface for a bounded time, as fast as the kernel can, with the source
 * address varying per frame over a range of prefixes.
 *
 * How: BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (kernel >= 5.18)
 * on kern/trafficgen.bpf.c. The kernel builds frames from our template in a
 * page pool, runs the program on each (it rewrites the source address) and,
 * since it returns XDP_TX, redirects each frame out of ctx_in's
 * ingress_ifindex through the driver's ndo_xdp_xmit. No socket, no skb, no
 * qdisc: on a veth that reaches the peer's receive ring directly, which is
 * what lets one core outrun a receiver that does any work per packet.
 *
 *   trafficgen --dev IF --dst-mac MAC --dst ADDR --src-base ADDR
 *              [--prefixes N] [--prefix-step N] [--hosts N]
 *              [--seconds S] [--batch N] [--dport PORT] [--flows FILE]
 *
 * --flows FILE: frames cycle through the flows of FILE instead, one a line,
 * "PROTO SRC DST SPORT DPORT" (what `classbench flows` prints; more columns
 * are ignored): addresses, protocol and ports each, TCP frames as SYNs.
 *
 * Prints one line: "frames N seconds S pps P".
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "trafficgen.h"
#include "trafficgen.skel.h"

/* 60 bytes: the shortest Ethernet frame without FCS. */
#define FRAME_LEN 60
/* Runs per BPF_PROG_TEST_RUN call: short enough (tens of ms at a few Mpps)
 * that the time bound is kept to within a call, long enough that the
 * syscall cost does not show. */
#define REPEAT_PER_CALL (1u << 17)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: trafficgen --dev IF --dst-mac MAC --dst ADDR --src-base ADDR\n"
		"                  [--prefixes N] [--prefix-step N] [--hosts N]\n"
		"                  [--seconds S] [--batch N] [--dport PORT] [--flows FILE]\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long parse_num(const char *s, const char *what,
			       unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "trafficgen: bad %s '%s' (%lu..%lu)\n", what, s,
			min, max);
		exit(2);
	}
	return v;
}

static int if_mac(const char *ifname, unsigned char mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : 0;
	close(fd);
	if (!ret)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return ret;
}

static void build_frame(unsigned char *f, const unsigned char *dmac,
			const unsigned char *smac, struct in_addr dst,
			uint16_t dport)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	memset(f, 0, FRAME_LEN);
	memcpy(eth->h_dest, dmac, ETH_ALEN);
	memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(FRAME_LEN - sizeof(*eth));
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->daddr = dst.s_addr;
	/* saddr and check are written per frame by the BPF program. */
	udp->source = htons(40000);
	udp->dest = htons(dport);
	udp->len = htons(FRAME_LEN - sizeof(*eth) - sizeof(*ip));
	memcpy(udp + 1, "edgefw-bench-e2e", 16);
}

/* Reads FILE's flows. Returns how many, or -1 with the reason printed. */
static long read_flows(const char *path, struct trafficgen_flow *v)
{
	char line[256], src[64], dst[64];
	unsigned proto, sport, dport;
	long n = 0, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "trafficgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct in_addr s, d;

		lineno++;
		if (n == TRAFFICGEN_MAX_FLOWS ||
		    sscanf(line, "%u %63s %63s %u %u", &proto, src, dst, &sport, &dport) != 5 ||
		    proto > 255 || sport > 65535 || dport > 65535 ||
		    inet_pton(AF_INET, src, &s) != 1 || inet_pton(AF_INET, dst, &d) != 1) {
			fprintf(stderr, "trafficgen: %s:%ld: not \"PROTO SRC DST SPORT DPORT\" (IPv4, at most %d flows)\n",
				path, lineno, TRAFFICGEN_MAX_FLOWS);
			fclose(f);
			return -1;
		}
		v[n++] = (struct trafficgen_flow){ .src = s.s_addr, .dst = d.s_addr,
						   .sport = htons((uint16_t)sport),
						   .dport = htons((uint16_t)dport),
						   .proto = (uint8_t)proto };
	}
	fclose(f);
	if (!n)
		fprintf(stderr, "trafficgen: %s has no flows\n", path);
	return n ? n : -1;
}

static int fill_flows(struct trafficgen_bpf *skel, const struct trafficgen_flow *v, long n)
{
	int fd = bpf_map__fd(skel->maps.flows);

	for (__u32 k = 0; k < (__u32)n; k++)
		if (bpf_map_update_elem(fd, &k, &v[k], BPF_ANY)) {
			fprintf(stderr, "trafficgen: filling the flow table: %s\n", strerror(errno));
			return -1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "dst", required_argument, NULL, 'a' },
		{ "src-base", required_argument, NULL, 's' },
		{ "prefixes", required_argument, NULL, 'n' },
		{ "prefix-step", required_argument, NULL, 'p' },
		{ "hosts", required_argument, NULL, 'h' },
		{ "seconds", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "dport", required_argument, NULL, 'P' },
		{ "flows", required_argument, NULL, 'f' },
		{ 0 }
	};
	static struct trafficgen_flow flow_v[TRAFFICGEN_MAX_FLOWS];
	long n_flow = 0;
	const char *dev = NULL;
	struct ether_addr *dmac_p = NULL;
	unsigned char dmac[ETH_ALEN], smac[ETH_ALEN], frame[FRAME_LEN];
	struct in_addr dst = { 0 }, src_base = { 0 };
	bool have_dst = false, have_src = false;
	unsigned long n_prefixes = 1, step = 256, hosts = 254, batch = 64;
	unsigned long dport = 9;
	double seconds = 3, t0, elapsed;
	struct trafficgen_bpf *skel;
	struct xdp_md ctx_in = {};
	unsigned ifindex;
	int c, ret, prog_fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'm':
			dmac_p = ether_aton(optarg);
			if (!dmac_p) {
				fprintf(stderr, "trafficgen: bad MAC '%s'\n", optarg);
				return 2;
			}
			memcpy(dmac, dmac_p, ETH_ALEN);
			break;
		case 'a':
			have_dst = inet_pton(AF_INET, optarg, &dst) == 1;
			break;
		case 's':
			have_src = inet_pton(AF_INET, optarg, &src_base) == 1;
			break;
		case 'n':
			n_prefixes = parse_num(optarg, "--prefixes", 1, 1u << 24);
			break;
		case 'p':
			step = parse_num(optarg, "--prefix-step", 1, 1u << 24);
			break;
		case 'h':
			hosts = parse_num(optarg, "--hosts", 1, 1u << 24);
			break;
		case 't':
			seconds = (double)parse_num(optarg, "--seconds", 1, 600);
			break;
		case 'b':
			/* The kernel's limit for live frames is 256. */
			batch = parse_num(optarg, "--batch", 1, 256);
			break;
		case 'P':
			dport = parse_num(optarg, "--dport", 1, 65535);
			break;
		case 'f':
			n_flow = read_flows(optarg, flow_v);
			if (n_flow < 0)
				return 2;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !dev || !dmac_p || !have_dst || !have_src)
		usage();
	if (hosts + 1 > step && step > 1) {
		fprintf(stderr, "trafficgen: --hosts must stay below --prefix-step\n");
		return 2;
	}
	ifindex = if_nametoindex(dev);
	if (!ifindex || if_mac(dev, smac)) {
		fprintf(stderr, "trafficgen: no interface '%s' here\n", dev);
		return 1;
	}
	build_frame(frame, dmac, smac, dst, (uint16_t)dport);

	skel = trafficgen_bpf__open();
	if (!skel) {
		fprintf(stderr, "trafficgen: opening the BPF object: %s\n",
			strerror(errno));
		return 1;
	}
	skel->rodata->src_base = ntohl(src_base.s_addr);
	skel->rodata->n_prefixes = (uint32_t)n_prefixes;
	skel->rodata->prefix_step = (uint32_t)step;
	skel->rodata->hosts = (uint32_t)hosts;
	skel->rodata->n_flows = (uint32_t)n_flow;
	ret = trafficgen_bpf__load(skel);
	if (ret) {
		fprintf(stderr, "trafficgen: loading the BPF program: %s\n",
			strerror(-ret));
		trafficgen_bpf__destroy(skel);
		return 1;
	}
	if (fill_flows(skel, flow_v, n_flow)) {
		trafficgen_bpf__destroy(skel);
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.trafficgen_tx);

	/* In live-frames mode ctx_in may only name the interface (and queue);
	 * data_end must equal the template's length. */
	ctx_in.data_end = FRAME_LEN;
	ctx_in.ingress_ifindex = ifindex;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	elapsed = 0;
	while (!stop && elapsed < seconds) {
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = frame,
			    .data_size_in = FRAME_LEN, .ctx_in = &ctx_in,
			    .ctx_size_in = sizeof(ctx_in),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = (uint32_t)batch,
			    .repeat = REPEAT_PER_CALL);

		ret = bpf_prog_test_run_opts(prog_fd, &topts);
		/* A signal interrupts a run part way: that is the stop. */
		if (ret && errno != EINTR) {
			fprintf(stderr, "trafficgen: BPF_PROG_TEST_RUN (live frames): %s%s\n",
				strerror(errno),
				errno == EINVAL ? " (kernel older than 5.18?)" : "");
			trafficgen_bpf__destroy(skel);
			return 1;
		}
		elapsed = now_s() - t0;
	}
	printf("frames %llu seconds %.3f pps %.0f\n",
	       (unsigned long long)skel->bss->frames, elapsed,
	       elapsed > 0 ? (double)skel->bss->frames / elapsed : 0.0);
	trafficgen_bpf__destroy(skel);
	return 0;
}
