/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_PKTSEND_H
#define EDGEFW_BENCH_PKTSEND_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* The end-to-end generator's second way of sending (tests/bench/trafficgen.c
 * uses it when the kernel refuses XDP live frames): an AF_PACKET socket
 * bound to the interface, bypassing the qdisc, sending prebuilt frames with
 * sendmmsg. Each frame becomes an skb on the sending CPU; a veth hands it
 * to the peer's NAPI ring, where an XDP program runs on it. */

struct pktsend_result {
	uint64_t sent;    /* frames the kernel accepted */
	uint64_t refused; /* frames it refused (ENOBUFS, a stopped queue) */
	double seconds;
};

/* Sends frames[i * frame_len ...] in turn, n_frames of them, cycling, for
 * `seconds` or until *stop; at most pps frames per second (0: as fast as
 * it can) on an absolute schedule. Returns 0 or a negative errno (with
 * the reason printed). */
int pktsend_run(const char *dev, const unsigned char *frames, size_t n_frames, size_t frame_len,
		double seconds, double pps, volatile sig_atomic_t *stop,
		struct pktsend_result *res);

#endif
