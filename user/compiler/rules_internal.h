/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the parts of the rules parser share (rules_*.c, shadow.c). Not an
 * API: ruleset.h is.
 *
 * Every check reports FILE:LINE:COL and parsing goes on after an error, so
 * one run shows every mistake; the result is used only when there were
 * none.
 */
#ifndef EDGEFW_RULES_INTERNAL_H
#define EDGEFW_RULES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"
#include "yamldoc.h"

#define RULESET_VERSION 1

/* Entries one address field (src or dst) of all rules may hold per
 * family: the compiler's LPM table bound. Ports have the same bound. */
#define EF_MAX_FIELD_ENTRIES (1u << 20)

/* Diagnostics printed per set or field for duplicates and overlaps before
 * the rest are summed up in one line. */
#define RS_OVERLAP_REPORTS 5

enum rs_field_idx {
	RS_SRC = 0,
	RS_DST,
	RS_SPORT = 0,
	RS_DPORT,
};

/* Where one entry of a set or field came from. */
struct rs_origin {
	const char *file; /* the rules file or a list file (owned by parser) */
	unsigned line, col;
	uint32_t elem; /* entries brought by one written element share it */
	int32_t via;   /* set it came through (index), or -1 */
};

/* Entries of a set, or of a field being built, in written order. */
struct rs_entries {
	enum ef_set_kind kind;
	struct ef_prefix *pfx;      /* EF_SET_ADDR */
	struct ef_port_range *port; /* EF_SET_PORT */
	struct rs_origin *org;
	size_t n, cap;
	struct ef_field_part *parts;
	size_t n_parts, parts_cap;
	/* Dynamic sets named (rules_dynamic.c): the last one's index + 1. */
	uint16_t dyn_set;
	size_t n_dyn;
	const struct ydoc_node *dyn_node;
};

enum rs_set_state {
	RS_SET_PENDING = 0,
	RS_SET_RESOLVING,
	RS_SET_DONE,
};

struct rs_set {
	char name[EF_SET_NAME_MAX];
	const struct ydoc_node *key, *body;
	enum ef_set_kind kind;
	enum rs_set_state state;
	bool bad;     /* had errors: uses of it report nothing more */
	bool kind_ok; /* kind is known (its keys made sense) */
	struct rs_entries e;
	size_t refs;  /* from rules and other sets */
	bool dynamic; /* entries at run time (rules_dynamic.c) */
	uint64_t timeout_ns;
	uint32_t size;
};

struct parser {
	const char *file;
	unsigned flags; /* enum ef_parse_flags */
	struct ef_diag *d;
	struct ef_ruleset *rs;
	struct rs_set *sets;
	size_t n_sets;
	char **paths; /* list file paths diagnostics and origins point to */
	size_t n_paths;
	/* Rules from an untrusted source: list files only beneath this
	 * directory (ef_parse_opts.lists_dir), opened once as lists_fd. */
	const char *lists_dir;
	const struct ef_parse_opts *opts; /* may be NULL */
	int lists_fd;                     /* -1 until the first list file; rs_free_sets closes */
	uint32_t next_elem;
	/* Entries all rules hold so far, against EF_MAX_FIELD_ENTRIES. */
	size_t addr_total[2][2]; /* [RS_SRC/RS_DST][family: 0 v4, 1 v6] */
	size_t port_total[2];    /* [RS_SPORT/RS_DPORT] */
	bool addr_over[2][2], port_over[2];
};

#define perr(p, node, ...) ef_err((p)->d, (p)->file, (node)->line, (node)->col, __VA_ARGS__)
#define pwarn(p, node, ...) ef_warn((p)->d, (p)->file, (node)->line, (node)->col, __VA_ARGS__)

/* What entries are being collected for, for messages and limits. */
struct rs_ctx {
	const char *what;             /* "src", "set 'blocklist'" */
	int field;                    /* rs_field_idx of a rule field, -1 for a set */
	struct rs_set *in_set;        /* the set being resolved, or NULL */
	const struct ydoc_node *node; /* the field or set, for summaries */
};

/* rules_util.c: small checks every part uses. */
/* 1 to max - 1 letters, digits and characters of punct. */
bool rs_valid_name(const char *s, size_t max, const char *punct);
/* "rule 'NAME'", or "this rule" before it has a name, for messages. */
#define RS_LABEL_MAX (EDGEFW_RULE_NAME_MAX + 8)
void rs_rule_label(const struct ef_rule *r, char *buf, size_t len);
bool rs_is_null(const struct ydoc_node *n);
bool rs_expect_kind(struct parser *p, const struct ydoc_node *n, enum ydoc_kind kind,
		    const char *what);
void rs_check_keys(struct parser *p, const struct ydoc_node *map, const char *where,
		   const char *const *known);
int rs_parse_word(struct parser *p, const struct ydoc_node *n, const char *what,
		  const char *const *names, int count);
bool rs_parse_uint(const char *s, unsigned max, unsigned *out);
const struct ydoc_node *rs_map_key(const struct ydoc_node *map, const char *key);
/* A scalar, or a list of scalars. Reports null, an empty list and items
 * that are not scalars (callers skip those); false when nothing is
 * usable. *count is the number of items. */
