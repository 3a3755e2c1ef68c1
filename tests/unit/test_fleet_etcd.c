// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The etcd client (user/fleet/etcd*.c) against a real etcd (Debian's
 * etcd-server), started here on 127.0.0.1 with a temporary data directory
 * and killed at the end: range, put, put-if-absent, the compare-and-put
 * transaction, delete, leases, a watch and a watch cancelled by
 * compaction, failover past a dead endpoint. Skipped without etcd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "etcd.h"
#include "publish_gc.h"

#define ETCD_BIN "/usr/bin/etcd"

static pid_t etcd_pid;
static char data_dir[64], client_url[64], log_path[96];

/* A port the kernel just gave out and took back: free, most likely. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void start_etcd(void)
{
	char peer[64], cluster[96];

	snprintf(data_dir, sizeof(data_dir), "/tmp/efw-etcd-XXXXXX");
	if (!mkdtemp(data_dir))
		abort();
	snprintf(client_url, sizeof(client_url), "http://127.0.0.1:%d", free_port());
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", free_port());
	snprintf(cluster, sizeof(cluster), "u=%s", peer);
	snprintf(log_path, sizeof(log_path), "%s.log", data_dir);
	etcd_pid = fork();
	if (!etcd_pid) {
		FILE *log = freopen(log_path, "w", stderr);

		(void)log;
		/* Gone with this test, whatever way it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(ETCD_BIN, "etcd", "--name", "u", "--data-dir", data_dir,
		      "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
		      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		      "--initial-cluster", cluster, (char *)NULL);
		_exit(127);
	}
}

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
	(void)st, (void)f, (void)w;
	return remove(p);
}

static void stop_etcd(void)
{
	if (etcd_pid > 0) {
		kill(etcd_pid, SIGKILL);
		waitpid(etcd_pid, NULL, 0);
	}
	nftw(data_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	unlink(log_path);
}

static int setup(void **state)
{
	const char *eps[] = { client_url };
	struct ef_etcd *c = calloc(1, sizeof(*c));
	struct ef_etcd_range r;

	if (ef_etcd_init(c, eps, 1, NULL))
		return -1;
	/* Up within 20 s, even on a loaded machine. */
	for (int i = 0; i < 200; i++) {
		if (!ef_etcd_range(c, "/probe", false, false, &r)) {
			ef_etcd_range_free(&r);
			*state = c;
			return 0;
		}
		usleep(100 * 1000);
	}
	fprintf(stderr, "etcd did not answer on %s: %s\n", client_url, ef_etcd_error(c));
	return -1;
}

static int teardown(void **state)
{
	struct ef_etcd *c = *state;

	ef_etcd_free(c);
	free(c);
	return 0;
}

