// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fleet bundles (issue 18): base64, the manifest codec, chunking, and a
 * host's verification of what it fetches: a bad chunk, a missing chunk, a
 * size mismatch are refused and leave nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "bundle.h"
#include "bundle_store.h"
#include "fileio.h"

static void test_b64(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "",         "Zg==",     "Zm8=",    "Zm9v",
					     "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	unsigned char bin[256], *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		char *s = ef_b64_encode(plain[i], strlen(plain[i]));

		assert_string_equal(s, coded[i]);
		assert_int_equal(ef_b64_decode(s, &out, &len), 0);
		assert_int_equal(len, strlen(plain[i]));
		assert_memory_equal(out, plain[i], len);
		free(out);
		free(s);
	}
	for (int i = 0; i < 256; i++)
		bin[i] = (unsigned char)(255 - i);
	for (size_t n = 0; n <= 256; n += 37) {
		char *s = ef_b64_encode(bin, n);

		assert_int_equal(ef_b64_decode(s, &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, bin, n);
		free(out);
		free(s);
	}
	assert_int_equal(ef_b64_decode("Zm9", &out, &len), -EINVAL);
	assert_int_equal(ef_b64_decode("Zm9*", &out, &len), -EINVAL);
	assert_int_equal(ef_b64_decode("Z===", &out, &len), -EINVAL);
	assert_int_equal(ef_b64_decode("Zg==Zg==", &out, &len), -EINVAL);
}

/* FIPS 180-4's examples (one block, two blocks, a million bytes) and the
 * lengths around the padding's boundaries (digests from Python's hashlib). */
