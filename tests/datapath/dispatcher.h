/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef EDGEFW_TEST_DISPATCHER_H
#define EDGEFW_TEST_DISPATCHER_H

/* An XDP test run installs its program in the kernel's XDP dispatcher and
 * removes it again, each time waiting for an RCU grace period (about 13 ms
 * on the project machine), unless the program is already attached
 * somewhere. This moves the process into a private network namespace and
 * attaches each program, generic mode, to a veth there, so test runs cost
 * only the run. Later calls attach more programs in the same namespace.
 * Returns 0 or a negative errno. */
int keep_in_dispatcher(const int *prog_fds, int n);

#endif
