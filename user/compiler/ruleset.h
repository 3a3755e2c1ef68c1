/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rule language after parsing: what the operator wrote, checked, with
 * the position of every rule for diagnostics. The compiler (classify.h)
 * turns it into tables; the reference matcher (matcher.h) gives it meaning.
 */
#ifndef EDGEFW_RULESET_H
#define EDGEFW_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "diag.h"
#include "edgefw.h"

#define EF_IFNAME_MAX 16 /* IFNAMSIZ, including the NUL */

/* One address field (src or dst) of a rule. */
struct ef_addr_field {
	bool any;              /* field not written: every address matches */
	struct ef_prefix *v;   /* the prefixes the field lists */
	size_t n;
	unsigned line, col;    /* where the field was written */
};

struct ef_rule {
	char name[EDGEFW_RULE_NAME_MAX];
	unsigned line, col;
	struct ef_addr_field src, dst;
	uint8_t action; /* enum edgefw_action */
	char redirect_ifname[EF_IFNAME_MAX];
	bool log;
};

struct ef_ruleset {
	char *path;
	uint64_t hash; /* FNV-1a 64 of the file's bytes */
	uint8_t default_action[EDGEFW_HOOK_COUNT];
	uint8_t non_ip_action;
	uint8_t malformed_action;
	struct ef_rule *rules; /* in file order: first match wins */
	size_t n_rules;
};

/* Reads and checks a rules file. Returns 0, or a negative errno with every
 * problem recorded in d (the ruleset is then empty). Warnings may be
 * recorded on success. */
int ef_ruleset_load(const char *path, struct ef_ruleset *rs, struct ef_diag *d);
int ef_ruleset_parse(const char *name, const char *buf, size_t len,
		     struct ef_ruleset *rs, struct ef_diag *d);
void ef_ruleset_free(struct ef_ruleset *rs);

const char *ef_action_name(uint8_t action);
const char *ef_hook_name(uint32_t hook);

/* True when the rule can match a packet of this family (EF_AF_INET or
 * EF_AF_INET6): each address field is any or lists a prefix of it. */
bool ef_rule_has_family(const struct ef_rule *r, uint8_t family);

#endif
