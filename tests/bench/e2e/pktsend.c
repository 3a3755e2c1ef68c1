// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "pktsend.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Frames per sendmmsg: enough that the syscall does not show, few enough
 * that a paced burst stays far below the veth ring (256 entries). */
#define BATCH 32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_socket(const char *dev)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = 0 };
	int fd, one = 1;

	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "trafficgen: no interface '%s' here\n", dev);
		return -ENODEV;
	}
	/* Protocol 0: a socket that only sends, never gets a copy of what
	 * arrives. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = errno;

		fprintf(stderr, "trafficgen: AF_PACKET socket on %s: %s\n", dev, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	return fd;
}

/* One sendmmsg of up to BATCH frames starting at *next. */
static int send_batch(int fd, const unsigned char *frames, size_t n_frames, size_t frame_len,
		      size_t *next, unsigned want, struct pktsend_result *res)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	int n;

	memset(msg, 0, sizeof(msg));
	for (unsigned i = 0; i < want; i++) {
		iov[i].iov_base = (void *)(frames + ((*next + i) % n_frames) * frame_len);
		iov[i].iov_len = frame_len;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	n = sendmmsg(fd, msg, want, 0);
	if (n < 0) {
		if (errno != ENOBUFS && errno != EAGAIN && errno != EBUSY && errno != EINTR)
			return -errno;
		/* The first frame was refused: count it and move on. */
		n = 0;
		res->refused++;
		*next += 1;
		return 0;
	}
	res->sent += (uint64_t)n;
	*next += (size_t)n;
	return 0;
}

int pktsend_run(const char *dev, const unsigned char *frames, size_t n_frames, size_t frame_len,
		double seconds, double pps, volatile sig_atomic_t *stop, struct pktsend_result *res)
{
	double t0, t;
	uint64_t issued = 0;
	size_t next = 0;
	int fd, ret = 0;

	memset(res, 0, sizeof(*res));
	if (!n_frames)
		return -EINVAL;
	fd = open_socket(dev);
	if (fd < 0)
		return fd;
	t0 = now_s();
	t = t0;
	while (!*stop && t - t0 < seconds) {
		unsigned want = BATCH;

		if (pps > 0) {
			/* Paced: whatever the schedule says is due, at most
			 * BATCH at a time, waited for by spinning (sleeps are
			 * 50 us or more late). More than 5 ms behind (the CPU
			 * was taken away), the backlog is dropped rather than
			 * sent as one burst that would overflow the ring. */
			double due = 0;

			while (!*stop && (due = (t - t0) * pps - (double)issued) < 1) {
				/* Sleep through most of a long wait. */
				double wait = (1 - due) / pps;

				if (wait > 150e-6) {
					struct timespec ts = { 0, (long)((wait - 100e-6) * 1e9) };

					nanosleep(&ts, NULL);
				}
				t = now_s();
			}
			if (due > pps * 0.005)
				issued = (uint64_t)((t - t0) * pps) - BATCH;
			want = due < BATCH ? (unsigned)due : BATCH;
			if (!want)
				want = 1;
		}
		ret = send_batch(fd, frames, n_frames, frame_len, &next, want, res);
		if (ret) {
			fprintf(stderr, "trafficgen: sendmmsg on %s: %s\n", dev, strerror(-ret));
			break;
		}
		issued = res->sent + res->refused;
		t = now_s();
	}
	res->seconds = now_s() - t0;
	close(fd);
	return ret;
}