bool rs_scalar_list(struct parser *p, const struct ydoc_node *n, const char *what, size_t *count);
/* Item i of such a node: the scalar itself, or the list's item. */
const struct ydoc_node *rs_list_item(const struct ydoc_node *n, size_t i);
/* A valid interface name (1-15 characters, no '/', ':' or spaces). */
bool rs_valid_ifname(const char *s);
/* A name or fnmatch(3) pattern of the same length and characters. */
bool rs_valid_iface_pattern(const char *s);
/* A hook or list of hooks into *hooks (1u << enum edgefw_hook); left
 * unchanged when nothing valid was written. */
void rs_parse_hook_list(struct parser *p, const struct ydoc_node *n, uint8_t *hooks);
/* capacity_spec.c: daemon.capacity. */
void rs_parse_capacity(struct parser *p, const struct ydoc_node *n, struct ef_capacity_spec *s);
/* rules_daemon.c: the top-level `interfaces` and `daemon` sections. */
void rs_parse_attach(struct parser *p, const struct ydoc_node *n);
void rs_parse_daemon(struct parser *p, const struct ydoc_node *n);
/* rules_fleet.c: daemon.source (issue 18); and, once the whole document
 * is read, the check that a file with an etcd source holds no rules. */
void rs_parse_source(struct parser *p, const struct ydoc_node *n, struct ef_fleet_conf *c);
void rs_check_fleet_file(struct parser *p, const struct ydoc_node *root);
/* rules_crowdsec.c: daemon.crowdsec (issue 16). */
void rs_parse_crowdsec(struct parser *p, const struct ydoc_node *n, struct ef_crowdsec_conf *c);

/* "3:7" in the rules file, or "list.netset:12:1" in another, into buf. */
void rs_format_pos(const struct parser *p, const char *file, unsigned line, unsigned col, char *buf,
		   size_t len);

/* rules_sets.c: sets, list files, and the address and port fields that may
 * refer to them. */
void rs_parse_sets(struct parser *p, const struct ydoc_node *n);
void rs_parse_addr_field(struct parser *p, const struct ydoc_node *n, enum rs_field_idx which,
			 struct ef_addr_field *f);
void rs_parse_port_field(struct parser *p, const struct ydoc_node *n, enum rs_field_idx which,
			 struct ef_port_field *f);
void rs_finish_sets(struct parser *p);
/* rules_lists.c: finds and reads the list file a set's `files` item n
 * names, as the parse options allow. *path is what diagnostics call it
 * (owned by the parser), *buf the content (the caller frees it). On error
 * (reported at n) returns a negative errno. */
int rs_read_list_file(struct parser *p, const char *set_name, const struct ydoc_node *n,
		      const char **path, char **buf, size_t *len);
void rs_free_sets(struct parser *p);

/* rules_dynamic.c: dynamic sets, limits and bans (issue 16). */
struct rs_ctx;
/* A set whose body has `dynamic:`; replaces define_set's reading. */
void rs_define_dynamic_set(struct parser *p, struct rs_set *s, const struct ydoc_node *body);
/* $NAME naming dynamic set s in a field being built into e. */
/* rules_util.c: the set of the rules named name, or NULL. */
struct rs_set *rs_find_set(struct parser *p, const char *name);
/* rules_util.c: one port or range (1024-65535), one address or prefix,
 * reported at n with what (the field) when wrong. */
bool rs_parse_port_range(struct parser *p, const struct ydoc_node *n, const char *what,
			 struct ef_port_range *out);
bool rs_parse_prefix(struct parser *p, const struct ydoc_node *n, const char *what,
		     struct ef_prefix *out);
/* rules_overlaps.c: warns about the entries of e that repeat or fall
 * inside another. */
void rs_check_overlaps(struct parser *p, const struct rs_ctx *c, const struct rs_entries *e);
void rs_dynamic_ref(struct parser *p, const struct rs_ctx *c, const struct ydoc_node *n,
		    struct rs_set *s, struct rs_entries *e);
/* False (reported) when a field mixes a dynamic set with anything else. */
bool rs_dynamic_field(struct parser *p, const struct rs_ctx *c, const struct rs_entries *e);
void rs_parse_limit(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
void rs_parse_ban(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
/* After the rules: each distinct condition's bit, rules' cond_mask. */
void rs_assign_conds(struct parser *p);

/* rules_fields.c: the match fields that name things. */
void rs_parse_hooks(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r);
void rs_parse_interfaces(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
void rs_parse_proto(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
void rs_parse_icmp(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r);
void rs_parse_tcp_flags(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
void rs_parse_vlan(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
void rs_parse_fragment(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
/* rules_state.c: `state` and `track`, and their checks against the
 * action and other fields. */
void rs_parse_state(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
void rs_parse_track(struct parser *p, const struct ydoc_node *n, struct ef_rule *r);
void rs_check_state_fields(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r);
void rs_check_ruleset_state(struct parser *p, const struct ydoc_node *rules);
/* Checks between fields (ports need a port protocol, ...). */
void rs_check_rule_fields(struct parser *p, const struct ydoc_node *rule, struct ef_rule *r);

/* rules_parse.c: the document, defaults and rules. */
extern const char *const rs_action_words[EDGEFW_ACT_COUNT];
extern const char *const rs_hook_names[EDGEFW_HOOK_COUNT + 1]; /* NULL-ended */
void rs_parse_document(struct parser *p, const struct ydoc_node *root);

/* shadow.c: rules that can never match, on a ruleset without errors. */
void rs_check_reachability(const struct ef_ruleset *rs, const char *file, struct ef_diag *d);

#endif
