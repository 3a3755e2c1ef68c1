/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* IPv4 address classes as arrays and exact-match entries (see addr4.c). */
#ifndef EDGEFW_ADDR4_H
#define EDGEFW_ADDR4_H

#include <stdint.h>

#include "classify.h"

/* Builds the IPv4 and IPv6 tries into c->cells from c->lpm. 0 or -errno (with
 * the reason in d for -E2BIG). */
int ef_build_addr4(struct ef_compiled *c, const char *path, struct ef_diag *d);

/* The class of an address in field (EF_FIELD_SRC/DST), looked up the way
 * the datapath does. */
uint32_t ef_addr6_class(const struct ef_compiled *c, uint8_t field,
			const uint8_t addr[16]);
uint32_t ef_addr4_class(const struct ef_compiled *c, uint8_t field,
			const uint8_t addr[4]);

#endif
