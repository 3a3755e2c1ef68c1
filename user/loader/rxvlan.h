/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rx VLAN offload and XDP: a driver that strips tags on receive hands XDP
 * the frame without them; since kernel 6.8 a driver may give them back
 * through the XDP metadata kfunc bpf_xdp_metadata_rx_vlan_tag().
 */
#ifndef EDGEFW_RXVLAN_H
#define EDGEFW_RXVLAN_H

#include <stdbool.h>

struct ef_rxvlan {
	bool stripped; /* rx-vlan-hw-parse or rx-vlan-stag-hw-parse on */
	bool xdp_meta; /* the driver's XDP metadata carries the stripped tag */
};

/* Asks ethtool and the netdev netlink family about ifindex (in the current
 * network namespace). 0, or the ethtool query's -errno (stripped is then
 * false; xdp_meta is filled in any case). */
int ef_rxvlan_query(int ifindex, const char *ifname, struct ef_rxvlan *out);

#endif
