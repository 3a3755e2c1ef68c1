// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The drop log's BPF side: events of `log: true` rules through the ring
 * buffer, with their fields, and the per-rule rate limit. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "active.h"
#include "dp.h"
#include "dynsets.h"

void spec_addrs(struct pkt_spec *s, const char *src, const char *dst);

#define MAX_EVENTS 64

struct events {
	struct edgefw_log_event v[MAX_EVENTS];
	int n;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct events *ev = ctx;

	if (len == sizeof(struct edgefw_log_event) && ev->n < MAX_EVENTS)
		memcpy(&ev->v[ev->n], data, len);
	ev->n++;
	return 0;
}

static uint32_t slot_of(struct dp *dp, const char *name)
{
	for (size_t i = 0; i < dp->rs.n_rules; i++)
		if (!strcmp(dp->rs.rules[i].name, name))
			return dp->slot_of[i];
	return UINT32_MAX;
}

static void set_rate(struct dp *dp, uint32_t rate)
{
	struct edgefw_log_config lc = { .rate = rate };
	uint32_t zero = 0;

	bpf_map_update_elem(dp->inst.maps.log_config, &zero, &lc, BPF_ANY);
}

static uint64_t suppressed(struct dp *dp, uint32_t slot)
{
	struct edgefw_log_state st = { 0 };

	bpf_map_lookup_elem(dp->inst.maps.log_state, &slot, &st);
	return st.suppressed;
}

/* Runs n copies of a UDP frame to dport on hook. */
static void send_udp(struct dp *dp, uint32_t hook, const char *src, const char *dst, uint16_t dport,
		     int n)
{
	struct pkt_spec s = { .l4proto = IPPROTO_UDP, .sport = 40000, .dport = dport, .payload = 8 };
	struct pkt p;

	spec_addrs(&s, src, dst);
	pkt_build(&p, &s);
	for (int i = 0; i < n; i++)
		dp_run(dp, hook, &p);
}

static int ban_add(struct dp *dp, const char *set_name, uint8_t last)
{
	struct ef_prefix p = { .family = EF_AF_INET, .len = 32, .addr = { 10, 9, 0, last } };
	struct ef_dynset set;
	int ret = ef_dynset_open(&dp->inst, set_name, &set);

	if (ret)
		return ret;
	ret = ef_dynset_add(&set, &p, 0);
	ef_dynset_close(&set);
	return ret;
}

/* Issue 16: an event says which dynamic state decided: the condition
 * vector of the deciding round, the first rule whose limit the packet
 * was over, the ban the rule applied; rule_meta holds each rule's
 * conditions for the drop log to name. */
static void droplog_dynamic(struct dp *dp)
{
	struct events ev = { .n = 0 };
	struct edgefw_rule_meta meta = { 0 };
	struct edgefw_active act = { 0 };
	struct ring_buffer *rb;
	uint32_t banned, excess, within, key;
	const struct edgefw_log_event *e;

	if (dp_load_yaml(
		    dp,
		    "version: 1\n"
		    "sets:\n"
		    "  ban: {dynamic: true, type: address}\n"
		    "  jail: {dynamic: true, type: address, timeout: 1h}\n"
		    "rules:\n"
		    "  - {name: banned, src: $ban, action: drop, log: true}\n"
		    "  - {name: within, proto: udp, dport: 99, limit: {rate: 1/h, burst: 1}, action: pass}\n"
		    "  - {name: excess, proto: udp, dport: 99, action: drop, log: true, ban: {set: jail}}\n") ||
	    ban_add(dp, "ban", 7)) {
		tap(false, "drop log: the dynamic ruleset loads (%s)", dp->error);
		return;
	}
	rb = ring_buffer__new(dp->inst.maps.log_ring, on_event, &ev, NULL);
	if (!rb) {
		tap(false, "drop log: the ring buffer opens");
		return;
	}
	ring_buffer__consume(rb);
	ev.n = 0;
	set_rate(dp, 100);
	banned = slot_of(dp, "banned");
	within = slot_of(dp, "within");
	excess = slot_of(dp, "excess");
	ef_active_read(dp->inst.maps.data_active, &act);
	key = EDGEFW_RULE_KEY(act.gen & 1, banned);
	bpf_map_lookup_elem(dp->inst.maps.rule_meta, &key, &meta);
	tap(meta.cond_mask == dp->rs.rules[0].cond_mask && meta.cond_mask,
	    "rule_meta holds a rule's dynamic conditions (%#x)", meta.cond_mask);

	send_udp(dp, EDGEFW_HOOK_XDP, "10.9.0.7", "10.2.0.1", 53, 1);
	send_udp(dp, EDGEFW_HOOK_XDP, "10.9.0.8", "10.2.0.1", 99, 2);
	ring_buffer__consume(rb);
	e = &ev.v[0];
	tap(ev.n == 2 && e->rule_slot == banned && (e->conds & meta.cond_mask) == meta.cond_mask &&
		    !(e->dyn_flags & EDGEFW_LOG_F_OVER) && !e->ban,
	    "a drop by a dynamic set: its condition bit in the event (%d events, conds %#x)", ev.n,
	    e->conds);
	e = &ev.v[1];
	tap(ev.n == 2 && e->rule_slot == excess && (e->dyn_flags & EDGEFW_LOG_F_OVER) &&
		    e->over_slot == within && e->ban == 1 && e->gen == (act.gen & 1),
	    "over a limit then banned: the event names the limit's rule and the ban (slot %u, ban %u)",
	    ev.n == 2 ? e->over_slot : 0, ev.n == 2 ? e->ban : 0);
	set_rate(dp, 0);
	ring_buffer__free(rb);
}

