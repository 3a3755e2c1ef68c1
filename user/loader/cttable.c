// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The connection table from userspace: see cttable.h. */
#include "cttable.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "matcher.h"

#define NSEC 1000000000ull

uint64_t ef_ct_timeout_ns(const struct edgefw_ct_entry *e)
{
	switch (e->flow) {
	case EDGEFW_CTF_TCP_SYN_SENT:
	case EDGEFW_CTF_TCP_SYN_RECV:
		return EDGEFW_CT_TO_TCP_SYN * NSEC;
	case EDGEFW_CTF_TCP_ESTABLISHED:
		return EDGEFW_CT_TO_TCP_ESTABLISHED * NSEC;
	case EDGEFW_CTF_TCP_FIN:
		return EDGEFW_CT_TO_TCP_FIN * NSEC;
	case EDGEFW_CTF_TCP_CLOSED:
		return EDGEFW_CT_TO_TCP_CLOSED * NSEC;
	case EDGEFW_CTF_UDP:
		return (e->seen & EDGEFW_CT_SEEN_REPLY ? EDGEFW_CT_TO_UDP_REPLIED
						       : EDGEFW_CT_TO_UDP) *
		       NSEC;
	case EDGEFW_CTF_ICMP:
		return EDGEFW_CT_TO_ICMP * NSEC;
	default:
		return EDGEFW_CT_TO_OTHER * NSEC;
	}
}

const char *ef_ct_flow_name(uint8_t flow)
{
	static const char *const names[EDGEFW_CTF_COUNT] = {
		[EDGEFW_CTF_TCP_SYN_SENT] = "syn-sent",
		[EDGEFW_CTF_TCP_SYN_RECV] = "syn-received",
		[EDGEFW_CTF_TCP_ESTABLISHED] = "established",
		[EDGEFW_CTF_TCP_FIN] = "closing",
		[EDGEFW_CTF_TCP_CLOSED] = "closed",
		[EDGEFW_CTF_UDP] = "udp",
		[EDGEFW_CTF_ICMP] = "icmp-echo",
		[EDGEFW_CTF_OTHER] = "other",
	};

	return flow < EDGEFW_CTF_COUNT ? names[flow] : "?";
}

const char *ef_ct_stat_name(unsigned idx)
{
	static const char *const names[EDGEFW_CTS_COUNT] = {
		[EDGEFW_CTS_NEW] = "new",
		[EDGEFW_CTS_ESTABLISHED] = "established",
		[EDGEFW_CTS_RELATED] = "related",
		[EDGEFW_CTS_INVALID] = "invalid",
		[EDGEFW_CTS_CREATED] = "created",
		[EDGEFW_CTS_CONFIRMED] = "confirmed",
		[EDGEFW_CTS_CREATE_FAIL] = "create_failed",
		[EDGEFW_CTS_EXPIRED] = "expired",
	};

	return idx < EDGEFW_CTS_COUNT ? names[idx] : "?";
}

/* bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC, coarse. */
static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void flow_fill(struct ef_ct_flow *fl, uint64_t now)
{
	const struct edgefw_ct_key *k = &fl->key;
	bool a = fl->e.init_is_a;

	memcpy(fl->init_addr, a ? k->addr_a : k->addr_b, 16);
	memcpy(fl->resp_addr, a ? k->addr_b : k->addr_a, 16);
	fl->init_port = a ? k->port_a : k->port_b;
	fl->resp_port = a ? k->port_b : k->port_a;
	fl->age_ns = now > fl->e.created ? now - fl->e.created : 0;
	fl->idle_ns = now > fl->e.last_seen ? now - fl->e.last_seen : 0;
	fl->expired = fl->idle_ns > ef_ct_timeout_ns(&fl->e);
}

/* The order kern/conntrack.h puts addresses in: two native 64-bit words. */
static int addr_order(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return 0;
}

void ef_ct_key_of(const struct ef_packet *p, uint16_t echo_id, struct edgefw_ct_key *k)
{
	uint16_t sport = 0, dport = 0;
	int c;

	if ((p->l4proto == 1 || p->l4proto == 58) && p->has_icmp) {
		sport = dport = echo_id;
	} else if (p->has_ports) {
		sport = p->sport;
		dport = p->dport;
	}
	memset(k, 0, sizeof(*k));
	k->family = p->family == EF_AF_INET ? 4 : 6;
	k->proto = p->l4proto;
	c = addr_order(p->saddr, p->daddr);
	if (!c)
		c = (int)sport - (int)dport;
	memcpy(k->addr_a, c <= 0 ? p->saddr : p->daddr, 16);
	memcpy(k->addr_b, c <= 0 ? p->daddr : p->saddr, 16);
	k->port_a = c <= 0 ? sport : dport;
	k->port_b = c <= 0 ? dport : sport;
	if (k->family == 4) {
		memset(k->addr_a + 4, 0, 12);
		memset(k->addr_b + 4, 0, 12);
	}
}

