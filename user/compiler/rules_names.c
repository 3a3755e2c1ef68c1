// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Name tables. Names follow /etc/protocols and the IANA ICMP registries,
 * in the lower-case hyphenated spelling nftables uses, so rules read the
 * same as the tools operators already know.
 */
#include "rules_names.h"

#include <stdio.h>
#include <string.h>

#include "strutil.h"

const struct ef_name_num ef_proto_names[] = {
	{ "icmp", 1 },   { "igmp", 2 },    { "ipip", 4 },       { "tcp", 6 },       { "udp", 17 },
	{ "dccp", 33 },  { "ipv6", 41 },   { "rsvp", 46 },      { "gre", 47 },      { "esp", 50 },
	{ "ah", 51 },    { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "ospf", 89 },     { "pim", 103 },
	{ "vrrp", 112 }, { "l2tp", 115 },  { "sctp", 132 },     { "udplite", 136 }, { NULL, 0 },
};

const struct ef_name_num ef_tcp_flag_names[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 }, { "ack", 0x10 },
	{ "urg", 0x20 }, { "ece", 0x40 }, { "cwr", 0x80 }, { NULL, 0 },
};

static const struct ef_name_num icmp_types[] = {
	{ "echo-reply", 0 },           { "destination-unreachable", 3 },
	{ "source-quench", 4 },        { "redirect", 5 },
	{ "echo-request", 8 },         { "router-advertisement", 9 },
	{ "router-solicitation", 10 }, { "time-exceeded", 11 },
	{ "parameter-problem", 12 },   { "timestamp-request", 13 },
	{ "timestamp-reply", 14 },     { "info-request", 15 },
	{ "info-reply", 16 },          { "address-mask-request", 17 },
	{ "address-mask-reply", 18 },  { NULL, 0 },
};

static const struct ef_name_num icmpv6_types[] = {
	{ "destination-unreachable", 1 },
	{ "packet-too-big", 2 },
	{ "time-exceeded", 3 },
	{ "parameter-problem", 4 },
	{ "echo-request", 128 },
	{ "echo-reply", 129 },
	{ "mld-listener-query", 130 },
	{ "mld-listener-report", 131 },
	{ "mld-listener-done", 132 },
	{ "router-solicitation", 133 },
	{ "router-advertisement", 134 },
	{ "neighbor-solicitation", 135 },
	{ "neighbor-advertisement", 136 },
	{ "redirect", 137 },
	{ "mld2-listener-report", 143 },
	{ NULL, 0 },
};

static const struct ef_icmp_code_name icmp_codes[] = {
	{ 3, 0, "net-unreachable" },      { 3, 1, "host-unreachable" },
	{ 3, 2, "protocol-unreachable" }, { 3, 3, "port-unreachable" },
	{ 3, 4, "fragmentation-needed" }, { 3, 5, "source-route-failed" },
	{ 3, 9, "net-prohibited" },       { 3, 10, "host-prohibited" },
	{ 3, 13, "admin-prohibited" },    { 5, 0, "redirect-net" },
	{ 5, 1, "redirect-host" },        { 11, 0, "ttl-exceeded" },
	{ 11, 1, "reassembly-timeout" },  { 0, 0, NULL },
};

static const struct ef_icmp_code_name icmpv6_codes[] = {
	{ 1, 0, "no-route" },
	{ 1, 1, "admin-prohibited" },
	{ 1, 2, "beyond-scope" },
	{ 1, 3, "address-unreachable" },
	{ 1, 4, "port-unreachable" },
	{ 1, 5, "policy-failed" },
	{ 1, 6, "reject-route" },
	{ 3, 0, "hop-limit-exceeded" },
	{ 3, 1, "reassembly-timeout" },
	{ 4, 0, "erroneous-header" },
	{ 4, 1, "unrecognized-next-header" },
	{ 4, 2, "unrecognized-option" },
	{ 0, 0, NULL },
};

int ef_name_lookup(const struct ef_name_num *t, const char *name)
{
	for (size_t i = 0; t[i].name; i++)
		if (!strcmp(t[i].name, name))
			return t[i].num;
	return -1;
}

const char *ef_name_of(const struct ef_name_num *t, unsigned num)
{
	for (size_t i = 0; t[i].name; i++)
		if (t[i].num == num)
			return t[i].name;
	return NULL;
}

const char *ef_name_suggest(const struct ef_name_num *t, const char *word)
{
	const char *cands[64];
	size_t n = 0;

	for (size_t i = 0; t[i].name && n + 1 < sizeof(cands) / sizeof(*cands); i++)
		cands[n++] = t[i].name;
	cands[n] = NULL;
	return ef_suggest(word, cands);
}

void ef_name_list(const struct ef_name_num *t, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; t[i].name && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", t[i].name);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

const struct ef_name_num *ef_icmp_type_names(uint8_t l4proto)
{
	if (l4proto == EF_PROTO_ICMP)
		return icmp_types;
	if (l4proto == EF_PROTO_ICMPV6)
		return icmpv6_types;
	return NULL;
}

static const struct ef_icmp_code_name *code_table(uint8_t l4proto)
{
	return l4proto == EF_PROTO_ICMP     ? icmp_codes
	       : l4proto == EF_PROTO_ICMPV6 ? icmpv6_codes
					    : NULL;
}

int ef_icmp_code_lookup(uint8_t l4proto, uint8_t type, const char *name)
{
	const struct ef_icmp_code_name *t = code_table(l4proto);

	for (size_t i = 0; t && t[i].name; i++)
		if (t[i].type == type && !strcmp(t[i].name, name))
			return t[i].code;
	return -1;
}

const char *ef_icmp_code_name(uint8_t l4proto, uint8_t type, uint8_t code)
{
	const struct ef_icmp_code_name *t = code_table(l4proto);

	for (size_t i = 0; t && t[i].name; i++)
		if (t[i].type == type && t[i].code == code)
			return t[i].name;
	return NULL;
}

void ef_tcp_flags_format(uint8_t mask, uint8_t value, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; ef_tcp_flag_names[i].name && used < len; i++) {
		uint8_t bit = ef_tcp_flag_names[i].num;
		int w;

		if (!(mask & bit))
			continue;
		w = snprintf(buf + used, len - used, "%s%s%s", used ? "," : "",
			     value & bit ? "" : "!", ef_tcp_flag_names[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
