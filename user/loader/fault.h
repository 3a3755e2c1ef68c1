/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fault injection for tests of the reload path. Every kernel call on the
 * path that loads a ruleset (map creation, update, delete, lookup, mmap,
 * the switch) asks ef_fault() first; with EDGEFW_FAULT unset it always
 * answers 0 and costs a branch.
 *
 *   EDGEFW_FAULT=SITE       fail the first call at SITE (a name below)
 *   EDGEFW_FAULT=SITE:N     fail the Nth call at SITE (from 1)
 *   EDGEFW_FAULT=any:N      fail the Nth call of any site
 *
 * A fault fires once, with ECANCELED (a code no BPF call returns), and is
 * logged as a warning. Not thread-safe: the reload path runs in one thread
 * under the instance's exclusive lock.
 */
#ifndef EDGEFW_FAULT_H
#define EDGEFW_FAULT_H

#include <stdbool.h>

#define EF_FAULT_ENV "EDGEFW_FAULT"

/* 0, or -ECANCELED (with errno set) when this call is the one to fail.
 * site: a string literal naming the call (kept, see ef_fault_fired). */
int ef_fault(const char *site);

/* Reads EDGEFW_FAULT again and starts counting from zero (the first
 * ef_fault() does this by itself). -EINVAL when the value is malformed
 * (logged; injection stays off). */
int ef_fault_rearm(void);
/* Calls of ef_fault() at the armed site (at any site for any:N) since the
 * last arming, up to the one that failed; and the site of the fault that
 * fired (NULL: none yet). */
unsigned ef_fault_calls(void);
const char *ef_fault_fired(void);

#endif