void ef_ct_key4_of(const struct edgefw_ct_key *k, struct edgefw_ct4_key *k4)
{
	memset(k4, 0, sizeof(*k4));
	memcpy(k4->addr_a, k->addr_a, 4);
	memcpy(k4->addr_b, k->addr_b, 4);
	k4->port_a = k->port_a;
	k4->port_b = k->port_b;
	k4->proto = k->proto;
}

static void key_of_ct4(const struct edgefw_ct4_key *k4, struct edgefw_ct_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->proto = k4->proto;
	memcpy(k->addr_a, k4->addr_a, 4);
	memcpy(k->addr_b, k4->addr_b, 4);
	k->port_a = k4->port_a;
	k->port_b = k4->port_b;
}

static int ct_fd(const struct ef_instance *inst, bool v4, bool confirmed)
{
	if (v4)
		return confirmed ? inst->maps.ct4_tbl : inst->maps.ct4_new_tbl;
	return confirmed ? inst->maps.ct_tbl : inst->maps.ct_new_tbl;
}

/* k as the table of its family spells it, in *k4 for IPv4. */
static const void *map_key_of(const struct edgefw_ct_key *k, struct edgefw_ct4_key *k4)
{
	if (k->family != 4)
		return k;
	ef_ct_key4_of(k, k4);
	return k4;
}

int ef_ct_update(const struct ef_instance *inst, const struct edgefw_ct_key *k, bool confirmed,
		 const struct edgefw_ct_entry *e, uint64_t flags)
{
	struct edgefw_ct4_key k4;
	const void *key = map_key_of(k, &k4);
	int fd = ct_fd(inst, k->family == 4, confirmed), ret = 0;

	/* The flow's filter deadline first, as the datapath does: a packet
	 * must not skip the lookup once the entry is there. */
	ret = ef_ct_filter_raise(inst, key, k->family == 4, confirmed, e->last_seen,
				 ef_ct_timeout_ns(e));
	if (!ret && bpf_map_update_elem(fd, key, e, flags))
		ret = -errno;
	return ret;
}

int ef_ct_delete(const struct ef_instance *inst, const struct edgefw_ct_key *k, bool confirmed)
{
	struct edgefw_ct4_key k4;
	int fd = ct_fd(inst, k->family == 4, confirmed);

	return bpf_map_delete_elem(fd, map_key_of(k, &k4)) ? -errno : 0;
}

bool ef_ct_filter_match(const struct ef_ct_filter *f, const struct ef_ct_flow *fl)
{
	size_t n = fl->key.family == 4 ? 4 : 16;

	if (f->family && f->family != fl->key.family)
		return false;
	if (f->has_addr && memcmp(f->addr, fl->key.addr_a, n) && memcmp(f->addr, fl->key.addr_b, n))
		return false;
	if (f->has_port && f->port != fl->key.port_a && f->port != fl->key.port_b)
		return false;
	return !f->has_proto || f->proto == fl->key.proto;
}

/* Keys of a table of either family, as the map spells them. */
union table_key {
	struct edgefw_ct_key v6;
	struct edgefw_ct4_key v4;
};

static int walk_one(int fd, bool v4, bool confirmed, uint64_t now, ef_ct_visit_fn fn, void *arg)
{
	union table_key key, next;
	struct ef_ct_flow fl;
	void *prev = NULL;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		memset(&fl, 0, sizeof(fl));
		if (bpf_map_lookup_elem(fd, &key, &fl.e))
			continue; /* gone meanwhile (expired, evicted) */
		if (v4)
			key_of_ct4(&key.v4, &fl.key);
		else
			fl.key = key.v6;
		fl.confirmed = confirmed;
		flow_fill(&fl, now);
		ret = fn(&fl, arg);
		if (ret)
			return ret > 0 ? 0 : ret;
	}
	return errno == ENOENT ? 0 : -errno;
}

int ef_ct_walk(const struct ef_instance *inst, ef_ct_visit_fn fn, void *arg)
{
	uint64_t now = mono_now();
	int ret = 0;

	/* Unconfirmed flows first, then confirmed ones, IPv4 then IPv6 within
	 * each: the datapath moves a flow by inserting it in the confirmed
	 * table, then deleting it here, so a flow that moves during the walk
	 * is visited once or twice. Confirmed first, it could be in neither
	 * table when its walk came, and a flush or a revalidation after a
	 * reload would leave it (kern/DESIGN.md, "The move between the
	 * tables"). */
	for (int i = 0; i < 4 && !ret; i++)
		ret = walk_one(ct_fd(inst, !(i & 1), i >= 2), !(i & 1), i >= 2, now, fn, arg);
	if (ret)
		ef_log_err("cannot read the connection table of %s: %s", inst->dir, strerror(-ret));
	return ret;
}

