// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the parser's work costs by frame shape: the deepest walks (4 VLAN
 * tags and PPPoE, 4 MPLS labels, 8 IPv6 extension headers) and XDP
 * multi-buffer frames, against a plain frame of the same family, for the
 * parser alone and for edgefw's programs, interleaved, medians of reps.
 * Ratios only: absolute figures include BPF_PROG_TEST_RUN's overhead.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsecost.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

#define JUMBO 9014
#define SHAPES 8
#define PROGS 3

struct shape {
	const char *name;
	int base;      /* the plain frame of its family */
	bool xdp_only; /* larger than a tc test run takes */
	uint8_t *data;
	size_t len;
};

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static struct pkt_spec udp_spec(int family)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .sport = 40000, .dport = 443, .payload = 18 };
	uint8_t f;

	if (family == 4) {
		parse_addr("192.0.2.1", &f, s.saddr);
		parse_addr("198.51.100.1", &f, s.daddr);
	} else {
		parse_addr("2001:db8::1", &f, s.saddr);
		parse_addr("2001:db8::2", &f, s.daddr);
	}
	s.family = f;
	return s;
}

static void shape_from(struct shape *sh, const struct pkt_spec *s)
{
	struct pkt p;

	pkt_build(&p, s);
	sh->data = malloc(p.len);
	if (sh->data)
		memcpy(sh->data, p.data, p.len);
	sh->len = p.len;
}

/* IPv4/UDP of JUMBO bytes, or IPv6 whose UDP header lies past the first
 * buffer (two 2 KiB destination-options headers). */
static void shape_jumbo(struct shape *sh, int family)
{
	uint8_t *f = calloc(1, JUMBO), fam;

	sh->data = f;
	sh->len = JUMBO;
	if (!f)
		return;
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (family == 4) {
		put16(f + 12, 0x0800);
		f[14] = 0x45;
		put16(f + 16, JUMBO - 14);
		f[22] = 64;
		f[23] = IPPROTO_UDP;
		parse_addr("192.0.2.1", &fam, f + 26);
		parse_addr("198.51.100.1", &fam, f + 30);
		put16(f + 34, 40000);
		put16(f + 36, 443);
		put16(f + 38, JUMBO - 34);
		return;
	}
	put16(f + 12, 0x86dd);
	f[14] = 0x60;
	put16(f + 18, JUMBO - 54);
	f[20] = 60;
	f[21] = 64;
	parse_addr("2001:db8::1", &fam, f + 22);
	parse_addr("2001:db8::2", &fam, f + 38);
	f[54] = 60;
	f[55] = 255;
	f[54 + 2048] = IPPROTO_UDP;
	f[55 + 2048] = 255;
	put16(f + 4150, 40000);
	put16(f + 4152, 443);
	put16(f + 4154, JUMBO - 4150);
}

static void build_shapes(struct shape *sh)
{
	struct pkt_spec s;

	sh[0] = (struct shape){ .name = "IPv4/UDP", .base = 0 };
	s = udp_spec(4);
	shape_from(&sh[0], &s);
	sh[1] = (struct shape){ .name = "4 VLAN tags + PPPoE, IPv4/UDP", .base = 0 };
	s.n_vlan = 4;
	s.tpid[0] = 0x88a8;
	s.pppoe = true;
	shape_from(&sh[1], &s);
	sh[2] = (struct shape){ .name = "4 MPLS labels, IPv4/UDP", .base = 0 };
	s = udp_spec(4);
	s.n_mpls = 4;
	shape_from(&sh[2], &s);
	sh[3] = (struct shape){ .name = "IPv4/UDP, 9000 bytes (multi-buffer at XDP)",
				.base = 0,
				.xdp_only = true };
	shape_jumbo(&sh[3], 4);
	sh[4] = (struct shape){ .name = "IPv6/UDP", .base = 4 };
	s = udp_spec(6);
	shape_from(&sh[4], &s);
	sh[5] = (struct shape){ .name = "IPv6 + 8 extension headers/UDP", .base = 4 };
	s.n_ext = 8;
	shape_from(&sh[5], &s);
	sh[6] = (struct shape){ .name = "4 MPLS labels, IPv6/UDP", .base = 4 };
	s = udp_spec(6);
	s.n_mpls = 4;
	shape_from(&sh[6], &s);
	sh[7] = (struct shape){ .name = "IPv6, UDP header in an XDP fragment",
				.base = 4,
				.xdp_only = true };
	shape_jumbo(&sh[7], 6);
}

static double run_ns(int fd, const struct shape *sh, unsigned repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = sh->data, .data_size_in = (__u32)sh->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -1;
	return opts.duration;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_parse_shapes(const struct parse_prog *progs, size_t n_progs, unsigned reps,
			unsigned repeat)
{
	static double samples[PROGS][SHAPES][64];
	struct shape sh[SHAPES];
	double med[PROGS][SHAPES];

	if (n_progs > PROGS)
		n_progs = PROGS;
	if (reps > 64)
		reps = 64;
	build_shapes(sh);
	/* Interleaved: every shape on every program once per repetition. */
	for (unsigned r = 0; r < reps; r++)
		for (size_t s = 0; s < SHAPES; s++)
			for (size_t p = 0; p < n_progs; p++)
				samples[p][s][r] =
					sh[s].data && !(sh[s].xdp_only && progs[p].tc)
						? run_ns(progs[p].fd, &sh[s], repeat * 20)
						: -1;
	printf("\n# parse cost by frame shape: ns per frame, median of %u (x the plain frame of its family, same program)\n",
	       reps);
	printf("%-44s", "frame");
	for (size_t p = 0; p < n_progs; p++)
		printf(" %22s", progs[p].name);
	printf("\n");
	for (size_t s = 0; s < SHAPES; s++) {
		printf("%-44s", sh[s].name);
		for (size_t p = 0; p < n_progs; p++) {
			qsort(samples[p][s], reps, sizeof(double), cmp_double);
			med[p][s] = samples[p][s][reps / 2];
			if (med[p][s] < 0)
				printf(" %22s", "n/a");
			else
				printf(" %13.1f (%5.2fx)", med[p][s],
				       med[p][s] / med[p][sh[s].base]);
		}
		printf("\n");
	}
	for (size_t s = 0; s < SHAPES; s++)
		free(sh[s].data);
}
