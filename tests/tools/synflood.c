// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * synflood: TCP SYNs from spoofed IPv4 sources, as fast as one socket
 * sends them, for the connection-tracking flood test.
 *
 *   synflood --dst IP --port P --seconds S [--net A.B.0.0]
 *            [--dev IF --dst-mac MAC]
 *
 * Each SYN comes from another address of the /16 --net (default 10.99.0.0)
 * and another source port, so each is a new flow. Needs CAP_NET_RAW. Prints
 * the number of SYNs sent on stdout. Exit 0, 1 on bad arguments or setup
 * errors.
 *
 * Without --dev, one sendto per SYN on a raw IP socket: each goes through
 * the sender's routing, neighbour and qdisc code (~39,000 a second on the
 * project machine, which then limits the flood test, not edgefw). With
 * --dev, whole Ethernet frames to MAC on an AF_PACKET socket that bypasses
 * the qdisc, 256 per sendmmsg: on a veth they go straight to the peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The IPv4 header's checksum (a raw IP socket fills it; AF_PACKET does
 * not, and the stack behind the firewall would drop the frame). */
static void ip_csum(uint8_t *p)
{
	uint32_t sum = 0;

	p[10] = p[11] = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
}

/* IPv4 header and a 20-byte TCP SYN; checksums left to nobody: the
 * receiver's firewall decides before any checksum is looked at, and the
 * stack drops what is wrong, which is all a flood needs. */
static void frame(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	memset(p, 0, 40);
	p[0] = 0x45;
	p[3] = 40;
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[24] = 0x12; /* sequence number */
	p[32] = 5 << 4;
	p[33] = 0x02; /* SYN */
	p[34] = 0xff;
	p[35] = 0xff;
	ip_csum(p);
}

#define BURST 256
#define ETH_LEN 14

struct sender {
	int fd;
	bool packet; /* AF_PACKET: frames carry an Ethernet header */
	struct sockaddr_in to;
	struct sockaddr_ll ll;
	uint8_t eth[ETH_LEN];
};

static int sender_open(struct sender *s, const char *dev, const char *mac)
{
	struct ether_addr *m;
	int one = 1;

	if (!dev) {
		s->fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		return s->fd < 0 ? -1
				 : setsockopt(s->fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	}
	m = mac ? ether_aton(mac) : NULL;
	s->ll.sll_family = AF_PACKET;
	s->ll.sll_ifindex = (int)if_nametoindex(dev);
	if (!m || !s->ll.sll_ifindex) {
		errno = EINVAL;
		return -1;
	}
	s->packet = true;
	s->ll.sll_halen = ETH_ALEN;
	memcpy(s->ll.sll_addr, m, ETH_ALEN);
	memcpy(s->eth, m, ETH_ALEN);
	s->eth[6] = 0x02;  /* a locally administered source */
	s->eth[12] = 0x08; /* IPv4 */
	s->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (s->fd < 0)
		return -1;
	/* Not an error when the kernel lacks it: only slower. */
	setsockopt(s->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	return 0;
}

/* Sends frames [i, i + BURST) as one sendmmsg; how many went. */
static unsigned send_burst(struct sender *s, uint32_t i, uint32_t net, uint32_t dst, uint16_t port)
{
	static uint8_t buf[BURST][ETH_LEN + 40];
	static struct mmsghdr msg[BURST];
	static struct iovec iov[BURST];
	int off = s->packet ? ETH_LEN : 0, n;

	for (unsigned k = 0; k < BURST; k++, i++) {
		uint32_t src = htonl(net + 1 + (i % 65534));

		memcpy(buf[k], s->eth, ETH_LEN);
		frame(buf[k] + off, src, dst, (uint16_t)(1024 + (i / 65534) % 60000), port);
		iov[k] = (struct iovec){ buf[k], (size_t)off + 40 };
		msg[k].msg_hdr =
			(struct msghdr){ .msg_name = s->packet ? (void *)&s->ll : (void *)&s->to,
					 .msg_namelen = s->packet ? sizeof(s->ll) : sizeof(s->to),
					 .msg_iov = &iov[k],
					 .msg_iovlen = 1 };
	}
	n = sendmmsg(s->fd, msg, BURST, 0);
	return n > 0 ? (unsigned)n : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "net", required_argument, NULL, 'n' },
		{ "dev", required_argument, NULL, 'D' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *mac = NULL;
	struct sender snd = { .fd = -1 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct in_addr net = { 0 };
	double secs = 0, end;
	unsigned long sent = 0, port = 0;
	int opt;

	inet_pton(AF_INET, "10.99.0.0", &net);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd' && inet_pton(AF_INET, optarg, &to.sin_addr) == 1)
			continue;
		if (opt == 'p' && (port = strtoul(optarg, NULL, 10)) && port < 65536)
			continue;
		if (opt == 's' && (secs = atof(optarg)) > 0)
			continue;
		if (opt == 'n' && inet_pton(AF_INET, optarg, &net) == 1)
			continue;
		if (opt == 'D' || opt == 'm') {
			*(opt == 'D' ? &dev : &mac) = optarg;
			continue;
		}
		fprintf(stderr,
			"usage: synflood --dst IP --port P --seconds S [--net A.B.0.0] [--dev IF --dst-mac MAC]\n");
		return 1;
	}
	if (!to.sin_addr.s_addr || !port || secs <= 0) {
		fprintf(stderr, "synflood: --dst, --port and --seconds are required\n");
		return 1;
	}
	snd.to = to;
	if (sender_open(&snd, dev, mac)) {
		fprintf(stderr, "synflood: %s socket%s%s: %s\n", dev ? "packet" : "raw",
			dev ? " on " : "", dev ? dev : "", strerror(errno));
		return 1;
	}
	end = now_s() + secs;
	for (uint32_t i = 0; now_s() < end; i += BURST)
		sent += send_burst(&snd, i, ntohl(net.s_addr), to.sin_addr.s_addr, (uint16_t)port);
	close(snd.fd);
	printf("%lu\n", sent);
	return 0;
}
