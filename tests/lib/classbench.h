/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ClassBench filter sets (Taylor and Turner) for tests and benchmarks: reading
 * them, writing them as edgefw rules, a first-match matcher with the same
 * meaning, and a generator of sets shaped like a given one (cbgen.c).
 *
 * A line is
 *   @SRC/LEN  DST/LEN  SPORT_LO : SPORT_HI  DPORT_LO : DPORT_HI  PROTO/MASK  FLAGS/MASK
 * (tab-separated, /work/shared/data/README.md). As edgefw rules, in order,
 * first match wins:
 * - 0.0.0.0/0 and 0 : 65535 are left out (they match everything);
 * - PROTO/0x00 is any protocol; with ports it is `proto: [tcp, udp]`, since
 *   edgefw ports need a protocol that has them;
 * - ports on a protocol without them (ICMP, GRE, ...) cannot be written: the
 *   line is skipped and counted;
 * - the FLAGS column is ignored (the rule language's tcp-flags are a
 *   different thing, and the conversion leaves it out).
 * Nothing here depends on libedgefw: the YAML is text, the matcher works on
 * the lines themselves, so it is an independent judge of the compiled rules.
 */
#ifndef EDGEFW_TEST_CLASSBENCH_H
#define EDGEFW_TEST_CLASSBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where the project keeps the shared sets, relative to the checkout root. */
#define CB_SHARED_DIR "../shared/data/classbench"

struct cb_rule {
	uint32_t src, dst;        /* host order, bits past the length clear */
	uint8_t src_len, dst_len; /* 0: any address */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint8_t proto, proto_mask;  /* mask 0: any protocol, else 0xff */
	uint16_t flags, flags_mask; /* kept to write the line back; ignored */
};

struct cb_set {
	struct cb_rule *v;
	size_t n, cap;
};

/* Parses one line (the leading '@' optional, trailing blanks allowed).
 * Returns 0, or -EINVAL with what is wrong in err. */
int cb_parse_line(const char *line, struct cb_rule *r, char *err, size_t errlen);

/* Reads a whole file. Returns 0, -ENOENT when it does not exist (callers
 * skip), or another negative errno with "FILE:LINE: what" in err. */
int cb_load(const char *path, struct cb_set *set, char *err, size_t errlen);
int cb_set_add(struct cb_set *set, const struct cb_rule *r);
void cb_set_free(struct cb_set *set);

/* A small set in the format, with every shape the conversion tells apart:
 * for unit tests, and a seed for generated sets when the shared ones are
 * absent. */
#define CB_SAMPLE_LINES 11
extern const char *const cb_sample_lines[CB_SAMPLE_LINES];
int cb_sample_set(struct cb_set *s);

/* Writes r as a ClassBench line, with its newline. */
void cb_write_line(FILE *out, const struct cb_rule *r);

bool cb_has_ports(const struct cb_rule *r);
/* Whether r matches every packet (both prefixes /0, no ports, any proto). */
bool cb_is_catch_all(const struct cb_rule *r);
/* Whether the line can be an edgefw rule: not ports on a portless
 * protocol (anything but TCP, UDP, SCTP). */
bool cb_expressible(const struct cb_rule *r);

/* How a set becomes an edgefw rules file. */
struct cb_yaml_opts {
	const char *name_prefix;    /* rule names are PREFIX + line number */
	unsigned first_line;        /* the number of the set's first rule (1) */
	unsigned pass_percent;      /* rules that pass, the others drop (0) */
	uint64_t seed;              /* which rules pass, deterministically */
	bool skip_catch_all;        /* leave out lines that match everything,
				   * so that packets can match no rule */
	const char *default_action; /* defaults for every hook: "pass" */
};

struct cb_yaml_stats {
	size_t rules;     /* written */
	size_t portless;  /* skipped: ports on ICMP, GRE, ... */
	size_t catch_all; /* skipped with skip_catch_all */
};

void cb_yaml_opts_init(struct cb_yaml_opts *o);

/* Writes the rules file. The line of set->v[i] is first_line + i. */
int cb_write_yaml(FILE *out, const struct cb_set *set, const struct cb_yaml_opts *o,
		  struct cb_yaml_stats *st);
/* The same in pieces, for rules from several parts of a file in an order
 * of one's own: the header, then each part's rules (adding to st, which
 * starts zeroed), then the end. */
void cb_write_yaml_head(FILE *out, size_t lines, const struct cb_yaml_opts *o);
void cb_write_yaml_rules(FILE *out, const struct cb_set *part, const struct cb_yaml_opts *o,
			 struct cb_yaml_stats *st);
int cb_write_yaml_end(FILE *out, const struct cb_yaml_stats *st);
/* Whether the converted rule i exists (not skipped) and passes. */
bool cb_rule_kept(const struct cb_set *set, size_t i, const struct cb_yaml_opts *o);
bool cb_rule_passes(const struct cb_set *set, size_t i, const struct cb_yaml_opts *o);

/* An IPv4 packet's header fields as the converted rules see them. */
struct cb_packet {
	uint32_t src, dst;
	uint8_t proto;
	uint16_t sport, dport; /* meaningful for TCP, UDP, SCTP only */
};

bool cb_proto_has_ports(uint8_t proto);
/* Whether converted rule r matches p (the rule must be expressible). */
bool cb_rule_matches(const struct cb_rule *r, const struct cb_packet *p);
/* Index of the first converted rule of set[from, to) matching p, or -1.
 * Skipped lines never match. */
long cb_match(const struct cb_set *set, size_t from, size_t to, const struct cb_yaml_opts *o,
	      const struct cb_packet *p);

/* A packet inside rule r's box: a random point of each field it writes,
 * a random value of the others. rnd is a xorshift64* state. */
void cb_aim(const struct cb_rule *r, uint64_t *rnd, struct cb_packet *p);

/* --- cbgen.c: sets shaped like a seed set --- */

/* Generates n rules shaped like seed (see cbgen.c for how), reproducibly
 * from seed_value. Returns 0 or a negative errno. */
int cb_generate(const struct cb_set *seed, size_t n, uint64_t seed_value, struct cb_set *out);

/* The share of a field's distinct prefixes of /8 or longer that lie inside
 * another such prefix of the set (dst: 0 src, 1 dst). */
double cb_nested_share(const struct cb_set *s, int dst);

/* Prints the shape statistics of one or two sets side by side
 * (b may be NULL): prefix length histograms, wildcard fractions, distinct
 * values, nesting, port classes, protocols. */
void cb_print_stats(FILE *out, const char *name_a, const struct cb_set *a, const char *name_b,
		    const struct cb_set *b);

#endif
