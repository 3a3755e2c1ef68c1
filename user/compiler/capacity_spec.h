/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The capacity an operator fixes up front (`edgefw attach --capacity`,
 * `daemon.capacity`): a floor per resource of the instance's
 * ruleset-sized maps, in the units `edgefw status` and `edgefw compile`
 * count them in. The loader makes each map at least that large when it
 * creates or grows an instance (capacity_floor.h); a ruleset that needs
 * more still grows it. Pure: no BPF, no root.
 */
#ifndef EDGEFW_CAPACITY_SPEC_H
#define EDGEFW_CAPACITY_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ef_cap_res {
	EF_CAP_CELLS,        /* address trie cells, per generation */
	EF_CAP_CLASSES,      /* the chain's classes, per generation */
	EF_CAP_TREE_NODES,   /* decision-tree nodes, per generation */
	EF_CAP_TREE_LEAVES,  /* decision-tree leaf entries, per generation */
	EF_CAP_HASHED_PAIRS, /* the chain's hashed pairs, per generation */
	EF_CAP_IPV6_HOSTS,   /* hashed IPv6 prefixes longer than /48, per generation */
	EF_CAP_COUNT
};

/* A floor per resource; 0 where none was given. */
struct ef_capacity_spec {
	uint32_t floor[EF_CAP_COUNT];
};

/* The resource's key in --capacity and daemon.capacity ("tree-nodes"),
 * and in JSON and metrics labels ("tree_nodes"). */
const char *ef_cap_key(enum ef_cap_res r);
const char *ef_cap_json_key(enum ef_cap_res r);
/* The largest floor the datapath's format allows. */
uint32_t ef_cap_max(enum ef_cap_res r);

/* The resource a key names, or -1. */
int ef_cap_lookup(const char *key);

/* A floor: decimal, no leading zeros, 1 to ef_cap_max(r). */
bool ef_cap_parse_value(enum ef_cap_res r, const char *s, uint32_t *out);

/* "RESOURCE=N[,RESOURCE=N]..." into s (resources not named keep their
 * floor; one named twice is an error). 0, or -EINVAL with what is wrong
 * in err (without the text itself: the caller names the option). */
int ef_capacity_spec_parse(const char *text, struct ef_capacity_spec *s, char *err, size_t len);

#endif
