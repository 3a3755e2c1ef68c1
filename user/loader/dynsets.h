/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Dynamic sets of an instance (issue 16): their tries, kept outside the
 * ruleset's generations so entries outlive reloads and daemon restarts,
 * and the per-generation table that tells the datapath which conditions,
 * limits and bans a ruleset has (kern/dynset.h).
 */
#ifndef EDGEFW_DYNSETS_H
#define EDGEFW_DYNSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "addr.h"
#include "edgefw.h"
#include "instance.h"
#include "ruleset.h"

/* Before the switch: gives every dynamic set of rs a slot (keeping the slot
 * and entries of a set the instance already has by that name; a new size
 * copies the entries into tries of that size), and writes generation gen's
 * dyn_config. 0 or -errno (logged). */
int ef_dynsets_prepare(struct ef_instance *inst, __u32 gen, const struct ef_ruleset *rs);

/* After the switch: removes the sets rs no longer has, saying so with the
 * number of entries they held. Failures are warnings. */
void ef_dynsets_retire(struct ef_instance *inst, const struct ef_ruleset *rs, bool had_ruleset);

/* One dynamic set, opened by name for entry operations. */
struct ef_dynset {
	__u32 slot;
	struct edgefw_dynset_meta meta;
	int fd[2]; /* IPv4 and IPv6 tries */
};

/* The timeout argument of ef_dynset_add meaning "the set's own". */
#define EF_DYNSET_TIMEOUT_DEFAULT UINT64_MAX

/* 0, -ENOENT (logged, naming the sets there are) or -errno (logged). */
int ef_dynset_open(const struct ef_instance *inst, const char *name, struct ef_dynset *s);
void ef_dynset_close(struct ef_dynset *s);
/* Adds or refreshes one prefix, atomically for that entry; timeout_ns 0:
 * never expires. A full set is swept of expired entries once before
 * -ENOSPC. Not logged: callers say which entry. */
int ef_dynset_add(struct ef_dynset *s, const struct ef_prefix *p, uint64_t timeout_ns);
/* 0, or -ENOENT when the prefix is not in the set. */
int ef_dynset_del(struct ef_dynset *s, const struct ef_prefix *p);
/* Removes every entry (flush) or the expired ones (sweep); *n: how many. */
int ef_dynset_flush(struct ef_dynset *s, size_t *n);
int ef_dynset_sweep(struct ef_dynset *s, size_t *n);

/* Live entries, IPv4 first: fn(arg, prefix, ns left or 0 for never);
 * a non-zero return stops the walk and is returned. */
typedef int (*ef_dynset_fn)(void *arg, const struct ef_prefix *p, uint64_t expires_in_ns);
int ef_dynset_walk(struct ef_dynset *s, ef_dynset_fn fn, void *arg);
/* Live and expired entries of both families. */
int ef_dynset_count(struct ef_dynset *s, size_t *live, size_t *expired);

/* The instance's set slots in use: names[i] for i < *n (up to
 * EDGEFW_MAX_DYNSETS). */
int ef_dynset_names(const struct ef_instance *inst, char names[][EDGEFW_DYNSET_NAME_MAX],
		    size_t *n);

/* The map of maps that holds family fam's tries (0: IPv4, 1: IPv6). */
int ef_dynset_outer_fd(const struct ef_instance *inst, int fam);
/* The trie of family fam (0 IPv4, 1 IPv6) in slot, opened; -errno. */
int ef_dynset_fd(const struct ef_instance *inst, __u32 slot, int fam);

/* Rule r's limit as the datapath reads it (dyn_config.limits), its bit
 * cond in the condition vector. */
void ef_limit_cfg_fill(struct edgefw_limit_cfg *lc, const struct ef_rule *r, __u8 cond);

/* What the instance in force says now, without changing it (explain):
 * whether dynamic set `name` holds addr (the datapath's lookup, expired
 * entries absent), and whether rule r's limit has room for a packet of
 * pkt_len bytes with pkt's fields (its bucket as it stands; none: full).
 * 0 with *holds and a sentence in detail, -ENOENT when the instance has
 * no such set, or -errno. Not logged. */
int ef_dynset_query(const struct ef_instance *inst, const char *name, uint8_t family,
		    const uint8_t addr[16], bool *holds, char *detail, size_t len);
struct ef_packet;
int ef_limit_query(const struct ef_instance *inst, const struct ef_rule *r,
		   const struct ef_packet *pkt, uint32_t pkt_len, bool *holds, char *detail,
		   size_t len);
/* The first slot of a bucket key's pair in limit_tbl: kern/dynset.h's
 * limit_slot, word for word. */
struct edgefw_limit_key;
__u32 ef_limit_slot(const struct edgefw_limit_key *k);

/* CLOCK_BOOTTIME in ns, the datapath's clock for expiry. */
uint64_t ef_boottime_ns(void);

#endif
