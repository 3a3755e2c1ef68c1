/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The words of the rule language that stand for numbers: IP protocols,
 * ICMP and ICMPv6 types and codes, TCP flags. Shared by the parser and by
 * `edgefw explain`, so a name means the same on both sides.
 */
#ifndef EDGEFW_RULES_NAMES_H
#define EDGEFW_RULES_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define EF_PROTO_ICMP 1
#define EF_PROTO_TCP 6
#define EF_PROTO_UDP 17
#define EF_PROTO_ICMPV6 58
#define EF_PROTO_SCTP 132

/* ICMPv6 neighbour discovery (RFC 4861): decided by defaults.non-ip
 * before the rules. */
#define EF_ICMPV6_ND_FIRST 133
#define EF_ICMPV6_ND_LAST 137

/* A name for a number; tables end with a NULL name. */
struct ef_name_num {
	const char *name;
	uint8_t num;
};

/* An ICMP code name, valid under one type. */
struct ef_icmp_code_name {
	uint8_t type;
	uint8_t code;
	const char *name;
};

extern const struct ef_name_num ef_proto_names[];
extern const struct ef_name_num ef_tcp_flag_names[]; /* num: the flag bit */

/* Number of name in t, or -1. */
int ef_name_lookup(const struct ef_name_num *t, const char *name);
/* First name of num in t, or NULL. */
const char *ef_name_of(const struct ef_name_num *t, unsigned num);
/* The name of t closest to word (a plausible typo), or NULL. */
const char *ef_name_suggest(const struct ef_name_num *t, const char *word);
/* "a, b, c" of every name in t, into buf (always NUL-terminated). */
void ef_name_list(const struct ef_name_num *t, char *buf, size_t len);

/* Tables for ICMP (l4proto 1) and ICMPv6 (58); NULL for other protocols. */
const struct ef_name_num *ef_icmp_type_names(uint8_t l4proto);
/* The code named name under type, or -1. */
int ef_icmp_code_lookup(uint8_t l4proto, uint8_t type, const char *name);
const char *ef_icmp_code_name(uint8_t l4proto, uint8_t type, uint8_t code);

/* "syn|!ack" style text of a flags mask and value into buf. */
void ef_tcp_flags_format(uint8_t mask, uint8_t value, char *buf, size_t len);

#endif
