// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "dp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatcher.h"
#include "edgefw.skel.h"
#include "counters.h"
#include "rule_rows.h"
#include "tables.h"

static int tap_n, tap_failed;

void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int tap_failures(void)
{
	return tap_failed;
}

int tap_count(void)
{
	return tap_n;
}

int dp_setup(struct dp *dp)
{
	return dp_setup_named(dp, "t-dp");
}

int dp_setup_named(struct dp *dp, const char *prefix)
{
	char name[EF_INSTANCE_NAME_MAX];
	int ret;

	memset(dp, 0, sizeof(*dp));
	dp->ncpu = libbpf_num_possible_cpus();
	dp->slot_of = calloc(EDGEFW_MAX_RULES, sizeof(*dp->slot_of));
	if (!dp->slot_of)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s-%d", prefix, (int)getpid());
	ret = ef_instance_open(name, EF_OPEN_CREATE, &dp->inst);
	if (ret)
		return ret;
	dp->skel = edgefw_bpf__open();
	if (!dp->skel)
		return -errno;
	ret = ef_instance_reuse_maps(&dp->inst, dp->skel->obj);
	if (!ret)
		ret = edgefw_bpf__load(dp->skel);
	if (ret)
		return ret;
	dp->prog_fd[EDGEFW_HOOK_XDP] = bpf_program__fd(dp->skel->progs.edgefw_xdp);
	dp->prog_fd[EDGEFW_HOOK_TC_INGRESS] = bpf_program__fd(dp->skel->progs.edgefw_tc_ingress);
	dp->prog_fd[EDGEFW_HOOK_TC_EGRESS] = bpf_program__fd(dp->skel->progs.edgefw_tc_egress);
	return keep_in_dispatcher(&dp->prog_fd[EDGEFW_HOOK_XDP], 1);
}

static void dp_unload(struct dp *dp)
{
	if (dp->have_c)
		ef_compiled_free(&dp->c);
	dp->have_c = false;
	if (dp->rs_owned)
		ef_ruleset_free(&dp->rs);
	dp->rs_owned = false;
	memset(&dp->rs, 0, sizeof(dp->rs));
}

int dp_unpin(struct dp *dp)
{
	struct ef_maps kept;
	int ret = 0;

	/* ef_instance_destroy closes the instance's descriptors: keep
	 * duplicates to put back. */
#define DP_MAP_DUP(name)                                                      \
	kept.name = ret ? -1 : fcntl(dp->inst.maps.name, F_DUPFD_CLOEXEC, 3); \
	if (kept.name < 0 && !ret)                                            \
		ret = -errno;
	EF_PINNED_MAPS(DP_MAP_DUP)
#undef DP_MAP_DUP
	if (!ret)
		ret = ef_instance_destroy(&dp->inst);
	if (ret) {
#define DP_MAP_CLOSE(name)  \
	if (kept.name >= 0) \
		close(kept.name);
		EF_PINNED_MAPS(DP_MAP_CLOSE)
#undef DP_MAP_CLOSE
		return ret;
	}
	dp->inst.maps = kept;
	dp->unpinned = true;
	return 0;
}

void dp_teardown(struct dp *dp)
{
	dp_unload(dp);
	edgefw_bpf__destroy(dp->skel);
	if (dp->unpinned) {
#define DP_MAP_CLOSE(name) close(dp->inst.maps.name);
		EF_PINNED_MAPS(DP_MAP_CLOSE)
#undef DP_MAP_CLOSE
	} else if (dp->inst.lock_fd >= 0 || dp->inst.name[0]) {
		ef_instance_destroy(&dp->inst);
	}
	free(dp->slot_of);
}

static const char *first_error(const struct ef_diag *d, int ret)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sev == EF_SEV_ERROR)
			return d->v[i].msg;
	return strerror(-ret);
}

