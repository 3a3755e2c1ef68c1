/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* SHA-256 (FIPS 180-4), the bundle's content addresses. In the tree rather
 * than from libcrypto: it was libcrypto's only use, and loading that
 * library (4.5 MB, thousands of relocations) cost every edgefw command
 * its start-up time. Nothing secret is hashed, so a plain implementation
 * has no timing concern. */
#ifndef EDGEFW_SHA256_H
#define EDGEFW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define EF_SHA256_LEN 32

void ef_sha256(const void *data, size_t len, uint8_t out[EF_SHA256_LEN]);

#endif
