// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prefix parsing is strict on purpose: a rule that silently means something
 * other than what was written is worse than one that is refused. Decisions:
 *
 * - IPv4 octets and prefix lengths with leading zeros ("010.0.0.1",
 *   "10.0.0.0/024") are refused. Some tools read 010 as octal 8, so the
 *   writer's intent is ambiguous; "0" itself is fine.
 * - No whitespace anywhere, no zone index ("fe80::1%eth0"), no host names,
 *   nothing after the length.
 * - A prefix that lies inside ::ffff:0:0/96 (IPv4-mapped IPv6) is refused
 *   with the IPv4 spelling to use instead: the datapath matches IPv4
 *   packets on IPv4 tables, so such a rule would never match. Shorter
 *   prefixes that merely contain that range (::/0, ::/64) are fine.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Longest user text quoted back in a message. */
#define QUOTE_MAX 64

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static unsigned family_bits(uint8_t family)
{
	return family == EF_AF_INET ? 32 : 128;
}

/* True when the first bits bits of a and b are equal. */
static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, bytes))
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return !((a[bytes] ^ b[bytes]) & mask);
}

/* Clears every bit past len; returns true when one was set. */
static bool clear_host_bits(uint8_t addr[16], unsigned len)
{
	bool had = false;

	for (unsigned i = 0; i < 16; i++) {
		uint8_t keep;

		if (len >= (i + 1) * 8)
			continue;
		keep = len > i * 8 ? (uint8_t)(0xff << (8 - (len - i * 8))) : 0;
		if (addr[i] & ~keep)
			had = true;
		addr[i] &= keep;
	}
	return had;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Explains why inet_pton refused an IPv4 address. */
static int bad_ipv4(const char *a, char *err, size_t errlen)
{
	bool only_digits_dots = true, leading_zero = false;
	const char *p;

	for (p = a; *p; p++) {
		if (!is_digit(*p) && *p != '.')
			only_digits_dots = false;
		if (*p == '0' && is_digit(p[1]) && (p == a || p[-1] == '.'))
			leading_zero = true;
	}
	if (only_digits_dots && leading_zero)
		return fail(err, errlen,
			    "invalid IPv4 address '%.*s': an octet has a "
			    "leading zero (some tools read it as octal); "
			    "write it without",
			    QUOTE_MAX, a);
	if (only_digits_dots)
		return fail(err, errlen,
			    "invalid IPv4 address '%.*s': write four numbers "
			    "0-255 separated by dots",
			    QUOTE_MAX, a);
	return fail(err, errlen,
		    "'%.*s' is not an IPv4 or IPv6 address: write the "
		    "address itself, e.g. 192.0.2.1 or 2001:db8::1 (names "
		    "are not resolved)",
		    QUOTE_MAX, a);
}

static int bad_ipv6(const char *a, char *err, size_t errlen)
{
	if (strchr(a, '%'))
		return fail(err, errlen,
			    "zone index in '%.*s' is not supported: remove "
			    "the '%%...' part",
			    QUOTE_MAX, a);
	return fail(err, errlen,
		    "invalid IPv6 address '%.*s': write it as in "
		    "2001:db8::1",
		    QUOTE_MAX, a);
}

static int parse_len(const char *s, const char *l, uint8_t family, unsigned *out, char *err,
		     size_t errlen)
{
	unsigned max = family_bits(family), v = 0;
	size_t n;

	if (!*l)
		return fail(err, errlen,
			    "missing prefix length after '/' in '%.*s': "
			    "write e.g. %s",
			    QUOTE_MAX, s, family == EF_AF_INET ? "192.0.2.0/24" : "2001:db8::/32");
	for (n = 0; l[n]; n++)
		if (!is_digit(l[n]))
			return fail(err, errlen,
				    "prefix length '%.*s' is not a number: "
				    "write 0-%u",
				    QUOTE_MAX, l, max);
	if (n > 1 && l[0] == '0')
		return fail(err, errlen,
			    "prefix length '%.*s' has a leading zero: write "
			    "it without",
			    QUOTE_MAX, l);
	/* More than three digits is out of range whatever they are; stop
	 * before the value can overflow. */
	if (n > 3)
		return fail(err, errlen, "prefix length %.*s exceeds %u for %s", QUOTE_MAX, l, max,
			    family == EF_AF_INET ? "IPv4" : "IPv6");
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(l[i] - '0');
	if (v > max)
		return fail(err, errlen, "prefix length %u exceeds %u for %s", v, max,
			    family == EF_AF_INET ? "IPv4" : "IPv6");
	*out = v;
	return 0;
}

/* A prefix inside ::ffff:0:0/96: first 80 bits zero, next 16 bits ones. */
static bool is_v4_mapped(const struct ef_prefix *p)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};

	return p->family == EF_AF_INET6 && p->len >= 96 && !memcmp(p->addr, mapped, sizeof(mapped));
}

