// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The names of edgefw.h's enums that the language, messages and JSON use:
 * actions, hooks, classifier dimensions. Below every other compiler file,
 * which all print them. */
#include "classify.h"
#include "rules_internal.h"

const char *const rs_action_words[EDGEFW_ACT_COUNT] = {
	[EDGEFW_ACT_PASS] = "pass",
	[EDGEFW_ACT_DROP] = "drop",
	[EDGEFW_ACT_REDIRECT] = "redirect",
};

const char *const rs_hook_names[EDGEFW_HOOK_COUNT + 1] = {
	[EDGEFW_HOOK_XDP] = "xdp",
	[EDGEFW_HOOK_TC_INGRESS] = "tc-ingress",
	[EDGEFW_HOOK_TC_EGRESS] = "tc-egress",
	[EDGEFW_HOOK_COUNT] = NULL,
};

const char *ef_action_name(uint8_t action)
{
	return action < EDGEFW_ACT_COUNT ? rs_action_words[action] : "?";
}

const char *ef_hook_name(uint32_t hook)
{
	return hook < EDGEFW_HOOK_COUNT ? rs_hook_names[hook] : "?";
}

static const char *const dim_names[EDGEFW_DIM_COUNT] = {
	[EDGEFW_DIM_SRC] = "src",
	[EDGEFW_DIM_DST] = "dst",
	[EDGEFW_DIM_PROTO] = "proto",
	[EDGEFW_DIM_SPORT] = "sport",
	[EDGEFW_DIM_DPORT] = "dport",
	[EDGEFW_DIM_FLAGS] = "tcp-flags",
	[EDGEFW_DIM_VLAN] = "vlan",
	[EDGEFW_DIM_CTX] = "hook/interface",
	[EDGEFW_DIM_COND] = "dynamic conditions",
};

const char *ef_dim_name(unsigned dim)
{
	return dim < EDGEFW_DIM_COUNT ? dim_names[dim] : "?";
}
