// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "xdpfilter.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ruleset.h"

#define XF_IFNAME "xfilt0"
#define XF_PINS "/sys/fs/bpf/xdp-filter"
#define XF_OWN_PROG XF_PINS "/programs/" XF_IFNAME
/* Held while this benchmark's xdp-filter is loaded: pins of ours with the
 * lock free were left by a run that died before its unload. */
#define XF_LOCK "/run/lock/edgefw-microbench-xdpfilter.lock"

/* Its value flags (xdp-tools xdp-filter/common_kern_user.h); the upper bits
 * count hits. Ports are keyed in network order. */
#define XF_SRC (1u << 0)
#define XF_DST (1u << 1)
#define XF_TCP (1u << 2)
#define XF_UDP (1u << 3)

static struct {
	bool loaded;
	int v4, v6, ports;
	int ncpu;
	uint64_t *vals;
	uint8_t port_flags[65536];
} xf = { .v4 = -1, .v6 = -1, .ports = -1 };

void xdpfilter_stop(void)
{
	if (!xf.loaded)
		return;
	xf.loaded = false;
	/* Removes the program and, as the last user, its pins. */
	if (system("xdp-filter unload " XF_IFNAME " >/dev/null"))
		fprintf(stderr, "microbench: xdp-filter unload failed; check %s\n", XF_PINS);
	close(xf.v4);
	close(xf.v6);
	close(xf.ports);
	free(xf.vals);
	xf.vals = NULL;
}

int xdpfilter_open(void)
{
	xf.v4 = bpf_obj_get(XF_PINS "/filter_ipv4");
	xf.v6 = bpf_obj_get(XF_PINS "/filter_ipv6");
	xf.ports = bpf_obj_get(XF_PINS "/filter_ports");
	if (xf.v4 < 0 || xf.v6 < 0 || xf.ports < 0)
		return -ENOENT;
	xf.ncpu = libbpf_num_possible_cpus();
	if (xf.ncpu <= 0)
		return xf.ncpu ? xf.ncpu : -EINVAL;
	xf.vals = calloc((size_t)xf.ncpu, sizeof(*xf.vals));
	return xf.vals ? 0 : -ENOMEM;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) ? -1 : 0;
}

/* True when the only program under the pins is ours (XF_IFNAME lives in
 * the benchmark's private namespace, so nobody else loads it there). */
static bool pins_are_ours(void)
{
	struct stat st;
	int others = 0;
	DIR *d = opendir(XF_PINS "/programs");
	struct dirent *e;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, XF_IFNAME))
			others++;
	closedir(d);
	return !others && !stat(XF_OWN_PROG, &st);
}

/* -EEXIST when a running benchmark or another user holds xdp-filter; pins
 * a dead run of ours left behind are removed. */
static int claim_xdpfilter(void)
{
	struct stat st;
	int fd = open(XF_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return -EEXIST;
	}
	/* The descriptor stays open (and locked) until the process exits. */
	if (stat(XF_PINS, &st))
		return 0;
	if (!pins_are_ours())
		return -EEXIST;
	fprintf(stderr, "# xdp-filter: removing pins left in %s by an earlier run\n", XF_PINS);
	return nftw(XF_PINS, remove_entry, 8, FTW_DEPTH | FTW_PHYS) ? -EEXIST : 0;
}

