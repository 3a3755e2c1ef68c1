// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flowsend: sends crafted IPv4 frames for a list of flows, round robin, out
 * of one interface at a steady rate, for the namespace tests whose rules
 * look at addresses, protocols and ports no socket would let us choose.
 *
 *   flowsend --dev IF --dst-mac MAC --flows FILE [--pps R] [--count N]
 *            [--seconds S]
 *
 * FILE has one flow a line, "PROTO SRC DST SPORT DPORT" (what `classbench
 * flows` prints; more columns are ignored). Each frame is Ethernet to MAC,
 * IPv4 with a valid header checksum, then a TCP SYN (20 bytes), a UDP
 * header (8) or, for SCTP, its common header (12) with the ports, else 8
 * zero bytes; then 16 bytes of payload. Frames go through an AF_PACKET
 * socket, paced to R per second (default 1000) against an absolute
 * schedule. Stops after N frames, S seconds, or SIGTERM/SIGINT, and prints
 * how many frames of each flow the kernel accepted, one line each in the
 * file's order: "INDEX SENT". Exit 0, 1 on bad arguments or setup errors,
 * 2 when a frame could not be sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool_util.h"

#define MAX_FLOWS 4096
#define FRAME_MAX 128

struct flow {
	unsigned char frame[FRAME_MAX];
	size_t len;
	uint64_t sent;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: flowsend --dev IF --dst-mac MAC --flows FILE [--pps R] [--count N]\n"
		"                [--seconds S]\n");
	exit(1);
}

static uint16_t ip_checksum(const unsigned char *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Ethernet + IPv4 + the protocol's header + 16 bytes of payload. */
static void build(struct flow *f, const unsigned char *dmac, const unsigned char *smac,
		  unsigned proto, struct in_addr src, struct in_addr dst, unsigned sport,
		  unsigned dport)
{
	unsigned char *ip = f->frame + 14, *l4 = ip + 20;
	size_t l4len = proto == 6 ? 20 : proto == 132 ? 12 : 8;

	memset(f->frame, 0, sizeof(f->frame));
	memcpy(f->frame, dmac, 6);
	memcpy(f->frame + 6, smac, 6);
	put16(f->frame + 12, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + l4len + 16));
	ip[8] = 64;
	ip[9] = (unsigned char)proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, ip_checksum(ip, 20));
	if (proto == 6 || proto == 17 || proto == 132) {
		put16(l4, sport);
		put16(l4 + 2, dport);
	}
	if (proto == 6) {
		l4[12] = 0x50; /* 5 words */
		l4[13] = 0x02; /* SYN */
		put16(l4 + 14, 1024);
	} else if (proto == 17) {
		put16(l4 + 4, (unsigned)(8 + 16));
	}
	memcpy(l4 + l4len, "edgefw-flowsend!", 16);
	f->len = 14 + 20 + l4len + 16;
}

static int read_flows(const char *path, const unsigned char *dmac, const unsigned char *smac,
		      struct flow *v)
{
	char line[256], src[64], dst[64];
	unsigned proto, sport, dport;
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "flowsend: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct in_addr s, d;

		if (n == MAX_FLOWS ||
		    sscanf(line, "%u %63s %63s %u %u", &proto, src, dst, &sport, &dport) != 5 ||
		    proto > 255 || sport > 65535 || dport > 65535 ||
		    inet_pton(AF_INET, src, &s) != 1 || inet_pton(AF_INET, dst, &d) != 1) {
			fprintf(stderr,
				"flowsend: %s:%d: not \"PROTO SRC DST SPORT DPORT\" (IPv4, at most %d flows)\n",
				path, n + 1, MAX_FLOWS);
			fclose(f);
			return -1;
		}
		build(&v[n++], dmac, smac, proto, s, d, sport, dport);
	}
	fclose(f);
	if (!n)
		fprintf(stderr, "flowsend: %s has no flows\n", path);
	return n ? n : -1;
}

static int open_socket(const char *dev, unsigned char *smac, struct sockaddr_ll *to)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("flowsend: socket");
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "flowsend: no interface '%s' here: %s\n", dev, strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	memset(to, 0, sizeof(*to));
	to->sll_family = AF_PACKET;
	to->sll_ifindex = (int)if_nametoindex(dev);
	to->sll_halen = 6;
	return fd;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
			       .tv_nsec = (long)(t % 1000000000ull) };

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Round robin until count frames, seconds, or a stop signal; returns how
 * many frames the kernel refused. */
static uint64_t send_frames(int fd, const struct sockaddr_ll *to, struct flow *flows, uint64_t n,
			    uint64_t pps, uint64_t count, uint64_t seconds)
{
	uint64_t start = now_ns(), deadline = 0, failed = 0;

	if (seconds)
		deadline = start + seconds * 1000000000ull;
	for (uint64_t k = 0; !stop && (!count || k < count); k++) {
		/* Absolute schedule: frame k leaves at start + k/pps. */
		uint64_t t = start + (uint64_t)((double)k * 1e9 / (double)pps);
		struct flow *f = &flows[k % n];

		if (deadline && t >= deadline)
			break;
		sleep_until(t);
		if (stop)
			break;
		if (sendto(fd, f->frame, f->len, 0, (const struct sockaddr *)to, sizeof(*to)) ==
		    (ssize_t)f->len)
			f->sent++;
		else if (failed++ < 5)
			fprintf(stderr, "flowsend: sendto: %s\n", strerror(errno));
	}
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "flows", required_argument, NULL, 'f' },
		{ "pps", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	static struct flow flows[MAX_FLOWS];
	const char *dev = NULL, *path = NULL;
	struct ether_addr *dmac = NULL;
	unsigned char dmac_b[6], smac[6];
	uint64_t pps = 1000, count = 0, seconds = 0, failed;
	struct sockaddr_ll to;
	int opt, fd, n;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'f':
			path = optarg;
			break;
		case 'm':
			dmac = ether_aton(optarg);
			if (!dmac)
				usage();
			memcpy(dmac_b, dmac, 6);
			break;
		case 'r':
			if (parse_u64(optarg, &pps) || !pps || pps > 10000000)
				usage();
			break;
		case 'c':
			if (parse_u64(optarg, &count))
				usage();
			break;
		case 't':
			if (parse_u64(optarg, &seconds) || seconds > 86400)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !dev || !dmac || !path)
		usage();
	fd = open_socket(dev, smac, &to);
	if (fd < 0)
		return 1;
	n = read_flows(path, dmac_b, smac, flows);
	if (n < 0)
		return 1;
	memcpy(to.sll_addr, dmac_b, 6);
	catch_stop_signals();
	failed = send_frames(fd, &to, flows, (uint64_t)n, pps, count, seconds);
	for (int i = 0; i < n; i++)
		printf("%d %llu\n", i, (unsigned long long)flows[i].sent);
	if (failed)
		fprintf(stderr, "flowsend: %llu frames could not be sent\n",
			(unsigned long long)failed);
	close(fd);
	return failed ? 2 : 0;
}
