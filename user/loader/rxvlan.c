// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where a driver's rx VLAN offload hides tags from XDP: the ethtool features
 * say whether the driver strips them, the netdev generic netlink family
 * whether its XDP metadata gives them back (bpf_xdp_metadata_rx_vlan_tag).
 */
#include "rxvlan.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "strutil.h"

/* include/uapi/linux/netdev.h (kernel 6.8), not in older headers. */
#define EF_NETDEV_FAMILY "netdev"
#define EF_NETDEV_CMD_DEV_GET 1
#define EF_NETDEV_A_DEV_IFINDEX 1
#define EF_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES 5
#define EF_NETDEV_XDP_RX_METADATA_VLAN_TAG 4

static int ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr = { 0 };

	ef_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

/* The active state of the features named rx-vlan-hw-parse (802.1Q) and
 * rx-vlan-stag-hw-parse (802.1ad). */
static int stripping(int fd, const char *ifname, bool *on)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 count;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_FEATURES } };
	struct ethtool_gstrings *names = NULL;
	struct ethtool_gfeatures *feat = NULL;
	__u32 n, blocks;
	int ret;

	ret = ethtool(fd, ifname, &sset);
	if (ret || !sset.hdr.sset_mask)
		return ret ? ret : -EOPNOTSUPP;
	n = sset.count;
	blocks = (n + 31) / 32;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	feat = calloc(1, sizeof(*feat) + blocks * sizeof(feat->features[0]));
	if (!names || !feat) {
		ret = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	feat->cmd = ETHTOOL_GFEATURES;
	feat->size = blocks;
	ret = ethtool(fd, ifname, names);
	if (!ret)
		ret = ethtool(fd, ifname, feat);
	for (__u32 i = 0; !ret && i < n; i++) {
		const char *name = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;

		if (strncmp(name, "rx-vlan-hw-parse", ETH_GSTRING_LEN) &&
		    strncmp(name, "rx-vlan-stag-hw-parse", ETH_GSTRING_LEN))
			continue;
		if (feat->features[i / 32].active & (1u << (i % 32)))
			*on = true;
	}
out:
	free(names);
	free(feat);
	return ret;
}

struct genl_reply {
	__u16 family;
	__u64 rx_meta;
};

static int family_attr(const struct nlattr *a, void *data)
{
	struct genl_reply *r = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && !mnl_attr_validate(a, MNL_TYPE_U16))
		r->family = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int dev_attr(const struct nlattr *a, void *data)
{
	struct genl_reply *r = data;

	if (mnl_attr_get_type(a) == EF_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES &&
	    !mnl_attr_validate(a, MNL_TYPE_U64))
		r->rx_meta = mnl_attr_get_u64(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr, data);
}

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), dev_attr, data);
}

/* One generic netlink request and its answer. */
static int genl_ask(struct mnl_socket *nl, __u16 type, __u8 cmd,
		    void (*put)(struct nlmsghdr *, const void *), const void *arg, mnl_cb_t cb,
		    struct genl_reply *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	unsigned seq = (unsigned)time(NULL) + cmd, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	put(nlh, arg);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, r);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static void put_family(struct nlmsghdr *nlh, const void *arg)
{
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, arg);
}

static void put_ifindex(struct nlmsghdr *nlh, const void *arg)
{
	mnl_attr_put_u32(nlh, EF_NETDEV_A_DEV_IFINDEX, *(const __u32 *)arg);
}

/* Does the driver's XDP metadata carry the tag it stripped? False when the
 * kernel (before 6.8) or the driver does not say. */
static bool xdp_vlan_meta(int ifindex)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_GENERIC);
	struct genl_reply r = { 0 };
	__u32 idx = (__u32)ifindex;
	bool ok = false;

	if (!nl)
		return false;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) ||
	    genl_ask(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, put_family, EF_NETDEV_FAMILY, family_cb,
		     &r) ||
	    !r.family)
		goto out;
	if (!genl_ask(nl, r.family, EF_NETDEV_CMD_DEV_GET, put_ifindex, &idx, dev_cb, &r))
		ok = r.rx_meta & EF_NETDEV_XDP_RX_METADATA_VLAN_TAG;
out:
	mnl_socket_close(nl);
	return ok;
}

int ef_rxvlan_query(int ifindex, const char *ifname, struct ef_rxvlan *out)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -errno;
	ret = stripping(fd, ifname, &out->stripped);
	close(fd);
	out->xdp_meta = xdp_vlan_meta(ifindex);
	return ret;
}
