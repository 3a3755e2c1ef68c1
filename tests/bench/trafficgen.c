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
 * --pps R: at most R frames per second, on an absolute schedule (a fixed
 * offered load below the receiver's capacity), in bursts of --batch frames
 * (64): with live frames the program itself paces (kern/trafficgen.bpf.c).
 *
 * --mode packet, or --mode auto (the default) when the kernel refuses live
 * frames (EPERM on some 6.18 builds): the same frames, built here and sent
 * through an AF_PACKET socket that bypasses the qdisc (e2e/pktsend.c).
 * Each is then an skb the veth hands to the peer's NAPI ring, and the
 * receiver's XDP runs on a copy of it: every receiver pays that copy.
 *
 * Prints one line: "frames N seconds S pps P mode live|packet refused N"
 * (refused: frames the sending socket could not queue; live frames the
 * ring refused are only visible on the receiving side).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
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

#include "e2e/pktsend.h"
#include "trafficgen.h"
#include "trafficgen.skel.h"

/* 60 bytes: the shortest Ethernet frame without FCS. */
#define FRAME_LEN 60
/* Runs per BPF_PROG_TEST_RUN call: short enough (tens of ms at a few Mpps)
 * that the time bound is kept to within a call, long enough that the
 * syscall cost does not show. */
#define REPEAT_PER_CALL (1u << 17)
/* Paced, most runs send nothing (kern/trafficgen.bpf.c, frame_due): tens
 * of ms per call as well, so that the gap between calls (a page pool's
 * setup and teardown each) is about 1% of the time. */
#define PACED_REPEAT_PER_CALL (1u << 21)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct gen_opts {
	const char *dev, *mode;
	unsigned char dmac[ETH_ALEN];
	struct in_addr dst, src_base;
	unsigned long n_prefixes, step, hosts, batch, dport;
	double seconds, pps;
	struct trafficgen_flow *flows;
	long n_flow;
	unsigned ifindex;
};

struct gen_result {
	uint64_t frames, refused;
	double seconds;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: trafficgen --dev IF --dst-mac MAC --dst ADDR --src-base ADDR\n"
		"                  [--prefixes N] [--prefix-step N] [--hosts N]\n"
		"                  [--seconds S] [--batch N] [--dport PORT] [--flows FILE]\n"
		"                  [--pps R] [--mode auto|live|packet]\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long parse_num(const char *s, const char *what, unsigned long min,
			       unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "trafficgen: bad %s '%s' (%lu..%lu)\n", what, s, min, max);
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

static void build_frame(unsigned char *f, const unsigned char *dmac, const unsigned char *smac,
			struct in_addr dst, uint16_t dport)
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
			fprintf(stderr,
				"trafficgen: %s:%ld: not \"PROTO SRC DST SPORT DPORT\" (IPv4, at most %d flows)\n",
				path, lineno, TRAFFICGEN_MAX_FLOWS);
			fclose(f);
			return -1;
		}
		v[n++] = (struct trafficgen_flow){ .src = s.s_addr,
						   .dst = d.s_addr,
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
			fprintf(stderr, "trafficgen: filling the flow table: %s\n",
				strerror(errno));
			return -1;
		}
	return 0;
}

