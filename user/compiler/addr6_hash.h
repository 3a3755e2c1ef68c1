/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which IPv6 prefix lengths past /48 go to the exact-match hash (see
 * addr6_hash.c). */
#ifndef EDGEFW_ADDR6_HASH_H
#define EDGEFW_ADDR6_HASH_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"

/* Fills lens (EDGEFW_A6_HASH_LENS, longest first, 0 after the last) with
 * the lengths past /48 of IPv6 table t that host6_tbl is to hold. */
void ef_hash6_choose(const struct ef_lpm_table *t, uint8_t lens[EDGEFW_A6_HASH_LENS]);

/* Decides where each entry of IPv6 table t goes (enum ef_addr_home, with
 * skip_level for EF_HOME_SKIP) and fills lens as ef_hash6_choose does over
 * the long entries not behind a skip node. 0 or -ENOMEM. */
int ef_addr6_place(struct ef_lpm_table *t, uint8_t lens[EDGEFW_A6_HASH_LENS]);

/* True when prefixes of length len are in the hash (lens as above). */
bool ef_hash6_has(const uint8_t lens[EDGEFW_A6_HASH_LENS], unsigned len);

#endif
