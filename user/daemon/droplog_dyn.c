// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "droplog_dyn.h"

#include <bpf/bpf.h>
#include <string.h>

static void name_copy(char *dst, size_t len, const char *src)
{
	/* Names in the maps are NUL-padded, at worst unterminated. */
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void efd_dyn_names_fill(const struct edgefw_log_event *e, uint8_t cond_mask,
			const struct edgefw_dyn_config *dc, const struct edgefw_dynset_meta *meta,
			const char *over_rule, struct efd_dyn_names *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; dc && i < dc->n_conds && i < EDGEFW_MAX_CONDS; i++) {
		const struct edgefw_cond *c = &dc->conds[i];
		bool held = (e->conds >> i) & 1;

		if (!((cond_mask & dc->set_conds) >> i & 1) || c->set >= EDGEFW_MAX_DYNSETS ||
		    !meta || !meta[c->set].name[0])
			continue;
		name_copy(out->sets[out->n_sets].set, EDGEFW_DYNSET_NAME_MAX, meta[c->set].name);
		out->sets[out->n_sets].field = c->kind == EDGEFW_COND_SET_DST ? "dst" : "src";
		/* The bit holds when the condition does: for `not $set`,
		 * when the address is not in the set. */
		out->sets[out->n_sets].in = held != !!c->negate;
		out->n_sets++;
	}
	if ((e->dyn_flags & EDGEFW_LOG_F_OVER) && over_rule)
		name_copy(out->over_limit, sizeof(out->over_limit), over_rule);
	if (e->ban && e->ban <= EDGEFW_MAX_CONDS && dc && meta) {
		const struct edgefw_ban_cfg *b = &dc->bans[e->ban - 1];

		if (b->set < EDGEFW_MAX_DYNSETS && meta[b->set].name[0]) {
			name_copy(out->ban_set, sizeof(out->ban_set), meta[b->set].name);
			out->ban_timeout_ns = b->timeout_ns;
		}
	}
}

static const struct edgefw_dyn_config *
dyn_config(const struct efd_dyn_maps *m, struct efd_dyn_cache *c, uint32_t batch, uint32_t gen)
{
	if (c->batch[gen] != batch) {
		c->dc_ok[gen] = !bpf_map_lookup_elem(m->dyn_config, &gen, &c->dc[gen]);
		c->batch[gen] = batch;
	}
	return c->dc_ok[gen] ? &c->dc[gen] : NULL;
}

static const struct edgefw_dynset_meta *set_meta(const struct efd_dyn_maps *m,
						 struct efd_dyn_cache *c, uint32_t batch)
{
	if (c->meta_batch != batch) {
		c->meta_ok = true;
		for (uint32_t s = 0; s < EDGEFW_MAX_DYNSETS && c->meta_ok; s++)
			c->meta_ok = !bpf_map_lookup_elem(m->dynset_meta, &s, &c->meta[s]);
		c->meta_batch = batch;
	}
	return c->meta_ok ? c->meta : NULL;
}

static bool rule_meta(const struct efd_dyn_maps *m, uint32_t gen, uint32_t slot,
		      struct edgefw_rule_meta *out)
{
	uint32_t key = EDGEFW_RULE_KEY(gen, slot);

	return slot < EDGEFW_MAX_RULES && !bpf_map_lookup_elem(m->rule_meta, &key, out) &&
	       out->name[0];
}

bool efd_dyn_resolve(const struct efd_dyn_maps *m, struct efd_dyn_cache *c, uint32_t batch,
		     const struct edgefw_log_event *e, struct efd_dyn_names *out)
{
	struct edgefw_rule_meta win, over;
	const struct edgefw_dyn_config *dc;
	uint32_t gen = e->gen & 1;
	bool have_over;

	memset(out, 0, sizeof(*out));
	if (!e->conds && !e->ban && !(e->dyn_flags & EDGEFW_LOG_F_OVER))
		return false;
	dc = dyn_config(m, c, batch, gen);
	if (!dc || !dc->n_conds)
		return false;
	/* The rule's conditions, from the half of the generation that
	 * decided: a reload since may have given the slot to another rule,
	 * which the name in the line then shows as well. */
	if (!rule_meta(m, gen, e->rule_slot, &win))
		win.cond_mask = 0;
	have_over = (e->dyn_flags & EDGEFW_LOG_F_OVER) && rule_meta(m, gen, e->over_slot, &over);
	efd_dyn_names_fill(e, win.cond_mask, dc, set_meta(m, c, batch),
			   have_over ? over.name : NULL, out);
	return out->n_sets || out->over_limit[0] || out->ban_set[0];
}
