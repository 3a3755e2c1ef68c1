/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The version of edgefw, from the VERSION file at the top of the tree (the
 * Makefile passes it as EDGEFW_VERSION to version.c only, so a new version
 * rebuilds one object). scripts/debian/changelog carries the same string; a test
 * checks that they agree. */
#ifndef EDGEFW_VERSION_H
#define EDGEFW_VERSION_H

#include <stdio.h>

/* "0.9.0" */
const char *ef_version(void);
/* Prints "PROG VERSION" and the licence line, for --version. */
void ef_version_print(FILE *out, const char *prog);

#endif
