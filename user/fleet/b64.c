// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Base64 for etcd's JSON gateway: keys, values and chunks. */
#include "b64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *ef_b64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	size_t n = (len + 2) / 3 * 4, o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = left > 1 ? alphabet[v >> 6 & 63] : '=';
		out[o++] = left > 2 ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int sextet(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

int ef_b64_decode(const char *s, unsigned char **out, size_t *out_len)
{
	size_t len = strlen(s), pad = 0, o = 0;
	unsigned char *buf;

	*out = NULL;
	*out_len = 0;
	if (len % 4)
		return -EINVAL;
	if (len && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		uint32_t v = 0;

		for (size_t k = 0; k < 4; k++) {
			int x = sextet(s[i + k]);

			if (x < 0 && !(last && k >= 4 - pad)) {
				free(buf);
				return -EINVAL;
			}
			v = v << 6 | (uint32_t)(x < 0 ? 0 : x);
		}
		buf[o++] = (unsigned char)(v >> 16);
		if (!last || pad < 2)
			buf[o++] = (unsigned char)(v >> 8);
		if (!last || pad < 1)
			buf[o++] = (unsigned char)v;
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;
}
