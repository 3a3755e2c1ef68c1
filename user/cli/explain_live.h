/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `edgefw explain` and dynamic state (issue 16): --in/--over-limit
 * checked against the file, --live from the instance in force, and the
 * conditions consulted as JSON. */
#ifndef EDGEFW_EXPLAIN_LIVE_H
#define EDGEFW_EXPLAIN_LIVE_H

#include "explain.h"
#include "instance.h"

/* Opens the instance (shared) and points dyn's live callbacks at it.
 * 0 or -errno (logged: the instance does not exist, not root, ...). */
int ef_explain_live_open(const char *instance, struct ef_instance *inst,
			 struct ef_explain_dyn *dyn);

/* --in names a dynamic set of rs, --over-limit a rule with a limit;
 * -EINVAL (logged) otherwise. */
int ef_explain_check_names(const struct ef_ruleset *rs, const char *const *in_sets, size_t n_in,
			   const char *const *over, size_t n_over);

/* "dynamic" of explain --json: each condition the matcher consulted. */
struct json_object;
struct json_object *ef_explain_dyn_json(const struct ef_ruleset *rs,
					const struct ef_explanation *e);

#endif
