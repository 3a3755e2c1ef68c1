// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for a fleet manifest (user/fleet/bundle.c), what a host
 * reads from etcd before fetching anything: ef_manifest_parse on any bytes.
 *
 * Checked: no crash, leak or out-of-bounds read; an accepted manifest has
 * a main among its files, paths a bundle may hold, chunk counts that fit
 * the sizes, and survives ef_manifest_to_json and a second parse unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct ef_manifest *m)
{
	struct ef_manifest back;
	char err[256], *text;
	int main_found = 0;

	for (size_t i = 0; i < m->n_files; i++) {
		const struct ef_bundle_file *f = &m->files[i];

		if (ef_bundle_path_ok(f->path) || f->n_chunks != ef_bundle_chunks_for(f->size))
			abort();
		main_found |= !strcmp(f->path, m->main);
	}
	if (!main_found)
		abort();
	text = ef_manifest_to_json(m);
	if (!text || ef_manifest_parse(text, strlen(text), &back, err, sizeof(err)))
		abort();
	if (back.n_files != m->n_files || strcmp(back.main, m->main) || back.serial != m->serial)
		abort();
	ef_manifest_free(&back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ef_manifest m;
	char err[256];

	if (size > (1u << 20))
		return 0;
	if (ef_manifest_parse((const char *)data, size, &m, err, sizeof(err)))
		return 0;
	check(&m);
	ef_manifest_free(&m);
	return 0;
}
