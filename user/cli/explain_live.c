// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "explain_live.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "dynsets.h"
#include "log.h"
#include "rules_names.h"

/* A packet explain builds has no length; a byte limit is asked about the
 * smallest Ethernet frame. */
#define EXPLAIN_PKT_LEN 64

static int live_member(void *arg, const char *set, uint8_t family, const uint8_t addr[16],
		       struct ef_dyn_answer *out)
{
	return ef_dynset_query(arg, set, family, addr, &out->holds, out->detail,
			       sizeof(out->detail));
}

static int live_limit(void *arg, const struct ef_rule *r, const struct ef_packet *pkt,
		      struct ef_dyn_answer *out)
{
	int ret = ef_limit_query(arg, r, pkt, EXPLAIN_PKT_LEN, &out->holds, out->detail,
				 sizeof(out->detail));
	size_t n = strlen(out->detail);

	if (!ret && r->limit.bytes && n < sizeof(out->detail))
		snprintf(out->detail + n, sizeof(out->detail) - n, "; a packet of %d bytes",
			 EXPLAIN_PKT_LEN);
	return ret;
}

int ef_explain_live_open(const char *instance, struct ef_instance *inst, struct ef_explain_dyn *dyn)
{
	int ret = ef_instance_open(instance, EF_OPEN_SHARED, inst);

	if (ret) {
		ef_log_err(
			"--live: cannot read instance '%s' (see above): drop --live to explain with the dynamic state assumed",
			instance);
		return ret;
	}
	dyn->live_member = live_member;
	dyn->live_limit = live_limit;
	dyn->arg = inst;
	return 0;
}

static const char *source_name(enum ef_dyn_source s)
{
	return s == EF_DYN_LIVE ? "live" : s == EF_DYN_GIVEN ? "given" : "assumed";
}

/* Every dynamic condition consulted: which rule, set or limit, whether it
 * held, and where its state came from. */
json_object *ef_explain_dyn_json(const struct ef_ruleset *rs, const struct ef_explanation *e)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < e->n_conds; i++) {
		const struct ef_explain_cond *c = &e->conds[i];
		const struct ef_rule *r = &rs->rules[c->rule];
		const struct ef_addr_field *f = c->field == EF_RF_DST ? &r->dst : &r->src;
		json_object *o = json_object_new_object();

		json_object_object_add(o, "rule", json_object_new_string(r->name));
		json_object_object_add(o, "field",
				       json_object_new_string(ef_explain_field_name(c->field)));
		json_object_object_add(
			o, "set",
			c->field == EF_RF_COUNT
				? NULL
				: json_object_new_string(rs->sets[f->dyn_set - 1].name));
		json_object_object_add(o, "holds", json_object_new_boolean(c->ans.holds));
		json_object_object_add(o, "matched", json_object_new_boolean(c->matched));
		json_object_object_add(o, "source",
				       json_object_new_string(source_name(c->ans.source)));
		json_object_object_add(o, "why", json_object_new_string(c->text));
		json_object_array_add(a, o);
	}
	return a;
}

/* --in names a dynamic set of the file, --over-limit a rule with a limit. */
int ef_explain_check_names(const struct ef_ruleset *rs, const char *const *in_sets, size_t n_in,
			   const char *const *over, size_t n_over)
{
	for (size_t i = 0; i < n_in; i++) {
		size_t s = 0;

		while (s < rs->n_sets &&
		       (!rs->sets[s].dynamic || strcmp(rs->sets[s].name, in_sets[i])))
			s++;
		if (s == rs->n_sets) {
			ef_log_err("--in %s: %s has no dynamic set of that name", in_sets[i],
				   rs->path);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n_over; i++) {
		size_t r = 0;

		while (r < rs->n_rules &&
		       (!rs->rules[r].limit.on || strcmp(rs->rules[r].name, over[i])))
			r++;
		if (r == rs->n_rules) {
			ef_log_err("--over-limit %s: %s has no rule of that name with a limit",
				   over[i], rs->path);
			return -EINVAL;
		}
	}
	return 0;
}
