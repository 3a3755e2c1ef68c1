// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strutil.h"

int ef_nl_open(struct ef_nl *nl)
{
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock)
		return -errno;
	/* Without these the kernel answers only an errno: its messages
	 * ("Exclusivity flag on, cannot modify") say what is really wrong. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return ret;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void ef_nl_close(struct ef_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct talk {
	struct ef_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct talk *t = arg;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static int extack_attr_cb(const struct nlattr *attr, void *arg)
{
	const struct nlattr **tb = arg;
	unsigned int type = mnl_attr_get_type(attr);

	if (type == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* As iproute2's lib/mnl_utils.c: the TLVs follow the error and, unless the
 * kernel capped it, a copy of the request. */
static void extack_msg(const struct nlmsghdr *nlh, char *buf, size_t len)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
	unsigned int hlen = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += mnl_nlmsg_get_payload_len(&err->msg);
	if (mnl_attr_parse(nlh, hlen, extack_attr_cb, tb) != MNL_CB_OK)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		ef_strlcpy(buf, mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]), len);
}

static int error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct talk *t = arg;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	extack_msg(nlh, t->nl->msg, sizeof(t->nl->msg));
	/* Subsystems send the errno with either sign. */
	errno = err->error < 0 ? -err->error : err->error;
	return err->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* A dump ends with NLMSG_DONE, whose payload is its error (0 when fine). */
static int done_cb(const struct nlmsghdr *nlh, void *arg)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	(void)arg;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err) && *err < 0) {
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

int ef_nl_talk(struct ef_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct talk t = { .nl = nl, .cb = cb, .data = data };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	size_t bufsz = MNL_SOCKET_BUFFER_SIZE;
	char *buf;
	ssize_t n;
	int ret = 0;

	nl->msg[0] = '\0';
	buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	/* A dump ends with NLMSG_DONE; an ack on top would be left unread. */
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, bufsz);
		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run2(buf, (size_t)n, nlh->nlmsg_seq, nl->portid, data_cb, &t, ctl,
				  NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			ret = errno ? -errno : -EIO;
			break;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			break;
		}
	}
out:
	free(buf);
	return ret;
}
