/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The documented exit codes, the same for edgefw, edgefwd's reloads and
 * the control protocol's "exit" (0 ok, 1 bad input, 2 the system refused). */
#ifndef EDGEFW_EXITCODE_H
#define EDGEFW_EXITCODE_H

enum ef_exit {
	EF_EXIT_OK = 0,
	EF_EXIT_INPUT = 1,  /* bad rules file, bad arguments, missing object */
	EF_EXIT_SYSTEM = 2, /* the kernel or the system refused */
};

#endif
