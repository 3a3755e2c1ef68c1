// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The hot window: see hot.h. */
#include "hot.h"

#include <errno.h>
#include <string.h>

#include "edgefw.skel.h"
#include "globals.h"
#include "log.h"

_Static_assert(sizeof(((struct edgefw_bpf__bss *)0)->edgefw_hot) ==
		       (size_t)EDGEFW_GENERATIONS * EDGEFW_HOT_SLOTS * sizeof(__u32),
	       "kern/maps.h edgefw_hot: EDGEFW_HOT_SLOTS 32-bit slots per generation");
_Static_assert(sizeof(((struct edgefw_bpf__bss *)0)->edgefw_hot_classes) ==
		       (size_t)EDGEFW_GENERATIONS * EDGEFW_HOT_CLASSES *
			       sizeof(struct edgefw_class_info),
	       "kern/maps.h edgefw_hot_classes: EDGEFW_HOT_CLASSES per generation");

void ef_hot_plan(const struct ef_compiled *c, size_t n_l1, struct ef_hot_plan *p)
{
	__u32 used = 0;
	size_t room;

	memset(p, 0, sizeof(*p));
	/* In stage order: the first stages are read by more packets (a
	 * class without a rule left ends the walk). A table that does not
	 * fit stays in `cells`; a later, smaller one may still fit. */
	for (unsigned i = 1; i < EDGEFW_DIM_COUNT; i++) {
		const struct edgefw_stage *st = &c->stages[i];
		size_t need = (size_t)c->stage_rows[i] * st->width;

		p->base[i - 1] = st->base;
		if (!st->width || !need || need > EDGEFW_HOT_SLOTS - used)
			continue;
		p->base[i - 1] = used;
		used += (__u32)need;
	}
	p->slots_used = used;
	p->l1_at = (used + 1) & ~1u;
	room = p->l1_at < EDGEFW_HOT_SLOTS ? (EDGEFW_HOT_SLOTS - p->l1_at) / 2 : 0;
	p->l1_in_window = n_l1 < room ? n_l1 : room;
}

void ef_hot_fill_stages(struct edgefw_bpf__bss *bss, __u32 gen, const struct ef_compiled *c,
			const struct ef_hot_plan *p)
{
	__u32 *slots = (__u32 *)bss->edgefw_hot[gen];

	for (unsigned i = 1; i < EDGEFW_DIM_COUNT; i++) {
		const struct edgefw_stage *st = &c->stages[i];
		size_t need = (size_t)c->stage_rows[i] * st->width;

		if (st->width && need && p->base[i - 1] < EDGEFW_HOT_SLOTS)
			memcpy(slots + p->base[i - 1], c->cells + st->base, need * sizeof(__u32));
	}
}

int ef_hot_classes_write(const struct ef_instance *inst, __u32 gen,
			 const struct edgefw_class_info *vals, size_t n)
{
	struct edgefw_class_info *win;
	struct edgefw_bpf__bss *bss;
	int ret;

	if (gen >= EDGEFW_GENERATIONS) {
		ef_log_err("cannot write the class window of generation %u: there are %u", gen,
			   EDGEFW_GENERATIONS);
		return -EINVAL;
	}
	ret = ef_bss_map(inst, "the class window", "hot_mmap", &bss);
	if (ret)
		return ret;
	win = bss->edgefw_hot_classes[gen];
	if (n > EDGEFW_HOT_CLASSES)
		n = EDGEFW_HOT_CLASSES;
	memcpy(win, vals, n * sizeof(*win));
	memset(win + n, 0, (EDGEFW_HOT_CLASSES - n) * sizeof(*win));
	ef_bss_unmap(bss);
	return 0;
}
