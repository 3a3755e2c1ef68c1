// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * synflood: TCP SYNs from spoofed IPv4 sources, as fast as one raw socket
 * sends them, for the connection-tracking flood test.
 *
 *   synflood --dst IP --port P --seconds S [--net A.B.0.0]
 *
 * Each SYN comes from another address of the /16 --net (default 10.99.0.0)
 * and another source port, so each is a new flow. Needs CAP_NET_RAW. Prints
 * the number of SYNs sent on stdout. Exit 0, 1 on bad arguments or setup
 * errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* IPv4 header and a 20-byte TCP SYN; checksums left to nobody: the
 * receiver's firewall decides before any checksum is looked at, and the
 * stack drops what is wrong, which is all a flood needs. */
static void frame(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport,
		  uint16_t dport)
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
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "net", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct in_addr net = { 0 };
	double secs = 0, end;
	unsigned long sent = 0, port = 0;
	uint8_t p[40];
	int opt, fd, one = 1;

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
		fprintf(stderr, "usage: synflood --dst IP --port P --seconds S [--net A.B.0.0]\n");
		return 1;
	}
	if (!to.sin_addr.s_addr || !port || secs <= 0) {
		fprintf(stderr, "synflood: --dst, --port and --seconds are required\n");
		return 1;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		fprintf(stderr, "synflood: raw socket: %s\n", strerror(errno));
		return 1;
	}
	end = now_s() + secs;
	for (uint32_t i = 0;; i++) {
		uint32_t src = htonl(ntohl(net.s_addr) + 1 + (i % 65534));

		if ((i & 1023) == 0 && now_s() >= end)
			break;
		frame(p, src, to.sin_addr.s_addr, (uint16_t)(1024 + (i / 65534) % 60000),
		      (uint16_t)port);
		if (sendto(fd, p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) == 40)
			sent++;
	}
	close(fd);
	printf("%lu\n", sent);
	return 0;
}
