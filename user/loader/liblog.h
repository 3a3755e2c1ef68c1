/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What libbpf and libxdp print. Their debug output appears only with
 * EDGEFW_DEBUG=1; their warnings can be held back around an operation and
 * shown only when it fails, because libxdp warns about steps it recovers
 * from by itself (probing its dispatcher, for one).
 */
#ifndef EDGEFW_LIBLOG_H
#define EDGEFW_LIBLOG_H

#include <stdbool.h>

void ef_liblog_init(void);
void ef_liblog_hold(void);
/* Ends holding; prints what was held when show is true, else drops it
 * (when the outermost hold ends). Holds nest; each needs its release. */
void ef_liblog_release(bool show);

/* Forgets what is held so far: for a failure whose own line says all
 * (an interface that went away). */
void ef_liblog_drop(void);

/* The kernel's extended-ack message from libbpf's last failed netlink
 * request (libbpf prints it as a warning), or "": for our own error line,
 * which says what edgefw was doing. Cleared by ef_liblog_hold. */
const char *ef_liblog_kernel_msg(void);

#endif
