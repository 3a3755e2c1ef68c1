/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A ruleset whose source forest shares the chain's trie
 * (user/compiler/addr4_pair.c): nested source prefixes on both sides, the
 * interface-pattern rules kept by the chain. test_tree.c compiles it as
 * is, test_addr4_pair.c with one forest rule more.
 */
#ifndef EDGEFW_TESTS_SHARED_TRIE_RULES_H
#define EDGEFW_TESTS_SHARED_TRIE_RULES_H

#define SHARED_TRIE_RULES                                                                          \
	"version: 1\nrules:\n"                                                                     \
	"  - {name: i, interfaces: [eth*], src: 10.0.0.0/8, action: drop}\n"                       \
	"  - {name: a, src: 10.1.1.0/24, proto: tcp, dport: 22, action: pass}\n"                   \
	"  - {name: j, interfaces: [eth*], src: 10.1.1.128/25, dst: 192.0.2.0/24, action: pass}\n" \
	"  - {name: b, src: 10.1.2.0/24, proto: tcp, dport: 80, action: pass}\n"                   \
	"  - {name: c, src: 10.1.0.0/16, proto: udp, action: drop}\n"                              \
	"  - {name: k, interfaces: [lo], src: 10.1.2.7, action: drop}\n"                           \
	"  - {name: l, interfaces: [eth*], src: 10.1.0.0/16, action: drop}\n"

#endif
