// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fault injection on the reload path. With ruleset A in force (and its
 * counters counting), every kernel call of a reload to ruleset B is made to
 * fail in turn (EDGEFW_FAULT=any:N, N = 1, 2, ... until a reload makes no
 * call that fails). After each: exactly one whole ruleset is in force (the
 * probes' verdicts are all A's or all B's, and B's exactly when the reload
 * reported success), what status, stats and metrics read (state, names,
 * defaults) names that same ruleset, and the counters of its rules went on
 * from where they were. Then a clean reload back to A must work and leave
 * no entry of the other generation behind.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "dp.h"
#include "fault.h"
#include "tables.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

enum {
	RS_A,
	RS_B,
	RS_COUNT
};
#define N_HOOKS 2
#define MAX_FAULTS 1000

static const uint32_t probe_hooks[N_HOOKS] = { EDGEFW_HOOK_XDP, EDGEFW_HOOK_TC_INGRESS };

static const char *const rules_yaml[RS_COUNT] = {
	"version: 1\n"
	"defaults: {xdp: pass, tc-ingress: pass, tc-egress: pass}\n"
	"rules:\n"
	"  - {name: keep-drop, proto: udp, dport: 53, action: drop}\n"
	"  - {name: keep-flip, proto: udp, dport: 54, action: pass}\n"
	"  - {name: only-a, proto: udp, dport: 55, action: drop}\n"
	"  - {name: v6-net, src: \"fd00:200:1::40/124\", action: drop}\n"
	"  - {name: v6-host, src: \"fd00:200:1::7\", action: pass}\n"
	/* Six lengths past /48 in src: /128 to /112 hashed, /100 and /56 in
	 * the LPM trie (user/compiler/addr6_hash.c), so both are filled. */
	"  - {name: v6-lens, src: [\"fd00:300::/120\", \"fd00:300::/112\",\n"
	"     \"fd00:300::/100\", \"fd00:300::/56\"], action: drop}\n"
	"  - {name: on-lo, interfaces: [lo], proto: udp, dport: 7, action: drop}\n"
	"  - {name: redir, src: 10.77.0.0/16, action: redirect, to: lo}\n",

	"version: 1\n"
	"defaults: {xdp: drop, tc-ingress: pass, tc-egress: pass}\n"
	"rules:\n"
	"  - {name: keep-drop, proto: udp, dport: 53, action: drop}\n"
	"  - {name: only-b, proto: udp, dport: 56, action: drop}\n"
	"  - {name: keep-flip, proto: udp, dport: 54, action: drop}\n"
	"  - {name: v6-host, src: \"fd00:200:1::7\", action: drop}\n"
	"  - {name: v6-net, src: \"fd00:200:1::40/124\", action: pass}\n"
	"  - {name: on-lo, interfaces: [lo], proto: udp, dport: 7, action: pass}\n"
	"  - {name: b-v6, dst: \"2001:db8:5:6::/64\", action: drop}\n"
	"  - {name: redir-b, src: 10.78.0.0/16, action: redirect, to: lo}\n",
};

/* What each ruleset does with a frame: verdicts on the XDP and tc-ingress
 * hooks, and the rule that decides (NULL: the default). */
struct outcome {
	enum dp_verdict v[N_HOOKS];
	const char *rule;
};

struct probe {
	const char *src, *dst;
	uint16_t dport;
	struct outcome want[RS_COUNT];
};

#define D DP_DROP
#define P DP_PASS
#define R DP_REDIRECT
static const struct probe probes[] = {
	{ "10.1.0.1", "10.2.0.1", 53, { { { D, D }, "keep-drop" }, { { D, D }, "keep-drop" } } },
	{ "10.1.0.1", "10.2.0.1", 54, { { { P, P }, "keep-flip" }, { { D, D }, "keep-flip" } } },
	{ "10.1.0.1", "10.2.0.1", 55, { { { D, D }, "only-a" }, { { D, P }, NULL } } },
	{ "10.1.0.1", "10.2.0.1", 56, { { { P, P }, NULL }, { { D, D }, "only-b" } } },
	{ "fd00:200:1::42", "fd00:200:2::1", 9, { { { D, D }, "v6-net" }, { { P, P }, "v6-net" } } },
	{ "fd00:200:1::7",
	  "fd00:200:2::1",
	  9,
	  { { { P, P }, "v6-host" }, { { D, D }, "v6-host" } } },
	{ "fd00:300::100:1", "fd00:200:2::1", 9, { { { D, D }, "v6-lens" }, { { D, P }, NULL } } },
	{ "10.1.0.1", "10.2.0.1", 7, { { { D, D }, "on-lo" }, { { P, P }, "on-lo" } } },
	{ "10.77.1.1", "10.2.0.1", 9, { { { R, R }, "redir" }, { { D, P }, NULL } } },
	{ "10.78.1.1", "10.2.0.1", 9, { { { P, P }, NULL }, { { R, R }, "redir-b" } } },
	{ "fd00:200:3::1", "2001:db8:5:6::9", 9, { { { P, P }, NULL }, { { D, D }, "b-v6" } } },
	{ "10.1.0.1", "10.2.0.1", 99, { { { P, P }, NULL }, { { D, P }, NULL } } },
};
#undef D
#undef P
#undef R
#define N_PROBES (sizeof(probes) / sizeof(probes[0]))

