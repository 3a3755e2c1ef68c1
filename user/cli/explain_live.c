// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "explain_live.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dynsets.h"
#include "log.h"

/* A packet explain builds has no length; a byte limit is asked about the
 * smallest Ethernet frame. */
#define EXPLAIN_PKT_LEN 64

static int live_member(void *arg, const char *set, uint8_t family,
		       const uint8_t addr[16], struct ef_dyn_answer *out)
{
	return ef_dynset_query(arg, set, family, addr, &out->holds, out->detail,
			       sizeof(out->detail));
}

static int live_limit(void *arg, const struct ef_rule *r,
		      const struct ef_packet *pkt, struct ef_dyn_answer *out)
{
	int ret = ef_limit_query(arg, r, pkt, EXPLAIN_PKT_LEN, &out->holds,
				 out->detail, sizeof(out->detail));
	size_t n = strlen(out->detail);

	if (!ret && r->limit.bytes && n < sizeof(out->detail))
		snprintf(out->detail + n, sizeof(out->detail) - n,
			 "; a packet of %d bytes", EXPLAIN_PKT_LEN);
	return ret;
}

int ef_explain_live_open(const char *instance, struct ef_instance *inst,
			 struct ef_explain_dyn *dyn)
{
	int ret = ef_instance_open(instance, EF_OPEN_SHARED, inst);

	if (ret) {
		ef_log_err("--live: cannot read instance '%s' (see above): drop --live to explain with the dynamic state assumed",
			   instance);
		return ret;
	}
	dyn->live_member = live_member;
	dyn->live_limit = live_limit;
	dyn->arg = inst;
	return 0;
}