static void test_sha256(void **state)
{
	static const struct {
		size_t len;
		const char *hex;
	} lengths[] = {
		{ 55, "595615dbe4f0f407ae397d08b4c2cb870cb9b0e11937416f950c5160acf9c005" },
		{ 56, "784f623b787495078e93ff28a25b581df0584055a7e71d8cd90c454716b92f51" },
		{ 63, "5ca3e1ef5207490eac01a795e5cc94d59582a5118bf9534665c8668d87aa647c" },
		{ 64, "2fcd5a0d60e4c941381fcc4e00a4bf8be422c3ddfafb93c809e8d1e2bfffae8e" },
		{ 65, "1b3cd1877ab2f2f19f7be001722554f336cb799df0329de0bb4c118dc6abc06d" },
		{ 119, "faef67da856d6fd9c8d12f9ed0a4fefd3cf0ce085ab43e2907418d457e3c354b" },
		{ 120, "c9512b08619c19fbb503c7da6b46ef20301e5f7a7a5f43989182398536f5c5c8" },
		{ 128, "6c05be2c4268843ae47e68e611277ce62c02153f2f4d2e1e2a1a4b44f766cf74" },
	};
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char sha[EF_SHA256_HEX], pattern[128];
	size_t million = 1000000;
	char *a = malloc(million);

	(void)state;
	assert_non_null(a);
	ef_sha256_hex("abc", 3, sha);
	assert_string_equal(sha,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ef_sha256_hex(two, strlen(two), sha);
	assert_string_equal(sha,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(a, 'a', million);
	ef_sha256_hex(a, million, sha);
	assert_string_equal(sha,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		ef_sha256_hex(pattern, lengths[i].len, sha);
		assert_string_equal(sha, lengths[i].hex);
	}
}

static void test_paths(void **state)
{
	(void)state;
	assert_int_equal(ef_bundle_path_ok("rules.yaml"), 0);
	assert_int_equal(ef_bundle_path_ok("lists/bad-v4.txt"), 0);
	assert_int_not_equal(ef_bundle_path_ok(""), 0);
	assert_int_not_equal(ef_bundle_path_ok("/etc/passwd"), 0);
	assert_int_not_equal(ef_bundle_path_ok("../x"), 0);
	assert_int_not_equal(ef_bundle_path_ok("a/../../x"), 0);
	assert_int_not_equal(ef_bundle_path_ok("a//b"), 0);
	assert_int_not_equal(ef_bundle_path_ok("a/"), 0);
	assert_int_not_equal(ef_bundle_path_ok("./a"), 0);
	assert_int_not_equal(ef_bundle_path_ok("a b"), 0);
}

/* A file of n bytes, chunked, and the manifest text round trip. */
static void test_chunks_and_codec(void **state)
{
	size_t n = 2 * EF_BUNDLE_CHUNK_MAX + 5;
	char *big = malloc(n), *text, err[256], sha[EF_SHA256_HEX];
	struct ef_manifest m = { .serial = 7 }, back;

	(void)state;
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	snprintf(m.ruleset_hash, sizeof(m.ruleset_hash), "0123456789abcdef");
	snprintf(m.published, sizeof(m.published), "2026-12-05T22:00:00Z");
	snprintf(m.publisher, sizeof(m.publisher), "pub1");
	m.main = strdup("rules.yaml");
	assert_int_equal(ef_manifest_add_file(&m, "rules.yaml", "x: 1\n", 5), 0);
	assert_int_equal(ef_manifest_add_file(&m, "lists/big.txt", big, n), 0);
	assert_int_equal(ef_manifest_add_file(&m, "empty.txt", "", 0), 0);
	assert_int_equal(ef_manifest_add_file(&m, "rules.yaml", "y", 1), -EEXIST);
	assert_int_equal(ef_manifest_add_file(&m, "../up", "y", 1), -EINVAL);
	assert_int_equal(m.files[0].n_chunks, 1);
	assert_int_equal(m.files[1].n_chunks, 3);
	assert_int_equal(m.files[2].n_chunks, 0);
	ef_sha256_hex(big + 2 * EF_BUNDLE_CHUNK_MAX, 5, sha);
	assert_string_equal(m.files[1].chunks[2], sha);
	ef_sha256_hex("", 0, sha);
	assert_string_equal(sha,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	text = ef_manifest_to_json(&m);
	assert_non_null(text);
	assert_int_equal(ef_manifest_parse(text, strlen(text), &back, err, sizeof(err)), 0);
	assert_int_equal(back.serial, 7);
	assert_string_equal(back.main, "rules.yaml");
	assert_string_equal(back.ruleset_hash, "0123456789abcdef");
	assert_string_equal(back.publisher, "pub1");
	assert_int_equal(back.n_files, 3);
	assert_int_equal(back.files[1].size, n);
	assert_string_equal(back.files[1].sha256, m.files[1].sha256);
	assert_string_equal(back.files[1].chunks[2], m.files[1].chunks[2]);
	ef_manifest_free(&back);
	free(text);
	ef_manifest_free(&m);
	free(big);
}

static void expect_refused(const char *text, const char *what)
{
	struct ef_manifest m;
	char err[256] = "";

	assert_int_equal(ef_manifest_parse(text, strlen(text), &m, err, sizeof(err)), -EINVAL);
	if (!strstr(err, what))
		fail_msg("'%s' does not say '%s'", err, what);
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEAD "{\"format\":1,\"serial\":1,\"ruleset_hash\":\"0123456789abcdef\","

static void test_codec_refuses(void **state)
{
	(void)state;
	expect_refused("[]", "not a JSON object");
	expect_refused("{\"format\":2}", "format is not 1");
	expect_refused(HEAD "\"main\":\"r\",\"files\":[]}", "files is missing");
	expect_refused(HEAD
		       "\"main\":\"r\",\"files\":[{\"path\":\"../r\",\"size\":1,\"sha256\":\"" SHA_A
		       "\",\"chunks\":[\"" SHA_A "\"]}]}",
		       "path '../r'");
	expect_refused(HEAD
		       "\"main\":\"r\",\"files\":[{\"path\":\"r\",\"size\":1,\"sha256\":\"" SHA_A
		       "\",\"chunks\":[]}]}",
		       "0 chunks for 1 bytes");
	/* json-c asserts on the length of a non-array: refused, not aborted. */
	expect_refused(HEAD
		       "\"main\":\"r\",\"files\":[{\"path\":\"r\",\"size\":1,\"sha256\":\"" SHA_A
		       "\",\"chunks\":\"" SHA_A "\"}]}",
		       "chunks is missing or not an array");
	expect_refused(
		HEAD
		"\"main\":\"r\",\"files\":[{\"path\":\"r\",\"size\":1,\"sha256\":\"xyz\",\"chunks\":[\"" SHA_A
		"\"]}]}",
		"sha256");
	expect_refused(HEAD
		       "\"main\":\"q\",\"files\":[{\"path\":\"r\",\"size\":1,\"sha256\":\"" SHA_A
		       "\",\"chunks\":[\"" SHA_A "\"]}]}",
		       "main 'q' is not one of its files");
	expect_refused("{\"format\":1,\"main\":\"r\"}", "ruleset_hash");
}

/* A chunk store in memory: what the test puts there, maybe tampered. */
struct store {
	char sha[8][EF_SHA256_HEX];
	unsigned char *data[8];
	size_t len[8], n;
};

static int fetch(void *arg, const char *sha, unsigned char **data, size_t *len, char *err,
		 size_t err_len)
{
	struct store *s = arg;

	(void)err, (void)err_len;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->sha[i], sha))
			continue;
		*data = malloc(s->len[i] + 1);
		memcpy(*data, s->data[i], s->len[i]);
		*len = s->len[i];
		return 0;
	}
	return -ENOENT;
}

static void put_chunks(struct store *s, const void *data, size_t n)
{
	for (size_t off = 0; off < n; off += EF_BUNDLE_CHUNK_MAX) {
		size_t len = n - off < EF_BUNDLE_CHUNK_MAX ? n - off : EF_BUNDLE_CHUNK_MAX;

		s->data[s->n] = malloc(len);
		memcpy(s->data[s->n], (const char *)data + off, len);
		s->len[s->n] = len;
		ef_sha256_hex(s->data[s->n], len, s->sha[s->n]);
		s->n++;
	}
}

static void store_free(struct store *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->data[i]);
	s->n = 0;
}

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
	(void)st, (void)f, (void)w;
	return remove(p);
}

