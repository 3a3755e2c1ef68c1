// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPv6 prefixes longer than the array trie's /48 are looked up under a
 * flagged /48 cell. An LPM trie reads one node per branch on the path
 * (about 17 cache lines at 100k prefixes); an exact-match hash per prefix
 * length reads a bucket and an element per length probed. Real lists put
 * their long prefixes at one or two lengths (/64, /128), so the datapath
 * probes at most EDGEFW_A6_HASH_LENS lengths, longest first, and the first
 * hit is the longest match.
 *
 * Which lengths: all of them when there are at most EDGEFW_A6_HASH_LENS.
 * Otherwise the longest lengths, from /128 down, while each holds at least
 * a sixteenth of the field's long prefixes (a rare length would cost every
 * packet under a flagged cell a probe for few entries); the rest go to the
 * LPM trie. The hashed lengths are always longer than every length left to
 * the trie, so a hash hit needs no trie lookup: every prefix already
 * carries the class of the addresses whose longest match it is.
 *
 * Before either, a long prefix that shares no /48 with another long one
 * is placed in the array trie behind a skip node (addr_skip.c): in a
 * blocklist most are alone on their branch, and one node read replaces
 * the cells down to /48 and the hash probes.
 */
#include "addr6_hash.h"

#include <string.h>

#include "addr4.h"

void ef_hash6_choose(const struct ef_lpm_table *t, uint8_t lens[EDGEFW_A6_HASH_LENS])
{
	size_t count[129] = { 0 }, total = 0;
	unsigned distinct = 0, n = 0;

	memset(lens, 0, EDGEFW_A6_HASH_LENS);
	for (size_t i = 0; i < t->n; i++) {
		unsigned len = t->v[i].prefix.len;

		if (len <= EDGEFW_A6_TRIE_BITS || len > 128 || t->v[i].home == EF_HOME_SKIP)
			continue;
		distinct += !count[len]++;
		total++;
	}
	for (unsigned len = 128; len > EDGEFW_A6_TRIE_BITS && n < EDGEFW_A6_HASH_LENS; len--) {
		if (!count[len])
			continue;
		if (distinct > EDGEFW_A6_HASH_LENS && count[len] * 16 < total)
			break;
		lens[n++] = (uint8_t)len;
	}
}

bool ef_hash6_has(const uint8_t lens[EDGEFW_A6_HASH_LENS], unsigned len)
{
	for (unsigned i = 0; i < EDGEFW_A6_HASH_LENS && lens[i]; i++)
		if (lens[i] == len)
			return true;
	return false;
}

int ef_addr6_place(struct ef_lpm_table *t, uint8_t lens[EDGEFW_A6_HASH_LENS])
{
	int ret = ef_addr_mark_alone(t);
	if (ret)
		return ret;
	ef_hash6_choose(t, lens);
	for (size_t i = 0; i < t->n; i++) {
		struct ef_lpm_entry *e = &t->v[i];

		if (e->prefix.len > EDGEFW_A6_TRIE_BITS && e->home != EF_HOME_SKIP)
			e->home = ef_hash6_has(lens, e->prefix.len) ? EF_HOME_HASH : EF_HOME_LPM;
	}
	return 0;
}
