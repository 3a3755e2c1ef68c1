/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One entry point per operation for any hook: XDP (libxdp) or tc. */
#ifndef EDGEFW_ATTACH_H
#define EDGEFW_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

#include "instance.h"
#include "xdp_attach.h"

/* hook: enum edgefw_hook; mode matters for XDP only. 0 or -errno (logged). */
int ef_hook_attach(struct ef_instance *inst, int ifindex, const char *ifname, uint32_t hook,
		   enum ef_xdp_mode mode);
int ef_hook_detach(struct ef_instance *inst, int ifindex, const char *ifname, uint32_t hook);
bool ef_hook_is_attached(struct ef_instance *inst, int ifindex, uint32_t hook);

#endif