struct fixture {
	char dir[64];
	struct ef_manifest m;
	struct store s;
	char *text, *list;
	size_t list_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	static const char rules[] = "rules:\n  - action: drop\n";

	snprintf(f->dir, sizeof(f->dir), "/tmp/efw-bundle-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->list_len = EF_BUNDLE_CHUNK_MAX + 100;
	f->list = malloc(f->list_len);
	for (size_t i = 0; i < f->list_len; i++)
		f->list[i] = i % 17 == 16 ? '\n' : (char)('0' + i % 10);
	snprintf(f->m.ruleset_hash, sizeof(f->m.ruleset_hash), "0123456789abcdef");
	f->m.main = strdup("rules.yaml");
	assert_int_equal(ef_manifest_add_file(&f->m, "rules.yaml", rules, strlen(rules)), 0);
	assert_int_equal(ef_manifest_add_file(&f->m, "lists/l.txt", f->list, f->list_len), 0);
	put_chunks(&f->s, rules, strlen(rules));
	put_chunks(&f->s, f->list, f->list_len);
	f->text = ef_manifest_to_json(&f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	store_free(&f->s);
	ef_manifest_free(&f->m);
	free(f->text);
	free(f->list);
	free(f);
	return 0;
}

static void test_store_ok(void **state)
{
	struct fixture *f = *state;
	char out[PATH_MAX], cur[PATH_MAX], err[256] = "", path[PATH_MAX + 32], *buf;
	struct ef_manifest m;
	int64_t rev;
	size_t len;

	assert_int_equal(ef_bundle_store(&f->m, f->text, 42, f->dir, fetch, &f->s, out, sizeof(out),
					 err, sizeof(err)),
			 0);
	assert_int_equal(ef_bundle_current(f->dir, cur, sizeof(cur), &rev, NULL), -ENOENT);
	assert_int_equal(ef_bundle_set_current(f->dir, 42), 0);
	assert_int_equal(ef_bundle_current(f->dir, cur, sizeof(cur), &rev, &m), 0);
	assert_int_equal(rev, 42);
	assert_string_equal(cur, out);
	assert_string_equal(m.main, "rules.yaml");
	ef_manifest_free(&m);
	snprintf(path, sizeof(path), "%s/lists/l.txt", out);
	assert_int_equal(ef_read_file(path, 4u << 20, &buf, &len), 0);
	assert_int_equal(len, f->list_len);
	assert_memory_equal(buf, f->list, len);
	free(buf);
	/* A newer revision replaces it; the old directory goes. */
	assert_int_equal(ef_bundle_store(&f->m, f->text, 43, f->dir, fetch, &f->s, out, sizeof(out),
					 err, sizeof(err)),
			 0);
	assert_int_equal(ef_bundle_set_current(f->dir, 43), 0);
	snprintf(path, sizeof(path), "%s/rev-42", f->dir);
	assert_int_equal(access(path, F_OK), -1);
}

static void expect_store_fails(struct fixture *f, int want, const char *what)
{
	char out[PATH_MAX], err[256] = "", path[PATH_MAX];

	assert_int_equal(ef_bundle_store(&f->m, f->text, 9, f->dir, fetch, &f->s, out, sizeof(out),
					 err, sizeof(err)),
			 want);
	if (!strstr(err, what))
		fail_msg("'%s' does not say '%s'", err, what);
	snprintf(path, sizeof(path), "%s/rev-9", f->dir);
	assert_int_equal(access(path, F_OK), -1); /* nothing half-written */
}

static void test_store_bad_chunk(void **state)
{
	struct fixture *f = *state;

	f->s.data[2][10] ^= 1; /* the list's second chunk, flipped */
	expect_store_fails(f, -EBADMSG, "lists/l.txt: chunk 2 of 2");
}

static void test_store_missing_chunk(void **state)
{
	struct fixture *f = *state;

	f->s.sha[1][0] = 'X';
	expect_store_fails(f, -ENOENT, "lists/l.txt: chunk 1 of 2");
	expect_store_fails(f, -ENOENT, "is missing");
}

static void test_store_size_mismatch(void **state)
{
	struct fixture *f = *state;

	f->m.files[1].size -= 1; /* the chunks hold a byte more */
	expect_store_fails(f, -EBADMSG, "longer than its size");
	f->m.files[1].size += 2;
	expect_store_fails(f, -EBADMSG, "its chunks hold");
	f->m.files[1].size -= 1;
	f->m.files[1].sha256[3] ^= 1;
	expect_store_fails(f, -EBADMSG, "does not match its sha256");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_chunks_and_codec),
		cmocka_unit_test(test_codec_refuses),
		cmocka_unit_test_setup_teardown(test_store_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_bad_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_missing_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_size_mismatch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
