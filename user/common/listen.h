/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A local listen address as the config writes it: "A.B.C.D:PORT" or
 * "[IPV6]:PORT", numeric only (no name is resolved), port 1-65535. The
 * compiler checks the config with it and edgefwd binds with it, so both
 * agree on what is valid. */
#ifndef EDGEFW_LISTEN_H
#define EDGEFW_LISTEN_H

#include <sys/socket.h>

/* 0 with *ss and *len filled, or -EINVAL. */
int ef_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif
