// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw publish FILE --etcd URL[,URL...] --group G: checks FILE exactly
 * like `edgefw check`, then puts it and the list files it names into etcd
 * as a bundle (user/fleet/bundle.h): chunks first (content-addressed,
 * written only when absent), the manifest last in one transaction that
 * fails if another publish replaced the manifest meanwhile. Chunks no
 * manifest of the last three refers to are then deleted, unless another
 * publish is in flight (user/fleet/publish_gc.h).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "fileio.h"
#include "fleet_opts.h"
#include "jsonout.h"
#include "log.h"
#include "publish_gc.h"
#include "yamldoc.h"

struct pub_file {
	char *name;
	char *buf;
	size_t len;
};

struct publish {
	struct ef_fleet_opts o;
	const char *path;
	struct pub_file files[EF_BUNDLE_FILES_MAX];
	size_t n_files;
	int error; /* a list file that cannot be bundled */
	struct ef_manifest m;
	struct ef_etcd c;
	int64_t old_mod, revision;
	char *old_text;                /* the manifest replaced, or NULL */
	struct ef_publish_marker mark; /* in flight: publish_gc.h */
	size_t chunks_written, chunks_deleted, bytes;
};

static void on_list_file(void *arg, const char *name, const char *buf, size_t len)
{
	struct publish *p = arg;
	struct pub_file *f;

	for (size_t i = 0; i < p->n_files; i++)
		if (!strcmp(p->files[i].name, name))
			return;
	if (ef_bundle_path_ok(name)) {
		ef_log_err(
			"%s: list file '%s' cannot be published: name list files relative to the rules file's directory, without '..' (letters, digits, '.', '_', '/', '+', '-')",
			p->path, name);
		p->error = -EINVAL;
		return;
	}
	if (p->n_files == EF_BUNDLE_FILES_MAX) {
		ef_log_err("%s: more than %d files: a bundle holds at most that many", p->path,
			   EF_BUNDLE_FILES_MAX);
		p->error = -E2BIG;
		return;
	}
	f = &p->files[p->n_files];
	f->name = strdup(name);
	f->buf = malloc(len ? len : 1);
	if (!f->name || !f->buf) {
		free(f->name);
		free(f->buf);
		p->error = -ENOMEM;
		return;
	}
	memcpy(f->buf, buf, len);
	f->len = len;
	p->n_files++;
}

/* `interfaces` and `daemon` are each host's own: not published. */
static int refuse_host_sections(const char *path, const char *buf, size_t len)
{
	struct ef_diag d = { 0 };
	struct ydoc *doc = NULL;
	int ret = ydoc_load_buffer(path, buf, len, NULL, &doc, &d);

	for (size_t i = 0;
	     !ret && doc->root && doc->root->kind == YDOC_MAP && i < doc->root->n_pairs; i++) {
		const struct ydoc_node *k = doc->root->pairs[i].key;

		if (!strcmp(k->str, "interfaces") || !strcmp(k->str, "daemon")) {
			ef_log_err(
				"%s:%u:%u: '%s' is host-specific and is not published: keep it in each host's own file (with daemon.source.etcd) and publish the rules alone",
				path, k->line, k->col, k->str);
			ret = -EINVAL;
		}
	}
	ef_diag_print(&d, stderr);
	ef_diag_free(&d);
	ydoc_free(doc);
	return ret;
}