static int apply(struct dp *dp)
{
	static const char *const ifnames[] = { DP_IFNAME };
	struct edgefw_rule_meta *meta = NULL;
	struct ef_ruleset_state st;
	struct ef_apply_summary sum;
	struct ef_diag d = {};
	int ret;

	dp->error[0] = 0;
	ret = ef_compile_with(&dp->rs, ifnames, 1, &dp->opts, &dp->c, &d);
	if (ret) {
		ef_diag_print(&d, stdout);
		snprintf(dp->error, sizeof(dp->error), "the compiler refused it: %s",
			 first_error(&d, ret));
		goto out;
	}
	dp->have_c = true;
	ret = ef_tables_apply(&dp->inst, &dp->rs, &dp->c, &sum);
	if (ret) {
		snprintf(dp->error, sizeof(dp->error), "loading its tables failed: %s",
			 strerror(-ret));
		goto out;
	}
	meta = calloc(EDGEFW_MAX_RULES, sizeof(*meta));
	ret = meta ? ef_instance_read_state(&dp->inst, &st) : -ENOMEM;
	if (!ret)
		ret = ef_instance_read_meta(&dp->inst, &st, meta);
	if (ret)
		goto out;
	for (size_t i = 0; i < dp->rs.n_rules; i++) {
		dp->slot_of[i] = EDGEFW_MAX_RULES;
		for (uint32_t s = 0; s < EDGEFW_MAX_RULES; s++)
			if (!strcmp(meta[s].name, dp->rs.rules[i].name))
				dp->slot_of[i] = s;
	}
out:
	free(meta);
	ef_diag_free(&d);
	return ret;
}

int dp_load_yaml(struct dp *dp, const char *yaml)
{
	struct ef_diag d = {};
	int ret;

	dp_unload(dp);
	ret = ef_ruleset_parse("test.yaml", yaml, strlen(yaml), &dp->rs, &d);
	ef_diag_print(&d, stdout);
	ef_diag_free(&d);
	if (ret)
		return ret;
	dp->rs_owned = true;
	return apply(dp);
}

int dp_load_rs(struct dp *dp, const struct ef_ruleset *rs)
{
	dp_unload(dp);
	dp->rs = *rs;
	return apply(dp);
}

enum dp_verdict dp_run(struct dp *dp, uint32_t hook, const struct pkt *p)
{
	return dp_run_raw(dp, hook, p->data, p->len, NULL);
}

enum dp_verdict dp_run_raw(struct dp *dp, uint32_t hook, const void *data, size_t len,
			   const struct __sk_buff *skb)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (__u32)len,
		    .repeat = 1);
	struct __sk_buff ctx;
	int rv;

	if (skb && hook != EDGEFW_HOOK_XDP) {
		ctx = *skb;
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(dp->prog_fd[hook], &opts))
		return DP_ERROR;
	rv = (int)opts.retval;
	if (hook == EDGEFW_HOOK_XDP) {
		switch (rv) {
		case XDP_PASS:
			return DP_PASS;
		case XDP_DROP:
			return DP_DROP;
		case XDP_REDIRECT:
			return DP_REDIRECT;
		default:
			return DP_ERROR;
		}
	}
	switch (rv) {
	case TC_ACT_UNSPEC:
		return DP_PASS;
	case TC_ACT_SHOT:
		return DP_DROP;
	case TC_ACT_REDIRECT:
		return DP_REDIRECT;
	default:
		return DP_ERROR;
	}
}

struct edgefw_counter dp_counter(struct dp *dp, int map_fd, uint32_t idx)
{
	struct edgefw_counter sum = { 0 }, *buf = calloc((size_t)dp->ncpu, sizeof(*buf));

	if (buf && !bpf_map_lookup_elem(map_fd, &idx, buf)) {
		for (int c = 0; c < dp->ncpu; c++) {
			sum.packets += buf[c].packets;
			sum.bytes += buf[c].bytes;
		}
	}
	free(buf);
	return sum;
}

struct edgefw_counter dp_slot_counter(struct dp *dp, uint32_t slot)
{
	struct edgefw_counter sum = { 0 };

	if (ef_rule_rows_slot(dp->inst.maps.rule_stats, slot, &sum))
		sum = (struct edgefw_counter){ 0 };
	return sum;
}

struct edgefw_counter dp_rule_counter(struct dp *dp, const char *name)
{
	struct edgefw_counter none = { 0 };

	for (size_t i = 0; i < dp->rs.n_rules; i++)
		if (!strcmp(dp->rs.rules[i].name, name))
			return dp_slot_counter(dp, dp->slot_of[i]);
	return none;
}

/* Hook's default verdicts: its pass and drop rows of default_stats. */
struct edgefw_counter dp_default_counter(struct dp *dp, uint32_t hook)
{
	struct edgefw_counter sum = { 0 };

	for (int drop = 0; drop < 2; drop++) {
		struct edgefw_counter c =
			dp_counter(dp, dp->inst.maps.default_stats, EDGEFW_DEFAULT_ROW(hook, drop));

		sum.packets += c.packets;
		sum.bytes += c.bytes;
	}
	return sum;
}

/* As edgefw stats gives it: the default reasons are default_stats' rows of
 * their action, summed over the hooks (kern/edgefw.h). */
struct edgefw_counter dp_reason_counter(struct dp *dp, unsigned reason)
{
	struct edgefw_counter sum = { 0 };
	int drop = reason == EDGEFW_REASON_DEFAULT_DROP;

