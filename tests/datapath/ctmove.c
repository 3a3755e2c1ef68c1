// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The move of a flow from the unconfirmed to the confirmed table against
 * a lookup on another CPU (--only ctmove; kern/conntrack.h, ct_find, and
 * kern/DESIGN.md, "The move between the tables").
 *
 * One thread, pinned to one CPU, runs the replies of a UDP flow through
 * XDP, many per BPF_PROG_TEST_RUN; another, pinned to another CPU, puts
 * the flow back in the unconfirmed table (insert there, then delete the
 * confirmed entry: a reader always finds one) and sends the initiator's
 * packet at tc-egress, whose datapath moves it to the confirmed table
 * (insert there, then delete here). Every reply belongs to the flow, so
 * every one must be established: a reply counted new found the flow in
 * neither table. Without the confirmed table's second look the race
 * needs the reader's CPU held up between its two lookups (an interrupt,
 * the hypervisor), so it is not deterministic: how often it shows is in
 * kern/DESIGN.md. With it, no interleaving can give new, so the check is
 * exact.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cttable.h"
#include "dp.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

#define MOVE_CYCLES 50000u
#define REPLIES_PER_RUN 2000u

static const char *const move_rules = "version: 1\n"
				      "defaults: {xdp: drop, tc-ingress: drop, tc-egress: pass}\n"
				      "rules:\n"
				      "  - name: replies\n"
				      "    hooks: [xdp, tc-ingress]\n"
				      "    state: [established, related]\n"
				      "    action: pass\n";

struct reader {
	int prog_fd, cpu;
	struct pkt reply;
	atomic_bool stop;
	unsigned long runs;
	int err;
};

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Replies through XDP until told to stop. */
static void *read_loop(void *arg)
{
	struct reader *r = arg;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = r->reply.data,
		    .data_size_in = (__u32)r->reply.len, .repeat = REPLIES_PER_RUN);

	r->err = pin_to(r->cpu);
	while (!r->err && !atomic_load(&r->stop)) {
		if (bpf_prog_test_run_opts(r->prog_fd, &opts))
			r->err = errno;
		r->runs++;
	}
	return NULL;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t stat_of(struct dp *dp, unsigned idx)
{
	struct ef_ct_counters c;

	return ef_ct_read_counters(&dp->inst, &c) ? 0 : c.v[idx];
}

struct find_one {
	uint16_t port;
	struct ef_ct_flow fl;
	unsigned n;
};

static int find_visit(const struct ef_ct_flow *fl, void *arg)
{
	struct find_one *x = arg;

	if (fl->key.proto == IPPROTO_UDP &&
	    (fl->init_port == x->port || fl->resp_port == x->port)) {
		x->fl = *fl;
		x->n++;
	}
	return 0;
}

/* The flow recorded at tc-egress and replied to, still unconfirmed: the
 * entry each cycle writes back. */
static bool start_flow(struct dp *dp, const struct pkt *out, const struct pkt *back, uint16_t port,
		       struct ef_ct_flow *fl)
{
	struct find_one x = { .port = port };

	dp_run(dp, EDGEFW_HOOK_TC_EGRESS, out);
	dp_run(dp, EDGEFW_HOOK_XDP, back);
	if (ef_ct_walk(&dp->inst, find_visit, &x) || x.n != 1 || x.fl.confirmed ||
	    !(x.fl.e.seen & EDGEFW_CT_SEEN_REPLY))
		return false;
	*fl = x.fl;
	return true;
}

/* Moves the flow back and forth MOVE_CYCLES times while the reader runs;
 * how many moves the datapath made. */
static unsigned move_loop(struct dp *dp, const struct ef_ct_flow *fl, const struct pkt *out,
			  int cpu)
{
	struct edgefw_ct_entry e = fl->e;
	unsigned moved = 0;
	uint64_t before;

	if (pin_to(cpu))
		return 0;
	before = stat_of(dp, EDGEFW_CTS_CONFIRMED);
	for (unsigned i = 0; i < MOVE_CYCLES; i++) {
		e.last_seen = mono_ns();
		if (ef_ct_update(&dp->inst, &fl->key, false, &e, BPF_ANY))
			break;
		ef_ct_delete(&dp->inst, &fl->key, true);
		if (dp_run(dp, EDGEFW_HOOK_TC_EGRESS, out) != DP_PASS)
			break;
	}
	moved = (unsigned)(stat_of(dp, EDGEFW_CTS_CONFIRMED) - before);
	return moved;
}

static void race_family(struct dp *dp, const char *tag, const char *host, const char *remote)
{
	struct pkt_spec so = { .l4proto = IPPROTO_UDP, .sport = 42000, .dport = 5353, .payload = 8 },
			sb = { .l4proto = IPPROTO_UDP, .sport = 5353, .dport = 42000, .payload = 8 };
	struct reader r = { .prog_fd = dp->prog_fd[EDGEFW_HOOK_XDP], .cpu = 0 };
	struct ef_ct_flow fl;
	uint64_t new0, est0, est;
	unsigned moved;
	pthread_t t;
	cpu_set_t saved;
	struct pkt out;
	size_t n;

	spec_addrs(&so, host, remote);
	spec_addrs(&sb, remote, host);
	pkt_build(&out, &so);
	pkt_build(&r.reply, &sb);
	ef_ct_flush(&dp->inst, NULL, &n);
	if (!start_flow(dp, &out, &r.reply, 42000, &fl)) {
		tap(false, "ctmove %s: the flow is recorded, replied to and unconfirmed", tag);
		return;
	}
	new0 = stat_of(dp, EDGEFW_CTS_NEW);
	est0 = stat_of(dp, EDGEFW_CTS_ESTABLISHED);
	if (pthread_create(&t, NULL, read_loop, &r)) {
		tap(false, "ctmove %s: start the reader thread", tag);
		return;
	}
	pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved);
	moved = move_loop(dp, &fl, &out, 1);
	pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	est = stat_of(dp, EDGEFW_CTS_ESTABLISHED) - est0;
	tap(!r.err && moved == MOVE_CYCLES,
	    "ctmove %s: the datapath moved the flow %u of %u times while %lu runs of %u replies ran (%s)",
	    tag, moved, MOVE_CYCLES, r.runs, REPLIES_PER_RUN, r.err ? strerror(r.err) : "ok");
	tap(stat_of(dp, EDGEFW_CTS_NEW) == new0,
	    "ctmove %s: no reply found its flow in neither table (%llu of %llu counted new)", tag,
	    (unsigned long long)(stat_of(dp, EDGEFW_CTS_NEW) - new0),
	    (unsigned long long)(r.runs * REPLIES_PER_RUN));
	diag("ctmove %s: %llu packets established", tag, (unsigned long long)est);
	ef_ct_flush(&dp->inst, NULL, &n);
}

struct walk_race {
	struct dp *dp;
	const struct pkt *move; /* the packet that confirms the IPv4 flow */
	unsigned f_seen;
	bool moved;
};

/* Counts the IPv4 flow's visits; at the IPv6 flow's, the datapath moves
 * the IPv4 one to the confirmed table. */
static int race_visit(const struct ef_ct_flow *fl, void *arg)
{
	struct walk_race *x = arg;

	if (fl->key.proto != IPPROTO_UDP)
		return 0;
	if (fl->key.family == 4 && fl->init_port == 43000) {
		x->f_seen++;
	} else if (fl->key.family == 6 && fl->init_port == 43001 && !x->moved) {
		x->moved = true;
		dp_run(x->dp, EDGEFW_HOOK_TC_EGRESS, x->move);
	}
	return 0;
}

/* A walk (a flush, the revalidation after a reload) visits a flow that
 * moves meanwhile: here it moves while the walk is at a confirmed IPv6
 * flow, after the unconfirmed tables, where it was; confirmed tables
 * first, it moved into one already walked and was never visited. */
static void walk_during_move(struct dp *dp)
{
	struct pkt_spec so = { .l4proto = IPPROTO_UDP, .sport = 43000, .dport = 53, .payload = 8 },
			sb = { .l4proto = IPPROTO_UDP, .sport = 53, .dport = 43000, .payload = 8 },
			go = { .l4proto = IPPROTO_UDP, .sport = 43001, .dport = 53, .payload = 8 },
			gb = { .l4proto = IPPROTO_UDP, .sport = 53, .dport = 43001, .payload = 8 };
	struct pkt out, back, gout, gback;
	struct walk_race x = { .dp = dp, .move = &out };
	struct ef_ct_flow fl;
	struct find_one f = { .port = 43000 };
	size_t n;

	spec_addrs(&so, "192.0.2.10", "198.51.100.20");
	spec_addrs(&sb, "198.51.100.20", "192.0.2.10");
	spec_addrs(&go, "2001:db8::10", "2001:db8:1::20");
	spec_addrs(&gb, "2001:db8:1::20", "2001:db8::10");
	pkt_build(&out, &so);
	pkt_build(&back, &sb);
	pkt_build(&gout, &go);
	pkt_build(&gback, &gb);
	ef_ct_flush(&dp->inst, NULL, &n);
	/* The IPv6 flow confirmed (query, answer, query), the IPv4 one
	 * answered but not confirmed. */
	dp_run(dp, EDGEFW_HOOK_TC_EGRESS, &gout);
	dp_run(dp, EDGEFW_HOOK_XDP, &gback);
	dp_run(dp, EDGEFW_HOOK_TC_EGRESS, &gout);
	if (!start_flow(dp, &out, &back, 43000, &fl)) {
		tap(false, "ctmove walk: the IPv4 flow is recorded, replied to and unconfirmed");
		return;
	}
	ef_ct_walk(&dp->inst, race_visit, &x);
	ef_ct_walk(&dp->inst, find_visit, &f);
	tap(x.moved && f.n == 1 && f.fl.confirmed,
	    "ctmove walk: the datapath moved the IPv4 flow during the walk (%s)",
	    x.moved ? "at the IPv6 flow" : "IPv6 flow not visited");
	tap(x.f_seen >= 1, "ctmove walk: the walk visited the flow that moved (%u times)",
	    x.f_seen);
	ef_ct_flush(&dp->inst, NULL, &n);
}

void dp_test_ctmove(struct dp *dp)
{
	int ret;

	ret = dp_load_yaml(dp, move_rules);
	tap(!ret, "ctmove: load the stateful rules (%s)", ret ? dp->error : "ok");
	if (ret)
		return;
	walk_during_move(dp);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		diag("ctmove: the race of a lookup with a move needs two CPUs, skipped");
		return;
	}
	race_family(dp, "v4", "192.0.2.10", "198.51.100.20");
	race_family(dp, "v6", "2001:db8::10", "2001:db8:1::20");
}
