// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The three ways to put a program on a tc hook, timed per interface in one
 * run (scripts/bench_tc_paths.sh runs it in a namespace of N veths):
 *   rtnetlink: the requests user/loader/tc_attach.c built by hand before it
 *              used libbpf (clsact, a cls_bpf filter at edgefw's pref and
 *              handle; replace in place; a dump to find it, then delete);
 *   libbpf:    the same through bpf_tc_hook_create/attach/query/detach, as
 *              tc_attach.c does now;
 *   tcx:       a tcx link (kernel 6.6+) pinned in bpffs, as an instance's
 *              pins would hold it; bpf_link_update; unpin and detach.
 * Each round runs attach, replace and detach over every interface for each
 * path in turn, the order rotating by round; the figure is the median over
 * rounds of (round time / interfaces), with the lowest and highest.
 *
 *   tcpaths --prefix NAME --ifaces N --rounds R --pin-dir DIR
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nl.h"

/* libbpf 1.1.2's headers predate tcx: include/uapi/linux/bpf.h, enum
 * bpf_attach_type, after BPF_LSM_CGROUP (43), BPF_STRUCT_OPS, BPF_NETFILTER. */
#define EF_BPF_TCX_INGRESS 46

#define PREF 0x0edf
#define HANDLE 0x0edf
#define MAX_IFACES 4096
#define MAX_ROUNDS 64

enum path {
	P_NL,
	P_LIBBPF,
	P_TCX,
	P_COUNT
};
enum op {
	OP_ATTACH,
	OP_REPLACE,
	OP_DETACH,
	OP_COUNT
};
static const char *const path_names[P_COUNT] = { "rtnetlink", "libbpf", "tcx" };
static const char *const op_names[OP_COUNT] = { "attach", "replace", "detach" };

struct env {
	int ifindex[MAX_IFACES];
	int n;
	int prog[2]; /* attach puts prog[0], replace prog[1] */
	const char *pin_dir;
};

/* r0 = TC_ACT_UNSPEC; exit: passes everything on. */
static int load_prog(const char *name)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_UNSPEC },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, name, "GPL", insns, 2, NULL);
}

static struct nlmsghdr *tc_msg(char *buf, __u16 type, __u16 flags, int ifindex, __u32 handle)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent =
		type == RTM_NEWQDISC ? TC_H_CLSACT : TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	tcm->tcm_handle = handle;
	if (type != RTM_NEWQDISC)
		tcm->tcm_info = TC_H_MAKE((__u32)PREF << 16, htons(ETH_P_ALL));
	return nlh;
}

static int nl_put(struct ef_nl *nl, int ifindex, int fd, __u16 flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = tc_msg(buf, RTM_NEWTFILTER, flags, ifindex, HANDLE);
	struct nlattr *opts;

	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_BPF_FD, (__u32)fd);
	mnl_attr_put_strz(nlh, TCA_BPF_NAME, "tcpaths");
	mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_nest_end(nlh, opts);
	return ef_nl_talk(nl, nlh, NULL, NULL);
}

/* One socket per operation, as tc_attach.c had. */
static int nl_op(const struct env *e, enum op op, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ef_nl nl;
	int ret = ef_nl_open(&nl);

	if (ret)
		return ret;
	if (op == OP_ATTACH) {
		nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
			     TC_H_MAKE(TC_H_CLSACT, 0));
		mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
		ret = ef_nl_talk(&nl, nlh, NULL, NULL);
		if (!ret || ret == -EEXIST)
			ret = nl_put(&nl, ifindex, e->prog[0], NLM_F_CREATE | NLM_F_EXCL);
	} else if (op == OP_REPLACE) {
		ret = nl_put(&nl, ifindex, e->prog[1], NLM_F_REPLACE);
	} else {
		/* The dump that found our filter before deleting it. */
		nlh = tc_msg(buf, RTM_GETTFILTER, NLM_F_DUMP, ifindex, 0);
		ret = ef_nl_talk(&nl, nlh, NULL, NULL);
		if (!ret) {
			nlh = tc_msg(buf, RTM_DELTFILTER, 0, ifindex, HANDLE);
			mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
			ret = ef_nl_talk(&nl, nlh, NULL, NULL);
		}
	}
	ef_nl_close(&nl);
	return ret;
}

static int libbpf_op(const struct env *e, enum op op, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = HANDLE, .priority = PREF);
	int ret;

	if (op == OP_ATTACH) {
		ret = bpf_tc_hook_create(&h);
		if (ret && ret != -EEXIST)
			return ret;
		o.prog_fd = e->prog[0];
		return bpf_tc_attach(&h, &o);
	}
	if (op == OP_REPLACE) {
		o.prog_fd = e->prog[1];
		o.flags = BPF_TC_F_REPLACE;
		return bpf_tc_attach(&h, &o);
	}
	ret = bpf_tc_query(&h, &o);
	if (ret)
		return ret;
	o.prog_id = 0;
	return bpf_tc_detach(&h, &o);
}

