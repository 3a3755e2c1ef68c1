// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "version.h"

#ifndef EDGEFW_VERSION
#error "EDGEFW_VERSION must be defined (the Makefile reads it from VERSION)"
#endif

const char *ef_version(void)
{
	return EDGEFW_VERSION;
}

void ef_version_print(FILE *out, const char *prog)
{
	fprintf(out,
		"%s %s\n"
		"Copyright (C) 2026 The edgefw authors\n"
		"License: GPL-2.0 OR BSD-2-Clause\n",
		prog, EDGEFW_VERSION);
}