/* IPv4 header checksum of the 20-byte header at ip. */
static uint16_t ip_csum(const void *ip)
{
	const uint16_t *w = ip;
	uint32_t sum = 0;

	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* What kern/trafficgen.bpf.c does to frame k, done here on a copy of the
 * template: the flow's addresses, protocol and ports, or the k-th source
 * of the prefix walk. */
static void rewrite_frame(unsigned char *f, const struct gen_opts *o, size_t k)
{
	struct iphdr *ip = (struct iphdr *)(f + sizeof(struct ethhdr));
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	struct tcphdr *tcp = (struct tcphdr *)(ip + 1);

	if (o->n_flow) {
		const struct trafficgen_flow *fl = &o->flows[k];

		ip->saddr = fl->src;
		ip->daddr = fl->dst;
		ip->protocol = fl->proto;
		if (fl->proto == IPPROTO_TCP) {
			memset(tcp, 0, sizeof(*tcp));
			tcp->source = fl->sport;
			tcp->dest = fl->dport;
			tcp->doff = 5;
			tcp->syn = 1;
			tcp->window = htons(1024);
		} else {
			udp->source = fl->sport;
			udp->dest = fl->dport;
			udp->len =
				htons((uint16_t)(FRAME_LEN - sizeof(struct ethhdr) - sizeof(*ip)));
			udp->check = 0;
		}
	} else {
		uint32_t src = ntohl(o->src_base.s_addr) +
			       (uint32_t)(k % o->n_prefixes) * (uint32_t)o->step + 1 +
			       (uint32_t)((k / o->n_prefixes) % o->hosts);

		ip->saddr = htonl(src);
	}
	ip->check = 0;
	ip->check = ip_csum(ip);
}

/* The distinct frames the generator cycles through: one per flow, or one
 * per source of the prefix walk (at most PACKET_MAX_FRAMES). */
#define PACKET_MAX_FRAMES (1u << 18)
static int run_packet(const struct gen_opts *o, const unsigned char *tmpl, struct gen_result *r)
{
	size_t n = o->n_flow ? (size_t)o->n_flow : o->n_prefixes * o->hosts;
	struct pktsend_result pr;
	unsigned char *frames;
	int ret;

	if (n > PACKET_MAX_FRAMES)
		n = PACKET_MAX_FRAMES - PACKET_MAX_FRAMES % o->n_prefixes;
	frames = malloc(n * FRAME_LEN);
	if (!frames) {
		fprintf(stderr, "trafficgen: no memory for %zu frames\n", n);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		memcpy(frames + k * FRAME_LEN, tmpl, FRAME_LEN);
		rewrite_frame(frames + k * FRAME_LEN, o, k);
	}
	ret = pktsend_run(o->dev, frames, n, FRAME_LEN, o->seconds, o->pps, &stop, &pr);
	free(frames);
	r->frames = pr.sent;
	r->refused = pr.refused;
	r->seconds = pr.seconds;
	return ret;
}

/* Live frames: -EPERM/-EINVAL/-EOPNOTSUPP from the first call mean the
 * kernel refuses the mode (the caller may fall back), anything else is an
 * error. */
static int run_live(const struct gen_opts *o, unsigned char *tmpl, struct gen_result *r)
{
	struct trafficgen_bpf *skel;
	struct xdp_md ctx_in = {};
	double t0, elapsed = 0;
	uint32_t repeat = o->pps > 0 ? PACED_REPEAT_PER_CALL : REPEAT_PER_CALL;
	bool first = true;
	int ret, prog_fd;

	skel = trafficgen_bpf__open();
	if (!skel) {
		fprintf(stderr, "trafficgen: opening the BPF object: %s\n", strerror(errno));
		return -EIO;
	}
	skel->rodata->src_base = ntohl(o->src_base.s_addr);
	skel->rodata->n_prefixes = (uint32_t)o->n_prefixes;
	skel->rodata->prefix_step = (uint32_t)o->step;
	skel->rodata->hosts = (uint32_t)o->hosts;
	skel->rodata->n_flows = (uint32_t)o->n_flow;
	skel->rodata->pace_ps = o->pps > 0 ? (uint64_t)(1e12 / o->pps + 0.5) : 0;
	skel->rodata->pace_burst = (uint32_t)o->batch;
	ret = trafficgen_bpf__load(skel);
	if (ret) {
		fprintf(stderr, "trafficgen: loading the BPF program: %s\n", strerror(-ret));
		trafficgen_bpf__destroy(skel);
		return -EIO;
	}
	if (fill_flows(skel, o->flows, o->n_flow)) {
		trafficgen_bpf__destroy(skel);
		return -EIO;
	}
	prog_fd = bpf_program__fd(skel->progs.trafficgen_tx);
	/* In live-frames mode ctx_in may only name the interface (and queue);
	 * data_end must equal the template's length. */
	ctx_in.data_end = FRAME_LEN;
	ctx_in.ingress_ifindex = o->ifindex;
	t0 = now_s();
	while (!stop && elapsed < o->seconds) {
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = tmpl, .data_size_in = FRAME_LEN,
			    .ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = (uint32_t)o->batch,
			    .repeat = repeat);

		ret = bpf_prog_test_run_opts(prog_fd, &topts);
		/* A signal interrupts a run part way: that is the stop. */
		if (ret && errno != EINTR) {
			ret = -errno;
			if (!(first && (ret == -EPERM || ret == -EINVAL || ret == -EOPNOTSUPP)))
				fprintf(stderr, "trafficgen: BPF_PROG_TEST_RUN (live frames): %s\n",
					strerror(-ret));
			trafficgen_bpf__destroy(skel);
			return first ? ret : -EIO;
		}
		first = false;
		elapsed = now_s() - t0;
	}
	r->frames = skel->bss->frames;
	r->seconds = elapsed;
	trafficgen_bpf__destroy(skel);
	return 0;
}

