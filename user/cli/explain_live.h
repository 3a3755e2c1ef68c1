/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `edgefw explain --live`: the dynamic state of the instance in force. */
#ifndef EDGEFW_EXPLAIN_LIVE_H
#define EDGEFW_EXPLAIN_LIVE_H

#include "explain.h"
#include "instance.h"

/* Opens the instance (shared) and points dyn's live callbacks at it.
 * 0 or -errno (logged: the instance does not exist, not root, ...). */
int ef_explain_live_open(const char *instance, struct ef_instance *inst,
			 struct ef_explain_dyn *dyn);

#endif