struct flush_ctx {
	const struct ef_instance *inst;
	const struct ef_ct_filter *f;
	size_t removed;
};

static int flush_one(const struct ef_ct_flow *fl, void *arg)
{
	struct flush_ctx *x = arg;

	if (x->f && !ef_ct_filter_match(x->f, fl))
		return 0;
	if (!ef_ct_delete(x->inst, &fl->key, fl->confirmed))
		x->removed++;
	return 0;
}

int ef_ct_flush(const struct ef_instance *inst, const struct ef_ct_filter *f, size_t *removed)
{
	struct flush_ctx x = { inst, f, 0 };
	int ret = ef_ct_walk(inst, flush_one, &x);

	*removed = x.removed;
	return ret;
}

int ef_ct_read_counters(const struct ef_instance *inst, struct ef_ct_counters *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	uint64_t *vals;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < EDGEFW_CTS_COUNT && !ret; i++) {
		if (bpf_map_lookup_elem(inst->maps.ct_stats, &i, vals)) {
			ret = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out->v[i] += vals[c];
	}
	memset(&info, 0, sizeof(info));
	if (!ret && !bpf_obj_get_info_by_fd(inst->maps.ct_tbl, &info, &len))
		out->cap = info.max_entries;
	len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (!ret && !bpf_obj_get_info_by_fd(inst->maps.ct_new_tbl, &info, &len))
		out->new_cap = info.max_entries;
	if (ret)
		ef_log_err("cannot read %s/ct_stats: %s", inst->dir, strerror(-ret));
	free(vals);
	return ret;
}

/* The flow's first packet, as the initiator sent it. */
static void first_packet(const struct ef_ct_flow *fl, struct ef_packet *p, char *ifname)
{
	memset(p, 0, sizeof(*p));
	p->family = fl->key.family == 4 ? EF_AF_INET : EF_AF_INET6;
	memcpy(p->saddr, fl->init_addr, 16);
	memcpy(p->daddr, fl->resp_addr, 16);
	p->l4proto = fl->key.proto;
	p->vlan = EF_VLAN_UNTAGGED;
	p->hook = fl->e.hook;
	p->ct_state = EDGEFW_CT_NEW;
	p->ifname = if_indextoname(fl->e.ifindex, ifname) ? ifname : NULL;
	switch (fl->e.flow) {
	case EDGEFW_CTF_ICMP:
		p->has_icmp = true;
		p->icmp_type = fl->key.proto == 1 ? 8 : 128; /* echo request */
		break;
	case EDGEFW_CTF_UDP:
	case EDGEFW_CTF_OTHER:
		break;
	default:
		p->has_tcp_flags = true;
		p->tcp_flags = 0x02; /* SYN */
		break;
	}
	if (fl->e.flow != EDGEFW_CTF_ICMP && fl->e.flow != EDGEFW_CTF_OTHER) {
		p->has_ports = true;
		p->sport = fl->init_port;
		p->dport = fl->resp_port;
	}
}

struct reval_ctx {
	const struct ef_instance *inst;
	const struct ef_ruleset *rs;
	const struct ef_compiled *c;
	size_t removed;
};

static int reval_one(const struct ef_ct_flow *fl, void *arg)
{
	struct reval_ctx *x = arg;
	char ifname[IF_NAMESIZE];
	struct ef_packet p;
	uint8_t action;
	int rule;

	first_packet(fl, &p, ifname);
	rule = x->c ? ef_compiled_lookup(x->c, &p) : ef_match(x->rs, &p);
	action = rule >= 0                    ? x->rs->rules[rule].action
		 : p.hook < EDGEFW_HOOK_COUNT ? x->rs->default_action[p.hook]
					      : EDGEFW_ACT_PASS;
	if (action == EDGEFW_ACT_PASS && ef_ruleset_ct_mode(x->rs))
		return 0;
	if (!ef_ct_delete(x->inst, &fl->key, fl->confirmed))
		x->removed++;
	return 0;
}

int ef_ct_revalidate(const struct ef_instance *inst, const struct ef_ruleset *rs,
		     const struct ef_compiled *c, size_t *removed)
{
	struct reval_ctx x = { inst, rs, c, 0 };
	int ret = ef_ct_walk(inst, reval_one, &x);

	*removed = x.removed;
	return ret;
}
