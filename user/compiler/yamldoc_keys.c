// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Duplicate keys in a mapping, found while it is read: a scan for small
 * mappings, a hash set of the keys past SMALL_MAP of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"
#include "yamldoc_internal.h"

/* (Re)builds the key hash set from the first n_pairs keys, sized to keep
 * the load factor at most one quarter right after the build. */
static int frame_key_index(struct frame *f, size_t n_pairs)
{
	size_t cap = 64;

	while (cap < n_pairs * 4)
		cap *= 2;
	if (cap > f->kh_cap) {
		size_t *kh = calloc(cap, sizeof(*kh));

		if (!kh)
			return -ENOMEM;
		free(f->kh);
		f->kh = kh;
		f->kh_cap = cap;
	} else {
		memset(f->kh, 0, f->kh_cap * sizeof(*f->kh));
	}
	for (size_t i = 0; i < n_pairs; i++) {
		const struct ydoc_node *k = f->kids[2 * i];
		size_t h;

		if (k->kind != YDOC_SCALAR)
			continue;
		h = hash_bytes(k->str, k->len) & (f->kh_cap - 1);
		while (f->kh[h])
			h = (h + 1) & (f->kh_cap - 1);
		f->kh[h] = i + 1;
	}
	return 0;
}

/* Checks the newest key (kids[n - 1]) against the earlier ones. Returns the
 * pair index of an earlier equal key, or SIZE_MAX; negative errno on OOM is
 * passed through *err. */
size_t yd_frame_find_dup(struct frame *f, int *err)
{
	size_t pair = (f->n - 1) / 2;
	const struct ydoc_node *key = f->kids[f->n - 1];
	size_t h;

	*err = 0;
	if (pair < SMALL_MAP) {
		for (size_t i = 0; i < pair; i++) {
			const struct ydoc_node *k = f->kids[2 * i];

			if (k->kind == YDOC_SCALAR && key_eq(k, key))
				return i;
		}
		return SIZE_MAX;
	}
	/* The set is built when the mapping stops being small (a buffer
	 * kept from an earlier mapping holds stale entries; the key that
	 * made it big may have been refused before reaching here, so test
	 * the flag, not the count) and rebuilt before the load factor
	 * reaches one half. */
	if (!f->kh_ready || (pair + 1) * 2 > f->kh_cap) {
		*err = frame_key_index(f, pair);
		if (*err)
			return SIZE_MAX;
		f->kh_ready = true;
	}
	h = hash_bytes(key->str, key->len) & (f->kh_cap - 1);
	for (; f->kh[h]; h = (h + 1) & (f->kh_cap - 1)) {
		size_t i = f->kh[h] - 1;

		if (key_eq(f->kids[2 * i], key))
			return i;
	}
	f->kh[h] = pair + 1;
	return SIZE_MAX;
}

int yd_frame_push_kid(struct frame *f, struct ydoc_node *n)
{
	if (EF_GROW(&f->kids, &f->cap, f->n + 1))
		return -ENOMEM;
	f->kids[f->n++] = n;
	return 0;
}

int yd_frame_note_key_pos(struct frame *f, const yaml_mark_t *m)
{
	size_t pair = (f->n - 1) / 2;

	if (EF_GROW(&f->kpos, &f->kpos_cap, pair * 2 + 2))
		return -ENOMEM;
	f->kpos[2 * pair] = mark_line(m);
	f->kpos[2 * pair + 1] = mark_col(m);
	return 0;
}