struct fx {
	struct dp *dp;
	struct ef_ruleset rs[RS_COUNT];
	struct ef_compiled c[RS_COUNT];
	bool have[RS_COUNT];
	FILE *log;     /* the loader's messages during one reload */
	int saved_err; /* stderr while they go to log */
};

static const char *const rs_label[RS_COUNT] = { "A", "B" };

static int fx_load(struct fx *fx)
{
	static const char *const ifnames[] = { DP_IFNAME };

	for (int r = 0; r < RS_COUNT; r++) {
		struct ef_diag d = {};
		int ret;

		ret = ef_ruleset_parse(r ? "b.yaml" : "a.yaml", rules_yaml[r],
				       strlen(rules_yaml[r]), &fx->rs[r], &d);
		if (!ret) {
			ret = ef_compile(&fx->rs[r], ifnames, 1, &fx->c[r], &d);
			if (ret)
				ef_ruleset_free(&fx->rs[r]);
		}
		ef_diag_print(&d, stdout);
		ef_diag_free(&d);
		if (ret)
			return ret;
		fx->have[r] = true;
	}
	return 0;
}

static void fx_free(struct fx *fx)
{
	for (int r = 0; r < RS_COUNT; r++) {
		if (!fx->have[r])
			continue;
		ef_compiled_free(&fx->c[r]);
		ef_ruleset_free(&fx->rs[r]);
	}
	if (fx->log)
		fclose(fx->log);
}

/* Sends the loader's messages to fx->log (shown only when a check fails). */
static void capture_start(struct fx *fx)
{
	fflush(stderr);
	if (fx->log)
		fclose(fx->log);
	fx->log = tmpfile();
	fx->saved_err = fx->log ? dup(2) : -1;
	if (fx->saved_err >= 0)
		dup2(fileno(fx->log), 2);
}

static void capture_stop(struct fx *fx)
{
	fflush(stderr);
	if (fx->saved_err >= 0) {
		dup2(fx->saved_err, 2);
		close(fx->saved_err);
	}
	fx->saved_err = -1;
}

static void capture_show(struct fx *fx)
{
	char line[512];

	if (!fx->log)
		return;
	rewind(fx->log);
	while (fgets(line, sizeof(line), fx->log)) {
		line[strcspn(line, "\n")] = '\0';
		diag("  loader: %s", line);
	}
}

/* Applies ruleset r; with fault > 0 the fault-th kernel call at site
 * (any: of all) fails. *fired: the call that failed, NULL when the reload
 * got through all of them. */
static int reload_at(struct fx *fx, int r, const char *site, unsigned fault, const char **fired,
		     unsigned *calls, struct ef_apply_summary *sum)
{
	char spec[64];
	int ret;

	/* Armed even for a clean reload: the calls are counted. */
	snprintf(spec, sizeof(spec), "%s:%u", site, fault ? fault : MAX_FAULTS);
	setenv(EF_FAULT_ENV, spec, 1);
	ef_fault_rearm();
	capture_start(fx);
	ret = ef_tables_apply(&fx->dp->inst, &fx->rs[r], &fx->c[r], sum);
	capture_stop(fx);
	*fired = ef_fault_fired();
	*calls = ef_fault_calls();
	unsetenv(EF_FAULT_ENV);
	ef_fault_rearm();
	return ret;
}

static int reload(struct fx *fx, int r, unsigned fault, const char **fired, unsigned *calls,
		  struct ef_apply_summary *sum)
{
	return reload_at(fx, r, "any", fault, fired, calls, sum);
}

