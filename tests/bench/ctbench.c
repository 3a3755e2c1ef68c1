// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cost of connection tracking per packet (microbench --conntrack, and
 * part of make bench): 4,096 return-traffic flows (a remote's TCP ACKs to
 * the host) through edgefw's XDP and tc programs under three set-ups, in
 * the same run, interleaved by repetition:
 *
 *   stateless    a ruleset of N rules whose first rule cannot match them
 *                (ICMP timestamp); no state is looked up
 *   established  the same N rules, the first `state: [established,
 *                related]`, every flow in ct_tbl: one hash lookup, then
 *                the first rule
 *   miss         the same stateful ruleset, 4,096 other flows (source
 *                port 444), in neither table: the filter (kern/ct_filter.h)
 *                and the lookups its slot does not rule out, state
 *                invalid, then every rule (default drop); a flood's or a
 *                stray packet's miss
 *   flushed      the same, with the established set's flows just flushed:
 *                their slots' confirmed deadlines are still raised, so
 *                each costs the confirmed table's lookup (the filter's
 *                worst case, a slot shared with a live flow)
 *
 * The ratios to `stateless` are the figures: the median over repetitions
 * of each repetition's ratio (its three sets measured back to back). The
 * absolute nanoseconds (medians) include the test run's own overhead.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "classify.h"
#include "ctbench.h"
#include "cttable.h"
#include "matcher.h"
#include "tables.h"

#define CT_FLOWS 4096

enum {
	SET_STATELESS,
	SET_ESTABLISHED,
	SET_MISS,
	SET_FLUSHED,
	SET_COUNT
};

static const char *const set_names[SET_COUNT] = { "stateless", "established", "miss", "flushed" };

/* N rules: the first as given, then services on /32 destinations the
 * flows never go to. */
static char *ruleset_yaml(const char *first, unsigned n, bool v6)
{
	size_t cap = 256 + (size_t)n * 128, len;
	char *y = malloc(cap);

	if (!y)
		return NULL;
	len = (size_t)snprintf(y, cap,
			       "version: 1\ndefaults: {xdp: drop, tc-ingress: drop}\nrules:\n"
			       "  - name: first\n%s",
			       first);
	for (unsigned i = 1; i < n && len < cap; i++)
		len += (size_t)snprintf(
			y + len, cap - len,
			v6 ? "  - name: s%u\n    dst: 2001:db8:ff::%x:%x\n    proto: %s\n    dport: %u\n    action: %s\n"
			   : "  - name: s%u\n    dst: 10.1.%u.%u\n    proto: %s\n    dport: %u\n    action: %s\n",
			i, v6 ? i : i / 250, v6 ? 1 : i % 250 + 1, i & 1 ? "tcp" : "udp",
			1000 + i % 50, i & 2 ? "pass" : "drop");
	return y;
}

static int load(struct ef_instance *inst, const char *yaml)
{
	static const char *const ifnames[] = { "lo" };
	struct ef_apply_summary sum;
	struct ef_ruleset rs;
	struct ef_compiled c;
	struct ef_diag d = {};
	int ret;

	ret = ef_ruleset_parse("ctbench.yaml", yaml, strlen(yaml), &rs, &d);
	if (!ret) {
		ret = ef_compile(&rs, ifnames, 1, &c, &d);
		if (!ret)
			ret = ef_tables_apply(inst, &rs, &c, &sum);
		if (!ret || c.n_dims)
			ef_compiled_free(&c);
		ef_ruleset_free(&rs);
	}
	if (ret)
		ef_diag_print(&d, stderr);
	ef_diag_free(&d);
	return ret;
}

static void build(struct pkt *flows, struct ef_packet *eps, bool v6, uint16_t sport)
{
	for (unsigned i = 0; i < CT_FLOWS; i++) {
		struct pkt_spec s = { .family = v6 ? 6 : 4,
				      .l4proto = IPPROTO_TCP,
				      .sport = sport,
				      .dport = (uint16_t)(32768 + i),
				      .tcp_flags = 0x10,
				      .payload = 16 };
		struct ef_packet *e = &eps[i];

		if (v6) {
			inet_pton(AF_INET6, "2001:db8:1::1", s.saddr);
			s.saddr[14] = (uint8_t)(i >> 8);
			s.saddr[15] = (uint8_t)i;
			inet_pton(AF_INET6, "2001:db8::10", s.daddr);
		} else {
			inet_pton(AF_INET, "198.51.0.0", s.saddr);
			s.saddr[2] = (uint8_t)(i >> 8);
			s.saddr[3] = (uint8_t)i;
			inet_pton(AF_INET, "192.0.2.10", s.daddr);
		}
		pkt_build(&flows[i], &s);
		memset(e, 0, sizeof(*e));
		e->family = v6 ? EF_AF_INET6 : EF_AF_INET;
		memcpy(e->saddr, s.saddr, 16);
		memcpy(e->daddr, s.daddr, 16);
		e->l4proto = IPPROTO_TCP;
		e->has_ports = true;
		e->sport = s.sport;
		e->dport = s.dport;
	}
}

