/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attaching edgefw's tc programs as a direct-action `bpf` filter on the
 * clsact qdisc, through libbpf's bpf_tc_* calls (why not tcx links:
 * kern/DESIGN.md, "Attaching at tc"). The filter sits at a fixed priority and
 * handle (below) so edgefw only ever touches its own filter: other tools'
 * filters on the same hook stay, and run before or after ours by priority.
 *
 * The clsact qdisc is created when absent and never deleted: other tools'
 * filters may hang off it (or be added later by a tool that expects it), and
 * an empty clsact passes every packet.
 */
#ifndef EDGEFW_TC_ATTACH_H
#define EDGEFW_TC_ATTACH_H

#include <stdbool.h>

#include "edgefw.h"
#include "instance.h"

/* `tc filter show dev IF ingress` lists edgefw as "pref 3807 bpf ... handle
 * 0xedf edgefw_tc_ingre:[ID]" (libbpf's name for it). Filters added without a pref get 49152 and below, so edgefw runs
 * before them; a filter with a smaller pref runs first. */
#define EF_TC_PREF 0x0edf
#define EF_TC_HANDLE 0x0edf

/* hook: EDGEFW_HOOK_TC_INGRESS or EDGEFW_HOOK_TC_EGRESS. Loads the program
 * against the instance's maps, adds the filter (creating clsact when absent)
 * and records the attachment. 0 or -errno (logged, with the kernel's
 * message). */
int ef_tc_attach(struct ef_instance *inst, int ifindex, const char *ifname, enum edgefw_hook hook);

/* Removes the filter this instance recorded for (ifindex, hook), only when
 * it is still our program, and forgets the attachment. -ENOENT when none is
 * recorded. */
int ef_tc_detach(struct ef_instance *inst, int ifindex, const char *ifname, enum edgefw_hook hook);

/* The id of the bpf filter at edgefw's pref and handle on the hook (0:
 * none). 0 or -errno (-ENODEV/-EINVAL: no such interface or clsact, or
 * another kind of filter there). */
int ef_tc_prog_on_hook(int ifindex, enum edgefw_hook hook, __u32 *prog_id);

/* True when the recorded program is still edgefw's filter on the hook. */
bool ef_tc_is_attached(struct ef_instance *inst, int ifindex, enum edgefw_hook hook);

/* Puts prog_fd in place of the program of edgefw's filter on a hook, in
 * one step. 0 or a negative errno (logged). */
int ef_tc_replace(int ifindex, const char *ifname, enum edgefw_hook hook, int prog_fd);

#endif
