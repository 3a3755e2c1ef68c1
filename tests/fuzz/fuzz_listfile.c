// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for list files (FireHOL, Spamhaus, plain lists): any
 * bytes as the content of a list, through ef_listfile_parse, the parser
 * the rules compiler uses.
 *
 * Checked: no crash, leak or out-of-bounds read; a list is accepted whole
 * or not at all (a failed parse leaves the output list as it was); every
 * accepted entry prints as a prefix that parses back to itself; and no
 * message copies the file: messages are printable ASCII, bounded, and
 * quote nothing longer than an address.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listfile.h"

#define MAX_INPUT (256u << 10)
/* The longest message the parser writes, with a 49-character quote. */
#define MSG_MAX 320
/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", and the "..." of
 * "'ffff:...' is too long for an IPv4 or IPv6 address". */
#define QUOTE_MAX (49 + 3)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const char *msg)
{
	size_t len = strlen(msg), run = 0;
	bool quoted = false;

	if (len > MSG_MAX) {
		fprintf(stderr, "message of %zu bytes: %.80s...\n", len, msg);
		abort();
	}
	for (const char *c = msg; *c; c++) {
		if (*c < 0x20 || *c > 0x7e) {
			fprintf(stderr, "raw byte 0x%02x in a message\n", (unsigned char)*c);
			abort();
		}
		if (*c == '\'') {
			quoted = !quoted;
			run = 0;
		} else if (quoted && ++run > QUOTE_MAX) {
			fprintf(stderr, "quote longer than %d: %s\n", QUOTE_MAX, msg);
			abort();
		}
	}
}

static void check_entries(const struct ef_prefix_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char text[EF_PREFIX_STRLEN], err[160];
		struct ef_prefix back;
		unsigned flags;

		ef_prefix_format(&l->v[i], text, sizeof(text));
		if (ef_prefix_parse(text, &back, &flags, err, sizeof(err)) || flags ||
		    memcmp(&back, &l->v[i], sizeof(back))) {
			fprintf(stderr, "entry %zu prints as '%s', which does not parse back: %s\n",
				i, text, err);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ef_prefix keep = { .family = EF_AF_INET, .len = 8 };
	struct ef_prefix_list l = { 0 };
	struct ef_diag d = { 0 };
	int ret;

	if (size > MAX_INPUT)
		return 0;
	/* One entry already there: a failed parse must leave it alone. */
	if (ef_prefix_list_push(&l, &keep, 1))
		return 0;
	ret = ef_listfile_parse("fuzz.netset", (const char *)data, size, &l, &d);
	if (ret && l.n != 1) {
		fprintf(stderr, "a failed parse left %zu entries\n", l.n);
		abort();
	}
	if (!ret && d.errors)
		abort();
	check_entries(&l);
	for (size_t i = 0; i < d.n; i++)
		check_message(d.v[i].msg);
	ef_prefix_list_free(&l);
	ef_diag_free(&d);
	return 0;
}
