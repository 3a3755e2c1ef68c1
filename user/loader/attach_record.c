// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The attachment's record around an attach; see attach_record.h. */
#include "attach_record.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "iface_slots.h"
#include "log.h"
#include "strutil.h"

int ef_attach_begin(struct ef_instance *inst, struct ef_pending *p, __u32 slot, const char *ifname)
{
	struct edgefw_attach_val val = { .slot = slot };
	int err;

	p->had_prev = !bpf_map_lookup_elem(inst->maps.attachments, &p->key, &p->prev);
	ef_strlcpy(val.ifname, ifname, sizeof(val.ifname));
	if (bpf_map_update_elem(inst->maps.attachments, &p->key, &val, BPF_ANY)) {
		err = -errno;

		ef_log_err("cannot record the attachment to %s in %s: %s; nothing was attached",
			   ifname, inst->dir, strerror(-err));
		return err;
	}
	/* Before the program is on the hook, so its first packet counts in
	 * the attachment's own row. */
	err = ef_iface_slot_publish(inst, &p->key, slot);
	if (err) {
		ef_log_err("cannot publish the counter slot of %s in %s: %s; nothing was attached",
			   ifname, inst->dir, strerror(-err));
		ef_attach_abort(inst, p);
	}
	return err;
}

int ef_attach_commit(struct ef_instance *inst, struct ef_pending *p, __u32 prog_id, __u32 mode)
{
	struct edgefw_attach_val val;

	if (bpf_map_lookup_elem(inst->maps.attachments, &p->key, &val))
		return -errno;
	val.prog_id = prog_id;
	val.mode = mode;
	if (bpf_map_update_elem(inst->maps.attachments, &p->key, &val, BPF_EXIST))
		return -errno;
	return 0;
}

void ef_attach_abort(struct ef_instance *inst, struct ef_pending *p)
{
	if (p->had_prev && !bpf_map_update_elem(inst->maps.attachments, &p->key, &p->prev, BPF_ANY))
		ef_iface_slot_publish(inst, &p->key, p->prev.slot);
	else
		ef_attachment_forget(inst, &p->key);
}
