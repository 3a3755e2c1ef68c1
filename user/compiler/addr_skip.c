// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which prefixes of an address trie go behind a skip node (kern/edgefw.h,
 * EDGEFW_SKIP; addr4.c places them): path compression of the chunks
 * that lead to a prefix no other prefix shares them with.
 *
 * In a blocklist most prefixes are alone below the level where their path
 * parts from every other prefix's (kern/DESIGN.md has the benchmark's
 * counts). Below it, an IPv4 /32 took a chunk line (16 cells) per 4 bits
 * down to /32; an IPv6 /128 one per 4 bits down to /48, then a hash probe
 * or two. Behind a skip node it takes one line (8 cells), which compares
 * the rest of the prefix at once, whatever its length.
 *
 * A prefix P can go behind a node at level l (a cell covering the first
 * q = 16 + 4 (l - 1) bits) when no other prefix longer than q shares those
 * q bits: the cell's branch then holds P alone, so an address under it is
 * in P or gets the cell's class. Among the prefixes longer than /16 (the
 * only ones below level 1), the neighbours of P in address order share the
 * most leading bits with it, so the highest such level follows from them;
 * a prefix R that P lies inside pins only its own length less one (R
 * paints the cells of its level, and made chunks down to them: addr4.c
 * puts the node at or below R's cell, whose class is the node's miss).
 * Whatever sorts between R and P lies inside R and shares more with P.
 * A prefix that another one lies inside, or that shares the level where
 * it would be painted anyway, is painted as before.
 */
#include <errno.h>
#include <stdlib.h>

#include "addr.h"
#include "addr4.h"

/* Address order, a prefix before those inside it (ef_prefix_cmp). */
static int cmp_addr(const void *a, const void *b)
{
	const struct ef_lpm_entry *x = *(const struct ef_lpm_entry *const *)a;
	const struct ef_lpm_entry *y = *(const struct ef_lpm_entry *const *)b;

	return ef_prefix_cmp(&x->prefix, &y->prefix);
}

/* Leading bits of p that neighbour r pins down: those they share, but
 * fewer than r's length, since a prefix r that p lies inside does not
 * share p's branch below its own end (addr4.c puts the node there). */
static unsigned shared_bits(const struct ef_prefix *p, const struct ef_prefix *r)
{
	unsigned n = 128;

	for (unsigned i = 0; i < 16; i++) {
		if (p->addr[i] != r->addr[i]) {
			n = i * 8 + (unsigned)__builtin_clz((unsigned)(p->addr[i] ^ r->addr[i])) -
			    24;
			break;
		}
	}
	return n < r->len ? n : r->len - 1u;
}

/* The highest level whose cells tell apart two prefixes sharing shared
 * leading bits. */
static unsigned level_past(unsigned shared)
{
	return shared < 16 ? 1 : (shared - 16) / 4 + 2;
}

unsigned ef_addr_paint_level(const struct ef_prefix *p)
{
	if (p->family == EF_AF_INET6 && p->len > EDGEFW_A6_TRIE_BITS)
		return EDGEFW_A6_TRIE_LEVELS + 1;
	return p->len <= 16 ? 1 : 1 + (p->len - 16 + 3) / 4;
}

int ef_addr_mark_alone(struct ef_lpm_table *t)
{
	struct ef_lpm_entry **v = malloc((t->n ? t->n : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		t->v[i].home = EF_HOME_TRIE;
		if (t->v[i].prefix.len > 16)
			v[n++] = &t->v[i];
	}
	/* The compiler's tables are in address order already (classes.c):
	 * a pass instead of a sort, for 100k prefixes. */
	for (size_t i = 1; i < n; i++) {
		if (cmp_addr(&v[i - 1], &v[i]) > 0) {
			qsort(v, n, sizeof(*v), cmp_addr);
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		unsigned before = i ? shared_bits(&v[i]->prefix, &v[i - 1]->prefix) : 0;
		unsigned after = i + 1 < n ? shared_bits(&v[i]->prefix, &v[i + 1]->prefix) : 0;
		unsigned level = level_past(before > after ? before : after);

		if (level >= ef_addr_paint_level(&v[i]->prefix))
			continue;
		v[i]->home = EF_HOME_SKIP;
		v[i]->skip_level = (uint8_t)level;
	}
	free(v);
	return 0;
}
