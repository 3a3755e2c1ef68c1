// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "tc_attach.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iface_slots.h"
#include "liblog.h"
#include "log.h"
#include "attach_record.h"
#include "nl.h"
#include "progs.h"
#include "strutil.h"

static const char *prog_name(enum edgefw_hook hook)
{
	return hook == EDGEFW_HOOK_TC_EGRESS ? "edgefw_tc_egress" :
					       "edgefw_tc_ingress";
}

static __u32 hook_parent(enum edgefw_hook hook)
{
	return TC_H_MAKE(TC_H_CLSACT, hook == EDGEFW_HOOK_TC_EGRESS ?
					      TC_H_MIN_EGRESS :
					      TC_H_MIN_INGRESS);
}

static const char *hook_dir(enum edgefw_hook hook)
{
	return hook == EDGEFW_HOOK_TC_EGRESS ? "egress" : "ingress";
}

/* A tc request: header, tcmsg and attributes in one buffer. */
static struct nlmsghdr *tc_msg(char *buf, __u16 type, __u16 flags,
			       int ifindex, __u32 parent, __u32 handle,
			       __u32 info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	tcm->tcm_info = info;
	return nlh;
}

static __u32 our_info(void)
{
	return TC_H_MAKE((__u32)EF_TC_PREF << 16, htons(ETH_P_ALL));
}

/* Creates clsact only when absent: NLM_F_EXCL makes an existing one EEXIST,
 * which is fine. */
static int ensure_clsact(struct ef_nl *nl, int ifindex, const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
		     TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
	ret = ef_nl_talk(nl, nlh, NULL, NULL);
	if (ret == -EEXIST)
		return 0;
	if (ret)
		ef_log_err("cannot add a clsact qdisc to %s: %s%s%s (see 'tc qdisc show dev %s')",
			   ifname, strerror(-ret), nl->msg[0] ? ": " : "",
			   nl->msg, ifname);
	return ret;
}

/* flags: NLM_F_CREATE | NLM_F_EXCL adds (never replacing a filter that
 * sits where ours would); NLM_F_REPLACE swaps the program of ours. */
static int put_filter(struct ef_nl *nl, int ifindex, const char *ifname,
		      enum edgefw_hook hook, int prog_fd, __u16 flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *opts;
	int ret;

	nlh = tc_msg(buf, RTM_NEWTFILTER, flags, ifindex,
		     hook_parent(hook), EF_TC_HANDLE, our_info());
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_BPF_FD, (__u32)prog_fd);
	mnl_attr_put_strz(nlh, TCA_BPF_NAME, prog_name(hook));
	mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_nest_end(nlh, opts);
	ret = ef_nl_talk(nl, nlh, NULL, NULL);
	if (ret)
		ef_log_err("cannot %s edgefw's tc filter (pref %u, handle 0x%x) on %s %s: %s%s%s (see 'tc filter show dev %s %s')",
			   flags & NLM_F_REPLACE ? "replace" : "add",
			   EF_TC_PREF, EF_TC_HANDLE, ifname, hook_dir(hook),
			   strerror(-ret), nl->msg[0] ? ": " : "", nl->msg,
			   ifname, hook_dir(hook));
	return ret;
}

static int add_filter(struct ef_nl *nl, int ifindex, const char *ifname,
		      enum edgefw_hook hook, int prog_fd)
{
	return put_filter(nl, ifindex, ifname, hook, prog_fd,
			  NLM_F_CREATE | NLM_F_EXCL);
}

static int del_filter(struct ef_nl *nl, int ifindex, const char *ifname,
		      enum edgefw_hook hook)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	/* With the handle, only our filter goes, not the whole priority. */
	nlh = tc_msg(buf, RTM_DELTFILTER, 0, ifindex, hook_parent(hook),
		     EF_TC_HANDLE, our_info());
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	ret = ef_nl_talk(nl, nlh, NULL, NULL);
	if (ret)
		ef_log_err("cannot remove edgefw's tc filter from %s %s: %s%s%s (remove it with 'tc filter del dev %s %s pref %u')",
			   ifname, hook_dir(hook), strerror(-ret),
			   nl->msg[0] ? ": " : "", nl->msg, ifname,
			   hook_dir(hook), EF_TC_PREF);
	return ret;
}

struct find {
	__u32 prog_id; /* id of the bpf filter at our pref and handle, or 0 */
	bool present;  /* some filter sits at our pref and handle */
};

