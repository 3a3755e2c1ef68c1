// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the rules compiler: any bytes as a rules file. The
 * parser must report, never crash, leak or read out of bounds; a file it
 * accepts must compile (within the bounds below) and the compiled tables
 * must pick the rule the reference matcher picks for a packet derived
 * from the input.
 *
 * List files are refused (EF_PARSE_NO_LIST_FILES) and the name lies in a
 * directory that does not exist, so no input makes the fuzzer open files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "explain.h"
#include "matcher.h"
#include "ruleset.h"
#include "strutil.h"

/* Keeps an iteration in milliseconds: compiling is the slow part. */
#define MAX_INPUT (64u << 10)
#define MAX_COMPILE_RULES 64
#define MAX_COMPILE_PREFIXES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t prefix_count(const struct ef_ruleset *rs)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n_rules; i++)
		n += rs->rules[i].src.n + rs->rules[i].dst.n;
	return n;
}

/* A packet whose fields come from the input's hash, aimed at the first
 * rule's first prefix half of the time so that rules do match. */
static void derive_packet(const struct ef_ruleset *rs, uint64_t h, struct ef_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->family = h & 1 ? EF_AF_INET6 : EF_AF_INET;
	for (int i = 0; i < 16; i++) {
		p->saddr[i] = (uint8_t)(h >> (i % 8 * 8));
		p->daddr[i] = (uint8_t)(h >> ((i + 3) % 8 * 8));
	}
	if (p->family == EF_AF_INET) {
		memset(p->saddr + 4, 0, 12);
		memset(p->daddr + 4, 0, 12);
	}
	if (rs->n_rules && rs->rules[0].src.n && (h & 2)) {
		p->family = rs->rules[0].src.v[0].family;
		memcpy(p->saddr, rs->rules[0].src.v[0].addr, 16);
	}
	p->l4proto = (uint8_t)(h >> 8) % 4 == 0 ? 6 : (uint8_t)(h >> 16);
	p->frag = (uint8_t)((h >> 24) % 3);
	/* As the datapath parses: a non-first fragment has no L4 header. */
	if (p->frag != EDGEFW_FRAG_LATER) {
		p->has_ports = p->l4proto == 6 || p->l4proto == 17 || p->l4proto == 132;
		p->has_icmp = p->l4proto == 1 || p->l4proto == 58;
		p->has_tcp_flags = p->l4proto == 6;
	}
	p->sport = (uint16_t)(h >> 32);
	p->dport = (uint16_t)(h >> 40) % 1024;
	p->icmp_type = (uint8_t)(h >> 48);
	p->icmp_code = (uint8_t)(h >> 56) % 4;
	p->tcp_flags = (uint8_t)(h >> 44);
	p->vlan = (h >> 52) & 1 ? EF_VLAN_UNTAGGED : (int32_t)((h >> 53) % 8);
	p->hook = (uint32_t)((h >> 60) % EDGEFW_HOOK_COUNT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ef_ruleset rs;
	struct ef_diag d = {};
	struct ef_compiled c;
	struct ef_explanation e;
	struct ef_packet pkt;
	int want, got;

	if (size > MAX_INPUT)
		return 0;
	if (ef_ruleset_parse_flags("/nonexistent/fuzz.yaml", (const char *)data, size,
				   EF_PARSE_NO_LIST_FILES, &rs, &d)) {
		ef_diag_free(&d);
		return 0;
	}
	derive_packet(&rs, ef_fnv1a64(data, size), &pkt);
	if (!ef_explain(&rs, &pkt, &e))
		ef_explanation_free(&e);
	want = ef_match(&rs, &pkt);
	if (rs.n_rules <= MAX_COMPILE_RULES && prefix_count(&rs) <= MAX_COMPILE_PREFIXES &&
	    !ef_compile(&rs, NULL, 0, &c, &d)) {
		/* The vector that means what ef_match assumes: empty
		 * dynamic sets, limits with room. */
		pkt.conds = ef_default_conds(&rs);
		got = ef_compiled_lookup(&c, &pkt);
		if (got != want) {
			fprintf(stderr, "compiled tables pick rule %d, the reference matcher %d\n",
				got, want);
			abort();
		}
		ef_compiled_free(&c);
	}
	ef_ruleset_free(&rs);
	ef_diag_free(&d);
	return 0;
}