/* Runs every probe on both hooks. Returns the ruleset whose verdicts they
 * all got, or -1 (with the first mismatch in why). */
static int in_force(struct fx *fx, char *why, size_t len)
{
	int match = (1 << RS_COUNT) - 1;

	snprintf(why, len, "no probe ran");
	for (size_t i = 0; i < N_PROBES; i++) {
		const struct probe *pr = &probes[i];
		struct pkt_spec s = {
			.l4proto = IPPROTO_UDP, .sport = 40000, .dport = pr->dport, .payload = 8
		};
		struct pkt p;

		spec_addrs(&s, pr->src, pr->dst);
		pkt_build(&p, &s);
		for (int h = 0; h < N_HOOKS; h++) {
			enum dp_verdict got = dp_run(fx->dp, probe_hooks[h], &p);

			for (int r = 0; r < RS_COUNT; r++)
				if (got != pr->want[r].v[h])
					match &= ~(1 << r);
			if (!match) {
				snprintf(
					why, len,
					"probe %zu (%s -> %s:%u) hook %u: verdict %d is neither A's nor B's, or the earlier probes were the other's",
					i, pr->src, pr->dst, pr->dport, probe_hooks[h], got);
				return -1;
			}
		}
	}
	return match == 1 << RS_A ? RS_A : match == 1 << RS_B ? RS_B : -1;
}

/* Times rule name decides a probe run by in_force under ruleset r. */
static uint64_t hits(int r, const char *name)
{
	uint64_t n = 0;

	for (size_t i = 0; i < N_PROBES; i++)
		if (probes[i].want[r].rule && !strcmp(probes[i].want[r].rule, name))
			n += N_HOOKS;
	return n;
}

static const struct ef_rule_stat *stat_of(const struct ef_stats *st, const char *name)
{
	for (size_t i = 0; i < st->n_rules; i++)
		if (!strcmp(st->rules[i].name, name))
			return &st->rules[i];
	return NULL;
}

/* What status/stats/metrics read is ruleset r, version version, and its
 * counters are those of before plus one in_force run. */
static bool described_as(struct fx *fx, int r, uint64_t version, const struct ef_stats *before,
			 char *why, size_t len)
{
	const struct ef_ruleset *rs = &fx->rs[r];
	struct ef_stats st;
	bool ok = false;

	if (ef_stats_read(&fx->dp->inst, &st)) {
		snprintf(why, len, "ef_stats_read failed");
		return false;
	}
	if (!st.state.loaded || st.state.ruleset_hash != rs->hash || st.state.version != version ||
	    st.state.n_rules != rs->n_rules || st.n_rules != rs->n_rules) {
		snprintf(
			why, len,
			"state says hash %016llx version %llu, %zu names (%u rules); want %s: %016llx version %llu, %zu rules",
			(unsigned long long)st.state.ruleset_hash,
			(unsigned long long)st.state.version, st.n_rules, st.state.n_rules,
			rs_label[r], (unsigned long long)rs->hash, (unsigned long long)version,
			rs->n_rules);
		goto out;
	}
	if (memcmp(st.default_action, rs->default_action, sizeof(st.default_action))) {
		snprintf(why, len, "the defaults read are not %s's", rs_label[r]);
		goto out;
	}
	for (size_t i = 0; i < rs->n_rules; i++) {
		const char *name = rs->rules[i].name;
		const struct ef_rule_stat *was = stat_of(before, name);
		uint64_t want = (was ? was->packets : 0) + hits(r, name);

		if (strcmp(st.rules[i].name, name) || st.rules[i].action != rs->rules[i].action) {
			snprintf(why, len, "rule %zu reads as '%s', want %s's '%s'", i,
				 st.rules[i].name, rs_label[r], name);
			goto out;
		}
		if (st.rules[i].packets != want) {
			snprintf(why, len,
				 "rule '%s' counted %llu packets, want %llu (%s%llu before)", name,
				 (unsigned long long)st.rules[i].packets, (unsigned long long)want,
				 was ? "" : "new, ", (unsigned long long)(was ? was->packets : 0));
			goto out;
		}
	}
	ok = true;
out:
	ef_stats_free(&st);
	return ok;
}