void dp_test_droplog(struct dp *dp)
{
	struct ring_buffer *rb;
	struct events ev = { .n = 0 };
	const struct edgefw_log_event *e = &ev.v[0];
	uint32_t logged, slot6;
	uint64_t sup0;

	if (dp_load_yaml(dp,
			 "version: 1\n"
			 "rules:\n"
			 "  - {name: logged, proto: udp, dport: 53, action: drop, log: true}\n"
			 "  - {name: quiet, proto: udp, dport: 54, action: drop}\n"
			 "  - {name: logged-pass, proto: udp, dport: 55, action: pass, log: true}\n"
			 "  - {name: logged6, src: 2001:db8::/32, action: drop, log: true}\n")) {
		tap(false, "drop log ruleset loads");
		return;
	}
	rb = ring_buffer__new(dp->inst.maps.log_ring, on_event, &ev, NULL);
	tap(rb != NULL, "drop log: the pinned ring buffer opens");
	if (!rb)
		return;
	ring_buffer__consume(rb);
	ev.n = 0;
	logged = slot_of(dp, "logged");
	slot6 = slot_of(dp, "logged6");

	set_rate(dp, 0);
	send_udp(dp, EDGEFW_HOOK_XDP, "10.1.0.1", "10.2.0.1", 53, 3);
	ring_buffer__consume(rb);
	tap(ev.n == 0, "log-rate 0: no events (%d)", ev.n);

	set_rate(dp, 3);
	sup0 = suppressed(dp, logged);
	send_udp(dp, EDGEFW_HOOK_XDP, "10.1.0.1", "10.2.0.1", 53, 10);
	ring_buffer__consume(rb);
	tap(ev.n == 3, "10 packets of a logged rule at rate 3: 3 events (%d)", ev.n);
	tap(suppressed(dp, logged) - sup0 == 7, "and 7 counted as suppressed (%llu)",
	    (unsigned long long)(suppressed(dp, logged) - sup0));
	tap(ev.n >= 1 && e->rule_slot == logged && e->action == EDGEFW_ACT_DROP &&
		    e->hook == EDGEFW_HOOK_XDP && e->family == 4 && e->l4proto == IPPROTO_UDP &&
		    e->sport == 40000 && e->dport == 53 && e->vlan == EDGEFW_UNTAGGED &&
		    !memcmp(e->saddr, "\x0a\x01\x00\x01", 4) &&
		    !memcmp(e->daddr, "\x0a\x02\x00\x01", 4) && e->pkt_len > 40 && e->ktime_ns > 0,
	    "an event carries rule, action, hook, family, protocol, ports, addresses");

	ev.n = 0;
	send_udp(dp, EDGEFW_HOOK_XDP, "10.1.0.1", "10.2.0.1", 54, 5);
	ring_buffer__consume(rb);
	tap(ev.n == 0, "a rule without log sends nothing (%d)", ev.n);

	/* Each rule has its own budget: "logged" is spent, these are not. */
	send_udp(dp, EDGEFW_HOOK_TC_EGRESS, "10.1.0.1", "10.2.0.1", 55, 1);
	send_udp(dp, EDGEFW_HOOK_TC_INGRESS, "2001:db8::1", "2001:db8:1::1", 80, 1);
	ring_buffer__consume(rb);
	tap(ev.n == 2 && ev.v[0].action == EDGEFW_ACT_PASS &&
		    ev.v[0].hook == EDGEFW_HOOK_TC_EGRESS && ev.v[1].rule_slot == slot6 &&
		    ev.v[1].family == 6 && ev.v[1].hook == EDGEFW_HOOK_TC_INGRESS &&
		    !memcmp(ev.v[1].saddr, "\x20\x01\x0d\xb8", 4),
	    "per-rule budgets: a pass rule on tc-egress and an IPv6 rule on tc-ingress log too (%d)",
	    ev.n);

	/* A new one-second window refills the budget. */
	ev.n = 0;
	usleep(1100 * 1000);
	send_udp(dp, EDGEFW_HOOK_XDP, "10.1.0.1", "10.2.0.1", 53, 5);
	ring_buffer__consume(rb);
	tap(ev.n == 3, "after a second the budget is back: 3 of 5 (%d)", ev.n);

	set_rate(dp, 0);
	ring_buffer__free(rb);
	droplog_dynamic(dp);
}