	if (reason != EDGEFW_REASON_DEFAULT_PASS && reason != EDGEFW_REASON_DEFAULT_DROP)
		return dp_counter(dp, dp->inst.maps.reason_stats, reason);
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		struct edgefw_counter c =
			dp_counter(dp, dp->inst.maps.default_stats, EDGEFW_DEFAULT_ROW(h, drop));

		sum.packets += c.packets;
		sum.bytes += c.bytes;
	}
	return sum;
}

const char *dp_verdict_name(enum dp_verdict v)
{
	static const char *const names[] = { "pass", "drop", "redirect", "error" };

	return v <= DP_ERROR ? names[v] : "?";
}

const char *dp_hook_name(uint32_t hook)
{
	static const char *const names[EDGEFW_HOOK_COUNT] = { "xdp", "tc-ingress", "tc-egress" };

	return hook < EDGEFW_HOOK_COUNT ? names[hook] : "?";
}

int dp_verdict_parse(const char *s, enum dp_verdict *v)
{
	for (int i = DP_PASS; i < DP_ERROR; i++)
		if (!strcmp(s, dp_verdict_name((enum dp_verdict)i))) {
			*v = (enum dp_verdict)i;
			return 0;
		}
	return -EINVAL;
}

/* The counter `counted` names for hook: "rule:NAME", "reason:NAME" (as
 * edgefw stats names reasons) or "default" (the hook's default). */
static int counted_read(struct dp *dp, const char *counted, uint32_t hook,
			struct edgefw_counter *out)
{
	if (!strncmp(counted, "rule:", 5)) {
		for (size_t i = 0; i < dp->rs.n_rules; i++)
			if (!strcmp(dp->rs.rules[i].name, counted + 5)) {
				*out = dp_slot_counter(dp, dp->slot_of[i]);
				return 0;
			}
		return -ENOENT;
	}
	if (!strncmp(counted, "reason:", 7)) {
		for (unsigned r = 0; r < EDGEFW_REASON_COUNT; r++)
			if (!strcmp(ef_reason_name(r), counted + 7)) {
				*out = dp_reason_counter(dp, r);
				return 0;
			}
		return -ENOENT;
	}
	if (!strcmp(counted, "default")) {
		*out = dp_default_counter(dp, hook);
		return 0;
	}
	return -EINVAL;
}

bool dp_check_hooks(struct dp *dp, const void *data, size_t len, enum dp_verdict want,
		    const char *counted, char *why, size_t why_len)
{
	why[0] = '\0';
	for (uint32_t h = 0; h < EDGEFW_HOOK_COUNT; h++) {
		struct edgefw_counter before, after;
		enum dp_verdict got;

		if (counted_read(dp, counted, h, &before)) {
			snprintf(why, why_len, "unknown counter '%s'", counted);
			return false;
		}
		got = dp_run_raw(dp, h, data, len, NULL);
		counted_read(dp, counted, h, &after);
		if (got != want) {
			snprintf(why, why_len, "%s gave %s", dp_hook_name(h), dp_verdict_name(got));
			return false;
		}
		if (after.packets != before.packets + 1 || after.bytes != before.bytes + len) {
			snprintf(why, why_len,
				 "%s: %s counted %llu packets, %llu bytes (want 1, %zu)",
				 dp_hook_name(h), counted,
				 (unsigned long long)(after.packets - before.packets),
				 (unsigned long long)(after.bytes - before.bytes), len);
			return false;
		}
	}
	return true;
}

char *dp_yaml_start(size_t cap, size_t *at)
{
	char *y = malloc(cap);

	if (y)
		*at = (size_t)snprintf(
			y, cap,
			"version: 1\ndefaults: {xdp: pass, tc-ingress: pass, tc-egress: pass}\nrules:\n");
	return y;
}

void dp_yaml_prefix_rule(char *y, size_t cap, size_t *at, unsigned i, const char *field, int af,
			 const uint8_t *prefix, unsigned len, uint8_t proto, uint16_t dport)
{
	char s[64];

	inet_ntop(af, prefix, s, sizeof(s));
	*at += (size_t)snprintf(
		y + *at, cap - *at,
		"  - {name: r%u, %s: \"%s/%u\", proto: %s, dport: %u, action: %s}\n", i, field, s,
		len, proto == 6 ? "tcp" : "udp", dport, i % 3 ? "drop" : "pass");
}

void dp_prefix_clear_past(uint8_t a[16], unsigned len)
{
	for (unsigned b = len; b < 128; b++)
		a[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
}