/* Entries of generation gen in the shared tables: chain, ctx, host6, lpm6. */
static void count_gen(struct dp *dp, uint32_t gen, size_t n[4])
{
	const int fds[4] = { dp->inst.maps.chain_tbl, dp->inst.maps.ctx_tbl,
			     dp->inst.maps.host6_tbl, dp->inst.maps.lpm6_tbl };
	union {
		struct edgefw_chain_key chain;
		struct edgefw_ctx_key ctx;
		struct edgefw_host6_key host6;
		struct edgefw_lpm6_key lpm6;
	} key, next;

	for (int t = 0; t < 4; t++) {
		void *prev = NULL;

		n[t] = 0;
		while (!bpf_map_get_next_key(fds[t], prev, &next)) {
			uint32_t g = t == 0   ? !!(next.chain.cur & EDGEFW_CHAIN_GEN_BIT)
				     : t == 1 ? next.ctx.gen
				     : t == 2 ? EDGEFW_HOST6_TAG_GEN(next.host6.tag)
					      : (uint32_t)next.lpm6.tag >> 1;

			n[t] += g == gen;
			key = next;
			prev = &key;
		}
	}
}

/* What compiled ruleset r puts in those tables. */
static void count_compiled(const struct ef_compiled *c, size_t n[4])
{
	n[0] = c->n_hashed;
	n[1] = c->n_ctx;
	n[2] = n[3] = 0;
	for (int f = 0; f < EF_FIELD_COUNT; f++) {
		const struct ef_lpm_table *t = &c->lpm[f][EF_FAM_V6];

		for (size_t i = 0; i < t->n; i++) {
			n[2] += t->v[i].home == EF_HOME_HASH;
			n[3] += t->v[i].home == EF_HOME_LPM;
		}
	}
}

/* A clean reload back to A: it works, A is in force and described, and
 * the shared tables hold A's entries in the active generation only. */
static bool reset_to_a(struct fx *fx, char *why, size_t len)
{
	struct ef_ruleset_state st;
	struct ef_apply_summary sum;
	struct ef_stats before;
	size_t act[4], old[4], want[4];
	const char *site;
	unsigned calls;
	bool ok;

	if (ef_stats_read(&fx->dp->inst, &before)) {
		snprintf(why, len, "ef_stats_read failed");
		return false;
	}
	ok = reload(fx, RS_A, 0, &site, &calls, &sum) == 0;
	if (!ok)
		snprintf(why, len, "the clean reload to A failed");
	if (ok && in_force(fx, why, len) != RS_A) {
		snprintf(why, len, "A's verdicts are not all in force");
		ok = false;
	}
	ok = ok && described_as(fx, RS_A, sum.version, &before, why, len) &&
	     !ef_instance_read_state(&fx->dp->inst, &st);
	ef_stats_free(&before);
	if (!ok)
		return false;
	count_gen(fx->dp, st.gen, act);
	count_gen(fx->dp, !st.gen, old);
	count_compiled(&fx->c[RS_A], want);
	if (memcmp(act, want, sizeof(act)) || old[0] || old[1] || old[2] || old[3]) {
		snprintf(
			why, len,
			"entries (chain, ctx, host6, lpm6): active %zu %zu %zu %zu, want %zu %zu %zu %zu; other generation %zu %zu %zu %zu, want none",
			act[0], act[1], act[2], act[3], want[0], want[1], want[2], want[3], old[0],
			old[1], old[2], old[3]);
		return false;
	}
	return true;
}

/* B's entries left in the generation A's next reload fills: a reload to
 * B, then one to A whose wait for packets in flight fails, so it keeps
 * the old generation as it is. */
static bool leave_leftovers(struct fx *fx, char *why, size_t len)
{
	struct ef_apply_summary sum;
	const char *fired;
	unsigned calls;

	if (reload(fx, RS_B, 0, &fired, &calls, &sum) ||
	    reload_at(fx, RS_A, "sync_create", 1, &fired, &calls, &sum) || !fired ||
	    in_force(fx, why, len) != RS_A) {
		snprintf(why, len, "cannot prepare B's leftovers with A in force");
		return false;
	}
	return true;
}

struct fault_run {
	const char *site;      /* "any", or the one site to fail */
	bool leftovers;        /* the inactive generation holds B's old entries */
	unsigned points;       /* calls of a reload in which nothing fails */
	const char *sites[64]; /* the sites that failed, each once */
	size_t n_sites;
};

static void note_site(struct fault_run *run, const char *site)
{
	for (size_t i = 0; i < run->n_sites; i++)
		if (!strcmp(run->sites[i], site))
			return;
	if (run->n_sites < sizeof(run->sites) / sizeof(run->sites[0]))
		run->sites[run->n_sites++] = site;
}