static void parse_args(int argc, char **argv, struct gen_opts *o)
{
	static const struct option opts[] = { { "dev", required_argument, NULL, 'd' },
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
					      { "pps", required_argument, NULL, 'r' },
					      { "mode", required_argument, NULL, 'M' },
					      { 0 } };
	struct ether_addr *dmac_p = NULL;
	bool have_dst = false, have_src = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 'm':
			dmac_p = ether_aton(optarg);
			if (!dmac_p) {
				fprintf(stderr, "trafficgen: bad MAC '%s'\n", optarg);
				exit(2);
			}
			memcpy(o->dmac, dmac_p, ETH_ALEN);
			break;
		case 'a':
			have_dst = inet_pton(AF_INET, optarg, &o->dst) == 1;
			break;
		case 's':
			have_src = inet_pton(AF_INET, optarg, &o->src_base) == 1;
			break;
		case 'n':
			o->n_prefixes = parse_num(optarg, "--prefixes", 1, 1u << 24);
			break;
		case 'p':
			o->step = parse_num(optarg, "--prefix-step", 1, 1u << 24);
			break;
		case 'h':
			o->hosts = parse_num(optarg, "--hosts", 1, 1u << 24);
			break;
		case 't':
			o->seconds = (double)parse_num(optarg, "--seconds", 1, 600);
			break;
		/* The kernel's limit for live frames is 256. */
		case 'b':
			o->batch = parse_num(optarg, "--batch", 1, 256);
			break;
		case 'P':
			o->dport = parse_num(optarg, "--dport", 1, 65535);
			break;
		case 'r':
			o->pps = (double)parse_num(optarg, "--pps", 1000, 100000000);
			break;
		case 'f':
			o->n_flow = read_flows(optarg, o->flows);
			if (o->n_flow < 0)
				exit(2);
			break;
		case 'M':
			if (strcmp(optarg, "auto") && strcmp(optarg, "live") &&
			    strcmp(optarg, "packet"))
				usage();
			o->mode = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o->dev || !dmac_p || !have_dst || !have_src)
		usage();
	if (o->hosts + 1 > o->step && o->step > 1) {
		fprintf(stderr, "trafficgen: --hosts must stay below --prefix-step\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static struct trafficgen_flow flow_v[TRAFFICGEN_MAX_FLOWS];
	struct gen_opts o = { .flows = flow_v,
			      .n_prefixes = 1,
			      .step = 256,
			      .hosts = 254,
			      .batch = 64,
			      .dport = 9,
			      .seconds = 3,
			      .mode = "auto" };
	unsigned char smac[ETH_ALEN], frame[FRAME_LEN];
	struct gen_result r = {};
	const char *used = "live";
	int ret = -EPERM;

	parse_args(argc, argv, &o);
	o.ifindex = if_nametoindex(o.dev);
	if (!o.ifindex || if_mac(o.dev, smac)) {
		fprintf(stderr, "trafficgen: no interface '%s' here\n", o.dev);
		return 1;
	}
	build_frame(frame, o.dmac, smac, o.dst, (uint16_t)o.dport);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (strcmp(o.mode, "packet"))
		ret = run_live(&o, frame, &r);
	if (ret && !strcmp(o.mode, "live")) {
		fprintf(stderr, "trafficgen: the kernel refuses XDP live frames: %s\n",
			strerror(-ret));
		return 1;
	}
	if (ret == -EPERM || ret == -EINVAL || ret == -EOPNOTSUPP) {
		used = "packet";
		ret = run_packet(&o, frame, &r);
	}
	if (ret)
		return 1;
	printf("frames %llu seconds %.3f pps %.0f mode %s refused %llu\n",
	       (unsigned long long)r.frames, r.seconds,
	       r.seconds > 0 ? (double)r.frames / r.seconds : 0.0, used,
	       (unsigned long long)r.refused);
	return 0;
}
