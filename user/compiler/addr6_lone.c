// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The chain's IPv6 skip nodes folded into their cells (kern/edgefw.h,
 * EDGEFW_LONE6_*), and the compiler's mirror of kern/classifier.h's
 * skip_lone6.
 *
 * Generated IPv6 blocklists and service addresses crowd into a few /16s
 * (2000::/12 in the benchmarks, a provider's /32 in real lists), so
 * unlike IPv4 most addresses that reach a level-1 cell with something
 * below find a skip node there: a miss read the node's header, four words
 * and its miss, six cells. Folded, a miss reads none (the cell's upper
 * half tells it from the prefix's bits 16-31) and a hit two, the node's
 * upper halves holding the rest beside its words.
 */
#include "addr4.h"

int ef_addr6_lone_one(struct ef_compiled *c, size_t *cap, size_t idx)
{
	size_t node = c->cells[idx] & EDGEFW_SKIP_INDEX;
	uint32_t len = c->cells[node + EDGEFW_SKIP_HDR] & 0xff;
	uint32_t hit = c->cells[node + EDGEFW_SKIP_HIT];
	uint32_t miss = c->cells[node + EDGEFW_SKIP_MISS];
	uint32_t w0 = c->cells[node + EDGEFW_SKIP_ADDR];
	int ret;

	if (len < 32 || len > 128)
		return 0;
	if (miss == EDGEFW_A6_NONE)
		miss = EDGEFW_LONE6_MISS_NONE;
	else if (miss <= EDGEFW_LONE6_MISS_MAX)
		miss++;
	else
		return 0;
	if (hit == EDGEFW_A6_NONE)
		hit = EDGEFW_SKIP6_HIT_NONE;
	else if (hit >= EDGEFW_SKIP6_HIT_NONE)
		return 0;
	ret = ef_cells_hi_push(c, cap, idx,
			       miss << EDGEFW_LONE6_MISS_SHIFT | (w0 & EDGEFW_LONE_ADDR));
	if (!ret)
		ret = ef_cells_hi_push(c, cap, node + EDGEFW_SKIP6_W12,
				       c->cells[node + EDGEFW_SKIP_ADDR + 2]);
	if (!ret)
		ret = ef_cells_hi_push(c, cap, node + EDGEFW_SKIP6_W3,
				       (len - 32) << EDGEFW_SKIP6_LEN_SHIFT | hit);
	return ret;
}

/* Word w's mask for a prefix of length len, as the datapath's
 * a6_word_mask. */
static uint32_t word_mask(uint32_t len, uint32_t w)
{
	uint32_t bits = len > 32 * w ? len - 32 * w : 0;

	return (uint32_t)(0xffffffff00000000ull >> (bits > 32 ? 32 : bits));
}

static uint32_t word_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint32_t ef_addr6_lone_value(const struct ef_compiled *c, size_t node, uint32_t hi,
			     const uint8_t a[16])
{
	uint32_t miss = hi >> EDGEFW_LONE6_MISS_SHIFT;
	uint32_t tail = ef_cell_hi(c, node + EDGEFW_SKIP6_W3), len, diff;

	miss = miss == EDGEFW_LONE6_MISS_NONE ? EDGEFW_A6_NONE : miss - 1;
	if ((word_at(a) ^ hi) & EDGEFW_LONE_ADDR)
		return miss;
	len = 32 + (tail >> EDGEFW_SKIP6_LEN_SHIFT);
	diff = ((word_at(a + 4) ^ c->cells[node + EDGEFW_SKIP6_W12]) & word_mask(len, 1)) |
	       ((word_at(a + 8) ^ ef_cell_hi(c, node + EDGEFW_SKIP6_W12)) & word_mask(len, 2)) |
	       ((word_at(a + 12) ^ c->cells[node + EDGEFW_SKIP6_W3]) & word_mask(len, 3));
	if (diff)
		return miss;
	tail &= EDGEFW_SKIP6_HIT_NONE;
	return tail == EDGEFW_SKIP6_HIT_NONE ? EDGEFW_A6_NONE : tail;
}
