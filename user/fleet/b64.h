/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Base64 (RFC 4648, with padding): how etcd's JSON gateway carries keys
 * and values. */
#ifndef EDGEFW_B64_H
#define EDGEFW_B64_H

#include <stddef.h>

/* Encodes len bytes into a new NUL-terminated string; NULL on OOM. */
char *ef_b64_encode(const void *data, size_t len);
/* Decodes a NUL-terminated base64 string into a new buffer (*out, *out_len;
 * NUL-terminated for convenience, not counted). 0, -EINVAL on a character
 * or length that is not base64, -ENOMEM. */
int ef_b64_decode(const char *s, unsigned char **out, size_t *out_len);

#endif
