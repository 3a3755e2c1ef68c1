// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "droplog.h"
#include "droplog_dyn.h"
#include "jsonout.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "active.h"
#include "edgefw.h"
#include "log.h"
#include "ruleset.h"

/* A rule name as last read from rule_meta; batch says when, so a slot a
 * reload gave to another rule is read again in the next batch. */
struct name_cache {
	uint32_t batch;
	char name[EDGEFW_RULE_NAME_MAX];
};

struct efd_droplog {
	struct ring_buffer *rb;
	int ring_fd, meta_fd, active_fd;
	struct efd_dyn_maps dyn; /* dup'ed: dyn_config, dynset_meta; rule_meta */
	struct efd_dyn_cache *dyn_cache;
	uint32_t gen; /* active generation, read once per batch */
	FILE *out;
	char *path;               /* NULL: stdout */
	struct name_cache *names; /* EDGEFW_MAX_RULES entries */
	uint32_t batch;           /* consume calls so far, from 1 */
	int64_t offset_ns;        /* CLOCK_REALTIME - CLOCK_MONOTONIC, per batch */
	uint64_t lines, errors;
	uint64_t pending; /* lines in the stdio buffer, not yet flushed */
	int last_err;     /* the write error last logged; 0: writing fine */
};

/* Checks what O_NOFOLLOW cannot: the file at path may have been put
 * there by someone else (in a directory others can write to): a FIFO, a
 * device, a hard link to a file of the system, a file another user owns
 * and reads. Returns 0 or -errno, logged. */
static int check_output(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st)) {
		ef_log_err("drop log: cannot check %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		ef_log_err(
			"drop log: %s is not a regular file: set drop-log to a file (or '-' for standard output)",
			path);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() || st.st_nlink != 1) {
		ef_log_err(
			"drop log: %s is %s: remove it, or set drop-log to a path in a directory only root can write to (/var/log/edgefw)",
			path,
			st.st_uid != geteuid() ? "owned by another user"
					       : "a hard link to another file");
		return -EPERM;
	}
	return 0;
}

/* Created 0640, never through a symbolic link (O_NOFOLLOW), and never
 * blocking on a FIFO put in its place (O_NONBLOCK, then refused). */