/* FILE checked like `edgefw check`, its bytes and its list files'. */
static int check_file(struct publish *p, struct ef_ruleset *rs)
{
	struct ef_parse_opts opts = { .on_list_file = on_list_file, .on_list_file_arg = p };
	struct pub_file *main = &p->files[0];
	char *copy = strdup(p->path);
	struct ef_compiled c;
	struct ef_diag d = { 0 };
	int ret = copy ? 0 : -ENOMEM;

	if (!ret && !strcmp(p->path, "-")) {
		ef_log_err(
			"publish reads a file, not standard input: its list files are named relative to it");
		ret = -EINVAL;
	}
	if (!ret)
		ret = ef_read_file(p->path, YDOC_DEFAULT_MAX_BYTES, &main->buf, &main->len);
	if (ret && ret != -EINVAL)
		ef_log_err("cannot read %s: %s", p->path, ef_read_strerror(ret));
	if (!ret && !(main->name = strdup(basename(copy))))
		ret = -ENOMEM;
	free(copy);
	if (ret)
		return ret;
	p->n_files = 1;
	if ((ret = refuse_host_sections(p->path, main->buf, main->len)))
		return ret;
	ret = ef_ruleset_load_opts(p->path, &opts, rs, &d);
	ef_diag_print(&d, stderr);
	ef_json_capture_diag(&d);
	ef_diag_free(&d);
	if (ret)
		return ret;
	ret = p->error ? p->error : ef_cli_compile_rules(rs, NULL, 0, &c);
	if (!ret)
		ef_compiled_free(&c);
	else
		ef_ruleset_free(rs);
	return ret;
}

static int build_manifest(struct publish *p, const struct ef_ruleset *rs)
{
	struct ef_manifest *m = &p->m;
	time_t now = time(NULL);
	struct tm tm;
	int ret = 0;

	snprintf(m->ruleset_hash, sizeof(m->ruleset_hash), "%016llx", (unsigned long long)rs->hash);
	strftime(m->published, sizeof(m->published), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (gethostname(m->publisher, sizeof(m->publisher)))
		snprintf(m->publisher, sizeof(m->publisher), "unknown");
	m->publisher[sizeof(m->publisher) - 1] = '\0';
	m->main = strdup(p->files[0].name);
	if (!m->main)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_files && !ret; i++) {
		ret = ef_manifest_add_file(m, p->files[i].name, p->files[i].buf, p->files[i].len);
		if (ret == -EEXIST)
			ef_log_err(
				"%s: list file '%s' has the rules file's own name: rename one of them",
				p->path, p->files[i].name);
		else if (ret)
			ef_log_err("%s: '%s' cannot be bundled: %s (at most %u bytes a file)",
				   p->path, p->files[i].name, strerror(-ret), EF_BUNDLE_FILE_MAX);
		p->bytes += p->files[i].len;
	}
	return ret;
}

/* The in-flight marker kept alive between requests; a lapse (etcd too
 * slow to answer for a whole lease) stops the publish before its manifest. */
static int keep_marked(struct publish *p, bool force)
{
	int ret = ef_publish_mark_renew(&p->c, &p->mark, force);

	if (ret)
		ef_log_err("%s: nothing published (the manifest is unchanged); publish again",
			   ef_etcd_error(&p->c));
	return ret;
}

static int upload_chunks(struct publish *p)
{
	char key[512];
	bool written;

	for (size_t i = 0; i < p->n_files; i++) {
		const struct ef_bundle_file *f = &p->m.files[i];

		for (size_t k = 0; k < f->n_chunks; k++) {
			size_t off = k * EF_BUNDLE_CHUNK_MAX;
			size_t len = p->files[i].len - off;
			int ret;

			if (len > EF_BUNDLE_CHUNK_MAX)
				len = EF_BUNDLE_CHUNK_MAX;
			ret = keep_marked(p, false);
			if (ret)
				return ret;
			snprintf(key, sizeof(key), "%sgroups/%s/chunks/%s", p->o.prefix, p->o.group,
				 f->chunks[k]);
			ret = ef_etcd_put_absent(&p->c, key, p->files[i].buf + off, len, &written);
			if (ret) {
				ef_log_err("%s: nothing published (the manifest is unchanged)",
					   ef_etcd_error(&p->c));
				return ret;
			}
			p->chunks_written += written;
		}
	}
	return 0;
}

/* The manifest in force now: its text and mod_revision (0: none). */
static int read_old(struct publish *p)
{
	struct ef_etcd_range r;
	char key[512];
	int ret;

	ef_fleet_key(&p->o, "manifest", key, sizeof(key));
	ret = ef_etcd_range(&p->c, key, false, false, &r);
	if (ret) {
		ef_log_err("%s: nothing published", ef_etcd_error(&p->c));
		return ret;
	}
	if (r.n) {
		struct ef_manifest old;
		char err[256];

		p->old_mod = r.kvs[0].mod_revision;
		p->old_text = (char *)r.kvs[0].value;
		r.kvs[0].value = NULL;
		if (!ef_manifest_parse(p->old_text, r.kvs[0].value_len, &old, err, sizeof(err))) {
			p->m.serial = old.serial;
			ef_manifest_free(&old);
		}
	}
	p->m.serial++;
	ef_etcd_range_free(&r);
	return 0;
}

static int swap_manifest(struct publish *p)
{
	char key[512], *text = ef_manifest_to_json(&p->m);
	bool written = false;
	int ret;

	if (!text)
		return -ENOMEM;
	ef_fleet_key(&p->o, "manifest", key, sizeof(key));
	ret = ef_etcd_put_if_mod(&p->c, key, text, strlen(text), p->old_mod, &written,
				 &p->revision);
	free(text);
	if (ret) {
		ef_log_err("%s: the manifest was not replaced (chunks written stay, unused)",
			   ef_etcd_error(&p->c));
		return ret;
	}
	if (!written) {
		ef_log_err(
			"group %s: another publish replaced the manifest while this one ran (it was at revision %lld): nothing was replaced; look with `edgefw fleet status` and publish again",
			p->o.group, (long long)p->old_mod);
		return -EAGAIN;
	}
	return 0;
}

/* Keeps the chunks of the new manifest and of the two before it (hosts
 * still fetching those find them); deletes the others, unless another
 * publish is in flight (publish_gc.h). The replaced manifest is kept as
 * manifest.prev for the next publish to read. A failure here only leaves
 * chunks behind: reported, not an error. */
static void collect_garbage(struct publish *p)
{
	struct ef_publish_gc gc;
	char gdir[512], *text = ef_manifest_to_json(&p->m);
	int ret = text ? 0 : -ENOMEM;

	ef_fleet_key(&p->o, "", gdir, sizeof(gdir));
	if (!ret)
		ret = ef_publish_collect(&p->c, gdir, p->revision, text, p->old_text, &gc);
	if (ret)
		ef_log_warn(
			"group %s: unused chunks not cleaned up: %s (the next publish tries again)",
			p->o.group, ret == -ENOMEM ? "out of memory" : ef_etcd_error(&p->c));
	else if (gc.skipped)
		ef_log_info(
			"group %s: unused chunks left for the next publish: another publish is in flight",
			p->o.group);
	else
		p->chunks_deleted = gc.deleted;
	free(text);
}

static size_t chunk_count(const struct ef_manifest *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_files; i++)
		n += m->files[i].n_chunks;
	return n;
}

static void print_result(const struct publish *p)
{
	struct json_object *root;
	char msg[512];

	snprintf(
		msg, sizeof(msg),
		"published group %s revision %lld (%zu files, %zu chunks, %zu bytes, ruleset hash %s)",
		p->o.group, (long long)p->revision, p->m.n_files, chunk_count(&p->m), p->bytes,
		p->m.ruleset_hash);
	if (!p->o.json) {
		printf("%s\n", msg);
		return;
	}
	root = json_object_new_object();
	json_object_object_add(root, "ok", json_object_new_boolean(true));
	json_object_object_add(root, "exit", json_object_new_int(EF_EXIT_OK));
	json_object_object_add(root, "message", ef_json_str(msg));
	json_object_object_add(root, "file", ef_json_str(p->path));
	json_object_object_add(root, "group", ef_json_str(p->o.group));
	json_object_object_add(root, "prefix", ef_json_str(p->o.prefix));
	json_object_object_add(root, "revision", json_object_new_int64(p->revision));
	json_object_object_add(root, "serial", json_object_new_int64((int64_t)p->m.serial));
	json_object_object_add(root, "ruleset_hash", json_object_new_string(p->m.ruleset_hash));
	json_object_object_add(root, "files", json_object_new_uint64(p->m.n_files));
	json_object_object_add(root, "chunks", json_object_new_uint64(chunk_count(&p->m)));
	json_object_object_add(root, "chunks_written", json_object_new_uint64(p->chunks_written));
	json_object_object_add(root, "chunks_deleted", json_object_new_uint64(p->chunks_deleted));
	json_object_object_add(root, "bytes", json_object_new_uint64(p->bytes));
	json_object_object_add(root, "diagnostics", ef_json_captured());
	ef_json_envelope(root, "publish");
	ef_json_print(root, true);
	json_object_put(root);
}

/* From before the manifest is read until the new one is in place: no
 * collection deletes a chunk this publish counts on (publish_gc.h). */
static int mark_in_flight(struct publish *p)
{
	char gdir[512];
	int ret;

	ef_fleet_key(&p->o, "", gdir, sizeof(gdir));
	ret = ef_publish_mark(&p->c, gdir, EF_PUBLISH_MARK_TTL_S, &p->mark);
	if (ret)
		ef_log_err("%s: nothing published", ef_etcd_error(&p->c));
	return ret;
}

static int publish(struct publish *p)
{
	struct ef_ruleset rs;
	int ret, code;

	if (check_file(p, &rs))
		return EF_EXIT_INPUT;
	ret = build_manifest(p, &rs);
	ef_ruleset_free(&rs);
	if (ret)
		return EF_EXIT_INPUT;
	code = ef_fleet_open(&p->o, &p->c);
	if (code)
		return code;
	ret = mark_in_flight(p);
	if (!ret)
		ret = read_old(p);
	if (!ret)
		ret = upload_chunks(p);
	/* Alive for the swap: renewed less than a third of its TTL ago, or
	 * now (an expiry since the last renewal shows here). */
	if (!ret)
		ret = keep_marked(p, false);
	if (!ret)
		ret = swap_manifest(p);
	/* Gone before collecting: the collector waits for no marker. */
	ef_publish_unmark(&p->c, &p->mark);
	if (ret)
		return ret == -EAGAIN ? EF_EXIT_INPUT : EF_EXIT_SYSTEM;
	collect_garbage(p);
	print_result(p);
	return EF_EXIT_OK;
}

static int run_publish(const struct ef_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { EF_FLEET_LONG_OPTS, { NULL, 0, NULL, 0 } };
	struct publish *p = calloc(1, sizeof(*p));
	int opt, code = EF_EXIT_INPUT;

	(void)cli;
	if (!p)
		return EF_EXIT_SYSTEM;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!ef_fleet_opt(&p->o, opt, optarg))
			goto out;
	if (argc - optind != 1)
		goto out;
	p->path = argv[optind];
	code = publish(p);
out:
	if (code == EF_EXIT_INPUT && !p->path)
		ef_cli_usage(&ef_cmd_publish);
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].name);
		free(p->files[i].buf);
	}
	if (!p->n_files) { /* read, then refused before it counted */
		free(p->files[0].name);
		free(p->files[0].buf);
	}
	ef_manifest_free(&p->m);
	ef_etcd_free(&p->c);
	free(p->old_text);
	free(p);
	return code;
}

const struct ef_command ef_cmd_publish = {
	.name = "publish",
	.usage =
		"FILE --etcd URL[,URL...] --group G [--prefix P] [--cacert F --cert F --key F] [--json]",
	.summary =
		"check a rules file and publish it with its list files to an etcd group (edgefwd's etcd source)",
	.help = "  --etcd URLS     the etcd cluster's client URLs, comma-separated\n"
		"                  (http://HOST:PORT or https://HOST:PORT); the next\n"
		"                  is tried when one cannot be reached\n"
		"  --group G       the group whose hosts take these rules\n"
		"  --prefix P      the key prefix (default /edgefw/v1/)\n"
		"  --cacert F      the CA that signed the etcd servers' certificates\n"
		"  --cert F --key F  a client certificate and its key\n"
		"  --json          one JSON object: group, revision, serial, ruleset_hash,\n"
		"                  files, chunks, chunks_written, chunks_deleted, bytes\n"
		"FILE is checked exactly like `edgefw check` (exit 1 on an error, nothing\n"
		"written); it must not hold `interfaces` or `daemon` (each host's own).\n"
		"Its list files are published with it, chunks of at most 512 KiB, then\n"
		"the manifest in one transaction (exit 1 when another publish replaced\n"
		"it meanwhile). Prints the revision the hosts will report.\n",
	.run = run_publish,
};