static int bpf_opt_cb(const struct nlattr *attr, void *arg)
{
	__u32 *id = arg;

	if (mnl_attr_get_type(attr) == TCA_BPF_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*id = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int filter_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct find *f = arg;
	const struct nlattr *attr;
	bool is_bpf = false;
	__u32 id = 0;

	if (nlh->nlmsg_type != RTM_NEWTFILTER ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm) ||
	    TC_H_MAJ(tcm->tcm_info) >> 16 != EF_TC_PREF ||
	    tcm->tcm_handle != EF_TC_HANDLE)
		return MNL_CB_OK;
	f->present = true;
	mnl_attr_for_each(attr, nlh, sizeof(*tcm)) {
		if (mnl_attr_get_type(attr) == TCA_KIND &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			is_bpf = !strcmp(mnl_attr_get_str(attr), "bpf");
		else if (mnl_attr_get_type(attr) == TCA_OPTIONS)
			mnl_attr_parse_nested(attr, bpf_opt_cb, &id);
	}
	if (is_bpf)
		f->prog_id = id;
	return MNL_CB_OK;
}

/* What sits at our pref and handle on the hook. -ENODEV/-EINVAL when the
 * interface or its clsact is gone. */
static int find_filter(struct ef_nl *nl, int ifindex, enum edgefw_hook hook,
		       struct find *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	memset(f, 0, sizeof(*f));
	nlh = tc_msg(buf, RTM_GETTFILTER, NLM_F_DUMP, ifindex,
		     hook_parent(hook), 0, our_info());
	return ef_nl_talk(nl, nlh, filter_cb, f);
}

int ef_tc_attach(struct ef_instance *inst, int ifindex, const char *ifname,
		 enum edgefw_hook hook)
{
	struct ef_pending pend = { .key = { .ifindex = (__u32)ifindex,
					    .hook = (__u32)hook } };
	struct ef_nl nl = {};
	__u32 prog_id = 0, slot;
	bool begun = false, added = false, owned = false;
	int fd = -1, ret;

	ret = ef_iface_slot_claim(inst, &pend.key, &slot);
	if (ret)
		return ret;
	/* The instance's program for this hook, verified once (progs.h). */
	ret = ef_prog_get(inst, (uint32_t)hook, &fd, &prog_id, &owned);
	if (ret)
		return ret;
	ret = ef_attach_begin(inst, &pend, slot, ifname);
	if (ret)
		goto out;
	begun = true;
	ret = ef_nl_open(&nl);
	if (ret) {
		ef_log_err("cannot open an rtnetlink socket: %s", strerror(-ret));
		goto out;
	}
	ret = ensure_clsact(&nl, ifindex, ifname);
	if (ret)
		goto out;
	ret = add_filter(&nl, ifindex, ifname, hook, fd);
	if (ret)
		goto out;
	added = true;
	ret = ef_attach_commit(inst, &pend, prog_id, 0);
	if (ret)
		ef_log_err("attached to %s %s but cannot record it in %s: %s; detaching again",
			   ifname, hook_dir(hook), inst->dir, strerror(-ret));
out:
	if (ret && added)
		del_filter(&nl, ifindex, ifname, hook);
	if (ret && begun)
		ef_attach_abort(inst, &pend);
	ef_nl_close(&nl);
	if (owned)
		close(fd);
	return ret;
}

int ef_tc_prog_on_hook(int ifindex, enum edgefw_hook hook, __u32 *prog_id)
{
	struct ef_nl nl;
	struct find f;
	int ret = ef_nl_open(&nl);

	if (ret)
		return ret;
	ret = find_filter(&nl, ifindex, hook, &f);
	ef_nl_close(&nl);
	*prog_id = ret ? 0 : f.prog_id;
	return ret;
}

bool ef_tc_is_attached(struct ef_instance *inst, int ifindex,
		       enum edgefw_hook hook)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex,
					 .hook = (__u32)hook };
	struct edgefw_attach_val val;
	struct ef_nl nl;
	struct find f;
	bool found = false;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
		return false;
	if (ef_nl_open(&nl))
		return false;
	if (!find_filter(&nl, ifindex, hook, &f))
		found = f.prog_id && f.prog_id == val.prog_id;
	ef_nl_close(&nl);
	return found;
}

int ef_tc_detach(struct ef_instance *inst, int ifindex, const char *ifname,
		 enum edgefw_hook hook)
{
	struct edgefw_attach_key key = { .ifindex = (__u32)ifindex,
					 .hook = (__u32)hook };
	struct edgefw_attach_val val;
	struct ef_nl nl = {};
	struct find f;
	int ret;

	if (bpf_map_lookup_elem(inst->maps.attachments, &key, &val))
		return -ENOENT;
	ret = ef_nl_open(&nl);
	if (ret) {
		ef_log_err("cannot open an rtnetlink socket: %s", strerror(-ret));
		goto out;
	}
	ret = find_filter(&nl, ifindex, hook, &f);
	if (ret) {
		/* The interface or its clsact qdisc is gone, and our filter
		 * with it. */
		ef_log_warn("no tc filters found on %s %s (%s): forgetting the attachment",
			    ifname, hook_dir(hook), strerror(-ret));
		ret = 0;
		goto forget;
	}
	if (!f.prog_id || f.prog_id != val.prog_id) {
		/* Whatever sits there now is not ours to remove. */
		ef_log_warn("edgefw's tc program (id %u) is no longer on %s %s: forgetting the attachment",
			    val.prog_id, ifname, hook_dir(hook));
		goto forget;
	}
	ret = del_filter(&nl, ifindex, ifname, hook);
	if (ret)
		goto out;
forget:
	ef_attachment_forget(inst, &key);
out:
	ef_nl_close(&nl);
	return ret;
}

int ef_tc_replace(int ifindex, const char *ifname, enum edgefw_hook hook,
		  int prog_fd)
{
	struct ef_nl nl = {};
	int ret = ef_nl_open(&nl);

	if (ret) {
		ef_log_err("cannot open an rtnetlink socket: %s", strerror(-ret));
		return ret;
	}
	/* cls_bpf swaps the program under RCU: no packet goes unfiltered. */
	ret = put_filter(&nl, ifindex, ifname, hook, prog_fd, NLM_F_REPLACE);
	ef_nl_close(&nl);
	return ret;
}