static int open_output(const char *path, FILE **out)
{
	int fd, ret;
	FILE *f;

	fd = open(path,
		  O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		  0640);
	if (fd < 0) {
		ret = -errno;
		ef_log_err("drop log: cannot open %s: %s; check the daemon "
			   "section's drop-log path%s",
			   path, strerror(-ret),
			   ret == -ELOOP ? " (it is a symbolic link, which edgefwd does not follow)"
			   : ret == -ENXIO ? " (a FIFO without a reader)"
					   : "");
		return ret;
	}
	ret = check_output(fd, path);
	if (ret) {
		close(fd);
		return ret;
	}
	f = fdopen(fd, "a");
	if (!f) {
		ret = -errno;
		ef_log_err("drop log: cannot open %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	*out = f;
	return 0;
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	case 132:
		return "sctp";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

static bool has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 132;
}

static bool is_icmp(uint8_t p)
{
	return p == 1 || p == 58;
}

/* RFC 3339, UTC, milliseconds. */
static void format_time(int64_t ns, char *buf, size_t len)
{
	time_t sec;
	struct tm tm;
	char date[32];

	if (ns < 0)
		ns = 0;
	sec = (time_t)(ns / 1000000000);
	if (!gmtime_r(&sec, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(date, sizeof(date), "1970-01-01T00:00:00");
	snprintf(buf, len, "%s.%03dZ", date, (int)(ns % 1000000000 / 1000000));
}

/* Adds key: v unless an earlier add failed (*ret set): one check at the
 * end instead of one per field. */
static void add(struct json_object *o, const char *key, struct json_object *v, int *ret)
{
	if (*ret || !v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		if (!*ret)
			*ret = -ENOMEM;
	}
}

static void add_str(struct json_object *o, const char *key, const char *s, int *ret)
{
	/* Valid UTF-8 whatever the bytes (an interface name may hold any). */
	add(o, key, *ret ? NULL : ef_json_str(s), ret);
}

static void add_int(struct json_object *o, const char *key, int64_t v, int *ret)
{
	add(o, key, *ret ? NULL : json_object_new_int64(v), ret);
}

/* The dynamic state that decided (issue 16): "sets", "over_limit", "ban". */
static void add_dyn(struct json_object *o, const struct efd_dyn_names *dyn, int *ret)
{
	struct json_object *sets, *ban;

	if (dyn->n_sets) {
		sets = *ret ? NULL : json_object_new_array();
		add(o, "sets", sets, ret);
		for (size_t i = 0; i < dyn->n_sets && !*ret; i++) {
			struct json_object *s = json_object_new_object();

			add_str(s, "set", dyn->sets[i].set, ret);
			add_str(s, "field", dyn->sets[i].field, ret);
			add(s, "in", *ret ? NULL : json_object_new_boolean(dyn->sets[i].in), ret);
			if (*ret || json_object_array_add(sets, s)) {
				json_object_put(s);
				*ret = -ENOMEM;
			}
		}
	}
	if (dyn->over_limit[0])
		add_str(o, "over_limit", dyn->over_limit, ret);
	if (dyn->ban_set[0]) {
		ban = *ret ? NULL : json_object_new_object();
		add(o, "ban", ban, ret);
		add_str(ban, "set", dyn->ban_set, ret);
		if (dyn->ban_timeout_ns)
			add_int(ban, "timeout_ms", (int64_t)(dyn->ban_timeout_ns / 1000000), ret);
		else if (!*ret && json_object_object_add(ban, "timeout_ms", NULL))
			*ret = -ENOMEM;
	}
}

int efd_droplog_format(const struct edgefw_log_event *e, const char *rule, const char *ifname,
		       const struct efd_dyn_names *dyn, int64_t realtime_offset_ns, char *buf,
		       size_t len)
{
	struct json_object *o = json_object_new_object();
	char tbuf[48], ifbuf[24], pbuf[8], fbuf[8], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *family, *s;
	int af, ret = 0;
	size_t n;

	if (!o)
		return -ENOMEM;
	if (!ifname) {
		snprintf(ifbuf, sizeof(ifbuf), "if%" PRIu32, e->ifindex);
		ifname = ifbuf;
	}
	if (e->family == 4) {
		family = "ipv4";
		af = AF_INET;
	} else if (e->family == 6) {
		family = "ipv6";
		af = AF_INET6;
	} else {
		snprintf(fbuf, sizeof(fbuf), "%u", e->family);
		family = fbuf;
		af = AF_UNSPEC;
	}
	format_time((int64_t)e->ktime_ns + realtime_offset_ns, tbuf, sizeof(tbuf));

	add_str(o, "time", tbuf, &ret);
	add_str(o, "rule", rule, &ret);
	add_str(o, "action", ef_action_name(e->action), &ret);
	add_str(o, "interface", ifname, &ret);
	add_str(o, "hook", ef_hook_name(e->hook), &ret);
	add_str(o, "family", family, &ret);
	add_str(o, "protocol", proto_name(e->l4proto, pbuf, sizeof(pbuf)), &ret);
	if (af != AF_UNSPEC && inet_ntop(af, e->saddr, src, sizeof(src)) &&
	    inet_ntop(af, e->daddr, dst, sizeof(dst))) {
		add_str(o, "src", src, &ret);
		add_str(o, "dst", dst, &ret);
	}
	/* The datapath puts ICMP's type and code where ports would go. */
	if (has_ports(e->l4proto)) {
		if (e->sport != EDGEFW_NO_L4)
			add_int(o, "sport", e->sport, &ret);
		if (e->dport != EDGEFW_NO_L4)
			add_int(o, "dport", e->dport, &ret);
	} else if (is_icmp(e->l4proto)) {
		if (e->sport != EDGEFW_NO_L4)
			add_int(o, "icmp_type", e->sport, &ret);
		if (e->dport != EDGEFW_NO_L4)
			add_int(o, "icmp_code", e->dport, &ret);
	}
	if (e->frag == EDGEFW_FRAG_FIRST || e->frag == EDGEFW_FRAG_LATER)
		add_str(o, "fragment", e->frag == EDGEFW_FRAG_FIRST ? "first" : "later", &ret);
	add_int(o, "length", e->pkt_len, &ret);
	if (e->vlan != EDGEFW_UNTAGGED)
		add_int(o, "vlan", e->vlan, &ret);
	if (dyn)
		add_dyn(o, dyn, &ret);
	if (ret)
		goto out;

	s = json_object_to_json_string_ext(o,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	n = strlen(s);
	if (n >= len) {
		ret = -ENOSPC;
		goto out;
	}
	memcpy(buf, s, n + 1);
	ret = (int)n;
out:
	json_object_put(o);
	return ret;
}

/* The name slot has in generation gen's half of rule_meta; false when
 * that ruleset does not use the slot. */
static bool meta_name(const struct efd_droplog *l, uint32_t gen, uint32_t slot, char *name)
{
	struct edgefw_rule_meta meta;
	uint32_t key = EDGEFW_RULE_KEY(gen, slot);

	if (bpf_map_lookup_elem(l->meta_fd, &key, &meta) || !meta.name[0])
		return false;
	memcpy(name, meta.name, EDGEFW_RULE_NAME_MAX);
	name[EDGEFW_RULE_NAME_MAX - 1] = '\0';
	return true;
}

/* The rule's name for an event of this batch; rule_meta is read again once
 * per batch and slot, as a reload may have given the slot to another rule. */
static const char *rule_name(struct efd_droplog *l, uint32_t slot, char *buf, size_t len)
{
	struct name_cache *c;

	if (slot >= EDGEFW_MAX_RULES)
		goto unknown;
	c = &l->names[slot];
	if (c->batch != l->batch || !c->name[0]) {
		/* Not in the ruleset in force: the rule left it after the
		 * event, and the previous ruleset's half still names it;
		 * else keep the name cached from before, if any. */
		if (!meta_name(l, l->gen, slot, c->name))
			meta_name(l, !l->gen, slot, c->name);
		c->batch = l->batch;
	}
	if (c->name[0])
		return c->name;
unknown:
	snprintf(buf, len, "slot%" PRIu32, slot);
	return buf;
}

static void write_failed(struct efd_droplog *l, int err)
{
	/* Logged once per failure spell, not once per line. */
	if (l->last_err != err)
		ef_log_err("drop log: cannot write to %s: %s; lines are lost "
			   "until it works again",
			   l->path ? l->path : "stdout", strerror(err));
	l->last_err = err;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct efd_droplog *l = ctx;
	const struct edgefw_log_event *e = data;
	char line[2048], rbuf[24], ifbuf[IF_NAMESIZE];
	struct efd_dyn_names dyn;
	const char *ifname;
	bool has_dyn;
	int n;

	if (size < sizeof(*e))
		return 0; /* not ours: a newer datapath's record, skip it */
	ifname = if_indextoname(e->ifindex, ifbuf);
	has_dyn = efd_dyn_resolve(&l->dyn, l->dyn_cache, l->batch, e, &dyn);
	n = efd_droplog_format(e, rule_name(l, e->rule_slot, rbuf, sizeof(rbuf)), ifname,
			       has_dyn ? &dyn : NULL, l->offset_ns, line, sizeof(line) - 1);
	if (n < 0) {
		l->errors++;
		return 0;
	}
	line[n++] = '\n';
	if (fwrite(line, 1, (size_t)n, l->out) != (size_t)n) {
		write_failed(l, errno ? errno : EIO);
		clearerr(l->out);
		l->errors++;
		return 0;
	}
	l->pending++;
	return 0;
}

int efd_droplog_open(const struct ef_instance *inst, const char *output, struct efd_droplog **out)
{
	struct efd_droplog *l = calloc(1, sizeof(*l));
	int ret = 0;

	if (!l)
		return -ENOMEM;
	l->ring_fd = l->meta_fd = l->active_fd = -1;
	l->dyn.dyn_config = l->dyn.dynset_meta = l->dyn.rule_meta = -1;
	l->names = calloc(EDGEFW_MAX_RULES, sizeof(*l->names));
	l->dyn_cache = calloc(1, sizeof(*l->dyn_cache));
	if (!l->names || !l->dyn_cache) {
		ret = -ENOMEM;
		goto out;
	}
	/* The caller closes the instance after each operation: keep our own
	 * references to the maps. */
	l->ring_fd = fcntl(inst->maps.log_ring, F_DUPFD_CLOEXEC, 3);
	l->meta_fd = l->ring_fd < 0 ? -1 : fcntl(inst->maps.rule_meta, F_DUPFD_CLOEXEC, 3);
	l->active_fd = l->meta_fd < 0 ? -1 : fcntl(inst->maps.data_active, F_DUPFD_CLOEXEC, 3);
	l->dyn.dyn_config =
		l->active_fd < 0 ? -1 : fcntl(inst->maps.dyn_config, F_DUPFD_CLOEXEC, 3);
	l->dyn.dynset_meta =
		l->dyn.dyn_config < 0 ? -1 : fcntl(inst->maps.dynset_meta, F_DUPFD_CLOEXEC, 3);
	l->dyn.rule_meta = l->meta_fd;
	if (l->ring_fd < 0 || l->meta_fd < 0 || l->active_fd < 0 || l->dyn.dyn_config < 0 ||
	    l->dyn.dynset_meta < 0) {
		ret = -errno;
		ef_log_err("drop log: cannot duplicate the map fds of %s: %s", inst->dir,
			   strerror(-ret));
		goto out;
	}
	l->rb = ring_buffer__new(l->ring_fd, on_event, l, NULL);
	if (!l->rb) {
		ret = -errno;
		ef_log_err("drop log: cannot read %s/log_ring: %s", inst->dir, strerror(-ret));
		goto out;
	}
	if (!output || !*output || !strcmp(output, "-")) {
		l->out = stdout;
	} else {
		l->path = strdup(output);
		if (!l->path) {
			ret = -ENOMEM;
			goto out;
		}
		ret = open_output(l->path, &l->out);
	}
out:
	if (ret) {
		efd_droplog_close(l);
		return ret;
	}
	*out = l;
	return 0;
}

int efd_droplog_fd(const struct efd_droplog *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

/* Which half of rule_meta names the rules in force; on a failed read the
 * last one read stays (names then come from the other half at worst). */
static void read_active(struct efd_droplog *l)
{
	struct edgefw_active act;

	if (!ef_active_read(l->active_fd, &act) && act.gen < EDGEFW_GENERATIONS)
		l->gen = act.gen;
}

int efd_droplog_consume(struct efd_droplog *l)
{
	struct timespec rt, mono;
	uint64_t before = l->lines;
	int ret;

	/* Measured per batch so a clock step shows up in the next one. */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	l->offset_ns =
		((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 + (rt.tv_nsec - mono.tv_nsec);
	l->batch++;
	if (!l->batch) /* wrapped: 0 would look like a fresh cache entry */
		l->batch = 1;
	read_active(l);

	ret = ring_buffer__consume(l->rb);
	if (fflush(l->out)) {
		/* What the buffer held is lost, or some of it. */
		write_failed(l, errno ? errno : EIO);
		clearerr(l->out);
		l->errors += l->pending;
	} else {
		if (l->last_err && l->pending)
			ef_log_info("drop log: writing to %s again", l->path ? l->path : "stdout");
		if (l->pending)
			l->last_err = 0;
		l->lines += l->pending;
	}
	l->pending = 0;
	if (ret < 0) {
		ef_log_err("drop log: cannot read the log ring: %s", strerror(-ret));
		return ret;
	}
	return (int)(l->lines - before);
}

void efd_droplog_counts(const struct efd_droplog *l, uint64_t *lines, uint64_t *errors)
{
	if (lines)
		*lines = l->lines;
	if (errors)
		*errors = l->errors;
}

int efd_droplog_reopen(struct efd_droplog *l)
{
	FILE *f = NULL;
	int ret;

	if (!l->path)
		return 0;
	/* Open the new file first: on failure the old one stays in use. */
	ret = open_output(l->path, &f);
	if (ret)
		return ret;
	if (fclose(l->out))
		ef_log_warn("drop log: closing the previous %s: %s", l->path, strerror(errno));
	l->out = f;
	return 0;
}

void efd_droplog_close(struct efd_droplog *l)
{
	if (!l)
		return;
	ring_buffer__free(l->rb);
	if (l->out && l->out != stdout) {
		if (fclose(l->out))
			ef_log_warn("drop log: closing %s: %s", l->path, strerror(errno));
	} else if (l->out) {
		(void)fflush(l->out); /* the next write reports a full disk */
	}
	if (l->ring_fd >= 0)
		close(l->ring_fd);
	if (l->meta_fd >= 0)
		close(l->meta_fd);
	if (l->active_fd >= 0)
		close(l->active_fd);
	if (l->dyn.dyn_config >= 0)
		close(l->dyn.dyn_config);
	if (l->dyn.dynset_meta >= 0)
		close(l->dyn.dynset_meta);
	free(l->dyn_cache);
	free(l->names);
	free(l->path);
	free(l);
}

int efd_droplog_set_rate(const struct ef_instance *inst, uint32_t rate)
{
	struct edgefw_log_config cfg = { .rate = rate };
	__u32 zero = 0;
	int ret;

	if (bpf_map_update_elem(inst->maps.log_config, &zero, &cfg, BPF_ANY)) {
		ret = -errno;
		ef_log_err("drop log: cannot set the log rate in %s/log_config: %s", inst->dir,
			   strerror(-ret));
		return ret;
	}
	return 0;
}
