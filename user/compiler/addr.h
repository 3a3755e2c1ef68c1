/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* IPv4 and IPv6 prefixes as the rule language writes them. */
#ifndef EDGEFW_ADDR_H
#define EDGEFW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EF_AF_INET 4
#define EF_AF_INET6 6

struct ef_prefix {
	uint8_t family;   /* EF_AF_INET or EF_AF_INET6 */
	uint8_t len;      /* 0-32 or 0-128 */
	uint8_t addr[16]; /* network byte order; IPv4 uses addr[0..3], rest 0 */
};

enum ef_prefix_flags {
	EF_PREFIX_HOST_BITS = 0x1, /* bits past len were set (now cleared) */
};

/* Parses "192.0.2.0/24", "192.0.2.1" (/32), "2001:db8::/32", "2001:db8::1"
 * (/128). Host bits past the length are cleared and reported through
 * *flags (may be NULL). IPv4-mapped IPv6 (::ffff:0:0/96 and within) is
 * refused: the rule must be written as IPv4. On error returns -EINVAL and
 * writes a message without location, e.g. "prefix length 33 exceeds 32 for
 * IPv4", into err (errlen bytes, always NUL-terminated). */
int ef_prefix_parse(const char *s, struct ef_prefix *out, unsigned *flags, char *err,
		    size_t errlen);

/* "192.0.2.0/24"; single addresses keep their /32 or /128. Needs
 * EF_PREFIX_STRLEN bytes. */
#define EF_PREFIX_STRLEN 64
void ef_prefix_format(const struct ef_prefix *p, char *buf, size_t len);

/* Same family, and every address of inner is in outer. */
bool ef_prefix_contains(const struct ef_prefix *outer, const struct ef_prefix *inner);

/* Total order: family, then address bytes, then length (shorter first), so
 * a sorted array lists a prefix before everything it contains. */
int ef_prefix_cmp(const struct ef_prefix *a, const struct ef_prefix *b);

/* Address (family EF_AF_INET or EF_AF_INET6, length ignored) in prefix. */
bool ef_prefix_match(const struct ef_prefix *p, uint8_t family, const uint8_t addr[16]);

#endif
