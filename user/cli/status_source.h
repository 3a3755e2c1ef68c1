/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_STATUS_SOURCE_H
#define EDGEFW_STATUS_SOURCE_H

#include "owner.h"

struct json_object;
/* The owning daemon's "source" (a new reference), or NULL: no daemon, no
 * answer, or rules from its file. */
struct json_object *ef_cli_daemon_source(const struct ef_owner_info *owner);
/* One or two lines for the table; NULL prints nothing. */
void ef_cli_print_source(struct json_object *src);

#endif