/* One reload A -> B with the fault-th kernel call (at run->site) failing.
 * Returns false once the reload made fewer calls (no fault fired). */
static bool one_fault(struct fx *fx, struct fault_run *run, unsigned fault)
{
	struct ef_ruleset_state st0;
	struct ef_apply_summary sum;
	struct ef_stats before;
	char why[512] = "";
	const char *site = NULL;
	unsigned calls = 0;
	int ret = 0, r = -1;
	bool ok = false;

	if (run->leftovers && !leave_leftovers(fx, why, sizeof(why)))
		goto out;
	if (ef_instance_read_state(&fx->dp->inst, &st0) || ef_stats_read(&fx->dp->inst, &before)) {
		snprintf(why, sizeof(why), "cannot read the state before the reload");
		goto out;
	}
	ret = reload_at(fx, RS_B, run->site, fault, &site, &calls, &sum);
	if (site)
		note_site(run, site);
	else
		run->points = calls;
	r = in_force(fx, why, sizeof(why));
	if (r >= 0 && (ret == 0) != (r == RS_B))
		snprintf(why, sizeof(why), "the reload returned %d (%s) but %s is in force", ret,
			 strerror(-ret), rs_label[r]);
	else if (r >= 0)
		ok = described_as(fx, r, st0.version + (r == RS_B), &before, why, sizeof(why));
	ef_stats_free(&before);
out:
	tap(ok, "%s%s %u (%s): reload %s, %s in force, described and counted as %s%s%s",
	    run->leftovers ? "with leftovers, " : "",
	    site ? "fault at call" : "no fault: the reload makes", site ? fault : calls,
	    site ? site : run->site, ret ? "failed" : "reported success",
	    r < 0 ? "no whole ruleset" : rs_label[r], r < 0 ? "-" : rs_label[r], ok ? "" : ": ",
	    ok ? "" : why);
	if (!ok)
		capture_show(fx);
	if (!reset_to_a(fx, why, sizeof(why))) {
		tap(false,
		    "after fault %u: a clean reload to A is whole and leaves no leftovers: %s",
		    fault, why);
		capture_show(fx);
	}
	return site != NULL;
}

/* Fails each call at run->site in turn, until a reload gets through. */
static void fault_each(struct fx *fx, struct fault_run *run)
{
	char list[1024] = "";
	unsigned fault;

	for (fault = 1; fault <= MAX_FAULTS; fault++)
		if (!one_fault(fx, run, fault))
			break;
	for (size_t i = 0; i < run->n_sites; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? " " : "",
			 run->sites[i]);
	tap(fault <= MAX_FAULTS && run->points == fault - 1,
	    "%sthe reload A -> B makes %u calls at %s; each was made to fail once",
	    run->leftovers ? "with leftovers, " : "", run->points, run->site);
	diag("fault injection%s: %u fault points (%s) at sites: %s",
	     run->leftovers ? " with leftovers" : "", run->points, run->site, list);
}

void dp_test_faults(struct dp *dp)
{
	struct fx fx = { .dp = dp, .saved_err = -1 };
	struct fault_run every = { .site = "any" };
	struct fault_run deletes = { .site = "purge_delete", .leftovers = true };
	struct ef_apply_summary sum;
	char why[512];
	const char *site;
	unsigned calls;
	bool ok;

	ok = fx_load(&fx) == 0;
	tap(ok, "fault injection: rulesets A and B compile");
	if (!ok)
		goto out;
	/* A in force, with traffic counted. */
	ok = reload(&fx, RS_A, 0, &site, &calls, &sum) == 0;
	for (int i = 0; ok && i < 3; i++)
		ok = in_force(&fx, why, sizeof(why)) == RS_A;
	tap(ok, "A loads and its verdicts are as the probes expect");
	ok = ok && reload(&fx, RS_B, 0, &site, &calls, &sum) == 0 &&
	     in_force(&fx, why, sizeof(why)) == RS_B;
	tap(ok, "B loads and its verdicts are as the probes expect");
	ok = ok && reset_to_a(&fx, why, sizeof(why));
	tap(ok, "back to A%s%s", ok ? "" : ": ", ok ? "" : why);
	if (!ok)
		goto out;
	/* Every call; then the deletes again, with the old entries of an
	 * interrupted reload to remove before the fill. */
	fault_each(&fx, &every);
	fault_each(&fx, &deletes);
out:
	fx_free(&fx);
}
