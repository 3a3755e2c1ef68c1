// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "dispatcher.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int keep_in_dispatcher(const int *prog_fds, int n)
{
	static bool unshared;
	static int next;

	/* Once: later calls add programs to the same private namespace. */
	if (!unshared && unshare(CLONE_NEWNET))
		return -errno;
	unshared = true;
	for (int i = 0; i < n; i++, next++) {
		char cmd[128], name[IF_NAMESIZE];
		unsigned ifindex;
		int ret;

		/* The namespace and its links vanish with this process. */
		snprintf(name, sizeof(name), "keep%d", next);
		snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name keepp%d", name,
			 next);
		if (system(cmd))
			return -EIO;
		ifindex = if_nametoindex(name);
		if (!ifindex)
			return -ENODEV;
		ret = bpf_xdp_attach((int)ifindex, prog_fds[i], XDP_FLAGS_SKB_MODE, NULL);
		if (ret)
			return ret;
	}
	return 0;
}
