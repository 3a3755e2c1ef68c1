/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_BENCH_PARSECOST_H
#define EDGEFW_BENCH_PARSECOST_H

#include <stdbool.h>
#include <stddef.h>

#include "packets.h"

struct parse_prog {
	const char *name;
	int fd;
	bool tc; /* tc test runs take at most a page: no jumbo frames */
};

/* Prints ns per frame for the parser's deepest walks and multi-buffer
 * frames, each as a ratio to the plain frame of its family. The edgefw
 * programs classify with the instance's ruleset in force. */
void bench_parse_shapes(const struct parse_prog *progs, size_t n_progs, unsigned reps,
			unsigned repeat);

#endif
