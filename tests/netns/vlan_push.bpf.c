// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * For test_vlan_xdp.sh: a tc filter that tags IPv4 UDP to port 7300 with
 * VLAN 100 the way a VLAN interface does, in skb->vlan_tci (the kernel here
 * has no 802.1Q interfaces). With the device's tx VLAN offload on, the tag
 * then travels beside the frame, as after a NIC's rx VLAN offload.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TEST_PORT 7300
#define TEST_VID 100

SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(TEST_PORT))
		return TC_ACT_OK;
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), TEST_VID);
	return TC_ACT_OK;
}
