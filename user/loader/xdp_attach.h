/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attaching edgefw's XDP program through libxdp, whose dispatcher lets it run
 * beside other XDP programs on the same interface.
 */
#ifndef EDGEFW_XDP_ATTACH_H
#define EDGEFW_XDP_ATTACH_H

#include <linux/types.h>

#include "instance.h"

enum ef_xdp_mode {
	EF_XDP_AUTO = 0, /* native, falling back to generic with a warning */
	EF_XDP_NATIVE,
	EF_XDP_GENERIC,
};

/* Parses "auto", "native", "generic". Returns 0 or -EINVAL. */
int ef_xdp_mode_parse(const char *s, enum ef_xdp_mode *mode);
const char *ef_xdp_mode_name(unsigned libxdp_mode);

/* Loads the XDP program against the instance's maps and attaches it to
 * ifindex; records the attachment in the instance. 0 or -errno (logged). */
int ef_xdp_attach(struct ef_instance *inst, int ifindex, const char *ifname, enum ef_xdp_mode mode);

/* Detaches the program this instance attached to ifindex (the recorded
 * program id), leaving every other program in place, and forgets the
 * attachment. -ENOENT when none is recorded. */
int ef_xdp_detach(struct ef_instance *inst, int ifindex, const char *ifname);
/* Detaches the program with prog_id (when it is still on ifindex) and
 * forgets the attachment record. */
int ef_xdp_detach_prog(struct ef_instance *inst, int ifindex, const char *ifname, __u32 prog_id);
/* The libxdp mode (as recorded) of a kernel XDP_ATTACHED_* value. */
unsigned ef_xdp_mode_from_kernel(unsigned attach_mode);

/* Warns when the ruleset in force has 'vlan:' rules and the interface strips
 * tags on receive (rx VLAN offload) where its XDP program cannot read them:
 * generic mode, a driver without the XDP VLAN metadata, a kernel before
 * 6.8. Attaching calls it; call it again after switching rulesets. */
void ef_xdp_vlan_check(struct ef_instance *inst, int ifindex, const char *ifname);
/* The same for every XDP attachment of the instance. */
void ef_xdp_vlan_check_all(struct ef_instance *inst);

/* The device-bound program that reads stripped tags, loaded for ifindex
 * alone (the kernel allows the metadata kfuncs only to such programs);
 * *fd is the caller's to close. 0 or -errno (logged). */
int ef_xdp_vlan_prog_load(struct ef_instance *inst, int ifindex, int *fd);
/* Is VLAN a field of the ruleset in force? */
bool ef_xdp_ruleset_uses_vlan(struct ef_instance *inst);
/* Does the program with this id read stripped tags (that program)? */
bool ef_xdp_reads_stripped_tags(__u32 prog_id);
/* Gives every native XDP attachment on an interface whose driver returns
 * stripped tags in its XDP metadata the program a ruleset needs: the
 * device-bound one when uses_vlan, the shared one otherwise, each swapped
 * in one step (xdp_vlan_follow.c). The device-bound program decides as
 * the shared one does and reads the tags too, so a reload swaps to it
 * before its switch to 'vlan:' rules and back after its switch away from
 * them: every packet meets a program that can decide by the ruleset in
 * force. A swap that fails leaves the program in place (a warning, then
 * ef_xdp_vlan_check's). */
void ef_xdp_vlan_follow(struct ef_instance *inst, bool uses_vlan);

/* True when the instance's recorded program is still on ifindex. */
bool ef_xdp_is_attached(struct ef_instance *inst, int ifindex);

#endif
