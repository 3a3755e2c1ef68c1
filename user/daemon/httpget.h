/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A minimal HTTP/1.1 GET over plain TCP to a numeric address, for the
 * CrowdSec local API (issue 16): Content-Length or chunked bodies. */
#ifndef EDGEFW_HTTPGET_H
#define EDGEFW_HTTPGET_H

#include <stddef.h>

#define EFD_HTTP_BODY_MAX (64u << 20)

/* GET path from hostport ("127.0.0.1:8080", "[::1]:8080") with one extra
 * header line (may be NULL, without CRLF). The whole exchange is bounded
 * by timeout_ms. On 0, *status is the HTTP status and *body (NUL-ended,
 * free it) the decoded body; else -errno (-EPROTO: not HTTP). */
int efd_http_get(const char *hostport, const char *path, const char *header, int timeout_ms,
		 int *status, char **body, size_t *len);

#endif