/* Every flow as a confirmed, established connection the host opened. */
static int populate(struct ef_instance *inst, const struct ef_packet *eps)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (unsigned i = 0; i < CT_FLOWS; i++) {
		struct edgefw_ct_entry e = {
			.last_seen = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
			.hook = EDGEFW_HOOK_TC_EGRESS,
			.flow = EDGEFW_CTF_TCP_ESTABLISHED,
			.seen = EDGEFW_CT_SEEN_REPLY | EDGEFW_CT_CONFIRMED,
			.ifindex = 1,
		};
		struct edgefw_ct_key k;

		e.created = e.last_seen;
		ef_ct_key_of(&eps[i], 0, &k);
		/* The host (the packet's destination) initiated. */
		e.init_is_a = !memcmp(k.addr_a, eps[i].daddr, 16);
		if (ef_ct_update(inst, &k, true, &e, BPF_ANY))
			return -1;
	}
	return 0;
}

static void one_size(struct ef_instance *inst, const struct prog *progs, size_t n_progs,
		     unsigned n_rules, bool v6, unsigned reps, unsigned repeat)
{
	char *stateless =
		ruleset_yaml("    proto: icmp\n    icmp-type: 13\n    action: pass\n", n_rules, v6);
	char *stateful =
		ruleset_yaml("    state: [established, related]\n    action: pass\n", n_rules, v6);
	struct pkt *flows = calloc(CT_FLOWS, sizeof(*flows)),
		   *others = calloc(CT_FLOWS, sizeof(*others)), *sent;
	struct ef_packet *eps = calloc(CT_FLOWS, sizeof(*eps)),
			 *other_eps = calloc(CT_FLOWS, sizeof(*other_eps));
	double *s = calloc((size_t)reps * SET_COUNT * n_progs, sizeof(*s));
	size_t flushed;

	if (!stateless || !stateful || !flows || !others || !eps || !other_eps || !s) {
		fprintf(stderr, "ctbench: out of memory\n");
		goto out;
	}
	build(flows, eps, v6, 443);
	build(others, other_eps, v6, 444);
	for (unsigned r = 0; r < reps; r++) {
		for (int set = 0; set < SET_COUNT; set++) {
			if (load(inst, set == SET_STATELESS ? stateless : stateful) ||
			    ef_ct_flush(inst, NULL, &flushed) ||
			    (set == SET_ESTABLISHED && populate(inst, eps))) {
				fprintf(stderr, "ctbench: cannot set up %s\n", set_names[set]);
				goto out;
			}
			sent = set == SET_MISS ? others : flows;
			if (r == 0)
				printf("# conntrack %u rules %s, %s: %s drops %zu of %d flows\n",
				       n_rules, v6 ? "IPv6" : "IPv4", set_names[set], progs[0].name,
				       bench_count_drops(&progs[0], sent, CT_FLOWS), CT_FLOWS);
			for (size_t p = 0; p < n_progs; p++)
				s[(p * SET_COUNT + (size_t)set) * reps + r] =
					bench_measure(progs[p].fd, sent, CT_FLOWS, repeat);
		}
	}
	for (size_t p = 0; p < n_progs; p++) {
		double med[SET_COUNT], ratio[SET_COUNT], *r = calloc(reps, sizeof(*r));
		const double *base = &s[p * SET_COUNT * reps];

		/* The ratios are the medians of each repetition's own ratio:
		 * a repetition's sets are measured within half a second,
		 * so the machine's slow and fast phases (seconds, up to 2x)
		 * cancel, where a ratio of medians mixes them. */
		for (int set = 0; set < SET_COUNT && r; set++) {
			double *v = &s[(p * SET_COUNT + (size_t)set) * reps];

			for (unsigned i = 0; i < reps; i++)
				r[i] = v[i] / base[i];
			qsort(r, reps, sizeof(*r), bench_cmp_double);
			ratio[set] = r[reps / 2];
		}
		for (int set = 0; set < SET_COUNT && r; set++) {
			double *v = &s[(p * SET_COUNT + (size_t)set) * reps];

			qsort(v, reps, sizeof(*v), bench_cmp_double);
			med[set] = v[reps / 2];
		}
		if (r)
			printf("| %s | %u | %s | %.1f | %.1f (%.2fx) | %.1f (%.2fx) | %.1f (%.2fx) |\n",
			       progs[p].name, n_rules, v6 ? "IPv6" : "IPv4", med[SET_STATELESS],
			       med[SET_ESTABLISHED], ratio[SET_ESTABLISHED], med[SET_MISS],
			       ratio[SET_MISS], med[SET_FLUSHED], ratio[SET_FLUSHED]);
		free(r);
	}
	ef_ct_flush(inst, NULL, &flushed);
out:
	free(stateless);
	free(stateful);
	free(flows);
	free(others);
	free(eps);
	free(other_eps);
	free(s);
}

void ct_bench(struct ef_instance *inst, const struct prog *progs, size_t n_progs, unsigned reps,
	      unsigned repeat)
{
	printf("\n# conntrack: %d return-traffic flows (TCP ACKs to the host), medians of %u interleaved repetitions (ratios: medians of each repetition's)\n",
	       CT_FLOWS, reps);
	printf("\n| program | rules | family | stateless ns/pkt | established ns/pkt (x stateless) | table miss ns/pkt (x stateless) | miss, flows just flushed (x stateless) |\n");
	printf("|---|---:|---|---:|---:|---:|---:|\n");
	one_size(inst, progs, n_progs, 10, false, reps, repeat);
	one_size(inst, progs, n_progs, 10000, false, reps, repeat);
	one_size(inst, progs, n_progs, 10, true, reps, repeat);
}