int xdpfilter_start(int *prog_fd)
{
	unsigned ifindex;
	__u32 id = 0;
	int ret, fd;

	ret = claim_xdpfilter();
	if (ret)
		return ret;
	if (system("ip link add " XF_IFNAME " type veth peer name xfilt1"))
		return -EIO;
	ifindex = if_nametoindex(XF_IFNAME);
	if (!ifindex)
		return -ENODEV;
	if (system("xdp-filter load -m skb " XF_IFNAME " >/dev/null"))
		return -EIO;
	xf.loaded = true;
	atexit(xdpfilter_stop);
	ret = xdpfilter_open();
	if (ret)
		return ret;
	/* Whatever is attached (its program, or a libxdp dispatcher in front
	 * of it) is an XDP program test runs can call. */
	ret = bpf_xdp_query_id((int)ifindex, XDP_FLAGS_SKB_MODE, &id);
	if (ret)
		return ret;
	if (!id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	*prog_fd = fd;
	return 0;
}

static int put(int fd, const void *key, uint64_t flags, __u64 how)
{
	for (int c = 0; c < xf.ncpu; c++)
		xf.vals[c] = flags;
	return bpf_map_update_elem(fd, key, xf.vals, how) ? -errno : 0;
}

static int empty_hash(int fd)
{
	uint8_t key[16];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

/* Adds the single addresses (/32, /128) of f with flag; an address already
 * there for the other field gets both flags. */
static int fill_addrs(const struct ef_addr_field *f, uint64_t flag, struct xdpfilter_counts *n)
{
	for (size_t i = 0; !f->any && i < f->n; i++) {
		const struct ef_prefix *p = &f->v[i];
		bool v4 = p->family == EF_AF_INET;
		int fd = v4 ? xf.v4 : xf.v6, ret;

		n->prefixes++;
		if (p->len != (v4 ? 32 : 128))
			continue;
		n->single++;
		if (!bpf_map_lookup_elem(fd, p->addr, xf.vals)) {
			ret = (xf.vals[0] & flag)
				      ? 0
				      : put(fd, p->addr, (xf.vals[0] & 0xff) | flag, BPF_EXIST);
			if (ret)
				return ret;
			continue;
		}
		/* A full map refuses more (E2BIG): count what it holds. */
		if (n->addrs >= n->capacity)
			continue;
		ret = put(fd, p->addr, flag, BPF_NOEXIST);
		if (ret == -E2BIG)
			continue;
		if (ret)
			return ret;
		n->addrs++;
	}
	return 0;
}

/* Sets the port array to the destination ports of rules [first, n), only
 * writing the ports that change: it has 65536 slots. */
static int fill_ports(const struct ef_ruleset *rs, size_t first, struct xdpfilter_counts *n)
{
	static uint8_t want[65536];
	int ret;

	memset(want, 0, sizeof(want));
	for (size_t r = first; r < rs->n_rules; r++) {
		const struct ef_rule *rule = &rs->rules[r];
		uint8_t f = XF_DST;

		if (rule->dport.any)
			continue;
		if (rule->proto_any || ef_rule_has_proto(rule, IPPROTO_TCP))
			f |= XF_TCP;
		if (rule->proto_any || ef_rule_has_proto(rule, IPPROTO_UDP))
			f |= XF_UDP;
		for (size_t i = 0; i < rule->dport.n; i++)
			for (uint32_t p = rule->dport.v[i].lo; p <= rule->dport.v[i].hi; p++)
				want[p] |= f;
	}
	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t key = htons((uint16_t)p);

		if (want[p])
			n->ports++;
		if (want[p] == xf.port_flags[p])
			continue;
		ret = put(xf.ports, &key, want[p], BPF_ANY);
		if (ret)
			return ret;
		xf.port_flags[p] = want[p];
	}
	return 0;
}

static int start_fill(struct xdpfilter_counts *n)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ret;

	memset(n, 0, sizeof(*n));
	if (bpf_obj_get_info_by_fd(xf.v4, &info, &len))
		return -errno;
	n->capacity = info.max_entries;
	ret = empty_hash(xf.v4);
	return ret ? ret : empty_hash(xf.v6);
}

int xdpfilter_fill(const struct ef_ruleset *rs, struct xdpfilter_counts *n)
{
	int ret = start_fill(n);

	if (!ret)
		ret = fill_addrs(&rs->rules[0].src, XF_SRC, n);
	return ret ? ret : fill_ports(rs, 1, n);
}

int xdpfilter_fill_all(const struct ef_ruleset *rs, struct xdpfilter_counts *n)
{
	int ret = start_fill(n);

	for (size_t r = 0; !ret && r < rs->n_rules; r++) {
		ret = fill_addrs(&rs->rules[r].src, XF_SRC, n);
		if (!ret)
			ret = fill_addrs(&rs->rules[r].dst, XF_DST, n);
	}
	return ret ? ret : fill_ports(rs, 0, n);
}

int xdpfilter_deny_sources(const uint32_t *v4, size_t n, struct xdpfilter_counts *c)
{
	int ret = start_fill(c);

	for (size_t i = 0; !ret && i < n; i++) {
		if (!bpf_map_lookup_elem(xf.v4, &v4[i], xf.vals))
			continue;
		if (c->addrs >= c->capacity)
			return -E2BIG;
		ret = put(xf.v4, &v4[i], XF_SRC, BPF_NOEXIST);
		c->addrs++;
	}
	return ret;
}
