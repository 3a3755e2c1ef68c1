/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small rtnetlink request helper over libmnl: one request, its replies
 * (a dump or a single answer) and its acknowledgement, with the kernel's
 * extended-ack message kept for the error the caller prints.
 */
#ifndef EDGEFW_NL_H
#define EDGEFW_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>

/* The kernel's extended-ack text for the last failed request, or "". */
#define EF_NL_MSG_MAX 256

struct ef_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char msg[EF_NL_MSG_MAX];
};

/* Opens a NETLINK_ROUTE socket with extended acks. 0 or -errno. */
int ef_nl_open(struct ef_nl *nl);
void ef_nl_close(struct ef_nl *nl);

/* Sends nlh (adding NLM_F_REQUEST, NLM_F_ACK unless it is a dump, and a
 * sequence number) and runs cb (may be NULL) on every reply until the ack
 * or the end of the dump. Returns 0 or the kernel's -errno; nl->msg then holds its
 * extended-ack message when it sent one. */
int ef_nl_talk(struct ef_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
