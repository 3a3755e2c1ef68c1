// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "attach.h"

#include "edgefw.h"
#include "tc_attach.h"

int ef_hook_attach(struct ef_instance *inst, int ifindex, const char *ifname, uint32_t hook,
		   enum ef_xdp_mode mode)
{
	if (hook == EDGEFW_HOOK_XDP)
		return ef_xdp_attach(inst, ifindex, ifname, mode);
	return ef_tc_attach(inst, ifindex, ifname, (enum edgefw_hook)hook);
}

int ef_hook_detach(struct ef_instance *inst, int ifindex, const char *ifname, uint32_t hook)
{
	if (hook == EDGEFW_HOOK_XDP)
		return ef_xdp_detach(inst, ifindex, ifname);
	return ef_tc_detach(inst, ifindex, ifname, (enum edgefw_hook)hook);
}

bool ef_hook_is_attached(struct ef_instance *inst, int ifindex, uint32_t hook)
{
	if (hook == EDGEFW_HOOK_XDP)
		return ef_xdp_is_attached(inst, ifindex);
	return ef_tc_is_attached(inst, ifindex, (enum edgefw_hook)hook);
}