static int tcx_op(const struct env *e, enum op op, int ifindex)
{
	char pin[512];
	int fd, ret;

	snprintf(pin, sizeof(pin), "%s/tcx_%d", e->pin_dir, ifindex);
	if (op == OP_ATTACH) {
		fd = bpf_link_create(e->prog[0], ifindex, EF_BPF_TCX_INGRESS, NULL);
		if (fd < 0)
			return fd;
		ret = bpf_obj_pin(fd, pin);
		close(fd);
		return ret;
	}
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return fd;
	if (op == OP_REPLACE) {
		ret = bpf_link_update(fd, e->prog[1], NULL);
	} else {
		ret = bpf_link_detach(fd);
		if (!ret && unlink(pin))
			ret = -errno;
	}
	close(fd);
	return ret;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per interface for one op over every interface, or < 0 on failure. */
static double run_op(const struct env *e, enum path p, enum op op)
{
	double t0 = now_ns();
	int i, ret;

	for (i = 0; i < e->n; i++) {
		ret = p == P_NL       ? nl_op(e, op, e->ifindex[i])
		      : p == P_LIBBPF ? libbpf_op(e, op, e->ifindex[i])
				      : tcx_op(e, op, e->ifindex[i]);
		if (ret) {
			fprintf(stderr, "tcpaths: %s %s on ifindex %d: %s\n", path_names[p],
				op_names[op], e->ifindex[i], strerror(ret < 0 ? -ret : ret));
			return -1;
		}
	}
	return (now_ns() - t0) / e->n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* libbpf warns about the clsact that exists from the round before. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int setup(struct env *e, const char *prefix)
{
	char name[IF_NAMESIZE + 16];
	int i;

	libbpf_set_print(quiet);
	for (i = 0; i < e->n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		e->ifindex[i] = (int)if_nametoindex(name);
		if (!e->ifindex[i]) {
			fprintf(stderr, "tcpaths: no interface %s: %s\n", name, strerror(errno));
			return -1;
		}
	}
	e->prog[0] = load_prog("tcpaths_a");
	e->prog[1] = load_prog("tcpaths_b");
	if (e->prog[0] < 0 || e->prog[1] < 0) {
		fprintf(stderr, "tcpaths: cannot load the test program: %s\n",
			strerror(-(e->prog[0] < 0 ? e->prog[0] : e->prog[1])));
		return -1;
	}
	return 0;
}

static void report(double t[P_COUNT][OP_COUNT][MAX_ROUNDS], int rounds)
{
	int p, op;

	printf("%-10s %-8s %12s %12s %12s\n", "path", "op", "median_us", "min_us", "max_us");
	for (p = 0; p < P_COUNT; p++)
		for (op = 0; op < OP_COUNT; op++) {
			qsort(t[p][op], (size_t)rounds, sizeof(double), cmp_double);
			printf("%-10s %-8s %12.1f %12.1f %12.1f\n", path_names[p], op_names[op],
			       t[p][op][rounds / 2] / 1e3, t[p][op][0] / 1e3,
			       t[p][op][rounds - 1] / 1e3);
		}
}

int main(int argc, char **argv)
{
	static double t[P_COUNT][OP_COUNT][MAX_ROUNDS];
	static struct env e;
	const char *prefix = "tb";
	int rounds = 5, r, k, op, c;

	while ((c = getopt_long(argc, argv, "",
				(const struct option[]){ { "prefix", required_argument, NULL, 'p' },
							 { "ifaces", required_argument, NULL, 'n' },
							 { "rounds", required_argument, NULL, 'r' },
							 { "pin-dir", required_argument, NULL, 'd' },
							 { 0 } },
				NULL)) != -1) {
		if (c == 'p')
			prefix = optarg;
		else if (c == 'n')
			e.n = atoi(optarg);
		else if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'd')
			e.pin_dir = optarg;
		else
			return 2;
	}
	if (e.n < 1 || e.n > MAX_IFACES || rounds < 1 || rounds > MAX_ROUNDS || !e.pin_dir) {
		fprintf(stderr,
			"usage: tcpaths --prefix NAME --ifaces 1-%d --rounds 1-%d --pin-dir DIR\n",
			MAX_IFACES, MAX_ROUNDS);
		return 2;
	}
	if (setup(&e, prefix))
		return 1;
	for (r = 0; r < rounds; r++)
		for (k = 0; k < P_COUNT; k++) {
			enum path p = (enum path)((k + r) % P_COUNT);

			for (op = 0; op < OP_COUNT; op++) {
				t[p][op][r] = run_op(&e, p, (enum op)op);
				if (t[p][op][r] < 0)
					return 1;
			}
		}
	printf("interfaces %d, rounds %d, order rotating per round\n", e.n, rounds);
	report(t, rounds);
	return 0;
}
