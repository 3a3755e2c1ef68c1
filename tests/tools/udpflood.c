// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * udpflood: sends UDP datagrams at a steady rate, for the daemon tests.
 *
 *   udpflood --dst IP --port P [--src IP] [--count N] [--pps R] [--size B]
 *            [--seconds S]
 *
 * Each payload (B bytes, default 64, at least 8) starts with a 64-bit
 * big-endian sequence number counting from 1. Datagrams are paced to R per
 * second (default 1000; 0: as fast as possible) against an absolute
 * schedule, so a late wake-up is caught up, never lost. Stops after N
 * datagrams, after S seconds, or on SIGTERM/SIGINT, whichever comes first
 * (neither N nor S: until a signal). Prints the number of datagrams sent
 * (accepted by the kernel) on stdout; send errors (ENOBUFS, ECONNREFUSED
 * after an ICMP error, ...) are retried once after a short pause, then
 * counted as failures and reported on stderr. Exit 0, or 1 on bad
 * arguments or setup errors, 2 when a datagram could not be sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool_util.h"

static void usage(void)
{
	fprintf(stderr, "usage: udpflood --dst IP --port P [--src IP] [--count N] [--pps R]\n"
			"                [--size B] [--seconds S]\n");
	exit(1);
}

static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / 1000000000ull),
		.tv_nsec = (long)(t % 1000000000ull),
	};

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "pps", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dst = NULL, *src = NULL;
	uint64_t port = 0, count = 0, pps = 1000, size = 64, seconds = 0;
	struct sockaddr_storage dss, sss;
	socklen_t dlen, slen;
	unsigned char *buf;
	uint64_t sent = 0, failed = 0, start, deadline = 0;
	int opt, fd, code = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dst = optarg;
			break;
		case 's':
			src = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, &port) || port == 0 || port > 65535)
				usage();
			break;
		case 'c':
			if (parse_u64(optarg, &count))
				usage();
			break;
		case 'r':
			if (parse_u64(optarg, &pps) || pps > 100000000)
				usage();
			break;
		case 'b':
			if (parse_u64(optarg, &size) || size < 8 || size > 65000)
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
	if (optind != argc || !dst || !port)
		usage();
	if (parse_addr(dst, (uint16_t)port, &dss, &dlen)) {
		fprintf(stderr, "udpflood: bad address %s\n", dst);
		return 1;
	}
	fd = socket(dss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("udpflood: socket");
		return 1;
	}
	if (src) {
		if (parse_addr(src, 0, &sss, &slen) || sss.ss_family != dss.ss_family) {
			fprintf(stderr, "udpflood: bad source address %s\n", src);
			return 1;
		}
		if (bind(fd, (struct sockaddr *)&sss, slen)) {
			fprintf(stderr, "udpflood: bind %s: %s\n", src, strerror(errno));
			return 1;
		}
	}
	buf = calloc(1, size);
	if (!buf) {
		perror("udpflood");
		return 1;
	}
	catch_stop_signals();

	start = now_ns();
	if (seconds)
		deadline = start + seconds * 1000000000ull;
	for (uint64_t seq = 1; !stop; seq++) {
		uint64_t t;
		int tries;

		if (count && seq > count)
			break;
		if (pps) {
			/* Absolute schedule: datagram seq leaves at start + (seq-1)/pps. */
			t = start + (uint64_t)((double)(seq - 1) * 1e9 / (double)pps);
			if (deadline && t >= deadline)
				break;
			sleep_until(t);
			if (stop)
				break;
		} else if (deadline && now_ns() >= deadline) {
			break;
		}
		for (int i = 0; i < 8; i++)
			buf[i] = (unsigned char)(seq >> (56 - 8 * i));
		for (tries = 0; tries < 2; tries++) {
			if (sendto(fd, buf, size, 0, (struct sockaddr *)&dss, dlen) ==
			    (ssize_t)size) {
				sent++;
				break;
			}
			if (tries == 0 && (errno == ENOBUFS || errno == EAGAIN ||
					   errno == ECONNREFUSED || errno == EINTR)) {
				usleep(1000);
				continue;
			}
			if (failed < 5)
				fprintf(stderr, "udpflood: sendto (seq %llu): %s\n",
					(unsigned long long)seq, strerror(errno));
			failed++;
			break;
		}
	}
	printf("%llu\n", (unsigned long long)sent);
	if (failed) {
		fprintf(stderr, "udpflood: %llu datagrams could not be sent\n",
			(unsigned long long)failed);
		code = 2;
	}
	free(buf);
	close(fd);
	return code;
}
