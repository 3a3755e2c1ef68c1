// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpsink: counts the UDP datagrams arriving on a port, for the daemon
 * tests (udpflood is its sender).
 *
 *   udpsink --port P [--bind IP] [--seconds S | --idle-ms MS] [--out FILE]
 *
 * Binds P on IP (default the IPv6 wildcard, which also receives IPv4), with
 * an 8 MiB receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF) and reads with
 * recvmmsg. Stops after S seconds in all, after MS milliseconds without a
 * datagram once at least one arrived, or on SIGTERM/SIGINT. Then prints on
 * stdout:
 *   received N      datagrams read
 *   overflow N      datagrams the socket dropped (SO_RXQ_OVFL / SO_MEMINFO)
 *   max_seq N       the highest sequence number seen (udpflood's first 8
 *                   payload bytes, big-endian; 0 for shorter payloads)
 *   unique N        distinct sequence numbers among those
 * With --out, FILE gets one line per datagram: its sequence number, in
 * arrival order. Exit 0, or 1 on bad arguments or setup errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool_util.h"

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define BATCH 64
#define DGRAM_MAX 2048
#define RCVBUF (8 * 1024 * 1024)

static void usage(void)
{
	fprintf(stderr,
		"usage: udpsink --port P [--bind IP] [--seconds S | --idle-ms MS] [--out FILE]\n");
	exit(1);
}

/* A sorted set of sequence numbers would cost memory for long floods; a
 * bitmap over the range seen is enough for the tests (sequences start at 1
 * and grow by one). */
struct seen {
	uint8_t *bits;
	uint64_t cap; /* bits */
	uint64_t unique;
};

static void seen_add(struct seen *s, uint64_t seq)
{
	if (seq >= s->cap) {
		uint64_t cap = s->cap ? s->cap : 1u << 16;
		uint8_t *b;

		while (cap <= seq) {
			if (cap > (1ull << 34))
				return; /* absurd: not tracked */
			cap *= 2;
		}
		b = realloc(s->bits, cap / 8);
		if (!b)
			return;
		memset(b + s->cap / 8, 0, (cap - s->cap) / 8);
		s->bits = b;
		s->cap = cap;
	}
	if (!(s->bits[seq / 8] & (1u << (seq % 8)))) {
		s->bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
		s->unique++;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ "idle-ms", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	static unsigned char bufs[BATCH][DGRAM_MAX];
	/* Control buffers aligned for struct cmsghdr. */
	static union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) * 2];
		struct cmsghdr align;
	} ctrls[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	const char *bind_ip = NULL, *out_path = NULL;
	uint64_t port = 0, seconds = 0, idle_ms = 0;
	uint64_t received = 0, max_seq = 0, start, last = 0;
	uint32_t ovfl = 0, meminfo[SK_MEMINFO_VARS];
	socklen_t mlen = sizeof(meminfo);
	struct sockaddr_storage ss;
	socklen_t slen;
	struct seen seen = { 0 };
	FILE *out = NULL;
	int opt, fd, one = 1, rcvbuf = RCVBUF;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_u64(optarg, &port) || port == 0 || port > 65535)
				usage();
			break;
		case 'b':
			bind_ip = optarg;
			break;
		case 't':
			if (parse_u64(optarg, &seconds) || seconds == 0 || seconds > 86400)
				usage();
			break;
		case 'i':
			if (parse_u64(optarg, &idle_ms) || idle_ms == 0 || idle_ms > 86400000)
				usage();
			break;
		case 'o':
			out_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !port || (seconds && idle_ms))
		usage();

	memset(&ss, 0, sizeof(ss));
	if (!bind_ip) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons((uint16_t)port);
		slen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET, bind_ip, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)port);
			slen = sizeof(*a4);
		} else if (inet_pton(AF_INET6, bind_ip, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)port);
			slen = sizeof(*a6);
		} else {
			fprintf(stderr, "udpsink: bad address %s\n", bind_ip);
			return 1;
		}
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("udpsink: socket");
		return 1;
	}
	if (ss.ss_family == AF_INET6 && !bind_ip) {
		int zero = 0;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) {
		perror("udpsink: SO_RCVBUF");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one))) {
		perror("udpsink: SO_RXQ_OVFL");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&ss, slen)) {
		fprintf(stderr, "udpsink: bind port %llu: %s\n", (unsigned long long)port,
			strerror(errno));
		return 1;
	}
	if (out_path) {
		out = fopen(out_path, "w");
		if (!out) {
			fprintf(stderr, "udpsink: %s: %s\n", out_path, strerror(errno));
			return 1;
		}
	}
	catch_stop_signals();

	start = (now_ns() / 1000000ull);
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = (now_ns() / 1000000ull);
		int64_t wait = 100;
		int n;

		if (seconds) {
			int64_t left = (int64_t)(start + seconds * 1000) - (int64_t)now;

			if (left <= 0)
				break;
			if (left < wait)
				wait = left;
		}
		if (idle_ms && received) {
			int64_t left = (int64_t)(last + idle_ms) - (int64_t)now;

			if (left <= 0)
				break;
			if (left < wait)
				wait = left;
		}
		n = poll(&pfd, 1, (int)wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udpsink: poll");
			break;
		}
		if (n == 0)
			continue;
		for (;;) {
			for (int i = 0; i < BATCH; i++) {
				iovs[i].iov_base = bufs[i];
				iovs[i].iov_len = DGRAM_MAX;
				memset(&msgs[i], 0, sizeof(msgs[i]));
				msgs[i].msg_hdr.msg_iov = &iovs[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
				msgs[i].msg_hdr.msg_control = ctrls[i].buf;
				msgs[i].msg_hdr.msg_controllen = sizeof(ctrls[i].buf);
			}
			n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			last = (now_ns() / 1000000ull);
			for (int i = 0; i < n; i++) {
				struct msghdr *h = &msgs[i].msg_hdr;
				uint64_t seq = 0;

				for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c;
				     c = CMSG_NXTHDR(h, c)) {
					if (c->cmsg_level == SOL_SOCKET &&
					    c->cmsg_type == SO_RXQ_OVFL) {
						uint32_t v;

						memcpy(&v, CMSG_DATA(c), sizeof(v));
						if (v > ovfl)
							ovfl = v;
					}
				}
				if (msgs[i].msg_len >= 8)
					for (int b = 0; b < 8; b++)
						seq = seq << 8 | bufs[i][b];
				received++;
				if (seq > max_seq)
					max_seq = seq;
				seen_add(&seen, seq);
				if (out)
					fprintf(out, "%llu\n", (unsigned long long)seq);
			}
			if (n < BATCH)
				break;
		}
		/* Readers poll the file while the sink runs. */
		if (out)
			fflush(out);
	}
	/* Drops after the last datagram read only show in the socket's meminfo. */
	if (!getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &mlen) &&
	    mlen > SK_MEMINFO_DROPS * sizeof(uint32_t) && meminfo[SK_MEMINFO_DROPS] > ovfl)
		ovfl = meminfo[SK_MEMINFO_DROPS];
	if (out && fclose(out)) {
		fprintf(stderr, "udpsink: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	printf("received %llu\noverflow %u\nmax_seq %llu\nunique %llu\n",
	       (unsigned long long)received, ovfl, (unsigned long long)max_seq,
	       (unsigned long long)seen.unique);
	free(seen.bits);
	close(fd);
	return 0;
}
