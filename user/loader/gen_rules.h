/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The canonical form (canon.h) of the ruleset each generation holds, kept
 * beside the instance so `edgefw show` prints what is in force, not a file
 * that may have changed since.
 *
 * Where: /run/edgefw/INSTANCE.genN.yaml (N: 0 or 1), root's, 0600, written
 * through a temporary file and a rename before the switch to generation N,
 * while N is not in force. Why a file and not a map: a map needs a size
 * fixed when the instance is created (a layout change, and a 100k-entry
 * set's text is megabytes), while /run has the instance's lifetime (tmpfs,
 * gone at reboot with the bpffs pins), edgefwd may already write there
 * under its sandbox (ReadWritePaths), and the text is what `show` prints.
 * Consistency: the canonical text's FNV-1a 64 is the ruleset hash the
 * generation's gen_info holds, so a reader checks the copy against the
 * generation actually in force, and a stale or foreign copy is refused
 * (-ESTALE) instead of being shown.
 */
#ifndef EDGEFW_GEN_RULES_H
#define EDGEFW_GEN_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"

#define EF_GEN_RULES_DIR "/run/edgefw"

/* Writes rs's canonical text as generation gen's copy. 0 or -errno. */
int ef_gen_rules_write(const char *instance, uint32_t gen, const struct ef_ruleset *rs);

/* Reads generation gen's copy into *text (malloc'd, NUL-terminated) when
 * it hashes to hash. 0, -ENOENT (none), -ESTALE (another ruleset's), or
 * another -errno. */
int ef_gen_rules_read(const char *instance, uint32_t gen, uint64_t hash, char **text, size_t *len);

/* Removes both copies: the instance is gone. */
void ef_gen_rules_forget(const char *instance);

#endif