static void test_kv(void **state)
{
	struct ef_etcd *c = *state;
	struct ef_etcd_range r;
	unsigned char bin[600];
	int64_t rev, rev2, deleted;
	bool written;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)i;
	assert_int_equal(ef_etcd_put(c, "/t/a", bin, sizeof(bin), 0, &rev), 0);
	assert_true(rev > 0);
	assert_int_equal(ef_etcd_put(c, "/t/b", "2", 1, 0, NULL), 0);
	assert_int_equal(ef_etcd_put(c, "/u", "3", 1, 0, NULL), 0);
	assert_int_equal(ef_etcd_range(c, "/t/a", false, false, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.kvs[0].value_len, sizeof(bin));
	assert_memory_equal(r.kvs[0].value, bin, sizeof(bin));
	assert_int_equal(r.kvs[0].mod_revision, rev);
	ef_etcd_range_free(&r);
	assert_int_equal(ef_etcd_range(c, "/t/", true, true, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.kvs[1].key, "/t/b");
	assert_int_equal(r.kvs[1].value_len, 0);
	ef_etcd_range_free(&r);
	assert_int_equal(ef_etcd_range(c, "/nothing", false, false, &r), 0);
	assert_int_equal(r.n, 0);
	ef_etcd_range_free(&r);

	assert_int_equal(ef_etcd_put_absent(c, "/t/c", "x", 1, &written), 0);
	assert_true(written);
	assert_int_equal(ef_etcd_put_absent(c, "/t/c", "y", 1, &written), 0);
	assert_false(written);

	/* Compare-and-put on mod_revision: a stale revision loses. */
	assert_int_equal(ef_etcd_put_if_mod(c, "/m", "1", 1, 0, &written, &rev), 0);
	assert_true(written);
	assert_int_equal(ef_etcd_put_if_mod(c, "/m", "2", 1, 0, &written, &rev2), 0);
	assert_false(written);
	assert_int_equal(ef_etcd_put_if_mod(c, "/m", "2", 1, rev, &written, &rev2), 0);
	assert_true(written);
	assert_true(rev2 > rev);
	assert_int_equal(ef_etcd_put_if_mod(c, "/m", "3", 1, rev, &written, NULL), 0);
	assert_false(written);

	assert_int_equal(ef_etcd_delete(c, "/t/", true, &deleted), 0);
	assert_int_equal(deleted, 3);
	assert_int_equal(ef_etcd_range(c, "/u", false, false, &r), 0);
	assert_int_equal(r.n, 1);
	ef_etcd_range_free(&r);
}

static void test_lease(void **state)
{
	struct ef_etcd *c = *state;
	struct ef_etcd_range r;
	int64_t id, ttl;

	assert_int_equal(ef_etcd_lease_grant(c, 30, &id), 0);
	assert_int_equal(ef_etcd_put(c, "/hosts/h1", "{}", 2, id, NULL), 0);
	assert_int_equal(ef_etcd_lease_keepalive(c, id, &ttl), 0);
	assert_true(ttl > 0 && ttl <= 30);
	assert_int_equal(ef_etcd_range(c, "/hosts/h1", false, false, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.kvs[0].lease, id);
	ef_etcd_range_free(&r);
	assert_int_equal(ef_etcd_lease_revoke(c, id), 0);
	assert_int_equal(ef_etcd_range(c, "/hosts/h1", false, false, &r), 0);
	assert_int_equal(r.n, 0); /* gone with its lease */
	ef_etcd_range_free(&r);
	assert_int_equal(ef_etcd_lease_keepalive(c, id, &ttl), 0);
	assert_int_equal(ttl, 0);
	assert_int_equal(ef_etcd_put(c, "/hosts/h1", "{}", 2, id, NULL), -ENOENT);
	assert_non_null(strstr(ef_etcd_error(c), "lease not found"));
}

struct seen {
	int puts, deletes;
	char last[32];
};

static int on_event(void *arg, const struct ef_etcd_kv *kv, bool deleted)
{
	struct seen *s = arg;

	if (deleted)
		s->deletes++;
	else
		s->puts++;
	snprintf(s->last, sizeof(s->last), "%s", (const char *)kv->value);
	return s->puts == 3 ? 1 : 0;
}

static void test_watch(void **state)
{
	struct ef_etcd *c = *state;
	struct seen s = { 0 };
	int64_t rev, compacted;

	assert_int_equal(ef_etcd_put(c, "/w", "one", 3, 0, &rev), 0);
	assert_int_equal(ef_etcd_delete(c, "/w", false, NULL), 0);
	assert_int_equal(ef_etcd_put(c, "/w", "two", 3, 0, NULL), 0);
	/* From the past: the history comes at once; no more: the bound. */
	assert_int_equal(ef_etcd_watch(c, "/w", rev, 1500, on_event, &s, &compacted), 0);
	assert_int_equal(s.puts, 2);
	assert_int_equal(s.deletes, 1);
	assert_string_equal(s.last, "two");
	/* The callback stops the watch with its own value. */
	assert_int_equal(ef_etcd_put(c, "/w", "three", 5, 0, NULL), 0);
	assert_int_equal(ef_etcd_watch(c, "/w", rev, 5000, on_event, &s, NULL), 1);
}

static void test_watch_compacted(void **state)
{
	struct ef_etcd *c = *state;
	struct json_object *req = json_object_new_object(), *resp = NULL;
	struct seen s = { 0 };
	int64_t rev, compacted;
	char buf[32];

	assert_int_equal(ef_etcd_put(c, "/cw", "a", 1, 0, &rev), 0);
	assert_int_equal(ef_etcd_put(c, "/cw", "b", 1, 0, NULL), 0);
	assert_int_equal(ef_etcd_put(c, "/cw", "c", 1, 0, NULL), 0);
	snprintf(buf, sizeof(buf), "%lld", (long long)rev + 2);
	json_object_object_add(req, "revision", json_object_new_string(buf));
	assert_int_equal(ef_etcd_call(c, "compact", "/v3/kv/compaction", req, 0, NULL, NULL, &resp),
			 0);
	json_object_put(req);
	json_object_put(resp);
	assert_int_equal(ef_etcd_watch(c, "/cw", rev, 5000, on_event, &s, &compacted), -ECANCELED);
	assert_int_equal(compacted, rev + 2);
	assert_int_equal(s.puts, 0);
	assert_non_null(strstr(ef_etcd_error(c), "revision compacted"));
}

/* A manifest naming one file of one chunk (data); *sha: its chunk. */
static char *manifest_of(const char *data, char sha[EF_SHA256_HEX])
{
	struct ef_manifest m = { .serial = 1 };
	char *text;

	snprintf(m.published, sizeof(m.published), "2026-12-06T00:00:00Z");
	snprintf(m.publisher, sizeof(m.publisher), "t");
	snprintf(m.ruleset_hash, sizeof(m.ruleset_hash), "0123456789abcdef");
	m.main = strdup("r.yaml");
	assert_int_equal(ef_manifest_add_file(&m, "r.yaml", data, strlen(data)), 0);
	snprintf(sha, EF_SHA256_HEX, "%s", m.files[0].chunks[0]);
	text = ef_manifest_to_json(&m);
	assert_non_null(text);
	ef_manifest_free(&m);
	return text;
}

/* What `edgefw publish` does up to its manifest: the chunk, the swap. */
static int64_t put_bundle(struct ef_etcd *c, const char *data, char *text, int64_t old_mod)
{
	char key[256], sha[EF_SHA256_HEX];
	int64_t rev = 0;
	bool written;

	free(manifest_of(data, sha));
	snprintf(key, sizeof(key), "/g/chunks/%s", sha);
	assert_int_equal(ef_etcd_put_absent(c, key, data, strlen(data), &written), 0);
	assert_int_equal(
		ef_etcd_put_if_mod(c, "/g/manifest", text, strlen(text), old_mod, &written, &rev),
		0);
	assert_true(written);
	return rev;
}

static bool chunk_exists(struct ef_etcd *c, const char *sha)
{
	struct ef_etcd_range r;
	char key[256];
	bool there;

	snprintf(key, sizeof(key), "/g/chunks/%s", sha);
	assert_int_equal(ef_etcd_range(c, key, false, true, &r), 0);
	there = r.n == 1;
	ef_etcd_range_free(&r);
	return there;
}

/* Publish B starts (marker, chunk written) after publish A's manifest and
 * before A collects: A's collection must leave B's chunk, which B's
 * manifest names next. Without the marker guard it deletes it, and every
 * host would find B's manifest with a chunk missing. */
static void test_gc_concurrent_publish(void **state)
{
	struct ef_etcd *c = *state;
	char sha1[EF_SHA256_HEX], sha2[EF_SHA256_HEX], sha3[EF_SHA256_HEX], key[256];
	char *m1 = manifest_of("rules one", sha1), *m2 = manifest_of("rules two", sha2);
	char *m3 = manifest_of("rules three", sha3);
	struct ef_publish_marker mark_b;
	struct ef_publish_gc gc;
	int64_t r1, r2, r3;
	bool written;

	r1 = put_bundle(c, "rules one", m1, 0);
	/* A publishes m2 ... */
	r2 = put_bundle(c, "rules two", m2, r1);
	/* ... B starts: its marker, then its chunk ... */
	assert_int_equal(ef_publish_mark(c, "/g/", EF_PUBLISH_MARK_TTL_S, &mark_b), 0);
	snprintf(key, sizeof(key), "/g/chunks/%s", sha3);
	assert_int_equal(ef_etcd_put_absent(c, key, "rules three", 11, &written), 0);
	/* ... A collects: it must not delete what B counts on. */
	assert_int_equal(ef_publish_collect(c, "/g/", r2, m2, m1, &gc), 0);
	assert_true(gc.skipped);
	assert_int_equal(gc.deleted, 0);
	assert_true(chunk_exists(c, sha3));
	/* B's manifest goes in; its marker goes; it collects. */
	assert_int_equal(ef_etcd_put_if_mod(c, "/g/manifest", m3, strlen(m3), r2, &written, &r3),
			 0);
	assert_true(written);
	assert_int_equal(ef_publish_unmark(c, &mark_b), 0);
	/* An orphan (a publish that died before its manifest) goes; the
	 * chunks of the last three manifests stay. */
	assert_int_equal(ef_etcd_put(c, "/g/chunks/orphan", "x", 1, 0, NULL), 0);
	assert_int_equal(ef_publish_collect(c, "/g/", r3, m3, m2, &gc), 0);
	assert_false(gc.skipped);
	assert_int_equal(gc.deleted, 1);
	assert_true(chunk_exists(c, sha1) && chunk_exists(c, sha2) && chunk_exists(c, sha3));
	/* A collector whose manifest was replaced meanwhile deletes nothing. */
	assert_int_equal(ef_etcd_put(c, "/g/chunks/orphan", "x", 1, 0, NULL), 0);
	assert_int_equal(ef_publish_collect(c, "/g/", r2, m2, m1, &gc), 0);
	assert_true(gc.skipped);
	assert_int_equal(ef_etcd_delete(c, "/g/", true, NULL), 0);
	free(m1);
	free(m2);
	free(m3);
}

static bool marker_exists(struct ef_etcd *c)
{
	struct ef_etcd_range r;
	bool there;

	assert_int_equal(ef_etcd_range(c, "/m/publishing/", true, true, &r), 0);
	there = r.n == 1;
	ef_etcd_range_free(&r);
	return there;
}

/* A publish longer than the marker's lease keeps its marker when it
 * renews it between requests (without renewal the 3 s lease is gone at
 * 4.5 s); one that stopped renewing is told, and its marker is gone. */
static void test_publish_mark_renew(void **state)
{
	struct ef_etcd *c = *state;
	struct ef_publish_marker m;

	assert_int_equal(ef_publish_mark(c, "/m/", 3, &m), 0);
	for (int i = 0; i < 9; i++) {
		usleep(500 * 1000);
		assert_int_equal(ef_publish_mark_renew(c, &m, false), 0);
	}
	assert_true(marker_exists(c));
	assert_int_equal(ef_publish_unmark(c, &m), 0);
	assert_false(marker_exists(c));

	assert_int_equal(ef_publish_mark(c, "/m/", 3, &m), 0);
	sleep(5);
	assert_false(marker_exists(c));
	assert_int_equal(ef_publish_mark_renew(c, &m, false), -ETIME);
	assert_non_null(strstr(ef_etcd_error(c), "lease (3 s) expired before it was renewed"));
	assert_int_equal(ef_publish_mark_renew(c, &m, true), -ETIME);
	assert_int_equal(ef_publish_unmark(c, &m), 0);
}

static void test_failover(void **state)
{
	const char *eps[] = { "http://127.0.0.1:1", client_url };
	struct ef_etcd c;
	struct ef_etcd_range r;

	(void)state;
	assert_int_equal(ef_etcd_init(&c, eps, 2, NULL), 0);
	assert_int_equal(ef_etcd_range(&c, "/u", false, false, &r), 0);
	assert_int_equal(r.n, 1);
	ef_etcd_range_free(&r);
	assert_string_equal(ef_etcd_endpoint(&c), client_url);
	ef_etcd_free(&c);

	assert_int_equal(ef_etcd_init(&c, eps, 1, NULL), 0);
	assert_int_equal(ef_etcd_range(&c, "/u", false, false, &r), -ECONNREFUSED);
	assert_non_null(strstr(ef_etcd_error(&c), "etcd http://127.0.0.1:1: range /u: "));
	ef_etcd_free(&c);
	assert_int_equal(ef_etcd_init_list(&c, "ftp://x", NULL), -EINVAL);
	assert_non_null(strstr(ef_etcd_error(&c), "'ftp://x' is not http://HOST:PORT"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_watch_compacted),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_gc_concurrent_publish),
		cmocka_unit_test(test_publish_mark_renew),
	};
	int ret;

	if (access(ETCD_BIN, X_OK)) {
		printf("1..0 # SKIP %s is not installed (scripts/deps.sh installs etcd-server)\n",
		       ETCD_BIN);
		return 0;
	}
	start_etcd();
	ret = cmocka_run_group_tests(tests, setup, teardown);
	stop_etcd();
	return ret;
}