int ef_prefix_parse(const char *s, struct ef_prefix *out, unsigned *flags, char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN + 1];
	struct ef_prefix p = { 0 };
	const char *slash;
	bool host_bits;
	unsigned len;
	size_t alen;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!s || !*s)
		return fail(err, errlen,
			    "empty address: write an address or prefix such "
			    "as 192.0.2.0/24 or 2001:db8::/32");
	for (const char *c = s; *c; c++)
		if (*c == ' ' || (*c >= '\t' && *c <= '\r'))
			return fail(err, errlen, "whitespace in address '%.*s': remove it",
				    QUOTE_MAX, s);
	slash = strchr(s, '/');
	if (slash && strchr(slash + 1, '/'))
		return fail(err, errlen,
			    "more than one '/' in '%.*s': write an address "
			    "or prefix such as 192.0.2.0/24",
			    QUOTE_MAX, s);
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (!alen)
		return fail(err, errlen,
			    "missing address before '/' in '%.*s': write e.g. "
			    "192.0.2.0/24",
			    QUOTE_MAX, s);
	if (alen >= sizeof(a))
		return fail(err, errlen,
			    "'%.*s...' is too long for an IPv4 or IPv6 "
			    "address",
			    QUOTE_MAX, s);
	memcpy(a, s, alen);
	a[alen] = '\0';

	if (strchr(a, ':')) {
		p.family = EF_AF_INET6;
		if (inet_pton(AF_INET6, a, p.addr) != 1)
			return bad_ipv6(a, err, errlen);
	} else {
		p.family = EF_AF_INET;
		if (inet_pton(AF_INET, a, p.addr) != 1)
			return bad_ipv4(a, err, errlen);
	}

	len = family_bits(p.family);
	if (slash) {
		ret = parse_len(s, slash + 1, p.family, &len, err, errlen);
		if (ret)
			return ret;
	}
	p.len = (uint8_t)len;

	host_bits = clear_host_bits(p.addr, p.len);

	if (is_v4_mapped(&p)) {
		char v4[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, p.addr + 12, v4, sizeof(v4));
		if (p.len == 128)
			return fail(err, errlen,
				    "IPv4-mapped IPv6 address %s: write it as "
				    "IPv4 (%s)",
				    a, v4);
		return fail(err, errlen,
			    "IPv4-mapped IPv6 prefix %s: write it as IPv4 "
			    "(%s/%u)",
			    s, v4, p.len - 96u);
	}
	if (flags)
		*flags = host_bits ? EF_PREFIX_HOST_BITS : 0;
	*out = p;
	return 0;
}

void ef_prefix_format(const struct ef_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int af;

	if (!len)
		return;
	af = p->family == EF_AF_INET ? AF_INET : p->family == EF_AF_INET6 ? AF_INET6 : -1;
	if (af < 0 || !inet_ntop(af, p->addr, a, sizeof(a))) {
		snprintf(buf, len, "<family %u>", p->family);
		return;
	}
	snprintf(buf, len, "%s/%u", a, p->len);
}

bool ef_prefix_contains(const struct ef_prefix *outer, const struct ef_prefix *inner)
{
	return outer->family == inner->family && outer->len <= inner->len &&
	       outer->len <= family_bits(outer->family) &&
	       bits_equal(outer->addr, inner->addr, outer->len);
}

int ef_prefix_cmp(const struct ef_prefix *a, const struct ef_prefix *b)
{
	size_t n;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	n = a->family == EF_AF_INET ? 4 : 16;
	c = memcmp(a->addr, b->addr, n);
	if (c)
		return c < 0 ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

bool ef_prefix_match(const struct ef_prefix *p, uint8_t family, const uint8_t addr[16])
{
	return p->family == family && p->len <= family_bits(family) &&
	       bits_equal(p->addr, addr, p->len);
}
