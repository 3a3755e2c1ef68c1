/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The reference matcher: the meaning of a ruleset, written as plainly as
 * possible. It walks the rules in order and returns the first that matches,
 * independent of the compiled tables, so it can judge them.
 */
#ifndef EDGEFW_MATCHER_H
#define EDGEFW_MATCHER_H

#include <stdint.h>

#include "ruleset.h"

struct ef_packet {
	uint8_t family; /* EF_AF_INET or EF_AF_INET6 */
	uint8_t saddr[16];
	uint8_t daddr[16];
};

/* Index of the first rule that matches the packet on hook, or -1 when none
 * does and the hook's default applies. */
int ef_match(const struct ef_ruleset *rs, const struct ef_packet *pkt,
	     uint32_t hook);

#endif
