// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "links.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "nl.h"
#include "strutil.h"

struct list_ctx {
	struct efd_link *v;
	size_t n, cap;
	int err;
};

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	unsigned type = mnl_attr_get_type(attr);

	if (type == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		tb[IFLA_IFNAME] = attr;
	return MNL_CB_OK;
}

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct list_ctx *ctx = data;
	struct efd_link *v;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb);
	if (!tb[IFLA_IFNAME])
		return MNL_CB_OK;
	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? 2 * ctx->cap : 64;

		v = realloc(ctx->v, cap * sizeof(*v));
		if (!v) {
			ctx->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		ctx->v = v;
		ctx->cap = cap;
	}
	v = &ctx->v[ctx->n++];
	v->ifindex = ifm->ifi_index;
	ef_strlcpy(v->name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(v->name));
	return MNL_CB_OK;
}

static int cmp_ifindex(const void *a, const void *b)
{
	const struct efd_link *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* One RTM_GETLINK dump; -EINTR when links changed while it ran (the
 * kernel flags the dump as inconsistent). */
static int list_once(struct list_ctx *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct ef_nl nl;
	int ret;

	ret = ef_nl_open(&nl);
	if (ret)
		return ret;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ret = ef_nl_talk(&nl, nlh, list_cb, ctx);
	if (ctx->err)
		ret = ctx->err;
	ef_nl_close(&nl);
	return ret;
}

/* A burst of hundreds of new links interrupts dumps: list again, waiting
 * a little longer each time (a burst of 100 veths lasts a few hundred
 * milliseconds), before giving up until the next pass. */
#define LIST_TRIES 20
#define LIST_PAUSE_US 2000

int efd_links_list(struct efd_link **out, size_t *n)
{
	struct list_ctx ctx = { 0 };
	int ret = -EINTR;

	for (int i = 0; i < LIST_TRIES && ret == -EINTR; i++) {
		free(ctx.v);
		ctx = (struct list_ctx){ 0 };
		if (i)
			usleep((useconds_t)(LIST_PAUSE_US * i));
		ret = list_once(&ctx);
	}
	if (ret) {
		free(ctx.v);
		return ret;
	}
	if (ctx.n)
		qsort(ctx.v, ctx.n, sizeof(*ctx.v), cmp_ifindex);
	*out = ctx.v;
	*n = ctx.n;
	return 0;
}

#define LINKMON_RCVBUF (8 << 20)

struct efd_linkmon {
	struct mnl_socket *sock;
};

int efd_linkmon_open(struct efd_linkmon **out)
{
	struct efd_linkmon *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return -ENOMEM;
	m->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->sock) {
		ret = -errno;
		goto err;
	}
	/* Room for a burst of a few thousand links (a veth's notification
	 * is 1-2 KiB) while a pass runs: an overrun costs a full pass. A
	 * smaller buffer, if refused, only means that pass comes sooner. */
	(void)setsockopt(mnl_socket_get_fd(m->sock), SOL_SOCKET, SO_RCVBUFFORCE,
			 &(int){ LINKMON_RCVBUF }, sizeof(int));
	if (mnl_socket_bind(m->sock, 1u << (RTNLGRP_LINK - 1), MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	*out = m;
	return 0;
err:
	efd_linkmon_close(m);
	return ret;
}

int efd_linkmon_fd(const struct efd_linkmon *m)
{
	return mnl_socket_get_fd(m->sock);
}

static int mon_add(struct efd_link_events *ev, const struct efd_link_event *e)
{
	struct efd_link_event *v;

	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? 2 * ev->cap : 64;

		if (cap > EFD_LINK_EVENTS_MAX)
			return -E2BIG;
		v = realloc(ev->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ev->v = v;
		ev->cap = cap;
	}
	ev->v[ev->n++] = *e;
	return 0;
}

static int mon_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	struct efd_link_events *ev = data;
	struct efd_link_event e = { .gone = nlh->nlmsg_type == RTM_DELLINK };
	struct ifinfomsg *ifm;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (ev->unread)
		return MNL_CB_OK; /* a full pass settles it all anyway */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm)) {
		ev->unread = true;
		return MNL_CB_OK;
	}
	ifm = mnl_nlmsg_get_payload(nlh);
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb);
	e.link.ifindex = ifm->ifi_index;
	if (tb[IFLA_IFNAME])
		ef_strlcpy(e.link.name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(e.link.name));
	if (!tb[IFLA_IFNAME] || mon_add(ev, &e))
		ev->unread = true;
	return MNL_CB_OK;
}

int efd_linkmon_drain(struct efd_linkmon *m, struct efd_link_events *ev)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool overrun = false;
	ssize_t len;

	for (;;) {
		len = mnl_socket_recvfrom(m->sock, buf, sizeof(buf));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* Keep reading: what is queued after the overrun
				 * is stale too, and the resync covers it. */
				overrun = true;
				continue;
			}
			return -errno;
		}
		/* Notifications carry no sequence number or port of ours. */
		if (mnl_cb_run(buf, (size_t)len, 0, 0, mon_cb, ev) < 0 && errno != ENOENT)
			ev->unread = true;
	}
	return overrun ? -ENOBUFS : 0;
}

void efd_link_events_free(struct efd_link_events *ev)
{
	free(ev->v);
	*ev = (struct efd_link_events){ 0 };
}

void efd_linkmon_close(struct efd_linkmon *m)
{
	if (!m)
		return;
	if (m->sock)
		mnl_socket_close(m->sock);
	free(m);
}
